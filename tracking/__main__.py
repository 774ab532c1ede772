import sys

from tracking.cli import main

sys.exit(main())
