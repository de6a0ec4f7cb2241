"""The found model out of a study: its genotype, a standalone PyTorch file, and on request
weights after a standalone retraining (with validation and test accuracy) and an ONNX file.

Everything is written into a temporary folder beside the target and renamed onto it at the
end, so an export that fails (bad input, a dataset that is missing, Ctrl-C) leaves nothing.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from optunas._metrics import LEGACY_PARAMS_ATTR, PARAMS_ATTR
from optunas._pareto import nondominated
from optunas._recorded import command_settings

#: What ``onnx=True`` needs: the format, the runtime that checks the file, and the
#: translator torch's exporter runs on.
ONNX_PACKAGES = ("onnx", "onnxruntime", "onnxscript")
ONNX_INSTALL = "pip install 'optunas[onnx]'"
#: Largest difference allowed between onnxruntime's and torch's outputs.
ONNX_TOLERANCE = 1e-4


class ExportError(ValueError):
    """The export cannot be made as asked (no such trial, an out folder that cannot be
    written, a missing package): the message says why in one line."""


@dataclass(frozen=True)
class ExportedTrial:
    """What :func:`export_trial` wrote: the folder, the trial, the file names, and the
    retraining's metrics (None without ``retrain``)."""

    path: Path
    trial: FrozenTrial
    files: tuple[str, ...]
    metrics: dict[str, Any] | None = field(default=None)


def objective_names(study: optuna.Study) -> list[str]:
    """The names of the study's values: as recorded by the ``optunas`` command or a
    supernet objective, else TrainObjective's defaults where the directions fit them."""
    recorded = command_settings(study).get("objectives")
    if isinstance(recorded, str):
        recorded = recorded.split(",")
    if not recorded:
        recorded = (study.user_attrs.get("supernet:settings") or {}).get("objectives")
    directions = study.directions
    if recorded and len(recorded) == len(directions):
        return list(recorded)
    defaults = {
        (StudyDirection.MAXIMIZE,): ["accuracy"],
        (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE): ["accuracy", "params"],
    }
    return defaults.get(tuple(directions), [f"value {i}" for i in range(len(directions))])


def pareto_front(study: optuna.Study) -> list[FrozenTrial]:
    """The completed trials no other trial beats on every objective (for one objective:
    the best trial), by trial number.

    Example:
        >>> import optuna
        >>> from optunas.export import pareto_front
        >>> study = optuna.create_study(directions=["maximize", "minimize"])
        >>> for values in ([0.9, 500], [0.8, 100], [0.7, 300]):
        ...     study.add_trial(optuna.trial.create_trial(values=values))
        >>> [t.number for t in pareto_front(study)]
        [0, 1]
    """
    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not completed:
        return []
    if len(study.directions) == 1:
        return [study.best_trial]
    return nondominated(completed, study.directions)  # in trial-number order, as completed


def choose_trial(study: optuna.Study, number: int | None = None) -> FrozenTrial:
    """The trial to export: ``number`` (a completed trial; on the Pareto front when the
    study has several objectives), else the best (the front's only trial).

    Raises:
        ExportError: no completed trial, no such trial, or a choice to make.
    """
    name = study.study_name
    front = pareto_front(study)
    if not front:
        raise ExportError(f"study {name!r} has no completed trial to export")
    several = len(study.directions) > 1
    numbers = ", ".join(str(t.number) for t in front)
    if number is None:
        if several and len(front) > 1:
            raise ExportError(
                f"study {name!r} has {len(study.directions)} objectives and {len(front)} "
                f"trials on its Pareto front ({numbers}): choose one with --trial N "
                "(--list-front shows them)"
            )
        return front[0]
    trials = study.get_trials(deepcopy=False)
    if not 0 <= number < len(trials):
        last = f"0 to {len(trials) - 1}" if trials else "none"
        raise ExportError(f"study {name!r} has no trial {number} (its trials: {last})")
    trial = trials[number]
    if trial.state != TrialState.COMPLETE:
        raise ExportError(
            f"trial {number} of study {name!r} is {trial.state.name.lower()}, not complete"
        )
    if several and trial.number not in {t.number for t in front}:
        raise ExportError(
            f"trial {number} is not on the Pareto front of study {name!r} (trials {numbers}); "
            "--list-front shows them"
        )
    return trial


def check_onnx_available() -> None:
    """Raise ExportError naming the extra when a package ``onnx=True`` needs is missing."""
    missing = []
    for name in ONNX_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportError(
            f"--onnx needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed: {ONNX_INSTALL}"
        )


def _staging_folder(out_dir: Path, overwrite: bool) -> Path:
    """A new empty folder beside ``out_dir`` to write into, made before any work so that an
    out folder that cannot be written is refused at once."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise ExportError(
            f"{out_dir} exists and is not empty; choose another --out, remove it or pass --overwrite"
        )
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise ExportError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    # mkdtemp makes a private folder; the export gets the permissions any new folder gets.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def _move_into_place(staging: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.old")
        out_dir.rename(old)
    staging.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def export_trial(
    study: optuna.Study,
    out_dir: str | os.PathLike[str],
    trial_number: int | None = None,
    *,
    retrain: bool = False,
    epochs: int | None = None,
    onnx: bool = False,
    space: Any = None,
    dataset: Any = None,
    seed: int = 0,
    data_root: str | os.PathLike[str] | None = None,
    download: bool = False,
    overwrite: bool = False,
) -> ExportedTrial:
    """Write a trial's architecture out of ``study`` into the folder ``out_dir``.

    Files: ``genotype.json`` (space, genotype, trial params and values, the study's recorded
    configuration); ``model.py``, the network in plain PyTorch (no optunas import; the
    genotype in its header; ``build_model()`` and ``load_model()``, which reads the
    ``weights.pt`` beside ``model.py`` from any working folder; the same
    module names as optunas's builder, so a state_dict loads in either), written for every
    space whose :meth:`~optunas.spaces.SearchSpace.builder` says how it builds (NB201 and
    Chain do; see :func:`standalone_source`) and checked to compute what the space's
    network computes; with ``retrain``,
    ``weights.pt`` (the state_dict after training the genotype from scratch with the
    study's recipe) and ``metrics.json`` (validation and test accuracy: the test split is
    read here and nowhere else in optunas); with ``onnx``, ``model.onnx`` (batch size free),
    checked with onnx's checker and against torch with onnxruntime. Without ``retrain`` the
    ONNX file holds the network's initial weights.

    Args:
        study: The study to export from.
        out_dir: The folder to create (an empty one may exist; a full one with ``overwrite``).
        trial_number: The trial; by default the best. A study of several objectives has no
            single best: give one of its Pareto front (:func:`pareto_front`).
        retrain: Train the genotype standalone and save its weights and accuracies.
        epochs: Epochs of that training (default: the study's recorded epochs when its trials
            were trained standalone, else 10).
        onnx: Also write ``model.onnx`` (needs ``pip install 'optunas[onnx]'``).
        space: The search space (default: the one the study records).
        dataset: A dataset or its name (default: the study's, else ``"mnist1d"``).
        seed: The base seed the study's trials were trained with (the command's ``--seed``,
            0 by default); training uses ``seed + trial.number`` as TrainObjective does, so
            with the study's epochs it repeats the trial's run.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        overwrite: Replace an ``out_dir`` that holds files.

    Returns:
        What was written, as an :class:`ExportedTrial`.

    Raises:
        ExportError: the study has no completed trial, the trial does not exist or is not on
            the front, the folder cannot be written, or onnx is not installed.

    Example:
        >>> import optuna, tempfile
        >>> from optunas import NB201, TrainObjective
        >>> from optunas.data import load_mnist1d
        >>> from optunas.export import export_trial
        >>> data = load_mnist1d(num_samples=500)
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(TrainObjective(NB201(channels=4), data, epochs=1), n_trials=1)
        >>> out = export_trial(study, tempfile.mkdtemp() + "/best", space=NB201(channels=4),
        ...                    dataset=data)
        >>> out.files
        ('genotype.json', 'model.py')
    """
    trial = choose_trial(study, trial_number)
    if onnx:
        check_onnx_available()
    out = Path(os.path.abspath(out_dir))  # "." and "dir/" have a name and a parent too
    staging = _staging_folder(out, overwrite)
    try:
        files, metrics = _write_files(
            staging,
            study,
            trial,
            retrain=retrain,
            epochs=epochs,
            onnx=onnx,
            space=space,
            dataset=dataset,
            seed=seed,
            data_root=data_root,
            download=download,
        )
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportedTrial(Path(out_dir), trial, files, metrics)


def _write_files(
    folder: Path,
    study: optuna.Study,
    trial: FrozenTrial,
    *,
    retrain: bool,
    epochs: int | None,
    onnx: bool,
    space: Any,
    dataset: Any,
    seed: int,
    data_root: str | os.PathLike[str] | None,
    download: bool,
) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    # Imported here: choosing the trial and refusing bad input need no torch.
    import torch

    from optunas.data import load_dataset
    from optunas.evaluation._retrain import _dataset_of
    from optunas.spaces import get_space
    from optunas.spaces._registry import recorded_space

    try:
        space = recorded_space(study) if space is None else space
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    space = get_space(space) if isinstance(space, str) else space
    try:
        genotype = space.genotype(trial.params)
    except ValueError as exc:
        raise ExportError(
            f"trial {trial.number} is not an architecture of {space!r}: {exc}"
        ) from None
    if dataset is None or isinstance(dataset, str):
        # Split as the study's TrainObjective split it: by the base seed.
        dataset = load_dataset(
            dataset or _dataset_of(study), root=data_root, download=download, seed=seed
        )
    names = objective_names(study)
    _write_json(folder / "genotype.json", _genotype_record(study, trial, space, genotype, dataset))
    files = ["genotype.json"]

    try:
        builder, arguments = space.builder(genotype, dataset.input_shape, dataset.num_classes)
    except NotImplementedError:
        builder = None  # a space of the user's that builds some other way: no model.py
    if builder is not None:
        header = _header(study, trial, space, genotype, names, dataset, builder)
        source = _checked_source(space, genotype, dataset, builder, arguments, header)
        (folder / "model.py").write_text(source)
        files.append("model.py")

    metrics = None
    if retrain:
        from optunas.evaluation import train_standalone

        settings = command_settings(study)
        recipe: dict[str, Any] = {
            key: settings[key] for key in ("batch_size", "lr", "optimizer") if key in settings
        }
        recipe["epochs"] = _retrain_epochs(settings, epochs)
        model, measured = train_standalone(
            space, genotype, dataset, seed=seed + trial.number, **recipe
        )
        model = model.cpu()
        torch.save(model.state_dict(), folder / "weights.pt")
        metrics = {
            "study": study.study_name,
            "trial": trial.number,
            "genotype": str(genotype),
            "dataset": dataset.name,
            "seed": seed + trial.number,
            "search_values": dict(zip(names, trial.values)),
            **measured,
        }
        _write_json(folder / "metrics.json", metrics)
        files += ["weights.pt", "metrics.json"]
    else:
        torch.manual_seed(seed + trial.number)
        model = space.build(genotype, dataset.input_shape, dataset.num_classes)
    if onnx:
        _write_onnx(model.eval(), dataset.input_shape, folder / "model.onnx")
        files.append("model.onnx")
    return tuple(files), metrics


def _retrain_epochs(settings: dict[str, Any], epochs: int | None) -> int:
    """``epochs`` if given, else those the study's trials were trained for (when each was
    trained standalone, not scored by a supernet), else 10."""
    if epochs:
        return epochs
    if settings.get("evaluator", "train") == "train" and "epochs" in settings:
        return int(settings["epochs"])
    return 10


def _genotype_record(
    study: optuna.Study, trial: FrozenTrial, space: Any, genotype: Any, data: Any
) -> dict[str, Any]:
    """What ``genotype.json`` holds: the architecture, where it came from, how it was found."""
    from optunas.spaces._registry import space_options

    try:
        options = space_options(space)
    except TypeError:
        options = None  # a space of the user's: its repr says what there is to say
    return {
        "study": study.study_name,
        "trial": trial.number,
        "space": space.name,
        "space_options": options,
        "space_repr": repr(space),
        "genotype": genotype.to_dict() if hasattr(genotype, "to_dict") else genotype,
        "genotype_string": str(genotype),
        "params": trial.params,
        "values": dict(zip(objective_names(study), trial.values)),
        "trial_user_attrs": {
            key: trial.user_attrs[key]
            for key in (PARAMS_ATTR, LEGACY_PARAMS_ATTR, "flops", "latency_ms", "value_kind")
            if key in trial.user_attrs
        },
        # The command's configuration, else what a supernet objective recorded.
        "study_config": command_settings(study)
        or {
            key: value
            for key, value in study.user_attrs.items()
            # Where the weights were and their hash say nothing of how the model was found.
            if key.startswith("supernet:")
            and key not in ("supernet:checkpoint", "supernet:checkpoint_sha256")
        },
        "dataset": data.name,
        "input_shape": list(data.input_shape),
        "num_classes": data.num_classes,
    }


def _header(
    study: optuna.Study,
    trial: FrozenTrial,
    space: Any,
    genotype: Any,
    names: Sequence[str],
    data: Any,
    builder: Any,
) -> list[str]:
    values = ", ".join(
        f"{name} {value:.4f}" if name == "accuracy" else f"{name} {value:,.6g}"
        for name, value in zip(names, trial.values)
    )
    return [
        f"The network of trial {trial.number} of the optunas study {study.study_name!r}, in",
        "plain PyTorch: this file needs torch and nothing else.",
        "",
        f"Space:    {space!r}",
        f"Genotype: {genotype}",
        f"Data:     {data.name}, inputs {tuple(data.input_shape)} (channels first), "
        f"{data.num_classes} classes",
        f"Search:   {values} (the trial's values)",
        "",
        "build_model() makes the network with fresh weights; load_model() loads the ones",
        "`optunas export --retrain` saved in weights.pt beside this file. The code below is",
        f"the space's own builder ({builder.__module__}), copied, so module names and",
        "state_dict keys are the same.",
    ]


def _checked_source(
    space: Any, genotype: Any, data: Any, builder: Any, arguments: dict[str, Any], header: Any
) -> str:
    """The standalone file, run once here: it must build the network optunas builds, with
    the same state_dict keys and the same outputs on a batch."""
    import torch

    from optunas.export._source import standalone_source

    try:
        source = standalone_source(builder, arguments, data.input_shape, header)
    except ValueError as exc:
        raise ExportError(f"cannot write a standalone model.py for {space!r}: {exc}") from None
    # Run as a module of its own (dataclasses look their module up in sys.modules).
    module = types.ModuleType("optunas_export_check")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "model.py", "exec"), module.__dict__)
        standalone = module.build_model().eval()
    finally:
        del sys.modules[module.__name__]
    reference = space.build(genotype, data.input_shape, data.num_classes).eval()
    standalone.load_state_dict(reference.state_dict())
    batch = torch.randn(2, *data.input_shape)
    with torch.no_grad():
        same = torch.equal(standalone(batch), reference(batch))
    if not same:
        raise ExportError(f"the standalone model.py of {space!r} computes something else")
    return source


def _write_onnx(model: Any, input_shape: Sequence[int], path: Path) -> None:
    import contextlib
    import io
    import warnings

    import numpy as np
    import onnx
    import onnxruntime
    import torch

    batch = torch.randn(2, *input_shape)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        # The exporter narrates its steps on stdout and warns about internals of torch.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (batch,),
            str(path),
            input_names=["input"],
            output_names=["logits"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            external_data=False,
            verbose=False,
        )
    onnx.checker.check_model(str(path))
    check = torch.randn(3, *input_shape)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": check.numpy()})[0]
    with torch.no_grad():
        want = model(check).numpy()
    gap = float(np.abs(got - want).max())
    if not gap <= ONNX_TOLERANCE:
        raise ExportError(f"model.onnx differs from torch by {gap:.2e} (more than 1e-4)")
