"""Procedural articulated figures with keypoints: the built-in top-down pose data."""

import types

import numpy as np

from keras_psa.data import textures
from keras_psa.data.procedural_scenes import SPLITS
from keras_psa.data.procedural_scenes import normalize_image_size
from keras_psa.keypoints.skeleton import FIGURE_SKELETON

# Bone lengths and widths as fractions of the figure's height (head top to ankle).
_TORSO = 0.30
_NECK = 0.09
_HEAD_RADIUS = 0.065
_SHOULDER = 0.11
_HIP = 0.075
_UPPER_ARM, _FOREARM = 0.16, 0.15
_THIGH, _SHIN = 0.23, 0.22
_LIMB_WIDTH = {"arm": 0.035, "leg": 0.045, "torso": 0.09, "neck": 0.03}

# Joint limits in radians, measured from "straight down" in the torso frame,
# positive away from the body's midline (left side mirrored).
_LIMITS = types.MappingProxyType({
    "lean": (-0.35, 0.35),        # torso from upright
    "head": (-0.45, 0.45),        # head from the torso axis
    "upper_arm": (-0.35, 2.7),    # arm raised sideways, up to above the head
    "elbow": (-0.2, 2.4),         # forearm bend (either direction in 2-D)
    "thigh": (-0.35, 1.0),
    "knee": (-1.7, 0.25),         # shin bends back under the thigh
})


def _direction(angle):
    """Unit vector at `angle` from straight down (image y grows downwards)."""
    return np.array([np.sin(angle), np.cos(angle)])


def _segment_mask(xx, yy, a, b, radius):
    """Pixels within `radius` of the segment a-b (a capsule)."""
    ab = b - a
    length2 = max(float(ab @ ab), 1e-9)
    t = np.clip(((xx - a[0]) * ab[0] + (yy - a[1]) * ab[1]) / length2, 0.0, 1.0)
    dx = xx - (a[0] + t * ab[0])
    dy = yy - (a[1] + t * ab[1])
    return dx * dx + dy * dy <= radius * radius


class KeypointFigures:
    """Top-down crops of procedural articulated figures with 14 labelled joints.

    Each example is one figure (skeleton `FIGURE_SKELETON`: head, neck,
    shoulders, elbows, wrists, hips, knees, ankles) seen from the front, with
    a pose sampled within joint limits, then scaled, rotated and translated
    within the crop the way a COCO person box is cropped. Limbs are capsules
    filled with textures; the background is textured, with distractor limbs
    and blobs behind the figure and occluding bars in front of it. Every joint
    carries COCO's visibility flag: 2 visible, 1 hidden (under an occluder or
    another body part), 0 outside the crop. Example `i` of a split depends
    only on `(seed, split, i)`.

    Args:
        image_size: int or (height, width) of the crops; COCO's top-down
            crops are 4:3, e.g. (256, 192) or (128, 96).
        split: `"train"`, `"val"` or `"test"`; each split draws other figures.
        seed: int, the seed of the whole set.
        num_examples: figures in the split (default 1000 train, 200 val/test).
        distractors: most distractor shapes behind the figure.
        occluders: most occluding bars in front of the figure.

    Returns (indexing):
        A dict: `image` float32 (H, W, 3) in 0..255, `keypoints` float32
        (14, 2) `[x, y]` in pixels (pixel centres at integers), `visibility`
        int32 (14,), `bbox` float32 `[x, y, w, h]` of the figure's pixels and
        `area` (its visible pixel count, COCO's `area` for OKS).

    Example:
    ```python
    figures = KeypointFigures((128, 96), split="train", seed=0)
    example = figures[0]
    example["keypoints"].shape  # (14, 2)
    ```
    """

    skeleton = FIGURE_SKELETON
    default_num_examples = types.MappingProxyType({"train": 1000, "val": 200, "test": 200})

    def __init__(self, image_size=(128, 96), split="train", seed=0, num_examples=None,
                 distractors=4, occluders=2):
        if split not in SPLITS:
            raise ValueError(f"`split` must be one of {SPLITS}. Received: split={split!r}")
        if num_examples is None:
            num_examples = self.default_num_examples[split]
        if (not isinstance(num_examples, (int, np.integer)) or isinstance(num_examples, bool)
                or num_examples < 1):
            raise ValueError(
                f"`num_examples` must be a positive int. Received: num_examples={num_examples!r}"
            )
        for name, value in (("distractors", distractors), ("occluders", occluders)):
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
        self.image_size = normalize_image_size(image_size)
        self.split = split
        self.seed = int(seed)
        self.num_examples = int(num_examples)
        self.distractors = int(distractors)
        self.occluders = int(occluders)

    @property
    def num_joints(self):
        return self.skeleton.num_joints

    def __len__(self):
        return self.num_examples

    def __getitem__(self, index):
        index = int(index)
        if not 0 <= index < self.num_examples:
            raise IndexError(f"Figure index {index} out of range [0, {self.num_examples}).")
        rng = np.random.default_rng([self.seed, SPLITS.index(self.split), index, 14])
        return self._render(rng)

    # === Pose ===

    def _pose(self, rng):
        """Joint positions (14, 2) of a figure of height 1, neck at the origin."""
        def limit(name):
            low, high = _LIMITS[name]
            return rng.uniform(low, high)

        lean = limit("lean")
        up = -_direction(lean)  # from the pelvis towards the neck
        side = np.array([np.cos(lean), -np.sin(lean)])  # towards the figure's left (image right)
        neck = np.zeros(2)
        head = neck + _NECK * -_direction(lean + limit("head")) + _HEAD_RADIUS * up * 0.3
        pelvis = neck - _TORSO * up
        joints = {"head": head, "neck": neck}
        for sign, prefix in ((1.0, "left"), (-1.0, "right")):
            # Foreshortening: a limb pointing towards the camera looks shorter.
            shorten = rng.uniform(0.75, 1.0, size=4)
            shoulder = neck + sign * _SHOULDER * side + 0.02 * -up
            hip = pelvis + sign * _HIP * side
            arm = lean + sign * limit("upper_arm")
            elbow = shoulder + _UPPER_ARM * shorten[0] * _direction(arm)
            wrist = elbow + _FOREARM * shorten[1] * _direction(arm + sign * limit("elbow"))
            thigh = lean + sign * limit("thigh")
            knee = hip + _THIGH * shorten[2] * _direction(thigh)
            ankle = knee + _SHIN * shorten[3] * _direction(thigh + sign * limit("knee"))
            joints.update({f"{prefix}_shoulder": shoulder, f"{prefix}_elbow": elbow,
                           f"{prefix}_wrist": wrist, f"{prefix}_hip": hip,
                           f"{prefix}_knee": knee, f"{prefix}_ankle": ankle})
        return np.stack([joints[name] for name in self.skeleton.joint_names])

    def _place(self, rng, pose):
        """Scales, rotates and translates a unit-height pose into the crop, in pixels."""
        height, width = self.image_size
        angle = rng.normal(0.0, 0.3) if rng.random() < 0.85 else rng.uniform(-1.2, 1.2)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        rotated = pose @ rotation.T
        extent = np.ptp(rotated, axis=0) + 2 * _HEAD_RADIUS
        # A COCO crop: the person box, enlarged 1.25x, fills the crop.
        fill = rng.uniform(0.65, 1.0)
        scale = fill * min(width / extent[0], height / extent[1])
        placed = rotated * scale
        center = (placed.min(axis=0) + placed.max(axis=0)) / 2
        jitter = rng.uniform(-0.1, 0.1, size=2) * np.array([width, height])
        offset = np.array([(width - 1) / 2, (height - 1) / 2]) + jitter - center
        return placed + offset, scale

    # === Drawing ===

    def _parts(self, keypoints, scale):
        """(joint a, joint b, radius in pixels, part kind) of each drawn body part."""
        name = {n: i for i, n in enumerate(self.skeleton.joint_names)}
        parts = []
        for a, b in self.skeleton.limbs:
            names = (self.skeleton.joint_names[a], self.skeleton.joint_names[b])
            if "head" in names:
                kind = "neck"
            elif all(n.endswith(("shoulder", "hip")) for n in names) or (
                    "neck" in names):
                continue  # covered by the torso polygon below
            elif any(n.endswith(("elbow", "wrist")) for n in names):
                kind = "arm"
            else:
                kind = "leg"
            parts.append((a, b, _LIMB_WIDTH[kind] * scale, kind))
        # The torso as two thick capsules shoulder-to-hip plus one across the shoulders.
        torso = _LIMB_WIDTH["torso"] * scale
        parts = [(name["left_shoulder"], name["left_hip"], torso, "torso"),
                 (name["right_shoulder"], name["right_hip"], torso, "torso"),
                 (name["left_shoulder"], name["right_shoulder"], torso * 0.7, "torso"),
                 (name["left_hip"], name["right_hip"], torso * 0.8, "torso")] + parts
        return parts

    def _render(self, rng):
        height, width = self.image_size
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        image = textures.texture(rng, height, width, contrast=rng.uniform(0.2, 0.8))
        short = min(height, width)
        for _ in range(rng.integers(0, self.distractors + 1)):
            inside = self._distractor(rng, xx, yy, short)
            image[inside] = textures.texture(rng, height, width)[inside]

        keypoints, scale = self._place(rng, self._pose(rng))
        owner = np.full((height, width), -1, np.int32)  # body part drawn last at each pixel
        parts = self._parts(keypoints, scale)
        # Parts are painted in an order that varies: which limb hides which changes.
        order = list(range(4)) + list(4 + rng.permutation(len(parts) - 4))
        palettes = {kind: (textures.random_color(rng), textures.random_color(rng))
                    for kind in ("torso", "arm", "leg", "neck")}
        for index in order:
            a, b, radius, kind = parts[index]
            radius = max(radius, 1.0)
            # Drawn inside the capsule's bounding box only: most of the crop is elsewhere.
            low = np.floor(np.minimum(keypoints[a], keypoints[b]) - radius).astype(int)
            high = np.ceil(np.maximum(keypoints[a], keypoints[b]) + radius).astype(int) + 1
            x0, y0 = np.maximum(low, 0)
            x1, y1 = min(high[0], width), min(high[1], height)
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            inside = _segment_mask(xx[y0:y1, x0:x1], yy[y0:y1, x0:x1], keypoints[a],
                                   keypoints[b], radius)
            colors = palettes[kind]
            fill = textures.texture(rng, y1 - y0, x1 - x0, colors[0], colors[1],
                                    contrast=rng.uniform(0.2, 0.7))
            image[y0:y1, x0:x1][inside] = fill[inside]
            owner[y0:y1, x0:x1][inside] = index
        head = self.skeleton.joint_names.index("head")
        head_mask = ((xx - keypoints[head, 0]) ** 2 + (yy - keypoints[head, 1]) ** 2
                     <= (_HEAD_RADIUS * scale) ** 2)
        image[head_mask] = textures.texture(rng, height, width, contrast=0.3)[head_mask]
        owner[head_mask] = len(parts)
        figure = owner >= 0

        for _ in range(rng.integers(0, self.occluders + 1)):
            inside = self._occluder(rng, xx, yy, short)
            image[inside] = textures.texture(rng, height, width)[inside]
            owner[inside] = -1

        visibility = self._visibility(keypoints, owner, parts)
        ys, xs = np.nonzero(figure)
        bbox = np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1],
                        np.float32)
        return {
            "image": textures.add_noise(rng, image),
            "keypoints": keypoints.astype(np.float32),
            "visibility": visibility,
            "bbox": bbox,
            "area": np.float32(max(1, int((owner >= 0).sum()))),
        }

    def _visibility(self, keypoints, owner, parts):
        height, width = self.image_size
        head = self.skeleton.joint_names.index("head")
        visibility = np.zeros(len(keypoints), np.int32)
        for joint, (x, y) in enumerate(keypoints):
            if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
                continue  # outside the crop: unlabeled, as in a COCO crop
            touching = {i for i, (a, b, _r, _k) in enumerate(parts) if joint in (a, b)}
            if joint == head:
                touching.add(len(parts))
            seen = owner[int(round(y)), int(round(x))]
            visibility[joint] = 2 if seen in touching else 1
        return visibility

    @staticmethod
    def _distractor(rng, xx, yy, short):
        """A loose limb-like capsule or a blob behind the figure."""
        height, width = xx.shape
        a = np.array([rng.uniform(0, width), rng.uniform(0, height)])
        if rng.random() < 0.6:
            b = a + rng.uniform(0.15, 0.4) * short * _direction(rng.uniform(0, 2 * np.pi))
            return _segment_mask(xx, yy, a, b, rng.uniform(0.03, 0.07) * short)
        radius = rng.uniform(0.05, 0.15) * short
        return (xx - a[0]) ** 2 + (yy - a[1]) ** 2 <= radius * radius

    @staticmethod
    def _occluder(rng, xx, yy, short):
        """A bar in front of the figure, across part of the crop."""
        height, width = xx.shape
        a = np.array([rng.uniform(0, width), rng.uniform(0, height)])
        b = a + rng.uniform(0.2, 0.6) * short * _direction(rng.uniform(0, 2 * np.pi))
        return _segment_mask(xx, yy, a, b, rng.uniform(0.03, 0.08) * short)
