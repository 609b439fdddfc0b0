# The two commands the README gives: `make demo` and `make test`.
# Both install what is missing first (.ci/deps), and run headless under Xvfb when there is
# no display.
SHELL := /bin/bash
# -noreset: an X server that resets when its last client leaves refuses connections for a
# moment, and apps follow each other in one run (rpcview retries GTK's start for that too).
HEADLESS := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,xvfb-run -a -s "-screen 0 1280x1024x24 -noreset")
SCREENSHOT ?= target/rpcview-tour.png
TSC := $(CURDIR)/tests/ts/node_modules/.bin/tsc

.PHONY: deps build demo tour test lint schema-check package-check fuzz bench

deps:
	@bash .ci/deps

build: deps
	cargo build --quiet

# With a display: opens the notes demo. Without one: drives it through its tour under Xvfb,
# saves a screenshot, and exits with the tour's verdict.
demo: build
	@if [ -n "$(DISPLAY)$(WAYLAND_DISPLAY)" ]; then \
	  ./target/debug/rpcview-notes $(ARGS); \
	else \
	  echo "no display: running the demo's tour under Xvfb"; \
	  xvfb-run -a ./target/debug/rpcview-notes --tour --screenshot $(SCREENSHOT) $(ARGS); \
	fi

tour: build
	$(HEADLESS) ./target/debug/rpcview-notes --tour --screenshot $(SCREENSHOT) $(ARGS)

# Formatting and lints, for the whole workspace and for the library without its webview.
lint: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo clippy -p rpcview --no-default-features --quiet -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p rpcview -p rpcview-contract --features rpcview/serve

# The schema checks with real tools: the OpenRPC project's validator, dereferencer and call
# validator, ajv in strict mode, the generated client in node, and tsc --strict over the
# generated TypeScript, a sample consumer, every serde shape, the demo (checkJs), and the
# hello example's TypeScript page (whose committed app.js must be tsc's output), and the
# generated mock window.api (schema/mock.js) under Vitest and happy-dom.
schema-check: deps
	cd tests/ts && node --test && $(TSC) -p tsconfig.json && $(TSC) -p tsconfig.shapes.json
	cd tests/mock && ./node_modules/.bin/vitest run
	@out=$$(mktemp -d) && cd host/examples/hello/web && $(TSC) -p tsconfig.json --outDir $$out \
	  && if ! cmp -s app.js $$out/app.js; then \
	    echo "host/examples/hello/web/app.js is not app.ts compiled; run: (cd host/examples/hello/web && $(TSC) -p tsconfig.json)"; \
	    rm -rf $$out; exit 1; \
	  fi; rm -rf $$out

# Each library crate packs and builds from its package alone (nothing included from outside).
package-check: deps
	cargo package --quiet -p rpcview-contract -p rpcview --allow-dirty

test: lint schema-check package-check
	node --test preload/test/
	$(HEADLESS) cargo test --workspace
	cd tests/webdriver && $(HEADLESS) node --test
	cd tests/browser && node --test
	$(HEADLESS) cargo run --quiet -p rpcview-bench -- --smoke

# The long fuzz run (10 million executions by default; RPCVIEW_FUZZ_EXECS, RPCVIEW_FUZZ_SEED):
# framing, the bridge check, dispatch and validation on arbitrary and mutated bytes. A short
# run is part of `make test`.
fuzz: deps
	RPCVIEW_FUZZ_EXECS=$${RPCVIEW_FUZZ_EXECS:-10000000} cargo test --release -p rpcview --lib fuzz::long -- --ignored --nocapture

# What a call costs: rpcview against the raw tao + wry transport, side by side, in release.
# Prints a table of medians, p99 and ratios (see BENCHMARKS.md), the demo's idle memory, and
# draws target/bench/roundtrip-by-size.png; asserts nothing.
bench: deps
	cargo build --release --quiet -p rpcview-notes
	$(HEADLESS) cargo run --release --quiet -p rpcview-bench
