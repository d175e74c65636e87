#!/usr/bin/env bash
# Tests of the editor support in editors/: the tree-sitter grammar, the VS Code extension
# (TextMate grammar, snippets, client) and the Vim files.
#
#   bash editors/test.sh          (from any directory; no input needed; CI=true is fine)
#
# Installs what is missing first: the npm packages of editors/vscode (npm ci), the
# tree-sitter CLI (cargo install, pinned version) and Vim (apt-get). Then runs every check,
# prints a summary and exits non-zero if any failed. Example files are globbed at run time:
# examples/*.egress, stdlib/*.egress and tests/fixtures/**/ok/*.egress.
set -euo pipefail

EDITORS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$EDITORS/.." && pwd)"
TS_DIR="$EDITORS/tree-sitter-egress"
VSCODE_DIR="$EDITORS/vscode"
VIM_DIR="$EDITORS/vim"

# The generated parser in tree-sitter-egress/src/ is committed; another CLI version would
# generate different code, so the version is pinned.
TREE_SITTER_VERSION="0.27.1"
# The parser's ABI: 14, which Debian 12's Neovim (0.7) loads, and newer editors too.
TREE_SITTER_ABI=14
# Node's major version for @vscode/vsce 3.9 (4.x needs Node 22).
NODE_MIN_MAJOR=20

WORK="$(mktemp -d "${TMPDIR:-/tmp}/egress-editors.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
export NPM_CONFIG_UPDATE_NOTIFIER=false
export NO_UPDATE_NOTIFIER=1

START_ALL=$SECONDS
declare -a SUMMARY=()
PASSED=0
FAILED=0
SKIPPED=0

note() { printf '\n==> %s\n' "$*"; }

# record NAME STATUS SECONDS DETAIL
record() {
  SUMMARY+=("$(printf '%-5s %-34s %4ss  %s' "$2" "$1" "$3" "$4")")
  case "$2" in
    PASS) PASSED=$((PASSED + 1)) ;;
    FAIL) FAILED=$((FAILED + 1)) ;;
    *) SKIPPED=$((SKIPPED + 1)) ;;
  esac
}

# run NAME COMMAND...: runs one check, shows its output, records the result. The detail in
# the summary is the last "N passed, M failed"-style line of the output, if any.
run() {
  local name="$1"
  shift
  local log="$WORK/log.$((PASSED + FAILED + SKIPPED))"
  local start=$SECONDS status=0
  note "$name"
  # In a background subshell, so that `set -e` holds inside the check (it would not in a
  # `cmd || ...` context) and its `cd` stays there.
  ("$@") >"$log" 2>&1 </dev/null &
  wait "$!" || status=$?
  sed 's/^/    /' "$log"
  local detail
  detail="$(grep -aEo '[0-9]+ (passed|corpus tests).*[0-9]+ failed.*' "$log" | tail -n 1 || true)"
  if [ "$status" -eq 0 ]; then
    record "$name" PASS $((SECONDS - start)) "$detail"
  else
    record "$name" FAIL $((SECONDS - start)) "${detail:-exit status $status}"
  fi
}

skip() {
  note "$1 (skipped: $2)"
  record "$1" SKIP 0 "$2"
}

# ---------------------------------------------------------------------------------------
# Tools

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get is not available to install $*" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo -n)
  fi
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" ||
    { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"; }
}

install_tools() {
  local start=$SECONDS status=0

  note "tools"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are required (Node $NODE_MIN_MAJOR or newer)" >&2
    status=1
  elif ! node -e "process.exit(+process.versions.node.split('.')[0] >= $NODE_MIN_MAJOR ? 0 : 1)"; then
    echo "Node $(node --version) is too old: @vscode/vsce 3.9 needs Node $NODE_MIN_MAJOR or newer" >&2
    status=1
  else
    echo "node $(node --version), npm $(npm --version)"
  fi

  if [ "$status" -eq 0 ] && { [ ! -d "$VSCODE_DIR/node_modules" ] ||
    [ "$VSCODE_DIR/package-lock.json" -nt "$VSCODE_DIR/node_modules/.package-lock.json" ]; }; then
    echo "npm ci in editors/vscode"
    (cd "$VSCODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) || status=1
  fi

  local have_ts=""
  if command -v tree-sitter >/dev/null 2>&1; then
    have_ts="$(tree-sitter --version 2>/dev/null | awk '{print $2}')"
  fi
  if [ "$have_ts" != "$TREE_SITTER_VERSION" ]; then
    if ! command -v cargo >/dev/null 2>&1; then
      echo "cargo is needed to install tree-sitter-cli $TREE_SITTER_VERSION" >&2
      status=1
    elif [ -z "$have_ts" ]; then
      echo "installing tree-sitter-cli $TREE_SITTER_VERSION (cargo install, a few minutes)"
      cargo install tree-sitter-cli --locked --version "$TREE_SITTER_VERSION" --no-default-features --quiet ||
        status=1
    else
      # Leave the tree-sitter on PATH alone; use a pinned copy for these tests.
      local root="${XDG_CACHE_HOME:-$HOME/.cache}/egress-editors/tree-sitter-$TREE_SITTER_VERSION"
      if [ ! -x "$root/bin/tree-sitter" ]; then
        echo "tree-sitter $have_ts is on PATH; installing $TREE_SITTER_VERSION into $root"
        cargo install tree-sitter-cli --locked --version "$TREE_SITTER_VERSION" --no-default-features \
          --quiet --root "$root" || status=1
      fi
      export PATH="$root/bin:$PATH"
    fi
  fi
  command -v tree-sitter >/dev/null 2>&1 && tree-sitter --version

  local vim_version=""
  if command -v vim >/dev/null 2>&1; then
    vim_version="$(vim --version 2>/dev/null || true)"
  fi
  if [[ "$vim_version" != *"+syntax"* ]]; then
    echo "installing vim (with +syntax; vim-tiny has none)"
    apt_install vim || status=1
  fi
  command -v vim >/dev/null 2>&1 && vim --version | head -n 1

  # Debian's Neovim (0.7 on Debian 12): the oldest Neovim the tree-sitter parser must load in.
  if ! command -v nvim >/dev/null 2>&1; then
    echo "installing neovim (Debian's)"
    apt_install neovim || status=1
  fi
  command -v nvim >/dev/null 2>&1 && nvim --version | head -n 1

  if [ "$status" -eq 0 ]; then
    record "install tools" PASS $((SECONDS - start)) "node, npm packages, tree-sitter, vim"
  else
    record "install tools" FAIL $((SECONDS - start)) "see the messages above"
  fi
  return "$status"
}

# ---------------------------------------------------------------------------------------
# Checks

# The .egress files every grammar must handle, globbed now (new examples are picked up).
sample_files() {
  shopt -s nullglob globstar
  local f
  for f in "$REPO"/examples/*.egress "$REPO"/stdlib/*.egress "$REPO"/tests/fixtures/**/ok/*.egress; do
    printf '%s\n' "$f"
  done
}

ts_generate_is_current() {
  cd "$TS_DIR"
  tree-sitter generate --abi "$TREE_SITTER_ABI"
  if ! git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "not a git checkout: cannot compare src/ with the committed files"
    return 1
  fi
  local untracked
  untracked="$(git ls-files --others --exclude-standard -- src)"
  if ! git diff --exit-code --stat -- src || [ -n "$untracked" ]; then
    [ -n "$untracked" ] && printf 'untracked generated files:\n%s\n' "$untracked"
    echo "src/ differs from the committed files: run 'tree-sitter generate' in editors/tree-sitter-egress and commit src/"
    return 1
  fi
  echo "src/ is what grammar.js generates"
}

ts_test() {
  cd "$TS_DIR"
  local out="$WORK/ts-test.out" status=0
  tree-sitter test --config-path test/config.json >"$out" 2>&1 || status=$?
  cat "$out"
  local corpus_ok corpus_bad highlights hl_bad
  corpus_ok="$(grep -ao 'successful parses: [0-9]*' "$out" | grep -o '[0-9]*$' || echo 0)"
  corpus_bad="$(grep -ao 'failed parses: [0-9]*' "$out" | grep -o '[0-9]*$' || echo 0)"
  highlights="$(grep -ao '([0-9]* assertions)' "$out" | grep -o '[0-9]*' | awk '{s += $1} END {print s + 0}')"
  hl_bad="$(grep -ac 'Failure - row' "$out" || true)"
  echo "tree-sitter: $corpus_ok corpus tests and ${highlights:-0} highlight assertions passed, $((corpus_bad + hl_bad)) failed"
  return "$status"
}

ts_build() {
  cd "$TS_DIR"
  tree-sitter build -o "$WORK/egress.so" .
}

# ts_parse_files FILE...: every file parses without an ERROR or MISSING node.
# Neovim loads the parser built by ts_build and highlights an example.
ts_neovim() {
  local out="$WORK/nvim-ts.out" status=0
  cd "$REPO"
  EGRESS_SO="$WORK/egress.so" EGRESS_EXAMPLE="$REPO/examples/payments.egress" EGRESS_OUT="$out" \
    timeout 120 nvim --headless -u NONE -i NONE -c "luafile $TS_DIR/test/nvim.lua" || status=$?
  if [ -f "$out" ]; then
    cat "$out"
  else
    echo "nvim wrote no results (exit status $status)"
    status=1
  fi
  return "$status"
}

ts_parse_files() {
  if [ "$#" -eq 0 ]; then
    echo "no files to parse"
    return 1
  fi
  local out="$WORK/parse.out" status=0
  tree-sitter parse --lib-path "$WORK/egress.so" --lang-name egress --config-path "$TS_DIR/test/config.json" \
    -q "$@" >"$out" 2>&1 || status=$?
  grep -v -e 'not configured any parser directories' -e 'init-config' -e 'configuration file to indicate' \
    -e 'language grammars\.' -e '^$' "$out" || true
  local bad
  bad="$(grep -cE '\((ERROR|MISSING)' "$out" || true)"
  for f in "$@"; do
    grep -qF "$f" "$out" || echo "ok   ${f#"$REPO"/}"
  done
  echo "parse: $(($# - bad)) passed, $bad failed"
  [ "$status" -eq 0 ] && [ "$bad" -eq 0 ]
}

ts_parse_samples() {
  local files
  mapfile -t files < <(sample_files)
  ts_parse_files "${files[@]}"
}

ts_parse_snippets() {
  (cd "$VSCODE_DIR" && node test/expand-snippets.js "$WORK/snippets.egress")
  ts_parse_files "$WORK/snippets.egress"
}

tm_unit() {
  cd "$VSCODE_DIR"
  local out="$WORK/tm-unit.out" status=0
  node_modules/.bin/vscode-tmgrammar-test -g syntaxes/egress.tmLanguage.json 'test/grammar/*.egress' >"$out" 2>&1 ||
    status=$?
  cat "$out"
  local assertions
  assertions="$(grep -hcE '^#\s*(\^|<)' test/grammar/*.egress | awk '{s += $1} END {print s + 0}')"
  echo "tmgrammar: $(grep -c 'run successfuly' "$out" || true) passed, $(grep -c 'failed$' "$out" || true) failed ($assertions assertions)"
  [ "$status" -eq 0 ]
}

tm_snap() {
  cd "$VSCODE_DIR"
  node test/snap.js
}

tm_tokenize() {
  local files
  mapfile -t files < <(sample_files)
  (cd "$VSCODE_DIR" && node test/expand-snippets.js "$WORK/snippets.egress")
  cd "$VSCODE_DIR"
  node test/tokenize-examples.js "${files[@]}" "$WORK/snippets.egress"
}

vscode_unit() {
  cd "$VSCODE_DIR"
  local out="$WORK/node-test.out" status=0
  node --test test/extension.test.js >"$out" 2>&1 || status=$?
  cat "$out"
  echo "node --test: $(sed -n 's/^# pass //p' "$out") passed, $(sed -n 's/^# fail //p' "$out") failed"
  return "$status"
}

vsce_package() {
  cd "$VSCODE_DIR"
  node_modules/.bin/vsce package --allow-missing-repository -o "$WORK/egress.vsix"
  node test/vsix-smoke.js "$WORK/egress.vsix"
  echo "vsix: 1 passed, 0 failed"
}

# vim_test BINARY: the Vim test with vim (or nvim).
vim_test() {
  local out="$WORK/vim.$1.out" status=0
  cd "$REPO"
  EGRESS_VIM_TEST_OUT="$out" timeout 300 "$1" -Es -N -u NONE -i NONE -S "$VIM_DIR/test/run.vim" || status=$?
  if [ -f "$out" ]; then
    cat "$out"
  else
    echo "$1 wrote no results (exit status $status)"
    status=1
  fi
  return "$status"
}

# vim_compiler BINARY: compiler/egressc.vim fills the quickfix list from the real egressc.
vim_compiler() {
  local out="$WORK/vim-compiler.$1.out" status=0
  cd "$REPO"
  cargo build --quiet --bin egressc
  EGRESSC="$REPO/target/debug/egressc" EGRESS_VIM_TEST_OUT="$out" \
    timeout 300 "$1" -Es -N -u NONE -i NONE -S "$VIM_DIR/test/compiler.vim" >/dev/null || status=$?
  if [ -f "$out" ]; then
    cat "$out"
  else
    echo "$1 wrote no results (exit status $status)"
    status=1
  fi
  return "$status"
}

# Debian's Neovim as a real client of `egressc lsp` on a program of two files.
nvim_lsp() {
  local out="$WORK/nvim-lsp.out" status=0
  cd "$REPO"
  cargo build --quiet --bin egressc
  EGRESSC="$REPO/target/debug/egressc" EGRESS_OUT="$out" \
    timeout 300 nvim --headless -u NONE -i NONE -c "luafile $VIM_DIR/test/lsp.lua" || status=$?
  if [ -f "$out" ]; then
    cat "$out"
  else
    echo "nvim wrote no results (exit status $status)"
    status=1
  fi
  return "$status"
}

# ---------------------------------------------------------------------------------------

echo "editors/test.sh: repository $REPO"
if install_tools; then
  run "tree-sitter generate (src/ current)" ts_generate_is_current
  run "tree-sitter test (corpus, highlight)" ts_test
  if run "tree-sitter build" ts_build; then
    run "tree-sitter parse examples" ts_parse_samples
    run "tree-sitter parse snippets" ts_parse_snippets
    run "neovim loads the parser" ts_neovim
  else
    skip "tree-sitter parse examples" "the parser did not build"
  fi
  run "textmate unit tests" tm_unit
  run "textmate snapshot tests" tm_snap
  run "textmate tokenize examples" tm_tokenize
  run "vscode extension unit tests" vscode_unit
  run "vsce package + vsix smoke" vsce_package
  run "vim syntax test" vim_test vim
  run "vim compiler (quickfix)" vim_compiler vim
  if command -v nvim >/dev/null 2>&1; then
    run "neovim syntax test" vim_test nvim
    run "neovim lsp client" nvim_lsp
  else
    skip "neovim lsp client" "nvim is not installed"
  fi
else
  skip "all checks" "tools are missing"
fi

printf '\n==> summary (%ss)\n' $((SECONDS - START_ALL))
printf '    %s\n' "${SUMMARY[@]}"
echo "editors: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ] && [ "$SKIPPED" -eq 0 ]
