//! `egressc import`: YAML policies written for a product (native NetworkPolicy, Cilium, Calico)
//! → the egressc program that means the same, and a report of what could not be carried over.
//!
//! Pure: text in, program text and diagnostics out (the command line reads and writes files).
//! The steps, each in its own file:
//!
//! 1. `documents.rs`: each file's YAML stream into documents (a `kind: List` into its items),
//!    each classified by `apiVersion`/`kind` into a [`Dialect`]; what is not a policy is
//!    skipped (W0803) or refused (E0804).
//! 2. The product's reader in `src/verify/` (`Mode::Import`) reads each document as that
//!    product does; what it does not model is left out where that only narrows, and recorded.
//! 3. One mapping per dialect (`native.rs`, `cilium.rs`, `calico.rs`: one function per field or
//!    kind of peer) turns the product's policies into statements (`program::Program`);
//!    whatever the language cannot say is left out when that narrows (W0802) and refused when
//!    leaving it out would widen (E0803). Nothing is ever widened.
//! 4. `layout.rs` prints the program as a person would write it: grouped by namespace,
//!    standard-library names where they are exactly equal, a definition for a peer used many
//!    times, a comment naming the objects each statement came from.
//! 5. `check.rs` builds the printed program for the input's own target, reads the YAML it
//!    emits back with the same product evaluator, and decides every flow of the universe (the
//!    edges of both) on the input and on the rebuilt program: any difference is reported.
//!
//! Every diagnostic points into the YAML file (line and column); the source map holds the YAML
//! files. When there is any error, no program is returned.

mod calico;
mod check;
mod cilium;
mod documents;
mod layout;
mod names;
mod native;
mod program;
mod report;
mod shared;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::Input;
use crate::backend::Target;
use crate::diagnostics::Diagnostics;
use crate::source::SourceMap;
use crate::verify::reading::Reading;

pub use documents::Dialect;

/// How one input document fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Its egress meaning is carried over exactly (parts without effect on egress, such as
    /// ingress rules, may be reported as not carried over).
    Exact,
    /// Something it allows was left out, and reported: the program allows less.
    Narrower,
    /// Invalid, or not importable without widening: nothing is printed.
    Refused,
}

/// One input document: where it is, what it is and how it fared.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The file's name in the source map.
    pub file: String,
    /// The document's number in its file's stream (1-based; the items of a `kind: List` share
    /// their list's).
    pub number: usize,
    /// `NetworkPolicy payments/payments-api-egress`, or `document N` before it is named.
    pub object: String,
    pub verdict: Verdict,
}

/// The result of an import.
#[derive(Debug)]
pub struct Imported {
    /// The YAML files read, for rendering the diagnostics.
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// The program, unless there was an error.
    pub program: Option<String>,
    /// The target whose semantics the input has (the self-check builds for it).
    pub target: Option<Target>,
    /// Every document read, in input order.
    pub outcomes: Vec<Outcome>,
}

impl Imported {
    /// Whether the program means exactly what the input means for egress: no error and nothing
    /// left out that allowed something.
    pub fn exact(&self) -> bool {
        self.program.is_some() && self.outcomes.iter().all(|o| o.verdict == Verdict::Exact)
    }

    /// Whether anything was reported as not carried over (narrower or without effect).
    pub fn lost_anything(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.code.is_import() && !d.is_error())
    }

    /// How many documents had each verdict.
    pub fn counts(&self) -> BTreeMap<Verdict, usize> {
        let mut out = BTreeMap::new();
        for o in &self.outcomes {
            *out.entry(o.verdict).or_default() += 1;
        }
        out
    }
}

/// Imports YAML files (each a stream of documents) into one program, checked against its
/// input. Names in `inputs` are shown in diagnostics and comments.
pub fn import(inputs: &[Input]) -> Imported {
    draft(inputs).check()
}

/// YAML policies as the importer reads them, before any program is written: what `egressc diff`
/// compares a program with.
#[derive(Debug)]
pub struct Live {
    /// The YAML files read, for rendering the diagnostics.
    pub sources: SourceMap,
    /// What the reading refused or left out (E08xx, W08xx).
    pub diagnostics: Diagnostics,
    /// The policies as their product reads them; `None` when they cannot be read (an error
    /// other than one about writing them as a program).
    pub reading: Option<Reading>,
}

/// Reads YAML policies as [`import`] does, leaving out what it leaves out (and reporting it),
/// without writing or checking a program.
pub fn live(inputs: &[Input]) -> Live {
    let draft = draft(inputs);
    let diagnostics = draft.report.into_diagnostics();
    // E0803 is about writing the policies as a program, not about reading them.
    let readable = diagnostics
        .iter()
        .all(|d| !d.is_error() || d.code == crate::diagnostics::Code::E0803);
    Live {
        sources: draft.sources,
        diagnostics,
        reading: draft.model.filter(|_| readable),
    }
}

/// An import before its self-check: the program as printed, and what the input means.
#[derive(Debug)]
pub struct Draft {
    sources: SourceMap,
    report: report::Report,
    docs: Vec<documents::Doc>,
    program: Option<String>,
    model: Option<check::Model>,
    origins: Vec<program::Origin>,
}

/// Reads, maps and lays out the inputs: everything but the self-check.
pub fn draft(inputs: &[Input]) -> Draft {
    let mut sources = SourceMap::new();
    let mut report = report::Report::default();
    let names = names::Names::default();
    let mut docs = documents::read(inputs, &mut sources, &mut report);
    let dialect = documents::dialect(&mut docs, &sources, &mut report);
    let mut program = program::Program::default();
    let model = dialect.map(|d| {
        let import = match d {
            Dialect::Native => native::import,
            Dialect::Cilium => cilium::import,
            Dialect::Calico => calico::import,
        };
        import(&docs, &sources, &names, &mut report, &mut program)
    });
    program.settle_empty_allow_lists(&mut report);
    program.settle_exceptions();
    let text = (!report.has_errors() && !program.is_empty()).then(|| {
        let files: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        layout::print(&program, &files, &names, &sources)
    });
    // The YAML trees are read: what is left of each document is where it starts.
    for d in &mut docs {
        d.yaml.root.value = crate::verify::yaml::Value::Null;
    }
    Draft {
        sources,
        report,
        docs,
        program: text,
        model,
        origins: program.origins(),
    }
}

impl Draft {
    /// The self-check (the program built for the input's product, both readings compared on
    /// every flow), and the result.
    pub fn check(mut self) -> Imported {
        if let (Some(text), Some(model)) = (&self.program, &self.model)
            && !self.report.has_errors()
        {
            check::against(model, text, &self.origins, &mut self.report);
        }
        let outcomes = self.report.outcomes(&self.docs, &self.sources);
        let failed = self.report.has_errors();
        Imported {
            target: self.model.as_ref().map(check::Model::target),
            sources: self.sources,
            diagnostics: self.report.into_diagnostics(),
            program: if failed { None } else { self.program },
            outcomes,
        }
    }
}
