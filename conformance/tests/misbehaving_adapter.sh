#!/usr/bin/env bash
# A deliberately broken adapter for the fault tests: answers hello, then misbehaves on the next request as MODE says.
# usage: misbehaving_adapter.sh MODE PIDFILE
#   MODE: crash | hang | flood-line | flood-blank-lines | flood-events | invalid-json
#   PIDFILE: gets "<adapter pid> <grandchild pid>" appended, for the test to check both are gone.
set -u
mode=${1:?mode}
pidfile=${2:?pidfile}
sleep 600 &  # a grandchild in the adapter's process group: the harness must kill it with the group
echo "$$ $!" >>"$pidfile"
while IFS= read -r line; do
  id=$(sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p' <<<"$line")
  case $line in
    *'"op":"hello"'*)
      printf '{"id":%s,"result":{"protocol":1,"name":"misbehaving-%s","capabilities":{"readiness":true,"streaming":true}}}\n' \
        "$id" "$mode"
      continue
      ;;
  esac
  case $mode in
    crash)
      echo "misbehaving adapter: crashing on purpose" >&2
      exit 3
      ;;
    hang) sleep 600 ;;
    flood-line) yes x | tr -d '\n' ;;
    flood-blank-lines) yes '' ;;
    flood-events) yes "{\"id\":$id,\"event\":{\"type\":\"text_delta\",\"delta\":\"x\"}}" ;;
    invalid-json) printf '{"id":%s,"result":{"ready":tru\n' "$id" ;;
    *)
      echo "misbehaving adapter: unknown mode '$mode'" >&2
      exit 2
      ;;
  esac
done
