"""The loopback server the pages come from: wasm type, isolation headers, no escape."""

import urllib.error
import urllib.request

import pytest

from keras_psa.web import StaticServer

pytestmark = pytest.mark.flavor_independent


def test_wasm_goes_out_as_application_wasm_with_the_isolation_headers(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "runtime.wasm").write_bytes(b"\0asm")
    (tmp_path / "secret.txt").write_text("no")
    with StaticServer({"/": str(tmp_path / "app")}) as server:
        assert server.url().startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url("runtime.wasm")) as response:
            assert response.headers["Content-Type"] == "application/wasm"
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
            assert response.read() == b"\0asm"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url("../secret.txt"))
        assert refused.value.code == 404


def test_the_longest_prefix_serves_its_folder(tmp_path):
    for folder in ("app", "lib"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "index.js").write_text(folder)
    routes = {"/": str(tmp_path / "app"), "/litert/core/": str(tmp_path / "lib")}
    with StaticServer(routes) as server:
        for path, body in (("index.js", "app"), ("litert/core/index.js", "lib")):
            with urllib.request.urlopen(server.url(path)) as response:
                assert response.read().decode() == body


def test_routes_must_be_folders_under_slashed_prefixes(tmp_path):
    with pytest.raises(ValueError, match="must start and end with '/'"):
        StaticServer({"/app": str(tmp_path)})
    with pytest.raises(ValueError, match="folders must exist"):
        StaticServer({"/": str(tmp_path / "missing")})
