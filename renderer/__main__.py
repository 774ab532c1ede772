"""``python -m renderer CONFIG --node NAME ...``: run a render node (see :mod:`renderer.node`)."""

import sys

from renderer.node import main

sys.exit(main())
