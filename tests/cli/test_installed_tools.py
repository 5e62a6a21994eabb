"""`pip install .` gives working commands: a wheel of the package in a clean venv.

The venv gets only the package's wheel; its dependencies (TensorFlow and the
rest, gigabytes) come from this environment through a .pth file, so the test
needs no download. The commands run from a folder outside the checkout, so
nothing can import the package from the source tree.
"""

import os
import subprocess
import sys
import sysconfig

import pytest

from keras_psa.keras_flavor import keras

pytestmark = [pytest.mark.flavor_independent, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = ("keras-psa-convert", "keras-psa-check", "keras-psa-benchmark", "keras-psa-train",
         "keras-psa-qat", "keras-psa-compile-npu", "keras-psa-train-keypoints", "keras-psa-web",
         "keras-psa-predict", "keras-psa-evaluate")


def _run(args, cwd, timeout=600):
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(cwd)}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory):
    work = tmp_path_factory.mktemp("install")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "-w", work / "wheel", ROOT], cwd=work)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "wheel").glob("keras_psa-*.whl")
    venv = work / "venv"
    assert _run([sys.executable, "-m", "venv", venv], cwd=work).returncode == 0
    installed = _run([venv / "bin" / "python", "-m", "pip", "install", "--no-deps",
                      "--no-index", wheel], cwd=work)
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = _run([venv / "bin" / "python", "-c",
                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)
    with open(os.path.join(site.stdout.strip(), "_dependencies.pth"), "w") as file:
        file.write(sysconfig.get_paths()["purelib"] + "\n")
    return venv, work


def test_the_package_comes_from_the_venv_not_the_checkout(clean_venv):
    venv, work = clean_venv
    result = _run([venv / "bin" / "python", "-c", "import keras_psa; print(keras_psa.__file__)"],
                  cwd=work)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith(str(venv)), result.stdout


@pytest.mark.parametrize("name", TOOLS)
def test_every_command_is_installed_with_a_complete_help(clean_venv, name):
    venv, work = clean_venv
    result = _run([venv / "bin" / name, "--help"], cwd=work)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: {name}") and "exit codes:" in result.stdout


def test_the_installed_converter_converts(clean_venv):
    venv, work = clean_venv
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same")(inputs))
    model.save(work / "m.keras")
    result = _run([venv / "bin" / "keras-psa-convert", "m.keras", "--output", "m.tflite",
                   "--input-size", 16, 16, "--checks", "xnnpack"], cwd=work)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (work / "m.tflite").stat().st_size > 0 and "[PASSED] xnnpack" in result.stdout
