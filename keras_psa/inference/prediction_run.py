"""A model run over image files, folders, globs and videos, writing pictures and results."""

import dataclasses
import glob
import json
import os

import numpy as np

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.inference.drawing import save_png
from keras_psa.inference.image_loading import IMAGE_EXTENSIONS
from keras_psa.inference.image_loading import ImageReadError
from keras_psa.inference.output_names import unique_stem
from keras_psa.inference.person_boxes import boxes_for
from keras_psa.inference.video_frames import VIDEO_EXTENSIONS
from keras_psa.inference.video_frames import VideoReadError
from keras_psa.inference.video_frames import VideoWriter
from keras_psa.inference.video_frames import video_frames
from keras_psa.inference.video_frames import video_rate


def expand_sources(sources):
    """`(files, problems)`: the image and video files of `sources` (files, folders, globs)
    in order, and `(source, reason)` for each source that names none."""
    files, problems = [], []
    known = IMAGE_EXTENSIONS + VIDEO_EXTENSIONS
    for source in sources:
        source = os.fspath(source)
        if os.path.isdir(source):
            found = sorted(os.path.join(source, name) for name in os.listdir(source)
                           if name.lower().endswith(known))
            reason = "folder without images or videos"
        elif os.path.isfile(source):
            found, reason = [source], None
        else:
            found = sorted(path for path in glob.glob(source) if os.path.isfile(path))
            reason = "no such file, folder or glob match"
        if not found:
            problems.append((source, reason))
        files.extend(found)
    return files, problems



@dataclasses.dataclass
class PredictionRun:
    """What `run_predictions` wrote and measured.

    Attributes:
        predictions: the entries of `predictions.json`.
        written: paths of the files written.
        problems: `(source, reason)` of every input skipped.
        model_ms, total_ms: milliseconds per image or frame (model alone, whole image).
    """

    predictions: list = dataclasses.field(default_factory=list)
    written: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)
    model_ms: list = dataclasses.field(default_factory=list)
    total_ms: list = dataclasses.field(default_factory=list)

    def median_ms(self):
        """`(model, total)` median milliseconds per image, or (None, None)."""
        if not self.total_ms:
            return None, None
        return float(np.median(self.model_ms)), float(np.median(self.total_ms))


def run_predictions(predictor, sources, output_dir, boxes=None, frame_masks=False,
                    progress=False):
    """Runs `predictor` on every image and video frame of `sources`; writes into `output_dir`.

    Per image `NAME.ext`: `NAME_overlay.png`, and for segmentation `NAME_mask.png`
    (8-bit, pixel value = class index, with a palette). Per video: `NAME_overlay.mp4`
    (`NAME_frameNNNNNN_mask.png` too with `frame_masks`). Then `predictions.json`:
    segmentation entries per image or frame, or COCO keypoint results (image ids of
    the `boxes` file when given). Unreadable inputs are skipped and listed in
    `problems`; every file is written atomically.

    Args:
        predictor: a `Predictor`.
        sources: image or video files, folders, globs.
        output_dir: the folder to write to.
        boxes: `read_person_boxes` of a COCO file, for a top-down keypoint model.
        frame_masks: also write a mask PNG per video frame.
        progress: show a tqdm progress bar.
    """
    os.makedirs(output_dir, exist_ok=True)
    files, problems = expand_sources(sources)
    run = PredictionRun(problems=list(problems))
    used = set()
    keypoints = predictor.task == "keypoints"
    next_id = [1]

    def handle(result, stem, mask_name=None):
        run.model_ms.append(result.timing_ms["model"])
        run.total_ms.append(result.timing_ms["total"])
        if keypoints:
            if result.image_id is None:
                result.image_id = next_id[0]
            next_id[0] = max(next_id[0], int(result.image_id)) + 1
            run.predictions.extend(result.to_coco())
        else:
            if mask_name is not None:
                run.written.append(result.save_mask(os.path.join(output_dir, mask_name)))
            run.predictions.append(result.to_dict(mask_name))

    def predict(image, path, frame=None):
        image_boxes, image_id = None, None
        if boxes is not None and keypoints:
            found = boxes_for(boxes, path)
            if found is None:
                raise ImageReadError(f"{path}: not in the --boxes file")
            image_id, image_boxes = found
        return predictor.predict(image, boxes=image_boxes, source=path, frame=frame,
                                 image_id=image_id)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file")
    for path in files:
        stem = unique_stem(path, used)
        entries = len(run.predictions)
        try:
            if path.lower().endswith(VIDEO_EXTENSIONS):
                overlay_path = os.path.join(output_dir, f"{stem}_overlay.mp4")
                with VideoWriter(overlay_path, rate=video_rate(path)) as writer:
                    for frame, image in video_frames(path):
                        result = predict(image, path, frame)
                        writer.write(result.overlay())
                        handle(result, stem, f"{stem}_frame{frame:06d}_mask.png"
                               if frame_masks else None)
                run.written.append(overlay_path)
            else:
                result = predict(path, path)
                run.written.append(save_png(result.overlay(),
                                            os.path.join(output_dir, f"{stem}_overlay.png")))
                handle(result, stem, f"{stem}_mask.png")
        except (ImageReadError, VideoReadError) as error:
            # A video that breaks half-way is skipped whole: no entries of its first frames.
            del run.predictions[entries:]
            run.problems.append((path, str(error)))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    json_path = os.path.join(output_dir, "predictions.json")
    write_bytes_atomically(json_path, json.dumps(run.predictions, indent=1).encode("utf-8"))
    run.written.append(json_path)
    return run
