"""ASGI WebSocket apps on real third-party frameworks, each with the verdict the spec gives it.

Every module here is one app, importable as ``tests.apps.NAME:app``. Its
docstring says what it does, on which framework, and the EXPECTED verdict of
``asgiws check app`` with the clauses and the reasoning from the spec. The apps
were written for this suite in each framework's documented style; some are
correct and some carry the kind of bug real apps have.
``tests/test_third_party_apps.py`` compares the checker with these verdicts and
``tests/test_third_party_apps_uvicorn.py`` shows each finding under real uvicorn.
"""
