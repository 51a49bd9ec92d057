# Two commands do everything on a fresh machine:
#   make demo   - set up, train the translate demo on the built-in corpus, translate held-out text
#   make test   - set up and run the whole test suite
#   make test-fast - the inner loop: every test not marked `slow` (about a third of `make test`)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test test-fast demo lint bench clean

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,bleu,plot,subword,tflite,onnx]"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q tests

test-fast: install
	$(PY) -m pytest -q -m "not slow" tests

lint: install
	$(VENV)/bin/ruff check .

demo: install
	$(PY) -m translate.demo

bench: install
	$(PY) benchmarks/translate_bench.py

clean:
	rm -rf $(VENV) demo_run
