"""PNG pictures of a trained model: predictions over the inputs and PSA attention maps."""

import numpy as np
import tensorflow as tf

from keras_psa.data.preview import palette
from keras_psa.keras_flavor import keras
from keras_psa.layers import ChannelPolarizedAttention
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.layers import SpatialPolarizedAttention

PSA_LAYERS = (PolarizedSelfAttention, ChannelPolarizedAttention, SpatialPolarizedAttention)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def colorize(mask, num_classes, ignore_label=None):
    """uint8 RGB (H, W, 3) of a class-index mask; the ignore label is white."""
    colors = palette(num_classes)
    mask = np.asarray(mask)
    rgb = colors[np.clip(mask, 0, len(colors) - 1)]
    if ignore_label is not None:
        rgb[mask == ignore_label] = 255
    return rgb


def predict_labels(model, images, batch_size=8):
    """Argmax class of every pixel, (N, H, W) int32, from a logits model."""
    logits = model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
    if isinstance(logits, dict):
        logits = logits["logits"]
    return np.argmax(logits, axis=-1).astype(np.int32)


def save_predictions(model, images, masks, path, class_names, ignore_label=None):
    """Saves a PNG with one row per image: input, ground truth, prediction, errors.

    Args:
        model: a model mapping RGB 0..255 images to logits.
        images: float (N, H, W, 3) in 0..255.
        masks: int (N, H, W) labels.
        path: the PNG to write.
        class_names: one name per class (for the legend).
        ignore_label: optional label shown white and never counted as an error.

    Returns:
        `path`.
    """
    plt = _pyplot()
    images = np.asarray(images, np.float32)
    masks = np.asarray(masks)
    predicted = predict_labels(model, images)
    num_classes = len(class_names)
    count = len(images)
    figure, axes = plt.subplots(count, 4, figsize=(8.8, 2.3 * count + 0.6), squeeze=False)
    for row in range(count):
        image = np.clip(images[row], 0, 255).astype(np.uint8)
        wrong = predicted[row] != masks[row]
        if ignore_label is not None:
            wrong &= masks[row] != ignore_label
        errors = (image * 0.35).astype(np.uint8)
        errors[wrong] = (255, 40, 40)
        valid = masks[row] != ignore_label if ignore_label is not None else np.ones_like(wrong)
        accuracy = 1.0 - wrong.sum() / max(1, valid.sum())
        panels = (
            (image, "input"),
            (colorize(masks[row], num_classes, ignore_label), "ground truth"),
            (colorize(predicted[row], num_classes), "prediction"),
            (errors, f"errors (pixel acc {accuracy:.1%})"),
        )
        for column, (picture, title) in enumerate(panels):
            axis = axes[row, column]
            axis.imshow(picture, interpolation="nearest")
            axis.set_axis_off()
            if row == 0 or column == 3:
                axis.set_title(title, fontsize=8)
    colors = palette(num_classes) / 255.0
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[i]) for i in range(num_classes)]
    figure.legend(handles, class_names, loc="lower center", ncol=min(num_classes, 6), fontsize=7,
                  frameon=False)
    figure.tight_layout(rect=(0, 0.06 if count < 4 else 0.03, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def psa_layers(model):
    """The Polarized Self-Attention layers of `model`, in graph order."""
    return [layer for layer in model.layers if isinstance(layer, PSA_LAYERS)]


def psa_attention_maps(model, layer, images):
    """Channel and spatial attention of one PSA layer of `model` on `images`.

    A probe model from the model input to the layer's input gives the
    features the layer sees; the layer's branch methods turn them into
    weights. For the sequential layout the spatial gate is computed on the
    channel branch's output, as in the forward pass.

    Returns:
        `(channel, spatial)`: float arrays (N, C) and (N, h, w), either None
        when the layer has no such branch.
    """
    probe = keras.Model(model.inputs, layer.input)
    features = tf.convert_to_tensor(probe.predict(np.asarray(images, np.float32), verbose=0))
    channel = spatial = None
    if isinstance(layer, PolarizedSelfAttention):
        gate = layer.channel_attention.channel_weights(features)
        channel = gate
        spatial_input = features * gate if layer.layout == "sequential" else features
        spatial = layer.spatial_attention.spatial_weights(spatial_input)
    elif isinstance(layer, ChannelPolarizedAttention):
        channel = layer.channel_weights(features)
    else:
        spatial = layer.spatial_weights(features)
    if channel is not None:
        channel = np.asarray(tf.cast(channel, tf.float32))[:, 0, 0, :]
    if spatial is not None:
        spatial = np.asarray(tf.cast(spatial, tf.float32))[..., 0]
    return channel, spatial


def save_attention_maps(model, layer, images, path):
    """Saves a PNG of one PSA layer's gates: per image the input, the spatial
    gate over it (and alone, at feature resolution) and the channel gate.

    Returns:
        `path`.
    """
    plt = _pyplot()
    images = np.asarray(images, np.float32)
    channel, spatial = psa_attention_maps(model, layer, images)
    count = len(images)
    figure, axes = plt.subplots(count, 4, figsize=(11, 2.3 * count + 0.5), squeeze=False,
                                gridspec_kw={"width_ratios": (1, 1, 1, 1.8)})
    height, width = images.shape[1:3]
    for row in range(count):
        image = np.clip(images[row], 0, 255).astype(np.uint8)
        axes[row, 0].imshow(image)
        axes[row, 0].set_title("input" if row == 0 else "", fontsize=8)
        if spatial is not None:
            gate = spatial[row]
            axes[row, 1].imshow(image)
            axes[row, 1].imshow(gate, cmap="inferno", alpha=0.6, extent=(-0.5, width - 0.5,
                                height - 0.5, -0.5), interpolation="bilinear")
            axes[row, 1].set_title("spatial gate over input", fontsize=8)
            shown = axes[row, 2].imshow(gate, cmap="inferno", interpolation="nearest")
            axes[row, 2].set_title(
                f"spatial gate {gate.shape[0]}x{gate.shape[1]}\n"
                f"[{gate.min():.4g}, {gate.max():.4g}]", fontsize=7)
            bar = figure.colorbar(shown, ax=axes[row, 2], fraction=0.046, pad=0.04,
                                  format="%.3g")
            bar.ax.tick_params(labelsize=6)
            bar.ax.yaxis.get_offset_text().set_visible(False)
        if channel is not None:
            axes[row, 3].bar(np.arange(channel.shape[1]), channel[row], width=1.0,
                             color="tab:blue")
            axes[row, 3].set_ylim(0, 1)
            axes[row, 3].set_xlim(-0.5, channel.shape[1] - 0.5)
            axes[row, 3].set_title(f"channel gate ({channel.shape[1]} channels)", fontsize=8)
            axes[row, 3].tick_params(labelsize=6)
        for column in range(3):
            axes[row, column].set_axis_off()
        if channel is None:
            axes[row, 3].set_axis_off()
    figure.suptitle(f"{layer.name}: {type(layer).__name__}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
