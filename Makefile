# qkdchip: `make run` installs everything into .venv and runs the main job; `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= gds_out

.PHONY: install run build test test-all lint format bench docs-images docs-layers examples gds-ref clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/qkdchip run --out $(OUT)

build: install
	$(BIN)/qkdchip build --out $(OUT)

test: install
	$(BIN)/python -m pytest -q -n 2

test-all: install
	$(BIN)/python -m pytest -q -n 2 -m "slow or not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m qkdchip.pdk.layer_docs --check

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# the pictures of README.md: the chips and mask (qkdchip build) and the report's figures (qkdchip run)
REPORT_FIGURES := client_sparams server_sparams comb_spectrum rate_vs_distance ratio_to_plob
docs-images: install
	$(BIN)/qkdchip build --out $(OUT)
	$(BIN)/qkdchip -q run --out $(OUT)/run
	mkdir -p docs
	cp $(OUT)/server_chip.png $(OUT)/client_chip.png $(OUT)/mask_clients.png docs/
	for f in $(REPORT_FIGURES); do cp $(OUT)/run/figures/$$f.png docs/; done

docs-layers: install
	$(BIN)/python -m qkdchip.pdk.layer_docs

examples: install
	$(BIN)/python examples/sin_routed_ring.py --out $(OUT)/examples
	$(BIN)/python examples/client_long_pm.py --out $(OUT)/examples

# refresh the stored reference geometry (tests/gds_ref) after an intended layout change
gds-ref: install
	$(BIN)/python tests/gds_reference.py --update

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
