//! The limits that bound the cost of compiling hostile input, in one place.
//!
//! Each limit is far above what a real policy needs and turns input that would exhaust the
//! stack, the memory or the time of the compiler (or of the language server, which runs the
//! same front end on every keystroke) into a coded error or a shortened report. SECURITY.md
//! lists them with the tests that hold them.

/// Brackets (`(`, `{`, `[`) open inside each other in one file, counted outside comments and
/// strings before the parser runs (the parser recurses once per level): E0110.
pub const MAX_NESTING_DEPTH: usize = 32;

/// Expansions inside each other: a definition used in a definition's body, or a call in an
/// argument, is one level deeper (the checker recurses once per level): E0212.
pub const MAX_EXPANSION_DEPTH: usize = 64;

/// Destinations one definition expands to, after identical destinations are merged, and
/// destinations of one statement's list, counted as the list grows: E0211.
pub const MAX_EXPANDED_DESTINATIONS: usize = 100_000;

/// Expansion steps for a whole program, plus [`EXPANSION_STEPS_PER_BYTE`] for each byte of its
/// source: one step per destination expression evaluated plus one per destination it yields. A
/// definition used without arguments is expanded once and shared, so real programs need a few
/// steps per destination they write: E0213.
pub const EXPANSION_STEPS: u64 = 1_000_000;

/// See [`EXPANSION_STEPS`]: the budget grows with the source, so that cost stays a small
/// multiple of its size.
pub const EXPANSION_STEPS_PER_BYTE: u64 = 8;

/// See [`EXPANSION_STEPS`]: what one diagnostic of the checker costs, so that expansions that
/// keep failing exhaust the budget as soon as expansions that succeed.
pub const EXPANSION_STEPS_PER_DIAGNOSTIC: usize = 100;

/// Diagnostics of one code reported for one file; the last one shown says how many more there
/// were.
pub const MAX_DIAGNOSTICS_PER_CODE: usize = 50;

/// Diagnostics reported for one file, all codes together.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 200;

/// Bytes of a source line shown whole in a diagnostic's excerpt; a longer line is cut to
/// windows around the labels, with `…` where text is left out.
pub const EXCERPT_LINE: usize = 200;

/// Characters shown on each side of each end of a label on a line longer than [`EXCERPT_LINE`].
pub const EXCERPT_CONTEXT: usize = 40;

/// Lines a label may span in an excerpt; a label over more lines is shown on its first line.
pub const EXCERPT_LABEL_LINES: usize = 8;

// The sizes of input files are bounded in `crate::input` (`MAX_FILE_BYTES`, `MAX_TOTAL_BYTES`).

/// Bytes of one language server message (the JSON body of a frame), and of its header lines.
pub const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// Bytes of one header line of a language server frame.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
