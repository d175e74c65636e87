/**
 * @file Tree-sitter grammar for the egress-policy language (egressc).
 * @license Apache-2.0
 *
 * The authority is grammar/egress.pest at the root of the repository; this grammar accepts
 * everything that grammar accepts for the forms the language documents, and is a little more
 * tolerant in places (a line break is allowed anywhere inside parentheses and braces).
 *
 * Line breaks: the language is line-oriented. A line break is a token (`_newline`, produced by
 * src/scanner.c) only where it ends a statement; everywhere else (after `,`, `->`, `=`, inside
 * `(...)` and `{...}`) it is plain whitespace. The scanner also lets a statement continue onto
 * a later line that starts with `deny` (blank and comment lines may come between).
 *
 * Destination literals: pest reads `10.20.30.0/24:5432/tcp` as one loose `atom` and classifies
 * it later; here it is split into an address part (`ipv4_address`, `ipv6_address`,
 * `host_name`, `wildcard_host`, `identifier`, `number`, `port_range`, or the catch-all `atom`),
 * an optional `/prefix_length` (or `/protocol`) and an optional `port_suffix`.
 */

/* eslint-disable arrow-parens */
/* eslint-disable camelcase */
/* eslint-disable-next-line spaced-comment */
/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));
const commaSep = (rule) => optional(commaSep1(rule));

module.exports = grammar({
  name: 'egress',

  externals: $ => [
    $._newline,
    $._error_sentinel,
  ],

  extras: $ => [
    /\s/,
    $.doc_comment,
    $.comment,
  ],

  word: $ => $.identifier,

  // Keywords are contextual, as in grammar/egress.pest: a word is a keyword only where the
  // parser expects one (`namespace default`, `app set -> deny` are names), so no word is
  // reserved.

  rules: {
    // A file: statements, one per line (a statement may span lines, see above).
    source_file: $ => optional(seq(
      $._item,
      repeat(seq($._newline, $._item)),
      optional($._newline),
    )),

    _item: $ => choice(
      $.attribute,
      $.namespace_declaration,
      $.definition,
      $.app_rule,
      $.pods_rule,
      $.default_deny,
      $.cluster_rule,
      $.host_rule,
      $.reserved_rule,
      $.expectation,
      $.setting,
    ),

    // ----------------------------------------------------------------------------------------
    // Tokens. The order of these rules matters: when two tokens match the same text, the one
    // defined first wins (`10.0.0.0` is an ipv4_address, not a host_name nor an atom).

    // `## documentation` above a `def`.
    doc_comment: _ => token(prec(2, /##[^\r\n]*/)),
    // `# comment`
    comment: _ => token(prec(1, /#[^\r\n]*/)),

    // `dns`, `payments-api`, `k8s-app`: never ends with `-`, so that `app a->b` reads `a`, `->`.
    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*(-+[A-Za-z0-9_]+)*/,

    // `10.20.30.0` (octet values are checked by the compiler, not here).
    ipv4_address: _ => /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/,

    // `fd00:ec2::254`, `::`, `::ffff:10.0.0.1`: at least two colons, so that `db:5432` is a host
    // and a port.
    ipv6_address: _ => /[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*/,

    // `8000-8100`
    port_range: _ => /[0-9]+-[0-9]+/,

    // `5432`
    number: _ => /[0-9]+/,

    // `api.stripe.com`, `db.internal`, `example.com.`
    host_name: _ => /[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+\.?/,

    // `*.example.com` (one label), `**.example.com` (one or more), `special*service.example.com`
    // (inside the first label).
    wildcard_host: _ => /(\*\*?|[A-Za-z0-9_-]*\*[A-Za-z0-9_*-]*)(\.[A-Za-z0-9_-]+)+\.?/,

    // Anything else pest reads as an atom (the compiler reports what is wrong with it).
    atom: _ => /[A-Za-z0-9.*_-]+/,

    // A name the compiler validates: `Payments`, `../x` (pest's loose `name`).
    loose_name: _ => /([^\s#,(){}=:|"@-]|-+[^\s#,(){}=:|>"@-])+/,

    // `"quoted value"` (no escapes, no line breaks).
    string: _ => /"[^"\r\n]*"/,

    // `cidr`, `host`, `port`, `proto`, `dest`
    type: _ => /[a-z]+/,

    // `tcp`, `udp`, `sctp`, or a parameter holding one.
    protocol: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    // `/24`
    prefix_length: _ => /[0-9]+/,

    // Selector keys and values: `app.kubernetes.io/name`, `kube-dns`.
    label_key: _ => /[A-Za-z0-9._\/-]+/,
    label_value: _ => /[A-Za-z0-9._-]+/,

    _name: $ => choice($.identifier, $.loose_name, $._keyword_name),

    // A keyword called as a definition (`deny(...)`); `pods(` is always a pods destination.
    _keyword_callee: $ => alias(choice(
      'namespace', 'def', 'app', 'default', 'deny', 'allow', 'cluster', 'expect', 'set',
      'resolving', 'in', 'notin', 'ns', 'except', 'host', 'reserved',
    ), $.identifier),

    // A keyword where a name is expected is a name (`serviceaccount(` is always a service
    // account destination and `service(` a Service, as `pods(` is a pods destination).
    _keyword_name: $ => alias(choice(
      'namespace', 'def', 'app', 'pods', 'default', 'deny', 'allow', 'cluster', 'expect', 'set',
      'resolving', 'in', 'notin', 'ns', 'serviceaccount', 'except', 'service', 'host', 'reserved',
    ), $.identifier),

    // ----------------------------------------------------------------------------------------
    // Attributes (lint suppressions): `@allow(W0101, "reason")` or `@allow(no-dns, "reason")`
    // (a lint by code or name) on the line before a statement.
    // pest reads `@allow(CODE, "reason")` only; any name and arguments are accepted here.

    attribute: $ => seq(
      '@',
      field('name', choice(alias('allow', $.identifier), $.identifier)),
      optional(seq('(', commaSep(field('argument', $._attribute_argument)), ')')),
    ),

    _attribute_argument: $ => choice($.identifier, $.string, $.number, $.host_name),

    // ----------------------------------------------------------------------------------------
    // Statements

    // `namespace payments`
    namespace_declaration: $ => seq('namespace', field('name', $._name)),

    // `def rds(db: cidr | host, port: port = 5432) = db:port/tcp`
    definition: $ => seq(
      'def',
      field('name', $._name),
      optional(field('parameters', $.parameters)),
      '=',
      field('body', $.destinations),
    ),

    parameters: $ => seq('(', commaSep($.parameter), ')'),

    // `port: port = 5432`
    parameter: $ => seq(
      field('name', $._name),
      ':',
      field('type', $.type),
      repeat(seq('|', field('type', $.type))),
      optional(seq('=', field('default', $._destination))),
    ),

    // `app payments-api -> dns, rds(10.20.30.0/24:5432) deny metadata`
    app_rule: $ => seq(
      'app',
      field('name', $._name),
      '->',
      field('allow', $.destinations),
      optional(field('deny', $.deny_clause)),
    ),

    // `pods batch-jobs {tier=batch} -> dns`
    pods_rule: $ => seq(
      'pods',
      field('name', $._name),
      field('selector', $.selector),
      '->',
      field('allow', $.destinations),
      optional(field('deny', $.deny_clause)),
    ),

    // `default deny`
    default_deny: _ => seq('default', 'deny'),

    // `cluster block-metadata deny metadata` (a guardrail) and `cluster agents {app=agent}
    // in ns{team=obs} except kube-system -> dns deny metadata` (a cluster-wide allow-list).
    cluster_rule: $ => seq(
      'cluster',
      field('name', $._name),
      optional(field('selector', $.selector)),
      optional(field('namespaces', $.cluster_namespaces)),
      optional(field('except', $.except_clause)),
      choice(
        seq('deny', field('deny', $.destinations)),
        seq('->', field('allow', $.destinations), optional(field('deny', $.deny_clause))),
      ),
    ),

    // `host workers {type=worker} -> any:443/tcp deny 10.0.0.0/8:22/tcp`: an allow-list for the
    // own traffic of the nodes whose labels match (every node without a selector).
    host_rule: $ => seq(
      'host',
      field('name', $._name),
      optional(field('selector', $.selector)),
      '->',
      field('allow', $.destinations),
      optional(field('deny', $.deny_clause)),
    ),

    // `reserved init -> any:53/udp`: an allow-list for the endpoints of one of Cilium's reserved
    // identities (`init`, `health`; the compiler refuses others, E0379).
    reserved_rule: $ => seq(
      'reserved',
      field('identity', $._name),
      '->',
      field('allow', $.destinations),
      optional(field('deny', $.deny_clause)),
    ),

    // `in ns{team=obs}`: the namespaces whose pods a cluster statement selects.
    cluster_namespaces: $ => seq('in', $.namespace_labels),

    // `except kube-system, calico-system`: namespaces left out (the compiler refuses an empty
    // list, E0360). A keyword after `except` is not a name here: `except deny ...` reads as an
    // empty list before a guardrail's `deny`.
    except_clause: $ => seq(
      'except',
      commaSep(field('namespace', choice($.identifier, $.loose_name))),
    ),

    // `expect payments-api -> 10.20.30.7:5432/tcp allow`, `expect payments-api -> metadata deny`,
    // `expect payments-api -> api.stripe.com:443 resolving 54.187.216.72 allow`,
    // `expect ledger-api -> pods(payments){app=payments-api}:8443 allow`
    expectation: $ => seq(
      'expect',
      field('name', $._name),
      '->',
      field('destination', $._destination),
      optional(field('resolving', $.resolution)),
      field('verdict', $.verdict),
    ),

    // `resolving 54.187.216.72`, `resolving 2600:1f14::1`: the address a host name resolves to.
    // pest reads one loose `atom` here and the compiler checks that it is one IP address
    // (E0402), so the other address forms are accepted too and left to the compiler.
    resolution: $ => seq(
      'resolving',
      field('address', $._address),
      optional(seq('/', field('prefix', $.prefix_length))),
    ),

    verdict: _ => choice('allow', 'deny'),

    // `set wide-cidr-v4 = 16`, `set pod-cidrs = 10.244.0.0/16, fd00:10:244::/56` (a lint setting)
    setting: $ => seq(
      'set',
      field('name', $._name),
      '=',
      field('value', $.destinations),
    ),

    // `deny metadata, private` (may start on the next line).
    deny_clause: $ => seq('deny', $.destinations),

    // `dns, rds(10.20.30.0/24:5432)`
    destinations: $ => commaSep1($._destination),

    // ----------------------------------------------------------------------------------------
    // Destinations

    _destination: $ => choice(
      $.pods_destination,
      $.service_account_destination,
      $.service_destination,
      $.call,
      $.endpoint,
    ),

    // `serviceaccount(payments/ledger):8443`, `serviceaccount(ledger)`: the pods running as a
    // service account.
    service_account_destination: $ => seq(
      'serviceaccount',
      '(',
      field('name', $._name),
      ')',
      optional($.port_suffix),
    ),

    // `service(kube-system/kube-dns)`, `service(ledger)`: the endpoints of a Service on its own
    // ports (a port suffix parses, and the compiler refuses it: E0343).
    service_destination: $ => seq(
      'service',
      '(',
      field('name', $._name),
      ')',
      optional($.port_suffix),
    ),

    // `pods{app=ledger}:8443`, `pods(kube-system){k8s-app=kube-dns}:53/udp`, `pods(*){team=obs}`,
    // `pods(ns{team=payments}){app=x}`; after a namespace the selector may be left out (every
    // pod): `pods(kube-system)`; pods of another cluster of a mesh:
    // `pods(default, cluster = cluster2){name=rebel-base}`.
    pods_destination: $ => seq(
      'pods',
      choice(
        seq(
          '(',
          field('namespace', choice($.any_namespace, $.namespace_labels, $._name)),
          optional(seq(',', field('cluster', $.pods_cluster))),
          ')',
          optional(field('selector', $.selector)),
        ),
        field('selector', $.selector),
      ),
      optional($.port_suffix),
    ),

    any_namespace: _ => '*',

    // `cluster = cluster2` in `pods(NS, cluster = cluster2)` (the checker takes no other name).
    pods_cluster: $ => seq(
      field('name', choice($.identifier, $._keyword_name)),
      '=',
      field('value', $._name),
    ),

    // `ns{team=payments}`: the namespaces carrying these labels.
    namespace_labels: $ => seq('ns', field('selector', $.selector)),

    // `rds(10.20.30.0/24:5432)`, `rds(db.internal, port = 6432):5433`
    call: $ => seq(
      field('function', choice($.identifier, $._keyword_callee)),
      '(',
      commaSep($.argument),
      ')',
      optional($.port_suffix),
    ),

    // `port = 6432`, `10.20.30.0/24`, and a quoted path: `path = "/v1/orders/*"` (the
    // compiler refuses quoted text anywhere but the `path` of `http(...)`, E0365).
    // A keyword before `=` is a parameter name (`host = api.example.com`), as in pest.
    argument: $ => seq(
      optional(seq(field('name', choice($.identifier, $._keyword_name)), '=')),
      field('value', choice($._destination, $.string)),
    ),

    // `10.20.30.0/24:5432/tcp`, `[fd00::1]:443`, `api.stripe.com:443/tcp`, `db:port/tcp`,
    // `metadata`, `5432`
    endpoint: $ => seq(
      field('address', $._address),
      optional(seq('/', choice(field('prefix', $.prefix_length), field('protocol', $.protocol)))),
      optional($.port_suffix),
    ),

    // The address of an endpoint or of `resolving ADDRESS`.
    _address: $ => choice(
      $.ipv4_address,
      $.ipv6_address,
      $.bracketed_address,
      $.host_name,
      $.wildcard_host,
      $.identifier,
      $._keyword_name,
      $.number,
      $.port_range,
      $.atom,
    ),

    // `[fd00::1]`
    bracketed_address: $ => seq('[', $.ipv6_address, ']'),

    // `:443`, `:8000-8100/udp`, `:port/tcp`, `:icmp`, `:gre`, `:icmp(8)`, `:icmpv6(128, 0)`
    port_suffix: $ => seq(
      ':',
      field('port', choice($.number, $.port_range, $.identifier)),
      optional(choice(
        seq('/', field('protocol', $.protocol)),
        field('arguments', $.icmp_arguments),
      )),
    ),

    // `(8)`, `(8, 0)`: an ICMP type and code (the compiler checks the protocol and the values).
    icmp_arguments: $ => seq('(', commaSep1(field('value', $.number)), ')'),

    // ----------------------------------------------------------------------------------------
    // Label selectors: `{tier=batch, env in (prod, staging), zone notin (a), canary, !legacy}`

    selector: $ => seq('{', commaSep($._label_expression), '}'),

    _label_expression: $ => choice(
      $.label_equals,
      $.label_not_equals,
      $.label_in,
      $.label_not_in,
      $.label_exists,
      $.label_absent,
    ),

    label_equals: $ => seq(field('key', $.label_key), '=', field('value', $._label_value)),
    label_not_equals: $ => seq(field('key', $.label_key), '!=', field('value', $._label_value)),
    label_in: $ => seq(field('key', $.label_key), 'in', field('values', $.value_set)),
    label_not_in: $ => seq(field('key', $.label_key), 'notin', field('values', $.value_set)),
    label_exists: $ => field('key', $.label_key),
    label_absent: $ => seq('!', field('key', $.label_key)),

    value_set: $ => seq('(', commaSep1($._label_value), ')'),

    _label_value: $ => choice($.string, $.label_value),
  },
});
