//! The single registry of diagnostic codes: code, default severity and one-line title, and for
//! errors the long explanation (`explain/CODE.md`, printed by `egressc explain CODE`). A lint's
//! explanation, name and settings live with its check (`lint::rules`), since `diagnostics` is
//! a leaf that no stage-specific module feeds; `lint::explanation` covers every code.
//!
//! Blocks: E00xx internal, E01xx input and syntax, E02xx names, E03xx types and values,
//! E04xx expectations, E05xx target capabilities, E06xx project file and output folder, E07xx settings and suppressions,
//! E09xx the files `fmt`, `diff` and reports read and replace, W01xx lints,
//! E08xx and W08xx `egressc import` (what it refuses and what it could not carry over: import
//! diagnostics on YAML files, not lints; their pages are `explain/CODE.md` as for errors).

use super::Severity;

macro_rules! codes {
    (
        errors { $( $code:ident $sev:ident $title:literal; )* }
        lints { $( $lint:ident $lint_title:literal; )* }
        import { $( $imp:ident $imp_sev:ident $imp_title:literal; )* }
    ) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $code, )* $( $lint, )* $( $imp, )* }

        impl Code {
            /// Every registered code, in order.
            pub const ALL: &'static [Code] = &[ $( Code::$code, )* $( Code::$lint, )* $( Code::$imp, )* ];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$code => stringify!($code), )*
                    $( Code::$lint => stringify!($lint), )*
                    $( Code::$imp => stringify!($imp), )*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $( Code::$code => Severity::$sev, )*
                    $( Code::$lint => Severity::Warning, )*
                    $( Code::$imp => Severity::$imp_sev, )*
                }
            }

            /// A short title, as in the README's code table.
            pub fn title(self) -> &'static str {
                match self {
                    $( Code::$code => $title, )*
                    $( Code::$lint => $lint_title, )*
                    $( Code::$imp => $imp_title, )*
                }
            }

            /// The long explanation of an error or an import diagnostic, with a wrong and a
            /// right example; `None` for a lint, whose page is in its rule file
            /// (`lint::explanation` answers for every code).
            pub fn explanation(self) -> Option<&'static str> {
                match self {
                    $( Code::$code => Some(include_str!(concat!("explain/", stringify!($code), ".md"))), )*
                    $( Code::$lint => None, )*
                    $( Code::$imp => Some(include_str!(concat!("explain/", stringify!($imp), ".md"))), )*
                }
            }

            /// Whether this is a lint's code (W01xx).
            pub fn is_lint(self) -> bool {
                matches!(self, $( Code::$lint )|*)
            }

            /// Whether this is a diagnostic of `egressc import` (E08xx, W08xx), about YAML.
            pub fn is_import(self) -> bool {
                matches!(self, $( Code::$imp )|*)
            }
        }
    };
}

codes! {
    errors {
        E0001 Bug "internal compiler error";
        E0101 Error "syntax error";
        E0102 Error "file is not valid UTF-8";
        E0103 Error "file is binary";
        E0104 Error "file holds no statements";
        E0105 Error "malformed literal";
        E0106 Error "source file too large";
        E0107 Error "sources too large in total";
        E0108 Error "not a readable regular file";
        E0109 Error "source outside the folder given";
        E0110 Error "brackets nested too deeply";
        E0201 Error "unknown name";
        E0202 Error "duplicate definition";
        E0203 Error "two statements generate the same policy";
        E0204 Error "statement outside a namespace";
        E0205 Error "recursive definition";
        E0206 Error "invalid name";
        E0207 Error "invalid label key or value";
        E0208 Error "unknown parameter";
        E0209 Error "unknown type";
        E0210 Error "duplicate parameter";
        E0211 Error "expansion too large";
        E0212 Error "definitions nested too deeply";
        E0213 Error "expansion budget exhausted";
        E0301 Error "wrong argument type";
        E0302 Error "wrong number of arguments";
        E0303 Error "CIDR with host bits set";
        E0304 Error "prefix length out of range";
        E0305 Error "malformed IP address";
        E0306 Error "port out of range";
        E0307 Error "reversed port range";
        E0308 Error "malformed host name";
        E0309 Error "wildcard not at the start of a host name";
        E0310 Error "unknown protocol";
        E0311 Error "ports on something that is not a destination";
        E0312 Error "conflicting ports";
        E0340 Error "a port on a protocol without ports";
        E0341 Error "ICMP of the other IP family";
        E0342 Error "malformed ICMP type or code";
        E0343 Error "a port on a Service";
        E0320 Error "`none` with other destinations or outside an allow list";
        E0321 Error "a deny after `none`";
        E0322 Error "a label selector on something that is not pods or a namespace";
        E0350 Error "a malformed `dns(...)`";
        E0351 Error "not a DNS name";
        E0352 Error "a DNS name list in a deny list";
        E0353 Error "a host name outside the workload's DNS name list";
        E0354 Error "a DNS name list beside another allowance of the DNS server on port 53";
        E0355 Error "a DNS name list in a host statement";
        E0360 Error "an exclusion list naming no namespace";
        E0370 Error "a namespace scope on a host statement";
        E0371 Error "pods as the subject of a host statement";
        E0372 Error "`this-node` in a host statement";
        E0361 Error "not an HTTP path pattern";
        E0362 Error "a `*` before the end of an HTTP path pattern";
        E0363 Error "an HTTP rule on a destination without a TCP port";
        E0364 Error "a malformed `http(...)`";
        E0365 Error "a quoted text where a destination is expected";
        E0366 Error "not an HTTP method";
        E0367 Error "an HTTP rule in a deny list";
        E0368 Error "an HTTP rule on port 53";
        E0369 Error "an HTTP rule in a host statement";
        E0373 Error "a malformed `tls(...)`";
        E0374 Error "not a TLS server name";
        E0375 Error "a TLS rule without a TCP port other than 53";
        E0376 Error "a TLS rule in a deny list";
        E0378 Error "a TLS rule in a host statement";
        E0377 Error "a TLS rule beside another allowance of its destination and port";
        E0379 Error "not a reserved identity a statement can select";
        E0380 Error "not a cluster name";
        E0381 Error "pods of another cluster without `set cluster-name`";
        E0382 Error "the program's own cluster named as another cluster";
        E0383 Error "a malformed cluster of a pods destination";
        E0390 Error "not an HTTP header name";
        E0391 Error "not an HTTP header value";
        E0392 Error "a header named twice in one `http(...)`";
        E0393 Error "a header Cilium's proxy sets, rewrites or removes";
        E0401 Error "expectation names an unknown workload";
        E0402 Error "`resolving` needs a host name and one address";
        E0403 Error "expectation cannot be decided by this target";
        E0501 Error "host names are not supported by this target";
        E0502 Error "deny cannot be expressed by this target";
        E0503 Error "a host-name deny cannot be enforced";
        E0504 Error "cluster-wide guardrails are not supported by this target";
        E0535 Error "cluster-wide allow-lists are not supported by this target";
        E0542 Error "host statements are not supported by this target";
        E0543 Error "a host statement narrower than calico's failsafe ports";
        E0544 Error "a node label cilium leaves out of a node's identity";
        E0549 Error "reserved identities are not supported by this target";
        E0536 Error "HTTP rules are not supported by this target";
        E0537 Error "TLS server names are not supported by this target";
        E0538 Error "pods of another cluster are not supported by this target";
        E0539 Error "DNS name lists are not supported by this target";
        E0545 Error "a wildcard inside a label cannot be expressed by this target";
        E0505 Error "host names without a DNS allowance on cilium";
        E0506 Error "one-label wildcard cannot be expressed by this target";
        E0520 Error "protocol not supported by this target";
        E0521 Error "ICMP code not supported by this target";
        E0522 Error "a destination in the cluster needs a cluster fact on this target";
        E0523 Error "this node and other nodes cannot be told apart by this target";
        E0524 Error "Services by name are not supported by this target";
        E0508 Error "namespaces chosen by label in a namespaced cilium policy";
        E0509 Error "service accounts are not supported by this target";
        E0510 Error "DNS visibility on cilium with another DNS server";
        E0601 Error "invalid project file";
        E0602 Error "symlink in the output folder";
        E0603 Error "output folder locked by another build";
        E0604 Error "invalid output manifest";
        E0605 Error "file in the output folder not generated by egressc";
        E0606 Error "special file in the output folder";
        E0607 Error "project path outside the project folder";
        E0608 Error "project file is not a regular file";
        E0701 Error "unknown setting";
        E0702 Error "invalid setting";
        E0703 Error "unknown lint code or name";
        E0704 Error "suppression without a reason";
        E0705 Error "`@allow` not followed by a statement";
        E0706 Error "invalid DNS server";
        E0716 Error "a cluster fact that is not an address or a range";
        E0717 Error "API server address neither on a node nor outside the cluster";
        E0901 Bug "the formatted text would not mean what the file means";
        E0902 Error "the program at a git revision cannot be read";
        E0903 Error "a git revision refused";
        E0904 Error "not a regular file to replace";
    }
    lints {
        W0101 "egress without DNS";
        W0102 "wide private CIDR";
        W0103 "cloud metadata endpoint reachable";
        W0104 "any-address allowance in one IP family only";
        W0105 "namespace without default deny";
        W0106 "destination listed twice or inside another";
        W0107 "unused definition";
        W0108 "loose DNS where the strict form would do";
        W0109 "CIDR overlaps the cluster's pod or service range";
        W0110 "statements select overlapping pods";
        W0111 "wide port range";
        W0116 "address range while the pod or node ranges are undeclared";
        W0120 "an HTTP rule on port 443";
        W0121 "a TLS rule on port 80";
        W0122 "a credential in a header requirement";
    }
    import {
        E0801 Error "YAML that cannot be read";
        E0802 Error "invalid policy document";
        E0803 Error "document cannot be imported without widening it";
        E0804 Error "not a policy kind that egressc imports";
        E0805 Error "policies of several products in one import";
        E0806 Bug "the imported program does not mean what its input means";
        W0801 Warning "not carried over, without effect on egress";
        W0802 Warning "left out: the imported program allows less";
        W0803 Warning "document skipped: no egress policy";
    }
}

impl Code {
    /// Looks a code up by its text, case-insensitively (`e0303` works).
    pub fn parse(text: &str) -> Option<Code> {
        let upper = text.trim().to_ascii_uppercase();
        Code::ALL.iter().copied().find(|c| c.as_str() == upper)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
