//! Helpers shared by the evaluator tests: pods, destinations and flows, loading each product's
//! evaluator (or its refusal), deciding, and holding a target's emitted YAML to the reference.

use std::fmt::Debug;

use crate::backend::Target;
use crate::model::Proto;
pub use crate::verify::Evaluator;
use crate::verify::calico::CalicoEvaluator;
use crate::verify::cilium::CiliumEvaluator;
use crate::verify::native::NativeEvaluator;
use crate::verify::reference::Reference;
use crate::verify::{self, Decision, Destination, Flow, Labels, Pod, Undecidable, kube_dns};
use crate::{Input, compile};

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn pod(namespace: &str, pairs: &[(&str, &str)]) -> Pod {
    Pod::new(namespace, labels(pairs))
}

/// The pod most tests start from: `app=api` in `payments`.
pub fn api() -> Pod {
    pod("payments", &[("app", "api")])
}

pub fn addr(a: &str) -> Destination {
    Destination::Address(a.parse().unwrap())
}

pub fn host(name: &str, address: Option<&str>) -> Destination {
    Destination::Host {
        name: name.to_owned(),
        address: address.map(|a| a.parse().unwrap()),
    }
}

/// The cluster DNS pods as a destination.
pub fn dns_pod() -> Destination {
    Destination::Pod(kube_dns())
}

/// An address that stands for what a host name resolves to.
pub const RESOLVED: &str = "203.0.113.7";

pub fn flow(source: &Pod, destination: Destination, proto: Proto, port: u16) -> Flow {
    Flow {
        source: source.clone(),
        destination,
        proto,
        port,
        http: None,
        tls: None,
        dns: None,
    }
}

pub fn to_addr(source: &Pod, a: &str, proto: Proto, port: u16) -> Flow {
    flow(source, addr(a), proto, port)
}

pub fn to_pod(source: &Pod, dest: Pod, proto: Proto, port: u16) -> Flow {
    flow(source, Destination::Pod(dest), proto, port)
}

/// A TCP flow to a host name.
pub fn to_host(source: &Pod, name: &str, address: Option<&str>, port: u16) -> Flow {
    flow(source, host(name, address), Proto::Tcp, port)
}

pub fn decide(e: &impl Evaluator, f: &Flow) -> Decision {
    e.decide(f).unwrap_or_else(|err| panic!("{f}: {err}"))
}

pub fn allowed(e: &impl Evaluator, f: &Flow) -> bool {
    decide(e, f).allowed
}

pub fn native(yaml: &str) -> NativeEvaluator {
    NativeEvaluator::load(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// A Cilium evaluator on these documents.
pub fn cilium(docs: &[String]) -> CiliumEvaluator {
    let yaml = docs.join("---\n");
    CiliumEvaluator::load(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

pub fn calico(yaml: &str) -> CalicoEvaluator {
    CalicoEvaluator::load(yaml, false).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Why loading was refused: the `BadYaml` message.
pub fn refusal<T: Debug>(loaded: Result<T, Undecidable>) -> String {
    match loaded {
        Err(Undecidable::BadYaml(m)) => m,
        other => panic!("expected BadYaml, got {other:?}"),
    }
}

/// Compiles `src` for `target`; its IR and emitted YAML.
pub fn compiled(src: &str, target: Target) -> (crate::ir::Program, String) {
    let c = compile(&[Input::new("t.egress", src)], &[target]);
    assert!(!c.has_errors(), "{src}: {:?}", c.analysis.diagnostics);
    let yaml = c.outputs[0].stream();
    (c.analysis.ir.unwrap(), yaml)
}

/// The codes of the errors compiling `src` for `target` reports.
pub fn error_codes(src: &str, target: Target) -> Vec<String> {
    let c = compile(&[Input::new("t.egress", src)], &[target]);
    c.analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str().to_owned())
        .collect()
}

/// Compiles `src` (named `name`) for `target` and decides each flow by the reference and by the
/// target's emitted YAML; one line per flow they decide differently, but for the documented
/// difference on undeclared pod and node addresses (`universe::undeclared_difference`).
pub fn disagreements(name: &str, src: &str, target: Target, flows: &[Flow]) -> Vec<String> {
    let c = compile(&[Input::new(name, src)], &[target]);
    assert!(!c.has_errors(), "{name}: {:?}", c.analysis.diagnostics);
    let ir = c.analysis.ir.as_ref().unwrap();
    let yaml = c.outputs[0].stream();
    let evaluator = verify::load(target, &yaml).unwrap_or_else(|e| panic!("{name}: {e}\n{yaml}"));
    let reference = Reference::new(ir);
    let model = verify::cluster::ClusterModel::new(&ir.cluster);
    let mut out = Vec::new();
    for f in flows {
        let want = reference.decide(f).unwrap();
        match evaluator.decide(f) {
            Ok(got) if got.allowed == want.allowed => {}
            // Counted by the equivalence tests, which check that W0116 says so.
            Ok(_) if verify::universe::undeclared_difference(&model, target, f) => {}
            Ok(got) => out.push(format!(
                "{name} ({target}): {f}\n  reference: {} ({})\n  {target}: {} by {:?}: {} / {:?}\n{yaml}",
                want.verdict(),
                want.why,
                got.verdict(),
                got.rule,
                got.why,
                got.closest
            )),
            Err(e) => out.push(format!("{name} ({target}): {f}: cannot decide: {e}")),
        }
    }
    out
}

/// Every flow gets the same verdict from `target`'s YAML as from the reference.
pub fn agree(src: &str, target: Target, flows: &[Flow]) {
    let d = disagreements("t.egress", src, target, flows);
    assert!(d.is_empty(), "{}", d.join("\n"));
}

/// [`agree`], and the verdict is the expected one.
pub fn agree_on(src: &str, target: Target, flows: &[(Flow, bool)]) {
    let (ir, _) = compiled(src, target);
    let reference = Reference::new(&ir);
    for (f, expected) in flows {
        assert_eq!(reference.decide(f).unwrap().allowed, *expected, "{f}");
    }
    let flows: Vec<Flow> = flows.iter().map(|(f, _)| f.clone()).collect();
    agree(src, target, &flows);
}

// ---- native NetworkPolicy ----

/// A policy in `payments` selecting `app=api`, with `spec` appended (indented by 2).
pub fn np(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: payments\nspec:\n  podSelector:\n    matchLabels:\n      app: api\n{spec}"
    )
}

/// A NetworkPolicy as our native backend writes it: DNS, a database range, HTTPS anywhere but
/// the metadata address.
pub const API_EGRESS: &str = "# Generated by hand. Do not edit.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  labels:
    app.kubernetes.io/managed-by: egressc
  name: payments-api-egress
  namespace: payments
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  - to:
    - ipBlock:
        cidr: 10.20.30.0/24
    ports:
    - port: 5432
      protocol: TCP
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except:
        - 169.254.169.254/32
    ports:
    - port: 443
";

// ---- Cilium ----

/// A CiliumNetworkPolicy in `ns` with `spec` appended (indented by 2).
pub fn cnp(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
    )
}

/// A CiliumClusterwideNetworkPolicy with `spec` appended (indented by 2).
pub fn ccnp(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n{spec}"
    )
}

// ---- Calico ----

/// A Calico NetworkPolicy `p/a` selecting every pod of `p` for egress, with these `egress` rules
/// (indented by 2).
pub fn calico_egress(rules: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: a, namespace: p}}\nspec:\n  selector: all()\n  types: [Egress]\n  egress:\n{rules}"
    )
}
