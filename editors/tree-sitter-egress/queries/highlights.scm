; Highlights for the egress-policy language.
; Capture names follow the common set shared by Neovim, Helix and Zed. Patterns do not overlap
; (each node gets one capture), so the result does not depend on which pattern an editor
; prefers when two match.

; Comments
(comment) @comment
(doc_comment) @comment.documentation

; Keywords
[
  "namespace"
  "def"
  "app"
  "pods"
  "default"
  "cluster"
  "host"
  "reserved"
  "expect"
  "resolving"
  "set"
] @keyword

(namespace_labels "ns" @keyword)
(service_account_destination "serviceaccount" @keyword)
(service_account_destination name: (_) @module)
(service_destination "service" @keyword)
(service_destination name: (_) @module)
(deny_clause "deny" @keyword)
(default_deny "deny" @keyword)
(cluster_rule "deny" @keyword)
(cluster_namespaces "in" @keyword)
(except_clause "except" @keyword)
(except_clause namespace: (_) @module)
(verdict) @keyword

(label_in "in" @keyword.operator)
"notin" @keyword.operator

; Attributes: `@allow(W0101, "reason")`, `@allow(no-dns, "reason")`
(attribute "@" @attribute)
(attribute name: (identifier) @attribute)
(attribute argument: (identifier) @constant)
(attribute argument: (number) @number)
(attribute argument: (host_name) @constant)

; Statement subjects
(namespace_declaration name: (_) @module)
(app_rule name: (_) @label)
(pods_rule name: (_) @label)
(cluster_rule name: (_) @label)
(host_rule name: (_) @label)
(reserved_rule identity: (_) @label)
(expectation name: (_) @label)
(setting name: (_) @property)

; Definitions and calls
(definition name: (_) @function)
(parameter name: (_) @variable.parameter)
(type) @type.builtin
(call function: (identifier) @function.call)
(argument name: (identifier) @variable.parameter)
(pods_cluster name: (_) @variable.parameter)
(pods_cluster value: (_) @module)

; Destinations
(endpoint address: (identifier) @constant)
(endpoint address: (number) @number)
(endpoint address: (port_range) @number)
; `resolving ADDRESS`: addresses (and host names, atoms) get the captures below; a name or a
; bare number there is an error the compiler reports, coloured as in a destination.
(resolution address: (identifier) @constant)
(resolution address: (number) @number)
(resolution address: (port_range) @number)
(ipv4_address) @number
(ipv6_address) @number
(prefix_length) @number
(host_name) @string.special.url
(wildcard_host) @string.special.url
(atom) @string.special
(any_namespace) @character.special
(pods_destination namespace: [(identifier) (loose_name)] @module)

(port_suffix port: (number) @number)
(port_suffix port: (port_range) @number)
((port_suffix port: (identifier) @type.builtin)
  (#match? @type.builtin "^(icmp|icmpv6|gre|esp|ah|vrrp|ipip|igmp)$"))
((port_suffix port: (identifier) @variable.parameter)
  (#not-match? @variable.parameter "^(icmp|icmpv6|gre|esp|ah|vrrp|ipip|igmp)$"))
(icmp_arguments value: (number) @number)

((protocol) @type.builtin
  (#match? @type.builtin "^(tcp|udp|sctp)$"))
((protocol) @variable.parameter
  (#not-match? @variable.parameter "^(tcp|udp|sctp)$"))

; Label selectors
(label_key) @property
(label_value) @string
(string) @string

; Operators and punctuation
[
  "->"
  "="
  "!="
  "!"
  "|"
] @operator

[
  ","
  ":"
  "/"
] @punctuation.delimiter

[
  "("
  ")"
  "{"
  "}"
  "["
  "]"
] @punctuation.bracket
