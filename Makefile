# The two set-up commands: `make run` and `make test`. Every target installs what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
DB ?= data/rallyuxr.db

.PHONY: all deps deps-web build web run test test-unit test-integration test-e2e clean

all: build

deps:
	@scripts/install-deps.sh

deps-web:
	@scripts/install-deps.sh web

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

web: deps-web
	@scripts/build-web.sh

run: build web
	@mkdir -p $(dir $(DB))
	$(BUILD_DIR)/src/rallyuxr serve --database sqlite:$(DB) --web-root web/dist --demo

test: deps deps-web build web
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

test-integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

test-e2e: build web
	cd $(BUILD_DIR) && ctest --output-on-failure -L e2e

clean:
	rm -rf $(BUILD_DIR)
