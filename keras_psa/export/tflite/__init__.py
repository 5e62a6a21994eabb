"""Reading and running `.tflite` files: a read-only graph view, LiteRT's interpreter,
latency, and the int8/uint8 quantization of inputs and outputs."""
