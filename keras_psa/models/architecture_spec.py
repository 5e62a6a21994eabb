"""The architecture arguments that training, QAT and the builders share."""

import dataclasses

from keras_psa.models.heatmap_model import build_heatmap_model
from keras_psa.models.segmentation_model import build_segmentation_model


@dataclasses.dataclass(frozen=True)
class ArchitectureSpec:
    """Backbone, head and attention of a dense-prediction model, one place for all.

    The training configs carry these fields as CLI flags and record them in
    their `summary.json`; `from_config` reads them back from either, so the
    training run, the QAT rebuild of its model and any later rebuild get the
    same architecture.

    Args:
        backbone, head, attention, attention_positions, psa_variant, alpha,
            head_filters: as in `build_segmentation_model`.

    Example:

    >>> spec = ArchitectureSpec("mobilenet_v2", attention="psa_s", alpha=0.35,
    ...                         head_filters=16)
    >>> spec.build_segmentation_model(3, input_shape=(64, 64, 3)).output_shape
    (None, 64, 64, 3)
    >>> ArchitectureSpec.from_config({**spec.to_dict(), "epochs": 5}) == spec
    True
    """

    backbone: str = "mobilenet_v3_small"
    head: str = "lraspp"
    attention: str = "psa_s"
    attention_positions: tuple = ("head",)
    psa_variant: str = "paper"
    alpha: float = 1.0
    head_filters: int = 128

    def __post_init__(self):
        # JSON gives lists back; a hashable, comparable spec needs a tuple.
        object.__setattr__(self, "attention_positions", tuple(self.attention_positions))

    @classmethod
    def from_config(cls, config):
        """The spec of a training config (dataclass or dict); other fields are ignored."""
        if dataclasses.is_dataclass(config):
            config = dataclasses.asdict(config)
        if not isinstance(config, dict):
            raise TypeError("`config` must be a training config or its dict. "
                            f"Received: config={config!r}")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in config]
        if missing:
            raise ValueError(f"`config` lacks the architecture fields {missing}. "
                             f"Received: config keys {sorted(config)}")
        return cls(**{f.name: config[f.name] for f in dataclasses.fields(cls)})

    def to_dict(self):
        return {**dataclasses.asdict(self), "attention_positions": list(self.attention_positions)}

    def build_segmentation_model(self, num_classes, *, input_shape, batch_size=None, **kwargs):
        """`build_segmentation_model` with this spec; `kwargs` go to the builder."""
        return build_segmentation_model(self.backbone, num_classes, input_shape=input_shape,
                                        batch_size=batch_size, **self._builder_args(), **kwargs)

    def build_heatmap_model(self, num_keypoints, *, input_shape, batch_size=None, **kwargs):
        """`build_heatmap_model` with this spec; `kwargs` (e.g. `activation`) go to the
        builder."""
        return build_heatmap_model(self.backbone, num_keypoints, input_shape=input_shape,
                                   batch_size=batch_size, **self._builder_args(), **kwargs)

    def _builder_args(self):
        args = dataclasses.asdict(self)
        del args["backbone"]
        return args
