"""What a training script needs to know about a loaded dataset."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Facts about one split of a dataset returned by `load_dataset`.

    Args:
        name: the dataset name as passed to `load_dataset`.
        split: the split loaded.
        num_classes: number of classes, background included.
        class_names: one name per class index.
        image_size: (height, width) of the yielded images.
        num_examples: examples in the split (one epoch).
        batch_size: the batch size of the dataset.
        steps_per_epoch: batches per epoch (incomplete last batch dropped when training).
        ignore_label: a mask value to leave out of losses and metrics, or None.
    """

    name: str
    split: str
    num_classes: int
    class_names: tuple
    image_size: tuple
    num_examples: int
    batch_size: int
    steps_per_epoch: int
    ignore_label: object = None
