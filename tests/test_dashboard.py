"""Architecture drawings: the SVG each space makes, the artifact and note each trial gets, and
the real optuna-dashboard showing them and the study's charts in headless Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import optuna
import pytest

from optunas import TrainObjective
from optunas.dashboard import (
    CHARTS,
    default_artifact_dir,
    draw_cell,
    draw_layers,
    draw_table,
    record_drawing,
    save_study_charts,
)
from optunas.nn import NB201_EDGES, LayerSpec
from optunas.spaces import NB201, Chain, ChainGenotype, NB201Genotype

CELL = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"


def test_the_nb201_cell_draws_every_edge_but_none() -> None:
    svg = NB201().draw(NB201Genotype.from_string(CELL))
    labels = re.findall(r">([a-z_0-9x]+)</text>", svg)
    assert sorted(lab for lab in labels if not lab.isdigit()) == sorted(
        ["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1"]
    )
    assert svg.count('stroke-width="3"') == 4 and svg.count("<circle") == 4


def test_the_chain_draws_its_layers_and_one_arc_per_skip() -> None:
    genotype = ChainGenotype(
        (
            LayerSpec("conv", 5, 32, "gelu"),
            LayerSpec("max_pool", 3),
            LayerSpec("sep_conv", 3, 64, "relu", skips=(0, 1)),
        )
    )
    svg = Chain().draw(genotype)
    assert "conv 5, 32 wide, gelu" in svg and "max_pool 3" in svg
    assert "sep_conv 3, 64 wide, relu" in svg
    assert svg.count("stroke-dasharray") == 2  # skip0 and skip1
    assert svg.count("<rect") == 5  # stem, three layers, classifier
    assert draw_layers([]).count("<rect") == 2


def test_a_users_space_gets_a_table_of_its_choices() -> None:
    from optunas.spaces import SearchSpace

    class Width(SearchSpace):
        name = "width"

        def suggest(self, trial):
            return {"width": trial.suggest_categorical("mlp/width", [32, 64])}

        def build(self, genotype, input_shape, num_classes):  # pragma: no cover - not built
            raise NotImplementedError

    svg = Width().draw({"width": 64})
    assert "architecture" in svg and "64" in svg
    assert draw_cell(["none"], [(1, 0)]).count('stroke-width="3"') == 0


def test_artifacts_live_beside_the_storage_file() -> None:
    assert default_artifact_dir("sqlite:///a/b.db") == "a/b-artifacts"
    assert default_artifact_dir("journal:/x/study.log") == "/x/study-artifacts"
    assert default_artifact_dir("redis://127.0.0.1:6379") is None
    assert len(NB201_EDGES) == 6


def _study_with_drawings(folder, small_mnist1d, draw: bool = True) -> optuna.Study:
    url = f"sqlite:///{folder / 'study.db'}"
    study = optuna.create_study(
        study_name="d",
        storage=url,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(
        TrainObjective(NB201(channels=4), small_mnist1d, epochs=1, draw=draw), n_trials=2
    )
    return study


@pytest.mark.slow
def test_every_trial_gets_its_drawing_as_artifact_and_note(tmp_path, small_mnist1d) -> None:
    import optuna_dashboard._note as note

    study = _study_with_drawings(tmp_path, small_mnist1d)
    store = tmp_path / "study-artifacts"
    files = sorted(os.listdir(store))
    assert len(files) == 2
    for trial in study.trials:
        (meta,) = optuna.artifacts.get_all_artifact_meta(trial, storage=study._storage)
        assert meta.mimetype == "image/svg+xml" and meta.artifact_id in files
        body = note.get_note_from_system_attrs(
            study._storage.get_study_system_attrs(study._study_id), trial._trial_id
        )["body"]
        assert f"/artifacts/{study._study_id}/{trial._trial_id}/{meta.artifact_id}" in body
        assert trial.user_attrs["genotype"] in body
        svg = (store / meta.artifact_id).read_text()
        assert svg == NB201().draw(NB201().genotype(trial.params))
        assert trial.user_attrs["draw_ms"] >= 0


def test_a_trial_drawn_again_keeps_one_note_with_the_latest_drawing(tmp_path) -> None:
    import optuna_dashboard._note as note

    study = optuna.create_study()
    trial = study.ask()
    store = optuna.artifacts.FileSystemArtifactStore(str(tmp_path))
    bodies = []
    for caption in ("first", "second"):
        record_drawing(trial, draw_table({"x": caption}), store, caption)
        attrs = study._storage.get_study_system_attrs(study._study_id)
        bodies.append(note.get_note_from_system_attrs(attrs, trial._trial_id))
    assert [b["version"] for b in bodies] == [1, 2]
    assert bodies[0]["body"].endswith("`first`") and bodies[1]["body"].endswith("`second`")


def test_drawing_can_be_turned_off(tmp_path, small_mnist1d) -> None:
    study = _study_with_drawings(tmp_path, small_mnist1d, draw=False)
    assert not (tmp_path / "study-artifacts").exists()
    assert all("draw_ms" not in t.user_attrs for t in study.trials)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("OPTUNAS_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium is required (OPTUNAS_REQUIRE_SERVICES=1); .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _dashboard(storage_url: str) -> Iterator[str]:
    """``optunas dashboard`` serving the storage on a free port: its base URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "optunas", "dashboard", "--storage", storage_url]
        + ["--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/studies", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "no dashboard"
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _browse(chromium: str, page: str, screenshot: os.PathLike | None = None) -> str:
    """The DOM of ``page`` after headless Chromium has run its scripts (and a screenshot of
    it, if asked)."""
    browse = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=20000",
        "--window-size=1400,1000",
    ]
    if screenshot is not None:
        subprocess.run(
            [*browse, f"--screenshot={screenshot}", page], capture_output=True, timeout=120
        )
    return subprocess.run(
        [*browse, "--dump-dom", page], capture_output=True, text=True, timeout=120
    ).stdout


@pytest.mark.services
def test_the_dashboard_shows_architectures_and_charts_in_a_real_browser(
    tmp_path, small_mnist1d
) -> None:
    chromium = _chromium()
    study = _study_with_drawings(tmp_path, small_mnist1d)
    charts = save_study_charts(study)
    with _dashboard(f"sqlite:///{tmp_path / 'study.db'}") as base:
        screenshot = tmp_path / "trial.png"
        dom = _browse(chromium, f"{base}/dashboard/studies/{study._study_id}/trials", screenshot)
        # The note of the first trial, rendered by the dashboard, holds the drawing.
        images = re.findall(r'<img alt="architecture"[^>]*src="([^"]+)"', dom)
        assert images, dom[:2000]
        with urllib.request.urlopen(base + images[0], timeout=10) as response:
            assert response.headers["Content-Type"].startswith("image/svg+xml")
            assert b"<svg" in response.read()
        assert screenshot.stat().st_size > 10_000

        # The study's page draws each chart with the dashboard's plotly.js: titles in the SVG.
        dom = _browse(chromium, f"{base}/dashboard/studies/{study._study_id}")
        titles = re.findall(r'class="gtitle"[^>]*>(.*?)</text>', dom)
        assert len(charts) == 3 and all(
            any(CHARTS[chart] in title for title in titles) for chart in charts
        ), titles
        assert "Objective 0" not in dom and "validation accuracy" in dom
