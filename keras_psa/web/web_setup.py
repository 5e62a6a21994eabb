"""Where Node, the pinned Node packages and Chromium are, or what to install.

Nothing is fetched at run time: the packages come from the project's
`package.json` / `package-lock.json` (`make` runs `npm ci`), the browser is
Debian's `chromium` (`scripts/install_swiftshader.sh` installs it for the GPU
checks too); playwright-core drives it and downloads no browser of its own.
"""

import dataclasses
import os
import shutil
from pathlib import Path

# The packages the pages and the driver import, as package.json pins them.
NODE_PACKAGES = ("@litertjs/core", "@litertjs/wasm-utils", "playwright-core")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


class WebSetupError(RuntimeError):
    """Node, the Node packages or Chromium is missing; the message names the fix."""


@dataclasses.dataclass(frozen=True)
class WebTools:
    """Paths of what the browser runs need.

    Args:
        node: the `node` executable (>= 20).
        node_modules: the folder `npm ci` filled from the project's package.json.
        chromium: the Chromium executable playwright-core launches.
    """

    node: str
    node_modules: Path
    chromium: str

    def package(self, name):
        return self.node_modules / name


def _project_node_modules():
    """The project's node_modules: $KERAS_PSA_NODE_MODULES, else beside the
    package's source tree (an editable install or a clone), else the current folder's."""
    if os.environ.get("KERAS_PSA_NODE_MODULES"):
        return Path(os.environ["KERAS_PSA_NODE_MODULES"])
    beside = Path(__file__).resolve().parents[2] / "node_modules"
    return beside if beside.is_dir() else Path.cwd() / "node_modules"


def find_web_tools(node=None, node_modules=None, chromium=None):
    """`WebTools`, or a `WebSetupError` naming what to install.

    Args:
        node: the node executable (default: $KERAS_PSA_NODE, else `node` on PATH).
        node_modules: the installed packages (default: `_project_node_modules`).
        chromium: the browser (default: $KERAS_PSA_CHROMIUM, else Debian's
            /usr/bin/chromium).
    """
    node = node or os.environ.get("KERAS_PSA_NODE") or shutil.which("node")
    if not node or not os.access(node, os.X_OK):
        raise WebSetupError(
            "Node.js (>= 20) must be installed for the browser runs: `apt-get install nodejs "
            f"npm` (Debian), then `make` (it runs `npm ci`). Received: node={node}")
    node_modules = Path(node_modules or _project_node_modules())
    missing = [name for name in NODE_PACKAGES
               if not (node_modules / name / "package.json").is_file()]
    if missing:
        raise WebSetupError(
            f"the Node packages {', '.join(missing)} must be installed in {node_modules}: run "
            "`npm ci` in the project's folder (`make test` and `make demo` do), or point "
            "KERAS_PSA_NODE_MODULES at a node_modules folder that has them.")
    chromium = chromium or os.environ.get("KERAS_PSA_CHROMIUM") or next(
        (path for path in CHROMIUM_CANDIDATES if os.path.isfile(path)), None)
    if not chromium or not os.access(chromium, os.X_OK):
        raise WebSetupError(
            "Chromium must be installed for the browser runs: `apt-get install chromium` "
            "(Debian; `bash scripts/install_swiftshader.sh` does it), or set "
            f"KERAS_PSA_CHROMIUM to a Chromium executable. Received: chromium={chromium}")
    return WebTools(node=node, node_modules=node_modules, chromium=chromium)
