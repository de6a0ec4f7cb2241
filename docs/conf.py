"""Sphinx configuration of optunas's documentation.

Build it from the repository's root (warnings are errors, as CI builds it):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

then open docs/_build/html/index.html.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

import optunas  # noqa: E402

project = "optunas"
author = "the optunas authors"
copyright = "the optunas authors, MIT License"
version = release = optunas.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "optunas_help",
]

# The research notes (Markdown) stay in docs/research/, outside the site.
exclude_patterns = ["_build", "research"]
root_doc = "index"
templates_path: list[str] = []

html_theme = "alabaster"
html_title = f"optunas {release}"
html_theme_options = {
    "description": "Neural architecture search native to Optuna and PyTorch",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
