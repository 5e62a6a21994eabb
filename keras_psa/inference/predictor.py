"""The one inference path: an image in, a result object out, for any model file."""

import os
import time

import numpy as np

from keras_psa.inference.image_fit import fit_image
from keras_psa.inference.image_loading import load_image
from keras_psa.inference.keypoint_result import KeypointResult
from keras_psa.inference.model_facts import ModelFacts
from keras_psa.inference.model_runner import ModelRunner
from keras_psa.inference.segmentation_result import SegmentationResult


def _resize_maps(maps, size):
    """Bilinear resize of (h, w, C) maps to `size`, as the models' own final ResizeLike."""
    import tensorflow as tf

    return np.asarray(tf.image.resize(maps[None], size, method="bilinear")[0], np.float32)


def channel_argmax(maps):
    """`np.argmax(maps, axis=-1)` as uint8, the first maximum on ties, a few times faster
    (one pass per channel instead of a strided reduction)."""
    best = maps[..., 0].copy()
    labels = np.zeros(best.shape, np.uint8)
    for channel in range(1, maps.shape[-1]):
        values = maps[..., channel]
        higher = values > best
        labels[higher] = channel
        np.maximum(best, values, out=best)
    return labels


class Predictor:
    """Runs a `.keras` or `.tflite` segmentation or keypoint model on images as users have them.

    The file says what it needs (task, pixel range, class or joint names: its
    metadata, the Rescaling at a Keras model's input, the training
    `summary.json` beside it); the arguments are for files that do not.

    Args:
        model: path of the `.keras` or `.tflite` file.
        task: `"segmentation"` or `"keypoints"`, for files that do not say.
        labels: class (or joint) names, list / label file / "a,b,c".
        pixel_range: `(low, high)` the model takes for pixels 0..255.
        sigma: heatmap sigma of a keypoint model (its decoding's smoothing).
        fit: `"letterbox"` (keep the aspect ratio) or `"stretch"`.
        num_threads, xnnpack: LiteRT's CPU settings.
        accelerator: `"cpu"`, or `"gpu"` for LiteRT's GPU accelerator (`.tflite`).
        keras_model: an already loaded Keras model of `model`.

    Example:

    ```python
    predictor = Predictor("runs/digits/float32.tflite")
    result = predictor.predict("photo.jpg")
    result.mask.shape            # the photo's (height, width) as displayed
    result.save_mask("photo_mask.png")
    ```
    """

    def __init__(self, model, task=None, labels=None, pixel_range=None, sigma=None,
                 fit="letterbox", num_threads=1, xnnpack=True, keras_model=None,
                 accelerator="cpu"):
        self.runner = ModelRunner(model, num_threads=num_threads, xnnpack=xnnpack,
                                  model=keras_model, accelerator=accelerator)
        self.facts = ModelFacts.read(self.runner, task=task, labels=labels,
                                     pixel_range=pixel_range, sigma=sigma)
        self.fit = fit
        fit_image(np.zeros((1, 1, 3)), self.input_size, fit)  # refuses a bad `fit` now
        self.path = self.runner.path
        self.task = self.facts.task
        self._class_names = self.facts.class_names
        self._skeleton = self.facts.skeleton

    @property
    def input_size(self):
        return self.runner.input_size

    def class_names(self, num_classes):
        """The facts' class names, or `class_<i>` for a file without names."""
        if self._class_names is None or len(self._class_names) != num_classes:
            if self._class_names is not None:
                raise ValueError(f"`labels` must name the model's {num_classes} classes. "
                                 f"Received: {len(self._class_names)} names")
            self._class_names = tuple(f"class_{i}" for i in range(num_classes))
        return self._class_names

    def skeleton(self, num_joints):
        from keras_psa.inference.model_facts import _known_skeleton

        if self._skeleton is None:
            self._skeleton = _known_skeleton(tuple(f"joint_{i}" for i in range(num_joints)))
        if self._skeleton.num_joints != num_joints:
            raise ValueError(f"`labels` must name the model's {num_joints} joints. "
                             f"Received: {self._skeleton.num_joints} names")
        return self._skeleton

    def to_model_range(self, images):
        """Pixels 0..255 as the values the model takes."""
        low, high = self.facts.pixel_range
        images = np.asarray(images, np.float32)
        if (low, high) == (0.0, 255.0):
            return images
        return (low + images * ((high - low) / 255.0)).astype(np.float32)

    def run(self, inputs):
        """The model's raw output for fitted inputs (N, h, w, 3), pixels 0..255."""
        return self.runner.run(self.to_model_range(inputs))

    def labels(self, logits):
        """Class indices (h, w) at the model input's size from one output (h', w', C)."""
        if logits.shape[:2] != self.input_size:
            logits = _resize_maps(logits, self.input_size)
        return channel_argmax(logits)

    def mask_of(self, logits, fit):
        """The class mask at the image's own size from one output and the image's fit."""
        return fit.labels_to_image(self.labels(logits))

    def decode(self, heatmaps):
        """`[x, y, score]` (N, K, 3) in model-input pixels from heatmaps (N, h', w', K)."""
        from keras_psa.data.load_keypoint_dataset import default_sigma
        from keras_psa.keypoints.evaluation import heatmap_keypoints

        sigma = self.facts.sigma or default_sigma(heatmaps.shape[1:3])
        return heatmap_keypoints(heatmaps, self.input_size, sigma)

    def fit_to_input(self, image):
        """`(model input (h, w, 3), ImageFit)` of a whole RGB image: the part of `predict`
        that a caller may run ahead, on another thread (`fitted=`)."""
        return fit_image(image, self.input_size, self.fit)

    def predict(self, image, boxes=None, source=None, frame=None, image_id=None, fitted=None):
        """The `SegmentationResult` or `KeypointResult` of one image.

        Args:
            image: an image file path, or an RGB array (H, W, 3) of pixels 0..255.
            boxes: person boxes `(x, y, w, h)` for a top-down keypoint model
                (None: the whole image is one person's crop).
            source, frame, image_id: recorded in the result.
            fitted: `fit_to_input(image)` computed beforehand (segmentation).

        Raises:
            ImageReadError: `image` is a file that cannot be decoded.
        """
        started = time.perf_counter()
        if isinstance(image, (str, os.PathLike)):
            source = os.fspath(image) if source is None else source
            image = load_image(image)
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"`image` must be an RGB array (H, W, 3). "
                             f"Received: image.shape={image.shape}")
        if self.task == "segmentation":
            inputs, fit = fitted if fitted is not None else self.fit_to_input(image)
            model_started = time.perf_counter()
            logits = self.run(inputs[None])[0]
            model_ms = 1000 * (time.perf_counter() - model_started)
            mask = self.mask_of(logits, fit)
            result = SegmentationResult(mask=mask, class_names=self.class_names(logits.shape[-1]),
                                        image=image, source=source, frame=frame)
        else:
            height, width = image.shape[:2]
            boxes = (np.array([[0.0, 0.0, width, height]]) if boxes is None
                     else np.asarray(boxes, np.float64).reshape(-1, 4))
            fits = [fit_image(image, self.input_size, self.fit,
                              box=None if boxes_is_whole(box, image) else box)
                    for box in boxes]
            model_ms = 0.0
            keypoints = np.zeros((len(boxes), 0, 3), np.float32)
            if fits:
                model_started = time.perf_counter()
                heatmaps = self.run(np.stack([inputs for inputs, _ in fits]))
                model_ms = 1000 * (time.perf_counter() - model_started)
                decoded = self.decode(heatmaps)
                keypoints = np.concatenate([
                    np.concatenate([fit.to_image(person[:, :2]), person[:, 2:]], axis=-1)[None]
                    for person, (_, fit) in zip(decoded, fits)]).astype(np.float32)
            skeleton = self.skeleton(keypoints.shape[1]) if len(boxes) else self._skeleton
            result = KeypointResult(keypoints=keypoints, boxes=boxes, skeleton=skeleton,
                                    image=image, source=source, frame=frame, image_id=image_id)
        result.timing_ms = {"model": model_ms, "total": 1000 * (time.perf_counter() - started)}
        return result


def boxes_is_whole(box, image):
    """Whether `box` is the whole image: then the image is fitted as the model's input."""
    height, width = image.shape[:2]
    return tuple(float(v) for v in box) == (0.0, 0.0, float(width), float(height))
