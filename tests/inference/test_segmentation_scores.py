"""Confusion matrices and the mean IoU that training logs."""

import numpy as np
import pytest

from keras_psa.inference.segmentation_scores import confusion_matrix
from keras_psa.inference.segmentation_scores import mean_iou

pytestmark = pytest.mark.flavor_independent


@pytest.mark.parametrize("classes", [5, 16, 40])
def test_confusion_counts_every_labelled_pixel_once(classes):
    rng = np.random.default_rng(classes)
    truth = rng.integers(0, classes, (50, 60))
    truth[:5] = 255  # ignored
    predicted = rng.integers(0, classes, (50, 60)).astype(np.uint8)
    expected = np.zeros((classes, classes), np.int64)
    kept = truth.ravel() != 255
    np.add.at(expected, (truth.ravel()[kept], predicted.ravel()[kept]), 1)
    np.testing.assert_array_equal(confusion_matrix(truth, predicted, classes, 255), expected)


def test_mean_iou_averages_the_classes_present_as_kerass_metric_does():
    from keras_psa.keras_flavor import keras

    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    predicted = np.array([[0, 1, 1, 1], [0, 2, 1, 1]])  # class 3 in neither
    metric = keras.metrics.MeanIoU(4)
    metric.update_state(truth, predicted)
    assert mean_iou(confusion_matrix(truth, predicted, 4)) == pytest.approx(
        float(metric.result()), abs=1e-6)
