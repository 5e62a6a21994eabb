import os
import sys

# Tests run from a source checkout too (the package need not be installed).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
