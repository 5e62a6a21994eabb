"""What QAT does differently for a segmentation and for a keypoint-heatmap run.

`qat_finetune` is the same five steps for both; the task of the float run's
`summary.json` says how to rebuild its model, which data it trains on, which
loss, which metadata the `.tflite` files get and how a model is scored.
"""

import numpy as np
import tensorflow as tf

from keras_psa.data import load_dataset
from keras_psa.data import validation_examples
from keras_psa.data.load_keypoint_dataset import keypoint_examples
from keras_psa.data.load_keypoint_dataset import keypoint_representative_images
from keras_psa.data.load_keypoint_dataset import load_keypoint_dataset
from keras_psa.inference.model_runner import ModelRunner
from keras_psa.keypoints.evaluation import mean_keypoint_shift
from keras_psa.keypoints.evaluation import predict_keypoints
from keras_psa.keypoints.evaluation import score_keypoints
from keras_psa.models import ArchitectureSpec
from keras_psa.training.heatmap_mse import HeatmapMSE
from keras_psa.training.segmentation_loss import segmentation_loss
from keras_psa.training.segmentation_metrics import segmentation_metrics
from keras_psa.training.tflite_mean_iou import tflite_mean_iou

PARITY_IMAGES = 4
TASKS = ("segmentation", "keypoints")


def _override(value, default):
    return default if value is None else value


class _Task:
    """The settings shared by both tasks: the float run's, unless `config` overrides them."""

    kind = None
    results_key = None

    def __init__(self, summary, config=None):
        train_config = summary["config"]
        self.summary = summary
        self.spec = ArchitectureSpec.from_config(train_config)
        self.dataset = _override(getattr(config, "dataset", None), train_config["dataset"])
        self.data_seed = _override(getattr(config, "data_seed", None),
                                   train_config["data_seed"])
        self.train_examples = _override(getattr(config, "train_examples", None),
                                        train_config.get("train_examples"))
        # Scored on the float run's validation split, as its own figures were.
        self.val_examples = train_config.get("val_examples")
        self.batch_size = getattr(config, "batch_size", 16)
        self.image_size = self._image_size(
            _override(getattr(config, "image_size", None), train_config["image_size"]))
        self._val = None

    def train_stream(self, start_step):
        """The endless training stream, resumable at `start_step`."""
        return self.load("train", repeat=True, start_step=start_step)[0]

    def calibration_images(self, batches):
        """The images of the first `batches` training batches, one array."""
        once = self.load("train")[0]
        return np.concatenate([batch[0] for batch in once.take(batches).as_numpy_iterator()])

    def val_data(self):
        """`(dataset, info)` of the validation split, of known length (Keras `fit`)."""
        if self._val is None:
            data, info = self.load("val", drop_remainder=False)
            self._val = (data.apply(tf.data.experimental.assert_cardinality(
                info.steps_per_epoch)), info)
        return self._val


class _SegmentationTask(_Task):
    kind = "segmentation"
    results_key = "val_mean_iou"

    def __init__(self, summary, config=None):
        super().__init__(summary, config)
        self.num_classes = summary["dataset"]["num_classes"]

    @staticmethod
    def _image_size(value):
        if isinstance(value, (list, tuple)):
            if len(value) != 2 or value[0] != value[1]:
                raise ValueError("`image_size` of a segmentation run must be one int (square "
                                 f"images). Received: image_size={value!r}")
            value = value[0]
        return int(value)

    @property
    def input_shape(self):
        return (self.image_size, self.image_size, 3)

    def build(self, batch_size=None):
        return self.spec.build_segmentation_model(self.num_classes, input_shape=self.input_shape,
                                                  batch_size=batch_size)

    def load(self, split, **kwargs):
        examples = self.train_examples if split == "train" else self.val_examples
        return load_dataset(self.dataset, self.image_size, self.batch_size, split=split,
                            seed=self.data_seed, num_examples=examples, **kwargs)

    def check_data(self):
        info = self.load("train")[1]
        if info.num_classes != self.num_classes:
            raise ValueError(
                f"`dataset` must have the float model's {self.num_classes} classes. "
                f"Received: dataset={self.dataset!r} with {info.num_classes} classes")
        self.ignore_label = info.ignore_label
        self.class_names = list(info.class_names)
        return info

    def dataset_facts(self):
        return {"num_classes": self.num_classes}

    def compile(self, model, optimizer=None):
        model.compile(optimizer=optimizer or "adam", loss=segmentation_loss(self.ignore_label),
                      metrics=segmentation_metrics(self.num_classes, self.ignore_label))
        return model

    def parity_images(self):
        return validation_examples(self.dataset, self.image_size, count=PARITY_IMAGES,
                                   seed=self.data_seed)[0]

    def metadata(self):
        """The metadata arguments of `convert_model` for this task's files."""
        return {"labels": self.class_names}

    def representative(self):
        return self.dataset

    def score_keras(self, model, float_model=None, qat_model=None):
        # The segmentation scores need no reference model: labels = Keras' is a parity
        # figure of the files.
        evaluated = model.evaluate(self.val_data()[0], verbose=0, return_dict=True)
        return float(evaluated["mean_iou"])

    def score_tflite(self, path, float_model=None, qat_model=None):
        return tflite_mean_iou(path, self.val_data()[0], self.num_classes, self.ignore_label)

    def results_lines(self, results):
        lines = ["| model | val mean IoU |", "|---|---|"]
        return lines + [f"| {name} | {value:.4f} |" for name, value in results.items()]


class _KeypointTask(_Task):
    kind = "keypoints"
    results_key = "val_keypoints"

    def __init__(self, summary, config=None):
        super().__init__(summary, config)
        dataset = summary["dataset"]
        self.num_joints = dataset["num_joints"]
        self.sigma = dataset["sigma"]
        # The float run's targets; runs that did not record them trained at the input's size.
        self.heatmap_size = dataset.get("heatmap_size")
        self.output_stride = summary["config"].get("output_stride", 1)
        self.activation = summary["config"]["activation"]
        self.flip = summary["config"].get("flip", True)
        # The float run's loss; runs from before the weight existed trained with plain MSE.
        self.foreground_weight = summary["config"].get("foreground_weight", 0.0)
        self._examples = None
        self._reference_predictions = {}

    @staticmethod
    def _image_size(value):
        if isinstance(value, int):
            value = (value, value)
        if len(value) != 2:
            raise ValueError("`image_size` of a keypoint run must be (height, width). "
                             f"Received: image_size={value!r}")
        return tuple(int(v) for v in value)

    @property
    def input_shape(self):
        return (*self.image_size, 3)

    def build(self, batch_size=None):
        return self.spec.build_heatmap_model(self.num_joints, input_shape=self.input_shape,
                                             activation=self.activation,
                                             output_stride=self.output_stride,
                                             batch_size=batch_size)

    def load(self, split, **kwargs):
        training = split == "train"
        examples = self.train_examples if training else self.val_examples
        return load_keypoint_dataset(self.dataset, self.image_size, self.batch_size, split=split,
                                     seed=self.data_seed, num_examples=examples,
                                     heatmap_size=self.heatmap_size, sigma=self.sigma,
                                     augment=training and self.flip,
                                     **kwargs)

    def check_data(self):
        info = self.load("train")[1]
        if info.num_joints != self.num_joints:
            raise ValueError(
                f"`dataset` must have the float model's {self.num_joints} joints. "
                f"Received: dataset={self.dataset!r} with {info.num_joints} joints")
        self.joint_names = list(info.skeleton.joint_names)
        return info

    def dataset_facts(self):
        return {"num_joints": self.num_joints, "sigma": self.sigma,
                "joint_names": self.joint_names}

    def compile(self, model, optimizer=None):
        model.compile(optimizer=optimizer or "adam",
                      loss=HeatmapMSE(foreground_weight=self.foreground_weight))
        return model

    def examples(self):
        if self._examples is None:
            self._examples = keypoint_examples(self.dataset, self.image_size, split="val",
                                               seed=self.data_seed,
                                               num_examples=self.val_examples)
        return self._examples

    def parity_images(self):
        return self.examples()["images"][:PARITY_IMAGES]

    def metadata(self):
        return {"keypoint_names": self.joint_names}

    def representative(self):
        return keypoint_representative_images(self.dataset, self.image_size,
                                              seed=self.data_seed,
                                              num_examples=self.train_examples)

    def _reference(self, model):
        # Keyed by the model object: the float and the fake-quant model are each
        # predicted once however many files are scored against them.
        key = id(model)
        if key not in self._reference_predictions:
            self._reference_predictions[key] = (model, predict_keypoints(
                lambda images: model.predict(images, verbose=0), self.examples()["images"],
                self.image_size, self.sigma, batch_size=self.batch_size))
        return self._reference_predictions[key][1]

    def _scores(self, predict, float_model, qat_model=None):
        examples = self.examples()
        predictions = predict_keypoints(predict, examples["images"], self.image_size,
                                        self.sigma, batch_size=self.batch_size)
        scores = score_keypoints(predictions, examples)
        result = {"oks_ap": scores.ap, "oks_ap50": scores.ap50, "oks_ap75": scores.ap75,
                  "pck": scores.pck, "mean_error_px": scores.mean_error_px}
        for key, model in (("shift_vs_float_keras_px", float_model),
                           ("shift_vs_qat_keras_px", qat_model)):
            if model is not None:
                result[key] = mean_keypoint_shift(predictions, self._reference(model),
                                                  examples["visibility"])
        return result

    def score_keras(self, model, float_model=None, qat_model=None):
        return self._scores(lambda images: model.predict(images, verbose=0), float_model,
                            qat_model)

    def score_tflite(self, path, float_model=None, qat_model=None):
        """OKS AP, PCK and mean error of a file; with `float_model` / `qat_model`, the
        mean distance of its keypoints from theirs (a QAT file's from the fake-quant
        model it was converted from: what conversion moved, apart from what QAT did)."""
        return self._scores(ModelRunner(path, xnnpack=True).run, float_model, qat_model)

    def results_lines(self, results):
        lines = ["| model | val OKS AP | AP50 | AP75 | PCK@0.1 | keypoint shift vs float "
                 "Keras (px) | vs QAT Keras (px) |", "|---|---|---|---|---|---|---|"]
        for name, value in results.items():
            shifts = [value.get(key) for key in ("shift_vs_float_keras_px",
                                                 "shift_vs_qat_keras_px")]
            lines.append(f"| {name} | {value['oks_ap']:.4f} | {value['oks_ap50']:.4f} | "
                         f"{value['oks_ap75']:.4f} | {value['pck']:.4f} | "
                         + " | ".join("-" if v is None else f"{v:.3f}" for v in shifts) + " |")
        return lines


def qat_task(summary, config=None):
    """The task object of a training `summary` (`config`: a `QATConfig` that may
    override the dataset, image size, example count and data seed)."""
    task = summary.get("task", "segmentation")
    if task not in TASKS:
        raise ValueError(f"The float run's task must be one of {TASKS}. Received: task={task!r}")
    return (_KeypointTask if task == "keypoints" else _SegmentationTask)(summary, config)
