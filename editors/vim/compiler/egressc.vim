" Vim compiler file for egressc, the egress-policy compiler.
"
"   :compiler egressc
"   :make            checks the program of egressc.toml (found from the working folder up)
"   :make %          checks the current file; :make policies/ a folder
"
" It reads `egressc check --error-format short`: one `file:line:col: severity[CODE]: message`
" line per diagnostic, into the quickfix list (errors as E, warnings as W, the code kept in the
" text). Set g:egressc_command (or b:egressc_command) to run another binary.

if exists('current_compiler')
  finish
endif
let current_compiler = 'egressc'

if exists(':CompilerSet') != 2
  command -nargs=* CompilerSet setlocal <args>
endif

let s:cpo_save = &cpo
set cpo&vim

let s:command = get(b:, 'egressc_command', get(g:, 'egressc_command', 'egressc'))
execute 'CompilerSet makeprg=' . escape(s:command, ' \|"') . '\ check\ --error-format\ short\ $*'

CompilerSet errorformat=
      \%f:%l:%c:\ %trror%m,
      \%f:%l:%c:\ %tarning%m,
      \%f:%l:%c:\ %m,
      \%trror%m,
      \%tarning%m,
      \%-G%.%#

let &cpo = s:cpo_save
unlet s:cpo_save
