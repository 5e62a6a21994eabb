import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from keras_psa.models import build_segmentation_model


def _convert(model):
    # Inside: the file is collected by the JAX and PyTorch passes too, where
    # keras_psa.export refuses to import.
    from keras_psa.export.conversion.keras_converter import keras_converter

    with keras_converter(model) as converter:
        return converter.convert()


def _op_outputs(interpreter):
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    return [
        (op["op_name"], [tensors[i]["dtype"] for i in op["outputs"]])
        for op in interpreter._get_ops_details()
    ]


@pytest.mark.slow
@pytest.mark.parametrize("head,attention", [("lraspp", "psa_p"), ("deeplabv3plus", "psa_s")])
def test_float32_tflite_has_int32_argmax_and_matches_keras(head, attention):
    model = build_segmentation_model(
        "mobilenet_v2", 3, input_shape=(64, 64, 3), head=head, attention=attention,
        attention_positions=("head", "stride8"), alpha=0.35, head_filters=16, batch_size=1,
        output="logits_and_labels",
    )
    interpreter = Interpreter(model_content=_convert(model))
    interpreter.allocate_tensors()
    ops = _op_outputs(interpreter)
    names = {name for name, _ in ops}
    argmax = [dtypes for name, dtypes in ops if name == "ARG_MAX"]
    assert argmax == [[np.int32]]
    # Fixed size and batch 1: no shape arithmetic, no 5-D/transposed tensors,
    # the atrous convolutions stay single DEPTHWISE_CONV_2D ops, BN is folded.
    assert not names & {"SHAPE", "TRANSPOSE", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
                        "GATHER", "VAR_HANDLE", "READ_VARIABLE"}
    for detail in interpreter.get_tensor_details():
        assert len(detail["shape"]) <= 4, detail["name"]

    images = np.random.default_rng(0).uniform(0, 255, (1, 64, 64, 3)).astype("float32")
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], images)
    interpreter.invoke()
    outputs = {tuple(d["shape"]): interpreter.get_tensor(d["index"])
               for d in interpreter.get_output_details()}
    want = model(images)
    np.testing.assert_allclose(outputs[(1, 64, 64, 3)], want["logits"], rtol=1e-3, atol=1e-3)
    agree = np.mean(outputs[(1, 64, 64)] == want["labels"].numpy())
    assert agree > 0.99
