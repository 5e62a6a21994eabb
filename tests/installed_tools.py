"""The console scripts of the installed package (setup.py's entry points), as tests run them."""

import os
import sys


def tool(name):
    """Path of the installed command `name` beside this interpreter (`make test` installs
    the package, hence its commands, into .venv)."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.isfile(path):
        raise RuntimeError(f"{name} is not installed beside {sys.executable}: run "
                           "`pip install -e .` (make test does) to install the commands.")
    return path
