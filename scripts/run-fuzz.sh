#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan+UBSan) in build-fuzz/ and runs each one:
# first over its checked-in seed corpus (tests/fuzz/corpus/<target>/, every file once), then
# fuzzing for SECONDS. New inputs go to build-fuzz/corpus/<target>/ (kept between runs, never to
# the checked-in corpus); crashing inputs to build-fuzz/artifacts/<target>/.
#
#   scripts/run-fuzz.sh [SECONDS] [TARGET...]   # `make fuzz`: 300 s per target by default
#   scripts/run-fuzz.sh --smoke [TARGET...]     # `make test`: seed corpus + 20 s per target
#   options: --jobs N (targets run at once; default 1), --no-build
#   env: FUZZ_BUILD_DIR (build-fuzz), FUZZ_SMOKE_SECONDS (20), FUZZ_BUILD_JOBS (2)
#
# Exits non-zero when any target crashes, leaks, times out or fails to build; the last line is
# `fuzz: N passed, M failed`.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${FUZZ_BUILD_DIR:-build-fuzz}"
ALL_TARGETS=(experiment_body results_import dates url_query)

smoke=0
seconds=300
jobs=1
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --jobs) jobs="$2"; shift ;;
    --jobs=*) jobs="${1#--jobs=}" ;;
    --no-build) build=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    ''|*[!0-9]*)
      if [[ " ${ALL_TARGETS[*]} " == *" $1 "* ]]; then targets+=("$1")
      else echo "run-fuzz: unknown target or option '$1' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; fi ;;
    *) seconds="$1" ;;
  esac
  shift
done
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
[ "$smoke" = 1 ] && seconds="${FUZZ_SMOKE_SECONDS:-20}"

if [ "$build" = 1 ]; then
  scripts/install-deps.sh fuzz || exit 1
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    gen=()
    command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
    cmake -S tests/fuzz -B "$BUILD" "${gen[@]}" -DCMAKE_CXX_COMPILER=clang++ >/dev/null || {
      echo "fuzz: 0 passed, ${#targets[@]} failed (configure failed)"; exit 1; }
  fi
  if ! cmake --build "$BUILD" -j "${FUZZ_BUILD_JOBS:-2}"; then
    echo "fuzz: 0 passed, ${#targets[@]} failed (build failed)"
    exit 1
  fi
fi

# Any sanitizer report is fatal; leaks are checked per input by libFuzzer.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:print_stacktrace=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:symbolize=1}"

mkdir -p "$BUILD/logs"

# Runs one target; writes its log and a one-line verdict to $BUILD/logs/<target>.result.
run_target() {
  local t="$1"
  local bin="$BUILD/fuzz_$t" seeds="tests/fuzz/corpus/$t" work="$BUILD/corpus/$t"
  local artifacts="$BUILD/artifacts/$t/" log="$BUILD/logs/$t.log" result="$BUILD/logs/$t.result"
  local dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  mkdir -p "$work" "$artifacts"
  : >"$log"
  if [ ! -x "$bin" ]; then
    echo "FAIL $t: $bin is not built" >"$result"
    return
  fi
  # 1. Every seed once (regression inputs included), whatever its size.
  local seed_files=()
  if [ -d "$seeds" ]; then
    while IFS= read -r -d '' f; do seed_files+=("$f"); done < <(find "$seeds" -type f -print0 | sort -z)
  fi
  if [ ${#seed_files[@]} -gt 0 ]; then
    if ! "$bin" -artifact_prefix="$artifacts" "${seed_files[@]}" >>"$log" 2>&1; then
      echo "FAIL $t: seed input $(grep '^Running: ' "$log" | tail -1 | cut -c10-) crashes" >"$result"
      return
    fi
  fi
  # 2. Fuzz for the given time, starting from the seeds and what earlier runs found.
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$work" "$seeds" >>"$log" 2>&1; then
    local art
    art=$(grep -o "Test unit written to .*" "$log" | tail -1 | cut -c21-)
    echo "FAIL $t: fuzzing found a crash${art:+: $art}" >"$result"
    return
  fi
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
  echo "ok   $t: ${seconds}s, ${runs:-?} runs, ${cov:-no stats}" >"$result"
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each$([ "$smoke" = 1 ] && echo ' (smoke)'), logs in $BUILD/logs/"
running=0
for t in "${targets[@]}"; do
  rm -f "$BUILD/logs/$t.result"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
  result="$BUILD/logs/$t.result"
  if [ -f "$result" ] && grep -q '^ok ' "$result"; then
    passed=$((passed + 1))
    cat "$result"
  else
    failed=$((failed + 1))
    [ -f "$result" ] && cat "$result" || echo "FAIL $t: no result"
    # The report: the property message or the sanitizer's summary, with its first frames.
    grep -m1 -A12 -E 'fuzz property violated|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' \
      "$BUILD/logs/$t.log" | sed 's/^/    /'
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
