"""The files a QAT run writes, and which post-training file each QAT file is compared with.

Kept apart from `qat_finetune` so that reports in a Keras 3 process read the
names without importing the QAT machinery.
"""

# The post-training files beside the QAT ones (name, converter arguments, what it is).
# The first is what `keras-psa-convert --quantization int8` makes; the other two
# have the op set of a QAT file each, so QAT and PTQ are compared like with like.
PTQ_FILES = (
    ("ptq_int8", {}, "post-training int8, the converter's default (PSA statistics float)"),
    ("ptq_int8_xnnpack", {"float_scopes": (), "xnnpack_fallback": True},
     "post-training int8 with qat_int8_xnnpack's op set"),
    ("ptq_int8_all", {"float_scopes": (), "xnnpack_fallback": False},
     "post-training int8 with qat_int8's op set (every op int8)"),
)
# Each QAT file and the post-training file meant to have its float islands.
SAME_OP_SET = {"qat_int8_xnnpack": "ptq_int8_xnnpack", "qat_int8": "ptq_int8_all"}

# How the summary and the reports name each file's scores.
FILE_NAMES = {"qat_int8": "QAT int8 (TFLite)",
              "qat_int8_xnnpack": "QAT int8, XNNPACK file (TFLite)",
              "ptq_int8": "PTQ int8 (TFLite)",
              "ptq_int8_xnnpack": "PTQ int8, XNNPACK file's op set (TFLite)",
              "ptq_int8_all": "PTQ int8, every op int8 (TFLite)"}
