"""Named joints, limbs, left/right pairs and OKS sigmas of a keypoint skeleton."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """A keypoint skeleton: what each heatmap channel means.

    Args:
        name: short name, e.g. `"figure14"`.
        joint_names: one name per keypoint (heatmap channel order).
        limbs: `(a, b)` joint-index pairs drawn as bones.
        flip_pairs: `(left, right)` joint-index pairs swapped by a horizontal flip.
        sigmas: per-joint OKS constants (COCO's `kpt_oks_sigmas`): the
            tolerance of each joint as a fraction of the object's scale.
    """

    name: str
    joint_names: tuple
    limbs: tuple
    flip_pairs: tuple
    sigmas: tuple

    def __post_init__(self):
        count = len(self.joint_names)
        if len(self.sigmas) != count:
            raise ValueError(
                f"`sigmas` must have one value per joint ({count}). "
                f"Received: {len(self.sigmas)} sigmas"
            )
        for pair in (*self.limbs, *self.flip_pairs):
            if len(pair) != 2 or not all(0 <= index < count for index in pair):
                raise ValueError(
                    f"Limbs and flip pairs must be pairs of joint indices in [0, {count}). "
                    f"Received: {pair!r}"
                )

    @property
    def num_joints(self):
        return len(self.joint_names)

    def flip_permutation(self):
        """Index array `p` with `flipped[..., j] = original[..., p[j]]` after a mirror."""
        permutation = np.arange(self.num_joints)
        for left, right in self.flip_pairs:
            permutation[left], permutation[right] = right, left
        return permutation

    def to_dict(self):
        return {"name": self.name, "joint_names": list(self.joint_names),
                "limbs": [list(limb) for limb in self.limbs],
                "flip_pairs": [list(pair) for pair in self.flip_pairs],
                "sigmas": list(self.sigmas)}

    @classmethod
    def from_dict(cls, config):
        return cls(name=config["name"], joint_names=tuple(config["joint_names"]),
                   limbs=tuple(tuple(limb) for limb in config["limbs"]),
                   flip_pairs=tuple(tuple(pair) for pair in config["flip_pairs"]),
                   sigmas=tuple(float(s) for s in config["sigmas"]))


# The procedural figures' 14 joints. The OKS sigmas are COCO's for the same
# joint (Ronchi & Perona, ICCV 2017, measured on re-annotated COCO images):
# the synthetic labels are exact, so the sigmas do not model annotator noise
# here; reusing COCO's keeps "OKS 0.5/0.75" the same tolerance per joint as in
# a COCO AP. COCO has no head centre or neck: the head centre takes the ear's
# 0.035 (a point inside a round blob, placed about as loosely as an ear), the
# neck the shoulders' 0.079 (it sits between them).
FIGURE_SKELETON = Skeleton(
    name="figure14",
    joint_names=("head", "neck", "left_shoulder", "right_shoulder", "left_elbow",
                 "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                 "left_knee", "right_knee", "left_ankle", "right_ankle"),
    limbs=((0, 1), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7), (2, 8), (3, 9),
           (8, 9), (8, 10), (9, 11), (10, 12), (11, 13)),
    flip_pairs=((2, 3), (4, 5), (6, 7), (8, 9), (10, 11), (12, 13)),
    sigmas=(0.035, 0.079, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087,
            0.087, 0.089, 0.089),
)

# COCO's 17 person keypoints, limbs and sigmas (pycocotools' defaults).
COCO_SKELETON = Skeleton(
    name="coco17",
    joint_names=("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                 "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                 "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
                 "right_ankle"),
    limbs=((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6),
           (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5),
           (4, 6)),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
    sigmas=(0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
            0.107, 0.107, 0.087, 0.087, 0.089, 0.089),
)
