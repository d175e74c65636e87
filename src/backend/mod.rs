//! Stage 4: IR → YAML, one module per target. Backends see only the IR (never the AST); each
//! either expresses a policy exactly or refuses it with a coded diagnostic on the source span.

pub mod native;
mod yaml;

use std::fmt;

use crate::diagnostics::Diagnostics;
use crate::ir;
use crate::source::SourceMap;

/// An output target (`--target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `networking.k8s.io/v1` NetworkPolicy.
    Native,
}

impl Target {
    pub const ALL: &'static [Target] = &[Target::Native];

    pub fn name(self) -> &'static str {
        match self {
            Target::Native => "native",
        }
    }

    pub fn parse(text: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == text)
    }

    /// The names of every target, for messages.
    pub fn names() -> String {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        names.join(", ")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One emitted Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    pub kind: &'static str,
    /// The YAML text, starting with a header comment and ending with a newline.
    pub text: String,
}

/// Everything one target emitted for one program.
#[derive(Clone, Debug)]
pub struct Output {
    pub target: Target,
    pub documents: Vec<Document>,
}

impl Output {
    /// The documents as one multi-document YAML stream.
    pub fn stream(&self) -> String {
        let mut out = String::new();
        for (i, d) in self.documents.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&d.text);
        }
        out
    }
}

/// Emits `program` for `target`, or every reason it cannot.
pub fn emit(
    target: Target,
    program: &ir::Program,
    sources: &SourceMap,
) -> Result<Output, Diagnostics> {
    let documents = match target {
        Target::Native => native::emit(program, sources)?,
    };
    Ok(Output { target, documents })
}
