"""One inference path for `.keras` and `.tflite` files: images in, result objects out.

`Predictor` opens a model file, fits images to its input and maps its results
back to each image's own pixels; `keras-psa-predict`, `keras-psa-evaluate`,
training's and QAT's validation scoring all run models through it.
"""

from keras_psa.inference.image_fit import FIT_MODES
from keras_psa.inference.image_fit import ImageFit
from keras_psa.inference.image_fit import fit_image
from keras_psa.inference.image_loading import IMAGE_EXTENSIONS
from keras_psa.inference.image_loading import ImageReadError
from keras_psa.inference.image_loading import load_image
from keras_psa.inference.keypoint_result import KeypointResult
from keras_psa.inference.model_facts import ModelFacts
from keras_psa.inference.model_runner import ModelRunner
from keras_psa.inference.predictor import Predictor
from keras_psa.inference.segmentation_result import SegmentationResult

__all__ = [
    "FIT_MODES",
    "IMAGE_EXTENSIONS",
    "ImageFit",
    "ImageReadError",
    "KeypointResult",
    "ModelFacts",
    "ModelRunner",
    "Predictor",
    "SegmentationResult",
    "fit_image",
    "load_image",
]
