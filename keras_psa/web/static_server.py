"""A static file server on the loopback interface, for pages the browser runs.

Pages cannot come from `file://`: the wasm fetch and ES-module imports fail
there. `.wasm` goes out as `application/wasm` (streaming compilation needs it),
and every response carries the COOP/COEP headers that make the page
cross-origin isolated, which LiteRT.js' threaded build needs
(SharedArrayBuffer) and which give finer timers.
"""

import http.server
import os
import posixpath
import threading
import urllib.parse

ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin",
                     "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}
_TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
          ".json": "application/json", ".tflite": "application/octet-stream"}


class StaticServer:
    """Serves folders under URL prefixes on 127.0.0.1, on a free port, in a thread.

    Args:
        routes: `{url_prefix: folder}`, e.g. `{"/": app_dir, "/litert/core/": core_dir}`;
            the longest matching prefix wins; paths outside a folder are refused.
        isolated: send the COOP/COEP headers. Defaults to True.

    Example:

    ```python
    with StaticServer({"/": "site"}) as server:
        print(server.url("index.html"))
    ```
    """

    def __init__(self, routes, isolated=True):
        for prefix, folder in routes.items():
            if not prefix.startswith("/") or not prefix.endswith("/"):
                raise ValueError(f"`routes` prefixes must start and end with '/'. "
                                 f"Received: {prefix!r}")
            if not os.path.isdir(folder):
                raise ValueError(f"`routes` folders must exist. Received: {prefix!r}: {folder}")
        self.routes = sorted(((p, os.path.abspath(f)) for p, f in routes.items()),
                             key=lambda item: -len(item[0]))
        self.isolated = isolated
        self._httpd = None
        self._thread = None

    def _handler(self):
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **_TYPES}

            def translate_path(self, path):
                path = posixpath.normpath(urllib.parse.unquote(path.split("?")[0].split("#")[0]))
                path += "/" if path != "/" else ""
                for prefix, folder in server.routes:
                    if path.startswith(prefix):
                        relative = path[len(prefix):].rstrip("/")
                        full = os.path.abspath(os.path.join(folder, relative))
                        if full == folder or full.startswith(folder + os.sep):
                            return full
                return os.path.join(server.routes[-1][1], "\0refused")

            def end_headers(self):
                if server.isolated:
                    for name, value in ISOLATION_HEADERS.items():
                        self.send_header(name, value)
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def log_message(self, *args):  # the pages' console is what matters
                pass

        return Handler

    def start(self):
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def url(self, path=""):
        if self._httpd is None:
            raise RuntimeError("The server is not running: call `start()` or use `with`.")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{path.lstrip('/')}"

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
