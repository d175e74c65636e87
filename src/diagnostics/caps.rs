//! At most [`MAX_DIAGNOSTICS_PER_CODE`] diagnostics of one code and
//! [`MAX_DIAGNOSTICS_PER_FILE`] in all for one file, in every output format: the last one kept
//! of a code or a file says how many more there were. Thousands of copies of one mistake
//! tell no more than fifty, and would make the report itself the problem.

use std::collections::HashMap;

use super::{Code, Diagnostic};
use crate::limits::{MAX_DIAGNOSTICS_PER_CODE, MAX_DIAGNOSTICS_PER_FILE};
use crate::source::FileId;

/// `diags` in their order, capped per file and code, then per file; a note on the last
/// diagnostic kept of each group counts the ones left out.
pub fn cap(diags: &[Diagnostic]) -> Vec<Diagnostic> {
    let file = |d: &Diagnostic| d.primary_span().map(|s| s.file);
    let mut per_code: HashMap<(Option<FileId>, Code), (usize, Option<usize>)> = HashMap::new();
    let mut per_file: HashMap<Option<FileId>, (usize, Option<usize>)> = HashMap::new();
    let mut kept: Vec<Diagnostic> = Vec::new();
    for d in diags {
        let f = file(d);
        let code = per_code.entry((f, d.code)).or_default();
        code.0 += 1;
        if code.0 > MAX_DIAGNOSTICS_PER_CODE {
            continue;
        }
        let all = per_file.entry(f).or_default();
        all.0 += 1;
        if all.0 > MAX_DIAGNOSTICS_PER_FILE {
            continue;
        }
        code.1 = Some(kept.len());
        all.1 = Some(kept.len());
        kept.push(d.clone());
    }
    let mut notes: Vec<(usize, String)> = Vec::new();
    for ((_, c), (seen, last)) in &per_code {
        if let (Some(at), Some(more)) = (last, seen.checked_sub(MAX_DIAGNOSTICS_PER_CODE))
            && more > 0
        {
            {
                notes.push((
                    *at,
                    format!("{more} more `{c}` diagnostics in this file are not shown"),
                ));
            }
        }
    }
    for (seen, last) in per_file.values() {
        if let (Some(at), Some(more)) = (last, seen.checked_sub(MAX_DIAGNOSTICS_PER_FILE))
            && more > 0
        {
            {
                notes.push((
                    *at,
                    format!("{more} more diagnostics in this file are not shown"),
                ));
            }
        }
    }
    notes.sort();
    for (at, note) in notes {
        if let Some(d) = kept.get_mut(at) {
            d.notes.push(note);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn d(code: Code, file: u32, at: usize) -> Diagnostic {
        Diagnostic::new(code, Span::new(FileId(file), at, at + 1), "m")
    }

    #[test]
    fn few_diagnostics_pass_unchanged() {
        let list = vec![d(Code::E0201, 0, 1), d(Code::E0201, 0, 2)];
        assert_eq!(cap(&list), list);
    }

    #[test]
    fn one_code_is_capped_with_a_count() {
        let list: Vec<_> = (0..1000).map(|i| d(Code::E0201, 0, i)).collect();
        let out = cap(&list);
        assert_eq!(out.len(), MAX_DIAGNOSTICS_PER_CODE);
        let last = out.last().unwrap();
        assert_eq!(
            last.notes,
            vec![format!(
                "{} more `E0201` diagnostics in this file are not shown",
                1000 - MAX_DIAGNOSTICS_PER_CODE
            )]
        );
        // Another file has its own count.
        let mut two = list.clone();
        two.push(d(Code::E0201, 1, 0));
        assert_eq!(cap(&two).len(), MAX_DIAGNOSTICS_PER_CODE + 1);
    }

    #[test]
    fn a_file_is_capped_over_all_codes() {
        let codes = [
            Code::E0201,
            Code::E0305,
            Code::E0306,
            Code::E0308,
            Code::E0310,
        ];
        let list: Vec<_> = (0..5000).map(|i| d(codes[i % codes.len()], 0, i)).collect();
        let out = cap(&list);
        assert_eq!(out.len(), MAX_DIAGNOSTICS_PER_FILE);
        let notes: Vec<&String> = out.iter().flat_map(|d| &d.notes).collect();
        assert!(
            notes
                .iter()
                .any(|n| n.ends_with("more diagnostics in this file are not shown"))
        );
    }
}
