"""The client's side of a checked connection: what it offers, sends, and how it leaves.

A :class:`Script` is plain data made of the engine's typed actions, so that a
failing example can be printed as a test that replays it. :func:`scripts` is
the Hypothesis strategy the checker explores: every spec version asked for,
subprotocols offered or not, the denial extension or not, text and binary
messages of varied sizes in both shapes a server may use, and every way of
leaving (a close with each of the usual codes, with and without a reason, or
vanishing without one). :func:`run_script` plays one against an application.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..coverage import Coverage
from ..engine import (
    DISCONNECT_CODES,
    ASGIApp,
    Disconnect,
    Handshake,
    Pause,
    ScriptedClient,
    SendBytes,
    SendText,
    Transcript,
    Vanish,
    run_connection,
    websocket_scope,
)
from ..spec import SpecVersion

__all__ = ["Script", "run_script", "scripts"]

#: How a script's client leaves unless it says otherwise: a normal closure.
_NORMAL_CLOSURE = Disconnect(1000)


@dataclass(frozen=True)
class Script:
    """One client: the connection it opens, the messages it sends, and how it leaves.

    Attributes:
        spec_version: what the server declares in ``scope["asgi"]["spec_version"]``.
        path: the WebSocket path.
        offered: the subprotocols the client offers.
        denial: whether the server advertises the Denial Response extension.
        messages: the text and binary messages it sends, in order.
        leave: a Close frame (:class:`~asgiws.engine.Disconnect`), or the
            transport going (:class:`~asgiws.engine.Vanish`; from 2.4 on the
            server's ``send()`` then raises ``OSError``).
        meanwhile: another client, whose whole connection runs against the
            same application after this client's first ``meanwhile_after``
            messages, while this one stays open: what one connection leaves
            behind in the application meets the other.
    """

    spec_version: str = "2.5"
    path: str = "/"
    offered: tuple[str, ...] = ()
    denial: bool = False
    messages: tuple[SendText | SendBytes, ...] = ()
    leave: Disconnect | Vanish = _NORMAL_CLOSURE
    meanwhile: Script | None = None
    meanwhile_after: int = 0


def scripts(
    versions: list[SpecVersion],
    paths: list[str],
    subprotocols: list[str],
    *,
    messages: Sequence[SendText | SendBytes] = (),
    opening: Sequence[SendText | SendBytes] = (),
    message_strategy: Any = None,
) -> Any:
    """The Hypothesis strategy of client scripts (needs the ``testing`` extra).

    ``messages`` are example messages, sent as they are or mutated;
    ``opening`` is sent first, in order, by most clients (Hypothesis may
    leave it out); ``message_strategy`` draws more messages (``str``,
    ``bytes`` or actions).
    """
    from hypothesis import strategies as st

    # Sizes vary on purpose: short messages, and long ones that overflow
    # anything an app copies into a 123-byte close reason. Some text is JSON,
    # objects or not, so that an app that parses JSON gets past its parser.
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3))
    drawn = st.one_of(
        st.builds(SendText, st.text(max_size=20), st.booleans()),
        st.builds(SendText, documents.map(json.dumps), st.booleans()),
        st.builds(SendBytes, st.binary(max_size=20), st.booleans()),
        st.builds(SendText, st.text(min_size=120, max_size=400), st.booleans()),
        st.builds(SendBytes, st.binary(min_size=120, max_size=400), st.booleans()),
    )
    seeded = [st.sampled_from(messages), st.sampled_from(messages).flatmap(_mutations)] if messages else []
    if message_strategy is not None:
        seeded.append(message_strategy.map(_as_action))
    # Given examples, half the messages come from them: a protocol's own
    # messages are what gets an app past its parser.
    message = st.one_of(st.one_of(*seeded), drawn) if seeded else drawn
    leave = st.one_of(
        st.builds(Disconnect, st.sampled_from(DISCONNECT_CODES), st.none() | st.sampled_from(["", "bye", "going away"])),
        st.just(Vanish()),
    )
    offered = st.lists(st.sampled_from([*subprotocols, "x-unlisted"]), unique=True, max_size=3).map(tuple) if subprotocols else st.just(())
    one = st.builds(
        Script,
        spec_version=st.sampled_from([v.value for v in versions]),
        path=st.sampled_from(paths),
        offered=offered,
        denial=st.booleans(),
        messages=st.builds(_opened, st.booleans() if opening else st.just(False), st.lists(message, max_size=5), st.just(tuple(opening))),
        leave=leave,
    )
    # One client, or two whose connections overlap; Hypothesis shrinks towards one.
    return one | st.builds(_overlapping, one, one, st.integers(0, 5))


def _opened(skip: bool, drawn: list[SendText | SendBytes], opening: tuple[SendText | SendBytes, ...]) -> tuple[SendText | SendBytes, ...]:
    return tuple(drawn) if skip else (*opening, *drawn)


def _as_action(value: object) -> SendText | SendBytes:
    if isinstance(value, SendText | SendBytes):
        return value
    if isinstance(value, str):
        return SendText(value)
    if isinstance(value, bytes):
        return SendBytes(value)
    msg = f"a message strategy draws str, bytes, SendText or SendBytes, not {type(value).__name__}"
    raise TypeError(msg)


def _mutations(seed: SendText | SendBytes) -> Any:
    """Variations of an example message: a JSON object with one key dropped or changed, or text cut short."""
    from hypothesis import strategies as st

    try:
        document = json.loads(seed.text) if isinstance(seed, SendText) else None
    except ValueError:
        document = None
    if isinstance(document, dict) and document:
        changed = st.builds(
            lambda key, value: {**document, key: value},
            st.sampled_from(sorted(document)),
            st.none() | st.integers() | st.text(max_size=8) | st.lists(st.integers(), max_size=2),
        )
        dropped = st.sampled_from(sorted(document)).map(lambda key: {k: v for k, v in document.items() if k != key})
        return (changed | dropped).map(lambda value: SendText(json.dumps(value)))
    if isinstance(seed, SendText):
        return st.integers(0, len(seed.text)).map(lambda end: SendText(seed.text[:end]))
    return st.integers(0, len(seed.data)).map(lambda end: SendBytes(seed.data[:end]))


def _overlapping(first: Script, second: Script, after: int) -> Script:
    return replace(first, meanwhile=second, meanwhile_after=min(after, len(first.messages)))


async def run_script(
    app: ASGIApp,
    script: Script,
    *,
    timeout: float,
    coverage: Coverage | None = None,
    state: dict[str, Any] | None = None,
    handshake: Handshake | None = None,
) -> Transcript:
    """Run ``app`` against the client of ``script`` on the running event loop, and judge it.

    ``state`` is the lifespan state; each connection gets a shallow copy
    (WS-056). ``handshake`` is how the client connects (a browser's, by default).
    """
    scope = websocket_scope(script.spec_version, subprotocols=script.offered, denial=script.denial, path=script.path, handshake=handshake)
    if state is not None:
        scope["state"] = dict(state)
    actions: list[SendText | SendBytes | Pause] = list(script.messages)
    others: list[Transcript] = []
    if script.meanwhile is not None:
        other = script.meanwhile

        async def run_the_other() -> None:
            others.append(await run_script(app, other, timeout=timeout, coverage=coverage, state=state, handshake=handshake))

        actions.insert(script.meanwhile_after, Pause(run_the_other))
    transcript = await run_connection(app, scope, ScriptedClient(actions, script.leave), coverage=coverage, timeout=timeout)
    for finished in others:  # what went wrong on the other connection is part of this example
        transcript.findings += finished.findings
    return transcript
