"""Runs MediaPipe Tasks' real ImageSegmenter on a .tflite and some images; prints JSON.

Runs in the MediaPipe environment (scripts/setup_mediapipe_env.sh), which holds
mediapipe and ai-edge-litert but neither TensorFlow nor keras_psa: the two
cannot share one environment (see docs/mediapipe.md). The masks go to an .npz.

Usage:
    .venv-mediapipe/bin/python scripts/mediapipe_segment.py model.tflite \\
        --images images.npy --output masks.npz

`images.npy` holds uint8 RGB images (N, H, W, 3). The JSON on stdout has the
labels MediaPipe read, the mask shapes and the metadata it saw (read with
MediaPipe's own generated schema code); the .npz has `category_<i>` (H, W)
and `confidence_<i>` (H, W, classes) per image. With --metadata-only, only
the metadata is read (a heatmap model, which no MediaPipe task runs).
"""

import argparse
import json
import sys
import time

import numpy as np


def _metadata(path):
    """The model metadata as MediaPipe's generated FlatBuffer code reads it."""
    import io
    import zipfile

    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
    from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

    data = open(path, "rb").read()
    model = tflite_fb.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name().decode() == "TFLITE_METADATA":
            buffer = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
            break
    else:
        return None
    if not meta_fb.ModelMetadata.ModelMetadataBufferHasIdentifier(buffer, 0):
        raise SystemExit("metadata buffer lacks the M001 identifier")
    meta = meta_fb.ModelMetadataT.InitFromObj(meta_fb.ModelMetadata.GetRootAs(buffer, 0))
    sub = meta.subgraphMetadata[0]
    image = sub.inputTensorMetadata[0]
    output = sub.outputTensorMetadata[0]
    norm = next((u.options for u in image.processUnits or []
                 if u.optionsType == meta_fb.ProcessUnitOptions.NormalizationOptions), None)
    files = {}
    buf = io.BytesIO(data)
    if zipfile.is_zipfile(buf):
        with zipfile.ZipFile(buf) as archive:
            files = {n: archive.read(n).decode() for n in archive.namelist()}

    def text(value):
        return value.decode() if isinstance(value, bytes) else value

    return {
        "name": text(meta.name), "version": text(meta.version),
        "description": text(meta.description),
        "min_parser_version": text(meta.minParserVersion),
        "input_name": text(image.name),
        "color_space": image.content.contentProperties.colorSpace,
        "mean": None if norm is None else [float(v) for v in norm.mean],
        "std": None if norm is None else [float(v) for v in norm.std],
        "output_name": text(output.name),
        "output_files": [text(f.name) for f in output.associatedFiles or []],
        "custom_metadata": [text(c.name) for c in sub.customMetadata or []],
        "packed_files": files,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the .tflite file")
    parser.add_argument("--images", help=".npy of uint8 RGB images (N, H, W, 3)")
    parser.add_argument("--output", help=".npz to write the masks to")
    parser.add_argument("--metadata-only", action="store_true",
                        help="only read the metadata (no segmentation)")
    parser.add_argument("--repeats", type=int, default=0,
                        help="also time this many segment() calls on the first image")
    args = parser.parse_args(argv)
    report = {"metadata": _metadata(args.model)}
    if args.metadata_only:
        print(json.dumps(report))
        return 0
    import mediapipe as mp
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import image_segmenter

    report["mediapipe"] = mp.__version__
    options = image_segmenter.ImageSegmenterOptions(
        base_options=BaseOptions(model_asset_path=args.model),
        output_confidence_masks=True, output_category_mask=True)
    images = np.load(args.images)
    masks = {}
    try:
        segmenter = image_segmenter.ImageSegmenter.create_from_options(options)
    except Exception as error:  # MediaPipe raises RuntimeError/ValueError with its status
        print(json.dumps({**report, "error": f"{type(error).__name__}: {error}"}))
        return 1
    with segmenter:
        report["labels"] = list(segmenter.labels)
        shapes = []
        for i, image in enumerate(images):
            frame = mp.Image(image_format=mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(image, dtype=np.uint8))
            result = segmenter.segment(frame)
            category = np.array(result.category_mask.numpy_view()).reshape(image.shape[:2])
            confidence = np.stack([np.array(m.numpy_view()).reshape(image.shape[:2])
                                   for m in result.confidence_masks], axis=-1)
            masks[f"category_{i}"] = category
            masks[f"confidence_{i}"] = confidence
            shapes.append({"category": list(category.shape),
                           "confidence": list(confidence.shape)})
        report["shapes"] = shapes
        if args.repeats:
            frame = mp.Image(image_format=mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(images[0], dtype=np.uint8))
            segmenter.segment(frame)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                segmenter.segment(frame)
                times.append(time.perf_counter() - start)
            report["segment_ms_median"] = 1000 * float(np.median(times))
    if args.output:
        np.savez(args.output, **masks)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
