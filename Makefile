# SemifreddoNets-HW: every target bootstraps the project's own virtual environment first.
# The Python CLI (`semifreddo`) does the work; this file only names the entry points.

PYTHON3 ?= python3
VENV    := .venv
STAMP   := $(VENV)/.installed
SF      := $(VENV)/bin/semifreddo
PY      := $(VENV)/bin/python

NET     ?= weights/reference.yaml
IMAGE   ?=
WAVES   ?= 0
BOARD   ?= ulx3s-85f
JOBS    ?= auto

.PHONY: all bootstrap sim test lint bench fpga prog clean distclean

all: test

# Re-runs only when pyproject.toml (the pinned toolchain) changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

bootstrap: $(STAMP)

sim: $(STAMP)
	$(SF) sim --net $(NET) $(if $(IMAGE),--image $(IMAGE)) $(if $(filter 1,$(WAVES)),--waves)

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(SF) lint

bench: $(STAMP)
	$(SF) bench

fpga: $(STAMP)
	$(SF) fpga --board $(BOARD) --net $(NET)

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
