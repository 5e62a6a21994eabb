"""HeatmapMSE's per-joint target weights, KeypointTrainConfig checks, KeypointEvaluation logs."""

import numpy as np
import pytest

from keras_psa.keypoints import pack_targets
from keras_psa.keypoints import render_heatmaps
from keras_psa.training import HeatmapMSE
from keras_psa.training import KeypointTrainConfig


def test_weight_zero_channels_add_nothing_but_count_in_the_mean():
    heatmaps, weights = render_heatmaps(np.array([[[10.0, 12.0], [5.0, 5.0]]]),
                                        np.array([[2, 0]]), (16, 12), (16, 12), 1.5)
    targets = pack_targets(heatmaps, weights)
    prediction = np.zeros_like(heatmaps)
    prediction[..., 1] = 7.0  # anything on the ignored joint is free
    loss = float(HeatmapMSE()(targets, prediction))
    expected = float((heatmaps[..., 0] ** 2).sum() / (16 * 12 * 2))
    assert loss == pytest.approx(expected, rel=1e-5)
    perfect = heatmaps.copy()
    perfect[..., 1] = -3.0
    assert float(HeatmapMSE()(targets, perfect)) == pytest.approx(0.0, abs=1e-9)
    weighted = float(HeatmapMSE(joint_weights=[2.0, 1.0])(targets, prediction))
    assert weighted == pytest.approx(2 * expected, rel=1e-5)


def test_foreground_weight_multiplies_the_pixels_within_two_sigma_of_a_joint():
    sigma = 1.5
    heatmaps, weights = render_heatmaps(np.array([[[10.0, 12.0], [5.0, 5.0]]]),
                                        np.array([[2, 0]]), (16, 12), (16, 12), sigma)
    targets = pack_targets(heatmaps, weights)
    prediction = np.zeros_like(heatmaps)
    yy, xx = np.mgrid[0:16, 0:12]
    near = ((xx - 10.0) ** 2 + (yy - 12.0) ** 2) < (2 * sigma) ** 2
    squared = heatmaps[0, ..., 0] ** 2
    expected = float((squared * np.where(near, 11.0, 1.0)).sum() / (16 * 12 * 2))
    loss = float(HeatmapMSE(foreground_weight=10.0)(targets, prediction))
    assert loss == pytest.approx(expected, rel=1e-5)
    assert loss > 5 * float(HeatmapMSE()(targets, prediction))
    # An error far from every joint costs what plain MSE charges.
    far = prediction.copy()
    far[0, 0, 0, 0] = 1.0
    added = float(HeatmapMSE(foreground_weight=10.0)(targets, far)) - loss
    assert added == pytest.approx(1.0 / (16 * 12 * 2), rel=1e-4)


@pytest.mark.parametrize("weight", [-1.0, "10", True, float("nan")])
def test_foreground_weight_must_be_a_number_at_least_zero(weight):
    with pytest.raises(ValueError, match="`foreground_weight` must be a number >= 0"):
        HeatmapMSE(foreground_weight=weight)


def test_loss_config_round_trips():
    loss = HeatmapMSE(joint_weights=[1.0, 2.0], foreground_weight=4.0)
    again = HeatmapMSE.from_config(loss.get_config())
    assert again.joint_weights == [1.0, 2.0] and again.name == "heatmap_mse"
    assert again.foreground_weight == 4.0


@pytest.mark.parametrize("changes, message", [
    (dict(image_size=128), "`image_size` must be a \\(height, width\\) pair"),
    (dict(image_size=(16, 12)), "`image_size` must be a \\(height, width\\) pair"),
    (dict(activation="relu"), "`activation` must be one of"),
    (dict(sigma=0), "`sigma` must be None or positive"),
    (dict(foreground_weight=-2.0), "`foreground_weight` must be a number >= 0"),
    (dict(val_examples=0), "`val_examples` must be None or a positive int"),
    (dict(batch_size=0), "`batch_size` must be a positive int"),
])
def test_config_names_the_bad_field(changes, message):
    with pytest.raises(ValueError, match=message):
        KeypointTrainConfig(**changes).validate()


@pytest.mark.flavor_independent
def test_evaluation_callback_writes_oks_ap_and_pck_into_the_logs():
    from keras_psa.data import keypoint_examples
    from keras_psa.keras_flavor import keras
    from keras_psa.training import KeypointEvaluation

    examples = keypoint_examples("figures", (64, 48), split="val", count=3)
    heatmaps, weights = render_heatmaps(examples["keypoints"], examples["visibility"],
                                        (64, 48), (64, 48), 2.0)
    # A "model" that returns the true heatmaps of the three images, by index.
    table = keras.layers.Embedding(3, 64 * 48 * 14)
    inputs = keras.Input((64, 48, 3))
    index = keras.layers.Lambda(lambda x: x[:, 0, 0, :1])(inputs)
    outputs = keras.layers.Reshape((64, 48, 14))(table(index))
    model = keras.Model(inputs, outputs)
    table.set_weights([heatmaps.reshape(3, -1)])
    examples["images"] = np.zeros_like(examples["images"])
    examples["images"][:, 0, 0, 0] = np.arange(3)
    callback = KeypointEvaluation(examples, sigma=2.0)
    callback.set_model(model)
    logs = {}
    callback.on_epoch_end(0, logs)
    assert logs["val_oks_ap"] == pytest.approx(1.0) and logs["val_pck"] == 1.0
    assert logs["val_mean_error_px"] < 0.05
    assert weights.shape == (3, 14)
