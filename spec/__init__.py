"""asgiws.spec: the ASGI WebSocket protocol as data.

Theory of operation
-------------------

An ASGI WebSocket connection is two streams of dict messages over one
connection. The server delivers ``websocket.connect``, ``websocket.receive`` and
``websocket.disconnect`` through ``receive()``; the application sends
``websocket.accept``, ``websocket.send``, ``websocket.close`` and, with the
Denial Response extension, ``websocket.http.response.start`` and
``websocket.http.response.body`` through ``send()``. We model each stream as
its own small machine, keyed by side the way h11 keys its tables by role, with
Starlette's state names so that ``client_state`` and ``application_state`` mean
what they always meant:

* the receive side (``transitions.RECEIVE_TRANSITIONS``) walks CONNECTING ->
  CONNECTED -> DISCONNECTED, through RESPONSE when the handshake is refused with
  an HTTP response;
* the send side (``transitions.SEND_TRANSITIONS``) walks CONNECTING ->
  CONNECTED or RESPONSE -> DISCONNECTED.

The two are not independent, whatever Starlette's code suggests: data cannot
arrive before the application accepted, a denial response means no data will
ever arrive, and after the disconnect nobody is left to send to. Those
couplings are tables too (``joint.py``). Every pair of (side, state, message
type) without a transition has an explicit rejection with its clause
(``rejections.py``), and every message has a schema (``schemas.py``). Spec
versions and the denial extension gate fields and messages (``versions.py``).
Where the spec is silent, ``ambiguities.py`` records what we decided and why.

Rule 1: everything that affects what is allowed lives in this package, as
data. If a rule is only in code it is invisible to the generated tests, the
diagrams and the exported spec, so it is a bug. The interpreter in
``asgiws._machine`` reads these tables and nothing else.

Rule 2: this package is pure declarations: enums, frozen dataclasses and
module-level constants, standard library only, nothing imported from the
runtime. A test holds us to it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

# What every check needs is loaded at once: the vocabulary (sides, states,
# message types, versions). The tables, the schemas and the clause texts are
# loaded on first use, so that ``import asgiws`` stays cheap: the runtime's
# compiled checks (``asgiws._compiled``) carry what they need, and the tables
# are read only when a connection's machine is first compiled or an error is
# explained.
from .messages import MESSAGE_SIDE, MESSAGE_TYPES, SEND_FAILED_CLOSE_CODE, MessageType, Signal
from .states import INITIAL_STATES, Side, State, States
from .versions import DEFAULT_VERSION, LATEST_VERSION, SEND_RAISES_SINCE, VERSION_CHANGES, VERSION_GATE_CLAUSES, Extension, SpecVersion

if TYPE_CHECKING:
    from .ambiguities import AMBIGUITIES, Ambiguity
    from .clauses import CLAUSES, Clause, Level, Party
    from .endings import ENDING_RULES, EndingRule
    from .joint import JOINT_CONSTRAINTS, JOINT_TRANSITIONS, JointConstraint, JointTransition
    from .rejections import EXTENSION_NOT_ADVERTISED, REJECTIONS, UNEXPECTED_DATA, UNKNOWN_TYPE, UNREADABLE, Rejection, ViolationKind
    from .schemas import (
        EXTRA_KEYS_ALLOWED,
        MESSAGE_SCHEMAS,
        REPORTABLE_CLOSE_CODES,
        SCOPE_SCHEMA,
        SENDABLE_CLOSE_CODES,
        Check,
        Constraint,
        Field,
        MessageSchema,
        ScopeSchema,
        ValueKind,
    )
    from .server import AXES, BAD_FRAMES, SERVER_NOT_EXERCISED, SERVER_RULES, UNIVERSAL_RULES, VERDICT_ORDER, Exercise, Expect, ServerRule, Verdict
    from .transitions import RECEIVE_TRANSITIONS, SEND_TRANSITIONS, TRANSITIONS, Guard, Transition

#: The module of every name loaded on first use.
_LOADED_ON_USE: dict[str, str] = {
    **dict.fromkeys(("AMBIGUITIES", "Ambiguity"), "ambiguities"),
    **dict.fromkeys(("CLAUSES", "Clause", "Level", "Party"), "clauses"),
    **dict.fromkeys(("ENDING_RULES", "EndingRule"), "endings"),
    **dict.fromkeys(("JOINT_CONSTRAINTS", "JOINT_TRANSITIONS", "JointConstraint", "JointTransition"), "joint"),
    **dict.fromkeys(
        ("EXTENSION_NOT_ADVERTISED", "REJECTIONS", "UNEXPECTED_DATA", "UNKNOWN_TYPE", "UNREADABLE", "Rejection", "ViolationKind"), "rejections"
    ),
    **dict.fromkeys(
        (
            "EXTRA_KEYS_ALLOWED",
            "MESSAGE_SCHEMAS",
            "REPORTABLE_CLOSE_CODES",
            "SCOPE_SCHEMA",
            "SENDABLE_CLOSE_CODES",
            "Check",
            "Constraint",
            "Field",
            "MessageSchema",
            "ScopeSchema",
            "ValueKind",
        ),
        "schemas",
    ),
    **dict.fromkeys(
        (
            "AXES",
            "BAD_FRAMES",
            "SERVER_NOT_EXERCISED",
            "SERVER_RULES",
            "UNIVERSAL_RULES",
            "VERDICT_ORDER",
            "Exercise",
            "Expect",
            "ServerRule",
            "Verdict",
        ),
        "server",
    ),
    **dict.fromkeys(("RECEIVE_TRANSITIONS", "SEND_TRANSITIONS", "TRANSITIONS", "Guard", "Transition"), "transitions"),
}


def __getattr__(name: str) -> object:
    # PEP 562: the one function in this package, and it is about importing, not
    # about the protocol. Each module is imported once; Python then finds its
    # names here without calling this again.
    try:
        module = _LOADED_ON_USE[name]
    except KeyError:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg) from None
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AMBIGUITIES",
    "AXES",
    "BAD_FRAMES",
    "CLAUSES",
    "DEFAULT_VERSION",
    "ENDING_RULES",
    "EXTENSION_NOT_ADVERTISED",
    "EXTRA_KEYS_ALLOWED",
    "INITIAL_STATES",
    "JOINT_CONSTRAINTS",
    "JOINT_TRANSITIONS",
    "LATEST_VERSION",
    "MESSAGE_SCHEMAS",
    "MESSAGE_SIDE",
    "MESSAGE_TYPES",
    "RECEIVE_TRANSITIONS",
    "REJECTIONS",
    "REPORTABLE_CLOSE_CODES",
    "SCOPE_SCHEMA",
    "SENDABLE_CLOSE_CODES",
    "SEND_FAILED_CLOSE_CODE",
    "SEND_RAISES_SINCE",
    "SEND_TRANSITIONS",
    "SERVER_NOT_EXERCISED",
    "SERVER_RULES",
    "TRANSITIONS",
    "UNEXPECTED_DATA",
    "UNIVERSAL_RULES",
    "UNKNOWN_TYPE",
    "UNREADABLE",
    "VERDICT_ORDER",
    "VERSION_CHANGES",
    "VERSION_GATE_CLAUSES",
    "Ambiguity",
    "Check",
    "Clause",
    "Constraint",
    "EndingRule",
    "Exercise",
    "Expect",
    "Extension",
    "Field",
    "Guard",
    "JointConstraint",
    "JointTransition",
    "Level",
    "MessageSchema",
    "MessageType",
    "Party",
    "Rejection",
    "ScopeSchema",
    "ServerRule",
    "Side",
    "Signal",
    "SpecVersion",
    "State",
    "States",
    "Transition",
    "ValueKind",
    "Verdict",
    "ViolationKind",
]
