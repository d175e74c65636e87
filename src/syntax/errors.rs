//! pest errors → coded diagnostics: every rule gets a name in plain words, and common
//! mistakes get a help line.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// What a rule is called in an error message.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file | Rule::namespace_decl | Rule::def_decl | Rule::app_stmt | Rule::pods_stmt => {
            "a statement (`namespace`, `def`, `app`, `pods`, `default deny`, `cluster`, `host`, `reserved`)"
        }
        Rule::default_deny => "`default deny`",
        Rule::cluster_stmt => "a `cluster` statement",
        Rule::cluster_in => "`in ns{...}`",
        Rule::host_stmt => "a `host` statement",
        Rule::kw_host => "`host`",
        Rule::reserved_stmt => "a `reserved` statement",
        Rule::kw_reserved => "`reserved`",
        Rule::host_pods => "node labels `{key=value, ...}`",
        Rule::kw_except | Rule::cluster_except => "`except NAMESPACE, ...`",
        Rule::kw_allow => "`allow`",
        Rule::kw_namespace => "`namespace`",
        Rule::kw_def => "`def`",
        Rule::kw_app => "`app`",
        Rule::kw_pods => "`pods`",
        Rule::kw_default => "`default`",
        Rule::kw_deny | Rule::deny_clause => "`deny`",
        Rule::kw_cluster => "`cluster`",
        Rule::kw_expect => "`expect`",
        Rule::kw_in => "`in`",
        Rule::kw_set | Rule::set_stmt => "`set`",
        Rule::expect_stmt => "an `expect` statement",
        Rule::verdict => "`allow` or `deny`",
        Rule::kw_resolving | Rule::resolving => "`resolving ADDRESS`",
        Rule::attribute => "`@allow(CODE, \"reason\")`",
        Rule::lint_code => "a lint code or name such as `W0102` or `wide-private-cidr`",
        Rule::kw_notin => "`notin`",
        Rule::dest_list
        | Rule::list_dest
        | Rule::dest
        | Rule::atom
        | Rule::call
        | Rule::pods_dest
        | Rule::plain_atom => {
            "a destination (a name such as `dns`, a CIDR, a host name or `pods{...}`)"
        }
        Rule::params => "parameters `(name: type, ...)`",
        Rule::param => "a parameter `name: type`",
        Rule::type_expr | Rule::type_name => "a type (`cidr`, `host`, `port`, `proto`, `dest`)",
        Rule::arg | Rule::arg_name => "an argument",
        Rule::port_suffix => "a port suffix `:PORT[/PROTO]`",
        Rule::port_tok => "a port or port range",
        Rule::service_args | Rule::suffix_with_args => {
            "a protocol with arguments `icmp(TYPE, CODE)`"
        }
        Rule::service_arg => "an ICMP type or code",
        Rule::proto_tok => "a protocol (`tcp`, `udp`, `sctp`)",
        Rule::ns_ref | Rule::any_ns => "a namespace name, `ns{...}` or `*`",
        Rule::ns_labels => "namespace labels `ns{key=value, ...}`",
        Rule::pods_param => "a cluster `, cluster = NAME`",
        Rule::stray_selector => "a destination",
        Rule::sa_dest => "a service account `serviceaccount(NAMESPACE/NAME)`",
        Rule::kw_serviceaccount => "`serviceaccount`",
        Rule::svc_dest => "a Service `service(NAMESPACE/NAME)`",
        Rule::kw_service => "`service`",
        Rule::deny_start => "`deny` and a destination",
        Rule::name => "a name",
        Rule::name_stop => "the end of a name",
        Rule::selector => "a label selector `{key=value, ...}`",
        Rule::label_eq
        | Rule::label_ne
        | Rule::label_in
        | Rule::label_notin
        | Rule::label_exists
        | Rule::label_absent => "a label term (`key=value`, `key in (a, b)`, `key`, `!key`)",
        Rule::value_set => "a value list `(a, b)`",
        Rule::label_key => "a label key",
        Rule::label_value | Rule::bare_value | Rule::string => "a label value",
        Rule::string_body => "the rest of the string",
        Rule::WHITESPACE | Rule::blank | Rule::nl => "white space",
        Rule::statement => "a statement",
        Rule::ident_char => "a name character",
        Rule::arrow => "`->`",
        Rule::label_expr => "a label term (`key=value`, `key in (a, b)`, `key`, `!key`)",
        // The first attempt at a statement, which no error comes from: what they read.
        Rule::fast_statement
        | Rule::fast_namespace
        | Rule::fast_default
        | Rule::fast_app
        | Rule::fast_none => "a statement",
        Rule::fast_list | Rule::fast_deny | Rule::fast_plain | Rule::other_dest => {
            "a destination (a name such as `dns`, a CIDR, a host name or `pods{...}`)"
        }
    }
}

/// The token at `pos`, for "found ..." wording.
fn found(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or_default();
    match rest.chars().next() {
        None => "end of file".to_owned(),
        Some('\n') | Some('\r') => "end of line".to_owned(),
        Some(_) => {
            // A word up to the next space or punctuation, or the punctuation itself.
            let stop = |c: &char| c.is_whitespace() || ",(){}".contains(*c);
            let mut token: String = rest.chars().take_while(|c| !stop(c)).take(24).collect();
            if token.is_empty() {
                token = rest.chars().take(1).collect();
            }
            format!("`{token}`")
        }
    }
}

/// Structural punctuation the parser tried (pest reports literals apart from rules); the
/// characters of literals would be noise.
fn punctuation(tokens: impl IntoIterator<Item = String>) -> Vec<String> {
    tokens
        .into_iter()
        .filter(|t| [",", ")", "}", "->"].contains(&t.as_str()))
        .map(|t| format!("`{t}`"))
        .collect()
}

pub fn syntax_error(file: FileId, text: &str, e: &Error<Rule>) -> Diagnostic {
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().map(|r| describe(*r).to_owned()).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // Punctuation is tried at the furthest place the parser reached, which is past the rule
    // positions when a silent rule such as `->` failed (`app x dns`): the error is there.
    if let Some(attempts) = e.parse_attempts() {
        let tokens = punctuation(attempts.expected_tokens().iter().map(ToString::to_string));
        if attempts.max_position > pos && !tokens.is_empty() {
            // A token that may follow blank lines (`)` after `nl*`) is missing at the end of
            // the line, not at the start of the next statement or the end of the file.
            let before = text.get(..attempts.max_position).unwrap_or_default();
            let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']).len();
            pos = if before.get(trimmed..).is_some_and(|gap| gap.contains('\n')) {
                trimmed.max(pos)
            } else {
                attempts.max_position
            };
            expected = tokens;
        } else if attempts.max_position == pos {
            expected.extend(tokens);
        }
    }
    let width = text
        .get(pos..)
        .and_then(|s| s.chars().next())
        .filter(|c| *c != '\n' && *c != '\r')
        .map(char::len_utf8)
        .unwrap_or(0);
    let span = Span::new(file, pos, pos + width);
    let found = found(text, pos);
    expected.sort_unstable();
    expected.dedup();
    let what = match expected.as_slice() {
        [] => "something else".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    let before = text.get(..pos).unwrap_or_default();
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let raw_line = text.get(line_start..pos).unwrap_or_default();
    // The text before the error, across blank lines: `app x ->` then a new line.
    let text_before = before.trim_end();
    let open = raw_line.matches('(').count();
    let close = raw_line.matches(')').count();
    if open > close && (found == "end of line" || found == "end of file") {
        let at = line_start + raw_line.rfind('(').unwrap_or(0);
        return Diagnostic::new(
            Code::E0101,
            span,
            format!("unclosed `(`: expected `)`, found {found}"),
        )
        .label("expected `)` here")
        .secondary(Span::new(file, at, at + 1), "this `(` is never closed")
        .help("add the missing `)`");
    }
    let mut d = Diagnostic::new(Code::E0101, span, format!("expected {what}, found {found}"))
        .label(format!("expected {what}"));
    if text_before.ends_with("->") || text_before.ends_with(',') {
        d = d.help(
            "a destination list cannot be empty or end with `,`: add a destination such as `dns`",
        );
    } else if expected.iter().any(|e| e.contains("label selector"))
        && text
            .get(pos..)
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_alphanumeric()))
    {
        d = d.help(
            "a selector is written in braces: `pods NAME {key=value} -> ...`, `pods(NAMESPACE){key=value}`",
        );
    } else if text_before.ends_with("deny") {
        d = d.help("`deny` takes at least one destination, as in `deny metadata`");
    } else if text.get(pos..).is_some_and(|s| s.starts_with(')')) && close >= open {
        d = d.help("this `)` has no matching `(`");
    } else if open > close
        && text
            .get(pos..)
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_alphanumeric()))
    {
        d = d.help("separate arguments with `,`; host names and addresses contain no spaces");
    }
    d
}

#[cfg(test)]
mod tests {
    use crate::source::FileId;

    /// The primary span of the syntax error in `text`, as (offset, covered text).
    fn underlined(text: &str) -> (usize, String) {
        let (ast, diags) = crate::syntax::parse(FileId(0), text);
        assert!(ast.is_none());
        let span = diags.iter().next().unwrap().primary_span().unwrap();
        (
            span.start as usize,
            text.get(span.range()).unwrap().to_owned(),
        )
    }

    #[test]
    fn a_missing_arrow_is_reported_where_the_arrow_belongs() {
        for text in [
            "namespace a\napp payments-api dns, rds(10.0.0.0/24)\n",
            "namespace a\npods batch {tier=batch} dns\n",
        ] {
            let at = text.find("dns").unwrap();
            assert_eq!(underlined(text), (at, "d".to_owned()), "{text}");
            let (_, diags) = crate::syntax::parse(FileId(0), text);
            let d = diags.iter().next().unwrap();
            assert_eq!(d.message, "expected `->`, found `dns`");
        }
    }

    #[test]
    fn a_missing_parenthesis_is_reported_at_its_opener() {
        let text = "namespace a\napp b -> dns, rds(10.0.0.0/24:5432\n\napp c -> dns\n";
        let open = text.find('(').unwrap();
        assert_eq!(underlined(text), (open, "(".to_owned()));
    }
}
