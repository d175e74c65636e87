//! Shared by the evaluator tests: compile a source for a target, read the emitted YAML back with
//! that target's evaluator, and hold it to the reference over the program's flow universe.

use egressc::backend::Target;
use egressc::verify::{self, universe};
use egressc::{Input, compile};

/// The disagreements (at most `limit`, followed by the YAML when there are any), how many
/// flows agreed, and how many differed as documented (undeclared pod and node addresses, which
/// W0116 must then warn about). `Err("refused")` when the target refuses the program; any other `Err` when the
/// program does not check or the YAML cannot be read back.
pub fn compare(
    source: &str,
    target: Target,
    limit: usize,
) -> Result<(Vec<String>, usize, usize), String> {
    compare_inputs(&[Input::new("program.egress", source)], target, limit)
}

/// [`compare`] for a program of several inputs.
pub fn compare_inputs(
    inputs: &[Input],
    target: Target,
    limit: usize,
) -> Result<(Vec<String>, usize, usize), String> {
    let c = compile(inputs, &[target]);
    let Some(ir) = c.analysis.ir.as_ref() else {
        let codes: Vec<&str> = c
            .analysis
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(format!("the program does not check: {codes:?}\n{names:?}"));
    };
    let Some(output) = c.outputs.first().filter(|_| !c.has_errors()) else {
        return Err("refused".into());
    };
    let yaml = output.stream();
    let evaluator = verify::load(target, &yaml).map_err(|e| format!("{target}: {e}\n{yaml}"))?;
    let agreement = universe::compare(ir, evaluator.as_ref(), target, limit);
    let mut problems = agreement.disagreements;
    // A documented difference is never silent: the program says so with W0116.
    let warned = c
        .analysis
        .diagnostics
        .iter()
        .any(|d| d.code.as_str() == "W0116");
    if agreement.wider_undeclared > 0 && !warned {
        problems.push(format!(
            "{target} allows {} flow(s) to undeclared pod or node addresses, and no W0116 says so",
            agreement.wider_undeclared
        ));
    }
    if !problems.is_empty() {
        problems.push(yaml);
    }
    Ok((
        problems,
        agreement.agreed,
        agreement.wider_undeclared + agreement.narrower_undeclared,
    ))
}
