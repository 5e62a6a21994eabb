from pathlib import Path

from setuptools import find_packages
from setuptools import setup

QAT = ["tensorflow-model-optimization~=0.8.1"]
LITERT = ["ai-edge-litert~=2.3.0"]
# Intel OpenVINO compiler plugin for LiteRT AOT NPU compilation (brings openvino).
NPU = LITERT + ["ai-edge-litert-sdk-intel~=2.3.0"]
# av (PyAV): video files for keras-psa-predict; its wheels bundle FFmpeg with H.264.
DATA = ["scikit-learn>=1.4", "pillow>=10", "pycocotools~=2.0.11", "av~=18.1"]
# scipy: Student-t intervals of the attention study's paired differences.
EXAMPLES = DATA + ["matplotlib>=3.8", "tqdm>=4.66", "tensorboard~=2.21.0", "scipy>=1.11"]
# The other Keras 3 backends, CPU builds, for the JAX and PyTorch test passes.
# torch is pinned: on the CI machines pip takes 2.13.0's CPU wheel from disk,
# where a range would let it pull a CUDA build of several GB.
BACKENDS = ["jax~=0.10.2", "torch==2.13.0"]
DEV = QAT + NPU + EXAMPLES + BACKENDS + ["pytest>=8", "pytest-xdist>=3.6", "ruff>=0.6"]

setup(
    name="keras-psa",
    version="0.1.0",
    description="Polarized Self-Attention layers for Keras, built for edge deployment",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["keras_psa", "keras_psa.*"]),
    # The web page's ES modules and the Node driver (keras_psa.web).
    package_data={"keras_psa.web": ["app/*.html", "app/*.js", "driver/*.mjs"]},
    install_requires=[
        "tensorflow~=2.21.0",
        "keras>=3.15,<4",
        # tf_keras must match TensorFlow's minor version; tfmot needs it.
        "tf-keras~=2.21.0",
        "numpy>=1.26",
    ],
    entry_points={
        "console_scripts": [
            "keras-psa-convert=keras_psa.cli.convert:main",
            "keras-psa-check=keras_psa.cli.check:main",
            "keras-psa-web=keras_psa.cli.web:main",
            "keras-psa-benchmark=keras_psa.cli.benchmark:main",
            "keras-psa-train=keras_psa.cli.train:main",
            "keras-psa-qat=keras_psa.cli.qat:main",
            "keras-psa-compile-npu=keras_psa.cli.compile_npu:main",
            "keras-psa-train-keypoints=keras_psa.cli.train_keypoints:main",
            "keras-psa-predict=keras_psa.cli.predict:main",
            "keras-psa-evaluate=keras_psa.cli.evaluate:main",
        ],
    },
    extras_require={
        "qat": QAT,
        "litert": LITERT,
        "npu": NPU,
        "data": DATA,
        "examples": EXAMPLES,
        "backends": BACKENDS,
        "all": QAT + LITERT + EXAMPLES,
        "dev": DEV,
    },
)
