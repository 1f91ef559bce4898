#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: its own data directory, a free loopback port, fsync
# off, trust authentication on 127.0.0.1 only. Runs as the unprivileged `postgres` user when called
# as root (initdb refuses root), as the caller otherwise.
#
#   scripts/pg-test-server.sh start DIR    initdb + start; writes DIR/url (postgresql://...), DIR/port
#   scripts/pg-test-server.sh stop DIR     stops the server (immediate) and removes DIR and its data
#   scripts/pg-test-server.sh halt DIR     stops the server but keeps its data (fault tests)
#   scripts/pg-test-server.sh resume DIR   starts it again on the same port with the same data
#   scripts/pg-test-server.sh run DIR CMD...
#       runs CMD with RALLYUXR_TEST_DATABASE=<DIR/url> (the integration harness) and
#       RALLYUXR_TEST_POSTGRES_URL=<a fresh database of its own> (the store contract suite, which
#       wipes its database)
#
# DIR only holds small state files; the cluster lives in a mktemp directory under ${TMPDIR:-/tmp}
# owned by the server's user (DIR's parents need not be readable by that user).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|halt|resume DIR  or  $0 run DIR COMMAND [ARGS...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
if [ "$cmd" != run ] && [ $# -ne 0 ]; then usage; fi

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  echo "pg-test-server: no PostgreSQL server binaries found; run scripts/install-deps.sh (Debian package postgresql)" >&2
  exit 1
}

# Runs a command as the server's user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    fi
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

server_start() {  # bindir pgdata port log
  as_owner "$1/pg_ctl" -D "$2" -l "$4" -w -t 60 \
    -o "-p $3 -c listen_addresses=127.0.0.1 -k $2 -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=64MB" \
    start >/dev/null
}

case "$cmd" in
  start)
    bindir=$(find_bindir)
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      echo "pg-test-server: running as root needs the 'postgres' system user (Debian's postgresql package creates it)" >&2
      exit 1
    fi
    if [ -f "$dir/pgdata" ]; then "$0" stop "$dir" || true; fi  # a leftover from an aborted run
    mkdir -p "$dir"
    root=$(mktemp -d "${TMPDIR:-/tmp}/rallyuxr-pg.XXXXXX")
    chmod 700 "$root"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$root"; fi
    echo "$root" >"$dir/pgdata"
    as_owner "$bindir/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3; do
      port=$(free_port)
      if server_start "$bindir" "$root/data" "$port" "$root/server.log"; then
        echo "$port" >"$dir/port"
        echo "$bindir" >"$dir/bindir"
        echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
        echo "pg-test-server: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data $root/data)"
        exit 0
      fi
      echo "pg-test-server: start on port $port failed (attempt $attempt)" >&2
      tail -n 20 "$root/server.log" >&2 || true
    done
    exit 1
    ;;
  halt)
    root=$(cat "$dir/pgdata")
    if ! as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then exit 0; fi
    as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null
    ;;
  resume)
    root=$(cat "$dir/pgdata")
    if as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then exit 0; fi
    server_start "$(cat "$dir/bindir")" "$root/data" "$(cat "$dir/port")" "$root/server.log"
    ;;
  stop)
    if [ -f "$dir/pgdata" ]; then
      root=$(cat "$dir/pgdata")
      bindir=$(cat "$dir/bindir" 2>/dev/null || find_bindir)
      if [ -f "$root/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$root/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
      fi
      case "$root" in
        */rallyuxr-pg.*) rm -rf "$root" ;;
      esac
    fi
    rm -rf "$dir"
    ;;
  run)
    [ $# -ge 1 ] || usage
    if [ ! -f "$dir/url" ]; then
      echo "pg-test-server: no server in $dir (the ctest fixture postgres.start failed or did not run)" >&2
      exit 1
    fi
    url=$(cat "$dir/url")
    db="rallyuxr_contract_$$_$RANDOM"
    "$(cat "$dir/bindir")/psql" -X -q -v ON_ERROR_STOP=1 -d "$url" -c "CREATE DATABASE $db" >/dev/null
    export RALLYUXR_TEST_DATABASE="$url"
    export RALLYUXR_TEST_POSTGRES_URL="${url%/*}/$db"
    exec "$@"
    ;;
  *)
    usage
    ;;
esac
