"""load_image: files as users have them, decoded as a phone's gallery shows them."""

import numpy as np
import pytest
from PIL import Image

from keras_psa.inference import ImageReadError
from keras_psa.inference import load_image
from tests.inference.model_files import random_image

pytestmark = pytest.mark.flavor_independent


def test_exif_orientation_is_applied(tmp_path):
    displayed = random_image(30, 40)
    # Orientation 6: the stored pixels are the displayed ones turned 90 degrees counter-
    # clockwise; a viewer turns them clockwise back.
    stored = Image.fromarray(displayed).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    loaded = load_image(tmp_path / "phone.jpg")
    assert loaded.shape == (30, 40, 3)
    assert np.abs(loaded.astype(int) - displayed).mean() < 6


def test_grayscale_rgba_palette_and_16_bit_become_rgb(tmp_path):
    grey = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    rgba = np.dstack([random_image(12, 10), np.full((12, 10), 7, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(random_image(12, 10)).convert("P").save(tmp_path / "palette.bmp")
    deep = (np.arange(12 * 10).reshape(12, 10) * 500).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    Image.fromarray(random_image(12, 10)).save(tmp_path / "web.webp", lossless=True)
    for name in ("grey.png", "rgba.png", "palette.bmp", "deep.png", "web.webp"):
        image = load_image(tmp_path / name)
        assert image.shape == (12, 10, 3) and image.dtype == np.uint8, name
    np.testing.assert_array_equal(load_image(tmp_path / "grey.png")[..., 1], grey)
    np.testing.assert_array_equal(load_image(tmp_path / "rgba.png"), rgba[..., :3])
    # 16 bits scaled to 8, not clipped at 255 as Pillow's own conversion does.
    np.testing.assert_array_equal(load_image(tmp_path / "deep.png")[..., 0],
                                  np.round(deep / 257.0).astype(np.uint8))


def test_truncated_and_foreign_files_are_named_with_the_reason(tmp_path):
    Image.fromarray(random_image(64, 64)).save(tmp_path / "whole.jpg")
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ImageReadError, match=r"cut\.jpg: .*[Tt]runcated"):
        load_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageReadError, match=r"notes\.png: not an image"):
        load_image(tmp_path / "notes.png")
    with pytest.raises(ImageReadError, match="no such file"):
        load_image(tmp_path / "missing.jpg")
