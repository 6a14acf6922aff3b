"""Strawberry: a GraphQL counter subscription over graphql-transport-ws (framework BUG on one message shape).

``subscription { count(target: N) }`` yields 0..N-1. Strawberry's ASGI view
accepts ``graphql-transport-ws`` when the client offers it (and refuses the
handshake otherwise), expects ``connection_init`` first and closes with the
protocol's 4400 on a non-JSON or binary message.

EXPECTED: AW-05 (``TypeError`` on a binary message delivered as
``{"bytes": ..., "text": None}``).

Reasoning. WS-034 lets a server put both keys in ``websocket.receive`` as long as
exactly one is not ``None``; Hypercorn does so for binary messages. Strawberry
reads them with Starlette's ``receive_text()``, which returns that ``None``, and
decodes it as JSON: the ``TypeError`` escapes with the connection open (it only
catches ``KeyError``, uvicorn's shape). The server picks the ending (AMB-18):
Hypercorn closes with 1011 where the protocol asks for 4400. Uvicorn never
produces that shape, so the harm is shown under Hypercorn. Everything else —
refusal without the subprotocol, ``connection_init``/``subscribe`` — conforms;
getting past ``connection_init`` needs seeded messages (issue 11, Deliver 2).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL


@strawberry.type
class Query:
    """The one query."""

    @strawberry.field
    def hello(self) -> str:
        """A greeting."""
        return "world"


@strawberry.type
class Subscription:
    """The one subscription."""

    @strawberry.subscription
    async def count(self, target: int = 3) -> AsyncGenerator[int, None]:
        """Count from 0 up to ``target`` (excluded)."""
        for number in range(target):
            yield number
            await asyncio.sleep(0)


schema = strawberry.Schema(query=Query, subscription=Subscription)
app = GraphQL(schema, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
