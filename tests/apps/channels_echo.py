"""Django Channels: an ``AsyncWebsocketConsumer`` echo behind ``AllowedHostsOriginValidator`` (correct).

Django is configured in the module (``ALLOWED_HOSTS`` localhost and 127.0.0.1).
The consumer accepts every connection that passed the origin check and echoes
text in upper case and binary as it came. Channels' validator refuses a
handshake whose ``Origin`` header is absent or not an allowed host, with a close
before the accept.

EXPECTED: conformant, and earned with the default realistic connection (a
browser page at ``http://localhost:8000``: ``Host`` and ``Origin`` headers).

Reasoning. The refusal is a close before the accept, which a server answers
with HTTP 403 (WS-045) — the right answer to a foreign origin (RFC-029). The
accepted path answers every message with one message (WS-036) and Channels
ends the consumer on the disconnect. A checker that sends no ``Origin`` (issue
11, Deliver 1) is refused every time and tests nothing past the handshake.
Under uvicorn a client with ``Origin: http://localhost:8000`` gets its echo and
one without gets 403.
"""

from __future__ import annotations

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        ALLOWED_HOSTS=["localhost", "127.0.0.1"],
        INSTALLED_APPS=["channels"],
        SECRET_KEY="tests-only",
        USE_TZ=True,
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path


class EchoConsumer(AsyncWebsocketConsumer):
    """Echo text in upper case and binary as it came."""

    async def connect(self) -> None:
        """Accept every connection that passed the origin check."""
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Answer one message."""
        if text_data is not None:
            await self.send(text_data=text_data.upper())
        else:
            await self.send(bytes_data=bytes_data or b"")


app = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(URLRouter([path("ws/echo/", EchoConsumer.as_asgi())])),
    }
)
