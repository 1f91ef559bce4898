# The two set-up commands are `make run` and `make test`; every target installs what is missing first
# (scripts/install-deps.sh, Debian packages only).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
DB ?= data/rallyuxr.db
PORT ?= 8080

FUZZ_SECONDS ?= 300
SOAK_MINUTES ?= 10
CALIBRATION_REPLICATIONS ?= 4000

.PHONY: all deps deps-test build web run test test-unit test-integration test-e2e test-sanitizers test-fuzz bench bench-stats fuzz clean

all: build

deps:
	@scripts/install-deps.sh

# Before the build is configured, so that CMake finds node for the end-to-end test.
deps-test:
	@scripts/install-deps.sh web e2e postgres fuzz

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The dashboard: npm ci from the committed lock file, then tsc + vite build into web/dist.
web:
	@scripts/install-deps.sh web
	@scripts/build-web.sh

run: build web
	@mkdir -p $(dir $(DB))
	$(BUILD_DIR)/src/rallyuxr serve --port $(PORT) --database sqlite:$(DB) --web-root web/dist --demo

# Everything: the unit and integration suites under ASan+UBSan (build-asan/), the fuzz targets on
# their seed corpus, then every ctest suite (unit, integration on SQLite and on a throwaway
# PostgreSQL, end-to-end in Chromium), whose summary line closes the run.
test: deps-test build web
	@scripts/test-sanitizers.sh
	@scripts/run-fuzz.sh --smoke
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

# The fast loops: each builds only what its suite needs and ends with the runner's summary line.
# Unit tests (one gtest binary, well under a minute) after the module-boundary checks.
test-unit: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target unit_tests
	cd $(BUILD_DIR) && ctest -L modules --output-on-failure --no-tests=error
	$(BUILD_DIR)/tests/unit_tests

# The real binary over real sockets, on SQLite (the PostgreSQL runs are part of `make test`).
test-integration: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target rallyuxr
	cd $(BUILD_DIR) && ctest -L integration -LE postgres --output-on-failure --no-tests=error -j 2

# The dashboard in headless Chromium against the real binary. Configures again so that CMake
# finds node (installed first) and defines the test.
test-e2e: web
	@scripts/install-deps.sh e2e
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target rallyuxr
	cd $(BUILD_DIR) && ctest -L e2e --output-on-failure --no-tests=error

test-sanitizers:
	@scripts/test-sanitizers.sh

test-fuzz:
	@scripts/run-fuzz.sh --smoke

# libFuzzer, FUZZ_SECONDS per target (clang from Debian).
fuzz:
	@scripts/run-fuzz.sh $(FUZZ_SECONDS)

# Micro-benchmarks (Google Benchmark), the HTTP load test (wrk), the parsing ratios of issue 18
# (analyze vs SciPy: set SCIPY_PYTHON to a python with SciPy; uploads in rows/s); figures in docs/performance.md.
bench: deps
	@scripts/install-deps.sh bench
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRALLYUXR_BUILD_BENCH=ON -DRALLYUXR_BUILD_TESTS=OFF
	cmake --build build-bench -j $(JOBS) --target rallyuxr rallyuxr_bench plan_calibration
	build-bench/bench/rallyuxr_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
	build-bench/bench/plan_calibration
	RALLYUXR_BIN=build-bench/src/rallyuxr scripts/bench-http.sh
	RALLYUXR_BIN=build-bench/src/rallyuxr scripts/bench-nginx-ratio.sh
	python3 scripts/bench-parse.py --bin build-bench/src/rallyuxr
	python3 scripts/bench-segments.py --bin build-bench/src/rallyuxr
	python3 scripts/soak.py --bin build-bench/src/rallyuxr --minutes $(SOAK_MINUTES)

# The statistical calibration (docs/statistics.md, "Calibration"): every simulator family, 14 and 28
# days, A/A and a 5% lift, CALIBRATION_REPLICATIONS each, on two threads; prints the markdown table.
bench-stats: deps
	@scripts/install-deps.sh bench
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DRALLYUXR_BUILD_BENCH=ON -DRALLYUXR_BUILD_TESTS=OFF
	cmake --build build-bench -j $(JOBS) --target rallyuxr_calibration plan_calibration
	build-bench/bench/rallyuxr_calibration --replications $(CALIBRATION_REPLICATIONS) --threads 2
	build-bench/bench/plan_calibration
