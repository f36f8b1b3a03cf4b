#!/usr/bin/env bash
# Starts a small mesh of apps with sidecars beside a running control plane (`npm start` in
# another terminal, from the repository root). Ctrl-C stops the apps and proxies.
#   bash examples/demo/run-demo.sh        # then follow what it prints
# DEMO_BASE_PORT (default 20000) moves every port the demo opens.
set -euo pipefail
cd "$(dirname "$0")/../.."
JM=(node cli/bin/jetmesh.js)
BASE=${DEMO_BASE_PORT:-20000}
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"${JM[@]}" apply -f examples/demo/mesh.yaml --reason "demo mesh"

# service version upstream: each workload gets 4 ports from BASE (app, inbound, outbound, admin).
i=0
start() {
  local service=$1 version=$2 upstream=${3:-}
  local app=$((BASE + i * 4)) inbound=$((BASE + i * 4 + 1)) outbound=$((BASE + i * 4 + 2)) admin=$((BASE + i * 4 + 3))
  i=$((i + 1))
  local token; token=$("${JM[@]}" token create --namespace default --service-account "$service")
  UPSTREAM=$upstream OUTBOUND_PORT=$outbound node examples/demo/app.mjs "$service" "$version" "$app" &
  pids+=($!)
  JETMESH_LOG_LEVEL=warn JETMESH_PROXY_ACCESS_LOG=false "${JM[@]}" proxy --service "$service" --labels "app=$service,version=$version" --port 9080 --app-port "$app" \
    --inbound-port "$inbound" --outbound-port "$outbound" --admin-port "$admin" --token "$token" &
  pids+=($!)
  echo "$service $version: app :$app, proxy inbound :$inbound outbound :$outbound admin :$admin"
  [ "$service" = productpage ] && PRODUCTPAGE_OUTBOUND=$outbound && PRODUCTPAGE_ADMIN=$admin || true
}
start productpage v1 reviews:9080
start reviews v1 ratings:9080
start reviews v2 ratings:9080
start reviews v3 ratings:9080
start ratings v1

for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PRODUCTPAGE_ADMIN/ready" >/dev/null 2>&1 && break; sleep 0.5; done
cat <<MSG

The mesh is up. From another terminal:
  curl -s -H 'Host: productpage:9080' http://127.0.0.1:$PRODUCTPAGE_OUTBOUND/      # productpage → reviews (90% v1, 10% v3) → ratings, all mTLS
  curl -s -H 'Host: reviews:9080' -H 'end-user: jason' http://127.0.0.1:$PRODUCTPAGE_OUTBOUND/   # jason → v2
  curl -s http://127.0.0.1:$PRODUCTPAGE_ADMIN/stats | grep istio_requests_total
  node cli/bin/jetmesh.js proxy-config productpage-v1-$((BASE + 1))
  node cli/bin/jetmesh.js history                                                   # every change, who and why
Ctrl-C stops the demo.
MSG
wait
