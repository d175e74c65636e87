#!/usr/bin/env bash
# Runs one fuzz target for a number of seconds on one core: `fuzz/run.sh pipeline 1800`.
# The corpus (fuzz/corpus/TARGET, not committed) is seeded from every fixture and example;
# findings land in fuzz/artifacts/TARGET. Exits non-zero when libFuzzer found a crash.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh pipeline|lsp SECONDS [libFuzzer options]}
seconds=${2:-60}
shift 2 || true
bin=$(./build.sh)/$target
corpus=corpus/$target
mkdir -p "$corpus" "artifacts/$target"
# Seeds: the fixtures and examples (for `lsp`, each also as a scripted session: first byte odd).
while IFS= read -r f; do
  name=$(sha1sum "$f" | cut -c1-16)
  if [ "$target" = lsp ]; then
    { printf '\001'; cat "$f"; } >"$corpus/seed-$name"
  else
    cp "$f" "$corpus/seed-$name"
  fi
done < <(find ../tests/fixtures ../examples -name '*.egress' | sort)
exec "$bin" "$corpus" -max_total_time="$seconds" -max_len=8192 -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@"
