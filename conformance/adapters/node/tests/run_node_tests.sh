#!/bin/sh
# CTest driver for the Node kit's tests (node:test): SKIPs (exit 77) only when node is not installed.
# Usage: run_node_tests.sh PROVKIT_BINARY
set -eu
PROVKIT_BIN="${1:?usage: run_node_tests.sh PROVKIT_BINARY}"
export PROVKIT_BIN
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found; install nodejs (ci/deps does)" >&2
  exit 77
fi
cd "$(dirname "$0")"
exec node --test kit.test.js mock.test.js messages.test.js
