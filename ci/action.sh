#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), one per argument, so that the tests run the same
# commands the Action runs (tests/integrations.rs). `EGRESSC` names the binary (default:
# `egressc` on PATH).
set -euo pipefail
egressc="${EGRESSC:-egressc}"
case "${1:-}" in
  install)
    cargo install --locked --path "${GITHUB_ACTION_PATH:-.}"
    ;;
  check)
    deny=()
    if [ "${EGRESSC_DENY_WARNINGS:-true}" = true ]; then deny=(--deny-warnings); fi
    # The SARIF log first (it is written even when there is nothing to report), then the
    # annotations, whose exit status is the step's.
    "$egressc" check "${deny[@]}" --error-format sarif --output-file "${EGRESSC_SARIF:-egressc.sarif}" || true
    "$egressc" check "${deny[@]}" --error-format github
    ;;
  build-check)
    "$egressc" build --check
    ;;
  *)
    echo "usage: ci/action.sh install|check|build-check" >&2
    exit 2
    ;;
esac
