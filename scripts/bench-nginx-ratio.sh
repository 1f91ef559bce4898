#!/usr/bin/env bash
# Issue 18's ceiling: nginx serving the very same response bytes as static files. Prints req/s of
# rallyuxr and of nginx side by side, and their ratio next to the goal (>= 0.5), for
#   list:    GET /api/experiments?limit=20 on a database of 2,000 experiments
#   results: GET /api/experiments/{id}/results of an experiment of 14 days x 2 metrics
# each without and with `Accept-Encoding: gzip` (nginx: gzip_static on the bytes rallyuxr sent).
#
# rallyuxr runs with its defaults (access log on, response cache on); nginx (Debian nginx-light)
# runs as this user from a private prefix in a temporary directory on a free loopback port, with
# Debian's defaults (access log, sendfile), 2 worker processes (one per core here; rallyuxr has
# --threads 2).
# The runs of the two servers alternate; each figure is the median of RUNS runs.
#
# Settings (environment):
#   RALLYUXR_BIN   the binary (default: build-bench/src/rallyuxr, else build/src/rallyuxr)
#   EXPERIMENTS    experiments to seed (2000); CONNECTIONS (64); WRK_THREADS (2)
#   DURATION       seconds per wrk run (5); RUNS runs per figure (3)
#   SERVE_ARGS     extra `serve` options
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${RALLYUXR_BIN:-}" ]]; then
  RALLYUXR_BIN="$ROOT/build-bench/src/rallyuxr"
  [[ -x "$RALLYUXR_BIN" ]] || RALLYUXR_BIN="$ROOT/build/src/rallyuxr"
fi
EXPERIMENTS=${EXPERIMENTS:-2000}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
SERVE_ARGS=${SERVE_ARGS:-}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

for tool in wrk curl python3 "$NGINX" "$RALLYUXR_BIN"; do
  command -v "$tool" >/dev/null || { echo "bench-nginx-ratio: $tool is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/rallyuxr-bench-nginx.XXXXXX)
chmod 755 "$WORK"
PID=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  if [[ -f "$WORK/nginx/nginx.pid" ]]; then
    "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s quit 2>/dev/null || true
    sleep 0.5
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

echo "# rallyuxr vs nginx serving the same bytes: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# binary $RALLYUXR_BIN ($("$RALLYUXR_BIN" --version)); $("$NGINX" -v 2>&1); $(nproc) CPUs"
echo "# wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, median of $RUNS runs, the two servers alternating"

"$RALLYUXR_BIN" seed --database "sqlite:$WORK/bench.db" --experiments "$EXPERIMENTS" > "$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log" >&2; exit 1; }
# shellcheck disable=SC2086
"$RALLYUXR_BIN" serve --database "sqlite:$WORK/bench.db" --port "$PORT" --web-root "$WORK/none" $SERVE_ARGS \
  > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do curl -fsS "$URL/api/health" > /dev/null 2>&1 && break; sleep 0.05; done

# An experiment of 14 days x 2 metrics, simulated and analysed.
ID=$(curl -fsS -H 'Content-Type: application/json' -d '{"name":"Bench results","description":"nginx ratio",
  "metrics":["conversion_rate","click_through_rate"],"startDate":"2025-01-15","endDate":"2025-01-29",
  "expectedOutcome":"positive"}' "$URL/api/experiments" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["experimentId"])')
for _ in $(seq 1 300); do
  status=$(curl -fsS "$URL/api/experiments/$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["experiment"]["status"])')
  [[ "$status" == complete ]] && break
  sleep 0.1
done

# The exact bytes rallyuxr sends, identity and gzip, as nginx's files.
WWW="$WORK/nginx/www"
mkdir -p "$WWW" "$WORK/nginx/logs"
LIST_PATH="/api/experiments?limit=20"
RESULTS_PATH="/api/experiments/$ID/results"
curl -fsS "$URL$LIST_PATH" -o "$WWW/list.json"
curl -fsS -H 'Accept-Encoding: gzip' "$URL$LIST_PATH" -o "$WWW/list.json.gz"
curl -fsS "$URL$RESULTS_PATH" -o "$WWW/results.json"
curl -fsS -H 'Accept-Encoding: gzip' "$URL$RESULTS_PATH" -o "$WWW/results.json.gz"
python3 - "$WWW" <<'EOF'
import gzip, sys
for name in ("list.json", "results.json"):
    plain = open(f"{sys.argv[1]}/{name}", "rb").read()
    z = open(f"{sys.argv[1]}/{name}.gz", "rb").read()
    if z == plain:  # a build without compression: nginx gets gzip bytes of its own
        z = gzip.compress(plain, 6)
        open(f"{sys.argv[1]}/{name}.gz", "wb").write(z)
        print(f"# {name}: rallyuxr does not compress it; nginx's .gz made here (level 6)")
    assert gzip.decompress(z) == plain, f"{name}: the gzip bytes are not the identity bytes"
    print(f"# {name}: {len(plain)} bytes, gzip {len(z)} bytes")
EOF
chmod -R a+rX "$WORK/nginx"

NPORT=$(free_port)
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  types { application/json json; }
  default_type application/json;
  access_log $WORK/nginx/logs/access.log;
  client_body_temp_path $WORK/nginx/tmp;
  keepalive_requests 1000000;
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NPORT;
    root $WWW;
    gzip_static on;
    location / { }
  }
}
EOF
mkdir -p "$WORK/nginx/tmp"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log"
NURL="http://127.0.0.1:$NPORT"
for _ in $(seq 1 100); do curl -fsS "$NURL/list.json" > /dev/null 2>&1 && break; sleep 0.05; done
cmp <(curl -fsS "$NURL/results.json") "$WWW/results.json"
cmp <(curl -fsS -H 'Accept-Encoding: gzip' "$NURL/results.json") "$WWW/results.json.gz"

TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # the process's user + system time
rps() {  # url [wrk args...]: "requests/s requests" of one run
  local url=$1; shift
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s "$@" "$url" \
    | awk '/ requests in / { n = $1 } /^Requests\/sec:/ { r = $2 } /Non-2xx/ { print "bench-nginx-ratio:", $0 > "/dev/stderr" }
           END { print r, n }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The server's own CPU time per request (rallyuxr only) is steadier than req/s on a shared machine.
printf '\n%-20s %11s %11s %7s %6s %8s %14s\n' "endpoint" "rallyuxr/s" "nginx/s" "ratio" "goal" "" "rallyuxr us/req"
for what in list results; do
  for coding in identity gzip; do
    args=()
    [[ $coding == gzip ]] && args=(-H 'Accept-Encoding: gzip')
    if [[ $what == list ]]; then ours="$URL$LIST_PATH"; theirs="$NURL/list.json"; else ours="$URL$RESULTS_PATH"; theirs="$NURL/results.json"; fi
    a=(); b=(); us=()
    for _ in $(seq 1 "$RUNS"); do
      c0=$(cpu_ticks "$PID")
      read -r r n < <(rps "$ours" "${args[@]}")
      c1=$(cpu_ticks "$PID")
      a+=("$r")
      us+=("$(python3 -c "print(round(($c1 - $c0) / $TICK * 1e6 / max(1, ${n:-0})))")")
      read -r r n < <(rps "$theirs" "${args[@]}")
      b+=("$r")
    done
    ra=$(printf '%s\n' "${a[@]}" | median)
    rb=$(printf '%s\n' "${b[@]}" | median)
    rus=$(printf '%s\n' "${us[@]}" | median)
    ratio=$(python3 -c "print(f'{$ra / $rb:.2f}')")
    ok=$(python3 -c "print('ok' if $ra / $rb >= 0.5 else 'MISSED')")
    printf '%-20s %11.0f %11.0f %7s %6s %8s %14s\n' "$what ($coding)" "$ra" "$rb" "$ratio" ">=0.5" "$ok" "$rus"
  done
done
dropped=$(curl -fsS "$URL/metrics" | awk '/^rallyuxr_access_log_dropped_total/ { print $2 }')
hits=$(curl -fsS "$URL/metrics" | awk '/^rallyuxr_response_cache_hits_total/ { print $2 }')
echo "# rallyuxr: response cache hits $hits, access log lines dropped $dropped"
