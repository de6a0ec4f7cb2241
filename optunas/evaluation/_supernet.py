"""Weight sharing as an Optuna objective: every trial is a path through one supernet.

The shared weights live in one checkpoint file, written and read as
:mod:`optunas.evaluation._checkpoint` does (atomic writes under a file lock).

Workers on several machines share the file through a folder all of them mount at the same
path (NFS, a cluster file system). Optuna's artifact stores were not chosen: an artifact is
written once and has no lock, while ENAS rewrites the weights after every trial under one,
so a store would lose steps between machines. Instead the study records the SHA-256 of the
checkpoint's bytes (``supernet:checkpoint_sha256``), and a worker whose file at the recorded
path is missing or holds other bytes refuses it with :class:`CheckpointMismatchError` rather
than train a private copy.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import optuna
import torch
import torch.nn.functional as F

from optunas._compat import study_key
from optunas._metrics import ACCURACY_DECIMALS, SECONDS_DECIMALS, StudyNamer
from optunas.data import Dataset
from optunas.evaluation._checkpoint import (
    STUDY_ATTR_SHA256,
    CheckpointMismatchError,
    _read_checkpoint,
    _stamp,
    _write_checkpoint,
    check_checkpoint_config,
    check_study_checkpoint,
    checkpoint_lock,
)
from optunas.evaluation._recipe import DivergedError, Recipe, _accuracy_and_loss, check_choice
from optunas.evaluation._setup import checked_objectives, resolve
from optunas.evaluation._train import (
    _INIT_LOCK,
    _latency_ms,
    _to_device,
    record_costs,
    resolve_objectives,
)
from optunas.nn import (
    ChainSupernet,
    NB201Supernet,
    count_flops,
    count_params,
    recalibrate_batchnorm,
)
from optunas.spaces import NB201, Chain, NB201Genotype, SearchSpace
from optunas.spaces._base import input_dims
from optunas.spaces._registry import STUDY_ATTR_SPACE, recorded_space, space_options, space_record

SUPERNET_MODES: tuple[str, ...] = ("one-shot", "enas")
#: How pretraining picks paths: one uniform path per step (SPOS), or every op of every edge
#: once per step (FairNAS's strict fairness).
SUPERNET_SAMPLINGS: tuple[str, ...] = ("uniform", "fair")
#: What the ``value_kind`` user attr of a supernet trial says.
SUPERNET_ESTIMATE = "supernet_estimate"
#: Study user attrs a supernet objective records.
STUDY_ATTR_CHECKPOINT = "supernet:checkpoint"
STUDY_ATTR_DATASET = "supernet:dataset"
STUDY_ATTR_SETTINGS = "supernet:settings"

_FORMAT = 1
_logger = logging.getLogger("optunas.supernet")


def _build_supernet(
    space: NB201 | Chain, shape: Sequence[int], num_classes: int
) -> NB201Supernet | ChainSupernet:
    if isinstance(space, NB201):
        return NB201Supernet(
            shape[0],
            num_classes,
            input_dims(shape),
            channels=space.channels,
            cells_per_stage=space.cells_per_stage,
        )
    return ChainSupernet(
        shape[0],
        num_classes,
        input_dims(shape),
        max_layers=space.max_layers,
        ops=space.ops,
        kernels=space.kernels,
        widths=space.widths,
        activations=space.activations,
        stem_width=space.stem_width,
    )


class SupernetObjective:
    """An objective for ``study.optimize`` that scores each trial's architecture with
    weights inherited from a supernet, in well under a second instead of a training.

    ``mode="one-shot"`` (SPOS): :meth:`pretrain` trains the supernet once, each step on a
    path drawn uniformly (or, for NB201, ``sampling="fair"``: every op of every edge; NB201's
    ``none`` is left out of training unless ``train_none``); each trial
    then suggests a genotype through ``space`` with any sampler, takes the path's weights,
    re-estimates its batch-norm statistics on ``calibration_batches`` training batches and
    returns its validation accuracy. ``mode="enas"``: each trial first trains the shared
    weights along its own path for ``enas_steps`` minibatches and saves them; with
    :class:`~optunas.samplers.ReinforceSampler` this is ENAS. ``study.enqueue_trial(params)``
    scores exactly the given architectures.

    The shared weights (and optimiser state) live in the file ``checkpoint``, which the
    study records in its user attr ``supernet:checkpoint``; many workers and threads may
    share it (see :func:`save_checkpoint`), and a one-shot worker reloads it when another
    has written a newer one. A checkpoint made for another space or dataset is refused
    with :class:`CheckpointMismatchError`.

    User attrs of each trial: ``genotype``, ``genotype_json``, ``n_parameters``, ``flops``,
    ``latency_ms`` and ``space`` as :class:`~optunas.evaluation.TrainObjective` records them
    (the costs of the standalone network), plus ``value_kind`` (``"supernet_estimate"``),
    ``supernet_mode``, ``supernet_step`` and ``supernet_epoch`` (the checkpoint the value
    comes from), ``supernet_checkpoint``, ``supernet_valid_loss`` (the path's validation
    cross-entropy, another reading of the same weights) and ``eval_seconds``. The value is the accuracy, or
    in a two-objective study ``(accuracy, params)``; ``objectives`` chooses others.

    Args:
        space: An :class:`~optunas.spaces.NB201` or :class:`~optunas.spaces.Chain` space, or
            its name. A chain's supernet shares weights across widths and kernels by slicing
            the widest (see :class:`~optunas.nn.ChainSupernet`).
        dataset: A :class:`~optunas.data.Dataset` or a name for :func:`~optunas.data.load_dataset`.
        mode: ``"one-shot"`` or ``"enas"``.
        checkpoint: File of the shared weights. Workers on several machines need it at the
            same path in a folder all of them mount; the study records its SHA-256 and a
            worker whose file is missing or differs raises :class:`CheckpointMismatchError`
            (see the module's docstring for why not an artifact store).
        epochs: Pretraining epochs; the learning rate follows a cosine over them.
        batch_size: Minibatch size.
        optimizer: ``"adamw"``, ``"adam"`` or ``"sgd"``.
        lr: Peak learning rate (constant in ENAS steps).
        weight_decay: Weight decay.
        sampling: ``"uniform"`` or ``"fair"`` (pretraining).
        train_none: Let pretraining draw NB201's ``none`` op. By default it does not: a
            ``none`` edge has no weights and, drawn a fifth of the time, only thins the
            paths that train the others; a scored path's ``none`` edges carry zeros, as in
            the standalone network. Measured on the NB201 table, leaving it out lifts the
            ranking's Kendall tau from about 0.24 to 0.35 (BENCHMARKS.md, "Weight sharing").
        enas_steps: Minibatches each ENAS trial trains its path.
        calibration_batches: Training batches that re-estimate batch norm before scoring
            (0 keeps the supernet's running statistics).
        objectives: Names from ``"accuracy"``, ``"params"``, ``"flops"``, one per direction.
        seed: Seed of the initial weights, the data order and the paths.
        device: A torch device; by default CUDA when available, else CPU.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        draw: Record a drawing of each architecture for optuna-dashboard, as
            :class:`~optunas.evaluation.TrainObjective` does.
        artifact_store: Where the drawings go, as for
            :class:`~optunas.evaluation.TrainObjective`.

    Example:
        >>> import os, tempfile, optuna
        >>> from optunas.data import load_mnist1d
        >>> from optunas.evaluation import SupernetObjective
        >>> from optunas.spaces import NB201
        >>> path = os.path.join(tempfile.mkdtemp(), "supernet.pt")
        >>> objective = SupernetObjective(NB201(channels=4), load_mnist1d(num_samples=500),
        ...                               checkpoint=path, epochs=1)
        >>> history = objective.pretrain()
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(objective, n_trials=3)
        >>> study.user_attrs["supernet:checkpoint"] == path
        True
        >>> study.best_trial.user_attrs["value_kind"], study.best_trial.user_attrs["supernet_epoch"]
        ('supernet_estimate', 1)
    """

    def __init__(
        self,
        space: SearchSpace | str,
        dataset: Dataset | str = "mnist1d",
        *,
        mode: str = "one-shot",
        checkpoint: str | os.PathLike[str] = "optunas-supernet.pt",
        epochs: int = 50,
        batch_size: int = 128,
        optimizer: str = "adamw",
        lr: float = 0.01,
        weight_decay: float = 5e-4,
        sampling: str = "uniform",
        train_none: bool = False,
        enas_steps: int = 10,
        calibration_batches: int = 4,
        objectives: Sequence[str] | None = None,
        seed: int = 0,
        device: str | torch.device | None = None,
        data_root: str | os.PathLike[str] | None = None,
        download: bool = False,
        draw: bool = True,
        artifact_store: Any = None,
    ) -> None:
        check_choice("mode", mode, SUPERNET_MODES)
        check_choice("sampling", sampling, SUPERNET_SAMPLINGS)
        if enas_steps < 1 or calibration_batches < 0:
            raise ValueError("enas_steps must be positive and calibration_batches not negative")
        self.recipe = Recipe(epochs, batch_size, optimizer, lr, weight_decay, "cosine")
        resolved, self.dataset, self.device = resolve(
            space, dataset, seed, device, data_root, download, (NB201, Chain), "SupernetObjective"
        )
        assert isinstance(resolved, (NB201, Chain))  # resolve refuses every other space
        self.space: NB201 | Chain = resolved
        if sampling == "fair" and isinstance(self.space, Chain):
            raise ValueError(
                "sampling='fair' needs a cell space (NB201); a chain's paths "
                "differ in depth, so use sampling='uniform'"
            )
        self.draw, self.artifact_store = draw, artifact_store
        self.mode, self.sampling, self.train_none = mode, sampling, train_none
        self.checkpoint = os.path.abspath(os.fspath(checkpoint))
        self.enas_steps, self.calibration_batches = enas_steps, calibration_batches
        self.objectives = checked_objectives(objectives)
        self.seed = seed
        self._train = _to_device(self.dataset.train, self.device)
        self._valid = _to_device(self.dataset.valid, self.device)
        shape = self.dataset.input_shape
        with _INIT_LOCK:
            torch.manual_seed(seed)
            self.supernet = _build_supernet(self.space, shape, self.dataset.num_classes)
            self.supernet.to(self.device)
        self._optimizer = self.recipe._optimizer(self.supernet)
        self.step = 0
        self.epoch = 0
        self._loaded: tuple[int, int, int] | None = None
        self._digest: str | None = None  # the SHA-256 of the file the weights were read from
        # Threads of one study (n_jobs > 1) share this object; the supernet is mutated under it.
        self._lock = threading.RLock()
        self._recorded: set[tuple[int, int]] = set()
        self._name_metrics = StudyNamer()
        x, _ = self._train.tensors
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(x.device)
        self._calibration = [
            x[order[k * batch_size : (k + 1) * batch_size]]
            for k in range(min(calibration_batches, math.ceil(len(x) / batch_size)))
        ]

    def settings(self) -> dict[str, Any]:
        """The constructor's options besides space, dataset and checkpoint, as JSON values
        (what :meth:`from_study` restores)."""
        recipe = self.recipe
        return {
            "mode": self.mode,
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "optimizer": recipe.optimizer,
            "lr": recipe.lr,
            "weight_decay": recipe.weight_decay,
            "sampling": self.sampling,
            "train_none": self.train_none,
            "enas_steps": self.enas_steps,
            "calibration_batches": self.calibration_batches,
            "objectives": list(self.objectives) if self.objectives else None,
            "seed": self.seed,
        }

    @classmethod
    def from_study(
        cls, study: optuna.Study, dataset: Dataset | str | None = None, **options: Any
    ) -> SupernetObjective:
        """The objective that scored ``study``: its checkpoint, space, dataset name and
        settings as the study records them, so another worker or a restarted one scores
        with the same weights. ``options`` override settings or add ``device``,
        ``data_root``, ``download``.

        Example:
            >>> import os, tempfile, optuna
            >>> from optunas.data import load_mnist1d
            >>> from optunas.evaluation import SupernetObjective
            >>> data = load_mnist1d(num_samples=500)
            >>> path = os.path.join(tempfile.mkdtemp(), "supernet.pt")
            >>> first = SupernetObjective("nb201", data, mode="enas", checkpoint=path, enas_steps=1)
            >>> study = optuna.create_study(direction="maximize")
            >>> study.optimize(first, n_trials=1)
            >>> joined = SupernetObjective.from_study(study, data)
            >>> joined.checkpoint == path, joined.mode, joined.space
            (True, 'enas', NB201(channels=16, cells_per_stage=1))
        """
        attrs = study.user_attrs
        if STUDY_ATTR_CHECKPOINT not in attrs:
            raise ValueError(
                f"study {study.study_name!r} records no supernet checkpoint: it was "
                "not scored by a SupernetObjective"
            )
        settings = {
            k: v for k, v in dict(attrs.get(STUDY_ATTR_SETTINGS) or {}).items() if v is not None
        }
        settings.update(options)
        if dataset is None:
            dataset = attrs.get(STUDY_ATTR_DATASET, "mnist1d")
        objective = cls(
            recorded_space(study), dataset, checkpoint=attrs[STUDY_ATTR_CHECKPOINT], **settings
        )
        objective.check_study(study)
        return objective

    # -- the checkpoint -----------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """What a checkpoint must match to be loaded by this objective."""
        return {
            "space": self.space.name,
            **space_options(self.space),
            "dataset": self.dataset.name,
            "input_shape": list(self.dataset.input_shape),
            "num_classes": self.dataset.num_classes,
            "train_size": len(self.dataset.train),
        }

    def _payload(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "config": self.config(),
            "model": {k: v.detach().cpu() for k, v in self.supernet.state_dict().items()},
            "optimizer": self._optimizer.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
        }

    def _save(self, study: optuna.Study | None = None) -> None:
        """Write the weights and record their SHA-256 in ``study``; the caller holds
        :func:`checkpoint_lock`."""
        before = self._digest

        def record(digest: str) -> None:
            # Both digests go in before the rename: a worker killed between the two leaves a
            # file the study accepts, whichever it is.
            if study is not None and before is not None:
                study.set_user_attr(STUDY_ATTR_SHA256, [before, digest])

        self._digest = _write_checkpoint(self.checkpoint, self._payload(), record)
        self._loaded = _stamp(self.checkpoint)
        if study is not None and before is None:
            study.set_user_attr(STUDY_ATTR_SHA256, [self._digest])

    def _sync(self) -> bool:
        """Load the checkpoint if it changed since this objective last read or wrote it;
        False when there is none."""
        stamp = _stamp(self.checkpoint)
        if stamp is None:
            self._loaded = self._digest = None
            return False
        if stamp == self._loaded:
            return True
        try:
            payload, digest = _read_checkpoint(self.checkpoint, map_location=self.device)
        except FileNotFoundError:  # replaced between the stat and the open: take the newer
            return self._sync()
        check_checkpoint_config(payload, _FORMAT, self.config(), self.checkpoint, "a supernet")
        self.supernet.load_state_dict(payload["model"])
        self._optimizer.load_state_dict(payload["optimizer"])
        self.step, self.epoch = int(payload["step"]), int(payload["epoch"])
        self._loaded, self._digest = stamp, digest
        return True

    def check_study(self, study: optuna.Study) -> None:
        """Raise :class:`CheckpointMismatchError` unless this objective's checkpoint is the
        file ``study`` was scored with: where the study records a SHA-256, the file at the
        path must exist here and hold those bytes. :meth:`from_study` calls it, so a worker
        on a machine without the shared folder stops before it trains anything.

        Example:
            >>> import os, tempfile, optuna
            >>> from optunas.data import load_mnist1d
            >>> from optunas.evaluation import CheckpointMismatchError, SupernetObjective
            >>> data = load_mnist1d(num_samples=500)
            >>> path = os.path.join(tempfile.mkdtemp(), "supernet.pt")
            >>> first = SupernetObjective("nb201", data, mode="enas", checkpoint=path, enas_steps=1)
            >>> study = optuna.create_study(direction="maximize")
            >>> study.optimize(first, n_trials=1)
            >>> first.check_study(study)  # the file the study was scored with
            >>> os.remove(path)  # as on a machine that lacks the shared folder
            >>> try:
            ...     first.check_study(study)
            ... except CheckpointMismatchError as exc:
            ...     print("refused:", "missing here" in str(exc))
            refused: True
        """
        with self._lock, checkpoint_lock(self.checkpoint):
            self._sync()
            check_study_checkpoint(study, self.checkpoint, self._digest)

    # -- training -----------------------------------------------------------------------

    def _train_step(
        self, x: torch.Tensor, y: torch.Tensor, paths: Sequence[Sequence[Any]], lr: float
    ) -> tuple[float, int]:
        for group in self._optimizer.param_groups:
            group["lr"] = lr
        self.supernet.train()
        self._optimizer.zero_grad(set_to_none=True)
        total, correct = 0.0, 0
        for path in paths:
            logits = self.supernet(x, path)
            loss = F.cross_entropy(logits, y)
            if not torch.isfinite(loss):
                raise DivergedError(f"supernet loss became {loss.item()} at step {self.step}")
            # FairNAS sums the gradients of its paths. (torch leaves backward unannotated.)
            loss.backward()  # type: ignore[no-untyped-call]
            total += loss.item()
            correct += int((logits.argmax(dim=1) == y).sum())
        self._optimizer.step()
        self.step += 1
        return total / len(paths), correct

    def pretrain(
        self, epochs: int | None = None, *, show_progress_bar: bool = False
    ) -> list[dict[str, Any]]:
        """Train the supernet on sampled paths until the checkpoint holds ``epochs`` epochs
        (by default the objective's ``epochs``), saving after each; returns one record
        (``epoch``, ``loss``, ``train_accuracy``, ``seconds``) per epoch trained here.

        Resumable: a restarted call goes on from the checkpoint's last epoch and ends with
        the weights an uninterrupted run would have (each epoch's data order and paths are
        fixed by ``seed`` and the epoch). Workers calling it together take turns, an epoch
        at a time.
        """
        target = self.recipe.epochs if epochs is None else epochs
        x, y = self._train.tensors
        batch = self.recipe.batch_size
        steps_per_epoch = math.ceil(len(y) / batch)
        total_steps = self.recipe.epochs * steps_per_epoch
        history: list[dict[str, Any]] = []
        bar = None
        if show_progress_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=target, desc="pretraining supernet", unit="epoch")
        try:
            while True:
                with self._lock, checkpoint_lock(self.checkpoint):
                    self._sync()
                    if bar is not None:
                        bar.n = min(self.epoch, target)
                        bar.refresh()
                    if self.epoch >= target:
                        break
                    started = time.perf_counter()
                    generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
                    order = torch.randperm(len(y), generator=generator).to(y.device)
                    losses, correct = 0.0, 0.0
                    for k in range(steps_per_epoch):
                        index = order[k * batch : (k + 1) * batch]
                        paths = self._sample(generator)
                        # Cosine over the configured length; past it the rate stays at zero.
                        progress = min(1.0, self.step / total_steps)
                        lr = self.recipe.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
                        loss, hits = self._train_step(x[index], y[index], paths, lr)
                        losses += loss * len(index)
                        correct += hits / len(paths)
                    self.epoch += 1
                    self._save()
                record = {
                    "epoch": self.epoch,
                    "loss": losses / len(y),
                    "train_accuracy": correct / len(y),
                    "seconds": time.perf_counter() - started,
                }
                history.append(record)
                _logger.info(
                    "supernet epoch %d/%d: loss %.4f, train accuracy %.4f, %.1f s",
                    self.epoch,
                    target,
                    record["loss"],
                    record["train_accuracy"],
                    record["seconds"],
                )
                if bar is not None:
                    bar.set_postfix(
                        loss=f"{record['loss']:.3f}", acc=f"{record['train_accuracy']:.3f}"
                    )
        finally:
            if bar is not None:
                bar.close()
        return history

    def _sample(self, generator: torch.Generator) -> list[Any]:
        if isinstance(self.supernet, ChainSupernet):
            min_layers = cast(Chain, self.space).min_layers  # a chain supernet's space
            return [self.supernet.sample_path(generator, min_layers=min_layers)]
        ops = [op for op in self.supernet.ops if self.train_none or op != "none"]
        if self.sampling == "fair":
            return self.supernet.fair_paths(generator, ops)
        return [self.supernet.sample_path(generator, ops)]

    def _train_path(self, path: Sequence[Any], seed: int) -> None:
        x, y = self._train.tensors
        generator = torch.Generator().manual_seed(seed)
        for _ in range(self.enas_steps):
            index = torch.randint(len(y), (self.recipe.batch_size,), generator=generator).to(
                y.device
            )
            self._train_step(x[index], y[index], [path], self.recipe.lr)

    # -- a trial ------------------------------------------------------------------------

    def _record_study(self, study: optuna.Study | None) -> None:
        if study is None:
            return
        key = study_key(study)
        if key in self._recorded:
            return
        recorded = study.user_attrs.get(STUDY_ATTR_CHECKPOINT)
        if recorded is not None and recorded != self.checkpoint:
            raise CheckpointMismatchError(
                f"study {study.study_name!r} was scored with the supernet {recorded}, not "
                f"{self.checkpoint}; use that checkpoint or another study"
            )
        if recorded is None:
            study.set_user_attr(STUDY_ATTR_CHECKPOINT, self.checkpoint)
            study.set_user_attr(STUDY_ATTR_SPACE, space_record(self.space))
            study.set_user_attr(STUDY_ATTR_DATASET, self.dataset.name)
            study.set_user_attr(STUDY_ATTR_SETTINGS, self.settings())
        self._recorded.add(key)

    def __call__(self, trial: optuna.trial.BaseTrial) -> float | tuple[float, ...]:
        objectives = resolve_objectives(trial, self.objectives)
        self._name_metrics(trial, objectives)
        genotype = self.space.suggest(trial)
        # A path of the supernet's kind: op names (NB201) or layer specs (Chain).
        steps: Sequence[Any] = (
            genotype.ops if isinstance(genotype, NB201Genotype) else genotype.layers
        )
        path: tuple[Any, ...] = self.supernet.check_path(steps)
        study = getattr(trial, "study", None)
        self._record_study(study)
        started = time.perf_counter()
        with self._lock:
            if self.mode == "enas":
                # Read, check, train and write under one lock, so no worker's steps are lost.
                with checkpoint_lock(self.checkpoint):
                    self._sync()
                    if study is not None:
                        check_study_checkpoint(study, self.checkpoint, self._digest)
                    self._train_path(path, self.seed * 100_003 + getattr(trial, "number", 0))
                    self._save(study)
            else:
                found = self._sync()
                if study is not None:
                    check_study_checkpoint(study, self.checkpoint, self._digest)
                if not found:
                    raise RuntimeError(
                        f"no supernet checkpoint at {self.checkpoint}: call pretrain() first "
                        "(or use mode='enas', which trains the shared weights trial by trial)"
                    )
                if study is not None and STUDY_ATTR_SHA256 not in study.user_attrs:
                    # The weights every later trial of the study must be scored with.
                    study.set_user_attr(STUDY_ATTR_SHA256, [self._digest])
            net = self.supernet.network(path)
            step, epoch = self.step, self.epoch
        flops = count_flops(net, self.dataset.input_shape)
        costs = {"params": count_params(net), "flops": flops}
        if self._calibration:
            recalibrate_batchnorm(net, self._calibration)
        accuracy, loss = _accuracy_and_loss(net, self._valid)
        trial.set_user_attr("space", repr(self.space))
        trial.set_user_attr("genotype", str(genotype))
        trial.set_user_attr("genotype_json", genotype.to_json())
        record_costs(trial, costs, _latency_ms(net, self.dataset.input_shape, self.device))
        if self.draw:
            from optunas.dashboard import draw_trial

            draw_trial(trial, self.space, genotype, self.artifact_store)
        trial.set_user_attr("value_kind", SUPERNET_ESTIMATE)
        trial.set_user_attr("supernet_mode", self.mode)
        trial.set_user_attr("supernet_step", step)
        trial.set_user_attr("supernet_epoch", epoch)
        trial.set_user_attr("supernet_checkpoint", self.checkpoint)
        trial.set_user_attr("supernet_valid_loss", round(loss, ACCURACY_DECIMALS))
        trial.set_user_attr("eval_seconds", round(time.perf_counter() - started, SECONDS_DECIMALS))
        scores = {"accuracy": accuracy, **costs}
        values = tuple(float(scores[name]) for name in objectives)
        return values if len(values) > 1 else values[0]

    def __repr__(self) -> str:
        return (
            f"SupernetObjective({self.space!r}, {self.dataset.name!r}, mode={self.mode!r}, "
            f"checkpoint={self.checkpoint!r})"
        )
