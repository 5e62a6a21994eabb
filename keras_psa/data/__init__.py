"""Segmentation data as tf.data pipelines: built-in scenes and a directory format.

Every pipeline yields (image, mask): image float32 RGB (H, W, 3) in 0..255
(models preprocess inside), mask int32 (H, W) class indices. Keypoint pipelines
(`load_keypoint_dataset`) yield (image, heatmap targets) from `KeypointFigures`
or COCO-format files.
"""

from keras_psa.data.augmentation import augment_pair
from keras_psa.data.augmentation import resize_pair
from keras_psa.data.coco_keypoints import CocoKeypoints
from keras_psa.data.dataset_info import DatasetInfo
from keras_psa.data.digit_scenes import DigitScenes
from keras_psa.data.directory_dataset import DirectoryDataset
from keras_psa.data.keypoint_figures import KeypointFigures
from keras_psa.data.load_dataset import load_dataset
from keras_psa.data.load_dataset import make_source
from keras_psa.data.load_dataset import representative_dataset
from keras_psa.data.load_dataset import validation_examples
from keras_psa.data.load_keypoint_dataset import KeypointDatasetInfo
from keras_psa.data.load_keypoint_dataset import keypoint_examples
from keras_psa.data.load_keypoint_dataset import keypoint_representative_images
from keras_psa.data.load_keypoint_dataset import load_keypoint_dataset
from keras_psa.data.preview import save_preview
from keras_psa.data.shape_scenes import ShapeScenes

__all__ = [
    "CocoKeypoints",
    "DatasetInfo",
    "DigitScenes",
    "DirectoryDataset",
    "KeypointDatasetInfo",
    "KeypointFigures",
    "ShapeScenes",
    "augment_pair",
    "keypoint_examples",
    "keypoint_representative_images",
    "load_keypoint_dataset",
    "load_dataset",
    "make_source",
    "representative_dataset",
    "resize_pair",
    "save_preview",
    "validation_examples",
]
