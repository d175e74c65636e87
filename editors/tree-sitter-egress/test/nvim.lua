-- Neovim (Debian 12's 0.7 and newer) loads the generated parser and highlights an example.
--
--   EGRESS_SO=egress.so EGRESS_EXAMPLE=examples/payments.egress EGRESS_OUT=out.txt \
--     nvim --headless -u NONE -i NONE -c 'luafile editors/tree-sitter-egress/test/nvim.lua'
--
-- Checks: the parser's ABI is one this Neovim accepts and it loads; the example parses
-- without an error node; queries/highlights.scm compiles with this Neovim's query parser;
-- the captures of known places are right; the highlighter attaches to the buffer and maps
-- each capture to a highlight group. Results go to EGRESS_OUT; Neovim exits 0 or 1.
local so = assert(os.getenv('EGRESS_SO'))
local example = assert(os.getenv('EGRESS_EXAMPLE'))
local out = assert(os.getenv('EGRESS_OUT'))
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*)/test/[^/]*$')
local results, failed, passed = {}, 0, 0
local function check(ok, what)
  if ok then
    passed = passed + 1
    table.insert(results, 'ok   ' .. what)
  else
    failed = failed + 1
    table.insert(results, 'FAIL ' .. what)
  end
end
local function finish()
  table.insert(results, string.format('neovim %s: %d passed, %d failed', tostring(vim.version and vim.version().minor and ('0.' .. vim.version().minor) or '?'), passed, failed))
  vim.fn.writefile(results, out)
  vim.cmd(failed == 0 and 'qa!' or 'cquit!')
end

local ok, err = pcall(function()
  check(vim.treesitter.language_version >= 14, 'this Neovim reads ABI ' .. vim.treesitter.language_version)
  local loaded, why = pcall(vim.treesitter.require_language, 'egress', so)
  check(loaded, 'the parser loads' .. (loaded and '' or (': ' .. tostring(why))))
  if not loaded then return end
  vim.cmd('edit ' .. vim.fn.fnameescape(example))
  local buf = vim.api.nvim_get_current_buf()
  local parser = vim.treesitter.get_parser(buf, 'egress')
  local root = parser:parse()[1]:root()
  check(root:type() == 'source_file' and not root:has_error(), 'the example parses without errors')

  local text = table.concat(vim.fn.readfile(here .. '/queries/highlights.scm'), '\n')
  local parse = vim.treesitter.query.parse_query or vim.treesitter.query.parse
  local compiled, query = pcall(parse, 'egress', text)
  check(compiled, 'queries/highlights.scm compiles' .. (compiled and '' or (': ' .. tostring(query))))
  if not compiled then return end

  -- The first capture at each (row, column).
  local at = {}
  for id, node in query:iter_captures(root, buf, 0, -1) do
    local r, c = node:range()
    local key = r .. ':' .. c
    at[key] = at[key] or query.captures[id]
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function first(pattern)
    for i, l in ipairs(lines) do
      local s = l:find(pattern)
      if s then return i - 1, s - 1 end
    end
  end
  local function expect(pattern, offset, capture)
    local r, c = first(pattern)
    if not r then return check(false, 'the example has `' .. pattern .. '`') end
    local got = at[r .. ':' .. (c + offset)]
    check(got == capture, string.format('`%s` at %d:%d is @%s (got @%s)', pattern, r + 1, c + offset + 1, capture, tostring(got)))
  end
  expect('^#', 0, 'comment')
  expect('^namespace ', 0, 'keyword')
  expect('^namespace ', 10, 'module')
  expect('^default deny', 0, 'keyword')
  expect('^app ', 0, 'keyword')
  expect('^app ', 4, 'label')
  expect('^expect ', 0, 'keyword')

  local highlighter = vim.treesitter.highlighter.new(parser, { queries = { egress = text } })
  check(vim.treesitter.highlighter.active[buf] ~= nil, 'the highlighter attaches to the buffer')
  -- The highlight group of each capture: the main ones must have one; a capture name this
  -- Neovim does not know (0.7 predates `@module`, `@attribute`, `@variable.parameter`) is
  -- listed, and left uncoloured by it.
  local hq = highlighter:get_query('egress')
  local main = { comment = true, keyword = true, label = true, string = true, ['function'] = true }
  if hq and hq._get_hl_from_capture then
    for id, name in ipairs(query.captures) do
      local group = hq:_get_hl_from_capture(id)
      local has = group ~= nil and group ~= 0 and group ~= ''
      if main[name] then
        check(has, '@' .. name .. ' has a highlight group (' .. tostring(group) .. ')')
      elseif not has then
        table.insert(results, 'note @' .. name .. ' has no highlight group in this Neovim')
      end
    end
  end
end)
if not ok then check(false, 'no Lua error: ' .. tostring(err)) end
finish()
