# The commands of this project; `make help` lists them. Every target uses the venv in .venv.
PY := .venv/bin

.PHONY: help install test test-fast lint typecheck check bench demo screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: ## make .venv with the test, lint and bench extras (and the Debian packages the GUI tests need)
	.ci/system-deps
	python3 -m venv .venv && $(PY)/pip install -q -e '.[test,lint,bench,demo]'

test: ## run the test suite (the README's test command, without the install): what CI runs
	$(PY)/pytest --cov

test-fast: ## the quick loop: no slow tests, 10 examples per Hypothesis test, one worker a core
	$(PY)/pytest -q -m "not slow" --hypothesis-profile=fast -n auto -p no:cacheprovider

lint: ## ruff: lint and format check
	$(PY)/ruff check src tests bench examples docs notebooks
	$(PY)/ruff format --check src tests bench examples docs notebooks

typecheck: ## pyright strict and mypy --strict over src/, and the type tests
	$(PY)/pyright src
	$(PY)/mypy src
	$(PY)/pyright examples docs
	$(PY)/mypy --strict examples/*.py docs/*.py
	$(PY)/pyright tests/typing
	$(PY)/mypy --strict tests/typing

check: lint typecheck test ## everything CI checks (.ci/run also installs first)

bench: ## the benchmark suite side by side with the official SDK, as one table of ratios
	$(PY)/python bench/run.py

demo: ## four live streams in the terminal, against the built-in emulator
	$(PY)/anthropic-rx demo

screenshots: ## regenerate docs/*.png (the GUI windows under Xvfb, the timeline plot)
	$(PY)/python docs/screenshots.py
	$(PY)/python docs/timeline.py
	$(PY)/python docs/concurrency.py
