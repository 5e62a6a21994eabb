"""Loading PyTorch PSA weights into the Keras layers."""

import numpy as np

from keras_psa.layers.channel_polarized_attention import ChannelPolarizedAttention
from keras_psa.layers.polarized_self_attention import PolarizedSelfAttention
from keras_psa.layers.spatial_polarized_attention import SpatialPolarizedAttention

# Key sets that identify a state dict's origin, for error hints.
_SIGNATURES = {
    ("official", "sequential"): "conv_up.0.weight",
    ("official", "parallel"): "conv_up.weight",
    ("paper", None): "ch_wz.weight",
}


def _conv_entries(prefix, conv):
    entries = {prefix + ".weight": (conv.kernel, "conv")}
    if conv.use_bias:
        entries[prefix + ".bias"] = (conv.bias, "vector")
    return entries


def _channel_entries(branch):
    if branch.variant == "paper":
        entries = {}
        entries.update(_conv_entries("ch_wq", branch.query_conv))
        entries.update(_conv_entries("ch_wv", branch.value_conv))
        entries.update(_conv_entries("ch_wz", branch.up_conv))
        entries["ln.weight"] = (branch.gamma, "vector")
        entries["ln.bias"] = (branch.beta, "vector")
        return entries
    entries = {}
    entries.update(_conv_entries("conv_q_right", branch.query_conv))
    entries.update(_conv_entries("conv_v_right", branch.value_conv))
    if branch.layout == "parallel":
        entries.update(_conv_entries("conv_up", branch.up_conv))
    else:
        entries.update(_conv_entries("conv_up.0", branch.up_conv))
        entries["conv_up.1.weight"] = (branch.gamma, "vector")
        entries["conv_up.1.bias"] = (branch.beta, "vector")
        entries.update(_conv_entries("conv_up.3", branch.out_conv))
    return entries


def _spatial_entries(branch):
    if branch.variant == "paper":
        entries = _conv_entries("sp_wq", branch.query_conv)
        entries.update(_conv_entries("sp_wv", branch.value_conv))
        return entries
    entries = _conv_entries("conv_q_left", branch.query_conv)
    entries.update(_conv_entries("conv_v_left", branch.value_conv))
    return entries


def _entries(layer):
    if isinstance(layer, PolarizedSelfAttention):
        entries = _channel_entries(layer.channel_attention)
        entries.update(_spatial_entries(layer.spatial_attention))
        return entries
    if isinstance(layer, ChannelPolarizedAttention):
        return _channel_entries(layer)
    return _spatial_entries(layer)


def _to_keras_layout(value, kind):
    if kind == "conv":
        if value.ndim != 4 or value.shape[2:] != (1, 1):
            return None
        return value.transpose(2, 3, 1, 0)  # (out, in, 1, 1) -> (1, 1, in, out)
    return value.reshape(-1)  # LayerNorm([C, 1, 1]) stores (C, 1, 1)


def _infer_channels(layer, state_dict, prefix):
    branch = layer.spatial_attention if isinstance(layer, PolarizedSelfAttention) else layer
    names = ("conv_q_right", "ch_wq", "conv_q_left", "sp_wq", "conv_v_left", "sp_wv")
    if isinstance(branch, ChannelPolarizedAttention):
        names = names[:2]
    for name in names:
        weight = state_dict.get(prefix + name + ".weight")
        if weight is not None and np.ndim(weight) == 4:
            return int(np.shape(weight)[1])
    return None


def _describe(state_dict, prefix):
    for (variant, layout), key in _SIGNATURES.items():
        if prefix + key in state_dict:
            origin = f"variant={variant!r}" + (f", layout={layout!r}" if layout else "")
            return f" The state dict looks like it was saved from {origin}."
    return ""


def load_torch_state_dict(layer, state_dict, prefix="", strict=True):
    """Loads a PyTorch PSA state dict into a PSA layer, all or nothing.

    Both key schemes are understood: DeLightCMU's PSA_p / PSA_s
    (`conv_q_right`, `conv_v_right`, `conv_up`, `conv_q_left`, `conv_v_left`)
    for `variant="official"`, and External-Attention-pytorch's
    (`ch_wv`, `ch_wq`, `ch_wz`, `ln`, `sp_wv`, `sp_wq`) for `variant="paper"`.
    Convolution weights `(out, in, 1, 1)` are moved to Keras' `(1, 1, in, out)`.
    Every key and shape is checked before any weight is written, so on error
    the layer is unchanged.

    Args:
        layer: a `PolarizedSelfAttention`, `ChannelPolarizedAttention` or
            `SpatialPolarizedAttention`. An unbuilt layer is built from the
            channel count found in the state dict.
        state_dict: mapping of key to array (numpy arrays, or anything
            `np.asarray` accepts, such as CPU torch tensors).
        prefix: prefix of the PSA module's keys in `state_dict`, e.g.
            `"head.psa."` for a state dict of a whole network.
        strict: if True, keys under `prefix` that the layer does not use are
            an error; if False they are ignored.

    Returns:
        The list of Keras variables that were assigned.

    Example:

    ```python
    psa = PolarizedSelfAttention(layout="sequential", variant="official")
    load_torch_state_dict(psa, torch.load("psa_s.pth"))
    ```
    """
    if not isinstance(
        layer, (PolarizedSelfAttention, ChannelPolarizedAttention, SpatialPolarizedAttention)
    ):
        raise TypeError(
            "`layer` must be a PolarizedSelfAttention, ChannelPolarizedAttention or "
            f"SpatialPolarizedAttention. Received: layer={type(layer).__name__}"
        )
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(
            "`state_dict` must be a mapping of parameter name to array, e.g. "
            f"module.state_dict(). Received: state_dict={type(state_dict).__name__}"
        )
    if not isinstance(prefix, str):
        raise TypeError(f"`prefix` must be a string. Received: prefix={prefix!r}")
    state_dict = {k: v for k, v in state_dict.items() if isinstance(k, str)}
    if not layer.built:
        channels = _infer_channels(layer, state_dict, prefix)
        if channels is None:
            raise ValueError(
                "`layer` is not built and the channel count cannot be read from "
                "`state_dict`: build it first, e.g. layer.build((None, None, None, C))."
                + _describe(state_dict, prefix)
            )
        layer.build((None, None, None, channels))

    entries = _entries(layer)
    given = {k[len(prefix):] for k in state_dict if k.startswith(prefix)}
    problems = []
    missing = sorted(set(entries) - given)
    if missing:
        problems.append(f"missing keys: {missing}")
    unexpected = sorted(given - set(entries))
    if unexpected and strict:
        problems.append(f"unexpected keys: {unexpected}")
    updates = []
    for key in sorted(set(entries) & given):
        variable, kind = entries[key]
        try:
            value = np.asarray(state_dict[prefix + key], dtype=np.float32)
        except (TypeError, ValueError) as error:
            problems.append(f"{prefix + key}: not a numeric array ({error})")
            continue
        expected = tuple(variable.shape)
        converted = _to_keras_layout(value, kind)
        if converted is None or converted.shape != expected:
            problems.append(
                f"{prefix + key}: shape {value.shape} does not fit Keras variable "
                f"{variable.path if hasattr(variable, 'path') else variable.name} "
                f"of shape {expected}"
            )
            continue
        updates.append((variable, converted))
    if problems:
        raise ValueError(
            f"`state_dict` does not match {type(layer).__name__}(variant={layer.variant!r}, "
            f"layout={layer.layout!r}) with {_input_channels(layer)} channels; no weight "
            "was changed. " + "; ".join(problems) + "." + _describe(state_dict, prefix)
        )
    for variable, value in updates:
        variable.assign(value)
    return [variable for variable, _ in updates]


def _input_channels(layer):
    branch = layer.spatial_attention if isinstance(layer, PolarizedSelfAttention) else layer
    return int(branch.query_conv.kernel.shape[2])
