"""Keypoint heatmaps: skeletons, targets, unbiased decoding, OKS AP and PCK."""

from keras_psa.keypoints.decoding import decode_heatmaps
from keras_psa.keypoints.heatmaps import pack_targets
from keras_psa.keypoints.heatmaps import render_heatmaps
from keras_psa.keypoints.heatmaps import unpack_targets
from keras_psa.keypoints.skeleton import COCO_SKELETON
from keras_psa.keypoints.skeleton import FIGURE_SKELETON
from keras_psa.keypoints.skeleton import Skeleton

__all__ = [
    "COCO_SKELETON",
    "FIGURE_SKELETON",
    "Skeleton",
    "decode_heatmaps",
    "pack_targets",
    "render_heatmaps",
    "unpack_targets",
]
