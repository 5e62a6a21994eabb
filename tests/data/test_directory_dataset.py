import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_psa.data import DirectoryDataset
from keras_psa.data import load_dataset

pytestmark = pytest.mark.flavor_independent

NUM_CLASSES = 3


def _write_pair(root, stem, size=(20, 28), label=1, palette=False, image_ext=".png"):
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    height, width = size
    rng = np.random.default_rng(len(stem))
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "images" / f"{stem}{image_ext}")
    mask = np.zeros(size, np.uint8)
    mask[: height // 2, : width // 2] = label
    mask_image = Image.fromarray(mask, mode="L")
    if palette:
        mask_image = mask_image.convert("P")
        mask_image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [128] * (253 * 3))
        mask_image = Image.fromarray(mask, mode="P")
        mask_image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [128] * (253 * 3))
    mask_image.save(root / "masks" / f"{stem}.png")
    return pixels, mask


@pytest.fixture
def root(tmp_path):
    _write_pair(tmp_path, "a", label=1)
    _write_pair(tmp_path, "b", label=2, palette=True)
    _write_pair(tmp_path, "c", label=1, image_ext=".jpg")
    (tmp_path / "train.txt").write_text("a\nb\n")
    (tmp_path / "val.txt").write_text("c\n")
    return tmp_path


def test_reads_index_and_palette_masks_as_indices(root):
    data = DirectoryDataset(root, split="train", num_classes=NUM_CLASSES)
    assert [p[0].rsplit("/", 1)[-1] for p in data.pairs] == ["a.png", "b.png"]
    pixels, expected = _write_pair(root, "a", label=1)
    image, mask = data[0]
    np.testing.assert_array_equal(image, pixels.astype(np.float32))
    np.testing.assert_array_equal(mask, expected)
    palette_mask = data[1][1]
    assert Image.open(root / "masks" / "b.png").mode == "P"
    assert set(np.unique(palette_mask).tolist()) == {0, 2}


def test_split_lists_and_classes_file(root):
    (root / "classes.txt").write_text("background\ncat\ndog\n")
    val = DirectoryDataset(root, split="val")
    assert len(val) == 1 and val.class_names == ("background", "cat", "dog")


def test_hash_split_without_lists_is_disjoint_and_complete(tmp_path):
    for i in range(30):
        _write_pair(tmp_path, f"img{i:02d}", size=(8, 8))
    train = DirectoryDataset(tmp_path, split="train", num_classes=3, val_fraction=0.3)
    val = DirectoryDataset(tmp_path, split="val", num_classes=3, val_fraction=0.3)
    train_stems = {p[1] for p in train.pairs}
    val_stems = {p[1] for p in val.pairs}
    assert not train_stems & val_stems
    assert len(train_stems | val_stems) == 30 and len(val_stems) > 0


def test_pipeline_resizes_and_augments(root):
    dataset, info = load_dataset(f"dir:{root}", (16, 24), 2, split="train", seed=0,
                                 num_classes=NUM_CLASSES)
    images, masks = next(dataset.as_numpy_iterator())
    assert images.shape == (2, 16, 24, 3) and masks.shape == (2, 16, 24)
    assert masks.dtype == np.int32 and set(np.unique(masks).tolist()) <= {0, 1, 2}
    assert info.num_classes == NUM_CLASSES and info.ignore_label == 255
    val, _ = load_dataset(f"dir:{root}", (40, 56), 1, split="val", num_classes=NUM_CLASSES)
    _, val_masks = next(val.as_numpy_iterator())
    # nearest resize keeps the labelled top-left quarter exact at twice the size
    expected = np.zeros((40, 56), np.int32)
    expected[:20, :28] = 1
    np.testing.assert_array_equal(val_masks[0], expected)


def test_ignore_label_is_allowed(tmp_path):
    _write_pair(tmp_path, "a", label=255)
    _, mask = DirectoryDataset(tmp_path, split="all", num_classes=2)[0]
    assert mask.max() == 255


def test_image_without_mask_names_the_file(root):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / "images" / "lonely.png")
    with pytest.raises(ValueError, match=r"without a mask.*lonely\.png.*Add the missing"):
        DirectoryDataset(root, split="all", num_classes=NUM_CLASSES)


def test_mask_without_image_names_the_file(root):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "masks" / "orphan.png")
    with pytest.raises(ValueError, match=r"without an image.*orphan\.png"):
        DirectoryDataset(root, split="all", num_classes=NUM_CLASSES)


def test_split_list_with_unknown_stem_names_the_list(root):
    (root / "val.txt").write_text("c\nmissing\n")
    with pytest.raises(ValueError, match=r"val\.txt.*missing"):
        DirectoryDataset(root, split="val", num_classes=NUM_CLASSES)


def test_missing_num_classes_says_how_to_fix(root):
    with pytest.raises(ValueError, match="classes.txt"):
        DirectoryDataset(root, split="train")


def test_corrupt_png_names_the_file_in_tf_data(root):
    (root / "images" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(ValueError, match=r"Cannot read image file .*b\.png"):
        DirectoryDataset(root, split="train", num_classes=NUM_CLASSES).verify()
    dataset, _ = load_dataset(f"dir:{root}", 16, 2, split="train", num_classes=NUM_CLASSES)
    with pytest.raises(tf.errors.OpError, match=r"Cannot read image file .*b\.png"):
        list(dataset.as_numpy_iterator())


def test_out_of_range_label_names_the_file_in_tf_data(root):
    _write_pair(root, "a", label=7)
    with pytest.raises(ValueError, match=r"masks/a\.png has labels \[7\] outside 0\.\.2"):
        DirectoryDataset(root, split="train", num_classes=NUM_CLASSES).verify()
    dataset, _ = load_dataset(f"dir:{root}", 16, 2, split="train", num_classes=NUM_CLASSES,
                              ignore_label=None)
    with pytest.raises(tf.errors.OpError, match=r"masks/a\.png has labels \[7\]"):
        list(dataset.as_numpy_iterator())


def test_rgb_mask_is_rejected_with_a_fix(root):
    Image.fromarray(np.zeros((20, 28, 3), np.uint8)).save(root / "masks" / "a.png")
    with pytest.raises(ValueError, match=r"a\.png is a 'RGB' image.*palette"):
        DirectoryDataset(root, split="train", num_classes=NUM_CLASSES)[0]


def test_size_mismatch_names_both_files(root):
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(root / "masks" / "a.png")
    with pytest.raises(ValueError, match=r"images/a\.png.*masks/a\.png"):
        DirectoryDataset(root, split="train", num_classes=NUM_CLASSES)[0]
