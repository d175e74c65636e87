//! The whole pipeline on one input: parse, check, lower, lint, every backend alone, every
//! diagnostic in every output format, and each target's YAML read back by its evaluator and held
//! to the reference over the program's flow universe. A panic, a stack overflow, a timeout or an
//! evaluator that disagrees with the reference is a finding.

#![no_main]

use egressc::backend::Target;
use egressc::diagnostics::render::{self, Format};
use egressc::verify::{self, universe};
use egressc::{Input, compile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = [Input::new("fuzz.egress", data)];
    for target in Target::ALL.iter().copied() {
        let c = compile(&input, &[target]);
        let diags: Vec<_> = c.analysis.diagnostics.iter().cloned().collect();
        for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
            let _ = render::render(format, &c.analysis.sources, &diags);
        }
        let (Some(ir), Some(output)) = (c.analysis.ir.as_ref(), c.outputs.first()) else {
            continue;
        };
        if c.has_errors() {
            continue;
        }
        let yaml = output.stream();
        let evaluator = match verify::load(target, &yaml) {
            Ok(e) => e,
            Err(e) => panic!("{target} cannot read its own output back: {e}\n{yaml}"),
        };
        let agreement = universe::compare(ir, evaluator.as_ref(), target.name(), 1);
        if let Some(d) = agreement.disagreements.first() {
            panic!("{target} disagrees with the reference: {d}\n{yaml}");
        }
    }
});
