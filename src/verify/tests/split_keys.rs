//! The keys of `universe::Split` hold what they claim: from one source, flows whose
//! destinations have equal keys and whose ports have equal keys get the same verdict, on every
//! product, for every example's YAML and every source, destination and port its universe tries.
//! A self-check that decides one flow per class is as strong as one that decides them all
//! only while this holds.

use std::collections::BTreeMap;
use std::path::Path;

use super::utils::{addr, dns_pod, host};
use crate::backend::Target;
use crate::model::Proto;
use crate::verify::cursor::{Mode, Reader};
use crate::verify::universe::{Scoped, Split};
use crate::verify::{Flow, Undecidable, calico, cilium, native, yaml};
use crate::{Input, compile};

/// A verdict as the comparison sees it: allowed or denied, or not decided (for want of an
/// address, or not).
type Verdict = Result<bool, bool>;

/// A flow's destination key and port key.
type Keys = (Vec<u8>, Vec<u8>);

fn verdict(e: &dyn Split, flow: &Flow) -> Verdict {
    e.decide(flow).map(|d| d.allowed).map_err(|e| match e {
        Undecidable::NeedsAddress { .. } => true,
        Undecidable::BadYaml(_) => false,
    })
}

/// Every flow of `scoped`'s sources, grouped by their keys, decides alike; returns how many
/// flows were tried.
fn keys_hold(name: &str, scoped: &dyn Scoped) -> usize {
    let mut tried = 0;
    for source in scoped.sources() {
        let (e, mut seeds) = scoped.scope(&source);
        seeds.destinations.extend([
            dns_pod(),
            addr("8.8.8.8"),
            addr("169.254.169.254"),
            host("example.org", None),
            host("example.org", Some("203.0.113.7")),
        ]);
        seeds
            .ports
            .extend([(Proto::Tcp, 443), (Proto::Udp, 53), (Proto::Icmp, 8 << 8)]);
        let mut seen: BTreeMap<Keys, (Flow, Verdict)> = BTreeMap::new();
        for d in &seeds.destinations {
            for &(proto, port) in &seeds.ports {
                let flow = Flow {
                    source: source.clone(),
                    destination: d.clone(),
                    proto,
                    port,
                    http: None,
                    tls: None,
                    dns: None,
                };
                let (mut dk, mut pk) = (Vec::new(), Vec::new());
                e.destination_key(&flow, &mut dk);
                e.port_key(&flow, &mut pk);
                let v = verdict(e.as_ref(), &flow);
                tried += 1;
                match seen.get(&(dk.clone(), pk.clone())) {
                    Some((first, w)) => assert_eq!(
                        *w, v,
                        "{name}: `{first}` and `{flow}` have the same keys but not the same verdict"
                    ),
                    None => {
                        seen.insert((dk, pk), (flow, v));
                    }
                }
            }
        }
    }
    tried
}

#[test]
fn equal_keys_give_equal_verdicts_on_every_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut tried = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "egress") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        for target in [
            Target::Native,
            Target::Cilium,
            Target::Calico,
            Target::CalicoEnterprise,
        ] {
            let built = compile(&[Input::new(name.clone(), text.clone())], &[target]);
            let Some(output) = built.outputs.first() else {
                continue;
            };
            let docs = yaml::parse(&output.stream()).unwrap();
            let reader = Reader::new(Mode::Evaluate);
            let label = format!("{name} on {target}");
            tried += match target {
                Target::Native => keys_hold(
                    &label,
                    &native::read::policies(&docs, &reader).unwrap().scoped(),
                ),
                Target::Cilium => keys_hold(
                    &label,
                    &cilium::read::policies(&docs, &reader).unwrap().scoped(),
                ),
                Target::Calico | Target::CalicoEnterprise => {
                    let enterprise = target == Target::CalicoEnterprise;
                    let tiers = calico::read::tiers(&docs, &reader, enterprise).unwrap();
                    keys_hold(&label, &tiers.scoped())
                }
            };
        }
    }
    assert!(tried > 10_000, "only {tried} flows tried");
}
