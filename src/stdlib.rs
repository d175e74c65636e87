//! The standard library: `stdlib/*.egress`, embedded in the binary and loaded before every
//! program as the prelude.

/// (display name, text) of every standard library file.
pub const FILES: &[(&str, &str)] = &[(
    "stdlib/prelude.egress",
    include_str!("../stdlib/prelude.egress"),
)];
