#!/usr/bin/env bash
# Installs SwiftShader (a CPU Vulkan driver), which lets LiteRT's real GPU
# accelerator run on a machine without a GPU. Debian's chromium package
# ships it as /usr/lib/chromium/libvk_swiftshader.so with its ICD file and
# its own Vulkan loader; keras_psa.export finds them there.
set -euo pipefail
icd=/usr/lib/chromium/vk_swiftshader_icd.json
if [ -f "$icd" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing SwiftShader (Debian package chromium) for the GPU-accelerator tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif [ -n "${CI:-}" ]; then
  echo "error: CI needs SwiftShader for the GPU-accelerator tests: apt-get install chromium (as root)" >&2
  exit 1
else
  echo "note: SwiftShader is not installed, so the real GPU-accelerator tests will skip." >&2
  echo "      Install it with: sudo apt-get install chromium" >&2
fi
