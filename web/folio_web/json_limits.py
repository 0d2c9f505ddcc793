"""A bound on how deeply a request's JSON body may nest, checked before any endpoint parses it.

Python's parser recurses once per level: a few kilobytes of `[[[[...` raise RecursionError,
which used to be a 500 with a traceback, from any JSON endpoint including the unauthenticated
token endpoint. Folio's documents nest a few levels at most.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, abort, request

MAX_JSON_DEPTH = 32


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative, so checking cannot itself run out of stack.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def check_json_depth() -> None:
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        parsed = json.loads(data)
    except RecursionError:
        parsed = None
    except ValueError:
        return  # malformed JSON: the endpoint's own parser answers 400 for it
    else:
        if not _deeper_than(parsed, MAX_JSON_DEPTH):
            return
    abort(400, description=f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")


def init_app(app: Flask) -> None:
    app.before_request(check_json_depth)
