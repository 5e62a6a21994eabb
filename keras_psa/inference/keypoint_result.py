"""The result of a keypoint model on one image or video frame."""

import dataclasses

import numpy as np

from keras_psa.inference.drawing import draw_skeletons
from keras_psa.keypoints.oks import instance_scores


@dataclasses.dataclass
class KeypointResult:
    """People's keypoints in the image's pixels.

    Attributes:
        keypoints: float (P, K, 3) `[x, y, score]` per person and joint.
        boxes: float (P, 4) `[x, y, w, h]` each person was cropped from (the
            whole image without person boxes).
        skeleton: the `Skeleton` (joint names, bones).
        image: the uint8 RGB (H, W, 3) image, for drawing.
        source, frame, timing_ms: as `SegmentationResult`'s.
        image_id: the COCO image id (from a boxes file), or None.
    """

    keypoints: np.ndarray
    boxes: np.ndarray
    skeleton: object
    image: np.ndarray = None
    source: str = None
    frame: int = None
    timing_ms: dict = None
    image_id: int = None

    @property
    def scores(self):
        """One confidence per person (mmpose's rescoring, as COCOeval ranks them)."""
        return instance_scores(self.keypoints) if len(self.keypoints) else np.zeros(0)

    def to_coco(self, image_id=None, category_id=1):
        """COCO keypoint results: one dict per person, pycocotools' `loadRes` format."""
        image_id = self.image_id if image_id is None else image_id
        return [{"image_id": image_id, "category_id": int(category_id),
                 "keypoints": [float(v) for v in person.ravel()], "score": float(score),
                 "bbox": [float(v) for v in box]}
                for person, score, box in zip(self.keypoints, self.scores, self.boxes)]

    def to_dict(self):
        height, width = (None, None) if self.image is None else self.image.shape[:2]
        return {"source": self.source, "frame": self.frame, "width": width, "height": height,
                "image_id": self.image_id, "joint_names": list(self.skeleton.joint_names),
                "people": self.to_coco()}

    def overlay(self):
        """uint8 (H, W, 3): skeletons with each joint's score over the image."""
        return draw_skeletons(self.image, self.keypoints, self.skeleton)
