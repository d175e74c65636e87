//! The self-check catches a wrong program. The input is what a program builds to on each
//! target; the printed program is replaced by one with a planted defect, and the check must
//! refuse it (E0806, nothing printed) when it allows more, and must not call it exact when it
//! allows less. A defect for one workload hides among others that are right, so that a check
//! that tried too few sources, destinations or ports would miss it.

use super::{Imported, draft};
use crate::Input;
use crate::backend::Target;
use crate::diagnostics::Code;

const PROGRAM: &str = "namespace shop
default deny
app a -> 10.0.0.0/24:5432/tcp, pods{app=db}:8080/tcp, dns
app b -> dns
app c -> 192.168.0.0/16:443/tcp deny 192.168.1.0/24

namespace other
app a -> pods{app=db}:9000/tcp
";

/// Defects that make the program allow more than [`PROGRAM`]: what, and the text replaced.
const WIDER: &[(&str, &str, &str)] = &[
    (
        "a wider range",
        "10.0.0.0/24:5432/tcp,",
        "10.0.0.0/23:5432/tcp,",
    ),
    (
        "another port",
        "10.0.0.0/24:5432/tcp,",
        "10.0.0.0/24:5432-5433/tcp,",
    ),
    (
        "another protocol",
        "10.0.0.0/24:5432/tcp,",
        "10.0.0.0/24:5432/tcp, 10.0.0.0/24:5432/udp,",
    ),
    (
        "pods of any label",
        "pods{app=db}:8080/tcp,",
        "pods{}:8080/tcp,",
    ),
    (
        "a denied range let in",
        "192.168.0.0/16:443/tcp deny 192.168.1.0/24",
        "192.168.0.0/16:443/tcp",
    ),
    (
        "another workload's peer",
        "app b -> dns",
        "app b -> dns, 10.0.0.0/24:5432/tcp",
    ),
    (
        "the same name in another namespace",
        "app a -> pods{app=db}:9000/tcp",
        "app a -> pods{app=db}:9000/tcp, 10.0.0.0/24:5432/tcp",
    ),
];

/// Imports what [`PROGRAM`] builds to on `target`, with the printed program replaced.
fn checked(target: Target, printed: &str) -> Imported {
    let built = crate::compile(&[Input::new("program.egress", PROGRAM)], &[target]);
    assert!(!built.has_errors(), "the program builds for {target}");
    let yaml = built
        .outputs
        .first()
        .map(|o| o.stream())
        .unwrap_or_default();
    let mut d = draft(&[Input::new("input.yaml", yaml)]);
    assert!(d.program.is_some(), "{target}: the input imports");
    d.program = Some(printed.to_owned());
    d.check()
}

const TARGETS: [Target; 3] = [Target::Native, Target::Cilium, Target::Calico];

#[test]
fn the_program_itself_is_exact() {
    for t in TARGETS {
        let imported = checked(t, PROGRAM);
        assert!(imported.exact(), "{t}: {:?}", imported.diagnostics);
    }
}

#[test]
fn a_program_that_allows_more_is_refused() {
    for t in TARGETS {
        for (what, from, to) in WIDER {
            assert!(
                PROGRAM.contains(from),
                "{what}: `{from}` is not in the program"
            );
            let imported = checked(t, &PROGRAM.replacen(from, to, 1));
            assert!(
                imported.diagnostics.iter().any(|d| d.code == Code::E0806),
                "{t}, {what}: the check missed it: {:?}",
                imported.diagnostics
            );
            assert!(imported.program.is_none(), "{t}, {what}: printed anyway");
        }
    }
}

#[test]
fn a_program_that_allows_less_is_not_exact() {
    let narrower = [
        PROGRAM.replace(", pods{app=db}:8080/tcp", ""),
        PROGRAM.replace("deny 192.168.1.0/24", "deny 192.168.0.0/17"),
        PROGRAM.replace("app b -> dns", "app b -> none"),
    ];
    for t in TARGETS {
        for printed in &narrower {
            let imported = checked(t, printed);
            assert!(!imported.exact(), "{t}: called exact:\n{printed}");
        }
    }
}
