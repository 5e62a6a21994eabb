"""The browser side: the same `.tflite` file on LiteRT.js in real (headless) Chromium.

`web_setup` finds Node, the pinned Node packages (`package.json`, installed by
`make` with `npm ci`) and Chromium; `StaticServer` serves pages on the loopback
interface; `open_pages` drives Chromium through a small Node script and hands
what the pages computed back as JSON. The rules stay in Python
(`keras_psa.export.checks.browser_run`); `app/` holds the static page: ES
modules, one per role, no bundler.
"""

from keras_psa.web.browser_pages import open_pages
from keras_psa.web.static_server import StaticServer
from keras_psa.web.web_setup import WebSetupError
from keras_psa.web.web_setup import find_web_tools

__all__ = ["StaticServer", "WebSetupError", "find_web_tools", "open_pages"]
