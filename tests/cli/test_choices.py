import pytest

from keras_psa.cli import choices
from keras_psa.models import ATTENTIONS
from keras_psa.models import BACKBONES
from keras_psa.models import HEADS
from keras_psa.models import PSA_VARIANTS
from keras_psa.training import STRATEGIES

pytestmark = pytest.mark.flavor_independent


def test_tool_flags_offer_exactly_what_the_package_accepts():
    assert choices.BACKBONES == BACKBONES
    assert choices.HEADS == tuple(HEADS)
    assert choices.ATTENTIONS == tuple("none" if a is None else a for a in ATTENTIONS)
    assert choices.PSA_VARIANTS == PSA_VARIANTS
    assert choices.STRATEGIES == STRATEGIES
