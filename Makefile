# The two set-up commands of the README: `make demo` and `make test`. Each
# creates .venv from the project's own files on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/.installed: setup.py
	bash scripts/check_python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/.installed
	bash scripts/install_swiftshader.sh
	$(BIN)/python examples/pipeline.py --output-dir runs/pipeline

test: $(BIN)/.installed
	bash scripts/install_swiftshader.sh
	bash scripts/run_tests.sh $(BIN)

lint: $(BIN)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) *.egg-info
