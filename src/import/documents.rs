//! Input files → documents, each classified by `apiVersion` and `kind`.
//!
//! A file is a YAML stream (`---` separated); a `kind: List` document (what `kubectl get
//! networkpolicies -A -o yaml` prints) stands for its `items`. Each document's product decides
//! which reader and which mapping read it ([`Dialect`]); one import holds one product's
//! policies, since each product has its own rules for how policies combine. Other Kubernetes
//! objects are skipped (W0803); policies of APIs egressc does not import are refused (E0804).

use crate::Input;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};
use crate::verify::yaml::{self, Document, Node, Value};

use super::report::{Report, span};

/// The product whose semantics a document has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// `networking.k8s.io/v1` NetworkPolicy (and Calico's StagedKubernetesNetworkPolicy).
    Native,
    /// `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
    Cilium,
    /// `projectcalico.org/v3` NetworkPolicy, GlobalNetworkPolicy, their staged forms, Tier,
    /// NetworkSet and GlobalNetworkSet.
    Calico,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Native => "native NetworkPolicy",
            Dialect::Cilium => "Cilium",
            Dialect::Calico => "Calico",
        }
    }
}

/// One document to import.
#[derive(Clone, Debug)]
pub struct Doc {
    pub file: FileId,
    /// The document's number in its file (1-based).
    pub number: usize,
    pub yaml: Document,
    /// `NetworkPolicy payments/api-egress`, or `document N` when it has no kind or name.
    pub object: String,
    pub kind: String,
    /// `None`: not a policy document; skipped (or refused) when read.
    pub dialect: Option<Dialect>,
}

impl Doc {
    /// Where the document starts.
    pub fn span(&self, sources: &SourceMap) -> Span {
        span(sources, self.file, self.yaml.root.pos)
    }
}

/// A string field of a mapping node, if there is one.
fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
        _ => None,
    }
}

fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match field(node, key).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

/// `Kind namespace/name` as far as the document says (for reports), before it is read.
fn object_name(root: &Node, number: usize) -> String {
    let kind = text(root, "kind");
    let meta = field(root, "metadata");
    let name = meta.and_then(|m| text(m, "name"));
    let namespace = meta.and_then(|m| text(m, "namespace"));
    match (kind, name, namespace) {
        (Some(k), Some(n), Some(ns)) => format!("{k} {ns}/{n}"),
        (Some(k), Some(n), None) => format!("{k} {n}"),
        _ => format!("document {number}"),
    }
}

/// What a document is, by `apiVersion` and `kind`.
enum Class {
    /// A policy (or a set its policies use) of this product.
    Policy(Dialect),
    /// Nothing to import: the label and help line of the note.
    Skip(&'static str, &'static str),
    /// A policy that cannot be imported: the help line.
    Refuse(&'static str),
}

fn classify(api: &str, kind: &str) -> Class {
    Class::Policy(match (api, kind) {
        ("networking.k8s.io/v1", "NetworkPolicy")
        | ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy") => Dialect::Native,
        ("cilium.io/v2", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
            Dialect::Cilium
        }
        ("cilium.io/v2" | "cilium.io/v2alpha1", "CiliumCIDRGroup") => {
            return Class::Skip(
                "a CIDR group",
                "rules that refer to it by `cidrGroupRef` are reported where they do",
            );
        }
        (
            "projectcalico.org/v3",
            "NetworkPolicy"
            | "GlobalNetworkPolicy"
            | "StagedNetworkPolicy"
            | "StagedGlobalNetworkPolicy"
            | "Tier"
            | "NetworkSet"
            | "GlobalNetworkSet",
        ) => Dialect::Calico,
        (api, _) if api.starts_with("policy.networking.k8s.io/") => {
            return Class::Refuse(
                "AdminNetworkPolicy and ClusterNetworkPolicy are not imported yet: they order and pass traffic across namespaces, which the language cannot say",
            );
        }
        (api, _) if api.starts_with("crd.projectcalico.org/") => {
            return Class::Refuse(
                "this is Calico's storage form: export the policies through the projectcalico.org/v3 API (`calicoctl get ... -o yaml` or `kubectl get` with the Calico API server)",
            );
        }
        (api, _) if api.starts_with("cilium.io/") || api == "projectcalico.org/v3" => {
            return Class::Refuse(
                "egressc imports the policy kinds of this API listed in `egressc explain E0804`",
            );
        }
        _ => {
            return Class::Skip("skipped", "pass only policy documents to `egressc import`");
        }
    })
}

/// Reads every file into documents, flattening `kind: List`. Files are held to the limits of
/// every input (`crate::input`: E0106-E0109); files that cannot be read as YAML are reported
/// (E0801; not UTF-8 or binary: E0102, E0103) and contribute nothing.
pub fn read(inputs: &[Input], sources: &mut SourceMap, report: &mut Report) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut total = 0;
    for input in inputs {
        let id = FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
        let bytes = match crate::input::admit(id, input, &mut total) {
            Ok(bytes) => bytes,
            Err(d) => {
                sources.add(input.name.clone(), "");
                report.push(None, d);
                continue;
            }
        };
        let text = match crate::syntax::decode(id, bytes) {
            Ok(text) => text,
            Err(failed) => {
                let (shown, d) = *failed;
                sources.add(input.name.clone(), shown);
                report.push(None, d.help("give `egressc import` YAML text files"));
                continue;
            }
        };
        sources.add(input.name.clone(), text);
        let text = sources.get(id).map(|f| f.text.as_str()).unwrap_or_default();
        let stream = match yaml::parse(text) {
            Ok(s) => s,
            Err(e) => {
                let at = match e.pos {
                    Some(p) => span(sources, id, p),
                    None => Span::new(id, 0, 0),
                };
                report.push(
                    None,
                    Diagnostic::new(Code::E0801, at, format!("this YAML cannot be read: {e}"))
                        .label("here")
                        .help("fix the YAML (`kubectl apply --dry-run=client -f FILE` shows the same problem)"),
                );
                continue;
            }
        };
        for d in stream {
            let number = d.number;
            match (&text_of(&d.root, "apiVersion"), &text_of(&d.root, "kind")) {
                (Some(api), Some(kind)) if api == "v1" && kind == "List" => {
                    let items = match field(&d.root, "items").map(|n| &n.value) {
                        Some(Value::List(items)) => items.clone(),
                        _ => Vec::new(),
                    };
                    for root in items {
                        docs.push(doc(id, number, root));
                    }
                }
                _ => docs.push(doc(id, number, d.root)),
            }
        }
    }
    docs
}

fn text_of(node: &Node, key: &str) -> Option<String> {
    text(node, key).map(str::to_owned)
}

fn doc(file: FileId, number: usize, root: Node) -> Doc {
    let object = object_name(&root, number);
    let kind = text_of(&root, "kind").unwrap_or_default();
    Doc {
        file,
        number,
        object,
        kind,
        dialect: None,
        yaml: Document { number, root },
    }
}

/// Classifies every document and decides the import's dialect: skipped documents are
/// reported (W0803), refused ones too (E0804, E0802 without `apiVersion` or `kind`), and a
/// second product is refused (E0805). `None` when nothing is left to import.
pub fn dialect(docs: &mut [Doc], sources: &SourceMap, report: &mut Report) -> Option<Dialect> {
    let mut first: Option<(Dialect, Span)> = None;
    for (i, d) in docs.iter_mut().enumerate() {
        let at = d.span(sources);
        let (Some(api), Some(kind)) =
            (text(&d.yaml.root, "apiVersion"), text(&d.yaml.root, "kind"))
        else {
            report.push(
                Some(i),
                Diagnostic::new(
                    Code::E0802,
                    at,
                    "a Kubernetes object needs `apiVersion` and `kind` strings",
                )
                .label("neither a policy nor any other object")
                .help(
                    "give each document its `apiVersion` and `kind`, as `kubectl apply` requires",
                ),
            );
            continue;
        };
        match classify(api, kind) {
            Class::Policy(dialect) => {
                d.dialect = Some(dialect);
                match first {
                    None => first = Some((dialect, at)),
                    Some((f, earlier)) if f != dialect => {
                        report.push(
                            Some(i),
                            Diagnostic::new(
                                Code::E0805,
                                at,
                                format!(
                                    "`{kind}` is a {} policy, and this import already holds {} policies",
                                    dialect.name(),
                                    f.name()
                                ),
                            )
                            .label(format!("a {} policy", dialect.name()))
                            .secondary(earlier, format!("the first {} policy", f.name()))
                            .note("each product combines its policies by its own rules, and the imported program is checked against one product")
                            .help("import each product's policies on their own"),
                        );
                    }
                    Some(_) => {}
                }
            }
            Class::Skip(label, help) => report.push(
                Some(i),
                Diagnostic::new(
                    Code::W0803,
                    at,
                    format!("`{api}` `{kind}` is not an egress policy: skipped"),
                )
                .label(label)
                .help(help),
            ),
            Class::Refuse(help) => report.push(
                Some(i),
                Diagnostic::new(
                    Code::E0804,
                    at,
                    format!("`{api}` `{kind}` is not a policy kind that egressc imports"),
                )
                .label("its policies would be lost")
                .help(help),
            ),
        }
    }
    first.map(|(d, _)| d)
}
