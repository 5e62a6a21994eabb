"""One interface for running a `.keras` or a `.tflite` file on a batch of images."""

import os

import numpy as np

MODEL_SUFFIXES = (".keras", ".tflite")
ACCELERATORS = ("cpu", "gpu")


class ModelRunner:
    """Runs a model on float inputs in its own pixel range and returns its first output.

    A `.keras` file loads with `keras_psa.saving.load_model` (safe: nothing in
    the file runs); a `.tflite` file runs on LiteRT's CPU interpreter or its GPU
    accelerator (`GpuRunner`), int8 or uint8 inputs quantized and outputs
    dequantized with the file's own scales.

    Args:
        path: the model file.
        num_threads: CPU threads of the LiteRT interpreter.
        xnnpack: apply XNNPACK (as deployed) or run TFLite's builtin kernels.
        model: an already loaded Keras model for `path` (skips the load).
        accelerator: `"cpu"` or `"gpu"` (LiteRT's GPU accelerator; `.tflite` only).

    Example:

    ```python
    runner = ModelRunner("runs/digits/float32.tflite")
    logits = runner.run(images)  # (N, H, W, classes) float32
    ```
    """

    def __init__(self, path, num_threads=1, xnnpack=True, model=None, accelerator="cpu"):
        path = os.fspath(path)
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in MODEL_SUFFIXES:
            raise ValueError(f"`model` must be a .keras or .tflite file. Received: model={path}")
        if not os.path.isfile(path):
            raise ValueError(f"`model` must be an existing file. Received: model={path}")
        if accelerator not in ACCELERATORS:
            raise ValueError(f"`accelerator` must be one of {ACCELERATORS}. "
                             f"Received: accelerator={accelerator!r}")
        if accelerator == "gpu" and suffix != ".tflite":
            raise ValueError("`accelerator` 'gpu' runs .tflite files (LiteRT's GPU "
                             f"accelerator); convert the model first. Received: model={path}")
        self.path = path
        self.kind = suffix[1:]
        self.model = model
        self.interpreter = None
        self.gpu = None
        if self.kind == "keras":
            if self.model is None:
                from keras_psa.saving import load_model

                self.model = load_model(path)
            shape = tuple(self.model.inputs[0].shape)
        else:
            from keras_psa.export.tflite.litert_runner import make_interpreter

            self.interpreter = make_interpreter(path, num_threads=num_threads, xnnpack=xnnpack)
            details = self.interpreter.get_input_details()[0]
            shape = tuple(int(v) for v in details["shape"])
            self.input_dtype = np.dtype(details["dtype"]).name
            if accelerator == "gpu":
                from keras_psa.inference.gpu_runner import GpuRunner

                self.gpu = GpuRunner(path)
        if len(shape) != 4 or shape[1] is None or shape[2] is None:
            raise ValueError(f"`model` must take (batch, height, width, channels) images of a "
                             f"fixed size. Received: input shape {shape} of {path}")
        self.input_size = (int(shape[1]), int(shape[2]))
        self.input_channels = int(shape[3])

    @property
    def runtime(self):
        """What runs the model, for reports."""
        if self.kind == "keras":
            from keras_psa.keras_flavor import keras

            return f"Keras {keras.__version__} ({keras.backend.backend()})"
        if self.gpu is not None:
            return self.gpu.description
        return "LiteRT CPU interpreter"

    def run(self, images):
        """The model's first output (N, ...) float32 for float images (N, h, w, 3)."""
        images = np.asarray(images, np.float32)
        if self.kind == "keras":
            output = self.model(images, training=False)
            if isinstance(output, (list, tuple)):
                output = output[0]
            elif isinstance(output, dict):
                output = next(iter(output.values()))
            return np.asarray(output, np.float32)
        if self.gpu is not None:
            return np.concatenate([self.gpu.run(image[None])[0] for image in images])
        from keras_psa.export.tflite.litert_runner import run_tflite

        return np.concatenate([run_tflite(self.path, image[None], interpreter=self.interpreter)[0]
                               for image in images])
