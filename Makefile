# TripDesk developer commands. `make help` lists them; CI runs `make test`.
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup lookups train run chat test test-fast lint typecheck eval eval-dialogues bench validate clean browser seed telegram-webhook

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

setup:  ## create .venv with Python 3.10 and install pinned dependencies (once)
	@bash scripts/bootstrap.sh

lookups: setup  ## regenerate the city lookup table and synonyms from knowledge_base/
	@$(PY) -m bot.cli lookups

train: setup  ## train the model, only if training data or config changed
	@$(PY) -m bot.cli train

run: train  ## set up, train if needed, start Rasa (:5005) and the action server (:5055)
	@$(PY) -m bot.cli run

chat: setup  ## chat with the running bot in this terminal (start `make run` first)
	@$(PY) -m bot.cli chat

test: train lint typecheck validate browser  ## set up, train if needed, lint, type-check, validate the data, run every test (the scripted dialogues included)
	@$(PY) -m pytest
	@echo "scripted dialogues (tests/dialogues/, full report in results/dialogues/report.txt):"
	@grep -E '^(TOTAL|tests/)' results/dialogues/report.txt || true

browser:  ## install Debian's chromium for the widget's browser tests (if missing)
	@bash scripts/install_browser.sh

seed: setup  ## create/upgrade the booking database, load catalogue and inventory (demo customers: embedded default or TRIPDESK_SEED_DEMO=1)
	@$(PY) -m bot.booking.seed

telegram-webhook: setup  ## point the Telegram bot at URL=https://your.host (needs TRIPDESK_TELEGRAM_*)
	@$(PY) -m connectors.telegram set-webhook $(URL)

lint: setup  ## ruff (pyflakes, bugbear, async, bandit, timezone rules)
	@.venv/bin/ruff check bot actions connectors tests bench

typecheck: setup  ## mypy over bot/, actions/ and connectors/ (settings in pyproject.toml)
	@.venv/bin/mypy

test-fast: setup  ## unit tests only (no model, no servers)
	@$(PY) -m pytest -m "not model"

eval: train  ## NLU figures on the independent sets (tests/nlu_independent/: messages, turns, Traditional, entities); report in results/nlu_independent/
	@$(PY) -m bot.nlu_eval

eval-dialogues: setup  ## replay tests/dialogues/*.yml against the running bot (`make run` first; ARGS=--start starts one); task success, failing turns; full result in results/dialogues/
	@$(PY) -m bot.dialogue_eval --json results/dialogues/result.json $(ARGS)

bench: train  ## benchmarks (NLU parse latency, normaliser scaling, several acts in one message, catalogue import and queries); figures printed, nothing asserted
	@$(PY) bench/nlu_latency.py
	@$(PY) bench/normaliser_scaling.py
	@PYTHONPATH=. $(PY) -m bench.acts
	@$(PY) bench/catalogue.py

.PHONY: bench-load
bench-load: train  ## closed-loop REST load, TripDesk then stock `rasa init` bot (N=1,20,100 x 16 turns; ARGS="--concurrency 1,20 --turns 8"); figures in results/bench/
	@$(PY) bench/closed_loop.py $(ARGS)

validate: setup  ## rasa data validate
	@$(PY) -m bot.validate

clean:  ## remove trained models, results and local databases
	rm -rf models results var .pytest_cache
