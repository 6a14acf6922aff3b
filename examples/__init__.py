"""Small, real applications that use asgiws; each module's docstring says how to run it.

A package, so that servers can load ``examples.fastapi_chat:app`` from the
repository root and the tests can import the same modules.
"""

from __future__ import annotations
