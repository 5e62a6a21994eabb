"""render_heatmaps / decode_heatmaps: UDP convention, sub-pixel exactness, robustness."""

import numpy as np
import pytest

from keras_psa.keypoints import decode_heatmaps
from keras_psa.keypoints import pack_targets
from keras_psa.keypoints import render_heatmaps
from keras_psa.keypoints import unpack_targets
from keras_psa.keypoints.evaluation import blur_kernel_for

pytestmark = pytest.mark.flavor_independent


@pytest.mark.parametrize("heatmap_size, input_size, sigma", [
    ((64, 48), (64, 48), 2.0),     # the models' full-resolution heatmaps
    ((32, 24), (128, 96), 1.5),    # stride 4, as HRNet / UDP
    ((48, 36), (256, 192), 2.0),   # a scale that is not a power of two
])
def test_subpixel_gaussians_decode_within_five_hundredths_of_a_pixel(heatmap_size,
                                                                       input_size, sigma):
    rng = np.random.default_rng(0)
    height, width = input_size
    margin = 4 * sigma * (height - 1) / (heatmap_size[0] - 1)  # away from the borders
    keypoints = rng.uniform([margin, margin], [width - 1 - margin, height - 1 - margin],
                            size=(3, 17, 2))
    heatmaps, weights = render_heatmaps(keypoints, np.full((3, 17), 2), heatmap_size,
                                        input_size, sigma)
    assert heatmaps.shape == (3, *heatmap_size, 17) and (weights == 1).all()
    decoded = decode_heatmaps(heatmaps, input_size)
    assert decoded.shape == (3, 17, 3)
    assert np.abs(decoded[..., :2] - keypoints).max() < 0.05
    # DARK's smoothing keeps the answer within the tolerance too.
    smoothed = decode_heatmaps(heatmaps, input_size, blur_kernel=blur_kernel_for(sigma))
    assert np.abs(smoothed[..., :2] - keypoints).max() < 0.05
    # The score is the channel's peak: close to 1 for a rendered target.
    assert (decoded[..., 2] > 0.85).all() and (decoded[..., 2] <= 1.0).all()


def test_plain_argmax_would_be_biased():
    # The refinement is what makes decoding unbiased: the integer argmax is off.
    keypoints = np.array([[10.4, 20.3], [30.7, 5.6]])
    heatmaps, _ = render_heatmaps(keypoints, np.array([2, 2]), (64, 48), (64, 48), 2.0)
    flat = heatmaps.reshape(-1, 2).argmax(axis=0)
    argmax = np.stack([flat % 48, flat // 48], axis=1)
    assert np.abs(argmax - keypoints).max() > 0.25
    np.testing.assert_allclose(decode_heatmaps(heatmaps, (64, 48))[:, :2], keypoints,
                               atol=1e-3)


def test_udp_scale_is_first_to_last_pixel():
    # The last input pixel maps to the last heatmap pixel.
    heatmaps, _ = render_heatmaps(np.array([[95.0, 127.0]]), np.array([2]), (32, 24),
                                  (128, 96), 1.0)
    assert heatmaps[-1, -1, 0] == pytest.approx(1.0)


def test_unlabeled_and_outside_joints_get_zero_weight_and_empty_channels():
    keypoints = np.array([[10.0, 10.0], [10.0, 10.0], [60.0, 10.0], [-1.0, 5.0]])
    heatmaps, weights = render_heatmaps(keypoints, np.array([2, 0, 1, 2]), (64, 48),
                                        (64, 48), 2.0)
    np.testing.assert_array_equal(weights, [1, 0, 0, 0])
    assert (heatmaps[..., 1:] == 0).all()
    packed = pack_targets(heatmaps, weights)
    assert (packed[..., 1:] == -1).all() and packed[..., 0].max() == pytest.approx(1.0)
    unpacked, unpacked_weights = unpack_targets(packed)
    np.testing.assert_array_equal(unpacked, heatmaps)
    np.testing.assert_array_equal(unpacked_weights, weights)


def test_noisy_predictions_decode_near_the_peak_and_border_peaks_stay_finite():
    rng = np.random.default_rng(1)
    keypoints = np.array([[20.3, 30.8], [0.0, 0.0], [47.0, 63.0]])
    heatmaps, _ = render_heatmaps(keypoints, np.array([2, 2, 2]), (64, 48), (64, 48), 2.0)
    noisy = np.clip(heatmaps * 0.8 + rng.normal(0, 0.03, heatmaps.shape), 0, None)
    decoded = decode_heatmaps(noisy, (64, 48), blur_kernel=11)
    assert np.isfinite(decoded).all()
    assert np.linalg.norm(decoded[0, :2] - keypoints[0]) < 0.5
    assert np.linalg.norm(decoded[1:, :2] - keypoints[1:], axis=1).max() < 1.5
    # An all-zero channel decodes to a finite point with score 0.
    empty = decode_heatmaps(np.zeros((64, 48, 1)), (64, 48))
    assert np.isfinite(empty).all() and empty[0, 2] == 0


@pytest.mark.parametrize("call, message", [
    (lambda: render_heatmaps(np.zeros((3, 3)), np.zeros(3), (8, 8), (8, 8), 1.0),
     "`keypoints` must have shape"),
    (lambda: render_heatmaps(np.zeros((3, 2)), np.zeros(4), (8, 8), (8, 8), 1.0),
     "`visibility` must have shape"),
    (lambda: render_heatmaps(np.zeros((3, 2)), np.zeros(3), (8, 8), (8, 8), 0.0),
     "`sigma` must be a positive number"),
    (lambda: render_heatmaps(np.zeros((3, 2)), np.zeros(3), 8, (8, 8), 1.0),
     "`heatmap_size` must be a"),
    (lambda: decode_heatmaps(np.zeros((8, 8)), (8, 8)), "`heatmaps` must have shape"),
    (lambda: decode_heatmaps(np.zeros((8, 8, 2)), (8, 8), blur_kernel=4),
     "`blur_kernel` must be None, 0 or an odd int"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
