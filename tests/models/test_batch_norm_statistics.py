import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.models import set_batch_norm_statistics


def _model():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.99, name="bn")(x)
    return keras.Model(inputs, x)


def test_moving_statistics_become_those_of_the_images():
    model = _model()
    images = np.random.default_rng(0).uniform(0, 255, (6, 8, 8, 3)).astype("float32")
    kernel = model.get_layer("conv").get_weights()
    assert set_batch_norm_statistics(model, images) == 1
    bn = model.get_layer("bn")
    features = keras.Model(model.input, model.get_layer("conv").output)(images).numpy()
    np.testing.assert_allclose(bn.moving_mean.numpy(), features.mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-3)
    # Keras normalises with the biased batch variance in training mode; the moving
    # variance takes the same value (within the unbiasing factor n / (n - 1)).
    np.testing.assert_allclose(bn.moving_variance.numpy(), features.var(axis=(0, 1, 2)),
                               rtol=0.01)
    assert bn.momentum == 0.99  # restored
    for before, after in zip(kernel, model.get_layer("conv").get_weights()):
        np.testing.assert_array_equal(before, after)
    # In inference mode the output is now normalised.
    out = model(images, training=False).numpy()
    assert abs(out.mean()) < 0.05 and 0.9 < out.std() < 1.1


def test_rejects_a_single_image():
    with pytest.raises(ValueError, match="N >= 2"):
        set_batch_norm_statistics(_model(), np.zeros((1, 8, 8, 3), "float32"))
