"""Rebuilds loaded Keras models with a pinned input (loading itself: keras_psa.saving)."""

from keras_psa.keras_flavor import keras


def keras_module_of(model):
    """Returns the Keras module (Keras 3 or tf_keras) that `model` belongs to."""
    if type(model).__module__.split(".")[0] == "tf_keras" or any(
        c.__module__.startswith("tf_keras") for c in type(model).__mro__
    ):
        import tf_keras

        return tf_keras
    return keras


def _is_hard_swish_activation(layer):
    activation = getattr(layer, "activation", None)
    return (type(layer).__name__ == "Activation"
            and getattr(activation, "__name__", activation) in ("hard_swish", "hard_silu"))


def _clone_layer(layer, decompose_hard_swish):
    if decompose_hard_swish and _is_hard_swish_activation(layer):
        from keras_psa.layers.decomposed_hard_swish import DecomposedHardSwish

        return DecomposedHardSwish(name=layer.name)
    return layer.__class__.from_config(layer.get_config())


def with_static_input(model, input_size=None, batch_size=1, decompose_hard_swish=False):
    """Rebuilds a Functional/Sequential model on `Input(batch_size, H, W, C)`.

    Every shape in the traced graph then is a constant, so reshapes and
    reductions lower to constant-shape TFLite ops that the GPU delegate takes.
    Weights are copied from `model`.

    Args:
        model: a built Keras model with one 4-D image input.
        input_size: `(H, W)`; defaults to the model's own (must then be known).
        batch_size: static batch, 1 for mobile.
        decompose_hard_swish: replace `Activation("hard_swish")` layers (Keras
            3's MobileNetV3) by `DecomposedHardSwish`, which int8 XNNPACK runs.
            tf_keras' MobileNetV3 spells hard-swish as a `Multiply` of
            layers and is left as it is.
    """
    module = keras_module_of(model)
    shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    if shape is None or len(shape) != 4:
        raise ValueError(
            "`model` must have one 4-D image input (B, H, W, C). "
            f"Received: input shape={shape}"
        )
    if input_size is None:
        input_size = shape[1:3]
    height, width = (int(d) if d is not None else None for d in input_size)
    if height is None or width is None:
        raise ValueError(
            "`input_size` must be given when the model's input size is not fixed. "
            f"Received: model input shape={shape}"
        )
    if len(model.inputs) != 1:
        raise ValueError(f"`model` must have exactly one input. Received: {len(model.inputs)}")
    new_input = module.Input(shape=(height, width, shape[3]), batch_size=batch_size,
                             name=model.inputs[0].name.split(":")[0] or "image")
    clone = module.models.clone_model(
        model, input_tensors=new_input,
        clone_function=lambda layer: _clone_layer(layer, decompose_hard_swish))
    clone.set_weights(model.get_weights())
    return clone
