"""Training of segmentation and keypoint models: losses, metrics, schedules, resumable runs,
pictures."""

from keras_psa.training.distribution import STRATEGIES
from keras_psa.training.distribution import get_strategy
from keras_psa.training.distribution import is_chief
from keras_psa.training.heatmap_mse import HeatmapMSE
from keras_psa.training.keypoint_evaluation import KeypointEvaluation
from keras_psa.training.keypoint_train_config import KeypointTrainConfig
from keras_psa.training.learning_rate import SCHEDULES
from keras_psa.training.learning_rate import learning_rate_schedule
from keras_psa.training.paired_difference import paired_difference
from keras_psa.training.pixel_accuracy import PixelAccuracy
from keras_psa.training.resumable_backup import ResumableBackup
from keras_psa.training.segmentation_loss import segmentation_loss
from keras_psa.training.segmentation_metrics import per_class_iou
from keras_psa.training.segmentation_metrics import segmentation_metrics
from keras_psa.training.segmentation_pictures import psa_attention_maps
from keras_psa.training.segmentation_pictures import psa_layers
from keras_psa.training.segmentation_pictures import save_attention_maps
from keras_psa.training.segmentation_pictures import save_predictions
from keras_psa.training.train_config import TrainConfig
from keras_psa.training.train_keypoints import train_keypoints
from keras_psa.training.train_segmentation import train_segmentation

__all__ = [
    "SCHEDULES",
    "STRATEGIES",
    "HeatmapMSE",
    "KeypointEvaluation",
    "KeypointTrainConfig",
    "PixelAccuracy",
    "ResumableBackup",
    "TrainConfig",
    "get_strategy",
    "is_chief",
    "learning_rate_schedule",
    "paired_difference",
    "per_class_iou",
    "psa_attention_maps",
    "psa_layers",
    "save_attention_maps",
    "save_predictions",
    "segmentation_loss",
    "segmentation_metrics",
    "train_keypoints",
    "train_segmentation",
]
