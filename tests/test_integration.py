"""asgiws inside FastAPI and Starlette, in process: the examples, the dependency and the decorator.

Everything here goes through Starlette's ``TestClient`` (FastAPI's is the same
class), or through a scripted ASGI server where a test needs to see exactly
which messages reached the transport. The same examples are served by real
servers in ``test_integration_servers.py``.
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query, WebSocketException
from fastapi import WebSocket as FastAPIWebSocket
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.routing import Mount, Router, WebSocketRoute
from starlette.types import ASGIApp, Message
from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketState

import asgiws
from asgiws import InvalidMessageError, WebSocket, WebSocketDisconnect, WrongStateError, websocket_endpoint
from asgiws.endpoints import WebSocketApp
from asgiws.fastapi import CheckedWebSocket, checked_websocket
from asgiws.spec import SpecVersion
from examples import fastapi_chat, raw_asgi, starlette_echo

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 and warns once, on import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def chat() -> Iterator[TestClient]:
    with TestClient(fastapi_chat.app) as client:
        yield client


def test_importing_asgiws_does_not_import_fastapi() -> None:
    probe = "import sys, asgiws; print('fastapi' in sys.modules, 'asgiws.fastapi' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "False"]


# -- the FastAPI example ------------------------------------------------------------------


def test_the_fastapi_endpoint_gets_a_checked_websocket() -> None:
    seen: list[object] = []
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: CheckedWebSocket) -> None:
        seen.append(websocket)
        await websocket.close()

    with pytest.raises(WebSocketDisconnect), TestClient(app).websocket_connect("/ws"):
        pass  # pragma: no cover - the close before the accept refuses the handshake
    assert len(seen) == 1
    assert type(seen[0]) is WebSocket


def test_the_chat_example_greets_with_its_path_and_query_parameters(chat: TestClient) -> None:
    with chat.websocket_connect("/ws/room-1?name=ada") as ws:
        assert ws.receive_text() == "welcome to room-1, ada"
    with chat.websocket_connect("/ws/lobby") as ws:
        assert ws.receive_text() == "welcome to lobby, guest"


def test_the_chat_example_echoes_text_and_measures_binary(chat: TestClient) -> None:
    with chat.websocket_connect("/ws/lobby") as ws:
        ws.receive_text()
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        ws.send_bytes(b"\x00\x01\x02\x03\x04")
        assert ws.receive_text() == "5 bytes"
        ws.send_text("")
        assert ws.receive_text() == ""


@pytest.mark.parametrize(
    ("offered", "accepted"),
    [(["chat.v1"], "chat.v1"), (["chat.v2", "chat.v1"], "chat.v1"), (["chat.v2"], None), (None, None)],
)
def test_the_chat_example_accepts_its_subprotocol_only_when_offered(chat: TestClient, offered: list[str] | None, accepted: str | None) -> None:
    with chat.websocket_connect("/ws/lobby", subprotocols=offered) as ws:
        assert ws.accepted_subprotocol == accepted
        assert ws.receive_text() == "welcome to lobby, guest"


def test_the_chat_example_closes_with_1000_on_bye(chat: TestClient) -> None:
    with chat.websocket_connect("/ws/lobby") as ws:
        ws.receive_text()
        ws.send_text("bye")
        assert ws.receive() == {"type": "websocket.close", "code": 1000, "reason": "goodbye"}


def test_the_chat_example_records_the_code_a_client_left_with(chat: TestClient) -> None:
    before = len(fastapi_chat.stats.disconnects)
    with chat.websocket_connect("/ws/lobby") as ws:
        ws.receive_text()
        ws.send_text("hi")
        ws.receive_text()
        ws.close(1001)
    # The endpoint runs in the client's portal; the with-block waits for it to return.
    assert fastapi_chat.stats.disconnects[before:] == [1001]
    assert chat.get("/stats").json()["disconnects"][before:] == [1001]


def test_the_chat_example_still_has_fastapis_validation(chat: TestClient) -> None:
    connections = fastapi_chat.stats.connections
    with pytest.raises(WebSocketDisconnect) as refused, chat.websocket_connect("/ws/No Spaces!"):
        pass  # pragma: no cover - refused before the accept
    assert refused.value.code == 1008
    assert "pattern" in str(refused.value.reason)
    assert fastapi_chat.stats.connections == connections, "the endpoint never ran"


def test_the_chat_example_serves_plain_http(chat: TestClient) -> None:
    assert chat.get("/").json()["websocket"] == "/ws/{room}"
    assert set(chat.get("/stats").json()) == {"connections", "messages", "disconnects"}


# -- the dependency, in other endpoints ------------------------------------------------------

Token = Annotated[str, Query(min_length=3)]


# At module level: FastAPI resolves the string annotations (``from __future__
# import annotations``) in the module's globals, where a local would be missing.
async def current_user(websocket: CheckedWebSocket, token: Token) -> str:
    """A sub-dependency that asks for the checked WebSocket too."""
    _user_sockets.append(websocket)
    return f"user-{token}"


_user_sockets: list[WebSocket] = []


def _app_with_a_user_dependency() -> FastAPI:
    app = FastAPI()

    @app.websocket("/items/{item_id}")
    async def items(websocket: CheckedWebSocket, item_id: int, user: Annotated[str, Depends(current_user)], limit: int = 10) -> None:
        # FastAPI caches a dependency per connection: one object, one state machine.
        same = _user_sockets.pop() is websocket
        await websocket.accept()
        await websocket.send_json({"item": item_id, "user": user, "limit": limit, "same": same})
        await websocket.close()

    return app


def test_the_dependency_combines_with_path_and_query_parameters_and_other_dependencies() -> None:
    client = TestClient(_app_with_a_user_dependency())
    with client.websocket_connect("/items/7?token=abc&limit=3") as ws:
        assert ws.receive_json() == {"item": 7, "user": "user-abc", "limit": 3, "same": True}


@pytest.mark.parametrize("url", ["/items/7", "/items/7?token=ab", "/items/seven?token=abc", "/items/7?token=abc&limit=x"])
def test_a_query_or_path_parameter_that_fails_validation_closes_with_1008(url: str) -> None:
    client = TestClient(_app_with_a_user_dependency())
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url):
        pass  # pragma: no cover - refused before the accept
    assert refused.value.code == 1008


def test_the_checked_websocket_starts_where_an_earlier_dependency_left_the_connection() -> None:
    app = FastAPI()

    async def greet_first(websocket: FastAPIWebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello from a plain dependency")

    @app.websocket("/ws", dependencies=[Depends(greet_first)])
    async def endpoint(websocket: CheckedWebSocket) -> None:
        assert (websocket.client_state, websocket.application_state) == (WebSocketState.CONNECTED, WebSocketState.CONNECTED)
        with pytest.raises(WrongStateError):
            await websocket.send({"type": "websocket.accept"})
        await websocket.send_text("and from the endpoint")
        await websocket.close()

    with TestClient(app).websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hello from a plain dependency"
        assert ws.receive_text() == "and from the endpoint"
        assert ws.receive()["type"] == "websocket.close"


def test_checked_websocket_wraps_the_raw_callables_not_starlettes_methods() -> None:
    async def receive() -> Message:
        return {"type": "websocket.connect"}  # pragma: no cover - never called

    async def send(message: Message) -> None:
        pass  # pragma: no cover - never called

    scope: dict[str, Any] = {"type": "websocket", "path": "/", "headers": [], "asgi": {"version": "3.0", "spec_version": "2.2"}}
    plain = StarletteWebSocket(scope, receive, send)
    checked = asyncio.run(checked_websocket(plain))
    assert checked.scope is scope
    assert (checked._receive, checked._send) == (receive, send)
    assert checked.spec_version is SpecVersion.V2_2


def test_a_bare_asgiws_annotation_is_not_enough_in_fastapi() -> None:
    """The pitfall the docs warn about: without Depends, FastAPI injects its own object."""
    seen: list[object] = []
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: asgiws.WebSocket) -> None:
        seen.append(type(websocket))
        await websocket.close()

    with pytest.raises(WebSocketDisconnect), TestClient(app).websocket_connect("/ws"):
        pass  # pragma: no cover - refused before the accept
    assert seen == [StarletteWebSocket]


# -- protocol mistakes and FastAPI's own exceptions -----------------------------------------


def _mistaken_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: CheckedWebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=1006)  # 1006 is for reporting, never for sending

    return app


def _serve(app: ASGIApp, path: str, incoming: list[Message]) -> tuple[list[Message], BaseException | None]:
    """Run one connection through ``app`` with a scripted server; return what it sent and what it raised."""
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "subprotocols": [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    pending = list(incoming)
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    async def serve() -> None:
        await app(scope, receive, send)

    try:
        asyncio.run(serve())
    except Exception as error:  # returned to the test to look at
        return sent, error
    return sent, None


def test_a_protocol_mistake_in_a_fastapi_endpoint_raises_and_reaches_no_client() -> None:
    sent, error = _serve(_mistaken_app(), "/ws", [{"type": "websocket.connect"}])
    assert isinstance(error, InvalidMessageError)
    assert error.clause == "RFC-002"
    assert error.field == "code"
    assert sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}], "the bad close never reached the server"


def test_a_protocol_mistake_under_the_testclient_surfaces_in_the_test() -> None:
    with pytest.raises(InvalidMessageError, match="RFC-002"), TestClient(_mistaken_app()).websocket_connect("/ws") as ws:
        ws.receive()  # the close never comes: the app's error is raised here instead


def test_a_refused_message_changes_nothing_so_the_endpoint_can_recover() -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: CheckedWebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.close(code=1006)
        except InvalidMessageError as error:
            await websocket.close(code=1011, reason=error.clause)

    with TestClient(app).websocket_connect("/ws") as ws:
        assert ws.receive() == {"type": "websocket.close", "code": 1011, "reason": "RFC-002"}


@pytest.mark.parametrize("accept_first", [True, False])
def test_websocket_exception_in_a_fastapi_endpoint_still_closes_with_its_code(accept_first: bool) -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: CheckedWebSocket) -> None:
        if accept_first:
            await websocket.accept()
        raise WebSocketException(code=4001, reason="no such room")

    if accept_first:
        with TestClient(app).websocket_connect("/ws") as ws:
            assert ws.receive() == {"type": "websocket.close", "code": 4001, "reason": "no such room"}
    else:
        with pytest.raises(WebSocketDisconnect) as refused, TestClient(app).websocket_connect("/ws"):
            pass  # pragma: no cover - refused before the accept
        assert (refused.value.code, refused.value.reason) == (4001, "no such room")


def test_websocket_exception_after_the_endpoint_closed_sends_one_close() -> None:
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: CheckedWebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=1000)
        raise WebSocketException(code=1008)

    sent, error = _serve(app, "/ws", [{"type": "websocket.connect"}])
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.close"]
    assert error is None  # FastAPI's handler closed through the checked object: a second close does nothing


# -- the Starlette example and websocket_endpoint --------------------------------------------


def test_the_starlette_example_echoes_text_and_binary() -> None:
    with TestClient(starlette_echo.app).websocket_connect("/echo") as ws:
        for text in ("one", "two", ""):
            ws.send_text(text)
            assert ws.receive_text() == text
        ws.send_bytes(b"\x00three")
        assert ws.receive_bytes() == b"\x00three"


def test_the_starlette_example_shouts_through_a_mount_and_closes_on_an_empty_message() -> None:
    with TestClient(starlette_echo.app).websocket_connect("/v1/shout") as ws:
        ws.send_text("quiet please")
        assert ws.receive_text() == "QUIET PLEASE"
        ws.send_text("")
        assert ws.receive() == {"type": "websocket.close", "code": 1000, "reason": "nothing to shout"}
    with TestClient(starlette_echo.app).websocket_connect("/v1/shout") as ws:
        ws.send_bytes(b"quiet")
        assert ws.receive() == {"type": "websocket.close", "code": 1003, "reason": "text only"}


def test_a_decorated_endpoint_keeps_its_name_for_routing() -> None:
    assert isinstance(starlette_echo.echo, WebSocketApp)
    assert starlette_echo.echo.__name__ == "echo"
    assert starlette_echo.echo.__doc__ == "Send every message back as it came, text or binary, until the client leaves."
    assert starlette_echo.app.url_path_for("echo") == "/echo"
    assert starlette_echo.app.url_path_for("shout") == "/v1/shout"


def _recorder(seen: list[WebSocket]) -> asgiws.endpoints.Handler:
    async def handler(websocket: WebSocket) -> None:
        seen.append(websocket)
        await websocket.accept()
        await websocket.send_text(f"{websocket.spec_version.value} {websocket.url.path}")
        await websocket.close()

    return handler


@pytest.mark.parametrize(
    ("make", "version"),
    [
        (websocket_endpoint, "2.5"),  # the TestClient declares no version: the latest (AMB-29)
        (websocket_endpoint(spec_version="2.3"), "2.3"),
        (functools.partial(websocket_endpoint, spec_version=SpecVersion.V2_1), "2.1"),
    ],
    ids=["bare", "decorator-with-version", "call-with-version"],
)
def test_websocket_endpoint_works_in_a_route_a_mount_a_router_and_alone(make: Any, version: str) -> None:
    seen: list[WebSocket] = []
    endpoint = make(_recorder(seen))
    apps: dict[str, tuple[ASGIApp, str]] = {
        "route": (Starlette(routes=[WebSocketRoute("/ws", endpoint)]), "/ws"),
        "mount": (Starlette(routes=[Mount("/api", routes=[WebSocketRoute("/ws", endpoint)])]), "/api/ws"),
        "mounted app": (Starlette(routes=[Mount("/raw", app=endpoint)]), "/raw/x"),
        "router": (Router(routes=[WebSocketRoute("/ws", endpoint)]), "/ws"),
        "fastapi": (FastAPI(routes=[WebSocketRoute("/ws", endpoint)]), "/ws"),
        "alone": (endpoint, "/anything"),
    }
    for app, path in apps.values():
        with TestClient(app).websocket_connect(path) as ws:
            assert ws.receive_text() == f"{version} {path}"
            assert ws.receive()["type"] == "websocket.close"
    assert len(seen) == len(apps)
    assert all(type(websocket) is WebSocket for websocket in seen)


def test_websocket_endpoint_checks_the_version_when_it_is_applied() -> None:
    async def handler(websocket: WebSocket) -> None:
        pass  # pragma: no cover - never served

    with pytest.raises(ValueError, match=r"unknown ASGI WebSocket spec version '3\.0'"):
        websocket_endpoint(spec_version="3.0")
    with pytest.raises(ValueError, match=r"unknown ASGI WebSocket spec version '1\.9'"):
        websocket_endpoint(handler, spec_version="1.9")


def test_websocket_endpoint_takes_any_async_callable() -> None:
    class Greeter:
        async def __call__(self, websocket: WebSocket, greeting: str = "hi") -> None:
            await websocket.accept()
            await websocket.send_text(greeting)

    endpoint = websocket_endpoint(functools.partial(Greeter(), greeting="hello"))
    assert endpoint.__name__ == "partial"  # what Starlette would name it too
    with TestClient(Starlette(routes=[WebSocketRoute("/ws", endpoint)])).websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hello"


def test_a_protocol_mistake_in_a_decorated_endpoint_raises_before_the_server_sees_it() -> None:
    @websocket_endpoint
    async def early(websocket: WebSocket) -> None:
        await websocket.send_text("before the accept")

    sent, error = _serve(Starlette(routes=[WebSocketRoute("/ws", early)]), "/ws", [{"type": "websocket.connect"}])
    assert isinstance(error, WrongStateError)
    assert error.clause == "WS-024"
    assert sent == []


def test_websocket_exception_in_a_decorated_endpoint_is_handled_by_starlette() -> None:
    @websocket_endpoint
    async def guarded(websocket: WebSocket) -> None:
        await websocket.accept()
        raise WebSocketException(code=1008, reason="not allowed")

    with TestClient(Starlette(routes=[WebSocketRoute("/ws", guarded)])).websocket_connect("/ws") as ws:
        assert ws.receive() == {"type": "websocket.close", "code": 1008, "reason": "not allowed"}


def test_starlettes_exception_handlers_get_the_checked_websocket() -> None:
    handled: list[object] = []

    async def on_value_error(websocket: StarletteWebSocket, exc: Exception) -> None:
        handled.append(websocket)
        await websocket.close(code=1011, reason=str(exc))

    @websocket_endpoint
    async def failing(websocket: WebSocket) -> None:
        await websocket.accept()
        raise ValueError("boom")

    app = Starlette(routes=[WebSocketRoute("/ws", failing)], exception_handlers={ValueError: on_value_error})
    with TestClient(app).websocket_connect("/ws") as ws:
        assert ws.receive() == {"type": "websocket.close", "code": 1011, "reason": "boom"}
    assert [type(websocket) for websocket in handled] == [WebSocket]


def test_websocket_exception_after_the_endpoint_closed_sends_no_second_close() -> None:
    @websocket_endpoint
    async def closes_then_raises(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=1000)
        raise WebSocketException(code=1008)

    sent, error = _serve(Starlette(routes=[WebSocketRoute("/ws", closes_then_raises)]), "/ws", [{"type": "websocket.connect"}])
    assert error is None
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.close"]


def test_a_decorated_endpoint_served_alone_answers_http_and_lifespan() -> None:
    with TestClient(starlette_echo.echo) as client:  # entering runs the lifespan startup, leaving its shutdown
        response = client.get("/echo")
        with client.websocket_connect("/echo") as ws:
            ws.send_text("still here")
            assert ws.receive_text() == "still here"
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"


# -- the raw ASGI example ------------------------------------------------------------------


def test_the_raw_example_adds_numbers() -> None:
    with TestClient(raw_asgi.app).websocket_connect("/") as ws:
        ws.send_json({"add": [1, 2, 3.5]})
        assert ws.receive_json() == {"sum": 6.5}
        ws.send_json({"add": []})
        assert ws.receive_json() == {"sum": 0}


@pytest.mark.parametrize("send", [{"text": '{"sub": [1]}'}, {"text": "[1, 2]"}, {"text": "not json"}, {"bytes": b'{"add": [1]}'}])
def test_the_raw_example_closes_with_1003_on_what_it_cannot_use(send: dict[str, Any]) -> None:
    with TestClient(raw_asgi.app).websocket_connect("/") as ws:
        ws.send({"type": "websocket.receive", **send})
        assert ws.receive() == {"type": "websocket.close", "code": 1003, "reason": 'expected {"add": [numbers]}'}


def test_the_raw_example_lets_the_client_leave() -> None:
    sent, error = _serve(raw_asgi.app, "/", [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1001}])
    assert error is None
    assert [message["type"] for message in sent] == ["websocket.accept"]


def test_the_raw_example_answers_http_and_lifespan() -> None:
    with TestClient(raw_asgi.app) as client:
        assert client.get("/").text == "connect with a WebSocket client\n"
