"""Child processes that run a `.tflite` on LiteRT's accelerators.

Each worker is started as a script (`python gpu_worker.py ...`), so it imports its
siblings directly and neither TensorFlow nor `keras_psa`: it starts fast, and a
crash inside a delegate or a vendor's dispatch library ends only the child.
"""
