import os
import sys

# `from tests.export...` works from a source checkout, with or without install.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than ~20 s on 2 cores")
