"""Float <-> quantized conversion for a model's int8/uint8 inputs and outputs."""

import numpy as np


def _scale_zero_point(details):
    scale, zero_point = details.get("quantization", (0.0, 0))
    return float(scale), int(zero_point)


def to_model_input(array, details):
    """Casts a float array to the dtype of input `details`, quantizing if needed."""
    dtype = np.dtype(details["dtype"])
    array = np.asarray(array)
    scale, zero_point = _scale_zero_point(details)
    if dtype.kind in "iu" and scale > 0:
        info = np.iinfo(dtype)
        q = np.round(array.astype(np.float64) / scale) + zero_point
        return np.clip(q, info.min, info.max).astype(dtype)
    return array.astype(dtype)


def to_float_output(array, details):
    """Dequantizes an output of `details` to float32 (float outputs pass through)."""
    array = np.asarray(array)
    scale, zero_point = _scale_zero_point(details)
    if array.dtype.kind in "iu" and scale > 0:
        return ((array.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return array
