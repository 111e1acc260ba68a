#!/usr/bin/env bash
# make demo: schema, sample register and masters, demo users; API, worker and review UI on loopback;
# the committed sample batches ingested through the real queue and worker. Ctrl-C (or SIGTERM) stops everything
# it started: each server runs in a process group of its own, and the whole group is stopped (Streamlit's too).
set -euo pipefail
cd "$(dirname "$0")/.."
export INTAKE_VAR_DIR=${INTAKE_VAR_DIR:-var} INTAKE_REDIS_URL=${INTAKE_REDIS_URL:-redis://127.0.0.1:6379/0}
API_PORT=${DEMO_API_PORT:-8000} UI_PORT=${DEMO_UI_PORT:-8501}
export INTAKE_API_URL=http://127.0.0.1:$API_PORT OMP_THREAD_LIMIT=1 INTAKE_LOG_FORMAT=${INTAKE_LOG_FORMAT:-text}
BIN=.venv/bin
mkdir -p "$INTAKE_VAR_DIR"
$BIN/intake demo-setup
pids=()
stop() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 -- "-$p" 2>/dev/null; do sleep 0.2; done; done
  exit 0
}
trap stop EXIT INT TERM
setsid $BIN/intake serve --port "$API_PORT" >"$INTAKE_VAR_DIR/api.log" 2>&1 & pids+=($!)
setsid $BIN/intake worker >"$INTAKE_VAR_DIR/worker.log" 2>&1 & pids+=($!)
# a first start compiles every module: give the API two minutes, and never let one failed upload end the demo
for _ in $(seq 1 240); do curl -sf "$INTAKE_API_URL/api/v1/health" >/dev/null && break; sleep 0.5; done
for f in scans_sample/batches/*.pdf scans_sample/batches/*.tif; do
  $BIN/intake upload "$f" --clinic 1310001 --api-key demo-scanner-key-not-for-production \
    || echo "upload of $f failed: see $INTAKE_VAR_DIR/api.log" >&2
done
setsid $BIN/intake ui --port "$UI_PORT" >"$INTAKE_VAR_DIR/ui.log" 2>&1 & pids+=($!)
sleep 3
cat <<MSG

  API:        http://127.0.0.1:$API_PORT/api/docs
  Review UI:  http://127.0.0.1:$UI_PORT   (loopback only)
  Logins:     reviewer1 / review-demo-pass   (審査, 一括確認; reviewer2 the same, for double entry)
              supervisor1 / super-demo-pass  (監督)
              staff1 / staff-demo-pass       (記録検索)
  Scanner:    intake upload FILE --clinic 1310001 --api-key demo-scanner-key-not-for-production
  Status:     intake status      Logs: $INTAKE_VAR_DIR/{api,worker,ui}.log      Ctrl-C stops everything.
MSG
wait
