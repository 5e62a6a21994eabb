"""Checks of a `.tflite` file: the GPU delegate's rules and a real GPU-accelerator run,
XNNPACK delegation, parity with Keras, and the reports and verdicts built from them."""
