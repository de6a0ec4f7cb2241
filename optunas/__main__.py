"""``python -m optunas`` runs the ``optunas`` command."""

import sys

from optunas.cli import main

sys.exit(main())
