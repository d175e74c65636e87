//! `file:` URIs ↔ paths: percent-decoding what clients send, percent-encoding what the server
//! sends for files no client has opened.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use lsp_types::Uri;

/// The value of one hexadecimal digit.
fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The absolute path of a `file:` URI (host empty or `localhost`); `None` for any other URI,
/// a bad escape, or a path with a NUL byte.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let slash = rest.find('/')?;
    let host = rest.get(..slash)?;
    if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let encoded = rest.get(slash..)?;
    // The query and fragment are no part of a path.
    let encoded = encoded.split(['?', '#']).next().unwrap_or_default();
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut it = encoded.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hi = hex(it.next()?)?;
            let lo = hex(it.next()?)?;
            bytes.push(hi * 16 + lo);
        } else {
            bytes.push(b);
        }
    }
    if bytes.contains(&0) {
        return None;
    }
    Some(PathBuf::from(OsString::from_vec(bytes)))
}

/// The `file:` URI of an absolute path, every byte but letters, digits and `-._~/` escaped.
pub fn from_path(path: &Path) -> Option<Uri> {
    if !path.is_absolute() {
        return None;
    }
    let mut s = String::from("file://");
    for b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(b) {
            s.push(char::from(*b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let path = Path::new("/work/a b/é#x.egress");
        let uri = from_path(path).unwrap();
        assert_eq!(uri.as_str(), "file:///work/a%20b/%C3%A9%23x.egress");
        assert_eq!(to_path(&uri).unwrap(), path);
        let vscode: Uri = "file:///c%3A/x.egress".parse().unwrap();
        assert_eq!(to_path(&vscode).unwrap(), Path::new("/c:/x.egress"));
        let host: Uri = "file://localhost/x".parse().unwrap();
        assert_eq!(to_path(&host).unwrap(), Path::new("/x"));
        for bad in ["file://elsewhere/x", "untitled:Untitled-1", "file:///a%00b"] {
            let uri: Uri = bad.parse().unwrap();
            assert_eq!(to_path(&uri), None, "{bad}");
        }
        assert_eq!(from_path(Path::new("relative")), None);
    }
}
