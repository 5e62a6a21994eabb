"""Images as users have them, decoded to RGB pixels as a phone's gallery shows them."""

import os

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


class ImageReadError(ValueError):
    """An image file that cannot be decoded; the message names the file and why."""


def to_rgb(image):
    """A PIL image as uint8 RGB (H, W, 3): EXIF orientation applied, 16-bit grey scaled
    to 8 bits, palette/grey/CMYK converted, alpha dropped."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in SIXTEEN_BIT_MODES:
        # Pillow's own conversion clips 16-bit values at 255: scale the full range instead.
        grey = np.asarray(image, np.float64) / 257.0
        grey = np.clip(np.round(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    return np.asarray(image.convert("RGB"), np.uint8)


def load_image(path):
    """Decodes the image file `path` to uint8 RGB (H, W, 3) as displayed.

    Raises:
        ImageReadError: the file is missing, not an image, or truncated.
    """
    from PIL import Image
    from PIL import UnidentifiedImageError

    path = os.fspath(path)
    try:
        with Image.open(path) as image:
            image.load()
            return to_rgb(image)
    except FileNotFoundError as error:
        raise ImageReadError(f"{path}: no such file") from error
    except UnidentifiedImageError as error:
        raise ImageReadError(f"{path}: not an image Pillow can read") from error
    except (OSError, SyntaxError, ValueError) as error:
        # Pillow reports a truncated JPEG or PNG as OSError("image file is truncated ...").
        raise ImageReadError(f"{path}: {error}") from error
