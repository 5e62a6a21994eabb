"""Keypoint heatmaps: skeletons, targets, unbiased decoding, OKS AP and PCK."""

from keras_psa.keypoints.decoding import decode_heatmaps
from keras_psa.keypoints.evaluation import KeypointScores
from keras_psa.keypoints.evaluation import pck
from keras_psa.keypoints.evaluation import predict_keypoints
from keras_psa.keypoints.evaluation import score_keypoints
from keras_psa.keypoints.heatmaps import pack_targets
from keras_psa.keypoints.heatmaps import render_heatmaps
from keras_psa.keypoints.heatmaps import unpack_targets
from keras_psa.keypoints.oks import coco_oks_ap
from keras_psa.keypoints.skeleton import COCO_SKELETON
from keras_psa.keypoints.skeleton import FIGURE_SKELETON
from keras_psa.keypoints.skeleton import Skeleton

__all__ = [
    "COCO_SKELETON",
    "FIGURE_SKELETON",
    "KeypointScores",
    "Skeleton",
    "coco_oks_ap",
    "decode_heatmaps",
    "pack_targets",
    "pck",
    "predict_keypoints",
    "render_heatmaps",
    "score_keypoints",
    "unpack_targets",
]
