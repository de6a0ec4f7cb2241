"""``optunas dashboard``: optuna-dashboard on a study's storage, with its artifacts wired."""

from __future__ import annotations

import argparse
from typing import Any

from optunas.cli._args import add_storage, positive, reported
from optunas.cli._config import UsageError


def register(commands: Any) -> None:
    """Add the ``dashboard`` sub-command to the sub-parser action ``commands``.

    Example:
        >>> import argparse
        >>> from optunas.cli._dashboard import register
        >>> parser = argparse.ArgumentParser(prog="optunas")
        >>> register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["dashboard", "--port", "8081"])
        >>> args.port, args.host, args.storage_default  # unless --storage or $OPTUNA_STORAGE
        (8081, '127.0.0.1', 'sqlite:///optunas.db')
    """
    dashboard = commands.add_parser(
        "dashboard",
        help="serve optuna-dashboard on a storage, with the architecture drawings",
        description="Start optuna-dashboard on the storage with the artifact store the "
        "objectives wrote the drawings to (by default the folder beside the SQLite or "
        "journal file), so each trial's note shows its architecture.",
    )
    add_storage(dashboard)
    dashboard.add_argument(
        "--artifact-dir",
        default=None,
        help="folder of the artifacts (default: beside the storage file)",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="host to listen on (default: 127.0.0.1)"
    )
    dashboard.add_argument("--port", type=positive(int), default=8080, help="port (default: 8080)")
    dashboard.set_defaults(handler=reported(_dashboard))


def _dashboard(args: argparse.Namespace) -> int:
    import optuna
    import optuna_dashboard

    from optunas._storage import open_existing_storage
    from optunas.dashboard import default_artifact_dir

    try:
        storage = open_existing_storage(args.storage, heartbeat=False)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    folder = args.artifact_dir or default_artifact_dir(args.storage)
    store = None
    if folder is not None:
        import os

        os.makedirs(folder, exist_ok=True)
        store = optuna.artifacts.FileSystemArtifactStore(folder)
    print(
        f"optuna-dashboard on http://{args.host}:{args.port}/ (storage {args.storage}, "
        f"artifacts {folder or 'none'})",
        flush=True,
    )
    optuna_dashboard.run_server(storage, host=args.host, port=args.port, artifact_store=store)
    return 0
