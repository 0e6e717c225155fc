# bakhong — make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PERIOD ?= 2024
SEED ?= 7

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(PY) -c "from bakhong.views.explore import install_kernel; install_kernel()"
	touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies and the package

chromium: ## install Debian's chromium and a font with Vietnamese letters when missing (needs root; the PDFs)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@# the reports' font stack names Noto Sans before Arial, whose Debian stand-in (Liberation
	@# Sans 1) lacks ệ, ườ…: without Noto each such letter would come from another font
	@fc-list ':lang=vi' family 2>/dev/null | grep -qi 'noto sans' || { \
	  echo "installing fonts-noto-core (Vietnamese letters in the PDFs)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends fonts-noto-core >/dev/null; }

libreoffice: ## install Debian's headless LibreOffice Calc when missing (needs root; annotate tests)
	@command -v libreoffice >/dev/null 2>&1 || command -v soffice >/dev/null 2>&1 || { \
	  echo "installing libreoffice-calc-nogui (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends libreoffice-calc-nogui >/dev/null; }

synthetic: $(STAMP) ## write the synthetic province and its survey (DỮ LIỆU MÔ PHỎNG) to data/raw/synthetic when absent
	@test -d data/raw/synthetic || $(VENV)/bin/bakhong synth --seed $(SEED)
	@test -d data/raw/synthetic/survey || $(VENV)/bin/bakhong synth-survey --seed $(SEED) \
	  --from data/raw/synthetic --out data/raw/synthetic/survey

reports: $(STAMP) synthetic chromium ## build every report (HTML and PDF) from the bundled data
	$(VENV)/bin/bakhong ingest
	$(VENV)/bin/bakhong batch --period $(PERIOD)

lab: $(STAMP) synthetic ## open JupyterLab on the project's environment, with the explorer notebook
	@$(PY) -c "from bakhong.views.explore import install_kernel; install_kernel()"
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks/explore.ipynb

plotlyjs: ## refresh the vendored plotly.js partial bundle from vendor/plotlyjs (needs npm)
	cd vendor/plotlyjs && npm ci --no-audit --no-fund
	cp vendor/plotlyjs/node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js bakhong/_vendor/
	cp vendor/plotlyjs/node_modules/plotly.js-basic-dist-min/plotly-basic.min.js bakhong/_vendor/
	cp vendor/plotlyjs/node_modules/plotly.js-cartesian-dist-min/LICENSE bakhong/_vendor/plotly-LICENSE.txt

test: $(STAMP) libreoffice chromium ## run the tests (what CI runs)
	$(VENV)/bin/ruff check bakhong tests benchmarks tools
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff
	$(VENV)/bin/ruff check bakhong tests benchmarks tools

bench: $(STAMP) ## run the benchmarks
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/checks_recall.py 7
	$(PY) benchmarks/explore.py
	$(PY) benchmarks/batch.py
	$(PY) benchmarks/survey.py

bench-survey: $(STAMP) ## survey aggregation: 3 million people, bakhong against pandas
	$(PY) benchmarks/survey.py

clean: ## remove generated files (not data/raw)
	rm -rf data/processed/*.parquet data/processed/*.json reports/*/ .pytest_cache

.PHONY: help venv chromium libreoffice synthetic reports lab plotlyjs test lint bench bench-survey clean
