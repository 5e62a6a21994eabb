"""KeypointFigures and load_keypoint_dataset: determinism, labels, flips, targets."""

import numpy as np
import pytest

from keras_psa.data import KeypointFigures
from keras_psa.data import keypoint_examples
from keras_psa.data import load_keypoint_dataset
from keras_psa.data.load_keypoint_dataset import flip_example
from keras_psa.keypoints import FIGURE_SKELETON
from keras_psa.keypoints import decode_heatmaps
from keras_psa.keypoints import unpack_targets

pytestmark = pytest.mark.flavor_independent


def test_figure_is_a_pure_function_of_seed_split_and_index():
    first = KeypointFigures((64, 48), seed=3)[5]
    again = KeypointFigures((64, 48), seed=3, num_examples=10)[5]
    other_seed = KeypointFigures((64, 48), seed=4)[5]
    other_split = KeypointFigures((64, 48), split="val", seed=3)[5]
    np.testing.assert_array_equal(first["image"], again["image"])
    np.testing.assert_array_equal(first["keypoints"], again["keypoints"])
    assert not np.allclose(first["keypoints"], other_seed["keypoints"])
    assert not np.allclose(first["keypoints"], other_split["keypoints"])


def test_examples_have_coco_fields_in_range():
    figures = KeypointFigures((64, 48), num_examples=40)
    visibility_seen = set()
    for index in range(len(figures)):
        example = figures[index]
        assert example["image"].shape == (64, 48, 3) and example["image"].dtype == np.float32
        assert 0.0 <= example["image"].min() and example["image"].max() <= 255.0
        assert example["keypoints"].shape == (14, 2)
        visibility = example["visibility"]
        visibility_seen |= set(visibility.tolist())
        labeled = example["keypoints"][visibility > 0]
        assert (labeled >= 0).all() and (labeled[:, 0] <= 47).all()
        assert (labeled[:, 1] <= 63).all()
        x, y, w, h = example["bbox"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 48 and y + h <= 64
        assert 0 < example["area"] <= w * h
    # Occluded joints and (rarely) joints outside the crop both occur.
    assert {1, 2} <= visibility_seen


def test_poses_respect_the_skeleton_left_right_layout():
    # Seen from the front, the figure's left shoulder is on the image's right
    # of its right shoulder once the crop's rotation is undone (mostly upright).
    examples = keypoint_examples("figures", (64, 48), split="train", count=40)
    names = FIGURE_SKELETON.joint_names
    left, right = names.index("left_shoulder"), names.index("right_shoulder")
    neck, head = names.index("neck"), names.index("head")
    upright = 0
    for keypoints in examples["keypoints"]:
        axis = keypoints[head] - keypoints[neck]  # points up the body
        side = keypoints[left] - keypoints[right]
        upright += (axis[0] * side[1] - axis[1] * side[0]) > 0  # left is clockwise of up
    assert upright == 40


def test_flip_mirrors_pixels_and_swaps_joints():
    example = KeypointFigures((64, 48))[0]
    image, keypoints, visibility = flip_example(example["image"], example["keypoints"],
                                                example["visibility"], FIGURE_SKELETON)
    np.testing.assert_array_equal(image, example["image"][:, ::-1])
    names = FIGURE_SKELETON.joint_names
    left, right = names.index("left_wrist"), names.index("right_wrist")
    np.testing.assert_allclose(keypoints[left, 0], 47 - example["keypoints"][right, 0])
    np.testing.assert_allclose(keypoints[left, 1], example["keypoints"][right, 1])
    assert visibility[left] == example["visibility"][right]
    twice = flip_example(image, keypoints, visibility, FIGURE_SKELETON)
    np.testing.assert_allclose(twice[1], example["keypoints"], atol=1e-5)


def test_stride_4_targets_decode_to_the_labels():
    data, info = load_keypoint_dataset("figures", (64, 48), 4, split="val", num_examples=4,
                                       heatmap_size=(16, 12))
    assert info.heatmap_size == (16, 12) and info.sigma == 2.0
    _, targets = next(data.as_numpy_iterator())
    assert targets.shape == (4, 16, 12, 14)
    examples = keypoint_examples("figures", (64, 48), split="val", count=4)
    heatmaps, weights = unpack_targets(targets)
    decoded = decode_heatmaps(heatmaps, (64, 48))
    labeled = weights > 0
    error = np.linalg.norm(decoded[..., :2] - examples["keypoints"], axis=-1)
    # DARK recovers a Gaussian's centre from 4-px cells wherever its peak cell has both
    # neighbours; on the map's border cell it keeps the cell, within half a cell per axis.
    cells = examples["keypoints"] * np.array([11 / 47, 15 / 63])
    inner = labeled & np.all((cells >= 0.5) & (cells <= np.array([11, 15]) - 0.5), axis=-1)
    assert inner.sum() > 40 and error[inner].max() < 0.05, error[inner].max()
    assert error[labeled].max() <= np.hypot(47 / 11, 63 / 15) / 2, error[labeled].max()


def test_pipeline_targets_decode_to_the_labels():
    data, info = load_keypoint_dataset("figures", (64, 48), 4, split="val", num_examples=4)
    assert info.num_joints == 14 and info.sigma == 2.0 and info.steps_per_epoch == 1
    images, targets = next(data.as_numpy_iterator())
    assert images.shape == (4, 64, 48, 3) and targets.shape == (4, 64, 48, 14)
    examples = keypoint_examples("figures", (64, 48), split="val", count=4)
    np.testing.assert_array_equal(images, examples["images"])
    heatmaps, weights = unpack_targets(targets)
    decoded = decode_heatmaps(heatmaps, (64, 48))
    labeled = weights > 0
    np.testing.assert_array_equal(labeled, examples["visibility"] > 0)
    np.testing.assert_allclose(decoded[..., :2][labeled], examples["keypoints"][labeled],
                               atol=0.05)
    assert (np.moveaxis(targets, -1, 1)[~labeled] == -1).all()


def test_training_stream_flips_about_half_and_resumes_exactly():
    args = dict(name="figures", image_size=(64, 48), batch_size=2, num_examples=8,
                repeat=True, seed=1)
    stream, _ = load_keypoint_dataset(**args)
    batches = list(stream.take(4).as_numpy_iterator())
    resumed, _ = load_keypoint_dataset(**args, start_step=2)
    for expected, got in zip(batches[2:], resumed.take(2).as_numpy_iterator()):
        np.testing.assert_array_equal(expected[0], got[0])
        np.testing.assert_array_equal(expected[1], got[1])
    plain = {tuple(KeypointFigures((64, 48), num_examples=8, seed=1)[i]["image"][0, 0])
             for i in range(8)}
    corners = [tuple(image[0, 0]) for batch in batches for image in batch[0]]
    flipped = sum(corner not in plain for corner in corners)
    assert 1 <= flipped <= 7


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="people"), "`name` must be 'figures' or 'coco:ROOT'"),
    (dict(name="figures", batch_size=0), "`batch_size` must be a positive int"),
    (dict(name="figures", start_step=3), "`start_step` resumes an endless stream"),
    (dict(name="figures", num_examples=0), "`num_examples` must be a positive int"),
    (dict(name="figures", heatmap_size=(2, 12)), "`heatmap_size` must be an int or a"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = dict(image_size=(64, 48), batch_size=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        load_keypoint_dataset(**args)
