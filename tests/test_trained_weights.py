"""The shipped trained weights (weights/trained/, made by `make train`): they load and
validate against their description, and the golden model reproduces the metrics recorded
in provenance.json (computed here, not copied).  No PyTorch needed."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from semifreddo import REPO_ROOT, weights
from semifreddo.netdesc import load_description, sha256_file

TRAINED = REPO_ROOT / "weights" / "trained"
PROV = TRAINED / "provenance.json"

pytestmark = pytest.mark.skipif(not PROV.is_file(), reason=f"no trained weights ({PROV} absent; run `make train`)")


@pytest.fixture(scope="module")
def trained():
    from semifreddo.train.results import load_trained

    return load_trained(TRAINED)


def test_files_validate_against_description(trained):
    prov, net, frozen, cfgs = trained
    assert net.num_blocks >= 3 and any(b.stride == 2 for b in net.frozen)
    assert net.frozen_weight_fraction() >= 0.75
    assert f"{net.build_id:016x}" == prov["build_id"]
    assert sha256_file(TRAINED / prov["frozen"]["file"]) == prov["frozen"]["sha256"] == net.frozen_sha256
    assert len(prov["sets"]) >= 2
    for spec in prov["sets"]:
        path = TRAINED / spec["file"]
        assert path.stat().st_size < 64 * 1024, f"{path} is not small"
        cfg = cfgs[spec["name"]]
        assert cfg.shuffle == spec["shuffle"] and cfg.repeats == spec["repeats"]
        # the file round-trips through the checked loader unchanged
        arrays = weights.config_arrays(net, cfg)
        with np.load(path) as z:
            assert sorted(z.files) == sorted(arrays)
            for k in arrays:
                np.testing.assert_array_equal(z[k], arrays[k], err_msg=k)


def test_golden_reproduces_recorded_metrics(trained):
    from semifreddo.train.results import golden_metrics

    prov, net, frozen, cfgs = trained
    for spec in prov["sets"]:
        got = golden_metrics(net, frozen, cfgs[spec["name"]], spec, TRAINED)
        for task, want in spec["metrics"]["quantised_golden"].items():
            assert got[task] == pytest.approx(want, abs=1e-9), f"{spec['name']}: {task}"


def test_trained_description_is_the_reference_network():
    """Same structure as weights/reference.yaml: only the frozen file, its hash and the
    frozen shifts may differ (so the lead can swap it in)."""
    ref = load_description(REPO_ROOT / "weights" / "reference.yaml", verify_weights=False).canonical
    new = load_description(TRAINED / "reference.yaml").canonical
    ref, new = json.loads(json.dumps(ref)), json.loads(json.dumps(new))
    for d in (ref, new):
        d["frozen"].pop("weights"), d["frozen"].pop("sha256")
        for b in d["frozen"]["blocks"]:
            b["requant"].pop("shift")
    assert ref == new


def test_results_code_does_not_import_torch():
    code = ("import sys; import semifreddo.train.results, semifreddo.train.data; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
