#!/usr/bin/env bash
# Runs the unit and integration suites against an AddressSanitizer + UndefinedBehaviorSanitizer
# build (RALLYUXR_SANITIZE=ON) in its own build directory, build-asan/. SQLite only: anything
# that needs PostgreSQL is left out (RALLYUXR_TEST_POSTGRES_URL / RALLYUXR_TEST_DATABASE unset).
#
#   scripts/test-sanitizers.sh [--no-build] [--unit-only|--integration-only] [TEST_MODULE...]
#   env: SAN_BUILD_DIR (build-asan), SAN_BUILD_JOBS (2), SAN_TEST_TIMEOUT (1200 s per step)
#
# A report inside a server process fails the run even when the HTTP test that provoked it
# passed: ASan/LSan reports go to files (log_path) under build-asan/sanitizer-reports/, one per
# process, and the integration tests start the server through a wrapper
# (build-asan/sanitizer-bin/rallyuxr, same pid) that copies its stderr to
# build-asan/sanitizer-logs/stderr/, scanned for UBSan's "runtime error:" (GCC's UBSan beside
# ASan ignores log_path and writes to stderr only). Every report counts as a failure and is printed.
# The last line is `sanitizers: N passed, M failed` (tests, plus one failure per report); the
# exit status is non-zero when M > 0 or a step could not run.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${SAN_BUILD_DIR:-build-asan}"
STEP_TIMEOUT="${SAN_TEST_TIMEOUT:-1200}"

build=1
run_unit=1
run_integration=1
modules=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --unit-only) run_integration=0 ;;
    --integration-only) run_unit=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    test_*) modules+=("${1%.py}") ;;
    *) echo "test-sanitizers: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
if [ ${#modules[@]} -eq 0 ]; then
  for f in tests/integration/test_*.py; do modules+=("$(basename "$f" .py)"); done
fi

if [ "$build" = 1 ]; then
  scripts/install-deps.sh || exit 1
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    gen=()
    command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
    cmake -S . -B "$BUILD" "${gen[@]}" -DRALLYUXR_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || {
      echo "sanitizers: 0 passed, 1 failed (configure failed)"; exit 1; }
  fi
  if ! cmake --build "$BUILD" -j "${SAN_BUILD_JOBS:-2}" --target rallyuxr unit_tests; then
    echo "sanitizers: 0 passed, 1 failed (build failed)"
    exit 1
  fi
fi

REPORTS="$ROOT/$BUILD/sanitizer-reports"
LOGS="$ROOT/$BUILD/sanitizer-logs"
CAPTURE="$LOGS/stderr"
rm -rf "$REPORTS" "$LOGS"
mkdir -p "$REPORTS" "$LOGS" "$CAPTURE" "$ROOT/$BUILD/sanitizer-bin"

# What the integration tests start: the real binary (exec keeps the pid that the harness
# signals), its stderr copied to $CAPTURE/<step>.<pid> and passed on unchanged.
WRAPPER="$ROOT/$BUILD/sanitizer-bin/rallyuxr"
{
  echo '#!/usr/bin/env bash'
  echo "exec \"\${RALLYUXR_REAL_BIN:-$ROOT/$BUILD/src/rallyuxr}\" \"\$@\" 2> >(tee -a \"$CAPTURE/\${RALLYUXR_SAN_STEP:-run}.\$\$\" >&2)"
} >"$WRAPPER"
chmod +x "$WRAPPER"
SIGNATURES='runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'

# Nothing here may reach PostgreSQL.
unset RALLYUXR_TEST_POSTGRES_URL RALLYUXR_TEST_DATABASE
for s in llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then export ASAN_SYMBOLIZER_PATH="$(command -v "$s")"; break; fi
done

# Sets the sanitizer options for one step; its reports go to $REPORTS/<step>.<pid>.
sanitize_env() {
  local step="$1"
  export RALLYUXR_SAN_STEP="$step"
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:print_stacktrace=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$REPORTS/$step"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/$step"
  export LSAN_OPTIONS="print_suppressions=0"
}

passed=0
failed=0
summary=()

# Reports of a step: each report file, and each captured stderr (or the step's own log) holding
# a sanitizer report, is one failure. Reports found in stderr are copied to $REPORTS too.
count_reports() {
  local step="$1" n=0 f
  for f in "$CAPTURE/$step".* "$LOGS/$step.log"; do
    [ -e "$f" ] || continue
    if grep -qE "$SIGNATURES" "$f"; then
      grep -E -A30 "$SIGNATURES" "$f" >"$REPORTS/$step.stderr.$(basename "$f")"
    fi
  done
  for f in "$REPORTS/$step".*; do
    [ -e "$f" ] || continue
    n=$((n + 1))
  done
  echo "$n"
}

if [ "$run_unit" = 1 ]; then
  step=unit
  sanitize_env "$step"
  json="$LOGS/unit.json"
  timeout "$STEP_TIMEOUT" "$BUILD/tests/unit_tests" --gtest_output="json:$json" >"$LOGS/unit.log" 2>&1
  rc=$?
  t_pass=0
  t_fail=0
  if [ -f "$json" ]; then
    read -r t_total t_fail < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d.get("tests", 0) - d.get("disabled", 0), d.get("failures", 0) + d.get("errors", 0))' "$json")
    t_pass=$((t_total - t_fail))
  fi
  reports=$(count_reports "$step")
  # A crash, a timeout or an exit code without a failed test (e.g. a leak at exit) fails too.
  extra=0
  if [ "$rc" -ne 0 ] && [ "$t_fail" -eq 0 ] && [ "$reports" -eq 0 ]; then extra=1; fi
  passed=$((passed + t_pass))
  failed=$((failed + t_fail + reports + extra))
  summary+=("unit_tests: $t_pass passed, $t_fail failed, $reports sanitizer reports (exit $rc)")
fi

if [ "$run_integration" = 1 ]; then
  for m in "${modules[@]}"; do
    step="$m"
    sanitize_env "$step"
    log="$LOGS/$m.log"
    ( cd tests/integration &&
      RALLYUXR_BIN="$WRAPPER" RALLYUXR_SOURCE_DIR="$ROOT" \
        timeout "$STEP_TIMEOUT" python3 -m unittest -v "$m" ) >"$log" 2>&1
    rc=$?
    ran=$(grep -oE '^Ran [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | tail -1)
    ran=${ran:-0}
    t_fail=0
    if line=$(grep -E '^FAILED \(' "$log" | tail -1); then
      for k in failures errors unexpected\ successes; do
        v=$(echo "$line" | grep -oE "$k=[0-9]+" | grep -oE '[0-9]+$')
        t_fail=$((t_fail + ${v:-0}))
      done
    fi
    skipped=$(grep -oE 'skipped=[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
    t_pass=$((ran - t_fail - ${skipped:-0}))
    reports=$(count_reports "$step")
    extra=0
    if [ "$rc" -ne 0 ] && [ "$t_fail" -eq 0 ] && [ "$reports" -eq 0 ]; then extra=1; fi
    passed=$((passed + t_pass))
    failed=$((failed + t_fail + reports + extra))
    summary+=("$m: $t_pass passed, $t_fail failed, ${skipped:-0} skipped, $reports sanitizer reports (exit $rc)")
  done
fi

unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS RALLYUXR_SAN_STEP
for line in "${summary[@]}"; do echo "  $line"; done
shopt -s nullglob
report_files=("$REPORTS"/*)
if [ ${#report_files[@]} -gt 0 ]; then
  echo "sanitizer reports (full text in $BUILD/sanitizer-reports/):"
  for f in "${report_files[@]}"; do
    echo "--- $(basename "$f")"
    head -40 "$f"
  done
fi
for l in "$LOGS"/*.log; do
  if grep -qE '^(FAIL|ERROR):|^\[  FAILED  \] [A-Za-z]' "$l"; then
    echo "failed tests in $(basename "$l" .log) (log: $BUILD/sanitizer-logs/$(basename "$l")):"
    grep -E '^(FAIL|ERROR):|^\[  FAILED  \] [A-Za-z]' "$l" | sort -u | sed 's/^/    /'
  fi
done
echo "sanitizers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
