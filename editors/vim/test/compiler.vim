" Test of compiler/egressc.vim: `:compiler egressc` and `:make FILE` fill the quickfix list
" from `egressc check --error-format short`.
"
"   EGRESSC=target/debug/egressc EGRESS_VIM_TEST_OUT=/tmp/out \
"     vim -Es -N -u NONE -i NONE -S editors/vim/test/compiler.vim
"
" Results go to $EGRESS_VIM_TEST_OUT; the exit code is 0 when every check passed.

let s:here = expand('<sfile>:p:h')
let s:vimdir = fnamemodify(s:here, ':h')
let s:repo = fnamemodify(s:vimdir, ':h:h')
let s:log = []
let s:failed = 0
let s:passed = 0

function! s:Check(ok, what) abort
  if a:ok
    let s:passed += 1
    call add(s:log, 'ok   ' . a:what)
  else
    let s:failed += 1
    call add(s:log, 'FAIL ' . a:what)
  endif
endfunction

try
  execute 'set runtimepath^=' . fnameescape(s:vimdir)
  let g:egressc_command = $EGRESSC
  compiler egressc
  call s:Check(get(b:, 'current_compiler', get(g:, 'current_compiler', '')) ==# 'egressc', ':compiler egressc is found')
  call s:Check(&l:makeprg =~# 'check --error-format short', 'makeprg runs `check --error-format short`: ' . &l:makeprg)
  execute 'cd ' . fnameescape(s:repo)

  " An error: file, line, column, type and code.
  silent make! tests/fixtures/syntax/err/unclosed-brace.egress
  let qf = filter(getqflist(), 'v:val.valid')
  call s:Check(len(qf) == 1, 'one error in the quickfix list (' . len(qf) . ')')
  if len(qf) == 1
    let e = qf[0]
    call s:Check(bufname(e.bufnr) =~# 'unclosed-brace.egress$', 'file: ' . bufname(e.bufnr))
    call s:Check(e.lnum == 3 && e.col == 30, 'line 3, column 30: ' . e.lnum . ':' . e.col)
    call s:Check(e.type ==# 'e', 'type e: ' . e.type)
    call s:Check(e.text =~# 'E0101.*unclosed `{`: expected `}`', 'text: ' . e.text)
  endif

  " Warnings: type w, at the lint's place.
  silent make! examples/pitfalls/pitfalls.egress
  let qf = filter(getqflist(), 'v:val.valid')
  let warnings = filter(copy(qf), 'v:val.type ==# "w"')
  call s:Check(len(warnings) > 0 && warnings[0].lnum > 0, len(warnings) . ' warnings with a line')
  call s:Check(len(filter(copy(warnings), 'v:val.text =~# "W01[0-9][0-9]"')) == len(warnings), 'each warning has its code')

  " A clean file: an empty list.
  let clean = tempname() . '.egress'
  call writefile(['namespace a', 'default deny', 'app b -> dns'], clean)
  execute 'silent make! ' . fnameescape(clean)
  call s:Check(empty(filter(getqflist(), 'v:val.valid')), 'no entry for a clean file')
catch
  call s:Check(0, 'no Vim error: ' . v:exception . ' at ' . v:throwpoint)
endtry

call add(s:log, printf('vim compiler: %d passed, %d failed', s:passed, s:failed))
call writefile(s:log, empty($EGRESS_VIM_TEST_OUT) ? s:here . '/compiler-results.txt' : $EGRESS_VIM_TEST_OUT)
execute s:failed == 0 ? 'qall!' : 'cquit!'
