"""``python -m notebook_routes`` is the ``notebook-routes`` command."""

import sys

from notebook_routes.cli import main

sys.exit(main())
