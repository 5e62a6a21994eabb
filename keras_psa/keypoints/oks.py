"""COCO OKS average precision with pycocotools' own COCOeval."""

import contextlib
import io

import numpy as np

# COCOeval's summary order for iouType="keypoints".
STAT_NAMES = ("ap", "ap50", "ap75", "ap_medium", "ap_large", "ar", "ar50", "ar75",
              "ar_medium", "ar_large")


def _require_pycocotools():
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as error:
        raise ImportError(
            "OKS AP needs pycocotools: pip install 'keras-psa[data]' (or pycocotools)."
        ) from error
    return COCO, COCOeval


def coco_ground_truth(keypoints, visibility, bbox, area, skeleton, image_size):
    """A COCO keypoint dataset dict, one image and one person per example.

    Unlabeled joints (visibility 0) are written as `0, 0, 0`, as COCO does.
    """
    keypoints = np.asarray(keypoints, np.float64)
    visibility = np.asarray(visibility)
    height, width = image_size
    images, annotations = [], []
    for index in range(len(keypoints)):
        triples = np.concatenate([keypoints[index], visibility[index][:, None]], axis=1)
        triples[visibility[index] == 0] = 0.0
        images.append({"id": index + 1, "width": int(width), "height": int(height),
                       "file_name": f"{index:06d}.png"})
        annotations.append({
            "id": index + 1, "image_id": index + 1, "category_id": 1, "iscrowd": 0,
            "keypoints": triples.ravel().tolist(),
            "num_keypoints": int((visibility[index] > 0).sum()),
            "bbox": [float(v) for v in bbox[index]], "area": float(area[index]),
        })
    category = {"id": 1, "name": skeleton.name, "keypoints": list(skeleton.joint_names),
                "skeleton": [[a + 1, b + 1] for a, b in skeleton.limbs]}
    return {"images": images, "annotations": annotations, "categories": [category]}


def instance_scores(predictions, threshold=0.2):
    """One confidence per person: the mean joint score over joints above `threshold`
    (all joints when none is), the rescoring of HRNet/mmpose top-down evaluation."""
    scores = np.asarray(predictions, np.float64)[..., 2]
    above = scores > threshold
    counted = np.where(above.any(axis=-1, keepdims=True), above, True)
    return (scores * counted).sum(axis=-1) / counted.sum(axis=-1)


def coco_oks_ap(predictions, keypoints, visibility, bbox, area, skeleton, image_size):
    """COCO keypoint AP / AP50 / AP75 / AR of predictions against labels.

    Args:
        predictions: (N, K, 3) `[x, y, score]` per example (`decode_heatmaps`).
        keypoints, visibility, bbox, area: the labels, as `keypoint_examples`.
        skeleton: its `sigmas` are COCOeval's `kpt_oks_sigmas`.
        image_size: (height, width) of the examples.

    Returns:
        dict of `STAT_NAMES` -> float (COCOeval's -1 where an area range holds
        no person, e.g. `ap_large` of small crops).
    """
    COCO, COCOeval = _require_pycocotools()
    predictions = np.asarray(predictions, np.float64)
    if predictions.ndim != 3 or predictions.shape[1:] != (skeleton.num_joints, 3):
        raise ValueError(f"`predictions` must have shape (N, {skeleton.num_joints}, 3). "
                         f"Received: predictions.shape={predictions.shape}")
    if len(predictions) != len(keypoints):
        raise ValueError(f"`predictions` must have one entry per example ({len(keypoints)}). "
                         f"Received: {len(predictions)}")
    truth = coco_ground_truth(keypoints, visibility, bbox, area, skeleton, image_size)
    scores = instance_scores(predictions)
    detections = [{"image_id": index + 1, "category_id": 1,
                   "keypoints": predictions[index].ravel().tolist(),
                   "score": float(scores[index])} for index in range(len(predictions))]
    # COCO and COCOeval print progress; the caller reports the numbers.
    with contextlib.redirect_stdout(io.StringIO()):
        ground_truth = COCO()
        ground_truth.dataset = truth
        ground_truth.createIndex()
        results = ground_truth.loadRes(detections)
        evaluator = COCOeval(ground_truth, results, iouType="keypoints")
        evaluator.params.kpt_oks_sigmas = np.asarray(skeleton.sigmas, np.float64)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {name: float(value) for name, value in zip(STAT_NAMES, evaluator.stats)}
