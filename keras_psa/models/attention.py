"""Attention blocks by name, so that builders and studies can swap them."""

from keras_psa.layers import PolarizedSelfAttention
from keras_psa.models.cbam import CBAM
from keras_psa.models.squeeze_excitation import SqueezeExcitation

ATTENTIONS = (None, "psa_p", "psa_s", "se", "cbam")
PSA_VARIANTS = ("paper", "official")


def validate_attention(attention, psa_variant="paper"):
    """Raises a ValueError naming the bad argument unless both are known."""
    if attention not in ATTENTIONS:
        raise ValueError(
            f"`attention` must be one of {ATTENTIONS}. Received: attention={attention!r}"
        )
    if psa_variant not in PSA_VARIANTS:
        raise ValueError(
            f"`psa_variant` must be one of {PSA_VARIANTS}. Received: psa_variant={psa_variant!r}"
        )


def get_attention_layer(attention, psa_variant="paper", name=None):
    """Returns a fresh attention layer for `attention`, or None for `attention=None`.

    Args:
        attention: `None`, `"psa_p"` (parallel Polarized Self-Attention),
            `"psa_s"` (sequential PSA), `"se"` (Squeeze-and-Excitation) or
            `"cbam"` (CBAM).
        psa_variant: `"paper"` (equations of the paper) or `"official"` (the
            authors' code); used by the PSA blocks only.
        name: name of the returned layer.

    Returns:
        A Keras layer mapping `(B, H, W, C)` to the same shape, or None.

    Example:

    >>> get_attention_layer("se", name="head_attention").name
    'head_attention'
    """
    validate_attention(attention, psa_variant)
    if attention is None:
        return None
    if attention == "se":
        return SqueezeExcitation(name=name)
    if attention == "cbam":
        return CBAM(name=name)
    layout = "parallel" if attention == "psa_p" else "sequential"
    return PolarizedSelfAttention(layout=layout, variant=psa_variant, name=name)
