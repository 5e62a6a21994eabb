import numpy as np
import pytest

from keras_psa.data import load_dataset
from keras_psa.data import representative_dataset
from keras_psa.data import validation_examples

pytestmark = pytest.mark.flavor_independent


def _masks(dataset, batches):
    return [m for _, m in dataset.take(batches).as_numpy_iterator()]


@pytest.mark.parametrize("name,num_classes", [("shapes", 5), ("digits", 11)])
def test_batches_and_info(name, num_classes):
    dataset, info = load_dataset(name, (32, 48), 4, split="train", seed=0, num_examples=10)
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == info.steps_per_epoch == 2  # remainder dropped for training
    images, masks = batches[0]
    assert images.shape == (4, 32, 48, 3) and images.dtype == np.float32
    assert masks.shape == (4, 32, 48) and masks.dtype == np.int32
    assert info.num_classes == num_classes and len(info.class_names) == num_classes
    assert 0 <= images.min() and images.max() <= 255


def test_validation_is_fixed_and_complete():
    a, info = load_dataset("shapes", 32, 4, split="val", seed=0, num_examples=10)
    b, _ = load_dataset("shapes", 32, 4, split="val", seed=0, num_examples=10)
    ma, mb = _masks(a, 3), _masks(b, 3)
    assert [len(m) for m in ma] == [4, 4, 2] and info.steps_per_epoch == 3
    for x, y in zip(ma, mb):
        np.testing.assert_array_equal(x, y)


def test_training_epochs_reshuffle_deterministically():
    dataset, _ = load_dataset("shapes", 32, 8, split="train", seed=0, num_examples=8)
    first, second = _masks(dataset, 1)[0], _masks(dataset, 1)[0]
    again, _ = load_dataset("shapes", 32, 8, split="train", seed=0, num_examples=8)
    np.testing.assert_array_equal(first, _masks(again, 1)[0])
    assert not np.array_equal(first, second)


def test_endless_stream_resumes_exactly():
    full, info = load_dataset("digits", 32, 3, seed=2, num_examples=7, repeat=True)
    tail, _ = load_dataset("digits", 32, 3, seed=2, num_examples=7, repeat=True, start_step=4)
    expected = _masks(full, 8)[4:]
    for x, y in zip(expected, _masks(tail, 4)):
        np.testing.assert_array_equal(x, y)
    assert info.steps_per_epoch == 2


def test_representative_and_validation_examples():
    images = list(representative_dataset("shapes", 32, num_images=3, num_examples=5)())
    assert len(images) == 3 and images[0][0].shape == (1, 32, 32, 3)
    val_images, val_masks = validation_examples("digits", 32, count=4, num_examples=6)
    assert val_images.shape == (4, 32, 32, 3) and val_masks.shape == (4, 32, 32)


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "mnist"}, "'shapes', 'digits' or 'dir:PATH'"),
    ({"name": "shapes", "batch_size": 0}, "batch_size"),
    ({"name": "shapes", "start_step": 3}, "repeat=True"),
    ({"name": "shapes", "batch_size": 20, "num_examples": 5}, "fewer than one batch"),
])
def test_bad_arguments(kwargs, match):
    kwargs = {"image_size": 32, "batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)


def test_representative_dataset_of_keypoint_figures():
    from keras_psa.data import keypoint_representative_images

    items = list(representative_dataset("figures", (64, 48), num_images=3)())
    assert len(items) == 3
    assert all(len(item) == 1 and item[0].shape == (1, 64, 48, 3)
               and item[0].dtype == np.float32 for item in items)
    expected = keypoint_representative_images("figures", (64, 48), count=3)
    np.testing.assert_array_equal(np.concatenate([item[0] for item in items]), expected)
    # Real crops in the models' pixel range, not noise in [0, 1].
    assert expected.max() > 1.0 and expected.min() >= 0.0 and expected.max() <= 255.0
