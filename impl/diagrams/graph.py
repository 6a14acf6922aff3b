"""The machines as plain graphs, read from the spec tables and nothing else.

A :class:`Graph` is what every diagram format is written from: nodes, edges
with a kind (which sets their style), and a legend. The three machines are the
receive side, the send side, and the joint machine: the pairs of states
reachable from (CONNECTING, CONNECTING) under the joint rules, which is what a
connection really walks through.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .._machine import compile_machine
from ..coverage import Coverage
from ..spec import (
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    LATEST_VERSION,
    MESSAGE_SCHEMAS,
    REJECTIONS,
    TRANSITIONS,
    MessageType,
    Side,
    Signal,
    SpecVersion,
    State,
    Transition,
)

__all__ = ["MACHINES", "Edge", "EdgeKind", "Graph", "build_graph"]

#: The machines a diagram can show.
MACHINES = ("receive", "send", "joint")


class EdgeKind(enum.Enum):
    """What an edge is; each kind has one style, explained in the legend."""

    RECEIVE = "a message the server delivers"
    SEND = "a message the application sends"
    JOINT = "a move caused by the other side"
    SIGNAL = "the server's send() raised OSError"
    REFUSED = "refused here (on request)"
    EXERCISED = "exercised by the recorded run"
    MISSED = "never exercised by the recorded run"


@dataclass(frozen=True, order=True)
class Edge:
    """One labelled edge between two node IDs."""

    source: str
    target: str
    label: str
    kind: EdgeKind = field(compare=False)
    count: int | None = field(default=None, compare=False)


@dataclass
class Graph:
    """A machine ready to be written out in any format."""

    title: str
    nodes: dict[str, str]  # ID -> label, in display order
    initial: str
    edges: list[Edge]
    legend: list[EdgeKind]
    #: Rules a picture of one side cannot draw as edges (joint constraints).
    notes: list[str] = field(default_factory=list)


def _state_id(states: tuple[State, State]) -> str:
    return f"{states[0].name}__{states[1].name}"


def _label(trigger: MessageType | Signal, row: Transition | None, clauses: bool) -> str:
    text = trigger.value.removeprefix("websocket.")
    if row is not None and row.guard is not None:
        field_name, truth = row.guard.value
        text += f" [{'' if truth else 'not '}{field_name}]"
    if clauses and row is not None:
        text += "\\n" + ", ".join(row.clauses)
    return text


def _exists(trigger: MessageType | Signal, denial: bool) -> bool:
    return not isinstance(trigger, MessageType) or MESSAGE_SCHEMAS[trigger].extension is None or denial


def _side_graph(side: Side, *, denial: bool, clauses: bool, forbidden: bool, coverage: Coverage | None) -> Graph:
    kind = EdgeKind.RECEIVE if side is Side.RECEIVE else EdgeKind.SEND
    edges: list[Edge] = []
    # Counts are summed over spec versions: the transitions are the same in all of them.
    hits = {(row.source, row.trigger, row.guard): n for row, n in coverage.transitions()} if coverage else {}
    for row in TRANSITIONS[side]:
        if not _exists(row.trigger, denial):
            continue
        edge_kind, count = (EdgeKind.SIGNAL, None) if isinstance(row.trigger, Signal) else (kind, None)
        if coverage is not None and edge_kind is kind:
            count = hits.get((row.source, row.trigger, row.guard), 0)
            edge_kind = EdgeKind.EXERCISED if count else EdgeKind.MISSED
        edges.append(Edge(row.source.name, row.target.name, _label(row.trigger, row, clauses), edge_kind, count))
    for joint in JOINT_TRANSITIONS:
        if joint.side is side and (denial or State.RESPONSE not in joint.when):
            own = joint.when[0] if side is Side.RECEIVE else joint.when[1]
            other = joint.when[1] if side is Side.RECEIVE else joint.when[0]
            other_side = "send" if side is Side.RECEIVE else "receive"
            text = f"{other_side} side {other.name}" + (f"\\n{', '.join(joint.clauses)}" if clauses else "")
            edges.append(Edge(own.name, joint.target.name, text, EdgeKind.JOINT))
    if forbidden:
        by_state: dict[State, list[str]] = {}
        for rejection in REJECTIONS:
            if rejection.side is side and _exists(rejection.message, denial):
                text = rejection.message.value.removeprefix("websocket.") + (f" ({rejection.clauses[0]})" if clauses else "")
                by_state.setdefault(rejection.state, []).append(text)
        edges += [Edge(s.name, s.name, "\\n".join(texts), EdgeKind.REFUSED) for s, texts in by_state.items()]
    # Keep what can happen: a signal out of RESPONSE means nothing without the denial extension.
    reachable = {State.CONNECTING.name}
    for _ in State:
        reachable |= {e.target for e in edges if e.source in reachable and e.kind is not EdgeKind.REFUSED}
    edges = [e for e in edges if e.source in reachable]
    nodes = {state.name: state.name for state in State if state.name in reachable}
    legend = [kind, EdgeKind.JOINT, EdgeKind.SIGNAL] if side is Side.SEND else [kind, EdgeKind.JOINT]
    legend = [k for k in legend if any(e.kind is k for e in edges)]
    legend += [k for k in (EdgeKind.EXERCISED, EdgeKind.MISSED, EdgeKind.REFUSED) if any(e.kind is k for e in edges)]
    notes = [f"{c.reason} ({', '.join(c.clauses)})" for c in JOINT_CONSTRAINTS if c.side is side]
    return Graph(f"{side.value} side", nodes, State.CONNECTING.name, edges, legend, notes)


def _joint_graph(*, denial: bool, clauses: bool, forbidden: bool, coverage: Coverage | None, version: SpecVersion) -> Graph:
    machine = compile_machine(version, denial)
    nodes = {_state_id(n.states): f"{n.states[0].name}\\n{n.states[1].name}" for n in machine.reachable()}
    taken = coverage.allowed if coverage is not None else None
    edges: list[Edge] = []
    for node in machine.reachable():
        for side, steps in ((Side.RECEIVE, node.receive), (Side.SEND, node.send)):
            kind = EdgeKind.RECEIVE if side is Side.RECEIVE else EdgeKind.SEND
            for message_type, step in steps.items():
                targets = [(step.next, step.rows[0])] if step.guard is None else [(step.next, step.rows[0]), (step.alternative, step.rows[-1])]
                for target, row in targets:
                    label = _label(MessageType(message_type), row, clauses)
                    edge_kind, count = kind, None
                    if taken is not None:
                        own = getattr(node.states, side.value)
                        count = sum(n for p, n in taken.items() if (p.side, p.state, p.message_type) == (side.value, own.name, message_type))
                        edge_kind = EdgeKind.EXERCISED if count else EdgeKind.MISSED
                    edges.append(Edge(_state_id(node.states), _state_id(target.states), label, edge_kind, count))
            if forbidden and side is Side.SEND and node.allowed[Side.SEND] != ():
                # Every state that can send something also refuses something.
                refused = sorted(t.value.removeprefix("websocket.") for t, r in node.reasons[Side.SEND].items() if t.value not in steps)
                edges.append(Edge(_state_id(node.states), _state_id(node.states), "\\n".join(refused), EdgeKind.REFUSED))
        if node.send_failed is not None and node.send_failed is not node:
            edges.append(Edge(_state_id(node.states), _state_id(node.send_failed.states), Signal.SEND_FAILED.value, EdgeKind.SIGNAL))
    legend = [k for k in EdgeKind if any(e.kind is k for e in edges)]
    return Graph("joint machine (receive side / send side)", nodes, _state_id(machine.initial.states), edges, legend)


def build_graph(
    machine: str = "joint",
    *,
    version: SpecVersion = LATEST_VERSION,
    denial: bool = True,
    clauses: bool = False,
    forbidden: bool = False,
    coverage: Coverage | None = None,
) -> Graph:
    """The graph of one machine.

    Args:
        machine: ``"receive"``, ``"send"`` or ``"joint"``.
        version: the spec version (it gates fields, not transitions; it is
            named in the title).
        denial: include the Denial Response extension's messages.
        clauses: add the clause IDs to the edge labels.
        forbidden: also show what each state refuses.
        coverage: colour each transition as exercised (with its count) or missed.
    """
    if machine not in MACHINES:
        msg = f"unknown machine {machine!r}; choose one of {', '.join(MACHINES)}"
        raise ValueError(msg)
    if machine == "joint":
        graph = _joint_graph(denial=denial, clauses=clauses, forbidden=forbidden, coverage=coverage, version=version)
    else:
        graph = _side_graph(Side(machine), denial=denial, clauses=clauses, forbidden=forbidden, coverage=coverage)
    graph.title = f"ASGI WebSocket {graph.title}, spec {version.value}" + (", denial extension" if denial else "")
    graph.edges.sort()
    return graph
