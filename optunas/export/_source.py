"""A network as one standalone PyTorch file: its builder's own source, gathered with what it
uses, and the call that builds the found architecture.

The file is made from the very code optunas builds with (read with :mod:`inspect`, imports of
optunas left out, the definitions they named copied in), so it computes what optunas computes
and its modules carry the same names: a ``state_dict`` loads either way.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

#: Docstring sections left out of the copied code: their examples import optunas.
_EXAMPLE_HEADINGS = ("Example:", "Examples:")


class _Module:
    """The top-level statements of one module, what each defines and what it imports."""

    def __init__(self, name: str) -> None:
        module = importlib.import_module(name)
        try:
            text = inspect.getsource(module)
        except (OSError, TypeError):
            raise ValueError(f"the source of module {name!r} cannot be read") from None
        self.name = name
        self.lines = text.splitlines()
        self.tree = ast.parse(text)
        summary = (ast.get_docstring(self.tree) or "").strip().split("\n\n")[0]
        self.summary = " ".join(summary.split())
        self.defines: dict[str, int] = {}
        #: local name -> (module, attribute or None for ``import module``, import line)
        self.imports: dict[str, tuple[str, str | None, str]] = {}
        for index, node in enumerate(self.tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defines[node.name] = index
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for leaf in ast.walk(target):
                        if isinstance(leaf, ast.Name):
                            self.defines[leaf.id] = index
            elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
                source = importlib.util.resolve_name(
                    "." * node.level + (node.module or ""), module.__package__ or name
                )
                for alias in node.names:
                    line = f"from {source} import {alias.name}" + (
                        f" as {alias.asname}" if alias.asname else ""
                    )
                    self.imports[alias.asname or alias.name] = (source, alias.name, line)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                    self.imports[local] = (alias.name, None, line)

    def names_used(self, index: int) -> set[str]:
        return {node.id for node in ast.walk(self.tree.body[index]) if isinstance(node, ast.Name)}

    def statement_text(self, index: int) -> str:
        """The statement's lines with the comments just above it, docstring examples cut."""
        node = self.tree.body[index]
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while first > 0 and self.lines[first - 1].lstrip().startswith("#"):
            first -= 1
        dropped = set(_example_lines(node, self.lines))
        return "\n".join(
            line
            for number, line in enumerate(self.lines[first : node.end_lineno], first)
            if number not in dropped
        )


def _example_lines(node: ast.AST, lines: Sequence[str]) -> Iterable[int]:
    """0-based numbers of the lines of each docstring's example section (to its end)."""
    for inner in ast.walk(node):
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        body = inner.body
        if not (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            continue
        docstring = body[0]
        assert docstring.end_lineno is not None  # ast.parse sets every node's end
        start, end = docstring.lineno - 1, docstring.end_lineno - 1
        if lines[end].strip() not in ('"""', "'''"):
            continue  # a one-line docstring, or one closed on its last text line
        for number in range(start + 1, end):
            if lines[number].strip() in _EXAMPLE_HEADINGS:
                if not lines[number - 1].strip():
                    yield number - 1
                yield from range(number, end)
                break


class _Bundle:
    """The definitions ``root`` needs, gathered from its package's modules; imports from
    other packages (torch, the standard library) are kept as imports."""

    def __init__(self, root: Callable[..., Any]) -> None:
        module = getattr(root, "__module__", None)
        if not module or module == "__main__":
            raise ValueError(
                f"{getattr(root, '__qualname__', root)!r} is not defined in an importable "
                "module, so its source cannot be written out"
            )
        self.package = module.split(".")[0]
        self.modules: dict[str, _Module] = {}
        self.needed: dict[str, set[int]] = {}
        self.depends: dict[str, list[str]] = {}
        self.imports: set[str] = set()
        self.origin: dict[str, tuple[str, int]] = {}
        self.root_module = module
        self._need(module, root.__name__)

    def _module(self, name: str) -> _Module:
        if name not in self.modules:
            self.modules[name] = _Module(name)
            self.needed[name] = set()
            self.depends[name] = []
        return self.modules[name]

    def _need(self, module_name: str, name: str) -> None:
        module = self._module(module_name)
        if name in module.defines:
            index = module.defines[name]
            owner = self.origin.setdefault(name, (module_name, index))
            if owner != (module_name, index):
                raise ValueError(
                    f"{name!r} is defined in both {owner[0]} and {module_name}; the standalone "
                    "file cannot hold both"
                )
            if index in self.needed[module_name]:
                return
            self.needed[module_name].add(index)
            for used in sorted(module.names_used(index)):
                if used != name:
                    self._need(module_name, used)
        elif name in module.imports:
            source, attribute, line = module.imports[name]
            if source.split(".")[0] != self.package:
                self.imports.add(line)
                return
            if attribute is None or attribute != name:
                raise ValueError(
                    f"{module_name} uses {line!r}; only plain `from ... import name` of "
                    f"{self.package}'s own definitions can be copied into a standalone file"
                )
            if source not in self.depends[module_name]:
                self.depends[module_name].append(source)
            self._need(source, name)
        # Otherwise a builtin, or a local name of a function: nothing to gather.

    def ordered_modules(self) -> list[str]:
        """Modules with the ones they import from first, as Python would run them."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            order.append(name)  # guards against a cycle; moved to its place below
            for dependency in self.depends[name]:
                visit(dependency)
            order.remove(name)
            order.append(name)

        visit(self.root_module)
        return [name for name in order if self.needed[name]]

    def text(self) -> str:
        sections = []
        for name in self.ordered_modules():
            module = self.modules[name]
            statements = [module.statement_text(i) for i in sorted(self.needed[name])]
            heading = f"# {module.summary}" if module.summary else f"# From {name}."
            sections.append(heading + "\n\n" + "\n\n\n".join(statements))
        return "\n\n\n".join(sections)


def _import_block(lines: Iterable[str]) -> str:
    """The import lines merged per module: the standard library first, then the others."""
    plain: dict[str, str] = {}
    grouped: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            source, _, names = line[len("from ") :].partition(" import ")
            grouped.setdefault(source, set()).add(names)
        else:
            plain[line] = line.split()[1]
    entries = [(module, line) for line, module in plain.items()]
    entries += [
        (source, f"from {source} import {', '.join(sorted(names))}")
        for source, names in grouped.items()
    ]
    # `import x` before `from x import ...`, as isort orders them.
    entries.sort(key=lambda entry: (entry[0], entry[1].startswith("from ")))
    standard = [e for e in entries if e[0].split(".")[0] in sys.stdlib_module_names]
    others = [e for e in entries if e[0].split(".")[0] not in sys.stdlib_module_names]
    blocks = [[line for _, line in group] for group in (standard, others) if group]
    return "\n\n".join(
        ["from __future__ import annotations"] + ["\n".join(block) for block in blocks]
    )


def _literal(value: Any, indent: str) -> str:
    """``value`` as Python source, a long list one element per line."""
    text = repr(value)
    if isinstance(value, (list, tuple)) and value and len(text) + len(indent) > 80:
        inner = indent + "    "
        items = "".join(f"{inner}{_literal(item, inner)},\n" for item in value)
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        return f"{opening}\n{items}{indent}{closing}"
    return text


def standalone_source(
    builder: Callable[..., Any],
    arguments: dict[str, Any],
    input_shape: Sequence[int],
    header: Sequence[str] = (),
) -> str:
    """A Python file that defines ``builder`` with torch alone and a ``build_model()`` that
    returns ``builder(**arguments)``.

    ``builder`` is copied from its module's source with every definition of its own package
    it uses (an optunas builder brings its op zoo); imports of other packages stay imports.
    The file also defines ``load_model(weights)`` (a saved ``state_dict``; by default
    ``weights.pt`` beside the file, whatever the working folder) and, run as a script, prints
    the output shape of a random batch (through that ``weights.pt`` when there is one).

    Args:
        builder: A class or function that builds the network (e.g.
            :class:`~optunas.nn.NB201Network`), as a space's ``builder`` method gives it.
        arguments: Its keyword arguments: literals, lists, and dataclasses of the builder's
            package (their repr is their constructor call).
        input_shape: One example's shape, channels first, e.g. ``(1, 40)``.
        header: Lines of the comment at the top (the genotype, where it came from).

    Example:
        >>> import torch
        >>> from optunas.export import standalone_source
        >>> from optunas.spaces import NB201, NB201Genotype
        >>> space = NB201(channels=4)
        >>> builder, arguments = space.builder(NB201Genotype(("nor_conv_3x3",) * 6), (1, 40), 10)
        >>> namespace = {"__name__": "model"}
        >>> exec(standalone_source(builder, arguments, (1, 40)), namespace)
        >>> namespace["build_model"]()(torch.randn(2, 1, 40)).shape
        torch.Size([2, 10])
    """
    bundle = _Bundle(builder)
    body = bundle.text()
    call = ",\n".join(
        f"        {key}={_literal(value, '        ')}" for key, value in arguments.items()
    )
    comment = "\n".join(f"# {line}".rstrip() for line in header)
    tail = f'''
#: One example's shape, channels first (the batch dimension comes before it).
INPUT_SHAPE = {tuple(input_shape)!r}


def build_model() -> nn.Module:
    """The found network, with fresh weights (see load_model for trained ones)."""
    return {builder.__name__}(
{call},
    )


def weights_path() -> str:
    """weights.pt beside this file (where `optunas export --retrain` saves it), wherever
    Python runs from."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt")


def load_model(weights: str | None = None) -> nn.Module:
    """The found network with the weights of a saved state_dict (by default weights_path()),
    ready for inference."""
    model = build_model()
    state = torch.load(weights or weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


if __name__ == "__main__":
    weights = weights_path()
    model = load_model(weights) if os.path.exists(weights) else build_model().eval()
    with torch.no_grad():
        logits = model(torch.randn(4, *INPUT_SHAPE))
    trained = "trained weights" if os.path.exists(weights) else "fresh weights (no weights.pt)"
    print(f"{{type(model).__name__}} with {{trained}}: a batch of 4 gives logits {{tuple(logits.shape)}}")
'''
    imports = _import_block(bundle.imports | {"import os", "import torch", "from torch import nn"})
    parts = [comment, imports, body, tail.strip()]
    return "\n\n\n".join(part for part in parts if part) + "\n"
