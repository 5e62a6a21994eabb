"""Fitting an image to a model's fixed input, and mapping the model's results back.

`fit_image` and the `ImageFit` it returns are a pair of inverse functions, as a
codec's encode/decode: the fit takes an image point p (pixel centres at integers)
to the model point `(p - center) / scale + (size - 1) / 2`, and `to_image` takes
it back. An image already at the model's size fits as the identity, exactly.
"""

import dataclasses

import numpy as np

from keras_psa.data.coco_keypoints import crop_transform
from keras_psa.data.coco_keypoints import warp_crop

FIT_MODES = ("letterbox", "stretch")


@dataclasses.dataclass(frozen=True)
class ImageFit:
    """Where an image (or a box of it) lies in the model's input.

    Attributes:
        center: `(x, y)` image point at the centre of the model input.
        scale: `(x, y)` image pixels per model pixel.
        model_size: `(height, width)` of the model input.
        image_size: `(height, width)` of the image.
    """

    center: tuple
    scale: tuple
    model_size: tuple
    image_size: tuple

    def _offset(self):
        height, width = self.model_size
        return np.array([(width - 1) / 2, (height - 1) / 2])

    def to_model(self, points):
        """Image points (..., 2) as model-input points."""
        points = np.asarray(points, np.float64)
        return (points - np.asarray(self.center)) / np.asarray(self.scale) + self._offset()

    def to_image(self, points):
        """Model-input points (..., 2), e.g. decoded keypoints, as image points."""
        points = np.asarray(points, np.float64)
        return (points - self._offset()) * np.asarray(self.scale) + np.asarray(self.center)

    def labels_to_image(self, labels):
        """A (model height, model width) label map at the image's size: each image pixel
        takes the label of the model pixel nearest to its centre."""
        labels = np.asarray(labels)
        height, width = self.image_size
        model_h, model_w = self.model_size
        if labels.shape[:2] != (model_h, model_w):
            raise ValueError(f"`labels` must be the model's {model_h}x{model_w} map. "
                             f"Received: labels.shape={labels.shape}")
        xs = self.to_model(np.stack([np.arange(width), np.zeros(width)], -1))[:, 0]
        ys = self.to_model(np.stack([np.zeros(height), np.arange(height)], -1))[:, 1]
        xs = np.clip(np.round(xs), 0, model_w - 1).astype(np.int64)
        ys = np.clip(np.round(ys), 0, model_h - 1).astype(np.int64)
        # Two 1-D takes (rows, then columns) instead of one 2-D fancy index: 2-3x faster.
        return np.take(np.take(labels, ys, axis=0), xs, axis=1)

    def to_dict(self):
        return {key: [float(v) for v in value] for key, value in dataclasses.asdict(self).items()}


def _pillow_warp(image, fit):
    """`warp_crop` of a uint8 image through Pillow's affine transform (C, a few times
    faster): the same bilinear samples inside the image, rounded to integers, zeros
    outside; within half a pixel of its edges Pillow extends the edge pixels where
    `warp_crop` blends them with black."""
    from PIL import Image

    height, width = fit.model_size
    offset = fit._offset()
    # Pillow maps output pixel edges to input pixel edges: edge = centre + 0.5.
    scale_x, scale_y = fit.scale
    shift_x = fit.center[0] + 0.5 - (offset[0] + 0.5) * scale_x
    shift_y = fit.center[1] + 0.5 - (offset[1] + 0.5) * scale_y
    warped = Image.fromarray(image).transform(
        (width, height), Image.Transform.AFFINE, (scale_x, 0.0, shift_x, 0.0, scale_y, shift_y),
        resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0))
    return np.asarray(warped, np.float32)


def fit_image(image, model_size, mode="letterbox", box=None, padding=1.25):
    """`(model input (h, w, 3) float32, ImageFit)` of `image` (H, W, 3), pixels 0..255.

    Args:
        image: the image array.
        model_size: `(height, width)` of the model input.
        mode: `"letterbox"` keeps the aspect ratio (black borders), `"stretch"`
            scales each axis to fill the input.
        box: `(x, y, w, h)` of a person for a top-down keypoint model: the box
            grown to the input's aspect ratio and by `padding`, as COCO crops
            train (`crop_transform`). None: the whole image.
        padding: box enlargement of `box`.
    """
    if mode not in FIT_MODES:
        raise ValueError(f"`mode` must be one of {FIT_MODES}. Received: mode={mode!r}")
    image = np.asarray(image)
    height, width = image.shape[:2]
    model_size = tuple(int(v) for v in model_size)
    if box is not None:
        center, scale = crop_transform(box, model_size, padding)
        scale = (scale, scale)
    elif mode == "stretch":
        center = np.array([(width - 1) / 2, (height - 1) / 2])
        scale = (width / model_size[1], height / model_size[0])
    else:
        # The whole image as a box whose edges are the outer pixel edges.
        center, scale = crop_transform((-0.5, -0.5, width, height), model_size, 1.0)
        scale = (scale, scale)
    fit = ImageFit(center=tuple(float(v) for v in center), scale=tuple(float(v) for v in scale),
                   model_size=model_size, image_size=(int(height), int(width)))
    if (height, width) == model_size and fit.scale == (1.0, 1.0) and box is None:
        return image.astype(np.float32, copy=False), fit
    if box is None and image.dtype == np.uint8:
        return _pillow_warp(image, fit), fit
    # Person crops warp as the COCO training crops do (float, `warp_crop`).
    return warp_crop(image.astype(np.float32, copy=False), np.asarray(fit.center),
                     fit.scale, model_size), fit
