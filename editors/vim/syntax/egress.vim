" Vim syntax file
" Language:    egress-policy language (egressc), *.egress
" Notes:       Works in Vim 8.2+ and Neovim. The authority on the language is
"              grammar/egress.pest in the egressc repository.
"
" Matching order matters: when two matches start at the same column, the one defined
" last wins, and keywords beat matches. So the catch-all atom comes first and the more
" specific literals (IPv4 over host name, protocol over parameter) after it.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
" Names such as payments-api, k8s-app and deny-all are one word: no keyword inside them.
syn iskeyword @,48-57,_,-

" ---------------------------------------------------------------------------------------
" Destinations (the catch-all first)

" Anything else the compiler reads as one literal (and reports on): a*b, 10.0.0.0.5/x.
syn match egressAtom /[A-Za-z0-9.:*\/_\[\]-]\+/

" dns, metadata, db (a definition or a parameter).
syn match egressName /\%([A-Za-z0-9_.:*\/-]\)\@<![A-Za-z_][A-Za-z0-9_]*\%(-\+[A-Za-z0-9_]\+\)*\ze\%([^A-Za-z0-9_.*-]\|$\)/

" 5432, 8000-8100 (a bare port, as a parameter default).
syn match egressPortLiteral /\%([A-Za-z0-9_.:*\/-]\)\@<!\d\+\%(-\d\+\)\?\ze\%([^A-Za-z0-9_.:*-]\|$\)/

" api.stripe.com, db.internal, example.com.
syn match egressHost /\%([A-Za-z0-9_.:*\/-]\)\@<![A-Za-z0-9_-]\+\%(\.[A-Za-z0-9_-]\+\)\+\.\?/

" *.example.com (one label), **.example.com (one or more).
syn match egressWildcard /\%([A-Za-z0-9_.:*\/-]\)\@<!\%(\*\*\?\|[A-Za-z0-9_-]*\*[A-Za-z0-9_*-]*\)\%(\.[A-Za-z0-9_-]\+\)\+\.\?/ contains=egressWildcardStar
syn match egressWildcardStar /\*\+/ contained

" 10.20.30.0 (octet values are checked by the compiler); /24 is an egressPrefix.
syn match egressIPv4 /\%([A-Za-z0-9_.:*\/-]\)\@<!\d\+\.\d\+\.\d\+\.\d\+\ze\%([^A-Za-z0-9_.*-]\|$\)/

" fd00:ec2::254, ::, ::ffff:10.0.0.1 (at least two colons: db:5432 is a name and a port).
syn match egressIPv6 /\%([A-Za-z0-9_.:*\/-]\)\@<![0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*/
" [fd00::1]:443
syn match egressIPv6Bracketed /\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]/ contains=egressBracket
syn match egressBracket /[\[\]]/ contained

" /24, /128 after an address.
syn match egressPrefixSlash /\%([0-9A-Fa-f:.]\)\@<=\/\ze\d/
syn match egressPrefix /\%([0-9A-Fa-f:.]\/\)\@<=\d\+/

" :443, :8000-8100, :port after an address, a name, a call or a selector.
syn match egressPortColon /\%([A-Za-z0-9_.\])}]\)\@<=:\ze[A-Za-z0-9_]/
syn match egressPortParam /\%([A-Za-z0-9_.\])}]:\)\@<=[A-Za-z_][A-Za-z0-9_-]*/
syn match egressPort /\%([A-Za-z0-9_.\])}]:\)\@<=\d\+\%(-\d\+\)\?/
" :icmp, :icmp(8, 0), :icmpv6, :gre: a protocol without ports (its type and code are numbers).
syn match egressPortProtocol /\%([A-Za-z0-9_.\])}]:\)\@<=\%(icmpv6\|icmp\|gre\|esp\|ah\|vrrp\|ipip\|igmp\)\%([A-Za-z0-9_-]\)\@!/

" /tcp, /udp, /sctp after a port (or /p, a parameter holding one).
syn match egressProtocolSlash /\%([A-Za-z0-9_]\)\@<=\/\ze[A-Za-z_]/
syn match egressProtocolParam /\%([A-Za-z0-9_]\/\)\@<=[A-Za-z_][A-Za-z0-9_]*/
syn match egressProtocol /\%([A-Za-z0-9_]\/\)\@<=\%(tcp\|udp\|sctp\)\%([A-Za-z0-9_]\)\@!/

" rds(...), fqdn(...): a call; port = 6432: a named argument.
syn match egressFunction /\%([A-Za-z0-9_.:*\/-]\)\@<![A-Za-z_][A-Za-z0-9_]*\%(-\+[A-Za-z0-9_]\+\)*\ze\s*(/
syn match egressArgName /\%([A-Za-z0-9_.:*\/-]\)\@<![a-z][A-Za-z0-9_-]*\ze\s*=\%([^=]\|$\)/

" pods{...}, pods(kube-system){...}, pods(*){...}
syn region egressPodsNamespace contained oneline matchgroup=egressParen start=/(/ end=/)/ contains=egressAnyNamespace,egressNamespaceRef,egressNsLabels,egressSelector nextgroup=egressSelector skipwhite
syn match egressAnyNamespace /\*/ contained
syn match egressNamespaceRef /[^ \t(){}*]\+/ contained
" pods(ns{team=payments}): the namespaces carrying these labels.
syn match egressNsLabels /ns\ze\s*{/ contained nextgroup=egressSelector skipwhite

" ---------------------------------------------------------------------------------------
" Label selectors: {tier=batch, env in (prod, staging), zone notin (a), canary, !legacy}

syn region egressSelector matchgroup=egressBrace start=/{/ end=/}/ contains=egressLabelKey,egressLabelValue,egressLabelNot,egressLabelOp,egressLabelKeyword,egressValueSet,egressString,egressComment,egressDocComment,egressDelimiter
syn match egressLabelKey /[A-Za-z0-9._\/-]\+/ contained
syn match egressLabelValue /\%(=\s*\)\@<=[A-Za-z0-9._-]\+/ contained
syn match egressLabelNot /!/ contained
syn match egressLabelOp /!=\|=/ contained
syn keyword egressLabelKeyword in notin contained
syn region egressValueSet contained matchgroup=egressParen start=/(/ end=/)/ contains=egressSetValue,egressString,egressDelimiter
syn match egressSetValue /[A-Za-z0-9._-]\+/ contained

" "quoted value" (no escapes, no line breaks)
syn region egressString start=/"/ end=/"/ end=/$/ oneline

" ---------------------------------------------------------------------------------------
" Statements

" Keywords are contextual (grammar/egress.pest): a statement keyword only where a statement
" starts, so that `namespace default` and `app set -> deny` read as names.
syn match egressStatement /^\s*\zsnamespace\ze\s/ nextgroup=egressNamespaceName skipwhite
syn match egressStatement /^\s*\zs\%(app\|cluster\|host\|reserved\|expect\)\ze\s/ nextgroup=egressRuleName skipwhite
syn match egressStatement /^\s*\zsdefault\ze\s\+deny\>/
syn match egressDeny /\%(^\s*default\s\+\)\@<=deny\>/
syn match egressStatement /^\s*\zsset\ze\s/ nextgroup=egressSettingName skipwhite
syn match egressPods /^\s*\zspods\ze\s/ nextgroup=egressRuleName skipwhite
syn match egressDefine /^\s*\zsdef\ze\s/ nextgroup=egressDefName skipwhite
" As a destination, `pods` followed by `(` or `{`.
syn match egressPods /\%([A-Za-z0-9_.:*\/-]\)\@<!pods\ze\s*[({]/ nextgroup=egressPodsNamespace,egressSelector skipwhite
" `deny` followed by a destination (a deny clause or a guardrail's list); `deny` before `,`,
" `)` or the end of the line is a name.
syn match egressDeny /\%([A-Za-z0-9_.:*\/-]\)\@<!deny\ze[ \t]\+[^ \t,)#]/
" A cluster statement's `in ns{...}` and `except NAMESPACE, ...`, before its arrow or `deny`.
syn match egressStatement /\%(^\s*cluster\s[^>#]*\)\@<=\<in\ze\s\+ns{/
syn match egressStatement /\%(^\s*cluster\s[^>#]*\)\@<=\<except\ze\%(\s\|$\)/ nextgroup=egressNamespaceName skipwhite
" An expectation's verdict and `resolving ADDRESS` (the address is an egressIPv4 or egressIPv6).
syn match egressDeny /\%(^\s*expect\s.*\)\@<=\<deny\ze\s*\%(#.*\)\=$/
syn match egressAllow /\%(^\s*expect\s.*\)\@<=\<allow\ze\s*\%(#.*\)\=$/
syn match egressResolving /\%(^\s*expect\s.*\)\@<=\<resolving\ze\s\+[^ \t,)#]/
" serviceaccount(payments/ledger): the pods running as a service account.
syn match egressServiceAccount /\%([A-Za-z0-9_.:*\/-]\)\@<!serviceaccount\ze\s*(/ nextgroup=egressPodsNamespace skipwhite
" service(kube-system/kube-dns): the endpoints of a Service.
syn match egressService /\%([A-Za-z0-9_.:*\/-]\)\@<!service\ze\s*(/ nextgroup=egressPodsNamespace skipwhite
" The built-in destinations (`cluster` starting a line is the guardrail statement's keyword).
syn match egressBuiltin /\%(^\s*\)\@<!\%([A-Za-z0-9_.:*\/-]\)\@<!\%(none\|any\|kube-apiserver\|nodes\|this-node\|other-nodes\|cluster\)\ze\%([^A-Za-z0-9_.*-]\|$\)/

" A statement's subject: pest's loose name (anything up to a space, a comma, a bracket, `->`...).
syn match egressNamespaceName contained /\%([^ \t#,(){}=:|"-]\|-\%(>\)\@!\)\+/
syn match egressRuleName contained /\%([^ \t#,(){}=:|"-]\|-\%(>\)\@!\)\+/
syn match egressSettingName contained /\%([^ \t#,(){}=:|"-]\|-\%(>\)\@!\)\+/
syn match egressDefName contained /\%([^ \t#,(){}=:|"-]\|-\%(>\)\@!\)\+/ nextgroup=egressParams skipwhite

" def rds(db: cidr | host, port: port = 5432) = ...
syn region egressParams contained matchgroup=egressParen start=/(/ end=/)/ contains=@egressDestination,egressParamName,egressParamType,egressParamColon,egressOperator,egressComment
syn match egressParamName contained /[A-Za-z_][A-Za-z0-9_-]*\ze\s*:/
syn match egressParamColon contained /:/
syn match egressParamType contained /\%(\%(:\||\)\s*\)\@<=[a-z]\+/

syn cluster egressDestination contains=egressAtom,egressName,egressBuiltin,egressDeny,egressServiceAccount,egressService,egressPortLiteral,egressHost,egressWildcard,egressIPv4,egressIPv6,egressIPv6Bracketed,egressPrefixSlash,egressPrefix,egressPortColon,egressPortParam,egressPort,egressPortProtocol,egressProtocolSlash,egressProtocolParam,egressProtocol,egressFunction,egressArgName,egressPods,egressSelector,egressDelimiter,egressParen,egressString

" @allow(W0101, "reason") or @allow(no-dns, "reason") on the line before a statement (lint
" suppression, by code or name).
syn match egressAttribute /^\s*\zs@[A-Za-z_][A-Za-z0-9_-]*/
syn match egressLintCode /\%([A-Za-z0-9_.:*\/-]\)\@<![A-Z]\+\d\+\ze\%([^A-Za-z0-9_.:*-]\|$\)/
syn match egressLintCode /\%(^\s*@allow\s*(\s*\)\@<=[A-Za-z][A-Za-z0-9-]*/

" ---------------------------------------------------------------------------------------
" Operators and punctuation

syn match egressOperator /[=|]/
syn match egressArrow /->/
syn match egressDelimiter /,/
syn match egressParen /[()]/

" ---------------------------------------------------------------------------------------
" Comments (last: `#` starts a comment anywhere outside a string)

syn keyword egressTodo contained TODO FIXME XXX NOTE
syn match egressComment /#.*$/ contains=egressTodo,@Spell
syn match egressDocComment /##.*$/ contains=egressTodo,@Spell

" Selectors, parameter lists and calls span lines: parse from the start (files are small).
syn sync fromstart

" ---------------------------------------------------------------------------------------

hi def link egressComment         Comment
hi def link egressDocComment      SpecialComment
hi def link egressTodo            Todo
hi def link egressStatement       Statement
hi def link egressPods            Statement
hi def link egressDefine          Keyword
hi def link egressDeny            Exception
hi def link egressAllow           Conditional
hi def link egressResolving       Keyword
hi def link egressNamespaceName   Type
hi def link egressRuleName        Identifier
hi def link egressDefName         Function
hi def link egressSettingName     Identifier
hi def link egressParamName       Identifier
hi def link egressParamType       Type
hi def link egressParamColon      Delimiter
hi def link egressFunction        Function
hi def link egressArgName         Identifier
hi def link egressName            Identifier
hi def link egressAtom            Constant
hi def link egressPortLiteral     Number
hi def link egressHost            String
hi def link egressWildcard        String
hi def link egressWildcardStar    Special
hi def link egressIPv4            Number
hi def link egressIPv6            Number
hi def link egressIPv6Bracketed   Number
hi def link egressBracket         Delimiter
hi def link egressPrefixSlash     Delimiter
hi def link egressPrefix          Number
hi def link egressPortColon       Delimiter
hi def link egressPort            Number
hi def link egressPortParam       Identifier
hi def link egressPortProtocol    Type
hi def link egressProtocolSlash   Delimiter
hi def link egressProtocol        Type
hi def link egressProtocolParam   Identifier
hi def link egressAnyNamespace    Special
hi def link egressNamespaceRef    Type
hi def link egressNsLabels        Keyword
hi def link egressBuiltin         Constant
hi def link egressServiceAccount  Statement
hi def link egressService         Statement
hi def link egressBrace           Delimiter
hi def link egressLabelKey        Identifier
hi def link egressLabelValue      String
hi def link egressSetValue        String
hi def link egressLabelNot        Operator
hi def link egressLabelOp         Operator
hi def link egressLabelKeyword    Operator
hi def link egressString          String
hi def link egressAttribute       PreProc
hi def link egressLintCode        Constant
hi def link egressOperator        Operator
hi def link egressArrow           Operator
hi def link egressDelimiter       Delimiter
hi def link egressParen           Delimiter

let b:current_syntax = 'egress'

let &cpo = s:cpo_save
unlet s:cpo_save
