import numpy as np
import pytest

from keras_psa.data import DigitScenes
from keras_psa.data import ShapeScenes
from keras_psa.data.digit_scenes import _load_digits
from keras_psa.data.digit_scenes import source_indices

pytestmark = pytest.mark.flavor_independent


@pytest.mark.parametrize("cls", [ShapeScenes, DigitScenes])
def test_same_seed_same_scene_other_seed_other_scene(cls):
    a = cls(48, seed=3)[5]
    b = cls(48, seed=3)[5]
    c = cls(48, seed=4)[5]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("cls", [ShapeScenes, DigitScenes])
@pytest.mark.parametrize("size", [32, (40, 72)])
def test_shapes_dtypes_ranges(cls, size):
    scenes = cls(size, seed=0)
    image, mask = scenes[0]
    expected = (size, size) if isinstance(size, int) else size
    assert image.shape == (*expected, 3) and image.dtype == np.float32
    assert mask.shape == expected and mask.dtype == np.int32
    assert image.min() >= 0.0 and image.max() <= 255.0
    assert mask.min() >= 0 and mask.max() < scenes.num_classes


@pytest.mark.parametrize("cls,num_classes", [(ShapeScenes, 5), (DigitScenes, 11)])
def test_every_class_appears(cls, num_classes):
    scenes = cls(48, seed=0)
    assert scenes.num_classes == num_classes == len(scenes.class_names)
    seen = set()
    for i in range(60):
        seen.update(np.unique(scenes[i][1]).tolist())
    assert seen == set(range(num_classes))


def test_splits_draw_different_scenes():
    train = ShapeScenes(32, split="train", seed=0)[0][0]
    val = ShapeScenes(32, split="val", seed=0)[0][0]
    assert not np.array_equal(train, val)


def test_digit_splits_share_no_source_images():
    pools = {s: set(source_indices(s).tolist()) for s in ("train", "val", "test")}
    assert not pools["train"] & pools["val"]
    assert not pools["train"] & pools["test"]
    assert not pools["val"] & pools["test"]
    _images, labels = _load_digits()
    assert sum(len(p) for p in pools.values()) == len(labels)
    for pool in pools.values():  # stratified: every digit in every split
        assert set(labels[sorted(pool)].tolist()) == set(range(10))


def test_digit_mask_matches_the_source_label():
    scenes = DigitScenes(64, split="val", seed=1, max_digits=1)
    for i in range(5):
        mask = scenes[i][1]
        assert len(set(np.unique(mask).tolist()) - {0}) <= 1


@pytest.mark.parametrize("kwargs", [{"image_size": 8}, {"image_size": "big"},
                                    {"image_size": 32, "split": "dev"},
                                    {"image_size": 32, "num_examples": 0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="must"):
        ShapeScenes(**kwargs)


def test_index_out_of_range():
    with pytest.raises(IndexError):
        ShapeScenes(32, num_examples=3)[3]
