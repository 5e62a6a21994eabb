"""The pixel range a Keras model takes, read from the `Rescaling` at its input."""

import math

# Images of keras_psa.data's named datasets are RGB in 0..255.
DATASET_PIXEL_RANGE = (0.0, 255.0)


def _first_layer(model):
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    if not layers:
        return None
    first = layers[0]
    # keras.applications models nested as one layer keep their Rescaling inside.
    if hasattr(first, "layers") and getattr(first, "inputs", None):
        return _first_layer(first)
    return first


def _round(value):
    return float(round(value, 4)) if math.isfinite(value) else value


def model_input_range(model):
    """Returns `(low, high)` of the inputs `model` expects, or None when unknown.

    A `Rescaling(scale, offset)` right after the input says it: with a
    negative offset it maps the inputs to [-1, 1] (MobileNet's
    preprocessing: scale 1/127.5, offset -1 takes 0..255), otherwise to
    [0, 1] (scale 1/255 takes 0..255). Every model the package builds with
    `include_preprocessing=True` starts so. Without it the range cannot be
    known from the model.
    """
    layer = _first_layer(model)
    if layer is None or type(layer).__name__ != "Rescaling":
        return None
    scale, offset = layer.scale, layer.offset
    try:
        scale, offset = float(scale), float(offset)
    except (TypeError, ValueError):  # per-channel rescaling: no single range
        return None
    if scale <= 0:
        return None
    low_out = -1.0 if offset < 0 else 0.0
    return (_round((low_out - offset) / scale), _round((1.0 - offset) / scale))


def resolve_pixel_range(model, pixel_range, *, needed_for):
    """The pixel range to calibrate and compare with: the model's, or the given one.

    Args:
        model: the Keras model (None for a graph-only SavedModel).
        pixel_range: `(low, high)` given by the user, or None.
        needed_for: what needs it, for the error message.

    Raises:
        ValueError: no range given and none readable from the model, or a
            given range that contradicts the model's `Rescaling`.
    """
    known = model_input_range(model) if model is not None else None
    if pixel_range is None:
        if known is None:
            raise ValueError(
                f"`pixel_range` must be given for {needed_for}: this model's input range "
                "cannot be read from it (no Rescaling layer at its input). Pass the range of "
                "the images it was trained on, e.g. pixel_range=(0, 255) (command line: "
                "--pixel-range 0 255), or give real calibration images. Received: "
                "pixel_range=None"
            )
        return known
    pixel_range = tuple(float(v) for v in pixel_range)
    if len(pixel_range) != 2 or not pixel_range[0] < pixel_range[1]:
        raise ValueError(f"`pixel_range` must be (low, high) with low < high. "
                         f"Received: pixel_range={pixel_range}")
    if known is not None and not all(math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-3)
                                     for a, b in zip(pixel_range, known)):
        raise ValueError(
            f"`pixel_range` must match the range the model takes: its input Rescaling maps "
            f"{known[0]:g}..{known[1]:g}. Calibrating or checking it on other images gives "
            "int8 scales and parity figures that do not hold on real inputs. Leave "
            f"pixel_range out (it is read from the model) or pass {known}. "
            f"Received: pixel_range={pixel_range}"
        )
    return pixel_range
