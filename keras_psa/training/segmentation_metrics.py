"""Metrics for models that output per-pixel logits."""

from keras_psa.keras_flavor import keras
from keras_psa.training.pixel_accuracy import PixelAccuracy


def segmentation_metrics(num_classes, ignore_label=None):
    """`[MeanIoU, PixelAccuracy]` on logits, both leaving out `ignore_label`.

    The metrics are named `mean_iou` and `pixel_accuracy` (logged as
    `val_mean_iou`, `val_pixel_accuracy` on validation data). Mean IoU takes
    the argmax of the logits itself (`sparse_y_pred=False`) and averages over
    the classes present in labels or predictions.
    """
    return [
        keras.metrics.MeanIoU(
            num_classes=int(num_classes), name="mean_iou", ignore_class=ignore_label,
            sparse_y_true=True, sparse_y_pred=False,
        ),
        PixelAccuracy(ignore_class=ignore_label, name="pixel_accuracy"),
    ]


def per_class_iou(mean_iou_metric):
    """IoU of every class from a `keras.metrics.MeanIoU`'s confusion matrix (NaN if absent)."""
    import numpy as np

    matrix = np.asarray(mean_iou_metric.total_cm, np.float64)
    true_positives = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - true_positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, true_positives / union, np.nan)
