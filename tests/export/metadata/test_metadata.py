"""Model metadata written into .tflite files: round trip, survival of rewrites, bad inputs."""

import json

import numpy as np
import pytest

from keras_psa.export import TFLiteGraph
from keras_psa.export import convert_model
from keras_psa.export import read_metadata
from keras_psa.export import run_ops_in_float
from keras_psa.export import run_tflite
from keras_psa.export import write_heatmap_metadata
from keras_psa.export import write_report
from keras_psa.export import write_segmenter_metadata
from keras_psa.export.metadata import metadata_schema
from keras_psa.export.metadata import read_associated_files
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.keras_flavor import keras
from tests.export.tiny_models import conv_net

pytestmark = pytest.mark.flavor_independent

LABELS = ["background", "road", "car", "person"]


def _two_output_net():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 1)(inputs)
    return keras.Model(inputs, [x, keras.layers.Conv2D(2, 1)(inputs)])


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A float32 conv net (4 output channels) without metadata, and an int8 one."""
    out = tmp_path_factory.mktemp("metadata")
    keras.utils.set_random_seed(0)
    model = conv_net()
    path = out / "conv.tflite"
    data = convert_model(model, path, input_size=(16, 16), metadata=None, pixel_range=(0.0, 1.0))
    int8 = convert_model(model, None, "int8", input_size=(16, 16), representative="random",
                         num_calibration_samples=4, pixel_range=(0.0, 255.0), metadata=None,
                         float_ops=(), float_scopes=(), xnnpack_fallback=False)
    return {"dir": out, "path": path, "bytes": data, "int8": int8, "model": model}


def test_segmenter_metadata_round_trips(plain):
    data = write_segmenter_metadata(plain["bytes"], labels=LABELS, input_range=(0.0, 255.0),
                                    name="conv", version="3", output_activation="softmax")
    meta = read_metadata(data)
    assert (meta.name, meta.version, meta.labels) == ("conv", "3", LABELS)
    assert meta.normalization == {"mean": [0.0], "std": [1.0]}
    assert meta.input_color_space == "RGB"
    assert meta.output_activation == "softmax"
    assert meta.min_parser_version == "1.5.0"  # CustomMetadata came in schema 1.5.0
    assert meta.associated_files == ("labels.txt",)
    assert json.dumps(meta.to_dict())
    assert "4 labels" in meta.summary()
    # The model itself is unchanged: same graph, same results.
    image = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    path = plain["dir"] / "with_metadata.tflite"
    path.write_bytes(data)
    np.testing.assert_array_equal(run_tflite(str(path), image), run_tflite(plain["path"], image))


@pytest.mark.parametrize("input_range, mean, std", [((0, 255), 0.0, 1.0), ((0, 1), 0.0, 255.0),
                                                    ((-1, 1), 127.5, 127.5)])
def test_normalization_maps_pixels_onto_the_models_range(plain, input_range, mean, std):
    meta = read_metadata(write_segmenter_metadata(plain["bytes"], input_range=input_range))
    assert meta.normalization == {"mean": [mean], "std": [std]}
    assert meta.input_stats == {"min": [input_range[0]], "max": [input_range[1]]}
    assert meta.labels is None and meta.associated_files == ()


def test_metadata_buffer_is_the_schemas_flatbuffer(plain):
    data = write_segmenter_metadata(plain["bytes"], labels=LABELS)
    graph = TFLiteGraph(data)
    entry = next(m for m in graph.model.metadata if m.name == b"TFLITE_METADATA")
    buffer = bytes(bytearray(graph.model.buffers[entry.buffer].data))
    assert buffer[4:8] == b"M001"
    raw = metadata_schema.unpack(buffer, "ModelMetadata", metadata_schema.METADATA_FILE_IDENTIFIER)
    output = raw["subgraph_metadata"][0]["output_tensor_metadata"][0]
    assert output["associated_files"][0]["type"] == 2  # TENSOR_AXIS_LABELS
    # The label file is a stored (uncompressed) zip entry, as MediaPipe requires.
    assert read_associated_files(data) == {"labels.txt": b"background\nroad\ncar\nperson"}


def test_writing_again_replaces_metadata_and_label_file(plain):
    first = write_segmenter_metadata(plain["bytes"], labels=LABELS)
    second = write_segmenter_metadata(first, labels=["a", "b", "c", "d"])
    graph = TFLiteGraph(second)
    assert [m.name for m in graph.model.metadata].count(b"TFLITE_METADATA") == 1
    assert read_metadata(second).labels == ["a", "b", "c", "d"]


def test_metadata_survives_running_ops_in_float(plain):
    data = write_segmenter_metadata(plain["int8"], labels=LABELS)
    graph = TFLiteGraph(data)
    op = next(op.index for op in graph.ops
              if op.name == "CONV_2D" and op.outputs[0].dtype == "INT8")
    rewritten = run_ops_in_float(data, [op])
    assert len(TFLiteGraph(rewritten).ops) > len(graph.ops)
    assert read_metadata(rewritten).labels == LABELS


def test_convert_model_writes_labels_from_a_file(plain, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n\n")
    path = tmp_path / "m.tflite"
    convert_model(plain["model"], path, input_size=(16, 16), labels=str(labels),
                  pixel_range=(0.0, 1.0))
    assert read_metadata(path).labels == LABELS
    write_report(path)
    report = json.loads((tmp_path / "m.report.json").read_text())
    assert report["metadata"]["labels"] == LABELS
    assert "| labels | ['background', 'road', 'car', 'person'] |" in (
        tmp_path / "m.report.md").read_text()


def test_auto_metadata_leaves_unknown_models_alone(plain):
    # conv_net's output is not named "logits" or "heatmaps".
    assert read_metadata(plain["bytes"]) is None


def test_heatmap_metadata_with_keypoint_names(plain, tmp_path):
    data = write_heatmap_metadata(plain["bytes"], keypoint_names="nose,eye,ear,hip")
    meta = read_metadata(data)
    assert meta.output_name == "heatmaps"
    assert meta.labels == ["nose", "eye", "ear", "hip"]
    assert meta.output_activation is None and meta.min_parser_version == "1.0.0"
    # The LiteRT interpreter loads the file with its packed keypoint file.
    path = tmp_path / "heatmaps.tflite"
    path.write_bytes(data)
    out = run_tflite(str(path), np.zeros((1, 16, 16, 3), "float32"))
    assert np.asarray(out).shape[-1] == 4
    # The checks compare a heatmap file by its peaks, any other by its labels.
    (tmp_path / "plain.tflite").write_bytes(plain["bytes"])
    assert output_kind(path) == "heatmaps" and output_kind(tmp_path / "plain.tflite") == "labels"


@pytest.mark.parametrize("input_range", [(0.0, 255.0), (-1.0, 1.0), (0.0, 1.0)])
def test_metadata_gives_the_input_range_back(plain, input_range):
    data = write_heatmap_metadata(plain["bytes"], input_range=input_range)
    assert read_metadata(data).input_range == pytest.approx(input_range)


@pytest.mark.parametrize("labels, match", [
    ("missing_labels.txt", "does not exist"),
    (["a", "b", "c"], "one name per output channel: the model has 4"),
    (["a", "", "c", "d"], "non-empty single-line"),
    (42, "must be a list of names"),
])
def test_bad_labels_are_refused_before_anything_is_written(plain, tmp_path, labels, match):
    path = tmp_path / "bad.tflite"
    with pytest.raises((ValueError, TypeError), match=match):
        convert_model(plain["model"], path, input_size=(16, 16), labels=labels,
                      pixel_range=(0.0, 1.0))
    assert not path.exists()


def test_non_image_and_corrupt_models_are_refused(plain, tmp_path):
    gray = convert_model(conv_net(channels=1), None, input_size=(16, 16), pixel_range=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"RGB image input of shape \(1, height, width, 3\)"):
        write_segmenter_metadata(gray)
    with pytest.raises(ValueError, match="not a TFLite model"):
        write_segmenter_metadata(b"\0" * 64)
    with pytest.raises(ValueError, match="corrupt TFLite flatbuffer"):
        write_segmenter_metadata(plain["bytes"][:200])
    with pytest.raises(TypeError, match="bytes of a .tflite"):
        write_segmenter_metadata(str(plain["path"]))


def test_two_outputs_and_dynamic_size_get_errors_naming_the_fix(tmp_path):
    path = tmp_path / "two.tflite"
    with pytest.raises(ValueError, match="output='logits'"):
        convert_model(_two_output_net(), path, input_size=(16, 16), labels="a,b,c,d",
                      pixel_range=(0.0, 1.0))
    assert not path.exists()
    with pytest.raises(ValueError, match="fixed input size"):
        convert_model(conv_net(), path, input_size=(16, 16), static_batch=False,
                      metadata="segmenter", pixel_range=(0.0, 1.0))
    assert not path.exists()


def test_int8_input_is_refused_with_the_uint8_alternative(plain):
    int8_io = convert_model(plain["model"], None, "int8", input_size=(16, 16),
                            representative="random", num_calibration_samples=4,
                            int8_io=True, metadata=None, xnnpack_fallback=False,
                            pixel_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="input_dtype='uint8'"):
        write_segmenter_metadata(int8_io)


@pytest.mark.parametrize("kwargs, match", [
    ({"input_dtype": "uint8"}, "needs quantization='int8'"),
    ({"input_dtype": "int8"}, "`input_dtype` must be one of"),
    ({"output_stride": 1}, "`output_stride` must be None or an int >= 2"),
    ({"output_stride": 8}, "final ResizeLike upsampling"),
    ({"output_activation": "sigmoid"}, "`output_activation` must be one of"),
    ({"metadata": "classifier"}, "`metadata` must be one of"),
])
def test_bad_consumer_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        convert_model(conv_net(), None, input_size=(16, 16), **kwargs, pixel_range=(0.0, 1.0))
