import itertools

import numpy as np
import pytest

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.models import ATTENTIONS
from keras_psa.models import BACKBONES
from keras_psa.models import HEADS
from keras_psa.models import build_heatmap_model
from keras_psa.models import build_segmentation_model
from keras_psa.training.optimizer_variables import build_optimizer_variables
from tests.backend import dtype_name
from tests.backend import to_numpy

TINY = {"input_shape": (64, 64, 3), "alpha": 0.35, "head_filters": 16}
V3_ALPHA = 0.75  # smallest MobileNetV3 width with stage outputs >= 8 channels


def _tiny(backbone, **kwargs):
    config = dict(TINY)
    if backbone != "mobilenet_v2":
        config["alpha"] = V3_ALPHA
    config.update(kwargs)
    return build_segmentation_model(backbone, 3, **config)


def _images(n=2, height=64, width=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, height, width, 3)).astype("float32")


def _labels(n=2, height=64, width=64, seed=1):
    return np.random.default_rng(seed).integers(0, 3, (n, height, width)).astype("int32")


def _cross_product():
    """Every (backbone, head, attention); those off a diagonal that meets each backbone, head
    and attention once are `slow`, so `make test-fast` still builds every part."""
    parts = [list(BACKBONES), list(HEADS), list(ATTENTIONS)]
    diagonal = {tuple(part[i % len(part)] for part in parts)
                for i in range(max(map(len, parts)))}
    slow = (pytest.mark.slow, pytest.mark.cost(4))  # seconds each, eager
    return [pytest.param(*combination, marks=() if combination in diagonal else slow)
            for combination in itertools.product(*parts)]


# The cross product runs in the Keras 3 pass only, to keep CI short;
# the tf_keras pass builds and trains through the other tests of this file.
@pytest.mark.keras3_only
@pytest.mark.parametrize("backbone,head,attention", _cross_product())
def test_every_combination_builds_and_trains_a_step(backbone, head, attention):
    model = _tiny(backbone, head=head, attention=attention,
                  attention_positions=("head", "stride8"))
    assert isinstance(model, keras.Model)
    assert model.output_shape == (None, 64, 64, 3)
    before = [w.copy() for w in model.get_weights()]
    # Eager keeps the step cheap for the whole cross product; graph mode is
    # covered by test_graph_mode_training.
    model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(_images(), _labels(), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert sum(changed) > len(changed) // 2
    if attention is not None:
        assert model.get_layer("head_attention") is not None
        assert model.get_layer("stride8_attention") is not None


@pytest.mark.slow
@pytest.mark.parametrize("head", list(HEADS))
def test_graph_mode_training_alpha_1(head):
    model = build_segmentation_model("mobilenet_v3_large", 3, input_shape=(96, 96, 3), head=head,
                                     attention="psa_s", attention_positions=("head", "stride16"))
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    build_optimizer_variables(model)  # the train step traced once
    history = model.fit(_images(height=96, width=96), _labels(height=96, width=96), verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.slow
@pytest.mark.all_backends
def test_graph_mode_training():
    model = _tiny("mobilenet_v2", attention="psa_p", psa_variant="official")
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    build_optimizer_variables(model)
    history = model.fit(_images(), _labels(), batch_size=2, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["loss"]))


@pytest.mark.all_backends
def test_dynamic_spatial_size():
    model = _tiny("mobilenet_v3_small", input_shape=(None, None, 3), head="deeplabv3plus",
                  attention="psa_p")
    assert model.output_shape == (None, None, None, 3)
    for height, width in ((64, 64), (96, 80), (50, 70)):
        assert model(_images(1, height, width)).shape == (1, height, width, 3)


@pytest.mark.all_backends
def test_static_batch_one():
    model = _tiny("mobilenet_v2", batch_size=1, attention="cbam",
                  attention_positions=("head", "stride16"))
    assert model.input_shape == (1, 64, 64, 3)
    assert model.output_shape == (1, 64, 64, 3)
    assert model(_images(1)).shape == (1, 64, 64, 3)


def test_preprocessing_inside_the_model():
    raw = _tiny("mobilenet_v2", attention=None)
    scaled = _tiny("mobilenet_v2", attention=None, include_preprocessing=False)
    scaled.set_weights(raw.get_weights())
    images = _images(1)
    np.testing.assert_allclose(
        raw(images).numpy(), scaled(images / 127.5 - 1.0).numpy(), rtol=1e-4, atol=1e-4
    )


@pytest.mark.all_backends
def test_labels_output_is_int32_argmax():
    model = _tiny("mobilenet_v2", attention="se", output="logits_and_labels")
    outputs = model(_images(1))
    assert dtype_name(outputs["labels"]) == "int32"
    assert outputs["labels"].shape == (1, 64, 64)
    np.testing.assert_array_equal(to_numpy(outputs["labels"]),
                                  np.argmax(to_numpy(outputs["logits"]), axis=-1))


@pytest.mark.all_backends
def test_attention_positions_are_respected():
    model = _tiny("mobilenet_v2", attention="se", attention_positions=("stride4", "stride16"))
    names = {layer.name for layer in model.layers}
    assert {"stride4_attention", "stride16_attention"} <= names
    assert "head_attention" not in names and "stride8_attention" not in names
    plain = _tiny("mobilenet_v2", attention=None, attention_positions=("stride4",))
    assert not [layer for layer in plain.layers if layer.name.endswith("_attention")]


@pytest.mark.all_backends
@pytest.mark.parametrize("attention", ["psa_p", "psa_s"])
def test_save_and_reload_keras_format_safe_mode(tmp_path, attention):
    model = _tiny("mobilenet_v3_small", attention=attention, psa_variant="paper",
                  attention_positions=("head", "stride8"), output="logits_and_labels")
    path = str(tmp_path / "model.keras")
    model.save(path)
    kwargs = {} if USING_TF_KERAS else {"safe_mode": True}
    reloaded = keras.models.load_model(path, **kwargs)
    images = _images(1)
    want, got = model(images), reloaded(images)
    np.testing.assert_allclose(to_numpy(got["logits"]), to_numpy(want["logits"]),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(to_numpy(got["labels"]), to_numpy(want["labels"]))


@pytest.mark.all_backends
def test_heatmap_model():
    model = build_heatmap_model("mobilenet_v2", 5, input_shape=(64, 64, 3), alpha=0.35,
                                head_filters=16, attention="psa_p")
    heatmaps = to_numpy(model(_images(1)))
    # The FPN head at stride 4, PSA on its stride-4 features before the prediction layer.
    assert heatmaps.shape == (1, 16, 16, 5)
    assert heatmaps.min() >= 0.0 and heatmaps.max() <= 1.0
    assert model.get_layer("head_attention").input.shape[1:3] == (16, 16)
    # Other heads are resized to stride 4, or to the input's size with output_stride=1.
    for head, output_stride, size in (("lraspp", 4, 16), ("lraspp", 1, 64), ("fpn", 1, 64)):
        model = build_heatmap_model("mobilenet_v2", 5, input_shape=(64, 64, 3), alpha=0.35,
                                    head_filters=16, head=head, output_stride=output_stride)
        assert model.output_shape == (None, size, size, 5), (head, output_stride)
    with pytest.raises(ValueError, match="`activation` must be one of"):
        build_heatmap_model("mobilenet_v2", 5, activation="softmax")
    with pytest.raises(ValueError, match="`output_stride` must be one of"):
        build_heatmap_model("mobilenet_v2", 5, output_stride=8)


@pytest.mark.all_backends
@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"backbone": "resnet50"}, ValueError, "`backbone` must be one of"),
        ({"head": "unet"}, ValueError, "`head` must be one of"),
        ({"attention": "nonlocal"}, ValueError, "`attention` must be one of"),
        ({"psa_variant": "v3"}, ValueError, "`psa_variant` must be one of"),
        ({"num_classes": 0}, ValueError, "`channels` must be a positive int"),
        ({"num_classes": 2.5}, TypeError, "`channels` must be a positive int"),
        ({"num_classes": True}, TypeError, "`channels` must be a positive int"),
        ({"input_shape": (64, 64)}, ValueError, "`input_shape` must be"),
        ({"input_shape": (64, 64, 1)}, ValueError, "`input_shape` must be"),
        ({"input_shape": (16, 64, 3)}, ValueError, "`input_shape` must be"),
        ({"attention_positions": ("neck",)}, ValueError, "`attention_positions` must be"),
        ({"batch_size": 0}, ValueError, "`batch_size` must be a positive int"),
        ({"alpha": -1.0}, ValueError, "`alpha` must be a positive float"),
        ({"output": "probabilities"}, ValueError, "`output` must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    arguments = {"backbone": "mobilenet_v2", "num_classes": 3, "alpha": 0.35}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        build_segmentation_model(**arguments)
