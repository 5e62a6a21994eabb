"""What a model file says about itself: task, pixel range, class or joint names, skeleton."""

import dataclasses
import json
import os

TASKS = ("segmentation", "keypoints")
# The metadata output names the converter writes for each task.
OUTPUT_TASKS = {"segmentation_masks": "segmentation", "heatmaps": "keypoints"}


def run_summary(model_path):
    """The training summary of a model file's run, or None: `summary.json` beside it, or
    the pipeline's `float/summary.json` in its folder or the folder above."""
    folder = os.path.dirname(os.path.abspath(os.fspath(model_path)))
    for candidate in (os.path.join(folder, "summary.json"),
                      os.path.join(folder, "float", "summary.json"),
                      os.path.join(os.path.dirname(folder), "float", "summary.json")):
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8") as file:
                    summary = json.load(file)
            except (OSError, ValueError):
                continue
            if isinstance(summary, dict) and "dataset" in summary:
                return summary
    return None


def _known_skeleton(joint_names):
    from keras_psa.keypoints.skeleton import COCO_SKELETON
    from keras_psa.keypoints.skeleton import FIGURE_SKELETON
    from keras_psa.keypoints.skeleton import Skeleton

    for skeleton in (FIGURE_SKELETON, COCO_SKELETON):
        if tuple(joint_names) == skeleton.joint_names:
            return skeleton
    # Unknown joints: no bones to draw; COCO's shoulder sigma for every joint.
    return Skeleton(name="model", joint_names=tuple(joint_names), limbs=(), flip_pairs=(),
                    sigmas=(0.079,) * len(joint_names))


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """What running a model needs besides its weights.

    Attributes:
        task: `"segmentation"` or `"keypoints"`.
        pixel_range: `(low, high)` the model takes for pixels 0..255.
        class_names: one name per segmentation class (None for keypoints).
        skeleton: the `Skeleton` of a keypoint model (None for segmentation).
        sigma: the heatmap targets' sigma (sets the decoding's smoothing).
        source: where the facts came from, for reports.
    """

    task: str
    pixel_range: tuple
    class_names: tuple = None
    skeleton: object = None
    sigma: float = None
    source: str = ""

    def to_dict(self):
        return {"task": self.task, "pixel_range": list(self.pixel_range),
                "class_names": None if self.class_names is None else list(self.class_names),
                "joint_names": None if self.skeleton is None else list(
                    self.skeleton.joint_names),
                "sigma": self.sigma, "source": self.source}

    @classmethod
    def read(cls, runner, task=None, labels=None, pixel_range=None, sigma=None):
        """The facts of the model `runner` runs; the arguments fill what its file lacks.

        Raises:
            ValueError: naming the flag (`--task`, `--pixel-range`) that must be given
                because the file does not say it; or a flag that contradicts the file.
        """
        from keras_psa.export.conversion.input_range import model_input_range
        from keras_psa.export.metadata import parse_names
        from keras_psa.export.metadata import read_metadata

        path = runner.path
        summary = run_summary(path)
        metadata = read_metadata(path) if runner.kind == "tflite" else None
        sources = []
        file_task = None
        if metadata is not None:
            file_task = OUTPUT_TASKS.get(metadata.output_name)
            sources.append("metadata")
        elif summary is not None:
            file_task = summary.get("task", "segmentation")
            sources.append("summary.json")
        if task is not None and task not in TASKS:
            raise ValueError(f"`task` must be one of {TASKS}. Received: task={task!r}")
        if task is None:
            task = file_task
        if task is None:
            raise ValueError(
                f"`task` must be given (--task segmentation or --task keypoints): {path} has "
                "neither model metadata nor a training summary.json beside it that says what "
                "its output is. Received: task=None")
        file_range = None
        if runner.kind == "keras":
            file_range = model_input_range(runner.model)
        elif metadata is not None:
            file_range = metadata.input_range
        if pixel_range is None:
            pixel_range = file_range
        if pixel_range is None:
            raise ValueError(
                f"`pixel_range` must be given (--pixel-range LOW HIGH, e.g. --pixel-range 0 "
                f"255): the input range of {path} is in neither its metadata nor a Rescaling "
                "at its input. Received: pixel_range=None")
        pixel_range = tuple(float(v) for v in pixel_range)
        if len(pixel_range) != 2 or not pixel_range[0] < pixel_range[1]:
            raise ValueError("`pixel_range` must be (low, high) with low < high. "
                             f"Received: pixel_range={pixel_range}")
        names = parse_names(labels) if labels is not None else None
        if names is None and metadata is not None and metadata.labels:
            names = metadata.labels
        dataset = (summary or {}).get("dataset", {})
        if task == "segmentation":
            names = names or dataset.get("class_names")
            return cls(task=task, pixel_range=pixel_range,
                       class_names=tuple(str(n) for n in names) if names else None,
                       source="+".join(sources))
        from keras_psa.keypoints.skeleton import Skeleton

        if names is None and dataset.get("skeleton"):
            skeleton = Skeleton.from_dict(dataset["skeleton"])
        elif dataset.get("skeleton") and tuple(names) == tuple(
                dataset["skeleton"]["joint_names"]):
            skeleton = Skeleton.from_dict(dataset["skeleton"])
        else:
            skeleton = _known_skeleton(names) if names else None
        sigma = sigma if sigma is not None else dataset.get("sigma")
        return cls(task=task, pixel_range=pixel_range, skeleton=skeleton,
                   sigma=None if sigma is None else float(sigma), source="+".join(sources))
