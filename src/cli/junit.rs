//! The JUnit XML report of `egressc test --junit FILE`: one test suite per column, one test case
//! per expectation, a failure for each outcome that did not pass.

use std::path::Path;

use super::Fatal;
use super::columns::{Judge, describe_outcome};
use super::table::Row;

/// `s` with the characters XML gives a meaning escaped (for attribute values).
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes the report of a run to `path`.
pub(crate) fn write(
    path: &Path,
    columns: &[Judge<'_>],
    rows: &[Row],
    labels: &[String],
) -> Result<(), Fatal> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"egressc test\">\n",
    );
    for (ci, (c, _)) in columns.iter().enumerate() {
        let fails = rows
            .iter()
            .filter(|(_, o)| o.get(ci).is_some_and(|o| !o.passed()))
            .count();
        xml.push_str(&format!(
            "  <testsuite name=\"{c}\" tests=\"{}\" failures=\"{fails}\">\n",
            rows.len()
        ));
        for ((_, outcomes), label) in rows.iter().zip(labels) {
            xml.push_str(&format!(
                "    <testcase classname=\"{c}\" name=\"{}\"",
                xml_escape(label)
            ));
            match outcomes.get(ci) {
                Some(o) if !o.passed() => xml.push_str(&format!(
                    ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                    xml_escape(&describe_outcome(o))
                )),
                _ => xml.push_str("/>\n"),
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    std::fs::write(path, xml).map_err(|e| Fatal(format!("{}: {e}", path.display())))
}
