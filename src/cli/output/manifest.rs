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
use std::io::{self, Write};

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

/// The SHA-256 of some bytes, as the manifest lists it (in hex).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digest([u8; 32]);

impl Digest {
    /// The SHA-256 of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The digest in lowercase hex, 64 digits.
    pub(crate) fn hex(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            for (d, nibble) in pair.iter_mut().zip([b >> 4, b & 0xf]) {
                *d = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
            }
        }
        out
    }

    /// Whether `hex` (as a manifest lists it) is this digest.
    pub(crate) fn is(&self, hex: &str) -> bool {
        hex.as_bytes() == self.hex()
    }
}

/// The SHA-256 of `bytes`, in hex.
#[cfg(test)]
pub(crate) fn digest(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&Digest::of(bytes).hex()).into_owned()
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
    #[cfg(test)]
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
    #[cfg(test)]
    pub(crate) fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Writes the text of the manifest listing `files` (path → SHA-256 in hex, in path order) and
/// `pending` (in order) to `out`, byte for byte as serde_json writes a [`Manifest`] pretty with
/// a final newline, without building the manifest (a build of every target of 100,000
/// workloads lists 400,000 files).
pub(crate) fn write_text<'a, F, H, P>(out: &mut impl Write, files: F, pending: P) -> io::Result<()>
where
    F: IntoIterator<Item = (&'a str, H)>,
    H: AsRef<[u8]>,
    P: IntoIterator<Item = &'a str>,
{
    write!(
        out,
        "{{\n  \"egressc_manifest\": {VERSION},\n  \"files\": {{"
    )?;
    let mut first = true;
    for (path, hex) in files {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, path)?;
        out.write_all(b": ")?;
        serde_json::to_writer(&mut *out, String::from_utf8_lossy(hex.as_ref()).as_ref())?;
    }
    out.write_all(if first {
        b"},\n  \"pending\": ["
    } else {
        b"\n  },\n  \"pending\": ["
    })?;
    let mut first = true;
    for path in pending {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, path)?;
    }
    out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
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

    /// The text written without building a manifest is serde_json's, empty or not.
    #[test]
    fn written_text_is_serde_jsons() {
        let text = |files: &BTreeMap<String, String>, pending: &BTreeSet<String>| {
            let mut out = Vec::new();
            write_text(
                &mut out,
                files.iter().map(|(p, h)| (p.as_str(), h.as_bytes())),
                pending.iter().map(String::as_str),
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let files = BTreeMap::from([
            ("a/b.yaml".to_owned(), digest(b"x")),
            ("kustomization.yaml".to_owned(), digest(b"")),
        ]);
        let pending = BTreeSet::from([
            "a/.b.yaml.0123456789abcdef.egressc-tmp".to_owned(),
            ".egressc-manifest.json.0123456789abcdef.egressc-tmp".to_owned(),
        ]);
        for (f, p) in [
            (BTreeMap::new(), BTreeSet::new()),
            (files.clone(), BTreeSet::new()),
            (BTreeMap::new(), pending.clone()),
            (files, pending),
        ] {
            assert_eq!(text(&f, &p), Manifest::new(f, p).to_text());
        }
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
