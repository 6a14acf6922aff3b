"""The worked example of docs/explanation/architecture.md, followed on a copy of the tree.

The page shows two changes to ``spec/`` as diffs and says what follows from
them. This test applies those diffs, exactly as the page prints them, to a copy
of ``spec/`` and ``impl/``, runs the generator there, and checks each claim in
a fresh interpreter that imports the copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "explanation" / "architecture.md"


def _fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)


def _apply(diff: str, tree: Path) -> None:
    # The page's diffs carry no line numbers: each hunk's context and removed
    # lines must occur exactly once, and are replaced by its context and added lines.
    (path,) = re.findall(r"^\+\+\+ b/(\S+)$", diff, flags=re.M)
    body = diff.split("@@\n", 1)[1].splitlines()
    before = "\n".join(line[1:] for line in body if line[:1] in " -") + "\n"
    after = "\n".join(line[1:] for line in body if line[:1] in " +") + "\n"
    target = tree / path
    text = target.read_text(encoding="utf-8")
    assert text.count(before) == 1, f"the page's diff no longer applies to {path}"
    target.write_text(text.replace(before, after), encoding="utf-8")


CLAIMS = """
import asyncio, inspect, json
from asgiws import InvalidMessageError, WebSocket, check
from asgiws._catalog import citations
from asgiws._compiled import check_close
from asgiws._export import spec_json
from asgiws.spec import MessageType
from asgiws.testing import invalid_messages

async def deliver():
    return {"type": "websocket.connect"}

async def swallow(message):
    raise AssertionError("reached the server")

scope = {"type": "websocket", "asgi": {"spec_version": "2.5"}, "path": "/", "headers": []}

async def close_with_1012():
    websocket = WebSocket(scope, deliver, swallow)
    websocket.client_state = websocket.application_state = type(websocket.client_state).CONNECTED
    try:
        await websocket.close(1012)
    except InvalidMessageError as error:
        return error.clause

async def app(scope, receive, send):
    await send({"type": "websocket.close", "code": 1012})

async def through_the_middleware():
    try:
        await check(app)(scope, deliver, swallow)
    except InvalidMessageError as error:
        return error.clause

close = next(m for m in spec_json()["messages"] if m["type"] == "websocket.close")
code = next(f for f in close["fields"] if f["name"] == "code")
drawn = invalid_messages(MessageType.CLOSE).filter(lambda m: m.get("code") == 1012).example()
print(json.dumps({
    "source": inspect.getsource(check_close),
    "websocket": asyncio.run(close_with_1012()),
    "middleware": asyncio.run(through_the_middleware()),
    "citations": [str(place) for place in citations()["AW-99"]],
    "exported": [c for c in code["constraints"] if "AW-99" in c["clauses"]],
    "drawn": drawn["code"],
}))
"""


def test_the_worked_example_does_what_the_page_says(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for folder in ("spec", "impl"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    diffs = _fenced("diff")
    assert len(diffs) == 2
    for diff in diffs:
        _apply(diff, tree)
    # The package as the wheel lays it out, over the copy.
    package = tmp_path / "farm" / "asgiws"
    package.mkdir(parents=True)
    for source in (tree / "impl").iterdir():
        (package / source.name).symlink_to(source)
    (package / "spec").symlink_to(tree / "spec")
    env = {**os.environ, "PYTHONPATH": str(package.parent), "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis")}

    def run(*argv: str) -> str:
        result = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("-m", "asgiws._codegen")
    facts = json.loads(run("-c", CLAIMS))

    (generated,) = _fenced("python")[1:]
    assert generated in facts["source"]
    assert facts["websocket"] == facts["middleware"] == "AW-99"
    assert any("websocket.close.code" in place for place in facts["citations"])
    assert facts["exported"] == [{"check": "excludes", "param": [1012], "clauses": ["AW-99"]}]
    assert facts["drawn"] == 1012
    assert "websocket.close.code" in run("-m", "asgiws", "explain", "AW-99")
    # The change never touched the real tree.
    assert "AW-99" not in (ROOT / "spec" / "clauses.py").read_text(encoding="utf-8")
