"""What the ``optunas`` command records in a study's user attrs, readable without torch.

The command (:mod:`optunas.cli._config`) writes the configuration; the evaluators and the
export read it back, and those stand below the command, so the names live here.
"""

from __future__ import annotations

from typing import Any

import optuna

#: The user attr holding the command's configuration as one JSON object.
CONFIG_ATTR = "optunas:config"
#: Studies made before the configuration was one object kept each setting in its own attr.
LEGACY_PREFIX = "optunas:"


def command_settings(study: optuna.Study) -> dict[str, Any]:
    """The settings the ``optunas`` command recorded in ``study`` (space, dataset, epochs,
    objectives, recipe, ...); empty for a study the command did not make.

    Example:
        >>> import optuna
        >>> from optunas._recorded import command_settings
        >>> study = optuna.create_study()
        >>> study.set_user_attr("optunas:config", {"version": 1, "space": "chain"})
        >>> command_settings(study)
        {'space': 'chain'}
    """
    attrs = study.user_attrs
    settings = {
        key[len(LEGACY_PREFIX) :]: value
        for key, value in attrs.items()
        if key.startswith(LEGACY_PREFIX) and key != CONFIG_ATTR
    }
    settings.update(attrs.get(CONFIG_ATTR) or {})
    settings.pop("version", None)
    return settings
