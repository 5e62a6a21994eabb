"""What each LiteRT NPU vendor plugin needs, and how a user provides it."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class VendorSdk:
    """The SDK behind one vendor module of `ai_edge_litert.aot.vendors`.

    Args:
        vendor: the module name under `ai_edge_litert.aot.vendors`.
        package: the PyPI package that provides the SDK, or None.
        sdk: what the plugin needs, by name ("the Qualcomm AI Runtime (QAIRT) SDK").
        provide: one sentence: how a user makes the SDK available.
        runs_here: whether the compiled model can run on this kind of host
            (x86 Linux) through `CompiledModel`, i.e. whether the wheel ships
            the vendor's dispatch library for it.
    """

    vendor: str
    package: str | None
    sdk: str
    provide: str
    runs_here: bool = False


# The phone vendors' packages are small source archives whose install step
# downloads the SDK from the vendor's site; installed offline they succeed
# without it and the compiler plugin then fails to load.
_REINSTALL = ("`pip install --force-reinstall --no-cache-dir {package}==2.3.0` on a machine "
              "that can reach {site} (its install step downloads the SDK from there)")

VENDOR_SDKS = {
    "qualcomm": VendorSdk(
        vendor="qualcomm",
        package="ai-edge-litert-sdk-qualcomm",
        sdk="the Qualcomm AI Runtime (QAIRT) SDK",
        provide=_REINSTALL.format(package="ai-edge-litert-sdk-qualcomm",
                                  site="softwarecenter.qualcomm.com")
        + ", or put the SDK's lib/x86_64-linux-clang folder on LD_LIBRARY_PATH",
    ),
    "mediatek": VendorSdk(
        vendor="mediatek",
        package="ai-edge-litert-sdk-mediatek",
        sdk="the MediaTek NeuroPilot SDK",
        provide=_REINSTALL.format(package="ai-edge-litert-sdk-mediatek",
                                  site="mediatek.neuropilot.com's download bucket")
        + ", or put the SDK's host/lib folder on LD_LIBRARY_PATH",
    ),
    "google_tensor": VendorSdk(
        vendor="google_tensor",
        package="ai-edge-litert-sdk-google-tensor",
        sdk="the Google Tensor ML SDK (liblitert_plugin_compiler.so)",
        provide=_REINSTALL.format(package="ai-edge-litert-sdk-google-tensor",
                                  site="redirector.gvt1.com")
        + ", or set GOOGLE_TENSOR_COMPILER_LIB to the SDK's library folder",
    ),
    "intel_openvino": VendorSdk(
        vendor="intel_openvino",
        package="ai-edge-litert-sdk-intel",
        sdk="OpenVINO (the openvino wheel) and, for its NPU device, OpenVINO's NPU "
            "compiler libraries (libopenvino_intel_npu_compiler*.so)",
        provide="`pip install 'keras-psa[npu]'` (ai-edge-litert-sdk-intel and openvino from "
                "PyPI); the NPU device also needs the NPU compiler library, which that package "
                "downloads from storage.openvinotoolkit.org while installing (reinstall it with "
                "`pip install --force-reinstall --no-cache-dir ai-edge-litert-sdk-intel==2.3.0` "
                "where that site is reachable), or compile for OpenVINO's CPU device with "
                "`intel_openvino_device=\"cpu\"` (CLI: `--intel-openvino-device cpu`)",
        runs_here=True,
    ),
    "samsung": VendorSdk(
        vendor="samsung",
        package=None,
        sdk="the Samsung Exynos NPU SDK",
        provide="a later ai-edge-litert whose Samsung plugin loads (the one in the 2.3 wheel "
                "has an undefined flatbuffers symbol, and PyPI has no ai-edge-litert-sdk-samsung "
                "package), with the Samsung SDK libraries on LD_LIBRARY_PATH",
    ),
}


def vendor_sdk(vendor):
    """Returns the `VendorSdk` of `vendor`, or a generic one for a vendor not listed."""
    if vendor in VENDOR_SDKS:
        return VENDOR_SDKS[vendor]
    return VendorSdk(vendor=vendor, package=None, sdk=f"the {vendor} SDK",
                     provide="install the vendor's SDK package for ai-edge-litert, or put "
                             "its libraries on LD_LIBRARY_PATH")
