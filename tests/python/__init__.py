"""Unit tests of scripts/ablib, the package behind scripts/ab_losses (ctest: ab_losses_unit):

  /usr/bin/python3 -m unittest discover -s tests/python -t . -v

They use the standard library only (no matplotlib). Importing this package puts scripts/ on
sys.path, so that the test modules can import ablib.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(REPO, "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
