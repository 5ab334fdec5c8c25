# mobench — the commands a newcomer types. `make help` lists them.
SHELL := /bin/bash
SWIFT ?= swift
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RELEASE_BIN := .build/release
MOBENCH := $(RELEASE_BIN)/mobench
OUT ?= results

.PHONY: help deps build release test benchmark perf data-benchmark nightly nightly-baseline paper clean

help:
	@echo "make benchmark        run the default suite on data/fashion-mnist, print the table, write figures to $(OUT)/benchmark"
	@echo "make test             build and run every test"
	@echo "make perf             throughput benchmarks (steps/s, allocations per step) vs the committed baseline"
	@echo "make data-benchmark   gzip+IDX decoding speed vs Python's gzip + numpy"
	@echo "make nightly          nightly suite, compared with Benchmarks/baselines/nightly.json"
	@echo "make paper            the paper's continual CIFAR-100 experiment (Fashion-MNIST fallback without CIFAR-100)"

# zlib's headers are the only system requirement besides Swift. Installed with apt-get where possible.
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
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: swift not found on PATH; install Swift 6.1 or newer (swift.org)" >&2; exit 1; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product mobench

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

data-benchmark: deps
	bash Benchmarks/scripts/dataset-read.sh

clean:
	rm -rf .build
