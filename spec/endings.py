"""How an application may not end: rules about the end of a connection, not a message.

The message tables say what may be sent; these say what an application must
have done by the time it returns, or must not be doing when it blocks. The app
checker decides which situation a run ended in; the rule, its clauses and its
wording are here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .states import State

__all__ = ["ENDING_RULES", "EndingRule"]


@dataclass(frozen=True, slots=True)
class EndingRule:
    """A way for an application to end badly."""

    name: str
    clauses: tuple[str, ...]
    reason: str
    #: The send-side states in which the rule applies (empty: any).
    send_states: tuple[State, ...] = ()
    #: The receive-side states in which the rule applies (empty: any).
    receive_states: tuple[State, ...] = ()


#: Keyed by name: the situations the app checker recognises.
ENDING_RULES: dict[str, EndingRule] = {
    rule.name: rule
    for rule in (
        EndingRule(
            "handshake-unanswered",
            ("WS-024", "AMB-18"),
            "the application ended without answering the handshake with accept, close or a denial response",
            (State.CONNECTING,),
        ),
        EndingRule(
            "waits-after-disconnect",
            ("AMB-17",),
            "the application waits for a message after websocket.disconnect, which most servers never answer",
        ),
        EndingRule(
            "raises-while-open",
            ("AW-05", "AMB-18"),
            "the application raised while the connection was open, leaving the close code to the server",
            (State.CONNECTED, State.RESPONSE),
            (State.CONNECTING, State.CONNECTED, State.RESPONSE),  # the client has not gone
        ),
        EndingRule(
            "waits-before-handshake",
            ("WS-024", "AMB-18"),
            "the application waits for a message before answering the handshake, and no client can send data before it "
            "does: the connection hangs until the client gives up",
            (State.CONNECTING,),
            (State.CONNECTED,),
        ),
        EndingRule(
            "raises-before-handshake",
            ("WS-024", "AMB-18"),
            "the application raised before answering the handshake: the client gets an HTTP 500 instead of its answer",
            (State.CONNECTING,),
            # Once the client has gone, the error may escape (WS-042, AMB-33).
            (State.CONNECTING, State.CONNECTED, State.RESPONSE),
        ),
        EndingRule(
            "stalls-before-handshake",
            ("WS-024", "AMB-18"),
            "the application ran for longer than the timeout without awaiting, before answering the handshake: it holds the "
            "server's event loop, so neither this client nor any other connection gets an answer",
            (State.CONNECTING,),
        ),
        EndingRule(
            "stalls",
            ("WS-021", "J-10"),
            "the application ran for longer than the timeout without awaiting: it holds the server's event loop, so no other "
            "connection is served and no closed socket can end it",
        ),
        EndingRule(
            "outlives-connection",
            ("WS-021", "J-10"),
            "the application was still running when the timeout expired after its client had gone",
        ),
    )
}
