"""The TFLite converter of a Keras model of either flavor, through a lean SavedModel."""

import contextlib
import tempfile

import tensorflow as tf

from keras_psa.export.conversion.model_loading import keras_module_of
from keras_psa.layers.dilated_depthwise_conv2d import native_dilation_scope


def _input_signature(model, named):
    # tf_keras names an input tensor after its layer ("image"), as its SavedModel does.
    # A Keras 3 tensor's name ("keras_tensor_12") counts the tensors made before it:
    # unnamed, the export names the input after the model's input layer, the same in
    # every process.
    return [tf.TensorSpec(tuple(t.shape), t.dtype,
                          name=str(t.name).split(":")[0] if named else None)
            for t in model.inputs]


def saved_model_converter(model, directory):
    """`tf.lite.TFLiteConverter` of `model` at its input signature, saved under `directory`.

    Keras 3: the model's serving SavedModel (`model.export(format="tf_saved_model")`),
    which freezes the variables cleanly (`from_concrete_functions` leaves READ_VARIABLE
    ops that break calibration); the batch stays as the model's input has it, and the
    input is `args_0` in every process. tf_keras:
    a SavedModel of one serving function (`training=False`) and the variables, without
    the Keras object. `TFLiteConverter.from_keras_model` saves that object too, tracing
    every layer's call for tf_keras' loader: three quarters of the conversion time of a
    QAT model (a 64x64 MobileNetV2 + PSA: 64 s, against 19 s this way) for the same graph.
    Trace inside `native_dilation_scope` (`keras_converter` does).
    """
    tf_keras = keras_module_of(model).__name__ == "tf_keras"
    signature = _input_signature(model, named=tf_keras)
    if not tf_keras:
        model.export(directory, format="tf_saved_model", verbose=False,
                     input_signature=signature)
        return tf.lite.TFLiteConverter.from_saved_model(directory)
    names = list(model.output_names)

    @tf.function(input_signature=signature)
    def serve(*inputs):
        outputs = model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)
        if isinstance(outputs, dict):  # a model built with named outputs
            return outputs
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return dict(zip(names, outputs))

    holder = tf.Module()
    holder.variables_of_the_model = list(model.variables)  # tracked: saved with the function
    tf.saved_model.save(holder, directory, signatures={"serving_default": serve})
    return tf.lite.TFLiteConverter.from_saved_model(directory)


@contextlib.contextmanager
def keras_converter(model):
    """`with keras_converter(model) as converter:` set the options, then `convert()` inside.

    The SavedModel lives in a temporary folder for the block; the atrous convolutions
    trace as one dilated op on every machine (`native_dilation_scope`).

    Example:

    ```python
    with keras_converter(qat_model) as converter:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        tflite_bytes = converter.convert()
    ```
    """
    with tempfile.TemporaryDirectory(prefix="keras_psa_convert_") as directory, \
            native_dilation_scope():
        yield saved_model_converter(model, directory)
