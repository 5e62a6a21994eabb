"""Quick start: PSA in a functional model, trained, saved and reloaded.

Run with `python examples/quickstart.py`. Set TF_USE_LEGACY_KERAS=1 to run
the same code under tf_keras.
"""

import tempfile
from pathlib import Path

import numpy as np

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import keras
from keras_psa.saving import load_model

keras.utils.set_random_seed(0)
inputs = keras.Input((None, None, 3))
x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
x = PolarizedSelfAttention(layout="parallel")(x)
x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
x = PolarizedSelfAttention(layout="sequential", variant="official")(x)
outputs = keras.layers.Conv2D(4, 1)(keras.layers.UpSampling2D()(x))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

images = np.random.default_rng(0).uniform(size=(32, 32, 32, 3)).astype("float32")
labels = (images.mean(axis=-1) * 4).astype("int32").clip(0, 3)
history = model.fit(images, labels, batch_size=8, epochs=3, verbose=2)

path = Path(tempfile.mkdtemp()) / "quickstart.keras"
model.save(path)
reloaded = load_model(path)  # keras_psa.saving: refuses files that would run code
before, after = np.asarray(model(images[:4])), np.asarray(reloaded(images[:4]))
print(f"loss {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
print(f"saved to {path}; reloaded with keras_psa.saving.load_model (safe)")
print(f"outputs match after reload: {np.array_equal(before, after)} "
      f"(max abs difference {np.max(np.abs(before - after)):.1e})")
if not np.array_equal(before, after):
    raise SystemExit("reloaded model differs from the trained one")
