//! What `egressc test` and `egressc trace` share: the columns of a run (the reference evaluator
//! on the IR, then each target's emitted YAML read back) and how their answers are written.

use std::process::ExitCode;

use egressc::backend::Target;
use egressc::source::SourceMap;
use egressc::verify::expect::Outcome;
use egressc::verify::reference::Reference;
use egressc::verify::{self, Column, Evaluator};

use super::report::Reporter;
use super::stdio;

/// A column of a test run and its evaluator.
pub(crate) type Judge<'a> = (Column, Box<dyn Evaluator + 'a>);

/// The evaluators of a test run: the reference first, then every target that emits the program.
/// A target that refuses is skipped with a note, or is an error when `explicit`.
pub(crate) fn evaluators<'a>(
    analysis: &'a egressc::Analysis,
    ir: &'a egressc::ir::Program,
    targets: &[Target],
    explicit: bool,
    reporter: &Reporter,
) -> Result<Vec<Judge<'a>>, ExitCode> {
    let mut out: Vec<Judge<'a>> = vec![(Column::Reference, Box::new(Reference::new(ir)))];
    for t in targets {
        match egressc::backend::emit(*t, ir, &analysis.sources) {
            Ok(o) => match verify::load(*t, &o.stream()) {
                Ok(e) => out.push((Column::Target(*t), e)),
                Err(e) => {
                    stdio::err(&format!("error: {t}: {e}\n"));
                    return Err(ExitCode::from(1));
                }
            },
            Err(diags) if explicit => {
                // Stderr is all that is left when this report cannot be written.
                if let Err(super::Fatal(e)) = reporter.report(&analysis.sources, &diags) {
                    stdio::err(&format!("error: {e}\n"));
                }
                return Err(ExitCode::from(1));
            }
            Err(diags) => {
                let mut codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
                codes.dedup();
                stdio::err(&format!(
                    "note: skipped {t}: it cannot express this program ({})\n",
                    codes.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// Where a span is: file name, line and the first line of its text.
pub(crate) fn location(
    sources: &SourceMap,
    span: egressc::source::Span,
) -> (String, usize, String) {
    let file = sources.name(span.file).to_owned();
    let (line, _) = sources
        .get(span.file)
        .map(|f| f.line_col(span.start as usize))
        .unwrap_or((0, 0));
    let text = sources
        .slice(span)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    (file, line, text)
}

/// An outcome in words: the verdict, the rule that decided it and why (with the closest rule
/// when it failed).
pub(crate) fn describe_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Pass(d) => format!(
            "{} by {} ({})",
            d.verdict(),
            d.rule.clone().unwrap_or_else(|| "default".into()),
            d.why
        ),
        Outcome::Fail { flow, decision } => {
            let mut s = format!(
                "{flow}: {} by {} ({})",
                decision.verdict(),
                decision.rule.clone().unwrap_or_else(|| "default".into()),
                decision.why
            );
            if let Some(c) = &decision.closest {
                s.push_str(&format!("; closest: {c}"));
            }
            s
        }
        Outcome::Undecidable { flow, why } => format!("{flow}: cannot be decided: {why}"),
    }
}
