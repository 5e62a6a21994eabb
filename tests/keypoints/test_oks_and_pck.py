"""OKS AP through pycocotools' COCOeval with the skeleton's sigmas, and PCK."""

import numpy as np
import pytest

from keras_psa.data import keypoint_examples
from keras_psa.keypoints import FIGURE_SKELETON
from keras_psa.keypoints import coco_oks_ap
from keras_psa.keypoints import pck
from keras_psa.keypoints import score_keypoints

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def examples():
    return keypoint_examples("figures", (64, 48), split="val", count=12)


def _perfect(examples):
    return np.concatenate([examples["keypoints"], np.ones((*examples["visibility"].shape, 1))],
                          axis=-1)


def test_exact_predictions_score_one(examples):
    scores = score_keypoints(_perfect(examples), examples)
    assert scores.ap == pytest.approx(1.0) and scores.ap50 == pytest.approx(1.0)
    assert scores.pck == 1.0 and scores.mean_error_px == pytest.approx(0.0, abs=1e-5)
    assert set(scores.pck_per_joint) == set(FIGURE_SKELETON.joint_names)
    assert "OKS AP 1.0000" in scores.summary()


def test_ap_counts_the_oks_thresholds_a_known_shift_passes(examples):
    # One person, every joint moved by d: OKS = mean_j exp(-d² / (2 area (2 σ_j)²)),
    # COCOeval's formula. Its AP is the fraction of thresholds 0.50:0.05:0.95 <= OKS.
    one = {key: value[:1] for key, value in examples.items() if key != "skeleton"}
    sigmas = np.asarray(FIGURE_SKELETON.sigmas)
    labeled = one["visibility"][0] > 0
    area = float(one["area"][0])
    for target in (0.72, 0.93, 0.3):
        distance = _distance_for_oks(target, sigmas[labeled], area)
        predicted = _perfect(one)
        predicted[..., 0] += distance
        oks = np.mean(np.exp(-distance ** 2 / (2 * area * (2 * sigmas[labeled]) ** 2)))
        expected_ap = np.mean(np.arange(0.5, 0.96, 0.05) <= oks + 1e-12)
        result = coco_oks_ap(predicted, one["keypoints"], one["visibility"], one["bbox"],
                             one["area"], FIGURE_SKELETON, (64, 48))
        assert result["ap"] == pytest.approx(expected_ap, abs=1e-6), (target, oks)
        assert result["ap50"] == pytest.approx(1.0 if oks >= 0.5 else 0.0)
        assert result["ap75"] == pytest.approx(1.0 if oks >= 0.75 else 0.0)


def _distance_for_oks(target, sigmas, area):
    low, high = 0.0, 100.0
    for _ in range(60):  # bisection on the monotone OKS(d)
        middle = (low + high) / 2
        oks = np.mean(np.exp(-middle ** 2 / (2 * area * (2 * sigmas) ** 2)))
        low, high = (middle, high) if oks > target else (low, middle)
    return low


def test_confident_wrong_predictions_rank_below_right_ones(examples):
    predicted = _perfect(examples)
    predicted[:6, :, :2] += 30.0           # half the people badly wrong ...
    predicted[:6, :, 2] = 0.9              # ... but scored lower than the right half
    good_first = coco_oks_ap(predicted, examples["keypoints"], examples["visibility"],
                             examples["bbox"], examples["area"], FIGURE_SKELETON, (64, 48))
    predicted[:6, :, 2] = 1.0
    predicted[6:, :, 2] = 0.5               # now the wrong ones come first
    bad_first = coco_oks_ap(predicted, examples["keypoints"], examples["visibility"],
                            examples["bbox"], examples["area"], FIGURE_SKELETON, (64, 48))
    assert good_first["ap"] > bad_first["ap"] > 0.0
    assert good_first["ar"] == pytest.approx(0.5) == pytest.approx(bad_first["ar"])


def test_pck_uses_a_tenth_of_the_longer_box_side():
    keypoints = np.zeros((1, 2, 2))
    predictions = np.array([[[3.9, 0.0, 1.0], [4.1, 0.0, 1.0]]])
    overall, per_joint = pck(predictions, keypoints, np.array([[2, 1]]),
                             np.array([[0, 0, 40, 20]]))
    assert overall == 0.5 and per_joint.tolist() == [1.0, 0.0]
    overall, _ = pck(predictions, keypoints, np.array([[2, 0]]), np.array([[0, 0, 40, 20]]))
    assert overall == 1.0  # the unlabeled joint does not count


def test_prediction_shape_is_checked(examples):
    with pytest.raises(ValueError, match=r"`predictions` must have shape \(N, 14, 3\)"):
        coco_oks_ap(np.zeros((12, 17, 3)), examples["keypoints"], examples["visibility"],
                    examples["bbox"], examples["area"], FIGURE_SKELETON, (64, 48))
