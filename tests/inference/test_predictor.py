"""Predictor: one path for .keras and .tflite files, results at the image's own pixels."""

import numpy as np
import pytest
from PIL import Image

from keras_psa.export.tflite.litert_runner import run_tflite
from keras_psa.inference import Predictor
from tests.inference.model_files import keypoint_files  # noqa: F401
from tests.inference.model_files import random_image
from tests.inference.model_files import segmentation_files  # noqa: F401

pytestmark = pytest.mark.flavor_independent


def test_facts_come_from_the_files(segmentation_files, keypoint_files):  # noqa: F811
    names = tuple(segmentation_files["class_names"])
    for key in ("keras", "float32", "int8"):
        predictor = Predictor(segmentation_files[key])
        assert predictor.task == "segmentation" and predictor.input_size == (64, 64)
        assert predictor.facts.pixel_range == (0.0, 255.0)
        assert predictor.facts.class_names == names, key
    keypoints = Predictor(keypoint_files["float32"])
    assert keypoints.task == "keypoints" and keypoints.facts.skeleton.name == "figure14"


def test_a_file_without_metadata_or_rescaling_is_refused_naming_the_flag(
        segmentation_files):  # noqa: F811
    with pytest.raises(ValueError, match="--task"):
        Predictor(segmentation_files["bare"])
    with pytest.raises(ValueError, match="--pixel-range"):
        Predictor(segmentation_files["bare"], task="segmentation")
    predictor = Predictor(segmentation_files["bare"], task="segmentation", pixel_range=(0, 1))
    image = random_image(64, 64)
    logits = run_tflite(segmentation_files["bare"], image[None].astype(np.float32) / 255.0)[0]
    np.testing.assert_array_equal(predictor.predict(image).mask, logits[0].argmax(-1))


@pytest.mark.parametrize("key", ["float32", "int8", "keras"])
def test_an_image_of_the_models_size_gives_the_files_argmax(segmentation_files, key):  # noqa: F811
    image = random_image(64, 64, seed=3)
    predictor = Predictor(segmentation_files[key])
    if key == "keras":
        from keras_psa.saving import load_model

        logits = np.asarray(load_model(segmentation_files[key])(image[None].astype(np.float32)))
    else:
        logits = run_tflite(segmentation_files[key], image[None].astype(np.float32))[0]
    np.testing.assert_array_equal(predictor.predict(image).mask, logits[0].argmax(-1))


def test_the_mask_is_at_the_images_size_and_follows_its_exif_orientation(
        segmentation_files, tmp_path):  # noqa: F811
    predictor = Predictor(segmentation_files["float32"])
    result = predictor.predict(random_image(150, 200))
    assert result.mask.shape == (150, 200)
    assert set(result.pixels()) == set(segmentation_files["class_names"])
    assert sum(result.pixels().values()) == 150 * 200
    displayed = random_image(150, 200, seed=4)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned counter-clockwise; shown turned back
    Image.fromarray(displayed).transpose(Image.Transpose.ROTATE_90).save(
        tmp_path / "phone.jpg", exif=exif, quality=95)
    from PIL import ImageOps

    with Image.open(tmp_path / "phone.jpg") as stored:
        assert stored.size == (150, 200)
        shown = np.asarray(ImageOps.exif_transpose(stored).convert("RGB"))
    mask = predictor.predict(tmp_path / "phone.jpg").mask
    assert mask.shape == (150, 200)
    np.testing.assert_array_equal(mask, predictor.predict(shown).mask)


def test_keypoints_are_in_the_images_pixels(keypoint_files):  # noqa: F811
    predictor = Predictor(keypoint_files["float32"])
    crop = random_image(64, 48, seed=2)
    whole = predictor.predict(crop).keypoints[0]
    # The same crop pasted into a larger picture, found through its person box.
    canvas = np.zeros((120, 160, 3), np.uint8)
    canvas[30:94, 70:118] = crop
    # A box that grows (x 1.25) to exactly the pasted crop (48x64 / 1.25, centred on it).
    box = (70 + 23.5 - 19.2, 30 + 31.5 - 25.6, 38.4, 51.2)
    found = predictor.predict(canvas, boxes=[box]).keypoints[0]
    np.testing.assert_allclose(found[:, :2], whole[:, :2] + [70, 30], atol=1e-3)
    np.testing.assert_allclose(found[:, 2], whole[:, 2], atol=1e-5)
    entry = predictor.predict(canvas, boxes=[box], image_id=7).to_coco()[0]
    assert entry["image_id"] == 7 and len(entry["keypoints"]) == 14 * 3


def test_evaluate_decodes_keypoints_as_the_training_scores_do(keypoint_files):  # noqa: F811
    """The training callbacks and QAT score in-memory models in batches with
    `predict_keypoints`; predict and evaluate go through `Predictor`. On images at the
    model's input size both give the same keypoints."""
    from keras_psa.inference.model_evaluation import keypoint_predictions
    from keras_psa.keypoints.evaluation import predict_keypoints

    path = keypoint_files["float32"]
    predictor = Predictor(path, sigma=2.0)
    height, width = predictor.input_size
    images = np.stack([random_image(height, width, seed=s) for s in range(3)]).astype("float32")
    low, high = predictor.facts.pixel_range  # the callbacks feed the model's own range

    def heatmaps(batch):
        batch = low + batch * ((high - low) / 255.0)
        return np.concatenate([run_tflite(path, image[None])[0] for image in batch])

    trained = predict_keypoints(heatmaps, images, (height, width), 2.0, batch_size=2)
    evaluated = keypoint_predictions(predictor, images)
    assert trained.shape == (3, 14, 3)
    np.testing.assert_allclose(evaluated, trained, atol=1e-4)
