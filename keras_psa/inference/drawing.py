"""Pictures of results: a mask over the image with a legend, a skeleton with joint scores."""

import io

import numpy as np

from keras_psa.data.preview import palette
from keras_psa.export.atomic_write import write_bytes_atomically

MASK_OPACITY = 0.5
LEGEND_MIN_SHARE = 0.01


def png_bytes(image):
    """The PNG encoding of a PIL image."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(array_or_image, path):
    """Writes an RGB array or a PIL image as PNG atomically; returns `path`."""
    from PIL import Image

    image = (array_or_image if isinstance(array_or_image, Image.Image)
             else Image.fromarray(np.asarray(array_or_image, np.uint8)))
    return write_bytes_atomically(path, png_bytes(image))


def mask_image(mask, num_classes):
    """An 8-bit palette PIL image whose pixel values are the class indices."""
    from PIL import Image

    image = Image.fromarray(np.asarray(mask, np.uint8), mode="P")
    colors = np.zeros((256, 3), np.uint8)
    colors[:num_classes] = palette(num_classes)[:num_classes]
    image.putpalette(colors.ravel().tolist())
    return image


def draw_mask_overlay(image, mask, class_names):
    """uint8 (H, W, 3): the classes' colours over `image`, a legend of the classes shown."""
    from PIL import Image
    from PIL import ImageDraw

    image = np.asarray(image, np.float32)
    mask = np.asarray(mask)
    colors = palette(len(class_names)).astype(np.float32)
    color = colors[np.clip(mask, 0, len(colors) - 1)]
    foreground = (mask != 0)[..., None]
    blended = np.where(foreground, image * (1 - MASK_OPACITY) + color * MASK_OPACITY, image)
    picture = Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    # The legend names the classes drawn: background (class 0, left uncoloured) and
    # specks under LEGEND_MIN_SHARE of the image would only hide the picture.
    counts = np.bincount(mask.ravel(), minlength=len(class_names))[:len(class_names)]
    shown = [int(c) for c in np.argsort(-counts, kind="stable")
             if c != 0 and counts[c] >= LEGEND_MIN_SHARE * mask.size]
    line = 12
    for row, index in enumerate(shown):
        y = 2 + row * line
        draw.rectangle((2, y, 11, y + 9), fill=tuple(int(v) for v in colors[index]),
                       outline=(255, 255, 255))
        draw.text((15, y - 1), str(class_names[index]), fill=(255, 255, 255),
                  stroke_width=1, stroke_fill=(0, 0, 0))
    return np.asarray(picture)


def draw_skeletons(image, people, skeleton, score_threshold=0.2, show_scores=True):
    """uint8 (H, W, 3): each person's bones and joints over `image`, joints with their
    score (unless `show_scores` is False); joints scored below `score_threshold` are
    drawn hollow."""
    from PIL import Image
    from PIL import ImageDraw

    picture = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    radius = max(2, round(min(picture.size) / 120))
    for person in np.asarray(people, np.float64):
        for a, b in skeleton.limbs:
            if min(person[a, 2], person[b, 2]) >= score_threshold:
                draw.line([tuple(person[a, :2]), tuple(person[b, :2])], fill=(255, 65, 54),
                          width=max(1, radius // 2 + 1))
        for x, y, score in person:
            box = (x - radius, y - radius, x + radius, y + radius)
            if score >= score_threshold:
                draw.ellipse(box, fill=(46, 204, 64))
            else:
                draw.ellipse(box, outline=(46, 204, 64))
            if show_scores:
                draw.text((x + radius + 1, y - radius - 1), f"{score:.2f}",
                          fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0))
    return np.asarray(picture)
