"""Strategy selection errors and chief detection from TF_CONFIG."""

import json

import pytest

from keras_psa.training import get_strategy
from keras_psa.training import is_chief


@pytest.mark.flavor_independent
def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="strategy"):
        get_strategy("horovod")


@pytest.mark.flavor_independent
def test_tpu_without_a_tpu_says_so():
    with pytest.raises(ValueError, match="found no TPU"):
        get_strategy("tpu")


@pytest.mark.tf_keras_only
def test_multiworker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        get_strategy("multiworker")


@pytest.mark.keras3_only
def test_multiworker_under_keras_3_says_to_use_tf_keras(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1"]}, '
                                    '"task": {"type": "worker", "index": 0}}')
    with pytest.raises(ValueError, match="TF_USE_LEGACY_KERAS=1"):
        get_strategy("multiworker")


@pytest.mark.parametrize(
    "config, chief",
    [
        (None, True),
        ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 0}}, True),
        ({"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}, False),
        ({"cluster": {"chief": ["c:1"], "worker": ["a:1"]},
          "task": {"type": "worker", "index": 0}}, False),
        ({"cluster": {"chief": ["c:1"], "worker": ["a:1"]},
          "task": {"type": "chief", "index": 0}}, True),
    ],
)
@pytest.mark.flavor_independent
def test_is_chief(monkeypatch, config, chief):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert is_chief() is chief
