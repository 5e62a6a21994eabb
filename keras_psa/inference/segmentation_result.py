"""The result of a segmentation model on one image or video frame."""

import dataclasses

import numpy as np

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.inference.drawing import draw_mask_overlay
from keras_psa.inference.drawing import mask_image
from keras_psa.inference.drawing import png_bytes


@dataclasses.dataclass
class SegmentationResult:
    """A class mask at the image's own (displayed) size.

    Attributes:
        mask: uint8 (H, W) class indices.
        class_names: one name per class index.
        image: the uint8 RGB (H, W, 3) image, for drawing.
        source: the file it came from (None for an array).
        frame: the frame index in a video (None for an image).
        timing_ms: `{"model": ..., "total": ...}` milliseconds of this image.
    """

    mask: np.ndarray
    class_names: tuple
    image: np.ndarray = None
    source: str = None
    frame: int = None
    timing_ms: dict = None

    def pixels(self):
        """Pixels per class name."""
        counts = np.bincount(self.mask.ravel(), minlength=len(self.class_names))
        return {str(name): int(count) for name, count in zip(self.class_names, counts)}

    def to_dict(self, mask_file=None):
        height, width = self.mask.shape
        return {"source": self.source, "frame": self.frame, "width": int(width),
                "height": int(height), "mask": mask_file, "pixels": self.pixels()}

    def overlay(self):
        """uint8 (H, W, 3): the mask's colours over the image, with a legend."""
        return draw_mask_overlay(self.image, self.mask, self.class_names)

    def save_mask(self, path):
        """Writes the mask as an 8-bit palette PNG (pixel value = class index)."""
        return write_bytes_atomically(path, png_bytes(mask_image(self.mask,
                                                                 len(self.class_names))))
