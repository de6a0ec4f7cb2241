from __future__ import annotations

import gzip
import random
import struct

import numpy as np
import pytest
import torch

from optunas.data import DatasetUnavailableError, load_dataset, load_mnist1d


def _same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.tensors, b.tensors))


def test_mnist1d_is_deterministic_and_split_by_seed() -> None:
    first, second = load_mnist1d(num_samples=1000), load_mnist1d(num_samples=1000)
    for split in ("train", "valid", "test"):
        assert _same(getattr(first, split), getattr(second, split))
    assert (len(first.train), len(first.valid), len(first.test)) == (640, 160, 200)
    assert first.input_shape == (1, 40) and first.num_classes == 10
    other = load_mnist1d(num_samples=1000, seed=1)
    assert not _same(first.valid, other.valid)
    assert _same(first.test, other.test)  # the test split never moves
    # Train and validation are disjoint and together the generator's training pool.
    pool = torch.cat([first.train.tensors[0], first.valid.tensors[0]]).flatten(1)
    assert torch.unique(pool, dim=0).shape[0] == 800
    assert set(first.train.tensors[1].tolist()) == set(range(10))


def test_mnist1d_leaves_global_generators_alone() -> None:
    np.random.seed(123)
    random.seed(123)
    load_mnist1d(num_samples=200)
    assert np.random.rand() == np.random.RandomState(123).rand()
    assert random.random() == random.Random(123).random()


def test_bad_dataset_arguments() -> None:
    with pytest.raises(ValueError, match="mnist1d, mnist, fashion_mnist, cifar10"):
        load_dataset("imagenet")
    with pytest.raises(ValueError, match="valid_fraction"):
        load_mnist1d(num_samples=200, valid_fraction=1.5)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_missing_torchvision_dataset_is_a_clear_error(name, tmp_path) -> None:
    with pytest.raises(DatasetUnavailableError, match="download is off"):
        load_dataset(name, root=tmp_path)


def _write_idx(path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") if str(path).endswith(".gz") else open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_torchvision_dataset_from_a_root_folder(name, folder, tmp_path) -> None:
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 50), ("t10k", 20)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, (n,)))
    data = load_dataset(name, root=tmp_path, valid_fraction=0.2)
    assert data.input_shape == (1, 28, 28)
    assert (len(data.train), len(data.valid), len(data.test)) == (40, 10, 20)
    x = data.train.tensors[0]
    # Standardised with the training pool's statistics.
    assert abs(float(torch.cat([x, data.valid.tensors[0]]).mean())) < 1e-4


def test_mnist1d_from_the_cache_equals_a_fresh_generation(tmp_path, monkeypatch) -> None:
    import numpy as np

    from optunas.data import _mnist1d

    monkeypatch.setenv("OPTUNAS_CACHE_DIR", str(tmp_path))
    fresh = _mnist1d._make(300)
    first = _mnist1d._generate(300)  # generates and writes the cache
    (cached_file,) = list(tmp_path.glob("mnist1d-*-300.npz"))
    cached_file.write_bytes(cached_file.read_bytes())  # still readable after a rewrite
    second = _mnist1d._generate(300)  # reads it
    for key in ("x", "y", "x_test", "y_test"):
        assert np.array_equal(fresh[key], first[key]) and np.array_equal(fresh[key], second[key])
    cached_file.write_bytes(b"torn")  # a damaged cache is made again, not trusted
    assert np.array_equal(_mnist1d._generate(300)["x"], fresh["x"])


def _debian_fashion_mnist() -> str:
    """Debian's dataset-fashion-mnist folder; CI installs the package, so it must be there."""
    import os

    from optunas.data._vision import SYSTEM_PACKAGES

    folder, package = SYSTEM_PACKAGES["fashion_mnist"]
    if not os.path.isdir(folder):
        if os.environ.get("OPTUNAS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{folder} is missing: apt-get install {package}")
        pytest.skip(f"{folder} is missing (apt-get install {package})")
    return folder


def test_fashion_mnist_from_debian_files_without_a_root(tmp_path, monkeypatch) -> None:
    _debian_fashion_mnist()
    monkeypatch.setenv("OPTUNAS_DATA", str(tmp_path))  # an empty default root: no torchvision copy
    data = load_dataset("fashion_mnist", valid_fraction=0.1)
    assert (len(data.train), len(data.valid), len(data.test)) == (54_000, 6_000, 10_000)
    assert data.input_shape == (1, 28, 28) and data.num_classes == 10
    assert set(data.test.tensors[1].tolist()) == set(range(10))
    assert list(tmp_path.iterdir()) == []  # nothing downloaded or copied


def test_fashion_mnist_from_debian_folder_given_as_root() -> None:
    folder = _debian_fashion_mnist()
    data = load_dataset("fashion_mnist", root=folder)
    assert len(data.test) == 10_000 and len(data.train) + len(data.valid) == 60_000


def _write_flat_idx(folder, rng: np.random.Generator, sizes=(("train", 50), ("t10k", 20))) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in sizes:
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)


def test_original_idx_files_lying_in_the_root(tmp_path) -> None:
    _write_flat_idx(tmp_path, np.random.default_rng(0))
    data = load_dataset("mnist", root=tmp_path, valid_fraction=0.2)
    assert (len(data.train), len(data.valid), len(data.test)) == (40, 10, 20)


def test_a_truncated_idx_file_is_a_clear_error(tmp_path) -> None:
    _write_flat_idx(tmp_path, np.random.default_rng(0))
    images = tmp_path / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-100]))
    with pytest.raises(DatasetUnavailableError, match="truncated"):
        load_dataset("fashion_mnist", root=tmp_path)


@pytest.mark.slow
def test_run_on_fashion_mnist_files_with_the_cli(tmp_path) -> None:
    import subprocess
    import sys

    _write_flat_idx(tmp_path / "fm", np.random.default_rng(1), (("train", 60), ("t10k", 20)))
    url = f"sqlite:///{tmp_path / 'fm.db'}"
    args = ["run", "--storage", url, "--dataset", "fashion_mnist", "--data-root"]
    args += [str(tmp_path / "fm"), "--n-trials", "1", "--epochs", "1", "--no-progress"]
    result = subprocess.run(
        [sys.executable, "-m", "optunas", *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Best architecture" in result.stdout


def _small_fashion_mnist():
    """Debian's Fashion-MNIST cut to a few hundred images: the real files, a CPU-sized run."""
    from torch.utils.data import TensorDataset

    from optunas.data import Dataset

    _debian_fashion_mnist()
    full = load_dataset("fashion_mnist")

    def head(split: TensorDataset, n: int) -> TensorDataset:
        return TensorDataset(*(t[:n] for t in split.tensors))

    return Dataset(
        "fashion_mnist",
        head(full.train, 512),
        head(full.valid, 256),
        head(full.test, 256),
        full.input_shape,
        full.num_classes,
    )


@pytest.mark.slow
def test_a_supernet_and_a_darts_search_run_on_fashion_mnist(tmp_path) -> None:
    """Weight sharing and DARTS on real images (1x28x28, 10 classes), as the NB201 cells of
    the Fashion-MNIST setting will be: each scores or derives a cell of the space."""
    import optuna

    from optunas.evaluation import DartsSearch, SupernetObjective
    from optunas.spaces import NB201

    data = _small_fashion_mnist()
    space = NB201(channels=4)
    supernet = SupernetObjective(space, data, checkpoint=tmp_path / "s.pt", epochs=1)
    supernet.pretrain()
    study = optuna.create_study(direction="maximize")
    study.optimize(supernet, n_trials=3)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 3
    assert all(0.0 <= t.value <= 1.0 for t in study.trials)

    search = DartsSearch(space, data, epochs=1, batch_size=64)
    darts = optuna.create_study(direction="maximize")
    darts.optimize(search, n_trials=1)
    (trial,) = darts.trials
    assert trial.state == optuna.trial.TrialState.COMPLETE and 0.0 <= trial.value <= 1.0
    assert space.genotype(trial.params)  # the derived cell is a cell of the space
