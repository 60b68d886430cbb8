#!/usr/bin/env bash
# Smoke test of the compiled binary against the example project: --version, validate, start → health,
# a demo tool call, SIGTERM drain. Prints start-to-listening time and idle RSS.
set -euo pipefail
bin=${1:-dist/mcpgw}
cd "$(dirname "$0")/.."
data=$(mktemp -d)
log=$(mktemp)
trap 'kill $pid 2>/dev/null || true; rm -rf "$data" "$log"' EXIT

"$bin" --version
"$bin" validate --project .
port=$(( 20000 + RANDOM % 20000 ))
t0=$(date +%s%N)
"$bin" start --project . --port "$port" --data-dir "$data" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/__mcpgw/health/ready" >/dev/null 2>&1 && break
  sleep 0.02
done
t1=$(date +%s%N)
curl -fsS "http://127.0.0.1:$port/__mcpgw/health/ready"; echo
grep -q '"event":"route_registered"' "$log"
# The binary raises Bun's fetch limit itself (src/cli/upstream-concurrency.ts): no warning without the variable.
if grep -q '"event":"upstream_concurrency_limited"' "$log"; then echo "the binary started with Bun's 256-request fetch cap"; exit 1; fi
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/mcp/demo-v1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
echo "POST /mcp/demo-v1 → $status"
[ "$status" = 401 ] || { echo "expected the OAuth challenge (401), got $status"; cat "$log"; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/mcp/demo-public-v1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}')
echo "POST /mcp/demo-public-v1 → $status"
[ "$status" = 200 ] || { echo "expected 200 from the public demo route"; cat "$log"; exit 1; }
sleep 0.5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "binary: $(du -m "$bin" | cut -f1) MiB, ready in ~$(( (t1 - t0) / 1000000 )) ms (polling granularity 20 ms), idle RSS $(( rss / 1024 )) MiB"
kill -TERM "$pid"
wait "$pid"
grep -q '"event":"gateway_stopped"' "$log"
echo "smoke: ok"
