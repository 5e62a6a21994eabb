"""Float64 NumPy reference of every PSA variant, written from the equations.

Deliberately naive (per-pixel convolutions, explicit softmax over H*W, no
pooling shortcuts) so it checks the layers on shapes the golden vectors do
not cover. It reads PyTorch-style parameters (see tests/fixtures/psa_golden).
"""

import numpy as np


def _conv(x, params, name):
    """1x1 conv of an NHWC array with PyTorch weight (out, in, 1, 1)."""
    weight = params[name + ".weight"][:, :, 0, 0].astype(np.float64)
    out = np.einsum("bhwc,oc->bhwo", x, weight)
    bias = params.get(name + ".bias")
    return out if bias is None else out + bias.astype(np.float64)


def _softmax(x, axis):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(-1) + bias.reshape(-1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _space_softmax(x):
    b, h, w, c = x.shape
    return _softmax(x.reshape(b, h * w, c), axis=1).reshape(b, h, w, c)


def paper_channel(x, p):
    q = _space_softmax(_conv(x, p, "ch_wq"))  # (B,H,W,1)
    v = _conv(x, p, "ch_wv")
    z = (v * q).sum(axis=(1, 2), keepdims=True)
    a = _sigmoid(_layer_norm(_conv(z, p, "ch_wz"), p["ln.weight"], p["ln.bias"]))
    return x * a


def paper_spatial(x, p):
    g = _conv(x, p, "sp_wq").mean(axis=(1, 2), keepdims=True)
    s = _softmax(g, axis=-1)
    v = _conv(x, p, "sp_wv")
    return x * _sigmoid((v * s).sum(axis=-1, keepdims=True))


def official_channel(x, p, layout):
    q = _space_softmax(_conv(x, p, "conv_q_right"))
    v = _conv(x, p, "conv_v_right")
    z = (v * q).sum(axis=(1, 2), keepdims=True)
    if layout == "parallel":
        up = _conv(z, p, "conv_up")
    else:
        hidden = _conv(z, p, "conv_up.0")
        hidden = _layer_norm(hidden, p["conv_up.1.weight"], p["conv_up.1.bias"])
        up = _conv(np.maximum(hidden, 0.0), p, "conv_up.3")
    return x * _sigmoid(up)


def official_spatial(x, p, layout):
    g = _conv(x, p, "conv_q_left").mean(axis=(1, 2), keepdims=True)
    v = _conv(x, p, "conv_v_left")
    if layout == "parallel":
        t = _space_softmax((v * g).sum(axis=-1, keepdims=True))
    else:
        t = (_space_softmax(v) * g).sum(axis=-1, keepdims=True)
    return x * _sigmoid(t)


def psa(x, params, variant, layout):
    """PSA output for NHWC `x` (float64) and PyTorch-style `params`."""
    x = np.asarray(x, np.float64)
    if variant == "paper":
        channel, spatial = paper_channel, paper_spatial
    else:
        def channel(t, p):
            return official_channel(t, p, layout)

        def spatial(t, p):
            return official_spatial(t, p, layout)

    if layout == "parallel":
        return channel(x, params) + spatial(x, params)
    return spatial(channel(x, params), params)


def random_params(variant, layout, channels, seed):
    """Random PyTorch-style parameters; every one, LayerNorm included, matters."""
    rng = np.random.default_rng(seed)
    inner = channels // 2

    def conv(out, inp, bias):
        entry = {".weight": rng.normal(0, 1 / np.sqrt(inp), (out, inp, 1, 1))}
        if bias:
            entry[".bias"] = rng.normal(0, 0.5, (out,))
        return entry

    layers = {}
    if variant == "paper":
        for name, out, inp in [
            ("ch_wv", inner, channels), ("ch_wq", 1, channels), ("ch_wz", channels, inner),
            ("sp_wv", inner, channels), ("sp_wq", inner, channels),
        ]:
            layers[name] = conv(out, inp, True)
        layers["ln"] = {".weight": rng.normal(1, 0.5, (channels,)),
                        ".bias": rng.normal(0, 0.5, (channels,))}
    else:
        for name, out, inp in [
            ("conv_q_right", 1, channels), ("conv_v_right", inner, channels),
            ("conv_q_left", inner, channels), ("conv_v_left", inner, channels),
        ]:
            layers[name] = conv(out, inp, False)
        if layout == "parallel":
            layers["conv_up"] = conv(channels, inner, False)
        else:
            hidden = inner // 4
            layers["conv_up.0"] = conv(hidden, inner, True)
            layers["conv_up.1"] = {".weight": rng.normal(1, 0.5, (hidden, 1, 1)),
                                   ".bias": rng.normal(0, 0.5, (hidden, 1, 1))}
            layers["conv_up.3"] = conv(channels, hidden, True)
    return {
        name + suffix: value.astype(np.float32)
        for name, entry in layers.items()
        for suffix, value in entry.items()
    }
