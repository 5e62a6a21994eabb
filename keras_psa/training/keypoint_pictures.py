"""PNG pictures of a keypoint model: skeletons over the images, and its heatmaps."""

import numpy as np

from keras_psa.training.segmentation_pictures import _pyplot

LABEL_COLOR = "#2ecc40"
PREDICTION_COLOR = "#ff4136"


def _draw_skeleton(axis, keypoints, mask, skeleton, color, style="-"):
    for a, b in skeleton.limbs:
        if mask[a] and mask[b]:
            axis.plot(keypoints[[a, b], 0], keypoints[[a, b], 1], style, color=color, lw=1.4)
    axis.scatter(keypoints[mask, 0], keypoints[mask, 1], s=10, color=color, zorder=3)


def save_skeletons(images, predictions, examples, path, skeleton, score_threshold=0.2):
    """One panel per image: the labelled skeleton (green, dashed) and the predicted one (red).

    Args:
        images: float (N, H, W, 3) in 0..255.
        predictions: (N, K, 3) decoded `[x, y, score]`; joints scored below
            `score_threshold` are not drawn.
        examples: labels with `keypoints` (N, K, 2) and `visibility` (N, K).
        path: the PNG to write.
        skeleton: the `Skeleton`.

    Returns:
        `path`.
    """
    plt = _pyplot()
    count = len(images)
    columns = min(count, 4)
    rows = -(-count // columns)
    height, width = images.shape[1:3]
    figure, axes = plt.subplots(rows, columns, squeeze=False,
                                figsize=(2.4 * columns, 2.4 * rows * height / width + 0.4))
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index >= count:
            continue
        axis.imshow(np.clip(images[index], 0, 255).astype(np.uint8))
        labeled = examples["visibility"][index] > 0
        _draw_skeleton(axis, examples["keypoints"][index], labeled, skeleton, LABEL_COLOR, "--")
        predicted = predictions[index]
        _draw_skeleton(axis, predicted[:, :2], predicted[:, 2] >= score_threshold, skeleton,
                       PREDICTION_COLOR)
        error = np.linalg.norm(predicted[:, :2] - examples["keypoints"][index], axis=-1)
        axis.set_title(f"mean error {error[labeled].mean():.1f} px" if labeled.any() else "",
                       fontsize=8)
        axis.set_xlim(-0.5, width - 0.5)
        axis.set_ylim(height - 0.5, -0.5)
    figure.suptitle("labels (green, dashed) vs predictions (red)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def save_heatmaps(images, heatmaps, path, skeleton, joints=None):
    """One row per image: the image, all heatmaps' maximum over it, then single joints.

    Args:
        images: float (N, H, W, 3) in 0..255.
        heatmaps: (N, h, w, K) model outputs.
        path: the PNG to write.
        skeleton: the `Skeleton` (joint names as titles).
        joints: joint indices shown one by one (default: up to 4 spread over the skeleton).

    Returns:
        `path`.
    """
    plt = _pyplot()
    heatmaps = np.asarray(heatmaps, np.float32)
    count = len(images)
    if joints is None:
        joints = np.linspace(0, skeleton.num_joints - 1, min(4, skeleton.num_joints)).astype(int)
    joints = list(dict.fromkeys(int(j) for j in joints))
    columns = 2 + len(joints)
    height, width = images.shape[1:3]
    figure, axes = plt.subplots(count, columns, squeeze=False,
                                figsize=(1.9 * columns, 1.9 * count * height / width + 0.3))
    for row in range(count):
        image = np.clip(images[row], 0, 255).astype(np.uint8)
        extent = (-0.5, width - 0.5, height - 0.5, -0.5)
        panels = [(None, "input"), (heatmaps[row].max(axis=-1), "all joints (max)")]
        panels += [(heatmaps[row, ..., j], skeleton.joint_names[j]) for j in joints]
        for column, (heatmap, title) in enumerate(panels):
            axis = axes[row, column]
            axis.axis("off")
            axis.imshow(image if column < 2 else image.mean(axis=-1), cmap="gray")
            if heatmap is not None:
                axis.imshow(heatmap, cmap="magma", alpha=0.7, extent=extent, vmin=0,
                            vmax=max(float(heatmap.max()), 1e-6))
            if row == 0:
                axis.set_title(title, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
