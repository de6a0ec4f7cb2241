"""The Fashion-MNIST truth set: the shipped file loads, matches the trainings it was packed
from, and a truth set survives a save and a load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optunas.benchmarks import TruthSet, arch_index, arch_ops, canonical, load_truth_set
from optunas.spaces import NB201Genotype

RESULTS = Path(__file__).resolve().parent.parent / "studies" / "results" / "fmnist_setting.jsonl"


def test_the_shipped_fashion_mnist_truth_set_loads() -> None:
    truth = load_truth_set("fashion_mnist")
    assert truth.setting["dataset"] == "fashion_mnist" and truth.setting["channels"] == 16
    assert truth.seeds == 2 and truth.epochs == truth.setting["epochs"] == 5
    assert len(truth) >= 20 and len(set(truth.cells.tolist())) == len(truth)
    for index in truth.cells:
        ops = arch_ops(int(index))
        assert arch_index(canonical(ops)) == index and any(op != "none" for op in ops)
    assert ((truth.curves > 0.1) & (truth.curves <= 1)).all()
    assert (truth.cpu_seconds > 0).all()
    agreement = truth.self_agreement()
    assert -1 <= agreement["tau"] <= 1 and 0 < agreement["seed_sd"] < 0.05


def test_every_shipped_training_is_a_recorded_one() -> None:
    truth = load_truth_set("fashion_mnist")
    recorded = {
        (r["cell"], r["seed"]): r["curve"]
        for r in map(json.loads, RESULTS.read_text().splitlines())
        if r["setting"] == truth.setting["name"]
    }
    for cell, curves in zip(truth.cells, truth.curves):
        for seed, curve in enumerate(curves):
            np.testing.assert_allclose(curve, recorded[(int(cell), seed)], atol=1e-6)


def test_lookup_finds_a_cell_by_any_equivalent_genotype() -> None:
    # Node 1 gets no input (edge 1<-0 is none), so the edges out of it are dead: a cell
    # spelled with ops there is the canonical cell without them.
    cell = ("none", "skip_connect", "none", "nor_conv_3x3", "none", "skip_connect")
    spelled = (
        "none",
        "skip_connect",
        "nor_conv_1x1",
        "nor_conv_3x3",
        "avg_pool_3x3",
        "skip_connect",
    )
    assert canonical(spelled) == cell != spelled
    rows = [
        {"cell": arch_index(ops), "seed": seed, "curve": [0.6, 0.8 + seed / 100], "cpu_s": 1.0}
        for ops in (cell, ("skip_connect",) * 6)
        for seed in (0, 1)
    ]
    truth = TruthSet.from_rows(rows, {})
    found = truth.lookup(NB201Genotype(spelled))
    assert found["genotype"] == str(NB201Genotype(cell))
    assert found["valid"] == pytest.approx(0.805) and found["curves"][1] == pytest.approx(
        [0.6, 0.81]
    )
    assert truth.lookup(str(NB201Genotype(cell))) == found
    with pytest.raises(KeyError, match="is not among the 2 cells"):
        truth.lookup(NB201Genotype(("nor_conv_3x3",) * 6))
    shipped = load_truth_set("fashion_mnist")
    first = shipped.lookup(NB201Genotype(arch_ops(int(shipped.cells[0]))))
    assert first["valid"] == pytest.approx(float(shipped.valid[0]))


def test_a_truth_set_keeps_the_cells_with_every_seed_and_round_trips(tmp_path) -> None:
    rows = [
        {"cell": cell, "seed": seed, "curve": [0.5, 0.7 + cell / 1e5 - seed / 1e3], "cpu_s": 3.0}
        for cell in (4, 9, 30)
        for seed in (0, 1)
    ] + [{"cell": 77, "seed": 0, "curve": [0.5, 0.8], "cpu_s": 3.0}]  # one seed only: left out
    truth = TruthSet.from_rows(rows, {"name": "tiny", "channels": 4})
    assert truth.cells.tolist() == [4, 9, 30] and truth.curves.shape == (3, 2, 2)
    truth.save(tmp_path / "t.npz")
    loaded = load_truth_set(path=tmp_path / "t.npz")
    assert loaded.setting == {"name": "tiny", "channels": 4}
    np.testing.assert_array_equal(loaded.curves, truth.curves)
    np.testing.assert_array_equal(loaded.cells, truth.cells)
    assert loaded.self_agreement()["tau"] == pytest.approx(1.0)


def test_bad_requests_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="no truth set for 'cifar10'"):
        load_truth_set("cifar10")
    with pytest.raises(ValueError, match="every seed"):
        TruthSet.from_rows([], {})
    one_seed = TruthSet.from_rows([{"cell": 4, "seed": 0, "curve": [0.5], "cpu_s": 1.0}], {})
    with pytest.raises(ValueError, match="two seeds"):
        one_seed.self_agreement()
