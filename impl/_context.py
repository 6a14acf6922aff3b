"""What a check needs to know about a connection: spec version, extensions, offer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .spec import DEFAULT_VERSION, LATEST_VERSION, Extension, SpecVersion

__all__ = ["VERSION_RANK", "Context", "context_from_scope", "parse_version"]

#: Release order of the spec versions, for "since" comparisons.
VERSION_RANK: dict[SpecVersion, int] = {version: rank for rank, version in enumerate(SpecVersion)}


class Context(NamedTuple):
    """The facts about one connection that the checks depend on.

    Attributes:
        version: the spec version messages are judged against.
        denial: whether the server advertised the Denial Response extension.
        subprotocols: the subprotocols the client offered.
    """

    version: SpecVersion = DEFAULT_VERSION
    denial: bool = False
    subprotocols: tuple[str, ...] = ()


_DENIAL = Extension.DENIAL_RESPONSE.value
_BY_VALUE: dict[object, SpecVersion] = {version.value: version for version in SpecVersion} | {v: v for v in SpecVersion}


def parse_version(value: SpecVersion | str) -> SpecVersion:
    """Turn ``"2.3"`` (or a ``SpecVersion``) into a ``SpecVersion``.

    Raises:
        ValueError: for anything that is not one of the versions 2.0 to 2.5.
    """
    try:
        return _BY_VALUE[value]
    except (KeyError, TypeError):
        known = ", ".join(v.value for v in SpecVersion)
        msg = f"unknown ASGI WebSocket spec version {value!r}; known versions are {known}"
        raise ValueError(msg) from None


def context_from_scope(scope: Mapping[str, Any], version: SpecVersion | str | None = None) -> Context:
    """Read the context of a ``websocket`` scope.

    The version is ``version`` when given, else ``scope["asgi"]["spec_version"]``,
    else "2.0" as the spec says. A scope without any ``asgi`` key comes from a
    test double such as Starlette's TestClient and is judged against the
    latest version (AMB-29).

    Raises:
        ValueError: when the version is not one asgiws knows, or ``asgi`` is not a dict.
    """
    if version is None:
        asgi = scope.get("asgi")
        if asgi is not None and asgi.__class__ is not dict and not isinstance(asgi, Mapping):
            msg = f"scope['asgi'] must be a dict, not {type(asgi).__name__} (WS-003)"
            raise ValueError(msg)
        version = LATEST_VERSION if asgi is None else asgi.get("spec_version") or DEFAULT_VERSION
    extensions = scope.get("extensions") or {}  # None means none (AMB-04)
    denial = _DENIAL in extensions
    offered = scope.get("subprotocols")
    if not offered:  # most connections: one shared context per (version, denial)
        try:
            return _WITHOUT_OFFER[version, denial]
        except (KeyError, TypeError):  # not seen yet, or not even hashable
            context = Context(parse_version(version), denial)
            _WITHOUT_OFFER[context.version.value, denial] = _WITHOUT_OFFER[context.version, denial] = context
            return context
    # tuple.__new__ skips the named tuple's own __new__, which is written in
    # Python: this runs once per connection.
    return tuple.__new__(Context, (parse_version(version), denial, tuple(offered)))


# Keyed by the version as a string ("2.4") and as a SpecVersion: only known
# versions are stored, so it holds at most two keys per version and denial.
_WITHOUT_OFFER: dict[tuple[object, bool], Context] = {}
