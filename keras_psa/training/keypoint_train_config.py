"""Everything that defines one keypoint-heatmap training run."""

import dataclasses

from keras_psa.training.heatmap_mse import check_foreground_weight
from keras_psa.training.train_config import TrainConfig

ACTIVATIONS = ("sigmoid", "linear")
OUTPUT_STRIDES = (1, 4)


@dataclasses.dataclass
class KeypointTrainConfig(TrainConfig):
    """Arguments of `train_keypoints` (the flags of examples/train_keypoints.py).

    The fields of `TrainConfig`, with these differences:

    Args:
        attention: `"psa_s"` by default (the attention study: it doubles OKS
            AP on the figures, where `"psa_p"` adds nothing measurable).
        dataset: `"figures"` or `"coco:ROOT"` (see `load_keypoint_dataset`).
        image_size: (height, width) of the crops, e.g. (128, 96).
        train_examples: figures in the training split (None: 1000).
        val_examples: figures in the validation split (None: 200); OKS AP is
            measured on all of them at every epoch end.
        output_stride: 4 (heatmaps at a quarter of the input size, the
            default) or 1 (at the input's size); `build_heatmap_model`'s.
        sigma: target Gaussian sigma in heatmap pixels (None:
            `default_sigma` of the heatmap size).
        activation: the heatmaps' `"sigmoid"` or `"linear"` output.
        foreground_weight: extra loss weight of the pixels within 2 sigma of a
            joint (`HeatmapMSE`); 0 is plain heatmap MSE.
        flip: random horizontal flips (left/right joints swapped) in training.
    """

    output_dir: str = "runs/keypoints"
    dataset: str = "figures"
    image_size: tuple = (128, 96)
    head: str = "fpn"
    attention: str = "psa_s"
    output_stride: int = 4
    val_examples: int = None
    sigma: float = None
    activation: str = "linear"
    foreground_weight: float = 10.0
    flip: bool = True

    def validate(self):
        """Raises ValueError naming the first bad field."""
        size = self.image_size
        if (not isinstance(size, (tuple, list)) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 32
                           for v in size)):
            raise ValueError("`image_size` must be a (height, width) pair of ints >= 32. "
                             f"Received: image_size={size!r}")
        if self.val_examples is not None and (not isinstance(self.val_examples, int)
                                              or self.val_examples < 1):
            raise ValueError("`val_examples` must be None or a positive int. "
                             f"Received: val_examples={self.val_examples!r}")
        if self.output_stride not in OUTPUT_STRIDES or isinstance(self.output_stride, bool):
            raise ValueError(f"`output_stride` must be one of {OUTPUT_STRIDES}. "
                             f"Received: output_stride={self.output_stride!r}")
        if self.sigma is not None and not self.sigma > 0:
            raise ValueError(f"`sigma` must be None or positive. Received: sigma={self.sigma!r}")
        check_foreground_weight(self.foreground_weight)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"`activation` must be one of {ACTIVATIONS}. "
                             f"Received: activation={self.activation!r}")
        # The shared fields, checked by the segmentation config with a square size.
        TrainConfig.validate(dataclasses.replace(self, image_size=size[0]))
