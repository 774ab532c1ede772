"""``python -m stage``: the ``stage`` command line."""

import sys

from stage.app.cli import main

sys.exit(main())
