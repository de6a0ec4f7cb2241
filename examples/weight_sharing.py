"""Weight sharing: score NB201 cells with a supernet instead of training each one.

One-shot (SPOS): pretrain one supernet that holds every op of every edge, then let
EvolutionSampler score 40 cells with inherited weights (a few hundredths of a second each), and
retrain the best two standalone to see the estimate beside the truth. ENAS: each trial trains
the shared weights along its own path for a few steps, then scores it; ReinforceSampler learns
which paths score well. Small sizes so the example runs in about half a minute on a laptop CPU;
for a real search pretrain longer (``epochs``) on the full dataset.

Run: python examples/weight_sharing.py
"""

from __future__ import annotations

import os
import tempfile

import optuna

from optunas.data import load_mnist1d
from optunas.evaluation import SupernetObjective, retrain_top
from optunas.samplers import EvolutionSampler, ReinforceSampler
from optunas.spaces import NB201

optuna.logging.set_verbosity(optuna.logging.WARNING)
folder = tempfile.mkdtemp()  # the checkpoints; any path works, shared by every worker
data = load_mnist1d(num_samples=2000)
space = NB201(channels=4)

# One-shot: pretrain once, then every trial is a path scored with the shared weights.
one_shot = SupernetObjective(space, data, checkpoint=os.path.join(folder, "one-shot.pt"), epochs=20)
one_shot.pretrain()
study = optuna.create_study(direction="maximize", sampler=EvolutionSampler(seed=0))
study.optimize(one_shot, n_trials=40)
print(f"best one-shot estimate {study.best_value:.3f}: {study.best_trial.user_attrs['genotype']}")

# The estimate orders cells roughly: retrain the top two standalone, side by side.
retrained = retrain_top(study, k=2, space=space, dataset=data, epochs=5)
for trial in retrained.trials:
    print(f"  estimate {trial.user_attrs['estimate']:.3f} -> standalone {trial.value:.3f}")

# ENAS: the shared weights train trial by trial along the sampled paths.
enas = SupernetObjective(
    space, data, mode="enas", checkpoint=os.path.join(folder, "enas.pt"), enas_steps=5
)
study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
study.optimize(enas, n_trials=20)
print(f"best ENAS estimate {study.best_value:.3f}: {study.best_trial.user_attrs['genotype']}")
