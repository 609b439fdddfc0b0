# The two commands the README gives: `make demo` and `make test`.
# Both install what is missing first (.ci/deps), and run headless under Xvfb when there is
# no display.
SHELL := /bin/bash
HEADLESS := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,xvfb-run -a)
SCREENSHOT ?= target/rpcview-tour.png

.PHONY: deps build demo tour test lint

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

test: lint
	node --test preload/test/
	$(HEADLESS) cargo test
