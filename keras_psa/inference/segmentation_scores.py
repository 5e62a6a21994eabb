"""Mean IoU, per-class IoU and pixel accuracy from confusion matrices, as training logs them."""

import dataclasses

import numpy as np


def confusion_matrix(truth, predicted, num_classes, ignore_label=None):
    """int64 (C, C) counts of (true class, predicted class); `ignore_label` pixels left out."""
    truth = np.asarray(truth).ravel()
    predicted = np.asarray(predicted).ravel()
    if truth.shape != predicted.shape:
        raise ValueError("`truth` and `predicted` must have the same number of pixels. "
                         f"Received: {truth.size} and {predicted.size}")
    if truth.min() < 0 or truth.max() >= num_classes:  # ignored or foreign labels
        keep = (truth >= 0) & (truth < num_classes)
        if ignore_label is not None:
            keep &= truth != ignore_label
        truth, predicted = truth[keep], predicted[keep]
    if predicted.size and predicted.max() >= num_classes:
        predicted = np.minimum(predicted, num_classes - 1)
    # The pair index in the smallest integer type that holds it: on megapixel masks the
    # casts cost more than the bincount.
    dtype = np.uint8 if num_classes <= 16 else np.int32
    pairs = truth.astype(dtype) * dtype(num_classes) + predicted.astype(dtype, copy=False)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes).astype(np.int64)


def class_iou(matrix):
    """IoU per class of a confusion matrix (NaN for a class in neither labels nor
    predictions)."""
    matrix = np.asarray(matrix, np.float64)
    true_positives = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - true_positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, true_positives / union, np.nan)


def mean_iou(matrix):
    """`keras.metrics.MeanIoU`'s figure: the mean IoU over the classes present in labels
    or predictions (training's `val_mean_iou`)."""
    values = class_iou(matrix)
    present = ~np.isnan(values)
    return float(values[present].mean()) if present.any() else 0.0


def pixel_accuracy(matrix):
    """Correct pixels over labelled pixels (training's `val_pixel_accuracy`)."""
    matrix = np.asarray(matrix, np.float64)
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else 0.0


@dataclasses.dataclass
class SegmentationScores:
    """A model's scores on labelled images, from one confusion matrix per image.

    Attributes:
        matrices: int64 (N, C, C) per-image confusion matrices (true, predicted).
        class_names: one name per class.
    """

    matrices: np.ndarray
    class_names: tuple

    @property
    def total(self):
        return self.matrices.sum(axis=0)

    @property
    def mean_iou(self):
        return mean_iou(self.total)

    @property
    def pixel_accuracy(self):
        return pixel_accuracy(self.total)

    def per_class_iou(self):
        """Class name -> IoU (None for a class in neither labels nor predictions)."""
        return {str(name): (None if np.isnan(value) else float(value))
                for name, value in zip(self.class_names, class_iou(self.total))}

    def image_mean_iou(self):
        """Each image's own mean IoU (N,), to find the worst images."""
        return np.array([mean_iou(matrix) for matrix in self.matrices])

    def resampled_mean_iou(self, counts):
        """Mean IoU of a resample of the images: `counts` (N,) times each image is drawn."""
        return mean_iou(np.tensordot(np.asarray(counts, np.int64), self.matrices, axes=1))

    def to_dict(self):
        return {"mean_iou": self.mean_iou, "per_class_iou": self.per_class_iou(),
                "pixel_accuracy": self.pixel_accuracy, "num_images": int(len(self.matrices))}
