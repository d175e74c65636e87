//! Shared by the evaluator tests: compile a source for a target, read the emitted YAML back with
//! that target's evaluator, and hold it to the reference over the program's flow universe.

use egressc::backend::Target;
use egressc::verify::{self, universe};
use egressc::{Input, compile};

/// The disagreements (at most `limit`, followed by the YAML when there are any) and how many
/// flows agreed. `Err("refused")` when the target refuses the program; any other `Err` when the
/// program does not check or the YAML cannot be read back.
pub fn compare(source: &str, target: Target, limit: usize) -> Result<(Vec<String>, usize), String> {
    let c = compile(&[Input::new("program.egress", source)], &[target]);
    let Some(ir) = c.analysis.ir.as_ref() else {
        let codes: Vec<&str> = c
            .analysis
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        return Err(format!("the program does not check: {codes:?}\n{source}"));
    };
    let Some(output) = c.outputs.first().filter(|_| !c.has_errors()) else {
        return Err("refused".into());
    };
    let yaml = output.stream();
    let evaluator = verify::load(target, &yaml).map_err(|e| format!("{target}: {e}\n{yaml}"))?;
    let agreement = universe::compare(ir, evaluator.as_ref(), target.name(), limit);
    let mut problems = agreement.disagreements;
    if !problems.is_empty() {
        problems.push(yaml);
    }
    Ok((problems, agreement.agreed))
}
