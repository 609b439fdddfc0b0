# The two commands the README gives: `make demo` and `make test`.
# Both install what is missing first (.ci/deps), and run headless under Xvfb when there is
# no display.
SHELL := /bin/bash
HEADLESS := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,xvfb-run -a)
SCREENSHOT ?= target/rpcview-tour.png

.PHONY: deps build demo tour test lint schema-check

deps:
	@bash .ci/deps

build: deps
	cargo build --quiet

# With a display: opens the notes demo. Without one: drives it through its tour under Xvfb,
# saves a screenshot, and exits with the tour's verdict.
demo: build
	@if [ -n "$(DISPLAY)$(WAYLAND_DISPLAY)" ]; then \
	  ./target/debug/rpcview $(ARGS); \
	else \
	  echo "no display: running the demo's tour under Xvfb"; \
	  xvfb-run -a ./target/debug/rpcview --tour --screenshot $(SCREENSHOT) $(ARGS); \
	fi

tour: build
	$(HEADLESS) ./target/debug/rpcview --tour --screenshot $(SCREENSHOT) $(ARGS)

lint: deps
	cargo fmt --all -- --check
	cargo clippy --all-targets --quiet -- -D warnings

# The schema checks with real tools: the OpenRPC project's validator, and tsc --strict over
# the generated TypeScript, a sample consumer, every serde shape, and the demo (checkJs).
schema-check: deps
	cd tests/ts && node --test && ./node_modules/.bin/tsc -p tsconfig.json && ./node_modules/.bin/tsc -p tsconfig.shapes.json

test: lint schema-check
	node --test preload/test/
	$(HEADLESS) cargo test
