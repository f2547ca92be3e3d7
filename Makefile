# castforge: `make setup` (environment in .venv/), `make demo` (a whole film through the pipeline), `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
SHARED ?= $(abspath ../shared)
VIDEO ?= $(firstword $(wildcard $(SHARED)/media/video/sintel_trailer_480x204.mp4))
export CASTFORGE_HOME ?= $(CURDIR)/.castforge
export CASTFORGE_MODELS ?= $(if $(wildcard $(SHARED)/models),$(SHARED)/models,)
export HF_HUB_OFFLINE ?= 1

.PHONY: setup system-deps demo test test-cluster cluster-up cluster-down test-fast graph-snapshot check-defs dg-dev ui review bench clean-demo

.venv/.ready: install/requirements.txt install/requirements.lock install/constraints-cpu.txt install/setup_env.sh install/layered_venv.sh pyproject.toml
	bash install/setup_env.sh
	touch $@

# the environment (once), then castforge's numba kernels and librosa's gufuncs compiled into their on-disk caches in
# one process (install/warm_numba.py; setup_env.sh ran it too): a kernel whose source changed since is compiled here,
# not by each test worker or a film's first run; ~6 CPU-s where every cache is warm
setup: system-deps .venv/.ready
	@$(PY) install/warm_numba.py

system-deps:
	@missing=""; command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; fi
	@# optional: libdeflate reads the PNG cut-outs ~40% faster (resources/image_codec.py); without it, OpenCV reads them
	@ldconfig -p 2>/dev/null | grep -q 'libdeflate\.so' || { if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdeflate0 || echo "libdeflate0 not installed: cut-outs are read by OpenCV"; \
	  else echo "optional: sudo apt-get install libdeflate0 (faster cut-out reads)"; fi; }
	@# libarchive reads 7-Zip, RAR and tar archives of images (resources/archives.py); zip archives need nothing
	@ldconfig -p 2>/dev/null | grep -q 'libarchive\.so' || { if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libarchive13 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libarchive13t64 \
	  || echo "libarchive not installed: 7-Zip / RAR / tar archives of images cannot be ingested"; \
	  else echo "optional: sudo apt-get install libarchive13 (7-Zip / RAR / tar archives of images)"; fi; }

demo: setup
	@test -n "$(VIDEO)" || { echo "give a video: make demo VIDEO=path/to/film.mp4"; exit 2; }
	film=$$(.venv/bin/castforge ingest "$(VIDEO)") && .venv/bin/castforge materialize "$$film" && .venv/bin/castforge status "$$film"

test: setup
	$(PY) -m pytest -q -n auto --dist loadfile -m "not cluster"

# the scale-out path on loopback (Postgres, Redis, two Celery workers; ~3-6 min on 2 cores): tests/cluster
test-cluster: setup
	$(PY) -m pytest -q -m cluster tests/cluster

# a loopback cluster for the `cluster` profile (deploy/cluster.sh); then `source $$CASTFORGE_HOME/cluster/env`
cluster-up: setup
	bash deploy/cluster.sh up

cluster-down:
	bash deploy/cluster.sh down

# the fast tier: unit + sensor tests on hand-made inputs (no model backends, no real media, nothing slow)
test-fast: setup
	$(PY) -m pytest -q -m "not slow and not backends and not media" tests/unit tests/sensors

# Dagster's own check of the code location (dg lives in .venv-dg, built by install/setup_dg.sh); VIRTUAL_ENV names
# the project's .venv, the interpreter dg runs the code location with; the dg packages' version warnings are hidden
DG = VIRTUAL_ENV=$(CURDIR)/.venv PYTHONWARNINGS="ignore:Found version mismatch" .venv-dg/bin/dg
check-defs: setup
	$(DG) check defs

# the Dagster UI and daemon through dg (the [tool.dg] project in pyproject.toml) on loopback, PORT (default 3000)
dg-dev: setup
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CASTFORGE_HOME)/dagster} $(PY) -c "from resources.paths import ensure_dagster_home; ensure_dagster_home()"
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CASTFORGE_HOME)/dagster} $(DG) dev --host 127.0.0.1 --port $${PORT:-3000}

# after adding or rewiring an asset: regenerate the pinned asset graph (commit tests/e2e/asset_graph.json)
graph-snapshot: setup
	$(PY) -m tests.e2e.graph_snapshot --write

ui: setup
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CASTFORGE_HOME)/dagster} $(PY) -c "from resources.paths import ensure_dagster_home; ensure_dagster_home()"
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CASTFORGE_HOME)/dagster} .venv/bin/dagster dev -h 127.0.0.1 -w workspace.yaml

review: setup
	.venv/bin/castforge review

# every bench that needs no arguments (ONLY=drop_folder,review_app: just these); the ones that measure a film or
# video you name are listed with their command; exits non-zero naming the benches that failed
bench: setup
	$(PY) bench/run_all.py $(if $(ONLY),--only $(ONLY))
