"""The connection scope the simulated server hands an application: what real servers build.

An application reads more of its scope than the protocol needs: FastAPI's
query parameters read ``query_string``, Quart reads ``scheme``, Channels'
origin validator reads the ``Origin`` and ``Host`` headers, an RPC library
logs ``client``. A scope that lacks them tests a connection no server makes,
and the app fails in ways no user will see. So by default the scope is what a
browser page opened at ``http://localhost:8000`` produces through uvicorn:
every key a server fills in, the headers of a browser's handshake, and the
Origin of the page. :class:`Handshake` changes any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ..spec import LATEST_VERSION, Extension

__all__ = ["Handshake", "split_target", "websocket_scope"]

#: The key a browser sends (RFC 6455 §4.1 asks for 16 random bytes, base64); a
#: fixed one keeps runs repeatable.
_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@dataclass(frozen=True)
class Handshake:
    """How the client's opening handshake looks, and where the connection runs.

    The defaults are a browser page at ``http://localhost:8000`` talking to a
    server on that port.

    Attributes:
        host: the ``Host`` header.
        origin: the ``Origin`` header; None sends none (a client that is not a browser).
        scheme: ``ws`` or ``wss``.
        client: the client's (host, port).
        server: the server's (host, port).
        headers: more request headers, as (name, value); names are lower-cased.
        cookies: cookies to send, as (name, value), in one ``Cookie`` header.
        user_agent: the ``User-Agent`` header.
    """

    host: str = "localhost:8000"
    origin: str | None = "http://localhost:8000"
    scheme: str = "ws"
    client: tuple[str, int] = ("127.0.0.1", 50123)
    server: tuple[str, int] = ("127.0.0.1", 8000)
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) asgiws"

    def header_list(self, subprotocols: tuple[str, ...] | list[str]) -> list[tuple[bytes, bytes]]:
        """The request headers in the order a browser sends them, as servers pass them on."""
        headers = [
            ("host", self.host),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("user-agent", self.user_agent),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", _KEY),
            ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
        ]
        if self.origin is not None:
            headers.append(("origin", self.origin))
        if subprotocols:
            headers.append(("sec-websocket-protocol", ", ".join(subprotocols)))
        if self.cookies:
            headers.append(("cookie", "; ".join(f"{name}={value}" for name, value in self.cookies)))
        headers += [(name.lower(), value) for name, value in self.headers]
        return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def split_target(target: str) -> tuple[str, bytes]:
    """The ``path`` and ``query_string`` of a request target, as servers split it (``/ws?x=1``)."""
    path, _, query = target.partition("?")
    return unquote(path), query.encode("latin-1")


def websocket_scope(
    spec_version: str = LATEST_VERSION.value,
    *,
    subprotocols: tuple[str, ...] | list[str] = (),
    denial: bool = False,
    path: str = "/ws",
    handshake: Handshake | None = None,
) -> dict[str, Any]:
    """A ``websocket`` scope as a conformant server builds it for ``handshake``.

    Args:
        spec_version: the value of ``scope["asgi"]["spec_version"]``.
        subprotocols: what the client offers.
        denial: advertise the Denial Response extension.
        path: the request target: a path, with a query string if any (``/ws?token=x``).
        handshake: how the handshake looks; a browser at ``http://localhost:8000`` by default.
    """
    shake = handshake or _BROWSER
    route, query = split_target(path)
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "scheme": shake.scheme,
        "server": shake.server,
        "client": shake.client,
        "root_path": "",
        "path": route,
        "raw_path": path.partition("?")[0].encode("latin-1"),
        "query_string": query,
        "headers": _header_list(shake, subprotocols),
        "subprotocols": list(subprotocols),
    }
    if denial:
        scope["extensions"] = {Extension.DENIAL_RESPONSE.value: {}}
    return scope


_BROWSER = Handshake()


def _header_list(handshake: Handshake, subprotocols: tuple[str, ...] | list[str]) -> list[tuple[bytes, bytes]]:
    try:
        return list(_headers(handshake, tuple(subprotocols)))
    except TypeError:  # a handshake given lists where it takes tuples cannot be a key: built as it is
        return handshake.header_list(subprotocols)


# The generated tests open a connection per walk of their sweep and per example, nearly all with
# the same handshake: its header list is built once (each scope gets a list of its own, an
# application may change it). Bounded, as the handshakes and offers a caller passes are not.
@lru_cache(maxsize=64)
def _headers(handshake: Handshake, subprotocols: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple(handshake.header_list(subprotocols))
