# Newsbridge: two commands set everything up on a fresh machine.
#   make demo   installs, builds the demo hub on SQLite and serves it on 127.0.0.1:8000
#   make test   installs test tools, makes sure PostgreSQL runs and Chromium is there, runs every test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# make test spreads the tests over the cores (2 to 4 processes); tests marked serial run alone afterwards
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; [ $$n -lt 2 ] && n=2; echo $$n)

.PHONY: demo test serve bench install install-test bytecode postgres chromium ffmpeg nginx report-tools superdesk-env clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Newsbridge needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The hub's own modules compiled ahead: where PYTHONDONTWRITEBYTECODE is set (as on the machines here) every
# process compiled its ~300 modules again at start (~0.6 s: each `newsbridge serve` the tests start, each CLI call).
# Incremental: only changed files are compiled again.
bytecode: | $(BIN)/python
	$(BIN)/python -m compileall -q -j 0 newsbridge

demo: $(VENV)/.installed bytecode report-tools ffmpeg
	$(BIN)/newsbridge demo

serve: $(VENV)/.installed bytecode
	$(BIN)/newsbridge serve

# PostgreSQL for the tests: the local server on 127.0.0.1:5432 (trust auth); started when down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL"; \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1

# Chromium for browser tests comes from Debian's packages; Playwright never downloads one.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# ffmpeg and ffprobe (media probing, proxies, posters, waveforms) come from Debian's packages too.
# bench/media.py serves the same file with Debian's nginx (on a loopback port, its own temporary config)
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  echo "installing Debian's nginx"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx >/dev/null; }

ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  echo "installing Debian's ffmpeg"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg >/dev/null; }

# The PDF report (WeasyPrint) needs Pango and a font with Cyrillic, Kazakh and Persian letters (DejaVu);
# the tests read the PDFs back with poppler-utils (pdftotext, pdfinfo, pdftoppm). All from Debian.
report-tools:
	@{ command -v pdftotext >/dev/null && fc-list | grep -q DejaVuSans && ldconfig -p | grep -q libpango-1.0; } || { \
	  echo "installing Debian's poppler-utils, Pango and DejaVu fonts"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq poppler-utils \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }

# Superdesk's own feed parsers as a test client (AGPL: a venv of their own, never imported by the hub);
# tests/interop/superdesk_env.py builds it quietly once, then nothing until its requirements change.
SUPERDESK_VENV := .venv-superdesk
$(SUPERDESK_VENV)/.newsbridge-installed: tests/interop/superdesk_env.py | $(VENV)/.installed-test
	@$(BIN)/python tests/interop/superdesk_env.py

superdesk-env: $(SUPERDESK_VENV)/.newsbridge-installed

test: $(VENV)/.installed-test bytecode postgres chromium ffmpeg report-tools superdesk-env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS)

bench: $(VENV)/.installed-test bytecode nginx ffmpeg
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/language_memory.py
	$(BIN)/python bench/media.py

clean:
	rm -rf $(VENV) $(SUPERDESK_VENV) var test-results .pytest_cache
