//! The Calico backends' YAML, read back, against the reference on the IR: crafted programs, every example and backend fixture over a grid of flows.

use ipnet::IpNet;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use super::utils::*;
use crate::backend::Target;
use crate::model::{NamespaceSel, Peer, PortSet, Proto, Wildcard};
use crate::verify::calico::CalicoEvaluator;
use crate::verify::{Destination, Flow, Pod, Undecidable};
use crate::{Input, compile};

#[test]
fn round_trip_addresses_ports_metadata_dns_and_namespaces() {
    let src = "namespace p\ndefault deny\napp a -> dns, postgres(10.20.30.0/24), pods(q){app=b}:8443, internet:443/tcp deny metadata\n";
    let a = pod("p", &[("app", "a")]);
    let flows = [
        flow(&a, addr("10.20.30.7"), Proto::Tcp, 5432),
        flow(&a, addr("10.20.30.7"), Proto::Tcp, 5433),
        flow(&a, addr("10.20.31.7"), Proto::Tcp, 5432),
        flow(&a, addr("169.254.169.254"), Proto::Tcp, 443),
        flow(&a, addr("fd00:ec2::254"), Proto::Tcp, 443),
        flow(&a, addr("1.1.1.1"), Proto::Tcp, 443),
        flow(&a, addr("2001:db8::1"), Proto::Tcp, 443),
        flow(&a, addr("1.1.1.1"), Proto::Udp, 443),
        flow(&a, dns_pod(), Proto::Udp, 53),
        flow(&a, dns_pod(), Proto::Tcp, 53),
        flow(&a, dns_pod(), Proto::Udp, 54),
        to_pod(
            &a,
            pod("kube-public", &[("k8s-app", "kube-dns")]),
            Proto::Udp,
            53,
        ),
        to_pod(&a, pod("q", &[("app", "b")]), Proto::Tcp, 8443),
        to_pod(&a, pod("p", &[("app", "b")]), Proto::Tcp, 8443),
        to_pod(&a, pod("q", &[("app", "c")]), Proto::Tcp, 8443),
        // Another pod of the namespace: only the default deny selects it.
        flow(&pod("p", &[("app", "z")]), addr("1.1.1.1"), Proto::Tcp, 443),
        // A pod of a namespace without policies.
        flow(
            &pod("r", &[("app", "a")]),
            addr("169.254.169.254"),
            Proto::Tcp,
            80,
        ),
    ];
    agree(src, Target::Calico, &flows);
    agree(src, Target::CalicoEnterprise, &flows);
    // The verdicts themselves, with what decided them.
    let c = compile(&[Input::new("t.egress", src)], &[Target::Calico]);
    let m = CalicoEvaluator::load(&c.outputs[0].stream(), false).unwrap();
    let d = decide(&m, &flows[0]);
    assert!(d.allowed);
    assert_eq!(d.rule.as_deref(), Some("p/a-egress spec.egress[2]"));
    assert_eq!(
        d.why,
        "Allow in tier default: 10.20.30.7 is in 10.20.30.0/24, protocol TCP, port 5432 is in 5432"
    );
    let d = decide(&m, &flows[1]);
    assert!(!d.allowed);
    assert_eq!(d.rule, None);
    assert_eq!(
        d.closest.as_deref(),
        Some(
            "p/a-egress spec.egress[2]: 10.20.30.7 is in 10.20.30.0/24, but tcp/5433 is not in ports 5432"
        )
    );
    let d = decide(&m, &flows[3]);
    assert!(!d.allowed);
    assert_eq!(d.rule.as_deref(), Some("p/a-egress-deny spec.egress[0]"));
    assert_eq!(
        d.why,
        "Deny in tier default: 169.254.169.254 is in 169.254.169.254/32"
    );
}

#[test]
fn round_trip_guardrails_and_pods_without_policy() {
    let src = "cluster no-metadata deny metadata\ncluster no-smtp deny internet:25/tcp\nnamespace q\napp a -> dns, internet:443/tcp\n";
    let a = pod("q", &[("app", "a")]);
    let loose = pod("z", &[("app", "free")]);
    let flows = [
        flow(&loose, addr("169.254.169.254"), Proto::Tcp, 80),
        flow(&loose, addr("1.1.1.1"), Proto::Tcp, 80),
        flow(&loose, addr("1.1.1.1"), Proto::Tcp, 25),
        flow(&loose, addr("1.1.1.1"), Proto::Udp, 25),
        to_pod(&loose, pod("q", &[("app", "a")]), Proto::Tcp, 25),
        flow(&a, addr("1.1.1.1"), Proto::Tcp, 443),
        flow(&a, addr("169.254.169.254"), Proto::Tcp, 443),
        flow(&a, addr("1.1.1.1"), Proto::Tcp, 80),
        flow(&a, addr("1.1.1.1"), Proto::Tcp, 25),
        flow(&a, dns_pod(), Proto::Udp, 53),
        flow(&pod("q", &[]), addr("1.1.1.1"), Proto::Tcp, 80),
    ];
    agree(src, Target::Calico, &flows);
    let c = compile(&[Input::new("t.egress", src)], &[Target::Calico]);
    let m = CalicoEvaluator::load(&c.outputs[0].stream(), false).unwrap();
    let d = decide(&m, &flows[0]);
    assert_eq!(
        d.rule.as_deref(),
        Some("egressc-guardrails.no-metadata spec.egress[0]")
    );
    assert!(
        d.why.starts_with("Deny in tier egressc-guardrails"),
        "{}",
        d.why
    );
    let d = decide(&m, &flows[1]);
    assert!(d.allowed);
    assert!(d.why.contains("defaultAction Pass"), "{}", d.why);
    let d = decide(&m, &flows[7]);
    assert!(!d.allowed);
    assert!(
        d.why.starts_with("end of tier default: q/a-egress select"),
        "{}",
        d.why
    );
}

#[test]
fn round_trip_domains_on_enterprise() {
    let src = "namespace j\ndefault deny\napp w -> dns, https(**.s3.amazonaws.com), fqdn(api.stripe.com:443), fqdn(example.org) deny metadata\n";
    let w = pod("j", &[("app", "w")]);
    let ip = Some("52.216.1.1");
    let flows = [
        flow(&w, host("bucket.s3.amazonaws.com", ip), Proto::Tcp, 443),
        flow(&w, host("a.b.s3.amazonaws.com", ip), Proto::Tcp, 443),
        flow(&w, host("s3.amazonaws.com", ip), Proto::Tcp, 443),
        flow(&w, host("bucket.s3.amazonaws.com", ip), Proto::Tcp, 80),
        flow(&w, host("api.stripe.com", ip), Proto::Tcp, 443),
        flow(&w, host("x.api.stripe.com", ip), Proto::Tcp, 443),
        flow(&w, host("example.org", ip), Proto::Udp, 9),
        flow(&w, host("evil.com", ip), Proto::Tcp, 443),
        flow(
            &w,
            host("api.stripe.com", Some("169.254.169.254")),
            Proto::Tcp,
            443,
        ),
        flow(&w, addr("52.216.1.1"), Proto::Tcp, 443),
    ];
    agree(src, Target::CalicoEnterprise, &flows);
    // Without an address, the metadata deny (by address, on every port) cannot be decided.
    let c = compile(&[Input::new("t.egress", src)], &[Target::CalicoEnterprise]);
    let m = CalicoEvaluator::load(&c.outputs[0].stream(), true).unwrap();
    assert_eq!(
        m.decide(&flow(&w, host("api.stripe.com", None), Proto::Tcp, 443)),
        Err(Undecidable::NeedsAddress {
            host: "api.stripe.com".into()
        })
    );
    // And open-source Calico refuses to read what the enterprise build emitted.
    assert!(CalicoEvaluator::load(&c.outputs[0].stream(), false).is_err());
}

#[test]
fn round_trip_selectors_that_yaml_could_misread() {
    // A selector that starts with `!` is a YAML tag unless quoted.
    let src = "namespace p\ndefault deny\npods legacy {!app} -> dns, pods{!app, tier notin (a, b)}:80, pods(*){env in (prod, staging)}:81\n";
    let legacy = pod("p", &[]);
    let flows = [
        flow(&legacy, dns_pod(), Proto::Udp, 53),
        to_pod(&legacy, pod("p", &[]), Proto::Tcp, 80),
        to_pod(&legacy, pod("p", &[("tier", "a")]), Proto::Tcp, 80),
        to_pod(&legacy, pod("p", &[("tier", "c")]), Proto::Tcp, 80),
        to_pod(&legacy, pod("p", &[("app", "x")]), Proto::Tcp, 80),
        to_pod(&legacy, pod("o", &[("env", "prod")]), Proto::Tcp, 81),
        to_pod(&legacy, pod("o", &[("env", "dev")]), Proto::Tcp, 81),
        flow(&pod("p", &[("app", "x")]), dns_pod(), Proto::Udp, 53),
    ];
    agree(src, Target::Calico, &flows);
}

/// Destinations and ports worth trying against a program: the peers it names (and near
/// misses), well-known addresses (as what the program's cluster has there), and the ports it
/// names (and their neighbours).
fn grid(ir: &crate::ir::Program) -> Vec<Flow> {
    let model = crate::verify::cluster::ClusterModel::new(&ir.cluster);
    let mut sources: Vec<Pod> = vec![pod("elsewhere", &[("app", "stranger")])];
    let mut dests: Vec<Destination> = [
        "10.20.30.7",
        "10.20.31.9",
        "10.40.7.5",
        "10.40.8.1",
        "10.30.0.5",
        "10.20.40.3",
        "10.20.50.3",
        "10.244.3.9",
        "10.96.0.10",
        "169.254.169.254",
        "1.1.1.1",
        "fd00:ec2::254",
        "2001:db8::1",
    ]
    .into_iter()
    .flat_map(|a| model.destinations_at(a.parse().unwrap(), "elsewhere"))
    .collect();
    dests.push(dns_pod());
    dests.push(Destination::Pod(pod("elsewhere", &[("app", "stranger")])));
    let mut ports: BTreeSet<(Proto, u16)> = [53, 443, 25, 80, 5432, 8080, 8443]
        .into_iter()
        .flat_map(|p| Proto::WITH_PORTS.map(|proto| (proto, p)))
        .collect();
    for p in &ir.policies {
        let me = Pod::new(p.namespace.clone(), p.selector.example());
        sources.push(me.clone());
        sources.push(pod(&p.namespace, &[("app", "stranger")]));
        dests.push(Destination::Pod(me));
        for r in p.allow.iter().chain(&p.deny) {
            if let PortSet::Ranges(rs) = &r.ports {
                for x in rs {
                    let (_, high) = x.proto.span();
                    ports.insert((x.proto, x.first));
                    ports.insert((x.proto, x.last));
                    ports.insert((x.proto, x.last.saturating_add(1).min(high)));
                }
            }
            for peer in &r.peers {
                match peer {
                    Peer::Pods {
                        namespace,
                        selector,
                    } => {
                        let ns = match namespace {
                            NamespaceSel::Named(n) => n.clone(),
                            NamespaceSel::Any | NamespaceSel::Labels(_) => "elsewhere".to_owned(),
                        };
                        dests.push(Destination::Pod(Pod::new(ns.clone(), selector.example())));
                        dests.push(Destination::Pod(pod(&ns, &[("app", "stranger")])));
                    }
                    Peer::Host(h) => {
                        let names = match h.wildcard {
                            Wildcard::None => vec![h.base.clone(), format!("x.{}", h.base)],
                            Wildcard::OneLabel | Wildcard::AnyLabels => vec![
                                h.base.clone(),
                                format!("a.{}", h.base),
                                format!("a.b.{}", h.base),
                            ],
                            // Calico refuses it (E0545); nothing of it is emitted.
                            Wildcard::InLabel => Vec::new(),
                        };
                        for name in names {
                            for a in ["203.0.113.7", "169.254.169.254", "10.20.30.7"] {
                                dests.push(host(&name, Some(a)));
                            }
                        }
                    }
                    Peer::Net(n) => {
                        for a in [n.network(), n.broadcast()] {
                            dests.extend(model.destinations_at(a, "elsewhere"));
                        }
                    }
                    // Every destination: the others here already stand for it.
                    Peer::Any | Peer::ApiServer | Peer::Nodes(_) | Peer::Cluster => {}
                    // Refused by the Calico backend (E0536, E0537, E0538, E0539).
                    Peer::Http { .. }
                    | Peer::Tls { .. }
                    | Peer::RemotePods { .. }
                    | Peer::Dns { .. } => {}
                    Peer::ServiceAccount { namespace, name } => {
                        dests.push(Destination::Pod(Pod {
                            service_account: name.clone(),
                            ..pod(namespace, &[("app", "runs-as")])
                        }));
                        dests.push(Destination::Pod(pod(namespace, &[("app", "runs-as")])));
                    }
                    Peer::Service { namespace, name } => dests.extend(
                        crate::verify::universe::service_endpoints(namespace, name, "elsewhere")
                            .into_iter()
                            .map(Destination::Pod),
                    ),
                }
            }
        }
    }
    dests.push(host("evil.example.net", Some("203.0.113.7")));
    let mut flows = Vec::new();
    for s in &sources {
        for d in &dests {
            for (proto, port) in &ports {
                flows.push(flow(s, d.clone(), *proto, *port));
            }
        }
    }
    flows.sort();
    flows.dedup();
    flows
}

/// `# targets: a, b` from the first lines of a source, or every target when absent.
fn targets_of(src: &str) -> Vec<Target> {
    let line = src
        .lines()
        .find_map(|l| l.strip_prefix("# targets:"))
        .unwrap_or("calico, calico-enterprise");
    line.split(',')
        .filter_map(|t| match t.trim() {
            "calico" => Some(Target::Calico),
            "calico-enterprise" => Some(Target::CalicoEnterprise),
            _ => None,
        })
        .collect()
}

fn sources_under(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "egress") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn crafted_sources_agree_with_the_reference() {
    let sources = [
        // Guardrails that deny pods, in one namespace and in all; a pod deny.
        "cluster no-db deny pods(db){app=pg}:5432/tcp\ncluster no-ssh deny pods(*){}:22/tcp\nnamespace q\napp a -> dns, pods(db){}, pods(*){}:22/tcp deny pods{app=secret}\n",
        // Overlapping policies (a union), a deny of a port range, a deny of pods on a port.
        "namespace q\ndefault deny\napp a -> dns, internet deny internet:25/tcp, 10.0.0.0/8:1000-2000/udp\npods b {tier=x} -> pods{app=a} deny pods{app=a}:80\npods all {} -> 10.20.30.0/24:443/tcp\n",
        // IPv4 and IPv6 together, SCTP, every port of a range.
        "namespace v\ndefault deny\napp a -> dns, fd00::/8:443, 10.0.0.0/8:443, 192.168.0.0/16:3868/sctp, 172.16.0.0/12 deny fd00:ec2::254/128, 10.1.0.0/16:443\n",
        // Two namespaces, pods across them, set-based selectors.
        "namespace a\ndefault deny\npods w {env in (prod, staging), tier!=batch} -> dns, pods(b){app=api}:8443, pods(b){app=api, env=prod}:9443\nnamespace b\napp api -> dns deny private\n",
    ];
    let mut problems = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        for target in [Target::Calico, Target::CalicoEnterprise] {
            let c = compile(&[Input::new("t.egress", *src)], &[target]);
            assert!(!c.has_errors(), "source {i}: {:?}", c.analysis.diagnostics);
            let flows = grid(c.analysis.ir.as_ref().unwrap());
            problems.extend(disagreements(&format!("source {i}"), src, target, &flows));
        }
    }
    assert!(
        problems.is_empty(),
        "{}",
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn round_trip_many_ports_and_nets_are_split_into_rules() {
    // More than 50 ports and more than 256 nets: the backend splits them over rules.
    let ports: Vec<String> = (0..120)
        .map(|i| format!("10.99.0.0/16:{}/tcp", 1000 + 2 * i))
        .collect();
    let nets: Vec<String> = (0..300)
        .map(|i| format!("10.{}.{}.0/24", i / 100, 2 * (i % 100)))
        .collect();
    let src = format!(
        "namespace n\ndefault deny\napp a -> {}, {}\n",
        ports.join(", "),
        nets.iter()
            .map(|n| format!("{n}:443/tcp"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let a = pod("n", &[("app", "a")]);
    let mut flows = Vec::new();
    for p in [999, 1000, 1001, 1120, 1238, 1239, 1240] {
        flows.push(flow(&a, addr("10.99.1.1"), Proto::Tcp, p));
    }
    for n in [0, 1, 199, 200, 299] {
        let net: IpNet = nets[n].parse().unwrap();
        flows.push(flow(
            &a,
            Destination::Address(net.broadcast()),
            Proto::Tcp,
            443,
        ));
        let next: IpAddr = match net.broadcast() {
            IpAddr::V4(v) => IpAddr::V4((u32::from(v) + 1).into()),
            v6 => v6,
        };
        flows.push(flow(&a, Destination::Address(next), Proto::Tcp, 443));
    }
    agree(&src, Target::Calico, &flows);
    let c = compile(&[Input::new("t.egress", src.as_str())], &[Target::Calico]);
    let yaml = c.outputs[0].stream();
    let m = CalicoEvaluator::load(&yaml, false).unwrap();
    // tcp/1238 is the 120th port: the third rule of 50 ports.
    let allowed = decide(&m, &flows[4]);
    assert_eq!(
        allowed.rule.as_deref(),
        Some("n/a-egress spec.egress[2]"),
        "{yaml}"
    );
}

#[test]
fn examples_and_fixtures_agree_with_the_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    sources_under(&root.join("examples"), &mut sources);
    for dir in ["calico/ok", "calico-enterprise/ok", "ok"] {
        sources_under(&root.join("tests/fixtures/backend").join(dir), &mut sources);
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, src) in &sources {
        for target in targets_of(src) {
            let c = compile(&[Input::new(name.as_str(), src.as_str())], &[target]);
            if c.has_errors() {
                // Fixtures under ok/ may be for other targets only.
                continue;
            }
            let flows = grid(c.analysis.ir.as_ref().unwrap());
            checked += flows.len();
            problems.extend(disagreements(name, src, target, &flows));
        }
    }
    assert!(checked > 10_000, "only {checked} flows checked");
    assert!(
        problems.is_empty(),
        "{} disagreements, first:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
