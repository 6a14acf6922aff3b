"""Small WebSocket apps to point ``asgiws check app`` at: correct ones, and buggy ones.

Each buggy app's docstring names the clause it breaks and the client behaviour
that shows it; the test suite checks that the checker finds exactly that, and
that the correct apps come out clean.
"""
