# The two commands of the README: `make run` and `make test`.
VENV  := .venv
PY    := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
STAMP := $(VENV)/.installed

PG_TEST_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite install bytecode chromium services lint bench translations extract-messages update-messages

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

# Translations (roster/translations): Roster's own messages and our catalog of the Flask-Admin strings it shows.
# extract-messages + update-messages after changing a message; `translations` compiles them (make run and
# make test do), so a catalog is never missing at run time (the compiled .mo files are committed as well).
PYBABEL := $(VENV)/bin/pybabel
TRANSLATIONS := roster/translations

install: $(STAMP) translations bytecode

# Roster's own modules compiled ahead (an editable install leaves them as source, and where PYTHONDONTWRITEBYTECODE
# is set every process would compile ~100 modules again: 0.15 s of each CLI command's start).
bytecode: $(STAMP)
	@$(PY) -m compileall -q roster app.py >/dev/null

translations: $(STAMP)
	@$(PYBABEL) -q compile -d $(TRANSLATIONS) -D messages --use-fuzzy
	@$(PYBABEL) -q compile -d $(TRANSLATIONS) -D admin --use-fuzzy

extract-messages: $(STAMP)
	$(PYBABEL) extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o $(TRANSLATIONS)/messages.pot .

update-messages: extract-messages
	$(PYBABEL) update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages --no-fuzzy-matching --ignore-obsolete -w 120

# A random secret key for this checkout, written once; plain http on 127.0.0.1, so no Secure-only cookie.
instance/config.py:
	mkdir -p instance
	printf 'SECRET_KEY = "%s"\nSESSION_COOKIE_SECURE = False  # local http demo; production serves https\nTWO_FACTOR_REQUIRED = False  # the demo: admins may turn it on in Settings; production requires it\n' \
		"$$(python3 -c 'import secrets; print(secrets.token_hex(32))')" > $@

run: install instance/config.py
	$(FLASK) db upgrade
	$(FLASK) roster demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# Browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }); \
		else echo "Browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; }

# PostgreSQL (127.0.0.1:5432, user postgres, database test) and Redis (127.0.0.1:6379) for the suite: started,
# and installed first when missing and we run as root.
services:
	@sh .ci/services

# Every test, browser tests included, on SQLite and on PostgreSQL: the two passes side by side (a core each, a
# Redis database each); the PostgreSQL pass's report follows the SQLite one's. Fails when either fails.
test: install chromium services
	@ROSTER_TEST_DATABASE_URL=$(PG_TEST_URL) ROSTER_TEST_REDIS_DB=14 $(PY) -m pytest $(PYTEST_ARGS) \
		> .pytest-postgresql.log 2>&1 & pg=$$!; \
	echo "== SQLite"; $(PY) -m pytest $(PYTEST_ARGS); sqlite=$$?; \
	wait $$pg; postgresql=$$?; echo "== PostgreSQL"; cat .pytest-postgresql.log; \
	test $$sqlite -eq 0 -a $$postgresql -eq 0

# The quick loop while working: SQLite only.
test-sqlite: install chromium services
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/list_bench.py
