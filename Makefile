# Front end for the CMake build. `make check` alone sets up a fresh Debian 12
# machine: it installs missing packages, configures, builds and runs ctest.
BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build check asan bench clean

all: build

# Installs Debian packages when one is missing (quick when all are there),
# and the JavaScript clients' npm packages from their lock file.
deps:
	@sh ci/install-deps.sh
	@if [ -f clients/js/package-lock.json ] && [ ! -d clients/js/node_modules ]; then \
	    cd clients/js && npm ci --no-audit --no-fund; fi

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

check: build
	cd $(BUILD) && ctest --output-on-failure -LE 'regress$$|bench'

asan:
	$(MAKE) BUILD=build-asan CMAKE_FLAGS="-DTB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" check

bench: build
	@for b in $(BUILD)/suites/bench_*; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf $(BUILD) build-asan
