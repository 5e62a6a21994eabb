"""The QAT export carries MediaPipe's metadata, and its XNNPACK rewrite keeps it."""

import pytest

from keras_psa.models import build_segmentation_model

pytestmark = [pytest.mark.tf_keras_only, pytest.mark.slow]


def test_qat_export_keeps_labels_through_the_xnnpack_float_fallback(tmp_path):
    from keras_psa.export import read_metadata
    from keras_psa.export import xnnpack_float_fallback
    from keras_psa.quantization import quantize_model
    from keras_psa.quantization.qat_finetune import convert_qat_model

    model = build_segmentation_model("mobilenet_v2", 3, input_shape=(64, 64, 3), alpha=0.35,
                                     head_filters=16, batch_size=1)
    path = tmp_path / "qat_int8.tflite"
    data = convert_qat_model(quantize_model(model), path, labels=["sky", "road", "car"])
    assert read_metadata(path).labels == ["sky", "road", "car"]
    assert read_metadata(path).normalization == {"mean": [0.0], "std": [1.0]}
    rewritten, moved = xnnpack_float_fallback(data)
    assert "SOFTMAX" in moved  # the file was rewritten
    assert read_metadata(rewritten).labels == ["sky", "road", "car"]
