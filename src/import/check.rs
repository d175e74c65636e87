//! The self-check: the printed program is built for the input's own target, the YAML it emits
//! is read back by that product's reader, and both readings, the input's and the rebuilt one,
//! decide every flow of the universe at the edges of either (`verify::universe::compare_scoped`).
//! A flow the rebuilt program allows and the input does not is an importer defect (E0806, and
//! nothing is printed); one it denies and the input allows must have been reported as left out,
//! and is reported (W0802) when it was not.
//!
//! Like a test, this goes through the library's front door (`crate::compile`) and never calls a
//! backend directly.

use std::collections::BTreeSet;

use crate::diagnostics::{Code, Diagnostic, render};
use crate::lint::{Level, LintConfig};
use crate::source::{FileId, Span};
use crate::{Input, compile_with};

use super::program::Origin;
use super::report::Report;

/// How many differing flows are reported.
const LIMIT: usize = 20;

/// The input as its product reads it.
pub use crate::verify::reading::Reading as Model;

/// Where a program-wide problem is shown: the start of the first file.
fn nowhere() -> Span {
    Span::new(FileId(0), 0, 0)
}

/// E0806: the printed program is not what the input means; nothing is printed.
fn defect(message: String, note: String) -> Diagnostic {
    Diagnostic::new(Code::E0806, nowhere(), message)
        .label("in the import as a whole")
        .note(note)
        .help("this is a defect in egressc, not in your policies; please file an issue with this input")
}

/// Every lint allowed: the self-check reads only the build's errors and its YAML, and a lint
/// warns, unless denied, which this check never asks for.
fn no_lints() -> LintConfig {
    LintConfig {
        levels: crate::lint::registry::RULES
            .iter()
            .map(|r| (r.code, Level::Allow))
            .collect(),
        deny_warnings: false,
    }
}

/// Builds `printed` for the model's target and compares the two readings on every flow.
/// `origins` are the statements' sources, to say which document a narrower flow concerns.
pub fn against(model: &Model, printed: &str, origins: &[Origin], report: &mut Report) {
    let target = model.target();
    let c = compile_with(
        &[Input::new("imported.egress", printed)],
        &[target],
        &no_lints(),
    );
    if c.has_errors() {
        let errors: Vec<Diagnostic> = c
            .analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        report.push(
            None,
            defect(
                format!("the imported program does not build for {target}"),
                render::human(&c.analysis.sources, &errors),
            ),
        );
        return;
    }
    let Some(emitted) = c.outputs.first().map(crate::backend::Output::stream) else {
        return;
    };
    // The build is not needed any more: only its YAML, read back.
    drop(c);
    let rebuilt = match model.reread(&emitted) {
        Ok(m) => m,
        Err(e) => {
            report.push(
                None,
                defect(
                    format!("the {target} YAML of the imported program cannot be read back"),
                    e,
                ),
            );
            return;
        }
    };
    drop(emitted);
    let Some(comparison) = model.compare(&rebuilt, LIMIT) else {
        return;
    };
    for u in &comparison.undecided {
        report.push(
            None,
            defect(
                "a flow could not be decided on both sides".into(),
                u.clone(),
            ),
        );
    }
    let mut narrowed: BTreeSet<usize> = BTreeSet::new();
    for d in &comparison.differences {
        let at = d.want.rule.as_deref().unwrap_or("the default");
        if d.got.allowed {
            report.push(
                None,
                defect(
                    format!(
                        "the imported program allows `{}`, which the input does not",
                        d.flow
                    ),
                    format!("the input decides it by {at}: {}", d.want.why),
                ),
            );
            continue;
        }
        // Narrower: fine when the document that allowed it reported a loss; else say so.
        let doc = origins.iter().find(|o| {
            d.want
                .rule
                .as_deref()
                .is_some_and(|r| r.contains(o.object.as_str()))
        });
        match doc {
            Some(o) if report.narrowed(o.doc) || !narrowed.insert(o.doc) => {}
            Some(o) => report.narrower(
                o.doc,
                o.span,
                format!(
                    "{} {}: the imported program denies `{}`, which {at} allows",
                    o.kind, o.object, d.flow
                ),
                "review what this allowed, and write it by hand where the language can say it",
            ),
            None => report.push(
                None,
                defect(
                    format!(
                        "the imported program denies `{}`, which the input allows",
                        d.flow
                    ),
                    format!("the input allows it by {at}: {}", d.want.why),
                ),
            ),
        }
    }
}
