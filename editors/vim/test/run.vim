" Tests of the Vim support (ftdetect, ftplugin, syntax) for .egress files.
"
" Run (from any directory):
"   EGRESS_VIM_TEST_OUT=/tmp/out.txt vim -Es -N -u NONE -i NONE -S editors/vim/test/run.vim
" Results go to $EGRESS_VIM_TEST_OUT (Ex mode prints nothing); the exit code is 0 when every
" check passed, 1 otherwise.
"
" 1. Every .egress file in <repo>/examples and <repo>/stdlib (globbed at run time) opens with
"    filetype `egress`, the egress syntax and ftplugin settings and no error; every non-blank
"    character outside comments gets a syntax group; and key positions get the expected group:
"    statement keywords, `->`, `deny`/`allow`/`resolving`, IPv4 and resolved IPv6 addresses,
"    protocols, comments.
" 2. test/positions.egress: `#   ^^^ egressGroup` lines assert the group of the characters
"    above the carets (`# <- egressGroup` asserts column 1), as tree-sitter highlight tests do.

let s:here = expand('<sfile>:p:h')
let s:vimdir = fnamemodify(s:here, ':h')
let s:repo = fnamemodify(s:vimdir, ':h:h')
let s:out = empty($EGRESS_VIM_TEST_OUT) ? s:here . '/results.txt' : $EGRESS_VIM_TEST_OUT

let s:log = []
let s:passed = 0
let s:failed = 0

function! s:Fail(msg) abort
  call add(s:log, '  FAIL ' . a:msg)
  let s:failures += 1
endfunction

function! s:Group(lnum, col) abort
  return synIDattr(synID(a:lnum, a:col, 1), 'name')
endfunction

function! s:IsComment(lnum, col) abort
  return s:Group(a:lnum, a:col) =~# '^egress\%(Doc\)\?Comment$\|^egressTodo$'
endfunction

" Checks that every match of pattern on the line (outside comments and strings) starts with
" one of the groups.
function! s:CheckAll(lnum, line, pattern, groups, what) abort
  let start = 0
  while 1
    let [str, from, to] = matchstrpos(a:line, a:pattern, start)
    if from < 0
      break
    endif
    let col = from + 1
    let group = s:Group(a:lnum, col)
    if !s:IsComment(a:lnum, col) && group !=# 'egressString' && index(a:groups, group) < 0
      call s:Fail(printf('%s:%d:%d: %s %s has group %s, expected %s',
            \ s:name, a:lnum, col, a:what, string(str), string(group), join(a:groups, ' or ')))
    endif
    let start = to > from ? to : from + 1
  endwhile
endfunction

" The same for a pattern anchored at the start of the line, which has at most one match
" (`matchstrpos` with a later start would match `^` there again).
function! s:CheckFirst(lnum, line, pattern, groups, what) abort
  let [str, from, to] = matchstrpos(a:line, a:pattern)
  if from < 0
    return
  endif
  let col = from + 1
  let group = s:Group(a:lnum, col)
  if !s:IsComment(a:lnum, col) && group !=# 'egressString' && index(a:groups, group) < 0
    call s:Fail(printf('%s:%d:%d: %s %s has group %s, expected %s',
          \ s:name, a:lnum, col, a:what, string(str), string(group), join(a:groups, ' or ')))
  endif
endfunction

function! s:OpenFile(path) abort
  let v:errmsg = ''
  try
    execute 'silent edit! ' . fnameescape(a:path)
  catch
    call s:Fail(printf('%s: error while opening: %s', s:name, v:exception))
    return 0
  endtry
  if !empty(v:errmsg)
    call s:Fail(printf('%s: error message while opening: %s', s:name, v:errmsg))
  endif
  if &filetype !=# 'egress'
    call s:Fail(printf('%s: filetype is %s, expected egress', s:name, string(&filetype)))
    return 0
  endif
  if get(b:, 'current_syntax', '') !=# 'egress'
    call s:Fail(printf('%s: b:current_syntax is %s', s:name, string(get(b:, 'current_syntax', ''))))
    return 0
  endif
  if &commentstring !=# '# %s'
    call s:Fail(printf('%s: commentstring is %s', s:name, string(&commentstring)))
  endif
  if &comments !~# '#'
    call s:Fail(printf('%s: comments is %s', s:name, string(&comments)))
  endif
  return 1
endfunction

function! s:CheckExample(path) abort
  let s:name = fnamemodify(a:path, ':.')
  if !s:OpenFile(a:path)
    return
  endif
  for lnum in range(1, line('$'))
    let line = getline(lnum)
    " Every non-blank character gets a syntax group (forces syntax over the whole file).
    for col in range(1, len(line))
      if line[col - 1] !~# '\s' && s:Group(lnum, col) ==# ''
        call s:Fail(printf('%s:%d:%d: %s has no syntax group', s:name, lnum, col, string(line[col - 1])))
        break
      endif
    endfor
    let first = match(line, '\S')
    if first < 0
      continue
    endif
    if line[first] ==# '#'
      let expected = line[first : first + 1] ==# '##' ? 'egressDocComment' : 'egressComment'
      if s:Group(lnum, first + 1) !=# expected
        call s:Fail(printf('%s:%d: comment line has group %s, expected %s', s:name, lnum, string(s:Group(lnum, first + 1)), expected))
      endif
      continue
    endif
    " Keywords are contextual: statement keywords where a statement starts, `deny` before a
    " destination, after `default` and as a verdict, `allow` as a verdict.
    call s:CheckFirst(lnum, line, '^\s*\zs\%(namespace\|app\|cluster\|host\|reserved\|expect\|default\)\>', ['egressStatement'], 'statement keyword')
    call s:CheckFirst(lnum, line, '^\s*\zspods\>', ['egressPods'], 'statement keyword')
    call s:CheckFirst(lnum, line, '^\s*\zsdef\>', ['egressDefine'], 'statement keyword')
    call s:CheckAll(lnum, line, '->', ['egressArrow'], 'arrow')
    call s:CheckAll(lnum, line, '\%([A-Za-z0-9_-]\)\@<!deny\ze[ \t]\+[^ \t,)#]', ['egressDeny'], 'keyword')
    call s:CheckAll(lnum, line, '\%(^\s*default\s\+\)\@<=deny\>', ['egressDeny'], 'keyword')
    call s:CheckAll(lnum, line, '\%(^\s*expect\s.*\)\@<=\<deny\ze\s*\%(#.*\)\=$', ['egressDeny'], 'keyword')
    call s:CheckAll(lnum, line, '\%(^\s*expect\s.*\)\@<=\<allow\ze\s*\%(#.*\)\=$', ['egressAllow'], 'keyword')
    call s:CheckAll(lnum, line, '\%(^\s*expect\s.*\)\@<=\<resolving\ze\s\+[^ \t,)#]', ['egressResolving'], 'keyword')
    call s:CheckAll(lnum, line, '\%([A-Za-z0-9_-]\)\@<!resolving\s\+\zs[0-9A-Fa-f]*:[0-9A-Fa-f:.]*', ['egressIPv6'], 'resolved IPv6 address')
    call s:CheckAll(lnum, line, '\%([0-9.]\)\@<!\d\+\.\d\+\.\d\+\.\d\+\%([0-9.]\)\@!', ['egressIPv4'], 'IPv4 address')
    call s:CheckAll(lnum, line, '\%([A-Za-z0-9_]\/\)\@<=\%(tcp\|udp\|sctp\)\>', ['egressProtocol'], 'protocol')
    " A port: `:443` not followed by more of an IPv6 address (`fd00:10::/64`).
    call s:CheckAll(lnum, line, '[A-Za-z0-9.]\zs:\d\+\%([0-9A-Fa-f:]\)\@!', ['egressPortColon'], 'port')
  endfor
endfunction

" `#   ^^^ group` lines assert the group under the carets on the closest line above that is
" not an assertion; `# <- group` asserts column 1.
function! s:CheckAssertions(path) abort
  let s:name = fnamemodify(a:path, ':.')
  if !s:OpenFile(a:path)
    return
  endif
  let source = 0
  let n = 0
  for lnum in range(1, line('$'))
    let line = getline(lnum)
    let m = matchlist(line, '^#\(\s*\)\(\^\+\|<-\)\s\+\(\S\+\)\s*$')
    if empty(m)
      let source = lnum
      continue
    endif
    if m[2] ==# '<-'
      let cols = [1]
    else
      let first = 1 + len(m[1]) + 1
      let cols = range(first, first + len(m[2]) - 1)
    endif
    for col in cols
      let n += 1
      let group = s:Group(source, col)
      if group !=# m[3]
        call s:Fail(printf('%s:%d:%d: %s has group %s, expected %s',
              \ s:name, source, col, string(getline(source)[col - 1]), string(group), m[3]))
      endif
    endfor
  endfor
  if n == 0
    call s:Fail(s:name . ': no assertions found')
  endif
  call add(s:log, printf("  %d assertions", n))
endfunction

function! s:Run(label, Fn, path) abort
  let s:failures = 0
  call call(a:Fn, [a:path])
  if s:failures == 0
    let s:passed += 1
    call add(s:log, 'ok   ' . a:label)
  else
    let s:failed += 1
    call add(s:log, 'FAIL ' . a:label)
  endif
endfunction

execute 'set runtimepath^=' . fnameescape(s:vimdir)
filetype plugin on
syntax on

let s:examples = sort(glob(s:repo . '/examples/*.egress', 0, 1)) + sort(glob(s:repo . '/stdlib/*.egress', 0, 1))
if empty(s:examples)
  let s:failures = 0
  call s:Fail('no .egress files in ' . s:repo . '/examples or /stdlib')
  let s:failed += 1
endif
for s:path in s:examples
  call s:Run(fnamemodify(s:path, ':s?^' . escape(s:repo, '?\.*[]~') . '/??'), function('s:CheckExample'), s:path)
endfor
for s:path in sort(glob(s:here . '/*.egress', 0, 1))
  call s:Run('editors/vim/test/' . fnamemodify(s:path, ':t'), function('s:CheckAssertions'), s:path)
endfor

" Reorder: a FAIL line's details come before it; print the verdict line first.
let s:report = []
let s:pending = []
for s:entry in s:log
  if s:entry =~# '^  '
    call add(s:pending, s:entry)
  else
    call add(s:report, s:entry)
    call extend(s:report, s:pending)
    let s:pending = []
  endif
endfor
call add(s:report, printf('vim: %d passed, %d failed', s:passed, s:failed))
call writefile(s:report, s:out)
if s:failed > 0
  cquit
endif
qall!
