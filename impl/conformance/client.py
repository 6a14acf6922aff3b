"""The client's side of a checked connection: what it offers, sends, and how it leaves.

A :class:`Script` is plain data, so that a failing example can be printed as a
test that replays it. :func:`scripts` is the Hypothesis strategy the checker
explores: every spec version asked for, subprotocols offered or not, the denial
extension or not, text and binary messages of varied sizes in both shapes a
server may use, and every way of leaving (a close with each of the usual codes,
with and without a reason, or vanishing without one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..spec import SEND_FAILED_CLOSE_CODE, SpecVersion

__all__ = ["CLIENT_CLOSE_CODES", "Script", "scripts"]

#: The codes a client leaves with in the explored scripts (issue 4's list).
CLIENT_CLOSE_CODES = (1000, 1001, 1005, 1006, 1012, 4000)


@dataclass(frozen=True)
class Script:
    """One client: the connection it opens, the messages it sends, and how it leaves.

    Attributes:
        spec_version: what the server declares in ``scope["asgi"]["spec_version"]``.
        path: the WebSocket path.
        offered: the subprotocols the client offers.
        denial: whether the server advertises the Denial Response extension.
        messages: ``("text", str)`` or ``("bytes", bytes)``; with ``both_keys``
            the other key is present as None, as Hypercorn sends it.
        leave: ``("close", code, reason)`` or ``("vanish",)`` (the transport goes;
            from 2.4 on the server's ``send()`` then raises ``OSError``).
    """

    spec_version: str = "2.5"
    path: str = "/"
    offered: tuple[str, ...] = ()
    denial: bool = False
    messages: tuple[tuple[str, Any], ...] = ()
    both_keys: bool = False
    leave: tuple[Any, ...] = ("close", 1000, None)

    def deliveries(self) -> list[dict[str, Any]]:
        """The ``websocket.receive`` messages the server delivers, in order."""
        out = []
        for kind, payload in self.messages:
            message: dict[str, Any] = {"type": "websocket.receive", kind: payload}
            if self.both_keys:
                message["bytes" if kind == "text" else "text"] = None
            out.append(message)
        return out

    def goodbye(self) -> dict[str, Any]:
        """The ``websocket.disconnect`` the server delivers when the client leaves."""
        if self.leave[0] == "vanish":
            return {"type": "websocket.disconnect", "code": SEND_FAILED_CLOSE_CODE}
        _, code, reason = self.leave
        message: dict[str, Any] = {"type": "websocket.disconnect", "code": code}
        if reason is not None:
            message["reason"] = reason
        return message


def scripts(versions: list[SpecVersion], paths: list[str], subprotocols: list[str]) -> Any:
    """The Hypothesis strategy of client scripts (needs the ``testing`` extra)."""
    from hypothesis import strategies as st

    # Sizes vary on purpose: short messages, and long ones that overflow
    # anything an app copies into a 123-byte close reason.
    payload = st.one_of(
        st.tuples(st.just("text"), st.text(max_size=20)),
        st.tuples(st.just("bytes"), st.binary(max_size=20)),
        st.tuples(st.just("text"), st.text(min_size=120, max_size=400)),
        st.tuples(st.just("bytes"), st.binary(min_size=120, max_size=400)),
    )
    leave = st.one_of(
        st.tuples(st.just("close"), st.sampled_from(CLIENT_CLOSE_CODES), st.none() | st.sampled_from(["", "bye", "going away"])),
        st.just(("vanish",)),
    )
    offered = st.lists(st.sampled_from([*subprotocols, "x-unlisted"]), unique=True, max_size=3).map(tuple) if subprotocols else st.just(())
    return st.builds(
        Script,
        spec_version=st.sampled_from([v.value for v in versions]),
        path=st.sampled_from(paths),
        offered=offered,
        denial=st.booleans(),
        messages=st.lists(payload, max_size=5).map(tuple),
        both_keys=st.booleans(),
        leave=leave,
    )
