-- A real client: Neovim (Debian 12's 0.7, or newer), headless, attached to `egressc lsp` on a
-- program of two files (egressc.toml, one file never opened by hand). Asserts that the
-- diagnostics, hover, go to definition (into the other file and into the standard library), a
-- code action and a rename arrive and are right, applying the edits as Neovim does.
--
--   EGRESSC=target/debug/egressc EGRESS_OUT=/tmp/out \
--     nvim --headless -u NONE -i NONE -c 'luafile editors/vim/test/lsp.lua'
local egressc = assert(os.getenv('EGRESSC'))
local out = assert(os.getenv('EGRESS_OUT'))
local results, passed, failed = {}, 0, 0
local function check(ok, what)
  if ok then
    passed = passed + 1
    table.insert(results, 'ok   ' .. what)
  else
    failed = failed + 1
    table.insert(results, 'FAIL ' .. what)
  end
  return ok
end

local ok, err = pcall(function()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  vim.fn.writefile({ 'sources = ["."]' }, dir .. '/egressc.toml')
  vim.fn.writefile({
    '## The ledger service.',
    'def ledger(port: port = 443) = 10.1.0.0/16:port/tcp',
  }, dir .. '/defs.egress')
  vim.fn.writefile({
    'namespace payments',
    'default deny',
    '',
    'app payments-api -> dns, ledger(8443), ledgr',
  }, dir .. '/app.egress')

  local id = vim.lsp.start_client({
    name = 'egressc',
    cmd = { egressc, 'lsp' },
    cmd_env = { XDG_CACHE_HOME = dir .. '/cache' },
    root_dir = dir,
  })
  check(id ~= nil, 'egressc lsp starts')
  vim.cmd('edit ' .. vim.fn.fnameescape(dir .. '/app.egress'))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, id)
  local client = vim.lsp.get_client_by_id(id)
  local function errors()
    return vim.tbl_filter(function(d)
      return d.severity == vim.diagnostic.severity.ERROR
    end, vim.diagnostic.get(buf))
  end
  local function code(d)
    return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  end

  -- Diagnostics: `ledgr` is unknown, `ledger` (in the unopened file) is not.
  vim.wait(20000, function() return #errors() > 0 end, 50)
  local e = errors()
  check(#e == 1, 'one error published (' .. #e .. ')')
  if e[1] then
    check(code(e[1]) == 'E0201' and e[1].lnum == 3 and e[1].col == 39,
      string.format('E0201 at 4:40 (%s at %d:%d): %s', tostring(code(e[1])), e[1].lnum + 1, e[1].col + 1, e[1].message))
  end

  local function at(line, col)
    return { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line, character = col } }
  end
  local function request(method, params)
    local resp = client.request_sync(method, params, 10000, buf)
    return resp and resp.result, resp and resp.err
  end

  -- Hover on `ledger`: its signature and its `##` documentation.
  local hover = request('textDocument/hover', at(3, 27))
  local text = hover and hover.contents and hover.contents.value or ''
  check(text:find('ledger(port: port = 443)', 1, true) and text:find('The ledger service', 1, true),
    'hover shows the signature and documentation: ' .. text:gsub('\n', ' '))

  -- Definition into the other file, and into the standard library.
  local function target(result)
    if result and result[1] then result = result[1] end
    return result and result.uri or '', result and result.range and result.range.start.line or -1
  end
  local uri, line = target(request('textDocument/definition', at(3, 27)))
  check(uri == vim.uri_from_fname(dir .. '/defs.egress') and line == 1, 'definition of `ledger` in defs.egress: ' .. uri .. ':' .. line)
  uri, line = target(request('textDocument/definition', at(3, 21)))
  check(uri:find('/cache/egressc/stdlib%-') and uri:find('prelude.egress$'), 'definition of `dns` in the standard library: ' .. uri)
  local stdlib = vim.fn.readfile(vim.uri_to_fname(uri))
  check(stdlib[line + 1] and stdlib[line + 1]:find('^def dns'), 'its line defines `dns`: ' .. tostring(stdlib[line + 1]))

  -- Code action: the did-you-mean fix, applied; the error goes away.
  local actions = request('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 3, character = 39 }, ['end'] = { line = 3, character = 39 } },
    context = { diagnostics = {} },
  }) or {}
  local fix
  for _, a in ipairs(actions) do
    if a.title == 'Replace with `ledger`' then fix = a end
  end
  if check(fix ~= nil, 'a code action replaces `ledgr` with `ledger`') then
    vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
    check(vim.api.nvim_buf_get_lines(buf, 3, 4, false)[1] == 'app payments-api -> dns, ledger(8443), ledger', 'the fix is applied')
    vim.wait(20000, function() return #errors() == 0 end, 50)
    check(#errors() == 0, 'the error is gone after the fix')
  end

  -- Rename `ledger` to `books`: both files, the unopened one too.
  local edit = request('textDocument/rename', { textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = 3, character = 27 }, newName = 'books' })
  local changes = edit and edit.changes or {}
  local defs_uri = vim.uri_from_fname(dir .. '/defs.egress')
  check(changes[vim.uri_from_bufnr(buf)] and #changes[vim.uri_from_bufnr(buf)] == 2 and changes[defs_uri] and #changes[defs_uri] == 1,
    'rename edits both uses and the definition in the other file')
  if edit then
    vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
    check(vim.api.nvim_buf_get_lines(buf, 3, 4, false)[1] == 'app payments-api -> dns, books(8443), books', 'the rename is applied here')
    local defs = vim.fn.bufnr(dir .. '/defs.egress')
    check(defs > 0 and vim.api.nvim_buf_get_lines(defs, 1, 2, false)[1]:find('^def books%(') ~= nil, 'and in defs.egress')
  end
  client.stop()
end)
if not ok then check(false, 'no Lua error: ' .. tostring(err)) end
table.insert(results, string.format('neovim lsp: %d passed, %d failed', passed, failed))
vim.fn.writefile(results, out)
vim.cmd(failed == 0 and 'qa!' or 'cquit!')
