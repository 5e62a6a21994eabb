"""Files packed with a `.tflite` model (label files), as TFLite Support packs them.

TFLite Support's `MetadataPopulator` and MediaPipe Tasks store a model's
associated files as a zip archive appended after the FlatBuffer: the model
stays a valid FlatBuffer (readers ignore trailing bytes) and the zip's central
directory, at the very end, indexes the files by absolute offsets. Python's
`zipfile` in append mode on the model bytes writes exactly that layout.
"""

import io
import zipfile


def read_associated_files(model_bytes):
    """Returns `{name: bytes}` of the files zipped onto the end of `model_bytes`."""
    buffer = io.BytesIO(bytes(model_bytes))
    if not zipfile.is_zipfile(buffer):
        return {}
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def append_associated_files(model_bytes, files):
    """Returns `model_bytes` with `files` (`{name: bytes}`) zipped onto its end.

    `model_bytes` must carry no packed files yet (strip them with a FlatBuffer
    round trip first), so that the archive holds each name once.
    """
    if not files:
        return bytes(model_bytes)
    buffer = io.BytesIO()
    buffer.write(bytes(model_bytes))
    # Stored, not deflated: MediaPipe maps associated files in place and
    # rejects compressed entries.
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def keep_associated_files(original_bytes, new_bytes):
    """Re-appends the packed files of `original_bytes` to a rewrite of it.

    A rewrite through TFLite's FlatBuffer object API (`flatbuffer_utils`,
    `modify_model_io_type`) keeps the metadata buffer but drops the trailing
    archive; this puts it back when `new_bytes` lacks it.
    """
    files = read_associated_files(original_bytes)
    if not files or read_associated_files(new_bytes):
        return bytes(new_bytes)
    return append_associated_files(new_bytes, files)
