# The two commands of the README. Everything they need, they install.
.PHONY: run test setup e2e

## Install what is missing, build, and serve on the embedded store at http://127.0.0.1:3000
run:
	bash scripts/run.sh

## Check format and lints (clippy -D warnings), then install what the tests need and run every test (native, wasm32, browser)
test:
	bash scripts/test.sh

## Only install the build tools (cargo-leptos, wasm-bindgen-cli, wasm-opt)
setup:
	bash scripts/setup.sh

## Only the Playwright suite (builds the release site first)
e2e:
	bash scripts/test-deps.sh && bash scripts/e2e.sh
