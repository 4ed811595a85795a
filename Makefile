# Two commands: `make run` (set-up + main job) and `make test` (set-up + tests).
# Set-up is a virtual environment in .venv with pinned dependencies; it is redone only when
# requirements.txt, constraints.txt or pyproject.toml change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test train evaluate bench benchmark coding-kit agree-humans readmes clean

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# the review page's browser test uses Debian's chromium and chromedriver (best effort: needs apt and root)
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
		( command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
		  ( apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
		    ( apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 ) ) ) || \
		echo "note: chromium/chromedriver could not be installed; the browser test will be skipped"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/atlas-coder run

test: $(STAMP)
	$(BIN)/python -m pytest -q

train: $(STAMP)
	$(BIN)/atlas-coder train

evaluate: $(STAMP)
	$(BIN)/atlas-coder evaluate

# the model ladder on city-grouped CV + AI Watch + speed and memory -> BENCHMARKS.md (committed)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt setfit==1.2.0
	$(BIN)/python evaluation/bench.py --setfit

# speed and memory of the shipped model only -> reports/benchmark.json
benchmark: $(STAMP)
	$(BIN)/python evaluation/benchmark.py

# human-coding kit (data/human_coding/, committed) and reading the human coders' returned sheets
coding-kit: $(STAMP)
	$(BIN)/atlas-coder kit

agree-humans: $(STAMP)
	$(BIN)/atlas-coder agree-humans

# regenerate the generated blocks of README.md and data/README.md (tests fail when they are stale)
readmes: $(STAMP)
	$(BIN)/python evaluation/update_readmes.py

clean:
	rm -rf $(VENV) .cache reports mlruns
