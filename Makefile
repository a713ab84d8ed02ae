# SemifreddoNets-HW: every target bootstraps the project's own virtual environment first.
# The Python CLI (`semifreddo`) does the work; this file only names the entry points.

PYTHON3 ?= python3
VENV    := .venv
STAMP   := $(VENV)/.installed
SF      := $(VENV)/bin/semifreddo
PY      := $(VENV)/bin/python

NET     ?= weights/reference.yaml
IMAGE   ?=
# configurable weight set of `make sim` (default: the trained faces + denoise set; `random` = seeded random)
CONFIG  ?= $(if $(filter weights/reference.yaml,$(NET)),weights/trained/faces_denoise.npz,random)
WAVES   ?= 0
BOARD   ?= ulx3s-85f
# parallel pytest workers of `make test` (default auto), nextpnr runs at a time of `make fpga` (default 1)
JOBS    ?=

.PHONY: all bootstrap sim test lint bench fpga fpga-frozen prog train results clean distclean

all: test

# Re-runs only when pyproject.toml (the pinned toolchain) changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

bootstrap: $(STAMP)

sim: $(STAMP)
	$(SF) sim --net $(NET) $(if $(filter-out random,$(CONFIG)),--config $(CONFIG)) $(if $(IMAGE),--image $(IMAGE)) $(if $(filter 1,$(WAVES)),--waves)

test: $(STAMP)
	$(PY) -m pytest -n $(or $(JOBS),auto) $(PYTEST_ARGS)

lint: $(STAMP)
	$(SF) lint

bench: $(STAMP)
	$(SF) bench

fpga: $(STAMP)
	$(SF) fpga --board $(BOARD) --net $(NET) $(if $(MHZ),--mhz $(MHZ)) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(JOBS),--jobs $(JOBS)) $(if $(DSP_BUDGET),--dsp-budget $(DSP_BUDGET)) $(if $(TIMING_WEIGHT),--timing-weight $(TIMING_WEIGHT)) $(if $(PLACER),--placer $(PLACER))

# Each frozen block alone (out of context) at MHZ (default 150), BLOCKS=0,1 for some of them,
# DATAPATH_ONLY=1 for the shift-add datapaths only:
# build/fpga/frozen_fmax.{json,md}.  A part that nextpnr has not routed within OOC_TIMEOUT
# seconds (default 1200) is reported as not routed: the reference's block 2 (fpga/README.md).
fpga-frozen: $(STAMP)
	$(SF) fpga --frozen-blocks --board $(BOARD) --net $(NET) $(if $(MHZ),--mhz $(MHZ)) $(if $(BLOCKS),--blocks $(BLOCKS)) $(if $(DATAPATH_ONLY),--datapath-only) $(if $(TIMING_WEIGHT),--timing-weight $(TIMING_WEIGHT)) $(if $(OOC_TIMEOUT),--ooc-timeout $(OOC_TIMEOUT))

# Loads build/fpga/$(BOARD).bit into the FPGA's SRAM with openFPGALoader (FLASH=1: SPI
# flash).  Untested on hardware (no board on the build machines); see fpga/README.md.
prog: $(STAMP)
	$(SF) prog --board $(BOARD) $(if $(filter 1,$(FLASH)),--flash)

# Training (PyTorch, the optional `train` extra: only these two targets touch it).
train: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[train]'
	$(PY) -m semifreddo.train
	$(SF) results

# docs/results.md from weights/trained/ (golden model + a short hardware simulation; no PyTorch).
results: $(STAMP)
	$(SF) results

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
