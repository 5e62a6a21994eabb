"""The loss for models that output per-pixel logits."""

from keras_psa.keras_flavor import keras


def segmentation_loss(ignore_label=None):
    """Per-pixel cross-entropy on logits; pixels labelled `ignore_label` add nothing."""
    return keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=ignore_label, name="segmentation_cross_entropy"
    )
