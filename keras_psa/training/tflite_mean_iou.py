"""Mean IoU of a `.tflite` segmentation model on a dataset split."""

import numpy as np

from keras_psa.training.segmentation_metrics import segmentation_metrics


def tflite_mean_iou(tflite_path, dataset, num_classes, ignore_label=None, num_threads=1,
                    xnnpack=True):
    """Runs `tflite_path` on every image of `dataset` and returns its mean IoU.

    The metric is the one training logs (`keras.metrics.MeanIoU` on logits,
    `ignore_label` left out), so the number compares with `val_mean_iou`.

    Args:
        tflite_path: a model mapping (1, H, W, 3) images to (1, H, W, classes)
            logits (int8 inputs and outputs are (de)quantized).
        dataset: a `tf.data.Dataset` of (images, masks) batches.
        num_classes: classes of the model.
        ignore_label: mask value that counts for nothing.
        num_threads: CPU threads.
        xnnpack: run with the XNNPACK delegate (as deployed).

    Returns:
        float, the mean IoU.
    """
    from keras_psa.export.tflite.litert_runner import make_interpreter
    from keras_psa.export.tflite.litert_runner import run_tflite

    interpreter = make_interpreter(tflite_path, num_threads=num_threads, xnnpack=xnnpack)
    metric = segmentation_metrics(num_classes, ignore_label)[0]
    for images, masks in dataset.as_numpy_iterator():
        logits = np.concatenate([run_tflite(tflite_path, image[None], interpreter=interpreter)[0]
                                 for image in images])
        metric.update_state(masks, logits)
    return float(metric.result())
