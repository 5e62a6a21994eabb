"""Choices of the command-line tools' flags, kept as plain tuples so that argparse
needs no model code. tests/cli/test_choices.py holds them equal to the package's
own lists."""

BACKBONES = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
             "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic")
HEADS = ("lraspp", "deeplabv3plus", "fpn")
ATTENTIONS = ("none", "psa_p", "psa_s", "se", "cbam")
PSA_VARIANTS = ("paper", "official")
STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
