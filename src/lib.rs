//! egressc: a compiler for a compact Kubernetes egress-policy language.
//!
//! The pipeline is one-way: [`syntax`] (text → AST) → `check` (names, types, values →
//! checked program) → [`ir`] (normalised, backend-neutral policies) → [`backend`] (YAML for
//! each target). [`diagnostics`], [`source`] and `model` are leaves every stage may use; only
//! `diagnostics::render` renders. The library reads and writes no files and prints nothing,
//! except [`lsp::run`]: it serves the language server on stdin and stdout, and reports a failed
//! notification handler on stderr. `cli` and `main.rs` do the rest.
//!
//! # What is public
//!
//! A small facade (as jaq's core keeps its AST public and its IR private): what the binary,
//! the integration tests and the benches use, and no more.
//!
//! - [`analyse`] and [`compile`] (with lint levels: [`analyse_with`], [`compile_with`]) on
//!   [`Input`]s, giving an [`Analysis`] or a [`Compilation`]; [`input`]: the size limits on
//!   inputs and why one is refused.
//! - [`syntax`]: the AST and the parser, for editors and tools.
//! - [`backend`]: [`backend::Target`] (the products), [`backend::Output`], [`backend::emit`].
//! - [`diagnostics`] (codes, diagnostics as data, rendering) and [`source`] (files and spans).
//! - [`lint`]: levels, the registry (code ↔ name) and explanations; [`project`]: the project
//!   file; [`lsp`]: the language server.
//! - [`verify`]: the reference and product evaluators, for `egressc test` and `trace` and the
//!   equivalence tests.
//! - [`import`]: `egressc import`, YAML policies to a program and a loss report.
//! - [`DefInfo`] and [`Expectation`], through [`Analysis::definitions`] and
//!   [`Analysis::expectations`].
//! - [`ir::Program`], opaque: it is handed to [`backend::emit`], the [`verify`] evaluators and
//!   [`ir::dump::dump`], never looked into.
//!
//! Crate-private: the checker (`check`: phases, expansion, the checked program), the IR's
//! policies and rules and lowering, the lint rules, `model` (checked values) and `stdlib`.

pub mod backend;
pub(crate) mod check;
pub mod diagnostics;
pub mod diff;
pub mod fmt;
pub mod import;
pub mod input;
pub mod ir;
pub mod limits;
pub mod lint;
pub mod lsp;
pub(crate) mod model;
pub mod project;
pub(crate) mod reuse;
pub mod source;
pub(crate) mod stdlib;
pub mod syntax;
pub mod verify;

pub use check::checked::{DefInfo, Expectation, ParamInfo};
pub use input::Input;

use backend::{Output, Target};
use diagnostics::Diagnostics;
use source::SourceMap;

/// The result of the front end: sources, diagnostics, and the checked program and IR when
/// there were no errors.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// The ASTs of the user's files that parsed (for editors).
    pub files: Vec<syntax::ast::File>,
    pub(crate) checked: Option<check::checked::Program>,
    /// The IR, opaque outside the crate: what [`backend::emit`], the evaluators of [`verify`]
    /// and [`ir::dump::dump`] take.
    pub ir: Option<ir::Program>,
}

impl Analysis {
    /// Every definition, the standard library's first (`egressc explain NAME`); empty when the
    /// program has errors.
    pub fn definitions(&self) -> &[DefInfo] {
        self.checked.as_ref().map_or(&[], |c| c.defs.as_slice())
    }

    /// The `expect` statements, checked, in source order (`egressc test` and `trace`); empty
    /// when the program has errors.
    pub fn expectations(&self) -> &[Expectation] {
        self.checked
            .as_ref()
            .map_or(&[], |c| c.expectations.as_slice())
    }
}

/// Parses and checks `inputs` with the standard library, and lowers and lints them when they are
/// free of errors, with every lint at its default level.
pub fn analyse(inputs: &[Input]) -> Analysis {
    analyse_with(inputs, &lint::LintConfig::default())
}

/// [`analyse`] with lint levels.
pub fn analyse_with(inputs: &[Input], lints: &lint::LintConfig) -> Analysis {
    analyse_parsing(inputs, lints, &mut syntax::parse, None)
}

/// How [`analyse_parsing`] parses one input file.
pub(crate) type Parse<'a> =
    dyn FnMut(source::FileId, &str) -> (Option<syntax::ast::File>, Diagnostics) + 'a;

/// [`analyse_with`], each input file parsed by `parse` (the language server's reuses the syntax
/// trees of files whose text did not change since the last analysis). With `kept` (the language
/// server's), workloads are linted through it, reusing what the last analysis found for each
/// workload that did not change, and no IR is built: the diagnostics are those of
/// [`analyse_with`], and [`Analysis::ir`] is `None`.
pub(crate) fn analyse_parsing(
    inputs: &[Input],
    lints: &lint::LintConfig,
    parse: &mut Parse<'_>,
    kept: Option<&mut reuse::Kept>,
) -> Analysis {
    analyse_keeping(inputs, lints, parse, kept, Trees::Kept)
}

/// Whether an analysis keeps the syntax trees once the program is checked: editors read them,
/// a build does not, and they are the largest part of the front end's memory (half of it on a
/// program of many small statements).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trees {
    Kept,
    Freed,
}

/// [`analyse_parsing`], the syntax trees freed before lowering when `trees` says so.
fn analyse_keeping(
    inputs: &[Input],
    lints: &lint::LintConfig,
    parse: &mut Parse<'_>,
    kept: Option<&mut reuse::Kept>,
    trees: Trees,
) -> Analysis {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let mut stdlib_files = Vec::new();
    for (name, text) in stdlib::FILES {
        let id = sources.add(*name, *text);
        let (ast, d) = syntax::parse(id, text);
        diagnostics.extend(d);
        stdlib_files.extend(ast);
    }
    // Every input is held to the limits before any is parsed: a refused file makes the program
    // incomplete, and what the other files would say then misleads.
    let first = sources.len();
    let ids: Vec<source::FileId> = (first..first + inputs.len())
        .map_while(|n| u32::try_from(n).ok())
        .map(source::FileId)
        .collect();
    let mut files = Vec::new();
    if ids.len() < inputs.len() {
        // File ids are 32 bits: past 2^32 files (far more than fit in memory) the inputs are
        // refused, never given an id that another file has.
        let nowhere = source::Span {
            file: source::FileId(u32::MAX),
            start: 0,
            end: 0,
        };
        diagnostics.push(diagnostics::Diagnostic::bug(
            nowhere,
            format!("{} input files, more than there are file ids", inputs.len()),
        ));
        return Analysis {
            sources,
            diagnostics,
            files,
            checked: None,
            ir: None,
        };
    }
    let mut total = 0;
    let admitted: Vec<Result<&[u8], diagnostics::Diagnostic>> = inputs
        .iter()
        .zip(&ids)
        .map(|(input, id)| input::admit(*id, input, &mut total))
        .collect();
    if admitted.iter().any(Result::is_err) {
        for (input, admission) in inputs.iter().zip(admitted) {
            sources.add(input.name.clone(), "");
            if let Err(d) = admission {
                diagnostics.push(d);
            }
        }
        return Analysis {
            sources,
            diagnostics,
            files,
            checked: None,
            ir: None,
        };
    }
    for ((input, bytes), id) in inputs.iter().zip(admitted.into_iter().flatten()).zip(ids) {
        match syntax::decode(id, bytes) {
            Ok(text) => {
                sources.add(input.name.clone(), text);
                let text = sources.get(id).map(|f| f.text.as_str()).unwrap_or_default();
                let (ast, d) = parse(id, text);
                diagnostics.extend(d);
                files.extend(ast);
            }
            Err(failed) => {
                let (shown, d) = *failed;
                sources.add(input.name.clone(), shown);
                diagnostics.push(d);
            }
        }
    }
    let (checked, d) = check::check(&stdlib_files, &files);
    diagnostics.extend(d);
    if trees == Trees::Freed {
        // Before lowering, so that what lowering, the lints and the backends allocate reuses
        // the trees' memory instead of growing the heap.
        files = Vec::new();
        drop(stdlib_files);
    }
    let mut ir = None;
    if !diagnostics.has_errors() {
        match kept {
            Some(kept) => diagnostics.extend(kept.lint(&checked, lints)),
            None => {
                let (program, found) = lower_and_lint(&checked, lints);
                diagnostics.extend(found);
                ir = (!diagnostics.has_errors()).then_some(program);
            }
        }
    }
    let ok = !diagnostics.has_errors();
    Analysis {
        sources,
        diagnostics,
        files,
        checked: ok.then_some(checked),
        ir,
    }
}

/// The IR of a checked program without errors, and what the lints find in it.
fn lower_and_lint(
    checked: &check::checked::Program,
    lints: &lint::LintConfig,
) -> (ir::Program, Diagnostics) {
    let policies: Vec<ir::Policy> = checked.workloads.iter().map(ir::lower_workload).collect();
    let found = lint::lint(checked, &policies, lints);
    (ir::assemble(checked, policies), found)
}

/// The result of a build: the analysis (without the syntax trees: its `files` is empty), plus
/// one output per target when nothing failed.
#[derive(Debug)]
pub struct Compilation {
    pub analysis: Analysis,
    pub outputs: Vec<Output>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.analysis.diagnostics.has_errors()
    }
}

/// Analyses `inputs` and emits every target. Any error in any stage or target means no output
/// at all.
pub fn compile(inputs: &[Input], targets: &[Target]) -> Compilation {
    compile_with(inputs, targets, &lint::LintConfig::default())
}

/// [`compile`] with lint levels.
pub fn compile_with(inputs: &[Input], targets: &[Target], lints: &lint::LintConfig) -> Compilation {
    let mut analysis = analyse_keeping(inputs, lints, &mut syntax::parse, None, Trees::Freed);
    let mut outputs = Vec::new();
    if let Some(ir) = &analysis.ir {
        let mut diags = Diagnostics::new();
        for emitted in backend::emit_each(targets, ir, &analysis.sources) {
            match emitted {
                Ok(o) => outputs.push(o),
                Err(d) => diags.extend(d),
            }
        }
        diags.sort();
        analysis.diagnostics.extend(diags);
    }
    if analysis.diagnostics.has_errors() {
        outputs.clear();
    }
    Compilation { analysis, outputs }
}
