"""Everything that defines one segmentation training run."""

import dataclasses

from keras_psa.models.architecture_spec import ArchitectureSpec

_ARCHITECTURE = ArchitectureSpec()


@dataclasses.dataclass
class TrainConfig:
    """Arguments of `train_segmentation` (the CLI flags of examples/train_segmentation.py).

    Args:
        output_dir: folder for the model, logs, backups, summary and pictures.
        dataset: `"shapes"`, `"digits"` or `"dir:PATH"`.
        image_size: training/validation image side (square) in pixels.
        batch_size: global batch size (split over the replicas).
        epochs: epochs to train.
        steps_per_epoch: optimizer steps per epoch; None means one pass over
            the training split.
        train_examples: scenes in the training split of a built-in dataset
            (None: the dataset's default).
        val_examples: scenes in the validation split of a built-in dataset
            (None: the dataset's default, 200); fewer for quick runs only, the
            validation figures then rest on fewer scenes.
        backbone, head, attention, attention_positions, psa_variant, alpha,
            head_filters: the model's `ArchitectureSpec`.
        learning_rate: peak learning rate (AdamW).
        schedule: `"cosine"` or `"constant"`.
        warmup_steps: linear warmup steps.
        weight_decay: AdamW weight decay.
        bn_momentum: momentum of every BatchNormalization layer. The MobileNet
            applications use 0.999, whose moving statistics need thousands of
            steps to catch up with from-scratch weights (a short run then
            predicts one class at evaluation); None keeps the model's values.
        mixed_precision: train with a mixed float16 (GPU) / bfloat16 policy.
        strategy: `"default"`, `"mirrored"`, `"multiworker"` or `"tpu"`.
        tpu: TPU name or address for `strategy="tpu"`.
        seed: seeds the weight initialisation.
        data_seed: seeds the scenes, shuffle order and augmentation, so that
            runs with different `seed` see the same data.
        backup_steps: steps between two fault-tolerance backups.
        deterministic: make TensorFlow ops deterministic (slower).
        num_pictures: validation images drawn in the PNGs.
    """

    output_dir: str = "runs/segmentation"
    dataset: str = "digits"
    image_size: int = 128
    batch_size: int = 16
    epochs: int = 10
    steps_per_epoch: int = None
    train_examples: int = None
    val_examples: int = None
    backbone: str = _ARCHITECTURE.backbone
    head: str = _ARCHITECTURE.head
    attention: str = _ARCHITECTURE.attention
    attention_positions: tuple = _ARCHITECTURE.attention_positions
    psa_variant: str = _ARCHITECTURE.psa_variant
    alpha: float = _ARCHITECTURE.alpha
    head_filters: int = _ARCHITECTURE.head_filters
    learning_rate: float = 2e-3
    schedule: str = "cosine"
    warmup_steps: int = 0
    weight_decay: float = 1e-4
    bn_momentum: float = 0.9
    mixed_precision: bool = False
    strategy: str = "default"
    tpu: str = None
    seed: int = 0
    data_seed: int = 0
    backup_steps: int = 50
    deterministic: bool = False
    num_pictures: int = 4

    def validate(self):
        """Raises ValueError naming the first bad field."""
        for name in ("image_size", "batch_size", "epochs", "backup_steps", "head_filters"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        for name in ("steps_per_epoch", "train_examples", "val_examples"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"`{name}` must be None or a positive int. Received: {name}={value!r}"
                )
        if self.warmup_steps < 0:
            raise ValueError(
                f"`warmup_steps` must be >= 0. Received: warmup_steps={self.warmup_steps!r}"
            )
        if self.num_pictures < 0:
            raise ValueError(
                f"`num_pictures` must be >= 0. Received: num_pictures={self.num_pictures!r}"
            )
