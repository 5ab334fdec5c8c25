# mobench — the commands a newcomer types. `make help` lists them.
SHELL := /bin/bash
SWIFT ?= swift
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE_BIN := .build/release
MOBENCH := $(RELEASE_BIN)/mobench
OUT ?= results

.PHONY: help deps test-deps build release test benchmark hessian perf perf-pytorch perf-baseline machine data-benchmark nightly nightly-baseline paper plasticity clean

help:
	@echo "make benchmark        run the default suite on data/fashion-mnist, print the table, write figures to $(OUT)/benchmark"
	@echo "make hessian          Hessian-free vs exact-Hessian MetaOptimize suite (docs/hessian.md)"
	@echo "make test             build and run every test"
	@echo "make perf             throughput benchmarks (steps/s, allocations per step) vs the committed baseline"
	@echo "make perf-pytorch     the same batch-1 cases in PyTorch (AdamW, SGD, our MetaOptimize transcription), ratios"
	@echo "make machine          peak FLOP/s and bandwidth per cache level of one core (for the roofline)"
	@echo "make data-benchmark   gzip+IDX decoding speed vs Python's gzip + numpy"
	@echo "make nightly          nightly suite, compared with Benchmarks/baselines/nightly.json"
	@echo "make paper            the paper's continual CIFAR-100 experiment (Fashion-MNIST fallback without CIFAR-100)"
	@echo "make plasticity       input-permuted MNIST, 200 tasks x 5,000 and 10 x 60,000 steps, plasticity diagnostics (~2 h; resumable)"

# System requirements besides Swift: zlib's headers and LAPACKE (the C interface to LAPACK, for the diagnostics'
# singular values). Installed with apt-get where possible.
deps:
	@if [ -f /usr/include/zlib.h ] || pkg-config --exists zlib 2>/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing zlib1g-dev (zlib headers) with apt-get"; \
		(apt-get install -y -qq zlib1g-dev >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq zlib1g-dev >/dev/null)) \
		|| { echo "error: could not install zlib1g-dev with apt-get; install zlib's development headers and retry" >&2; exit 1; }; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		echo "installing zlib1g-dev (zlib headers) with sudo apt-get"; \
		sudo apt-get install -y -qq zlib1g-dev || { echo "error: could not install zlib1g-dev; install zlib's development headers and retry" >&2; exit 1; }; \
	else \
		echo "error: zlib development headers not found (zlib.h); install them (Debian/Ubuntu: zlib1g-dev, Fedora: zlib-devel, macOS: brew install zlib) and retry" >&2; exit 1; \
	fi
	@if [ -f /usr/include/lapacke.h ] || pkg-config --exists lapacke 2>/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing liblapacke-dev and liblapack-dev (LAPACK) with apt-get"; \
		(apt-get install -y -qq liblapacke-dev liblapack-dev >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq liblapacke-dev liblapack-dev >/dev/null)) \
		|| { echo "error: could not install liblapacke-dev with apt-get; install LAPACKE's development files and retry" >&2; exit 1; }; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		echo "installing liblapacke-dev and liblapack-dev (LAPACK) with sudo apt-get"; \
		sudo apt-get install -y -qq liblapacke-dev liblapack-dev || { echo "error: could not install liblapacke-dev; install LAPACKE's development files and retry" >&2; exit 1; }; \
	else \
		echo "error: LAPACKE development files not found (lapacke.h); install them (Debian/Ubuntu: liblapacke-dev, Fedora: lapack-devel, macOS: brew install lapack) and retry" >&2; exit 1; \
	fi
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: swift not found on PATH; install Swift 6.1 or newer (swift.org)" >&2; exit 1; }

# Tools the tests use besides Swift: rsvg-convert (librsvg2-bin) renders every figure to PNG, headless Chromium
# renders the HTML report, python3-venv makes the venv in which the TensorBoard test pip-installs tensorboard.
# Installed with apt-get where possible; without them those tests skip (outside CI; in CI they must run).
test-deps:
	@missing=""; command -v rsvg-convert >/dev/null 2>&1 || missing="$$missing librsvg2-bin"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing$$missing with apt-get"; \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null)) \
		|| echo "note: could not install$$missing; the tests that need them will skip" >&2; \
	else \
		echo "note:$$missing not installed (Debian: apt-get install$$missing); the tests that need them will skip" >&2; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product mobench

# Every import must be a declared dependency: SwiftPM's check (for targets outside the dependency closure) and
# scripts/check-imports.py (for any import a target does not declare, even when it resolves transitively).
test: deps test-deps
	python3 scripts/check-imports.py .
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build --parallel

# The README's first command: the default suite on the shipped Fashion-MNIST, table on stdout, figures as SVG.
benchmark: release
	$(MOBENCH) suite Benchmarks/suites/default.json --out $(OUT)/benchmark --jobs $(JOBS)
	@echo "report: $(OUT)/benchmark/summary.html (open in a browser); table: $(OUT)/benchmark/summary.md; figures: $(OUT)/benchmark/figures/*.svg"

# Hessian-free vs exact-Hessian MetaOptimize (docs/hessian.md): 432 runs, 5-12 minutes on 2 cores (measured).
hessian: release
	$(MOBENCH) suite Benchmarks/suites/hessian.json --out $(OUT)/hessian --jobs $(JOBS)
	@echo "figures: $(OUT)/hessian/figures/*.svg; table: $(OUT)/hessian/summary.md"

# Nightly regression check against the committed baseline (exit 1 on a regression).
nightly: release
	$(MOBENCH) suite Benchmarks/suites/nightly.json --out $(OUT)/nightly --jobs $(JOBS) --quiet
	$(MOBENCH) compare Benchmarks/baselines/nightly.json $(OUT)/nightly/summary.json --markdown $(OUT)/nightly/comparison.md

nightly-baseline: release
	$(MOBENCH) suite Benchmarks/suites/nightly.json --out $(OUT)/nightly --jobs $(JOBS)
	cp $(OUT)/nightly/summary.json Benchmarks/baselines/nightly.json
	@echo "refreshed Benchmarks/baselines/nightly.json; commit it"

# The paper's continual CIFAR-100 experiment; falls back to Fashion-MNIST (2 classes per task) without CIFAR-100.
CIFAR100 ?= $(firstword $(wildcard data/cifar-100-binary data/cifar-100-binary.tar.gz))
paper: release
	@if [ -n "$(CIFAR100)" ] && [ -e "$(CIFAR100)" ]; then \
		echo "CIFAR-100 found at $(CIFAR100): running the paper's protocol (R1–R12, 5 seeds)"; \
		$(MOBENCH) suite Benchmarks/suites/paper.json --out $(OUT)/paper --jobs $(JOBS) --set data=$(CIFAR100) \
			--checkpoint-every 10000 --paper-reference data/reference/paper-continual-cifar100.csv; \
	else \
		echo "CIFAR-100 not found (looked for data/cifar-100-binary, data/cifar-100-binary.tar.gz, CIFAR100=PATH):"; \
		echo "running the same protocol on Fashion-MNIST with 2 classes per task, without the paper overlay"; \
		$(MOBENCH) suite Benchmarks/suites/paper.json --out $(OUT)/paper-fashion-mnist --jobs $(JOBS) \
			--set data=fashion-mnist --set classes_per_task=2 --set tasks=5 --checkpoint-every 10000; \
	fi

# The long plasticity protocols (Benchmarks/suites/plasticity.json, docs/plasticity.md). Checkpoints every 50,000
# steps: interrupted (Ctrl-C, or killed), the same command resumes the unfinished runs where they stopped.
plasticity: release
	$(MOBENCH) suite Benchmarks/suites/plasticity.json --out $(OUT)/plasticity --jobs $(JOBS) --checkpoint-every 50000

# Throughput: steps/s per model and optimizer, allocations per step, vs the committed baseline.
PERF_TOLERANCE ?= 0.25
perf: deps
	$(SWIFT) build -c release --product mobench-perf
	@mkdir -p $(OUT)
	$(RELEASE_BIN)/mobench-perf training --json $(OUT)/perf.json
	$(RELEASE_BIN)/mobench-perf check Benchmarks/baselines/perf.json $(OUT)/perf.json --tolerance $(PERF_TOLERANCE)

# PyTorch side by side (not part of make test/CI): torch from PyPI in a venv under .build/, same cases, same run.
perf-pytorch: deps
	bash Benchmarks/scripts/perf-pytorch.sh

perf-baseline: deps
	$(SWIFT) build -c release --product mobench-perf
	$(RELEASE_BIN)/mobench-perf training --json Benchmarks/baselines/perf.json

machine: deps
	$(SWIFT) build -c release --product mobench-perf
	$(RELEASE_BIN)/mobench-perf machine

data-benchmark: deps
	bash Benchmarks/scripts/dataset-read.sh

clean:
	rm -rf .build
