"""Where each clause is enforced: an index built by reading every spec table.

``asgiws explain``, the exported spec and the clause-integrity tests all use
this one index, so "where is WS-024 checked?" has one answer.
"""

from __future__ import annotations

import functools

from .spec import (
    AMBIGUITIES,
    CLAUSES,
    ENDING_RULES,
    EXTENSION_NOT_ADVERTISED,
    EXTRA_KEYS_ALLOWED,
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    MESSAGE_SCHEMAS,
    REJECTIONS,
    SCOPE_SCHEMA,
    TRANSITIONS,
    UNEXPECTED_DATA,
    UNKNOWN_TYPE,
    VERSION_GATE_CLAUSES,
    Ambiguity,
    Clause,
    Transition,
)
from .spec.server import SERVER_RULES, UNIVERSAL_RULES

__all__ = ["citations", "describe_transition", "lookup"]


def describe_transition(row: Transition) -> str:
    """``send side: CONNECTING --websocket.accept--> CONNECTED`` (with its guard, if any)."""
    guard = f" [{row.guard.name.lower().replace('_', ' ')}]" if row.guard else ""
    return f"{row.side.value} side: {row.source.name} --{row.trigger.value}{guard}--> {row.target.name}"


@functools.cache
def citations() -> dict[str, tuple[str, ...]]:
    """Map every cited clause or ambiguity ID to the places in the spec that cite it."""
    found: dict[str, list[str]] = {}

    def cite(clauses: tuple[str, ...], place: str) -> None:
        for clause in clauses:
            found.setdefault(clause, []).append(place)

    for rows in TRANSITIONS.values():
        for row in rows:
            cite(row.clauses, "transition " + describe_transition(row))
    for rejection in REJECTIONS:
        cite(rejection.clauses, f"rejection {rejection.side.value} side: {rejection.message.value} in {rejection.state.name}")
    for joint_constraint in JOINT_CONSTRAINTS:
        cite(joint_constraint.clauses, f"joint constraint {joint_constraint.name}")
    for joint in JOINT_TRANSITIONS:
        cite(joint.clauses, f"joint transition {joint.name}")
    for side, clauses in UNKNOWN_TYPE.items():
        cite(clauses, f"rejection {side.value} side: unknown message type")
    cite(EXTENSION_NOT_ADVERTISED, "rejection send side: denial message without the extension")
    cite(UNEXPECTED_DATA, "WebSocket.receive_text/receive_bytes/receive_json: the other kind of data")
    for rule in ENDING_RULES.values():
        cite(rule.clauses, f"app checker: {rule.name}")
    cite(VERSION_GATE_CLAUSES, "version gate on fields newer than the connection's spec version")
    cite(EXTRA_KEYS_ALLOWED, "schemas: unknown extra keys are accepted")
    for schema in MESSAGE_SCHEMAS.values():
        for field in schema.fields:
            place = f"field {schema.type.value}.{field.name}"
            cite(field.clauses, f"{place}: presence and type")
            for constraint in field.constraints:
                cite(constraint.clauses, f"{place}: {constraint.check.value}")
        for constraint in schema.constraints:
            cite(constraint.clauses, f"message {schema.type.value}: {constraint.check.value}")
    for server_rule in SERVER_RULES:
        cite(server_rule.clauses, f"server checker: rule {server_rule.name}, {len(server_rule.exercises)} exercise(s): {server_rule.expect.value}")
    for server_rule in UNIVERSAL_RULES:
        cite(server_rule.clauses, f"server checker: rule {server_rule.name}, in every scenario: {server_rule.expect.value}")
    for field in SCOPE_SCHEMA.fields:
        cite(field.clauses, f"scope key {field.name}: presence and type")
        for constraint in field.constraints:
            cite(constraint.clauses, f"scope key {field.name}: {constraint.check.value}")
    return {clause: tuple(places) for clause, places in found.items()}


_ENTRIES: list[Clause | Ambiguity] = [*CLAUSES, *AMBIGUITIES]
_BY_ID: dict[str, Clause | Ambiguity] = {entry.id.upper(): entry for entry in _ENTRIES}


def lookup(clause_id: str) -> Clause | Ambiguity | None:
    """The clause or ambiguity with this ID (case-insensitive), or None."""
    return _BY_ID.get(clause_id.strip().upper())
