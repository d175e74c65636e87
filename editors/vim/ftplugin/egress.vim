" Vim filetype plugin for the egress-policy language (egressc).
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

" `#` comments; `##` lines above a `def` are its documentation.
setlocal commentstring=#\ %s
setlocal comments=:##,:#
setlocal formatoptions-=t formatoptions+=croql
" Names such as payments-api and k8s-app are one word.
setlocal iskeyword=@,48-57,_,-
setlocal suffixesadd=.egress

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< iskeyword< suffixesadd<'

let &cpo = s:cpo_save
unlet s:cpo_save
