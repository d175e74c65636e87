//! `egressc import`: YAML policies (files, folders searched for `*.yaml`, `*.yml` and `*.json`,
//! or `-` for standard input) → one egressc program, on stdout or written atomically with
//! `-o FILE`, and the loss report on stderr.
//!
//! Exit status: 0 when the program means exactly what the input means; 1 when anything was
//! left out (the program is still written) or the input is invalid (nothing is written);
//! `--allow-loss` makes the first case 0 after reporting; 2 for usage and I/O errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use egressc::Input;
use egressc::diagnostics::render::Format;
use egressc::import::{self, Imported, Verdict};

use super::inputs;
use super::report::{Reporter, Stdout};
use super::stdio::{self, path as shown};
use super::{ErrorFormat, Fatal, format};

/// The files a folder's walk reads: YAML and JSON (JSON is YAML).
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The inputs named on the command line, in order: `-` is standard input (read up to the limit
/// of every input, which refuses more), any other path a file or a folder walked for
/// [`EXTENSIONS`], read as sources are.
fn inputs(paths: &[PathBuf]) -> Result<Vec<Input>, Fatal> {
    if paths.is_empty() {
        return Err(Fatal(
            "no input: give YAML files, folders, or `-` for standard input".into(),
        ));
    }
    let mut out = Vec::new();
    for group in paths.split_inclusive(|p| p.as_os_str() == "-") {
        let (files, stdin) = match group.split_last() {
            Some((last, rest)) if last.as_os_str() == "-" => (rest, true),
            _ => (group, false),
        };
        if !files.is_empty() {
            let read = inputs::files(files, EXTENSIONS)?;
            if read.is_empty() {
                return Err(Fatal("no .yaml, .yml or .json files found".into()));
            }
            out.extend(read);
        }
        if stdin {
            out.push(inputs::stdin()?);
        }
    }
    Ok(out)
}

/// Writes `text` to `path` atomically: into a new file beside it, then renamed over it.
fn write_atomically(path: &Path, text: &str) -> Result<(), Fatal> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Fatal(format!("{}: not a file name", shown(path))))?;
    let mut n = 0u32;
    let (tmp, mut file) = loop {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".egressc-{}-{n}", std::process::id()));
        let tmp = dir.join(tmp_name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(Fatal(format!("{}: {e}", shown(&tmp)))),
        }
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Fatal(format!("{}: {e}", shown(path))));
    }
    Ok(())
}

/// `imported 3 documents: 2 exact, 1 narrower (reported), 0 refused`.
fn summary(imported: &Imported) -> String {
    let counts = imported.counts();
    let n = |v| counts.get(&v).copied().unwrap_or(0);
    let total = imported.outcomes.len();
    format!(
        "imported {total} document{}: {} exact, {} narrower (reported above), {} refused\n",
        if total == 1 { "" } else { "s" },
        n(Verdict::Exact),
        n(Verdict::Narrower),
        n(Verdict::Refused)
    )
}

/// Imports the inputs, reports, and prints or writes the program.
pub(crate) fn run(
    paths: &[PathBuf],
    output: Option<PathBuf>,
    allow_loss: bool,
    error_format: ErrorFormat,
) -> Result<ExitCode, Fatal> {
    let format = format(error_format);
    let inputs = inputs(paths)?;
    let imported = import::import(&inputs);
    // The report has stdout when the program goes to a file.
    let stdout = if output.is_some() {
        Stdout::Free
    } else {
        Stdout::Taken
    };
    let reporter = Reporter::new(format, None, stdout);
    reporter.report_with(
        &imported.sources,
        &imported.diagnostics,
        "nothing was printed",
    )?;
    reporter.finish()?;
    let human = format == Format::Human;
    let Some(program) = &imported.program else {
        if human {
            stdio::err(&summary(&imported));
        }
        return Ok(ExitCode::from(1));
    };
    match &output {
        Some(path) => {
            write_atomically(path, program)?;
            if human {
                stdio::err(&format!("wrote {}\n", shown(path)));
            }
        }
        None => stdio::out(program)?,
    }
    if human {
        stdio::err(&summary(&imported));
    }
    let lost = !imported.exact() || imported.lost_anything();
    Ok(if lost && !allow_loss {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
