import importlib.util
import os

import pytest

from keras_psa.models import ATTENTIONS
from keras_psa.models import BACKBONES
from keras_psa.models import HEADS
from keras_psa.models import PSA_VARIANTS
from keras_psa.training import STRATEGIES

pytestmark = pytest.mark.flavor_independent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli_choices():
    path = os.path.join(ROOT, "examples", "cli_choices.py")
    spec = importlib.util.spec_from_file_location("cli_choices", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_flags_offer_exactly_what_the_package_accepts():
    choices = _cli_choices()
    assert choices.BACKBONES == BACKBONES
    assert choices.HEADS == tuple(HEADS)
    assert choices.ATTENTIONS == tuple("none" if a is None else a for a in ATTENTIONS)
    assert choices.PSA_VARIANTS == PSA_VARIANTS
    assert choices.STRATEGIES == STRATEGIES
