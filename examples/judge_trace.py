"""Judge a recorded ASGI WebSocket conversation against the spec.

The trace below is what a small, buggy chat endpoint exchanged with uvicorn: it
sends before accepting, accepts a subprotocol the browser never offered, closes
with a code no endpoint may put on the wire, and keeps talking after the
client left. Each message goes through asgiws's interpreter, which says which
clause it breaks; refused messages change nothing, so the rest of the trace is
judged from the same state.

Run it with ``python examples/judge_trace.py``.
"""

from __future__ import annotations

from typing import Any

from asgiws import ConnectionState, ProtocolViolation

SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "path": "/chat",
    "headers": [(b"host", b"example.com")],
    "subprotocols": ["chat.v2"],
}

TRACE: list[tuple[str, dict[str, Any]]] = [
    ("receive", {"type": "websocket.connect"}),
    ("send", {"type": "websocket.send", "text": "welcome!"}),
    ("send", {"type": "websocket.accept", "subprotocol": "chat.v1"}),
    ("send", {"type": "websocket.accept", "subprotocol": "chat.v2"}),
    ("receive", {"type": "websocket.receive", "text": "hi"}),
    ("send", {"type": "websocket.send", "text": "hi yourself", "bytes": None}),
    ("send", {"type": "websocket.close", "code": 1006, "reason": "bye"}),
    ("receive", {"type": "websocket.disconnect", "code": 1001}),
    ("send", {"type": "websocket.send", "text": "are you there?"}),
]


def main() -> int:
    """Print one line per message and return the number of violations."""
    connection = ConnectionState(SCOPE)
    violations = 0
    for direction, message in TRACE:
        judge = connection.receive if direction == "receive" else connection.send
        try:
            judge(message)
        except ProtocolViolation as error:
            violations += 1
            print(f"✗ {direction:7} {message['type']:22} {error.clause:7} {error}")
        else:
            receive, send = connection.states
            print(f"✓ {direction:7} {message['type']:22} -> receive {receive.name}, send {send.name}")
    print(f"\n{violations} violation(s); `asgiws explain CLAUSE` says more about each clause.")
    return violations


if __name__ == "__main__":
    main()
