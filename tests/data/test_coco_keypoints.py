"""CocoKeypoints: top-down crops of COCO-format files, and errors that name the entry."""

import json
import os

import numpy as np
import pytest

from keras_psa.data import CocoKeypoints
from keras_psa.data import load_keypoint_dataset
from keras_psa.keypoints import COCO_SKELETON
from keras_psa.keypoints import FIGURE_SKELETON
from tests.data.coco_files import write_coco_folder

pytestmark = pytest.mark.flavor_independent


def test_crops_move_keypoints_with_the_pixels(tmp_path):
    annotation_file, image_dir, examples, _ = write_coco_folder(str(tmp_path))
    data = CocoKeypoints(annotation_file, image_dir, image_size=(64, 48), padding=1.0)
    assert len(data) == 3
    assert data.skeleton.joint_names == FIGURE_SKELETON.joint_names
    assert data.skeleton.flip_pairs == FIGURE_SKELETON.flip_pairs
    assert data.skeleton.sigmas[2] == COCO_SKELETON.sigmas[5]  # left_shoulder: COCO's
    for index, original in enumerate(examples):
        crop = data[index]
        assert crop["image"].shape == (64, 48, 3)
        # The crop's pixel at each visible keypoint matches the source crop's own
        # pixel at the figure's keypoint (bilinear, both sampled near the joint).
        visible = (crop["visibility"] == 2) & (original["visibility"] == 2)
        x, y, w, h = original["bbox"]
        center = np.array([x + w / 2, y + h / 2])
        scale = max(w / 48, h / 64)
        expected = (original["keypoints"] - center) / scale + np.array([23.5, 31.5])
        np.testing.assert_allclose(crop["keypoints"][visible], expected[visible], atol=1e-3)
        assert crop["image"].std() > 5


def test_coco_root_resolves_split_files(tmp_path):
    write_coco_folder(str(tmp_path), split="val2017")
    data, info = load_keypoint_dataset(f"coco:{tmp_path}", (64, 48), 2, split="val",
                                       drop_remainder=False)
    assert info.num_examples == 3 and info.skeleton.num_joints == 14
    images, targets = next(data.as_numpy_iterator())
    assert images.shape == (2, 64, 48, 3) and targets.shape == (2, 64, 48, 14)
    with pytest.raises(ValueError, match="person_keypoints_train"):
        load_keypoint_dataset(f"coco:{tmp_path}", (64, 48), 2, split="train")


def _rewrite(annotation_file, change):
    with open(annotation_file) as file:
        data = json.load(file)
    change(data)
    with open(annotation_file, "w") as file:
        json.dump(data, file)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("annotations"), r"top level: `annotations` must be a list"),
    (lambda d: d["annotations"][1].update(keypoints=[1, 2, 2]),
     r"annotations\[1\] \(id 101\): `keypoints` must be 42 numbers"),
    (lambda d: d["annotations"][2].update(bbox=[1, 2, 0, 5]),
     r"annotations\[2\] \(id 102\): `bbox` must be"),
    (lambda d: d["annotations"][0]["keypoints"].__setitem__(
        slice(3, 6), [500.0, 10.0, 2]),
     r"annotations\[0\] \(id 100\): keypoint 'neck' at \(500, 10\) is outside its 80x96 image"),
    (lambda d: d["annotations"][0].update(image_id=77), "image_id 77 is not in `images`"),
    (lambda d: d["categories"][0].pop("keypoints"), "exactly one category must list"),
])
def test_malformed_entries_are_named(tmp_path, change, message):
    annotation_file, image_dir, _, _ = write_coco_folder(str(tmp_path))
    _rewrite(annotation_file, change)
    with pytest.raises(ValueError, match=message) as error:
        CocoKeypoints(annotation_file, image_dir, image_size=(64, 48))
    assert annotation_file in str(error.value)


def test_unreadable_json_and_missing_images_are_named(tmp_path):
    annotation_file, image_dir, _, _ = write_coco_folder(str(tmp_path))
    os.remove(os.path.join(image_dir, "0001.png"))
    with pytest.raises(ValueError, match=r"1 annotated image file\(s\) missing.*0001.png"
                                         r" \(image id 2, annotations\[1\]"):
        CocoKeypoints(annotation_file, image_dir)
    with open(annotation_file, "w") as file:
        file.write("{not json")
    with pytest.raises(ValueError, match="not a readable JSON file"):
        CocoKeypoints(annotation_file, image_dir)
    with pytest.raises(ValueError, match="`annotation_file` does not exist"):
        CocoKeypoints(str(tmp_path / "nope.json"), image_dir)
