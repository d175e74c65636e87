//! What the server reads from the file system, handed to it by its caller. The library reads
//! no files: `egressc lsp` gives the server the command line's reading of sources (the same
//! project file, size limits, symlink and path rules as `egressc check`), and a server given
//! [`NoFiles`] knows only the open documents.

use std::path::{Path, PathBuf};

use crate::Input;

/// The sources of one program, read from the file system.
#[derive(Debug)]
pub struct Loaded {
    /// The program's folder: the project file's, or the folder that was asked for.
    pub root: PathBuf,
    /// Whether a project file (`egressc.toml`) names the sources.
    pub project: bool,
    /// Every source, with its path, read under the input limits (a refused file arrives as a
    /// refused input, so that its diagnostic is published like any other).
    pub files: Vec<(PathBuf, Input)>,
}

/// The file system as the server may see it.
pub trait Workspace {
    /// The program the files of `folder` belong to: the sources of the project file that
    /// governs `folder` (the first `egressc.toml` from it upwards), else the `.egress` files of
    /// `folder` itself. An error (a message for the user) when the project file is invalid or
    /// names a source that cannot be found.
    fn program(&self, folder: &Path) -> Result<Loaded, String>;

    /// A file holding the text of the standard library file `name`, that editors may open
    /// read-only for go to definition; `None` when no such file can be written.
    fn stdlib_file(&self, name: &str, text: &str) -> Option<PathBuf>;
}

/// No file system: every program is made of open documents only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Workspace for NoFiles {
    fn program(&self, folder: &Path) -> Result<Loaded, String> {
        Ok(Loaded {
            root: folder.to_path_buf(),
            project: false,
            files: Vec::new(),
        })
    }

    fn stdlib_file(&self, _name: &str, _text: &str) -> Option<PathBuf> {
        None
    }
}
