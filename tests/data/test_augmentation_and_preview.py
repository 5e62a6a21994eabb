import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_psa.data import augment_pair
from keras_psa.data import save_preview

pytestmark = pytest.mark.flavor_independent


def _pair():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (24, 32, 3)).astype(np.float32)
    mask = np.zeros((24, 32), np.int32)
    mask[:, :16] = 1  # left half labelled
    return tf.constant(image), tf.constant(mask)


def test_augment_is_replayable_by_seed_and_keeps_ranges():
    image, mask = _pair()
    a = augment_pair(image, mask, tf.constant([1, 2]), (20, 20))
    b = augment_pair(image, mask, tf.constant([1, 2]), (20, 20))
    c = augment_pair(image, mask, tf.constant([1, 3]), (20, 20))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (20, 20, 3) and a[1].shape == (20, 20) and a[1].dtype == tf.int32
    assert float(tf.reduce_min(a[0])) >= 0 and float(tf.reduce_max(a[0])) <= 255
    assert set(np.unique(a[1]).tolist()) <= {0, 1}  # nearest resize invents no labels


def test_flip_moves_image_and_mask_together():
    image, mask = _pair()
    flips = 0
    for s in range(8):
        out_image, out_mask = augment_pair(image, mask, tf.constant([s, 0]), (24, 32),
                                           scale_range=(1.0, 1.0), color_jitter=0)
        flipped = bool(out_mask.numpy()[0, -1] == 1)
        expected = image.numpy()[:, ::-1] if flipped else image.numpy()
        np.testing.assert_allclose(out_image.numpy(), expected, atol=1e-3)
        flips += flipped
    assert 0 < flips < 8


def test_save_preview_writes_overlays(tmp_path):
    images = np.full((3, 16, 20, 3), 100, np.float32)
    masks = np.zeros((3, 16, 20), np.int32)
    masks[:, :8] = 2
    path = save_preview(images, masks, tmp_path / "grid.png", num_classes=3, columns=2)
    grid = np.asarray(Image.open(path))
    assert grid.shape == (2 * 18, 2 * 2 * 22, 3)
    overlay = grid[:16, 22:42].astype(int)
    assert not np.array_equal(overlay[0, 0], overlay[-1, 0])  # labelled vs background


def test_save_preview_rejects_mismatched_shapes(tmp_path):
    with pytest.raises(ValueError, match="masks"):
        save_preview(np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 9)), tmp_path / "x.png", 2)
