"""Scores of model files on a labelled dataset, through the inference path, with paired intervals.

`evaluate_models` runs every file on the same images through `Predictor` (fit,
run, map back to each label's own resolution), scores it as training logs it
(mean IoU of `keras.metrics.MeanIoU`, pixel accuracy; OKS AP with pycocotools,
PCK@0.1, mean error) and gives each further file's paired difference to the first
with a bootstrap 95% interval over the images.
"""

import dataclasses
import os

import numpy as np

from keras_psa.inference.paired_bootstrap import paired_bootstrap
from keras_psa.inference.paired_bootstrap import resample_examples
from keras_psa.inference.segmentation_scores import SegmentationScores
from keras_psa.inference.segmentation_scores import confusion_matrix

# Bootstrap resamples by task: a keypoint resample runs COCOeval, a segmentation one a sum.
DEFAULT_RESAMPLES = {"segmentation": 1000, "keypoints": 300}


def is_keypoint_dataset(name):
    return name == "figures" or name.startswith("coco:")


@dataclasses.dataclass
class LabelledImages:
    """Random access to a dataset split as the inference path takes it.

    Attributes:
        name: the dataset spec.
        task: `"segmentation"` or `"keypoints"`.
        source: segmentation: the `make_source` object ((image, mask) per index).
        examples: keypoints: `keypoint_examples`' dict.
        class_names, ignore_label: segmentation classes.
    """

    name: str
    task: str
    source: object = None
    examples: dict = None
    class_names: tuple = None
    ignore_label: object = None

    def pair(self, index):
        """`(image, mask)` of a segmentation example; a folder's images as their uint8
        pixels (the values training reads, decoded without a float copy)."""
        from keras_psa.data.directory_dataset import DirectoryDataset
        from keras_psa.data.directory_dataset import read_mask

        if not isinstance(self.source, DirectoryDataset):
            return self.source[index]
        from PIL import Image

        image_path, mask_path = self.source.pairs[int(index)]
        try:
            with Image.open(image_path) as file:
                image = np.asarray(file.convert("RGB"))
        except Exception as error:  # PIL raises many types for corrupt or foreign files
            raise ValueError(f"Cannot read image file {image_path}: {error}") from error
        mask = read_mask(mask_path, self.source.num_classes, self.ignore_label)
        if image.shape[:2] != mask.shape:
            raise ValueError(f"Image {image_path} is {image.shape[1]}x{image.shape[0]} but its "
                             f"mask {mask_path} is {mask.shape[1]}x{mask.shape[0]}.")
        return image, mask

    def __len__(self):
        return len(self.source) if self.task == "segmentation" else len(self.examples["images"])

    @classmethod
    def load(cls, name, image_size, split="val", seed=0, num_examples=None, num_classes=None):
        """The split of `name` (built-in scenes and figures made at `image_size`)."""
        if is_keypoint_dataset(name):
            from keras_psa.data.load_keypoint_dataset import keypoint_examples

            examples = keypoint_examples(name, image_size, split=split, seed=seed,
                                         num_examples=num_examples)
            return cls(name=name, task="keypoints", examples=examples)
        from keras_psa.data.directory_dataset import DirectoryDataset
        from keras_psa.data.load_dataset import make_source

        source = make_source(name, image_size, split, seed, num_examples, num_classes)
        ignore = source.ignore_label if isinstance(source, DirectoryDataset) else None
        return cls(name=name, task="segmentation", source=source,
                   class_names=tuple(source.class_names), ignore_label=ignore)


def segmentation_scores(predictor, data, indices=None):
    """`SegmentationScores` of `predictor` on `data` (a segmentation `LabelledImages`)."""
    num_classes = len(data.class_names)
    indices = range(len(data)) if indices is None else indices
    from concurrent.futures import ThreadPoolExecutor

    def load(index):
        image, mask = data.pair(index)
        return mask, predictor.fit_to_input(image)

    def score(mask, logits, fit):
        return confusion_matrix(mask, predictor.mask_of(logits, fit), num_classes,
                                data.ignore_label)

    # Three stages on three threads: decode and fit the next images, run the model, map
    # the last output back and count it (numpy and LiteRT release the GIL).
    matrices, pending = [], []
    with ThreadPoolExecutor(max_workers=1) as post:
        for mask, (inputs, fit) in prefetched(load, indices):
            pending.append(post.submit(score, mask, predictor.run(inputs[None])[0], fit))
            if len(pending) > 2:  # at most two outputs wait: memory stays flat
                matrices.append(pending.pop(0).result())
        matrices += [future.result() for future in pending]
    return SegmentationScores(np.stack(matrices), data.class_names)


def prefetched(load, indices, ahead=2):
    """`load(index)` of each index, `ahead` items in advance on a thread: Pillow's decoders
    and transforms and LiteRT's invoke release the GIL, so decoding and fitting the next
    images overlap the model."""
    from concurrent.futures import ThreadPoolExecutor

    indices = list(indices)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = [pool.submit(load, index) for index in indices[:ahead]]
        for position in range(len(indices)):
            item = pending.pop(0).result()
            if position + ahead < len(indices):
                pending.append(pool.submit(load, indices[position + ahead]))
            yield item


def keypoint_predictions(predictor, images):
    """`[x, y, score]` (N, K, 3) of each image taken whole as one person's crop."""
    return np.stack([predictor.predict(image).keypoints[0] for image in images])


def _keypoint_entry(scores):
    return {"oks_ap": scores.ap, "oks_ap50": scores.ap50, "oks_ap75": scores.ap75,
            "pck": scores.pck, "mean_error_px": scores.mean_error_px,
            "num_images": scores.num_examples}


def evaluate_models(models, dataset, split="val", output_dir=None, seed=0, num_examples=None,
                    num_classes=None, resamples=None, progress=False,
                    **predictor_options):
    """Scores every model file on `dataset` and compares each further one with the first.

    Args:
        models: `.keras` / `.tflite` paths, or `Predictor`s.
        dataset: `digits`, `shapes`, `dir:PATH`, `figures` or `coco:ROOT`.
        split: the split to score.
        output_dir: where to write `evaluation.json`, `evaluation.md` and the
            pictures (worst images, and a confusion matrix for segmentation);
            None: nothing written.
        seed, num_examples, num_classes: as `load_dataset`'s.
        resamples: bootstrap resamples of the paired intervals (default:
            `DEFAULT_RESAMPLES` of the task).
        progress: a tqdm bar per model.
        **predictor_options: `Predictor` arguments (task, labels, pixel_range, ...).

    Returns:
        The `evaluation.json` dict: `dataset`, `split`, `models` (one entry per file:
        `path` and its scores) and `differences` (one per further file: `model`,
        `baseline`, `metric`, `difference`, `ci95`).
    """
    from keras_psa.inference.predictor import Predictor
    from keras_psa.keypoints.evaluation import score_keypoints

    if not models:
        raise ValueError("`models` must name at least one model file. Received: models=[]")
    predictors = [m if isinstance(m, Predictor) else Predictor(m, **predictor_options)
                  for m in models]
    tasks = {p.task for p in predictors}
    wanted = "keypoints" if is_keypoint_dataset(dataset) else "segmentation"
    if tasks != {wanted}:
        raise ValueError(f"`models` must all be {wanted} models for dataset {dataset!r}. "
                         f"Received: {[f'{p.path} ({p.task})' for p in predictors]}")
    data = LabelledImages.load(dataset, predictors[0].input_size, split, seed, num_examples,
                               num_classes)
    entries, scorers = [], []
    for predictor in _progress(predictors, progress):
        if data.task == "segmentation":
            scores = segmentation_scores(predictor, data)
            entry = {"path": predictor.path, **scores.to_dict()}
            scorers.append(scores.resampled_mean_iou)
        else:
            predictions = keypoint_predictions(predictor, data.examples["images"])
            scores = score_keypoints(predictions, data.examples)
            entry = {"path": predictor.path, **_keypoint_entry(scores),
                     "predictions": predictions}
            scorers.append(_oks_ap_of(predictions, data.examples))
        entry["scores"] = scores
        entries.append(entry)
    metric = "mean_iou" if data.task == "segmentation" else "oks_ap"
    resamples = DEFAULT_RESAMPLES[data.task] if resamples is None else resamples
    differences = []
    for entry, scorer in zip(entries[1:], scorers[1:]):
        difference, interval = paired_bootstrap(scorer, scorers[0], len(data), resamples, seed)
        differences.append({"model": entry["path"], "baseline": entries[0]["path"],
                            "metric": metric, "difference": difference, "ci95": interval,
                            "resamples": int(resamples)})
    result = {"dataset": dataset, "split": split, "task": data.task, "num_images": len(data),
              "models": entries, "differences": differences}
    if output_dir is not None:
        from keras_psa.inference.evaluation_report import write_evaluation

        write_evaluation(result, data, predictors, output_dir)
    for entry in entries:
        entry.pop("scores")
        entry.pop("predictions", None)
    return result


def _oks_ap_of(predictions, examples):
    from keras_psa.keypoints.evaluation import score_keypoints

    def score(counts):
        if np.all(counts == 1):
            return score_keypoints(predictions, examples).ap
        index = np.repeat(np.arange(len(counts)), counts)
        return score_keypoints(predictions[index], resample_examples(examples, counts)).ap

    return score


def _progress(items, progress):
    if not progress:
        return items
    from tqdm import tqdm

    return tqdm(items, unit="model")


def model_name(path):
    """A short name of a model file for tables: its file name (with its folder when
    two files share one)."""
    return os.path.basename(os.fspath(path))
