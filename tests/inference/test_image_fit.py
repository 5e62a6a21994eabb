"""fit_image and ImageFit: fitting to the model's input and mapping back are inverses."""

import numpy as np
import pytest

from keras_psa.inference import fit_image
from tests.inference.model_files import random_image

pytestmark = pytest.mark.flavor_independent


@pytest.mark.parametrize("mode", ["letterbox", "stretch"])
def test_points_map_back_exactly_and_the_image_edges_land_on_the_input(mode):
    image = random_image(150, 200)
    inputs, fit = fit_image(image, (64, 64), mode)
    assert inputs.shape == (64, 64, 3)
    points = np.array([[0.0, 0.0], [199.0, 149.0], [37.25, 101.5]])
    np.testing.assert_allclose(fit.to_image(fit.to_model(points)), points, atol=1e-9)
    corners = fit.to_model([[-0.5, -0.5], [199.5, 149.5]])
    if mode == "stretch":
        np.testing.assert_allclose(corners, [[-0.5, -0.5], [63.5, 63.5]])
    else:  # the wider side fills the input, the other is centred with borders
        np.testing.assert_allclose(corners, [[-0.5, 7.5], [63.5, 55.5]])
        assert inputs[:7].max() == 0 and inputs[57:].max() == 0


def test_an_image_of_the_models_size_fits_as_the_identity():
    image = random_image(64, 48).astype(np.float32)
    inputs, fit = fit_image(image, (64, 48))
    np.testing.assert_array_equal(inputs, image)
    labels = np.arange(64 * 48).reshape(64, 48)
    np.testing.assert_array_equal(fit.labels_to_image(labels), labels)


def test_labels_come_back_at_the_images_size():
    _, fit = fit_image(random_image(150, 200), (64, 64))
    labels = np.zeros((64, 64), np.int64)
    labels[:, 32:] = 1  # the right half of the input
    mask = fit.labels_to_image(labels)
    assert mask.shape == (150, 200)
    assert mask[:, :99].max() == 0 and mask[:, 101:].min() == 1


def test_a_person_box_is_cropped_as_coco_training_crops_it():
    from keras_psa.data.coco_keypoints import crop_transform

    _, fit = fit_image(random_image(150, 200), (64, 48), box=(50, 20, 30, 60))
    center, scale = crop_transform((50, 20, 30, 60), (64, 48), 1.25)
    np.testing.assert_allclose(fit.center, center)
    assert fit.scale == (scale, scale)


def test_a_wrong_mode_is_refused():
    with pytest.raises(ValueError, match="`mode` must be one of"):
        fit_image(random_image(8, 8), (8, 8), "crop")
