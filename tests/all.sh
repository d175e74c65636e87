#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: Rust tests (fixtures, snapshots, CLI,
# properties, examples, explain pages) and the editor tests (which install their own tools).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required: https://rustup.rs" >&2; exit 2; }

echo "== cargo test"
cargo test --locked

if [ -f editors/test.sh ]; then
  echo "== editor tests"
  bash editors/test.sh
fi
echo "== all tests passed"
