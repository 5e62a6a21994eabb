# The set-up commands of the README: `make demo`, `make test` and, for the
# local loop, `make test-fast` (ruff, then the Keras 3 pass without the `slow`
# end-to-end tests: a few minutes; docs/testing.md). Each creates .venv from
# the project's own files on first use; demo and test also .venv-mediapipe
# (MediaPipe Tasks, which cannot share .venv; docs/mediapipe.md) and
# node_modules (LiteRT.js and playwright-core for the browser runs; docs/web.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_STAMP := node_modules/.installed

.PHONY: demo test test-fast lint clean

$(BIN)/.installed: setup.py
	bash scripts/check_python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	bash scripts/install_web_tools.sh

demo: $(BIN)/.installed $(NODE_STAMP)
	bash scripts/install_swiftshader.sh
	bash scripts/setup_mediapipe_env.sh $(PYTHON)
	$(BIN)/python examples/pipeline.py --output-dir runs/pipeline

test: $(BIN)/.installed $(NODE_STAMP)
	bash scripts/install_swiftshader.sh
	bash scripts/setup_mediapipe_env.sh $(PYTHON)
	bash scripts/run_tests.sh $(BIN)

test-fast: $(BIN)/.installed $(NODE_STAMP)
	bash scripts/install_swiftshader.sh
	$(BIN)/ruff check .
	env -u TF_USE_LEGACY_KERAS -u KERAS_BACKEND $(BIN)/python -m pytest -n 2 --dist loadfile \
		--no-loadscope-reorder --durations=10 -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .venv-mediapipe node_modules *.egg-info
