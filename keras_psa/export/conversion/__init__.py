"""Keras model -> `.tflite`: the converter, its quantization and input options, model
metadata hand-off, and the rewrites of converted files (float fallback, uint8 input)."""
