"""Ariadne: a GraphQL counter subscription over graphql-transport-ws, as Ariadne ships it (framework BUGS).

The same schema as the Strawberry app, served by ``ariadne.asgi.GraphQL`` with
``GraphQLTransportWSHandler``. The code here is only the schema; both bugs are
Ariadne's (1.1): the handler accepts with ``"graphql-transport-ws"`` whatever
the client offered, and reads every message with Starlette's ``receive_json()``.

EXPECTED: RFC-018 (accept with a subprotocol the client did not offer) and
AW-05 from distinct root causes: ``JSONDecodeError`` on text that is not JSON,
and ``KeyError`` (uvicorn's shape) or ``TypeError`` (``"text": None`` shape) on a
binary message.

Reasoning. RFC-018: with no ``graphql-transport-ws`` in the client's offer the
only acceptable answer is no subprotocol (or a refusal); the ``websockets``
client fails the handshake (RFC-020). AW-05: the protocol asks for Close 4400
on an invalid message, but both exceptions escape while the connection is
open, and uvicorn drops the TCP connection without a Close frame (1006). The
messages after the refused accept are consequences, not new findings (issue
11, Deliver 2).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from ariadne import QueryType, SubscriptionType, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler

type_defs = """
    type Query { hello: String! }
    type Subscription { count(target: Int = 3): Int! }
"""

query = QueryType()
subscription = SubscriptionType()


@query.field("hello")
def resolve_hello(*_: Any) -> str:
    """A greeting."""
    return "world"


@subscription.source("count")
async def count_source(_: Any, __: Any, target: int = 3) -> AsyncGenerator[int, None]:
    """Count from 0 up to ``target`` (excluded)."""
    for number in range(target):
        yield number
        await asyncio.sleep(0)


@subscription.field("count")
def resolve_count(number: int, *_: Any, **__: Any) -> int:
    """Each counted number as it is."""
    return number


schema = make_executable_schema(type_defs, query, subscription)
app = GraphQL(schema, websocket_handler=GraphQLTransportWSHandler())
