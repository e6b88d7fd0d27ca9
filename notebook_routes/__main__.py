"""``python -m notebook_routes`` is the ``notebook-routes`` command."""

import sys

from notebook_routes._cli import main

sys.exit(main())
