"""keras-psa-predict: images, folders, globs and videos in; masks, overlays and results out."""

import json
import os

import av
import numpy as np
import pytest
from PIL import Image

from keras_psa.cli import predict
from keras_psa.export.tflite.litert_runner import run_tflite
from tests.inference.model_files import random_image
from tests.inference.model_files import segmentation_files  # noqa: F401

pytestmark = pytest.mark.flavor_independent


def _write_video(path, frames, size=(48, 64)):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.height, stream.width = size
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(random_image(*size, seed=index), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _frames(path):
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def test_images_and_a_video_give_masks_overlays_and_results(segmentation_files,  # noqa: F811
                                                          tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(random_image(150, 200)).save(photos / "wide.png")
    own = random_image(64, 64, seed=1)
    Image.fromarray(own).save(tmp_path / "own.png")
    Image.fromarray(random_image(80, 60, seed=2)).convert("L").save(tmp_path / "grey.jpg")
    _write_video(tmp_path / "clip.mp4", 10)
    out = tmp_path / "out"
    code = predict.main([segmentation_files["int8"], str(photos), str(tmp_path / "own.png"),
                         str(tmp_path / "g*.jpg"), str(tmp_path / "clip.mp4"),
                         "--output-dir", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "median per image: model" in printed and "LiteRT" in printed
    wide = Image.open(out / "wide_mask.png")
    assert wide.mode == "P" and wide.size == (200, 150)
    assert Image.open(out / "wide_overlay.png").size == (200, 150)
    logits = run_tflite(segmentation_files["int8"], own[None].astype(np.float32))[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "own_mask.png")),
                                  logits[0].argmax(-1))
    assert _frames(out / "clip_overlay.mp4") == 10
    entries = json.loads((out / "predictions.json").read_text())
    frames = [e for e in entries if e["source"].endswith("clip.mp4")]
    assert [e["frame"] for e in frames] == list(range(10))
    still = next(e for e in entries if e["source"].endswith("wide.png"))
    assert still["frame"] is None and still["mask"] == "wide_mask.png"
    assert (still["width"], still["height"]) == (200, 150)
    assert sum(still["pixels"].values()) == 200 * 150
    assert set(still["pixels"]) == set(segmentation_files["class_names"])
    assert not [name for name in os.listdir(out) if name.startswith(".tmp")]


def test_bad_inputs_are_named_and_skipped_the_others_written(segmentation_files,  # noqa: F811
                                                            tmp_path, capsys):
    Image.fromarray(random_image(64, 64)).save(tmp_path / "good.jpg")
    data = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    _write_video(tmp_path / "whole.mp4", 4)
    video = (tmp_path / "whole.mp4").read_bytes()
    (tmp_path / "broken.mp4").write_bytes(video[: len(video) // 2])
    out = tmp_path / "out"
    code = predict.main([segmentation_files["float32"], str(tmp_path / "good.jpg"),
                         str(tmp_path / "cut.jpg"), str(tmp_path / "broken.mp4"),
                         str(tmp_path / "missing.png"), "--output-dir", str(out),
                         "--no-progress"])
    errors = capsys.readouterr().err
    assert code == 1
    assert "skipped" in errors and "cut.jpg" in errors and "runcated" in errors
    assert "broken.mp4" in errors and "missing.png" in errors
    assert (out / "good_mask.png").is_file() and not (out / "cut_mask.png").exists()
    assert not (out / "broken_overlay.mp4").exists()
    entries = json.loads((out / "predictions.json").read_text())
    assert [os.path.basename(e["source"]) for e in entries] == ["good.jpg"]


def test_a_file_that_needs_a_flag_is_refused_before_anything_runs(segmentation_files,  # noqa: F811
                                                                  tmp_path, capsys):
    Image.fromarray(random_image(64, 64)).save(tmp_path / "a.png")
    out = tmp_path / "out"
    assert predict.main([segmentation_files["bare"], str(tmp_path / "a.png"),
                         "--output-dir", str(out)]) == 2
    assert "--task" in capsys.readouterr().err
    assert predict.main([segmentation_files["bare"], str(tmp_path / "a.png"), "--task",
                         "segmentation", "--output-dir", str(out)]) == 2
    assert "--pixel-range" in capsys.readouterr().err
    assert not out.exists()
