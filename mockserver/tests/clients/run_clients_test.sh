#!/bin/sh
# CTest driver of the official-clients test (node:test): SKIPs (exit 77) only when node is not
# installed; fails, saying how to install them, when the pinned clients are missing.
# Usage: run_clients_test.sh PROVKIT_BINARY CLIENTS_DIR
set -eu
PROVKIT_BIN="${1:?usage: run_clients_test.sh PROVKIT_BINARY CLIENTS_DIR}"
PROVKIT_CLIENTS="${2:?usage: run_clients_test.sh PROVKIT_BINARY CLIENTS_DIR}"
export PROVKIT_BIN PROVKIT_CLIENTS
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found; install nodejs (ci/deps does)" >&2
  exit 77
fi
if [ ! -d "$PROVKIT_CLIENTS/node_modules/openai" ] || [ ! -d "$PROVKIT_CLIENTS/node_modules/@anthropic-ai/sdk" ]; then
  echo "FAIL: the official clients are not installed in $PROVKIT_CLIENTS: run ci/clients --dir $PROVKIT_CLIENTS (ci/test does)" >&2
  exit 1
fi
cd "$(dirname "$0")"
exec node --test official_clients.test.mjs
