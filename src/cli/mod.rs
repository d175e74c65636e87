//! The command line: argument parsing (clap) and dispatch to one file per command. Exit codes:
//! 0 success, 1 diagnostics with errors (or stale output under `--check`), 2 usage or I/O error.
//!
//! Each command parses its arguments and calls the library; what several commands share lives
//! beside them: [`inputs`] (project file and folders → inputs), [`report`] (diagnostics on
//! stderr), [`output`] (the `-o DIR` folder), [`columns`] (the evaluators of `test` and `trace`),
//! [`table`] and [`junit`] (the results of `test`). Nothing prints but [`stdio`], which never
//! panics on a closed stdout or stderr (the lints below keep it so).

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod build;
mod check;
mod columns;
mod diff;
mod explain;
mod fmt;
mod git;
mod graph;
mod import;
mod inputs;
mod junit;
mod lsp;
mod manual;
mod output;
mod read;
mod report;
mod stdio;
mod table;
mod targets;
mod test;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use stdio::ColorChoice;

use egressc::backend::Target;
use egressc::diagnostics::render::Format;
use egressc::diagnostics::{Code, suggest};
use egressc::lint::{Level, LintConfig, registry};

/// Examples shown after `egressc --help`.
const EXAMPLES: &str = "\
Examples:
  egressc build policies/ --target native          YAML on stdout
  egressc build policies/ -o generated/ --check     CI: exit 1 when generated/ is stale
  egressc build                                     the project of egressc.toml
  egressc check --error-format sarif > egressc.sarif
  egressc fmt --check                               CI: exit 1 and a diff when not formatted
  egressc diff --base origin/main --format markdown what a pull request changes
  egressc graph policies/ --format mermaid          who reaches what, as a picture
  egressc explain E0501

Exit status: 0 success, 1 errors in the policies (or stale output, unformatted files, a wider
diff with --fail-on wider), 2 usage or I/O error.";

#[derive(Parser)]
#[command(
    name = "egressc",
    version,
    about = "Compile egress policies to NetworkPolicy, Cilium and Calico YAML",
    after_help = EXAMPLES
)]
pub(crate) struct Cli {
    /// When to colour diagnostics on stderr: auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        global = true,
        value_name = "WHEN"
    )]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ErrorFormat {
    /// Text with source excerpts.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// A SARIF 2.1.0 log, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// One line each, `file:line:col: severity[CODE]: message` (quickfix lists, grep).
    Short,
}

/// How diagnostics are reported and which lints apply.
#[derive(clap::Args)]
struct DiagOpts {
    /// The form of diagnostics: human text on stderr, or a report (json, sarif, github, short)
    /// on stdout when the command prints nothing else there.
    #[arg(long, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    /// Write the diagnostics to FILE instead (replaced whole, never through a symlink).
    #[arg(long, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Exit 1 (and write nothing) if there is any warning.
    #[arg(long)]
    deny_warnings: bool,
    /// Silence these lints (comma separated codes or names, e.g. W0105 or no-default-deny).
    #[arg(long, value_delimiter = ',', value_name = "LINT")]
    allow: Vec<String>,
    /// Report these lints as warnings (overrides --deny-warnings for them).
    #[arg(long, value_delimiter = ',', value_name = "LINT")]
    warn: Vec<String>,
    /// Report these lints as errors.
    #[arg(long, value_delimiter = ',', value_name = "LINT")]
    deny: Vec<String>,
}

impl DiagOpts {
    /// Where and how this command reports diagnostics.
    fn reporter(&self, stdout: report::Stdout) -> report::Reporter {
        report::Reporter::new(format(self.error_format), self.output_file.clone(), stdout)
    }

    fn lints(&self) -> Result<LintConfig, Fatal> {
        let mut config = LintConfig {
            deny_warnings: self.deny_warnings,
            ..LintConfig::default()
        };
        for (flag, codes, level) in [
            ("--allow", &self.allow, Level::Allow),
            ("--warn", &self.warn, Level::Warn),
            ("--deny", &self.deny, Level::Deny),
        ] {
            for c in codes {
                config.levels.insert(lint_code(flag, c)?, level);
            }
        }
        Ok(config)
    }
}

/// A lint given on the command line, by code (`W0101`) or name (`no-dns`).
fn lint_code(flag: &str, text: &str) -> Result<Code, Fatal> {
    match registry::find(text) {
        Some(rule) => Ok(rule.code),
        None => {
            let hint = registry::closest(text)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_else(|| format!("; the lints are {}", registry::listing()));
            Err(Fatal(format!(
                "error[{}]: unknown lint `{text}` in {flag}{hint}",
                Code::E0703
            )))
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// Kubernetes YAML (the default).
    Yaml,
    /// The normalised intermediate representation, as text.
    Ir,
}

#[derive(Subcommand)]
enum Command {
    /// Compile policies to YAML: on stdout, or into a folder with `-o`.
    Build {
        /// Files or folders (searched for `*.egress`). Without any, the project file
        /// `egressc.toml` is searched from the current folder upwards.
        paths: Vec<PathBuf>,
        /// Targets, comma separated: native, cilium, calico, calico-enterprise (default: the
        /// project file's targets, else native).
        #[arg(long, short, value_delimiter = ',')]
        target: Vec<String>,
        /// Write `DIR/<namespace>/<name>.yaml` and `DIR/kustomization.yaml` instead of printing.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// With an output folder (`-o`, or the project file's `output`): write nothing, list
        /// stale files and exit 1 if any.
        #[arg(long)]
        check: bool,
        /// How long to wait for another build into the same output folder to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        lock_timeout: u64,
        /// What to print.
        #[arg(long, value_enum, default_value = "yaml")]
        emit: Emit,
        #[command(flatten)]
        diag: DiagOpts,
    },
    /// Type-check and lint, and report what `build` would refuse for the targets named (or the
    /// project file's); nothing is written.
    #[command(
        after_help = "Examples:\n  egressc check policies/ --target native,cilium\n  egressc check --deny-warnings --error-format sarif > egressc.sarif\n  egressc check --error-format short   (file:line:col: severity[CODE]: message)"
    )]
    Check {
        /// Files, folders or `-` (stdin); without any, the project file's sources.
        paths: Vec<PathBuf>,
        /// Targets, comma separated (default: the project file's; without any, the language
        /// alone is checked).
        #[arg(long, short, value_delimiter = ',')]
        target: Vec<String>,
        #[command(flatten)]
        diag: DiagOpts,
    },
    /// Check every `expect` statement against the IR and each target's emitted YAML.
    Test {
        paths: Vec<PathBuf>,
        /// Targets, comma separated (default: every target; targets that refuse the program are
        /// skipped unless named here).
        #[arg(long, short, value_delimiter = ',')]
        target: Vec<String>,
        /// Also write the results as JUnit XML.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        #[command(flatten)]
        diag: DiagOpts,
    },
    /// Explain one flow: per target, the verdict and the source line, IR rule and emitted rule
    /// that decided it (or the rule that came closest).
    Trace {
        paths: Vec<PathBuf>,
        /// The source workload, `NAMESPACE/NAME` (an `app` or `pods` statement).
        #[arg(long, value_name = "NAMESPACE/NAME")]
        from: String,
        /// The destination, as in an expectation: `10.20.30.7:5432/tcp`, `api.stripe.com:443`,
        /// `api.stripe.com:443 resolving 203.0.113.7`, `kube-dns:53/udp`, `metadata`.
        #[arg(long, value_name = "DEST")]
        to: String,
        #[arg(long, short, value_delimiter = ',')]
        target: Vec<String>,
        #[command(flatten)]
        diag: DiagOpts,
    },
    /// Write the egressc program that means what existing YAML policies mean (native
    /// NetworkPolicy, Cilium, Calico), and report what could not be carried over.
    Import {
        /// YAML files, folders (searched for `*.yaml`, `*.yml`, `*.json`), or `-` for stdin.
        paths: Vec<PathBuf>,
        /// Write the program to this file (atomically) instead of printing it.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Exit 0 when the program is printed, even if something was left out (it is still
        /// reported).
        #[arg(long)]
        allow_loss: bool,
        #[arg(long, value_enum, default_value = "human")]
        error_format: ErrorFormat,
    },
    /// Lay source files out canonically, in place; with `--check`, print a diff and exit 1
    /// instead when a file is not formatted.
    #[command(
        after_help = "Examples:\n  egressc fmt                          the project file's sources\n  egressc fmt policies/ --check        CI: exit 1 and a diff when a file is not formatted\n  egressc fmt - < payments.egress      standard input, formatted on stdout"
    )]
    Fmt {
        /// Files, folders (searched for `*.egress`) or `-` (stdin); without any, the project
        /// file's sources.
        paths: Vec<PathBuf>,
        /// Write nothing: print a unified diff of each file that is not formatted, exit 1 if any.
        #[arg(long)]
        check: bool,
        #[arg(long, value_enum, default_value = "human")]
        error_format: ErrorFormat,
    },
    /// What a change to the policies does: per target and workload, the flows gained and lost
    /// (decided by the evaluators, not by comparing text), and the new refusals and warnings.
    #[command(
        after_help = "Examples:\n  egressc diff --base origin/main                  the project's sources against a git revision\n  egressc diff --base origin/main --format markdown --fail-on wider   a pull-request comment; exit 1 when wider\n  egressc diff old/ policies/                      two folders (or files)\n  egressc diff live.yaml policies/                 YAML from the cluster (as import reads it) against the program"
    )]
    Diff {
        /// OLD and NEW (files or folders; OLD may be YAML policies); with `--base`, the paths
        /// to compare at that revision (without any, the project file's sources).
        paths: Vec<PathBuf>,
        /// Compare with the same paths at this git revision (a branch, tag or commit).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// Targets, comma separated (default: the project file's, else native; for YAML, its
        /// own product).
        #[arg(long, short, value_delimiter = ',')]
        target: Vec<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: diff::DiffFormat,
        /// `wider`: exit 1 when anything becomes reachable that was not.
        #[arg(long, value_enum, value_name = "WHAT")]
        fail_on: Option<diff::FailOn>,
    },
    /// Draw which workloads reach which destinations (allowed and denied edges, per namespace)
    /// as Mermaid or DOT.
    #[command(
        after_help = "Examples:\n  egressc graph policies/                     Mermaid, for a ```mermaid block in markdown\n  egressc graph policies/ --format dot | dot -Tsvg > egress.svg"
    )]
    Graph {
        /// Files, folders or `-` (stdin); without any, the project file's sources.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: graph::GraphFormat,
    },
    /// Explain a diagnostic code (`E0303`), a lint name (`no-dns`) or a standard library name
    /// (`rds`).
    Explain { what: String },
    /// List the targets.
    Targets,
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  egressc completions bash > ~/.local/share/bash-completion/completions/egressc\n  egressc completions zsh > ~/.zfunc/_egressc"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(
        after_help = "Examples:\n  egressc man > ~/.local/share/man/man1/egressc.1\n  egressc man | man -l -"
    )]
    Man,
}

/// A usage or I/O failure: message on stderr, exit 2.
struct Fatal(String);

/// Ends the life of a command's result without freeing it piece by piece: the process exits
/// right after, and the system takes its memory back at once (dropping the values of 100,000
/// workloads one allocation at a time costs more than a tenth of the build).
fn leave<T>(result: T) {
    std::mem::forget(result);
}

impl Fatal {
    /// A failure with a diagnostic code, printed as `error[CODE]: message` and a help line.
    fn coded(code: Code, message: impl std::fmt::Display, help: &str) -> Fatal {
        Fatal(format!("error[{code}]: {message}\n  = help: {help}"))
    }
}

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

/// Parses the arguments and runs the command; a usage or I/O failure is printed and exits 2.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => {
            stdio::init_color(c.color);
            Ok(c)
        }
        Err(e) => Err(e),
    };
    let cli = match cli {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(Fatal(msg)) if msg.starts_with("error[") => {
            stdio::err(&format!("{msg}\n"));
            ExitCode::from(2)
        }
        Err(Fatal(msg)) => {
            stdio::err(&format!("error: {msg}\n"));
            ExitCode::from(2)
        }
    }
}

/// Hands each command its arguments.
fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Build {
            paths,
            target,
            output,
            check,
            lock_timeout,
            emit,
            diag,
        } => build::run(
            paths,
            target,
            output,
            (check, std::time::Duration::from_secs(lock_timeout)),
            emit,
            &diag,
        ),
        Command::Check {
            paths,
            target,
            diag,
        } => check::run(paths, &target, &diag),
        Command::Test {
            paths,
            target,
            junit,
            diag,
        } => test::run(paths, &target, junit, &diag),
        Command::Trace {
            paths,
            from,
            to,
            target,
            diag,
        } => trace::run(paths, &from, &to, &target, &diag),
        Command::Import {
            paths,
            output,
            allow_loss,
            error_format,
        } => import::run(&paths, output, allow_loss, error_format),
        Command::Fmt {
            paths,
            check,
            error_format,
        } => fmt::run(paths, check, error_format),
        Command::Diff {
            paths,
            base,
            target,
            format,
            fail_on,
        } => diff::run(paths, base, &target, format, fail_on),
        Command::Graph { paths, format } => graph::run(paths, format),
        Command::Explain { what } => explain::run(&what),
        Command::Targets => targets::run(),
        Command::Lsp => lsp::run(),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man => manual::man(),
    }
}

/// The renderer of an `--error-format`.
fn format(f: ErrorFormat) -> Format {
    match f {
        ErrorFormat::Human => Format::Human,
        ErrorFormat::Json => Format::Json,
        ErrorFormat::Sarif => Format::Sarif,
        ErrorFormat::Github => Format::Github,
        ErrorFormat::Short => Format::Short,
    }
}

/// The named targets, without repeats; an unknown name is a usage error.
fn parse_targets(names: &[String]) -> Result<Vec<Target>, Fatal> {
    let mut targets = Vec::new();
    for n in names {
        match Target::parse(n.trim()) {
            Some(t) if !targets.contains(&t) => targets.push(t),
            Some(_) => {}
            None => {
                let hint = suggest::did_you_mean(n, Target::ALL.iter().map(|t| t.name()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(Fatal(format!(
                    "unknown target `{n}`{hint}; the targets are: {}",
                    Target::names()
                )));
            }
        }
    }
    Ok(targets)
}

/// The named targets (and `true`), or every target (and `false`) when none is named.
fn targets_or_all(names: &[String]) -> Result<(Vec<Target>, bool), Fatal> {
    if names.is_empty() {
        Ok((Target::ALL.to_vec(), false))
    } else {
        Ok((parse_targets(names)?, true))
    }
}
