"""Opens pages in headless Chromium through the Node driver and returns their results."""

import json
import os
import subprocess
import tempfile

from keras_psa.web.web_setup import find_web_tools

_DRIVER = os.path.join(os.path.dirname(__file__), "driver", "open_pages.mjs")
# The machine may be offline and run as root: no sandbox (root), nothing that
# phones home, and WebGPU on whatever adapter Chromium finds (SwiftShader on a
# machine without a GPU; with no flag Chromium gives headless pages no adapter).
# playwright gives each launch a fresh profile.
CHROMIUM_ARGS = ("--no-sandbox", "--enable-unsafe-webgpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions")


def open_pages(pages, tools=None, timeout=180):
    """Opens each page in one Chromium and waits for its result.

    Args:
        pages: dicts `{"url", "result"}` (the page is done when `window[result]`
            is defined) with optional `"screenshot"` (a PNG path) and
            `"viewport"` (`{"width", "height"}`).
        tools: `WebTools` (default: `find_web_tools()`, which raises
            `WebSetupError` naming what to install).
        timeout: seconds per page and for the whole run.

    Returns:
        One dict per page: `result` (what the page set, or None), `failure`
        (why it never set it, or None), `console` (`{"type", "text"}` messages)
        and `page_errors` (uncaught exceptions).
    """
    tools = tools or find_web_tools()
    request = {"node_modules": str(tools.node_modules), "chromium": tools.chromium,
               "args": list(CHROMIUM_ARGS), "timeout_ms": int(timeout * 1000),
               "pages": list(pages)}
    with tempfile.TemporaryDirectory(prefix="keras_psa_web_") as tmp:
        request_path = os.path.join(tmp, "request.json")
        with open(request_path, "w") as f:
            json.dump(request, f)
        try:
            child = subprocess.run([tools.node, _DRIVER, request_path], capture_output=True,
                                   text=True, timeout=timeout * (len(request["pages"]) + 1),
                                   check=False)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"Chromium did not finish within {error.timeout:.0f} s") from error
    lines = [line for line in child.stdout.splitlines() if line.startswith('{"pages"')]
    if child.returncode != 0 or not lines:
        raise RuntimeError(f"the browser driver failed (exit code {child.returncode}): "
                           f"{(child.stderr or child.stdout)[-2000:]}")
    return json.loads(lines[-1])["pages"]
