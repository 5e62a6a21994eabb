"""Video files in and out, through PyAV (FFmpeg's libraries, bundled in its wheels).

PyAV is kept over OpenCV and imageio-ffmpeg: its wheels carry FFmpeg itself (H.264
encoding included, no system ffmpeg to install), it decodes every container the
phones write (mp4, mov, avi, mkv), and it reports a broken file as an exception
with FFmpeg's reason rather than as an empty frame.
"""

import os
import tempfile

import numpy as np

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv")


class VideoReadError(ValueError):
    """A video file that cannot be decoded; the message names the file and why."""


def _require_av():
    try:
        import av
    except ImportError as error:
        raise ImportError("Videos need PyAV: pip install 'keras-psa[data]' (or av).") from error
    return av


def video_frames(path):
    """Yields `(frame index, uint8 RGB (H, W, 3))` of every frame of the video `path`,
    turned as a player shows it: phones store portrait video as landscape frames with a
    rotation in the display matrix, which is applied here (as the EXIF orientation of
    photos is).

    Raises:
        VideoReadError: the file is missing, not a video, or breaks while decoding
            (frames before the break are yielded first).
    """
    av = _require_av()
    path = os.fspath(path)
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError) as error:
        raise VideoReadError(f"{path}: {error}") from error
    with container:
        if not container.streams.video:
            raise VideoReadError(f"{path}: no video stream")
        stream = container.streams.video[0]
        index = -1
        try:
            for index, frame in enumerate(container.decode(stream)):
                yield index, _displayed(frame)
        except (av.error.FFmpegError, OSError) as error:
            raise VideoReadError(f"{path}: frame {index + 1}: {error}") from error
        if index < 0:
            raise VideoReadError(f"{path}: no frame could be decoded")


def _displayed(frame):
    # PyAV: `rotation` is the angle that turns the frame counterclockwise for display.
    turns = round(frame.rotation / 90) % 4
    array = frame.to_ndarray(format="rgb24")
    return np.ascontiguousarray(np.rot90(array, turns)) if turns else array


def video_rate(path):
    """Frames per second of the video `path` (30 when the file does not say)."""
    av = _require_av()
    path = os.fspath(path)
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise VideoReadError(f"{path}: no video stream")
            rate = container.streams.video[0].average_rate
    except (av.error.FFmpegError, OSError) as error:
        raise VideoReadError(f"{path}: {error}") from error
    return float(rate) if rate else 30.0


class VideoWriter:
    """Writes RGB frames to an H.264 `.mp4`, atomically: the file appears on `close()`.

    Odd frame sizes are padded by one black row or column (4:2:0 chroma needs even
    sizes). Use as a context manager; on an exception nothing is left behind.
    """

    def __init__(self, path, rate=30.0):
        self.path = os.fspath(path)
        self.rate = rate
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=directory, prefix=".tmp_", suffix=".mp4")
        os.close(fd)
        self._container = None
        self._stream = None
        self.frames = 0

    def write(self, frame):
        av = _require_av()
        from fractions import Fraction

        frame = np.asarray(frame, np.uint8)
        height, width = frame.shape[:2]
        frame = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)))
        if self._container is None:
            self._container = av.open(self._tmp, mode="w", format="mp4")
            self._stream = self._container.add_stream(
                "libx264", rate=Fraction(self.rate).limit_denominator(1001))
            self._stream.width, self._stream.height = frame.shape[1], frame.shape[0]
            self._stream.pix_fmt = "yuv420p"
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self):
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            os.replace(self._tmp, self.path)
        elif os.path.exists(self._tmp):
            os.remove(self._tmp)

    def abort(self):
        if self._container is not None:
            self._container.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()
        else:
            self.abort()
