# The two commands of the README: `make demo` and `make test`. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= demo-data
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,hub]"
	touch $(STAMP)

demo: $(STAMP)
	@test -f $(DATA)/store.db || $(BIN)/mentalspace demo --data-dir $(DATA)
	@echo "Demo sign-ins are in $(DATA)/demo-logins.txt"
	$(BIN)/mentalspace --data-dir $(DATA)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check mentalspace_desktop tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache
