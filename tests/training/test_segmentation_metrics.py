"""Mean IoU, pixel accuracy and loss on logits, checked on hand-made masks."""

import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.training import PixelAccuracy
from keras_psa.training import learning_rate_schedule
from keras_psa.training import per_class_iou
from keras_psa.training import segmentation_loss
from keras_psa.training import segmentation_metrics

IGNORE = 255
# One 2x3 image, 3 classes. Labels, with one void pixel:
LABELS = np.array([[[0, 0, 1], [1, 2, IGNORE]]], np.int32)
# Predicted classes (argmax of the logits below): right, wrong (1), right, wrong (0), right, 2.
PREDICTED = np.array([[[0, 1, 1], [0, 2, 2]]])


def _logits(classes, num_classes=3):
    # Unnormalised, not probabilities: the metrics must take the argmax themselves.
    return (np.eye(num_classes)[classes] * 7.0 - 3.0).astype(np.float32)


def test_pixel_accuracy_leaves_out_the_ignore_label():
    metric = PixelAccuracy(ignore_class=IGNORE)
    metric.update_state(LABELS, _logits(PREDICTED))
    assert float(metric.result()) == pytest.approx(3 / 5)
    unmasked = PixelAccuracy()
    unmasked.update_state(np.where(LABELS == IGNORE, 1, LABELS), _logits(PREDICTED))
    assert float(unmasked.result()) == pytest.approx(3 / 6)


def test_mean_iou_on_logits_with_ignore_label():
    mean_iou, accuracy = segmentation_metrics(3, ignore_label=IGNORE)
    mean_iou.update_state(LABELS, _logits(PREDICTED))
    accuracy.update_state(LABELS, _logits(PREDICTED))
    # Valid pixels: labels 0,0,1,1,2 vs predictions 0,1,1,0,2.
    # class 0: tp 1, fp 1, fn 1 -> 1/3; class 1: same -> 1/3; class 2: 1/1.
    expected = np.array([1 / 3, 1 / 3, 1.0])
    assert float(mean_iou.result()) == pytest.approx(expected.mean(), rel=1e-6)
    np.testing.assert_allclose(per_class_iou(mean_iou), expected, rtol=1e-6)
    assert float(accuracy.result()) == pytest.approx(3 / 5)


def test_metrics_accumulate_over_batches_and_reset():
    metric = PixelAccuracy(ignore_class=IGNORE)
    metric.update_state(LABELS, _logits(PREDICTED))
    metric.update_state(LABELS, _logits(np.where(LABELS == IGNORE, 0, LABELS)))
    assert float(metric.result()) == pytest.approx(8 / 10)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_loss_ignores_void_pixels():
    loss = segmentation_loss(ignore_label=IGNORE)
    logits = _logits(PREDICTED)
    changed = logits.copy()
    changed[0, 1, 2] = [50.0, -50.0, 0.0]  # only the void pixel changes
    assert float(loss(LABELS, logits)) == pytest.approx(float(loss(LABELS, changed)), rel=1e-6)


def test_pixel_accuracy_round_trips_through_config():
    metric = PixelAccuracy(ignore_class=IGNORE, name="acc")
    restored = PixelAccuracy.from_config(metric.get_config())
    assert restored.ignore_class == IGNORE and restored.name == "acc"
    assert keras.saving.get_registered_object("keras_psa>PixelAccuracy") is PixelAccuracy


def test_schedules_warm_up_then_decay_or_hold():
    cosine = learning_rate_schedule("cosine", 1e-2, total_steps=100, warmup_steps=10)
    constant = learning_rate_schedule("constant", 1e-2, total_steps=100, warmup_steps=10)
    assert float(cosine(0)) == pytest.approx(0.0, abs=1e-9)
    assert float(cosine(5)) == pytest.approx(5e-3, rel=1e-4)
    assert float(cosine(10)) == pytest.approx(1e-2, rel=1e-4)
    assert float(cosine(100)) == pytest.approx(0.0, abs=1e-7)
    assert float(constant(60)) == pytest.approx(1e-2, rel=1e-5)
    with pytest.raises(ValueError, match="warmup_steps"):
        learning_rate_schedule("cosine", 1e-2, total_steps=10, warmup_steps=10)
    with pytest.raises(ValueError, match="name"):
        learning_rate_schedule("step", 1e-2, total_steps=10)
