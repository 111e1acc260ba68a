#!/usr/bin/env bash
# make demo: schema, sample register and masters, demo users; API, worker and review UI on loopback;
# the committed sample batches ingested through the real queue and worker.
set -euo pipefail
cd "$(dirname "$0")/.."
export INTAKE_VAR_DIR=${INTAKE_VAR_DIR:-var} INTAKE_REDIS_URL=${INTAKE_REDIS_URL:-redis://127.0.0.1:6379/0}
export INTAKE_API_URL=http://127.0.0.1:8000 OMP_THREAD_LIMIT=1
BIN=.venv/bin
mkdir -p "$INTAKE_VAR_DIR"
$BIN/intake demo-setup
pids=()
trap 'kill ${pids[@]:-} 2>/dev/null || true' EXIT
$BIN/intake serve --port 8000 >"$INTAKE_VAR_DIR/api.log" 2>&1 & pids+=($!)
$BIN/intake worker >"$INTAKE_VAR_DIR/worker.log" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:8000/api/v1/health >/dev/null && break; sleep 0.5; done
for f in scans_sample/batches/*.pdf scans_sample/batches/*.tif; do
  $BIN/intake upload "$f" --clinic 1310001 --api-key demo-scanner-key-not-for-production 2>/dev/null
done
$BIN/intake ui --port 8501 >"$INTAKE_VAR_DIR/ui.log" 2>&1 & pids+=($!)
sleep 3
cat <<MSG

  API:        http://127.0.0.1:8000/api/docs
  Review UI:  http://127.0.0.1:8501
  Logins:     reviewer1 / review-demo-pass   (審査, 一括確認; reviewer2 the same, for double entry)
              supervisor1 / super-demo-pass  (監督)
              staff1 / staff-demo-pass       (記録検索)
  Scanner:    intake upload FILE --clinic 1310001 --api-key demo-scanner-key-not-for-production
  Logs:       $INTAKE_VAR_DIR/{api,worker,ui}.log      Ctrl-C stops everything.
MSG
wait
