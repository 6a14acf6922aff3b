"""What a check knows about a connection: ``asgiws._context`` (spec version, denial extension, offer).

Covers asgiref specs/www.rst § Websocket Connection Scope (``asgi.spec_version``,
"if missing assume 2.0"; ``subprotocols``; ``extensions``), specs/asgi.rst
§ Extensions (WS-015), AMB-01 (versions in release order), AMB-04 (extensions
None) and AMB-29 (a scope without ``asgi`` speaks the latest version).
"""

from __future__ import annotations

from typing import Any

import pytest

from asgiws import ConnectionState
from asgiws._context import VERSION_RANK, Context, context_from_scope, parse_version
from asgiws.spec import DEFAULT_VERSION, LATEST_VERSION, Extension, SpecVersion

VERSIONS = tuple(SpecVersion)
VERSION_IDS = [v.value for v in VERSIONS]
KNOWN = ", ".join(v.value for v in SpecVersion)


def scope(**keys: Any) -> dict[str, Any]:
    """A websocket scope with ``keys`` added to (or replacing) the required ones."""
    return {"type": "websocket", "asgi": {"version": "3.0"}, "path": "/", "headers": [], **keys}


# -- the spec version --------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_spec_version_is_read_from_the_scope(version: SpecVersion) -> None:
    assert context_from_scope(scope(asgi={"version": "3.0", "spec_version": version.value})).version is version


@pytest.mark.parametrize(
    "explicit",
    [pytest.param("2.4", id="str"), pytest.param(SpecVersion.V2_4, id="SpecVersion")],
)
@pytest.mark.parametrize(
    "asgi",
    [
        pytest.param({"spec_version": "2.1"}, id="scope-says-2.1"),
        pytest.param({}, id="scope-says-nothing"),
        pytest.param(None, id="no-asgi-key"),
    ],
)
def test_an_explicit_version_wins_over_the_scope(explicit: SpecVersion | str, asgi: dict[str, Any] | None) -> None:
    data = scope(asgi=asgi)
    if asgi is None:
        del data["asgi"]
    assert context_from_scope(data, explicit).version is SpecVersion.V2_4


def test_an_explicit_version_wins_even_over_an_unknown_scope_version() -> None:
    assert context_from_scope(scope(asgi={"spec_version": "9.9"}), "2.2").version is SpecVersion.V2_2


@pytest.mark.parametrize(
    "asgi",
    [
        pytest.param({"version": "3.0"}, id="no-spec_version"),
        pytest.param({}, id="empty-asgi"),
        pytest.param({"version": "3.0", "spec_version": None}, id="spec_version-None"),
        pytest.param({"version": "3.0", "spec_version": ""}, id="spec_version-empty"),
    ],
)
def test_missing_spec_version_means_2_0(asgi: dict[str, Any]) -> None:
    assert DEFAULT_VERSION is SpecVersion.V2_0
    assert context_from_scope(scope(asgi=asgi)).version is SpecVersion.V2_0


def test_missing_asgi_key_means_the_latest_version() -> None:
    # Starlette's TestClient sends no ``asgi`` key (AMB-29).
    data = scope()
    del data["asgi"]
    assert LATEST_VERSION is SpecVersion.V2_5
    assert context_from_scope(data).version is SpecVersion.V2_5


def test_asgi_set_to_none_is_treated_as_missing() -> None:
    assert context_from_scope(scope(asgi=None)).version is LATEST_VERSION


@pytest.mark.parametrize("value", ["2.6", "3.0", "2", "1.0"])
def test_unknown_spec_version_in_the_scope_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError, match=rf"unknown ASGI WebSocket spec version '{value}'; known versions are {KNOWN}$"):
        context_from_scope(scope(asgi={"spec_version": value}))


def test_unknown_explicit_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="known versions are"):
        context_from_scope(scope(asgi={"spec_version": "2.3"}), "2.6")


# -- the denial extension -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extensions", "denial"),
    [
        pytest.param({"websocket.http.response": {}}, True, id="denial"),
        pytest.param({"websocket.http.response": {}, "tls": {}}, True, id="denial-and-tls"),
        pytest.param({}, False, id="empty"),
        pytest.param(None, False, id="None"),
        pytest.param({"tls": {}, "http.response.push": {}}, False, id="other-extensions"),
        pytest.param({"websocket.http.response.start": {}}, False, id="lookalike-name"),
    ],
)
def test_denial_is_advertised_by_the_extension_key(extensions: dict[str, Any] | None, denial: bool) -> None:
    assert Extension.DENIAL_RESPONSE.value == "websocket.http.response"
    assert context_from_scope(scope(extensions=extensions)).denial is denial


def test_missing_extensions_means_no_denial() -> None:
    assert context_from_scope(scope()).denial is False


# -- the offered subprotocols -------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        pytest.param(["chat", "superchat"], ("chat", "superchat"), id="list"),
        pytest.param(("chat",), ("chat",), id="tuple"),
        pytest.param([], (), id="empty"),
        pytest.param(None, (), id="None"),
    ],
)
def test_subprotocols_become_a_tuple_in_offer_order(offered: list[str] | tuple[str, ...] | None, expected: tuple[str, ...]) -> None:
    context = context_from_scope(scope(subprotocols=offered))
    assert context.subprotocols == expected
    assert type(context.subprotocols) is tuple


def test_missing_subprotocols_means_none_offered() -> None:
    assert context_from_scope(scope()).subprotocols == ()


def test_full_scope_gives_the_whole_context() -> None:
    data = scope(asgi={"version": "3.0", "spec_version": "2.4"}, subprotocols=["chat"], extensions={"websocket.http.response": {}})
    assert context_from_scope(data) == Context(SpecVersion.V2_4, True, ("chat",))


# -- Context and the version order --------------------------------------------------------


def test_context_defaults_to_2_0_without_denial_or_offer() -> None:
    assert Context() == Context(SpecVersion.V2_0, False, ())


def test_context_is_immutable() -> None:
    context = Context()
    with pytest.raises(AttributeError):
        context.version = SpecVersion.V2_5  # type: ignore[misc]


def test_version_rank_follows_release_order() -> None:
    assert [VERSION_RANK[v] for v in VERSIONS] == list(range(len(VERSIONS)))
    assert sorted(SpecVersion, key=VERSION_RANK.__getitem__) == list(VERSIONS)


def test_connection_state_reads_its_context_from_the_scope() -> None:
    state = ConnectionState(scope(asgi={"spec_version": "2.2"}, subprotocols=["chat"], extensions={"websocket.http.response": {}}))
    assert state.context == Context(SpecVersion.V2_2, True, ("chat",))
    assert state.machine.version is SpecVersion.V2_2
    assert state.machine.denial is True


# -- parse_version --------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_parse_version_accepts_every_known_version_string(version: SpecVersion) -> None:
    assert parse_version(version.value) is version


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_parse_version_returns_a_spec_version_unchanged(version: SpecVersion) -> None:
    assert parse_version(version) is version


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2.6", id="2.6"),
        pytest.param("3", id="3"),
        pytest.param("3.0", id="3.0"),
        pytest.param("2", id="2"),
        pytest.param("", id="empty"),
        pytest.param(" 2.3", id="leading-space"),
        pytest.param("V2_3", id="member-name"),
        pytest.param(2.3, id="float-2.3"),
        pytest.param(2, id="int-2"),
        pytest.param(None, id="None"),
    ],
)
def test_parse_version_refuses_anything_else_and_lists_the_known_versions(value: Any) -> None:
    with pytest.raises(ValueError, match=f"known versions are {KNOWN}$") as info:
        parse_version(value)
    assert repr(value) in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


def test_an_asgi_key_that_is_not_a_dict_is_refused() -> None:
    with pytest.raises(ValueError, match=r"scope\['asgi'\] must be a dict, not str \(WS-003\)"):
        context_from_scope({"type": "websocket", "asgi": "3.0"})
