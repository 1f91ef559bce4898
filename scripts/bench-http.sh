#!/usr/bin/env bash
# HTTP load test of the real server over loopback (docs/performance.md has the figures and targets).
#
# Starts `rallyuxr serve` on a free 127.0.0.1 port with a temporary copy of a seeded database
# (`rallyuxr seed --experiments N`), drives it with wrk at a fixed connection count for a fixed
# duration, and prints requests/s and latency percentiles (median of RUNS runs) for:
#   GET /api/experiments?limit=20 (offset 0 and offset 90% down), GET /api/experiments/{id},
#   GET /api/experiments/{id}/results (14 days, 3 metrics), GET /api/metric-values,
#   POST /api/experiments with the pipeline running (POST_DURATION seconds of creates),
# then the pipeline's throughput (from the first of those creates until every one is complete:
# the POST run outpaces the pipeline, so this is the pipeline's capacity), the POST-to-complete
# latency of single experiments on an idle pipeline, the server's resident memory after the runs
# and its start-up-to-ready time on the existing database. Traffic goes to 127.0.0.1 only; every
# step is bounded in time.
#
# Settings (environment):
#   RALLYUXR_BIN      the binary (default: build-bench/src/rallyuxr, else build/src/rallyuxr)
#   EXPERIMENTS       experiments to seed (100000)
#   DB_CACHE          path of a seeded database to reuse (copied; created there when missing)
#   CONNECTIONS       wrk connections (64); WRK_THREADS wrk threads (2)
#   DURATION          seconds per wrk run (10); RUNS runs per endpoint (3)
#   POST_DURATION     seconds of the POST run (5); LATENCY_SAMPLES (50)
#   SERVE_ARGS        extra `serve` options, e.g. "--threads 2 --workers 2 --log-level warn"
#   ONLY              a regular expression: run only the steps whose label matches
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HELPER="$ROOT/bench/http/bench_http.py"
LUA="$ROOT/bench/http/post_experiment.lua"
if [[ -z "${RALLYUXR_BIN:-}" ]]; then
  RALLYUXR_BIN="$ROOT/build-bench/src/rallyuxr"
  [[ -x "$RALLYUXR_BIN" ]] || RALLYUXR_BIN="$ROOT/build/src/rallyuxr"
fi
EXPERIMENTS=${EXPERIMENTS:-100000}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
POST_DURATION=${POST_DURATION:-5}
LATENCY_SAMPLES=${LATENCY_SAMPLES:-50}
SERVE_ARGS=${SERVE_ARGS:-}
ONLY=${ONLY:-.}

for tool in wrk python3 "$RALLYUXR_BIN"; do
  command -v "$tool" >/dev/null || { echo "bench-http: $tool is missing (apt-get install wrk; make build)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/rallyuxr-bench-http.XXXXXX)
DB="$WORK/bench.db"
LOG="$WORK/server.log"
PID=""
stop_server() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="127.0.0.1:$PORT"
URL="http://$BASE"
WEB_ROOT="$ROOT/web/dist"
# shellcheck disable=SC2206
EXTRA=(--web-root "$WEB_ROOT" $SERVE_ARGS)

echo "# rallyuxr HTTP benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# binary $RALLYUXR_BIN ($("$RALLYUXR_BIN" --version)); $(nproc) CPUs: $(lscpu | sed -n 's/^Model name: *//p')"
echo "# wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency, median of $RUNS runs; serve ${EXTRA[*]}"

# ---- the database
if [[ -n "${DB_CACHE:-}" && -f "$DB_CACHE" ]]; then
  cp "$DB_CACHE" "$DB"
  echo "# database: copy of $DB_CACHE"
else
  t0=$(date +%s.%N)
  "$RALLYUXR_BIN" seed --database "sqlite:$DB" --experiments "$EXPERIMENTS" > "$WORK/seed.log" 2>&1 \
    || { cat "$WORK/seed.log" >&2; exit 1; }
  echo "# database: seeded $EXPERIMENTS experiments in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
  if [[ -n "${DB_CACHE:-}" ]]; then cp "$DB" "$DB_CACHE"; fi
fi

START_MS=""
start_server() {  # sets PID and START_MS (start-up to the first answer, in ms)
  python3 "$HELPER" start "$RALLYUXR_BIN" "$DB" "$PORT" "$LOG" "${EXTRA[@]}" > "$WORK/start.out"
  read -r PID START_MS < "$WORK/start.out"
}

# ---- start-up to ready on the existing database (the first start also applies any migration)
startup=()
for i in 1 2 3 4; do
  start_server
  stop_server
  if [[ $i -gt 1 ]]; then startup+=("$START_MS"); else first_start=$START_MS; fi  # the first may migrate
done
startup_median=$(printf '%s\n' "${startup[@]}" | python3 "$HELPER" median)

start_server
read -r TOTAL COMPLETED < <(python3 "$HELPER" counts "$BASE")
ID=$(python3 "$HELPER" pick "$BASE")
FAR=$(( TOTAL * 9 / 10 ))
echo "# $TOTAL experiments stored, $COMPLETED complete; results endpoint uses $ID"
echo
printf '%-48s %8s %8s %8s %8s %6s %12s\n' "endpoint (wrk -c$CONNECTIONS)" "req/s" "p50 ms" "p90 ms" "p99 ms" "errors" "server us/req"

SUMMARY=()
bench() {  # label path [wrk args...]
  local label=$1 path=$2; shift 2
  [[ "$label" =~ $ONLY ]] || return 0
  local rows="" cpu0 cpu1 row
  for _ in $(seq 1 "$RUNS"); do
    cpu0=$(python3 "$HELPER" cpu "$PID")
    row=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" "$URL$path" \
            | python3 "$HELPER" wrk-parse)
    cpu1=$(python3 "$HELPER" cpu "$PID")
    # The server's own CPU time per request: steadier than req/s on a shared machine.
    rows+="$row $(python3 -c "r = '$row'.split(); print(f'{($cpu1 - $cpu0) * 1e6 / max(1, int(r[5])):.0f}')")"$'\n'
  done
  read -r rps p50 p90 p99 errors _ cpu_us < <(printf '%s' "$rows" | python3 "$HELPER" median)
  printf '%-48s %8s %8s %8s %8s %6s %12s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$errors" "$cpu_us"
}

bench "GET /api/experiments?limit=20" "/api/experiments?limit=20"
bench "GET /api/experiments?limit=20&offset=$FAR" "/api/experiments?limit=20&offset=$FAR"
bench "GET /api/experiments/{id}" "/api/experiments/$ID"
bench "GET /api/experiments/{id}/results" "/api/experiments/$ID/results"
bench "GET /api/metric-values" "/api/metric-values"

# ---- POST with the pipeline running: POSTS creates, then until every one is complete.
if [[ "POST /api/experiments" =~ $ONLY ]]; then
  read -r total_before before < <(python3 "$HELPER" counts "$BASE")
  t0=$(date +%s.%N)
  row=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${POST_DURATION}s" --timeout 10s --latency -s "$LUA" \
          "$URL/api/experiments" | python3 "$HELPER" wrk-parse)
  read -r rps p50 p90 p99 errors _ <<< "$row"
  # Requests in flight when wrk stops still create experiments: count them on the server.
  read -r total_after _ < <(python3 "$HELPER" counts "$BASE")
  created=$(( total_after - total_before ))
  printf '%-48s %8s %8s %8s %8s %6s %12s\n' "POST /api/experiments (pipeline on)" "$rps" "$p50" "$p90" "$p99" "$errors" "-"
  read -r secs done_now < <(python3 "$HELPER" wait-complete "$BASE" $(( before + created )) "$t0" 300)
  pipeline=$(python3 -c "print(f'{($done_now - $before) / $secs:.0f}')")
  echo
  echo "pipeline: $(( done_now - before )) of $created experiments complete ${secs}s after the first POST: $pipeline experiments/s"
fi
if [[ "latency" =~ $ONLY || "POST /api/experiments" =~ $ONLY ]]; then
  read -r l50 l90 lmax < <(python3 "$HELPER" latency "$BASE" "$LATENCY_SAMPLES")
  echo "POST-to-complete (idle pipeline, $LATENCY_SAMPLES one after another): median $l50 ms, p90 $l90 ms, max $lmax ms"
fi

rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
echo "server memory after the runs: VmRSS $(( rss / 1024 )) MB (peak VmHWM $(( hwm / 1024 )) MB)"
echo "start-up to ready on the existing database: ${startup_median} ms (median of 3; the first start, which applies any migration: ${first_start} ms)"
