"""build_optimizer_variables: the train step traced once, not twice."""

import numpy as np

from keras_psa.keras_flavor import keras
from keras_psa.training.optimizer_variables import build_optimizer_variables


def _traces_of_one_fit(build_first):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same")(inputs))
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")
    if build_first:
        build_optimizer_variables(model)
        assert model.optimizer.variables
    traces = []
    train_step = model.train_step

    def counted(data):  # Python runs only while the train function is traced
        traces.append(1)
        return train_step(data)

    model.train_step = counted
    images = np.random.default_rng(0).random((4, 8, 8, 3), np.float32)
    history = model.fit(images, images[..., :2], batch_size=2, epochs=1, verbose=0)
    return len(traces), history.history["loss"][0]


def test_variables_made_first_trace_the_train_step_once_with_the_same_loss():
    late_traces, late_loss = _traces_of_one_fit(build_first=False)
    early_traces, early_loss = _traces_of_one_fit(build_first=True)
    # Variables created in the first trace make tf.function trace again.
    assert (late_traces, early_traces) == (2, 1)
    assert early_loss == late_loss
