"""PNG grids of images with their masks overlaid, for a person to look at the data."""

import numpy as np


def palette(num_classes):
    """A fixed (num_classes, 3) uint8 colour table; class 0 (background) is black."""
    rng = np.random.default_rng(7)
    colors = rng.integers(64, 256, size=(max(num_classes, 1), 3)).astype(np.uint8)
    base = np.array(
        [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
         [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60],
         [250, 190, 212], [0, 128, 128]],
        np.uint8,
    )
    n = min(len(base), len(colors))
    colors[:n] = base[:n]
    return colors


def save_preview(images, masks, path, num_classes, columns=4, alpha=0.5, ignore_label=None):
    """Saves rows of (image, mask overlay) pairs as one PNG and returns its path.

    Args:
        images: float array (N, H, W, 3) in 0..255.
        masks: int array (N, H, W) of class indices.
        path: where to write the PNG.
        num_classes: number of classes, for the colour table.
        columns: image/overlay pairs per row.
        alpha: opacity of the mask colours over the image.
        ignore_label: optional label drawn in white.
    """
    from PIL import Image

    images = np.asarray(images, np.float32)
    masks = np.asarray(masks)
    if images.ndim != 4 or masks.shape != images.shape[:3]:
        raise ValueError(
            "`images` must be (N, H, W, 3) and `masks` (N, H, W). "
            f"Received: images.shape={images.shape}, masks.shape={masks.shape}"
        )
    colors = palette(num_classes).astype(np.float32)
    count, height, width = masks.shape
    rows = -(-count // columns)
    pad = 2
    canvas = np.full(
        (rows * (height + pad), columns * 2 * (width + pad), 3), 255, np.uint8
    )
    for i in range(count):
        image = np.clip(images[i], 0, 255)
        mask = masks[i]
        color = colors[np.clip(mask, 0, len(colors) - 1)]
        if ignore_label is not None:
            color[mask == ignore_label] = 255.0
        foreground = (mask != 0)[..., None]
        overlay = np.where(foreground, image * (1 - alpha) + color * alpha, image * 0.6)
        r, c = divmod(i, columns)
        y = r * (height + pad)
        x = c * 2 * (width + pad)
        canvas[y:y + height, x:x + width] = image.astype(np.uint8)
        canvas[y:y + height, x + width + pad:x + 2 * width + pad] = overlay.astype(np.uint8)
    Image.fromarray(canvas).save(path)
    return path
