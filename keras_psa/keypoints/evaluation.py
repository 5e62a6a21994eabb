"""Keypoint scores of a model on labelled examples: OKS AP (COCOeval) and PCK."""

import dataclasses

import numpy as np

from keras_psa.keypoints.decoding import decode_heatmaps
from keras_psa.keypoints.oks import coco_oks_ap

PCK_THRESHOLD = 0.1


@dataclasses.dataclass
class KeypointScores:
    """Keypoint accuracy on a labelled set.

    Args:
        ap, ap50, ap75, ar: COCO OKS average precision (mean over OKS
            0.50:0.95), at OKS 0.5 and 0.75, and average recall.
        pck: fraction of labeled joints within `PCK_THRESHOLD` x the longer
            box side of their label (PCK@0.1 of the box size).
        pck_per_joint: the same per joint name.
        mean_error_px: mean distance of labeled joints to their label, pixels.
        num_examples: examples evaluated.
    """

    ap: float
    ap50: float
    ap75: float
    ar: float
    pck: float
    pck_per_joint: dict
    mean_error_px: float
    num_examples: int

    def to_dict(self):
        return dataclasses.asdict(self)

    def summary(self):
        return (f"OKS AP {self.ap:.4f} (AP50 {self.ap50:.4f}, AP75 {self.ap75:.4f}), "
                f"PCK@{PCK_THRESHOLD:g} {self.pck:.4f}, mean error {self.mean_error_px:.2f} px "
                f"on {self.num_examples} examples")


def pck(predictions, keypoints, visibility, bbox, threshold=PCK_THRESHOLD):
    """`(overall, per joint)` PCK: labeled joints within `threshold` x max(box w, h)."""
    predictions = np.asarray(predictions, np.float64)
    distance = np.linalg.norm(predictions[..., :2] - np.asarray(keypoints, np.float64), axis=-1)
    size = np.max(np.asarray(bbox, np.float64)[:, 2:], axis=1, keepdims=True)
    labeled = np.asarray(visibility) > 0
    correct = (distance <= threshold * size) & labeled
    per_joint = correct.sum(axis=0) / np.maximum(labeled.sum(axis=0), 1)
    return float(correct.sum() / max(labeled.sum(), 1)), per_joint


def score_keypoints(predictions, examples, skeleton=None):
    """`KeypointScores` of decoded predictions (N, K, 3) against `keypoint_examples`."""
    skeleton = skeleton or examples["skeleton"]
    image_size = examples["images"].shape[1:3]
    coco = coco_oks_ap(predictions, examples["keypoints"], examples["visibility"],
                       examples["bbox"], examples["area"], skeleton, image_size)
    overall, per_joint = pck(predictions, examples["keypoints"], examples["visibility"],
                             examples["bbox"])
    labeled = examples["visibility"] > 0
    error = np.linalg.norm(np.asarray(predictions)[..., :2] - examples["keypoints"], axis=-1)
    return KeypointScores(
        ap=coco["ap"], ap50=coco["ap50"], ap75=coco["ap75"], ar=coco["ar"], pck=overall,
        pck_per_joint={name: float(v) for name, v in zip(skeleton.joint_names, per_joint)},
        mean_error_px=float(error[labeled].mean()) if labeled.any() else float("nan"),
        num_examples=int(len(predictions)),
    )


def blur_kernel_for(sigma):
    """DARK's smoothing kernel for targets of `sigma`: odd, about 6 sigma - 1 (11 at 2)."""
    return max(3, int(round(6 * sigma - 1)) // 2 * 2 + 1)


def heatmap_keypoints(heatmaps, input_size, sigma):
    """`[x, y, score]` (N, K, 3) in input pixels of heatmaps (N, h, w, K), smoothed as
    targets of `sigma` are: the one decoding of training's scores, QAT's and `Predictor`'s
    (predict and evaluate)."""
    return decode_heatmaps(np.asarray(heatmaps), input_size, blur_kernel=blur_kernel_for(sigma))


def predict_keypoints(predict, images, input_size, sigma, batch_size=16):
    """Decoded keypoints (N, K, 3) of `predict(images_batch) -> heatmaps` over `images`,
    images already at the model's input size (validation examples)."""
    decoded = [heatmap_keypoints(predict(images[start:start + batch_size]), input_size, sigma)
               for start in range(0, len(images), batch_size)]
    return np.concatenate(decoded)


def mean_keypoint_shift(first, second, visibility=None):
    """Mean distance in pixels between two sets of decoded keypoints (N, K, >=2)."""
    distance = np.linalg.norm(np.asarray(first)[..., :2] - np.asarray(second)[..., :2], axis=-1)
    if visibility is not None:
        distance = distance[np.asarray(visibility) > 0]
    return float(distance.mean())
