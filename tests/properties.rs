//! Property tests: no input makes the parser, checker or any backend panic, and every
//! diagnostic points inside the file it names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests fail by panicking"
)]

use egressc::backend::Target;
use egressc::{Input, compile};
use proptest::prelude::*;

/// Fragments of the language, so that random programs get past the parser often.
const FRAGMENTS: &[&str] = &[
    "namespace payments\n",
    "namespace ",
    "app ",
    "pods ",
    "default deny\n",
    "cluster guard deny ",
    "def ",
    "x",
    "payments-api",
    " -> ",
    "->",
    ", ",
    ",\n",
    " deny ",
    "dns",
    "metadata",
    "internet",
    "private",
    "rds(",
    "fqdn(",
    "https(",
    "http(api.example.com:80, ",
    "header = ",
    "\"X-Team: payments\"",
    "X-Trace-Id",
    "redis(",
    ")",
    "(",
    "10.20.30.0/24",
    "10.20.30.1/24",
    "10.0.0.0/8:8000-8100/udp",
    ":5432",
    ":0",
    ":70000",
    "/tcp",
    "/udp",
    "fd00:ec2::254/128",
    "[fd00::1]:443",
    "::/0",
    "api.stripe.com:443",
    "*.example.com",
    "**.example.com",
    "api.*.com",
    "pods{app=x}",
    "pods(kube-system){k8s-app=kube-dns}:53/udp",
    "pods(*){}",
    "{tier=web, env in (a, b), !legacy}",
    " = ",
    "(net: cidr, port: port = 8080)",
    "net:port/tcp",
    "\n",
    "# comment\n",
    "## doc\n",
    " ",
    "é",
    "\"",
    "=",
];

fn check(bytes: Vec<u8>) {
    let c = compile(&[Input::new("prop.egress", bytes)], Target::ALL);
    let sources = &c.analysis.sources;
    for d in c.analysis.diagnostics.iter() {
        for l in &d.labels {
            let f = sources.get(l.span.file).expect("label names a known file");
            assert!(l.span.start <= l.span.end, "{d:?}");
            assert!(
                (l.span.end as usize) <= f.text.len(),
                "label past end of file: {d:?}"
            );
            assert!(f.text.is_char_boundary(l.span.start as usize), "{d:?}");
            assert!(f.text.is_char_boundary(l.span.end as usize), "{d:?}");
        }
    }
    // Rendering never fails either.
    let all: Vec<_> = c.analysis.diagnostics.iter().cloned().collect();
    let _ = egressc::diagnostics::render::human(sources, &all);
    if !c.has_errors() {
        assert_eq!(c.outputs.len(), Target::ALL.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(bytes);
    }

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let text: String = parts.iter().map(|i| FRAGMENTS[*i]).collect();
        check(text.into_bytes());
    }

    #[test]
    fn valid_prefix_with_soup_never_panics(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..30)) {
        let mut text = String::from("namespace payments\napp payments-api -> dns, ");
        text.extend(parts.iter().map(|i| FRAGMENTS[*i]));
        check(text.into_bytes());
    }
}
