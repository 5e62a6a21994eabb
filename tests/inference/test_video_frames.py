"""video_frames: frames as a player shows them, a phone's rotation tag applied."""

import av
import numpy as np
import pytest

from keras_psa.inference.video_frames import video_frames


def _write(path, image, rotation=None, frames=2):
    height, width = image.shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for _ in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _left_half_red(height=32, width=48):
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2, 0] = 255
    return image


def test_an_untagged_video_comes_out_as_written(tmp_path):
    _write(tmp_path / "plain.mp4", _left_half_red())
    frames = [frame for _, frame in video_frames(tmp_path / "plain.mp4")]
    assert len(frames) == 2 and frames[0].shape == (32, 48, 3)
    assert frames[0][:, :20, 0].mean() > 200 and frames[0][:, 28:, 0].mean() < 50


@pytest.mark.parametrize("rotation, red_side", [(90, "bottom"), (-90, "top"), (180, "right")])
def test_a_rotation_tag_turns_the_frames_as_a_player_shows_them(tmp_path, rotation, red_side):
    _write(tmp_path / "phone.mp4", _left_half_red(), rotation=rotation)
    (index, frame), *_ = video_frames(tmp_path / "phone.mp4")
    assert index == 0
    expected_shape = (32, 48, 3) if rotation == 180 else (48, 32, 3)
    assert frame.shape == expected_shape and frame.flags["C_CONTIGUOUS"]
    halves = {"bottom": (frame[28:], frame[:20]), "top": (frame[:20], frame[28:]),
              "right": (frame[:, 28:], frame[:, :20])}[red_side]
    assert halves[0][..., 0].mean() > 200 and halves[1][..., 0].mean() < 50
