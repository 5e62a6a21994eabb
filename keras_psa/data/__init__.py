"""Segmentation data as tf.data pipelines: built-in scenes and a directory format."""
