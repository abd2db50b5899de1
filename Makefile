# derive: build the answer key and run the tests.
#   make key    builds output/problems.pdf and output/answer_key.pdf
#   make test   runs the test suite

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
STAMP  := $(VENV)/.stamp

.DEFAULT_GOAL := help

.PHONY: help venv bytecode tex test key clean

help:
	@echo "Targets:"
	@echo "  make venv   create $(VENV) and install derive with its test extras (pip install -e '.[test]')"
	@echo "  make bytecode  compile derive's bytecode (fast start-up under PYTHONDONTWRITEBYTECODE)"
	@echo "  make tex    make sure latexmk, pdflatex and pdftotext are installed (scripts/install-tex.sh)"
	@echo "  make test   venv + tex, then run the test suite ($(VENV)/bin/python -m pytest)"
	@echo "  make key    venv + tex, then build output/problems.pdf and output/answer_key.pdf"
	@echo "  make clean  remove generated output and build products (keeps $(VENV))"

venv: $(STAMP)

# Compiled bytecode for the package, as `pip install` writes it: an editable install
# under PYTHONDONTWRITEBYTECODE=1 (set on this machine) would otherwise recompile
# derive on every start, a sixth of a `derive check`.
bytecode: venv
	$(VENV)/bin/python -m compileall -q derive

# Re-created/re-installed only when the package metadata changes.
$(STAMP): setup.cfg pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 or python3 not found on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/python -m pip install -e '.[test]'
	touch $@

tex:
	bash scripts/install-tex.sh

test: venv bytecode tex
	$(VENV)/bin/python -m pytest

key: venv bytecode tex
	$(VENV)/bin/derive key -o output

clean:
	find output -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf build dist *.egg-info .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
