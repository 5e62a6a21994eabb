"""Everything that defines one QAT fine-tuning run of a trained float model."""

import dataclasses


@dataclasses.dataclass
class QATConfig:
    """Arguments of `qat_finetune` (the CLI flags of examples/qat_finetune.py).

    Args:
        float_run: output folder of a `train_segmentation` or `train_keypoints`
            run (holds `summary.json` and `model.keras`), or a `.keras` file
            saved there.
        output_dir: folder for the QAT SavedModel, backups, `.tflite` files,
            reports and the summary.
        checkpoint: `"model"` (final weights) or `"best"` (best validation
            mean IoU) when `float_run` is a folder.
        dataset: `"shapes"`, `"digits"` or `"dir:PATH"` (keypoints:
            `"figures"` or `"coco:ROOT"`); None: the float run's dataset. Must
            have the float model's number of classes (joints).
        image_size: None: the float run's; an int (segmentation) or a
            (height, width) pair (keypoints).
        batch_size: QAT batch size.
        steps: QAT optimizer steps in all.
        steps_per_epoch: steps between two validations and backups.
        learning_rate: peak learning rate (AdamW, cosine decay); QAT starts
            from trained weights, so it is lower than for training.
        train_examples: scenes of a built-in training split (None: the float
            run's).
        data_seed: seeds the data (None: the float run's).
        backup_steps: steps between two fault-tolerance backups.
        calibration_batches: training batches that set the activation
            ranges before fine-tuning (`calibrate_quantization_ranges`); 0
            keeps tfmot's [-6, 6] start.
        freeze_batch_norm: run every BatchNormalization layer in inference
            mode during the fine-tune (its moving statistics and its scale and
            offset stay the float model's), so that the fake-quant model is
            trained with the statistics it is converted with. Defaults to True:
            trained, the statistics followed each batch and the demo's
            fake-quant model lost a point of mean IoU (docs/quantization.md).
        ptq_samples: calibration images of the post-training int8 models;
            0 writes none (no post-training comparison).
        ptq_float_ops: TFLite ops the post-training int8 model keeps float
            (`()`: all int8, like the QAT model; `"auto"`: the converter's
            XNNPACK default).
        gpu_run: run the models on LiteRT's real GPU accelerator (SwiftShader
            where no GPU is present).
        device_checks: run the device checks of every file (GPU rules and
            accelerator, fp16, XNNPACK, Keras parity) and write a report
            beside each. False: the files are only written and scored.
        seed: seeds the fine-tuning.
        allow_unsafe: load the float model even if that runs code stored in
            it (a `Lambda`); see `keras_psa.saving.load_model`.
    """

    float_run: str
    output_dir: str = "runs/qat"
    checkpoint: str = "model"
    dataset: str = None
    image_size: int = None
    batch_size: int = 16
    steps: int = 200
    steps_per_epoch: int = 50
    learning_rate: float = 2e-4
    train_examples: int = None
    data_seed: int = None
    backup_steps: int = 25
    calibration_batches: int = 8
    freeze_batch_norm: bool = True
    ptq_samples: int = 100
    ptq_float_ops: tuple = ()
    gpu_run: bool = True
    device_checks: bool = True
    seed: int = 0
    allow_unsafe: bool = False

    def validate(self):
        """Raises ValueError naming the first bad field."""
        for name in ("batch_size", "steps", "steps_per_epoch", "backup_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        for name in ("calibration_batches", "ptq_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
        for name in ("freeze_batch_norm", "gpu_run", "device_checks"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ValueError(f"`{name}` must be a bool. Received: {name}={value!r}")
        if self.checkpoint not in ("model", "best"):
            raise ValueError(
                f"`checkpoint` must be 'model' or 'best'. Received: checkpoint={self.checkpoint!r}"
            )
        if not self.learning_rate > 0:
            raise ValueError(
                f"`learning_rate` must be > 0. Received: learning_rate={self.learning_rate!r}"
            )
