//! The results of `egressc test` on the terminal: a table with one row per expectation and one
//! column per evaluator, then each failure in words, the cells a column cannot decide (E0403
//! diagnostics) and the count. Rendered first, printed after the JUnit file is written.

use egressc::Expectation;
use egressc::diagnostics::{Code, Diagnostics};
use egressc::source::SourceMap;
use egressc::verify::expect::Outcome;

use super::Fatal;
use super::columns::{Judge, describe_outcome, location};
use super::report::Reporter;
use super::stdio;

/// One expectation (its index) and its outcome in each column.
pub(crate) type Row = (usize, Vec<Outcome>);

/// Each expectation's label: `file:line` and its text after `expect`.
pub(crate) fn labels(sources: &SourceMap, expectations: &[Expectation]) -> Vec<String> {
    expectations
        .iter()
        .map(|e| {
            let (file, line, text) = location(sources, e.span);
            format!("{file}:{line} {}", text.trim_start_matches("expect "))
        })
        .collect()
}

/// The results of a run, rendered.
pub(crate) struct Results {
    /// The table and each failure in words (stdout).
    table: String,
    /// The cells a column cannot decide (stderr).
    undecidable: Diagnostics,
    /// How many cells did not pass.
    pub(crate) bad: usize,
    total: usize,
}

impl Results {
    /// Prints the table and failures, the undecidable cells and the count.
    pub(crate) fn print(&self, sources: &SourceMap, reporter: &Reporter) -> Result<(), Fatal> {
        stdio::out(&self.table)?;
        reporter.report_with(sources, &self.undecidable, "the run fails")?;
        stdio::out(&format!(
            "\n{} passed, {} failed\n",
            self.total - self.bad,
            self.bad
        ))
    }
}

/// Renders the table, the failures, the undecidable cells and the count.
pub(crate) fn render(
    expectations: &[Expectation],
    columns: &[Judge<'_>],
    rows: &[Row],
    labels: &[String],
) -> Results {
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(10)
        .min(90);
    let mut out = format!("{:<width$}", "expectation");
    for (c, _) in columns {
        out.push_str(&format!("  {:<8}", c.to_string()));
    }
    out.push('\n');
    let mut failures = Vec::new();
    let mut undecidable = Diagnostics::new();
    for ((i, outcomes), label) in rows.iter().zip(labels) {
        let shown: String = label.chars().take(width).collect();
        out.push_str(&format!("{shown:<width$}"));
        for ((c, _), o) in columns.iter().zip(outcomes) {
            let cell = match o {
                Outcome::Pass(_) => "pass",
                Outcome::Fail { .. } => "FAIL",
                Outcome::Undecidable { .. } => "UNDECIDED",
            };
            out.push_str(&format!("  {cell:<8}"));
            match o {
                Outcome::Pass(_) => {}
                Outcome::Fail { .. } => {
                    failures.push(format!("{label}\n  {c}: {}", describe_outcome(o)))
                }
                Outcome::Undecidable { flow, why } => {
                    if let Some(e) = expectations.get(*i) {
                        undecidable.push(
                            egressc::diagnostics::Diagnostic::new(
                                Code::E0403,
                                e.span,
                                format!("`{c}` cannot decide this expectation"),
                            )
                            .label(format!("{flow}"))
                            .note(why.to_string())
                            .help("add `resolving ADDRESS` after the host name, as in `api.stripe.com:443 resolving 203.0.113.7`"),
                        );
                    }
                }
            }
        }
        out.push('\n');
    }
    for f in &failures {
        out.push_str(&format!("\nFAIL {f}\n"));
    }
    let bad = failures.len() + undecidable.len();
    Results {
        table: out,
        undecidable,
        bad,
        total: rows.len() * columns.len(),
    }
}
