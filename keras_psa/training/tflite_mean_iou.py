"""Mean IoU of a `.tflite` segmentation model on a dataset split."""

import numpy as np


def tflite_mean_iou(tflite_path, dataset, num_classes, ignore_label=None, num_threads=1,
                    xnnpack=True):
    """Runs `tflite_path` on every image of `dataset` and returns its mean IoU.

    The images go through the inference path (`keras_psa.inference.Predictor`), the
    same as `keras-psa-evaluate`'s; the metric is the one training logs
    (`keras.metrics.MeanIoU` on logits, `ignore_label` left out), so the number
    compares with `val_mean_iou`.

    Args:
        tflite_path: a model mapping (1, H, W, 3) images to (1, H, W, classes)
            logits (int8 inputs and outputs are (de)quantized).
        dataset: a `tf.data.Dataset` of (images, masks) batches, pixels 0..255.
        num_classes: classes of the model.
        ignore_label: mask value that counts for nothing.
        num_threads: CPU threads.
        xnnpack: run with the XNNPACK delegate (as deployed).

    Returns:
        float, the mean IoU.
    """
    from keras_psa.inference import Predictor
    from keras_psa.inference.segmentation_scores import confusion_matrix
    from keras_psa.inference.segmentation_scores import mean_iou

    # The dataset's images are the model's inputs as they are (pixels 0..255).
    predictor = Predictor(tflite_path, task="segmentation", pixel_range=(0.0, 255.0),
                          labels=[f"class_{i}" for i in range(num_classes)],
                          num_threads=num_threads, xnnpack=xnnpack)
    total = np.zeros((num_classes, num_classes), np.int64)
    for images, masks in dataset.as_numpy_iterator():
        for image, mask in zip(images, masks):
            total += confusion_matrix(mask, predictor.predict(image).mask, num_classes,
                                      ignore_label)
    return mean_iou(total)
