"""The server checker's scenarios: generated from ``asgiws.spec.server``, printed and replayed as one line.

A :class:`Scenario` is one connection: the probe application's script, the
client's script, what the client offers in ``Sec-WebSocket-Protocol``, and
the rules judged on it. :func:`catalogue` expands every rule's exercises over
their axes; :func:`parse_scenario` reads a catalogue name or a literal
``app=...;client=...;offer=...`` line, the form the exploration mode prints.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..spec.server import AXES, BAD_FRAMES, SERVER_RULES, ServerRule

__all__ = [
    "APP_WORDS",
    "CLIENT_WORDS",
    "Scenario",
    "Step",
    "binary_payload",
    "catalogue",
    "parse_scenario",
    "parse_script",
    "reason_text",
    "text_payload",
]

#: The application's words and how many arguments each takes (at least, at most).
APP_WORDS: dict[str, tuple[int, int]] = {
    "receive": (0, 0),
    "accept": (0, 1),
    "accept-headers": (0, 0),
    "send-text": (1, 1),
    "send-bytes": (1, 1),
    "send-both": (0, 0),
    "send-neither": (0, 0),
    "mark": (0, 0),
    "close": (0, 2),
    "close-none": (0, 0),
    "deny": (1, 1),
    "raise": (0, 0),
    "return": (0, 0),
}

#: The client's words and how many arguments each takes (at least, at most).
CLIENT_WORDS: dict[str, tuple[int, int]] = {
    "text": (1, 1),
    "binary": (1, 1),
    "frag": (2, 2),
    "ping": (1, 1),
    "close": (0, 2),
    "close-empty": (0, 0),
    "bad": (1, 1),
    "read": (0, 0),
    "mark": (0, 0),
    "upgrade": (0, 0),
    "vanish": (0, 0),
}

#: What the probe sends for ``mark`` and the client waits for.
MARK = b"\x00asgiws-mark"

_TEXT = "asgiws ñ€ "


def text_payload(length: int) -> str:
    """``length`` characters of the probe's text, ASCII and not."""
    return (_TEXT * (length // len(_TEXT) + 1))[:length]


def binary_payload(length: int) -> bytes:
    """``length`` bytes counting up from 0."""
    return bytes(i % 256 for i in range(length))


def reason_text(length: int) -> str:
    """A reason of exactly ``length`` bytes of UTF-8, two-byte characters first (so that truncation shows)."""
    return "é" * (length // 2) + "a" * (length % 2)


@dataclass(frozen=True)
class Step:
    """One word of a script: ``name`` and its arguments."""

    name: str
    args: tuple[str, ...] = ()

    def int_arg(self, index: int, default: int | None = None) -> int:
        """Argument ``index`` as an int (``default`` when absent)."""
        if index < len(self.args):
            return int(self.args[index])
        assert default is not None, f"{self.name} needs argument {index}"
        return default

    def __str__(self) -> str:
        return ":".join((self.name, *self.args))


def parse_script(text: str, words: dict[str, tuple[int, int]]) -> tuple[Step, ...]:
    """Read a script (``word[:arg]...`` separated by commas).

    Raises:
        ValueError: an unknown word, a wrong number of arguments, or a number that is not one.
    """
    steps = []
    for word in filter(None, (w.strip() for w in text.split(","))):
        name, *args = word.split(":")
        if name not in words:
            msg = f"unknown step {name!r}; known: {', '.join(words)}"
            raise ValueError(msg)
        low, high = words[name]
        if not low <= len(args) <= high:
            msg = f"step {name!r} takes {low} to {high} argument(s), not {len(args)}"
            raise ValueError(msg)
        numeric = name not in {"accept", "bad"}
        if numeric and not all(re.fullmatch(r"\d+", arg) for arg in args):
            msg = f"step {word!r}: arguments are whole numbers"
            raise ValueError(msg)
        if name == "bad" and args[0] not in BAD_FRAMES:
            msg = f"unknown bad frame {args[0]!r}; known: {', '.join(BAD_FRAMES)}"
            raise ValueError(msg)
        steps.append(Step(name, tuple(args)))
    return tuple(steps)


@dataclass(frozen=True)
class Scenario:
    """One connection, scripted at both ends, and the rules judged on it."""

    name: str
    app: tuple[Step, ...]
    client: tuple[Step, ...]
    offer: tuple[tuple[str, ...], ...] = ()
    rules: tuple[ServerRule, ...] = ()

    @property
    def line(self) -> str:
        """The scenario as one line that ``--scenario`` replays."""
        offer = "|".join(",".join(line) for line in self.offer)
        return f"app={','.join(map(str, self.app))};client={','.join(map(str, self.client))};offer={offer}"

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, ...], ...]]:
        """Two exercises with the same scripts make one scenario."""
        return (",".join(map(str, self.app)), ",".join(map(str, self.client)), self.offer)


def _offer(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(value.strip() for value in line.split(",")) for line in text.split("|")) if text else ()


def _name(rule: ServerRule, label: str, value: str | None) -> str:
    name = f"{rule.name}-{label}" if label else rule.name
    if value is None:
        return name
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower().replace("|", " line ")).strip("-")
    return f"{name}-{slug or 'empty'}"


@functools.cache
def catalogue() -> tuple[Scenario, ...]:
    """Every scenario the rules' exercises generate, in rule order; the universal rules judge each one."""
    found: dict[tuple[str, str, tuple[tuple[str, ...], ...]], Scenario] = {}
    for rule in SERVER_RULES:
        for exercise in rule.exercises:
            values: tuple[str | None, ...] = AXES[exercise.axis] if exercise.axis else (None,)
            for value in values:
                fill = "" if value is None else value
                name = _name(rule, exercise.label, value)
                scenario = Scenario(
                    name,
                    parse_script(exercise.app.replace("{}", fill), APP_WORDS),
                    parse_script(exercise.client.replace("{}", fill), CLIENT_WORDS),
                    _offer(exercise.offer.replace("{}", fill)),
                )
                known = found.get(scenario.key)
                found[scenario.key] = (
                    Scenario(known.name, known.app, known.client, known.offer, (*known.rules, rule))
                    if known
                    else Scenario(scenario.name, scenario.app, scenario.client, scenario.offer, (rule,))
                )
    return tuple(found.values())


def parse_scenario(text: str) -> Scenario:
    """A scenario by catalogue name, or a literal ``app=...;client=...;offer=...`` line.

    A literal scenario is judged by every rule whose check fits its steps
    (see ``asgiws.conformance.verdicts.judge``).

    Raises:
        ValueError: no such scenario, or the line does not parse.
    """
    by_name = {scenario.name: scenario for scenario in catalogue()}
    if text in by_name:
        return by_name[text]
    if "=" not in text:
        msg = f"no scenario named {text!r}; `asgiws check server --list` prints the catalogue"
        raise ValueError(msg)
    parts = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    unknown = set(parts) - {"app", "client", "offer"}
    if unknown:
        msg = f"unknown scenario part(s): {', '.join(sorted(unknown))}"
        raise ValueError(msg)
    app = parse_script(parts.get("app", ""), APP_WORDS)
    client = parse_script(parts.get("client", ""), CLIENT_WORDS)
    return Scenario("replay", app, client, _offer(parts.get("offer", "")), SERVER_RULES)
