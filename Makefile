# Two commands do everything on a fresh machine:
#   make demo   - set up, train the translate demo on the built-in corpus, translate held-out text
#   make test   - set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test demo lint bench clean

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,bleu,plot]"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q tests

lint: install
	$(VENV)/bin/ruff check .

demo: install
	$(PY) -m translate.demo

bench: install
	$(PY) -m translate.benchmark

clean:
	rm -rf $(VENV) demo_run
