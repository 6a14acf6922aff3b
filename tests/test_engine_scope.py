"""The scope the simulated server builds: what a real server hands an application."""

from __future__ import annotations

from asgiws._compiled import check_scope
from asgiws._context import Context
from asgiws.engine import Handshake, split_target, websocket_scope
from asgiws.spec import SpecVersion


def test_by_default_the_scope_is_a_browser_page_at_localhost_8000_through_a_server() -> None:
    scope = websocket_scope("2.4", path="/items/caf%C3%A9/ws?token=abc&x=1", subprotocols=["chat", "v2"])
    check_scope(scope, Context(SpecVersion.V2_4))
    assert (scope["path"], scope["raw_path"], scope["query_string"]) == ("/items/café/ws", b"/items/caf%C3%A9/ws", b"token=abc&x=1")
    assert (scope["scheme"], scope["http_version"], scope["root_path"]) == ("ws", "1.1", "")
    assert scope["client"] == ("127.0.0.1", 50123)
    assert scope["server"] == ("127.0.0.1", 8000)
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"localhost:8000"
    assert headers[b"origin"] == b"http://localhost:8000"
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"sec-websocket-protocol"] == b"chat, v2"
    assert b"cookie" not in headers


def test_a_handshake_changes_what_the_client_sends() -> None:
    handshake = Handshake(
        host="example.test",
        origin=None,
        scheme="wss",
        client=("10.0.0.9", 4000),
        headers=(("Authorization", "Bearer t"),),
        cookies=(("session", "abc"), ("theme", "dark")),
    )
    scope = websocket_scope(path="/", handshake=handshake)
    check_scope(scope, Context())
    headers = dict(scope["headers"])
    assert b"origin" not in headers
    assert headers[b"authorization"] == b"Bearer t"
    assert headers[b"cookie"] == b"session=abc; theme=dark"
    assert (scope["scheme"], scope["client"], headers[b"host"]) == ("wss", ("10.0.0.9", 4000), b"example.test")


def test_a_target_splits_as_servers_split_it() -> None:
    assert split_target("/ws") == ("/ws", b"")
    assert split_target("/a%20b?q=%20") == ("/a b", b"q=%20")


def test_every_scope_has_a_header_list_of_its_own() -> None:
    # The header list of a handshake is built once and copied: an application that changes its
    # scope's list changes nothing in the next connection's.
    first = websocket_scope("2.4", subprotocols=("chat",))
    first["headers"].append((b"x-asgiws", b"bye"))
    second = websocket_scope("2.4", subprotocols=("chat",))
    assert (b"x-asgiws", b"bye") not in second["headers"]
    assert second["headers"] == first["headers"][:-1]


def test_a_handshake_given_lists_gets_the_same_headers_as_with_tuples() -> None:
    listed = Handshake(headers=[["Authorization", "Bearer t"]], cookies=[["session", "abc"]])  # type: ignore[arg-type]
    tupled = Handshake(headers=(("Authorization", "Bearer t"),), cookies=(("session", "abc"),))
    assert websocket_scope(handshake=listed, subprotocols=["chat"])["headers"] == websocket_scope(handshake=tupled, subprotocols=["chat"])["headers"]
