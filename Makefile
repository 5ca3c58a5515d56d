# Front end for the CMake build. `make check` alone sets up a fresh Debian 12
# machine: it installs missing packages, configures, builds and runs ctest.
BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

PROFILE  ?= full
BASELINE ?=
BASELINE_OUT ?= logs/baseline-$(CLIENT).json
RUN_ID   := $(shell date +%Y%m%dT%H%M%S)-$$$$

.PHONY: all deps build check asan tsan fuzz bench regress baseline compare graphs report merge clean audit

all: build

# Installs Debian packages when one is missing (quick when all are there),
# and the JavaScript clients' npm packages from their lock files (the
# clients' own and each variant's under clients/js/variants/).
deps:
	@sh ci/install-deps.sh
	@for d in clients/js clients/js/variants/*; do \
	    if [ -f $$d/package-lock.json ] && [ ! -d $$d/node_modules ]; then \
	        (cd $$d && npm ci --no-audit --no-fund) || exit 1; fi; done

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# deps first, so a checkout that gained a package (a variant's npm lock
# file, a Debian package) gets it before the tests need it.
check: deps build
	cd $(BUILD) && ctest --output-on-failure -LE 'regress$$|bench|audit'

asan:
	$(MAKE) BUILD=build-asan CMAKE_FLAGS="-DTB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" check

# ThreadSanitizer over what runs many threads: the satellites (a thread per
# connection, the watchdog), the controller and the run loop. Their
# Criterion suites (suites/tsan_arena.c moves Criterion's arena where TSan
# lets it live), then suites/bench/stress_threads.c and the satellite
# bench. A race fails the suite that met it.
TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
TSAN_SUITES  ?= test_satellite test_satellite_limits test_satellite_options \
                test_dedup test_protocol test_controller test_runner
tsan:
	@test -f build-tsan/CMakeCache.txt || \
	    cmake -S . -B build-tsan -DTB_TSAN=ON -DTB_WERROR=OFF \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-tsan -j $(JOBS) --target stress_threads \
	    bench_satellite tracebench-cli tb-client-c $(TSAN_SUITES)
	@export TSAN_OPTIONS="$(TSAN_OPTIONS)" && \
	for t in $(TSAN_SUITES); do echo "== tsan $$t"; \
	    build-tsan/suites/$$t --jobs 1 || exit 1; done && \
	echo "== tsan stress_threads" && build-tsan/suites/stress_threads && \
	echo "== tsan bench_satellite" && \
	build-tsan/suites/bench_satellite --trials 1 --seconds 1

# libFuzzer over every decoder, gzip and the file readers, FUZZ_SECONDS
# each (or FUZZ_RUNS executions each, within that time; clang;
# build-fuzz/). Executions and crashes per target are in
# build-fuzz/fuzz-summary.txt; see suites/fuzz/run.sh.
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_TARGETS ?= lightstep lightstep_json otlp otlp_json zipkin datadog \
                gzip thresholds registry baseline results
fuzz:
	@command -v clang >/dev/null 2>&1 || { echo "make fuzz needs clang" \
	    "and libclang-rt-14-dev: sh ci/install-deps.sh fuzz" >&2; exit 2; }
	@test -f build-fuzz/CMakeCache.txt || CC=clang CXX=clang++ \
	    cmake -S . -B build-fuzz -DTB_FUZZ=ON -DTB_WERROR=OFF \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	FUZZ_RUNS=$(FUZZ_RUNS) sh suites/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	@for b in $(BUILD)/suites/bench_*; do echo "== $$b"; $$b || exit 1; done

# The regression gates for CLIENT (or for every client whose tracer is
# installed), with the thresholds' PROFILE (full or quick). BASELINE=file
# also holds each figure to a recorded baseline. Exits non-zero on any
# regression; the summary is in logs/summary.md.
regress: build
	@export TB_RUN_ID=$(RUN_ID) TB_PROFILE=$(PROFILE) TB_BASELINE=$(BASELINE); \
	if [ -n "$(BASELINE)" ] && [ ! -f "$(BASELINE)" ]; then \
	    echo "tracebench: baseline $(BASELINE): no such file" >&2; exit 2; fi; \
	if [ -n "$(BASELINE)" ] && [ -z "$(CLIENT)" ]; then \
	    echo "tracebench: BASELINE=$(BASELINE) needs CLIENT=<the client it was recorded for>: one client's baseline never judges another's figures" >&2; exit 2; fi; \
	clients="$(CLIENT)"; \
	if [ -z "$$clients" ]; then \
	    clients=$$($(BUILD)/tracebench clients --check --names); \
	    echo "regress: clients with their tracer installed: $$clients"; fi; \
	status=0; \
	for c in $$clients; do \
	    echo "== regress $$c ($(PROFILE))"; \
	    TB_CLIENT=$$c $(BUILD)/suites/regression --jobs 1 \
	        --xml=logs/junit-regress-$$c.xml || status=1; \
	done; exit $$status

# The audit of the gates: make audit CLIENT=c [RUNS=5] [PROFILE=quick|full]
# [GATES=cpu,drops]. PROFILE defaults to quick here. Measures: run it
# alone on the machine (or under flock /tmp/tb-measure.lock).
RUNS ?= 5
AUDIT_PROFILE = $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),quick)
audit: build
	@test -n "$(CLIENT)" || { echo "usage: make audit CLIENT=name [RUNS=5] [PROFILE=quick|full] [GATES=a,b]" >&2; exit 2; }
	$(BUILD)/tracebench audit $(CLIENT) --runs $(RUNS) --profile $(AUDIT_PROFILE) $(if $(GATES),--gates $(GATES))

# Records a run's figures as a baseline (BASELINE_OUT, default
# logs/baseline-CLIENT.json) for `make regress BASELINE=...`.
baseline: build
	@test -n "$(CLIENT)" || { echo "make baseline needs CLIENT=name" >&2; exit 2; }
	TB_RUN_ID=$(RUN_ID) TB_PROFILE=$(PROFILE) TB_CLIENT=$(CLIENT) \
	TB_BASELINE_SAVE=$(BASELINE_OUT) $(BUILD)/suites/regression --jobs 1

# Two versions of a tracer in one run, B against A, gate by gate:
# make compare A=js-otel B=js-otel@1 [GATES=cpu,memory] [PROFILE=quick]
# [B_ARGS="--burn_ns 1000"]. Exits 1 when any figure of B is worse.
compare: build
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make compare A=client B=client [GATES=list] [PROFILE=quick|full] [A_ARGS=...] [B_ARGS=...]" >&2; exit 2; }
	TB_RUN_ID=$(RUN_ID) $(BUILD)/tracebench compare $(A) $(B) --profile $(PROFILE) \
	    $(if $(GATES),--gates $(GATES)) $(if $(A_ARGS),--a-args "$(A_ARGS)") \
	    $(if $(B_ARGS),--b-args "$(B_ARGS)")

# The four graphs of one client: make graphs CLIENT=c [QUICK=1]
graphs: build
	@test -n "$(CLIENT)" || { echo "usage: make graphs CLIENT=name [QUICK=1]" >&2; exit 2; }
	$(BUILD)/tracebench graph all $(CLIENT) $(if $(QUICK),--quick)

# logs/report.html from logs/results.jsonl and the graphs.
report: build
	$(BUILD)/tracebench report

# One run from the logs/ folders of a CI matrix's jobs:
# make merge SHARDS="shards/c shards/js" [OUT=logs] [SUMMARY_TO=file].
# Exits 1 when a merged figure failed, as regress does; SUMMARY_TO gets
# summary.md appended (a CI job summary) whatever the verdict.
SHARDS ?=
OUT    ?= logs
SUMMARY_TO ?=
merge: build
	@test -n "$(SHARDS)" || { echo "usage: make merge SHARDS='dir1 dir2 ...' [OUT=logs]" >&2; exit 2; }
	@status=0; $(BUILD)/tracebench merge --out $(OUT) $(SHARDS) || status=$$?; \
	if [ -n "$(SUMMARY_TO)" ] && [ -f $(OUT)/summary.md ]; then \
	    cat $(OUT)/summary.md >> "$(SUMMARY_TO)"; fi; exit $$status

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
