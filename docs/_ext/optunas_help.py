"""Two additions to Sphinx for optunas's documentation.

- The ``optunas-help`` directive: ``.. optunas-help:: bench samplers`` shows what
  ``optunas bench samplers --help`` prints, as a literal block, so the CLI reference is always
  the parser's own text.
- The docstring of a module-level constant that a package re-exports (``optunas.spaces.SPACES``
  is defined in ``optunas.spaces._registry``) is its ``#:`` comment where it is defined, not
  the docstring of its type (``dict``), which is what autodoc would otherwise show.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

#: Columns of the help text: argparse wraps to the terminal's width.
COLUMNS = "92"


class OptunasHelp(SphinxDirective):
    required_arguments = 0
    optional_arguments = 3

    def run(self) -> list[nodes.Node]:
        words = list(self.arguments)
        try:
            text = help_text(words)
        except RuntimeError as exc:
            raise self.error(str(exc)) from None
        text = f"$ optunas {' '.join([*words, '--help'])}\n{text.rstrip()}"
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def help_text(words: list[str]) -> str:
    """``optunas WORDS --help``: optunas's own commands answered in this process (the parser
    is the command's), Optuna's commands by the command itself, as a user would call it."""
    from optunas._names import OPTUNA_COMMANDS
    from optunas.cli import main

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS  # argparse wraps to the terminal's width
    try:
        if any(words[: len(c.split())] == c.split() for c in OPTUNA_COMMANDS):
            # Optuna's parser names its program after sys.argv[0], as the installed command sets it.
            run = "import sys; sys.argv[0] = 'optunas'; from optunas.cli import main; sys.exit(main())"
            result = subprocess.run(
                [sys.executable, "-c", run, *words, "--help"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            if result.returncode != 0:
                raise RuntimeError(f"optunas {' '.join(words)} --help failed: {result.stderr}")
            return result.stdout
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main([*words, "--help"])
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise RuntimeError(f"optunas {' '.join(words)} --help failed") from None
        return out.getvalue()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _defining_comment(obj: object, attr: str) -> list[str] | None:
    """The ``#:`` comment above ``attr`` in the optunas module that defines ``obj``."""
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("optunas") or getattr(module, attr, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(name).find_attr_docs()
        except Exception:  # a module without source (built-in, namespace package)
            continue
        if ("", attr) in docs:
            return list(docs[("", attr)])
    return None


def _constant_docstring(app, what, name, obj, options, lines) -> None:
    if what != "data":
        return
    comment = _defining_comment(obj, name.rsplit(".", 1)[-1])
    if comment is not None:
        lines[:] = comment
    elif type(obj).__doc__ and lines and lines[0] in type(obj).__doc__:
        lines[:] = []  # the type's docstring says nothing of the constant


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("optunas-help", OptunasHelp)
    app.connect("autodoc-process-docstring", _constant_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
