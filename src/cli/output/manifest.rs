//! The manifest of an output folder, `DIR/.egressc-manifest.json`: the files egressc wrote
//! there (each path relative to `DIR`, with the SHA-256 of the bytes written) and the temporary
//! files of a build in progress. It is what makes a file egressc's: a file is replaced only if
//! listed, deleted only if listed and still holding the bytes egressc wrote. It is read strictly
//! (E0604): a path that is absolute, has `..` or a hidden component, or a file that is not
//! `.yaml`, makes the whole manifest invalid, so a hostile manifest cannot point egressc at
//! anything but the kind of file it writes, inside the folder.
//!
//! ```json
//! {
//!   "egressc_manifest": 1,
//!   "files": { "kustomization.yaml": "9f86d0…", "payments/payments-api-egress.yaml": "…" },
//!   "pending": ["payments/.payments-api-egress.yaml.3f9a0c1d2e4b5a69.egressc-tmp"]
//! }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::folder::TEMP_SUFFIX;

/// The manifest's file name in the output folder.
pub(crate) const FILE_NAME: &str = ".egressc-manifest.json";

/// The version this egressc writes and reads.
const VERSION: u32 = 1;

/// The largest manifest egressc reads.
pub(crate) const MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    egressc_manifest: u32,
    /// Relative path (components joined by `/`) → SHA-256 (hex) of the bytes egressc wrote.
    pub(crate) files: BTreeMap<String, String>,
    /// Temporary files a build created and had not yet renamed.
    pub(crate) pending: BTreeSet<String>,
}

/// The SHA-256 of `bytes`, in hex.
pub(crate) fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `name` may be a folder or file name egressc writes: letters, digits, `.`, `-`, `_`,
/// not starting with a dot (hidden names are egressc's own: manifest, lock, temporary files).
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Whether `path` is a path egressc writes: one to three plain components, ending in `.yaml`.
pub(crate) fn is_output_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    (1..=3).contains(&parts.len())
        && parts.iter().all(|p| is_plain_name(p))
        && path.ends_with(".yaml")
}

/// Whether `path` is a temporary file egressc creates: a plain folder path, then
/// `.{name}.{16 hex}.egressc-tmp` where `name` is plain.
pub(crate) fn is_temp_path(path: &str) -> bool {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let folder_ok = folder.is_empty()
        || (folder.split('/').count() <= 2 && folder.split('/').all(is_plain_name));
    folder_ok && is_temp_name(name)
}

/// Whether `name` has the form of egressc's temporary files.
pub(crate) fn is_temp_name(name: &str) -> bool {
    let Some(inner) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let Some((stem, random)) = inner.rsplit_once('.') else {
        return false;
    };
    (is_plain_name(stem) || stem == FILE_NAME.trim_start_matches('.'))
        && random.len() == 16
        && random.chars().all(|c| c.is_ascii_hexdigit())
}

impl Manifest {
    pub(crate) fn new(files: BTreeMap<String, String>, pending: BTreeSet<String>) -> Manifest {
        Manifest {
            egressc_manifest: VERSION,
            files,
            pending,
        }
    }

    /// Reads a manifest strictly; the error says why it is not one.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if m.egressc_manifest != VERSION {
            return Err(format!(
                "version {} is not {VERSION}, the version this egressc reads",
                m.egressc_manifest
            ));
        }
        for (path, hash) in &m.files {
            if !is_output_path(path) {
                return Err(format!("`{path}` is not a path egressc writes"));
            }
            if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("the hash of `{path}` is not 64 hex digits"));
            }
        }
        if let Some(path) = m.pending.iter().find(|p| !is_temp_path(p)) {
            return Err(format!("`{path}` is not a temporary file egressc creates"));
        }
        Ok(m)
    }

    /// The manifest as written: pretty JSON, one entry a line, a final newline.
    pub(crate) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_strictly() {
        assert!(is_output_path("kustomization.yaml"));
        assert!(is_output_path("cilium/payments/api-egress.yaml"));
        for bad in [
            "../x.yaml",
            "/etc/x.yaml",
            "a/../../x.yaml",
            "a//x.yaml",
            ".hidden.yaml",
            "a/b/c/d.yaml",
            "payments/x.sh",
            "x\n.yaml",
        ] {
            assert!(!is_output_path(bad), "{bad:?}");
        }
        assert!(is_temp_path(
            "payments/.api.yaml.0123456789abcdef.egressc-tmp"
        ));
        assert!(is_temp_path(
            ".egressc-manifest.json.0123456789abcdef.egressc-tmp"
        ));
        assert!(!is_temp_path("payments/api.yaml.egressc-tmp"));
        assert!(!is_temp_path("../.api.yaml.0123456789abcdef.egressc-tmp"));
    }

    #[test]
    fn round_trip_and_strict_reading() {
        let m = Manifest::new(
            BTreeMap::from([("a/b.yaml".to_owned(), digest(b"x"))]),
            BTreeSet::new(),
        );
        assert_eq!(Manifest::parse(m.to_text().as_bytes()), Ok(m));
        assert!(Manifest::parse(b"{\"egressc_manifest\":2,\"files\":{},\"pending\":[]}").is_err());
        assert!(
            Manifest::parse(b"{\"egressc_manifest\":1,\"files\":{},\"pending\":[],\"x\":1}")
                .is_err()
        );
        assert!(Manifest::parse(b"garbage").is_err());
    }
}
