"""python -m contseg.phantom: see cli.py."""

import sys

from .cli import main

sys.exit(main())
