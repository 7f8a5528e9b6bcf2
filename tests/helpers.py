"""Helpers shared by the tests: small handlers and a function factory."""

from __future__ import annotations

from minilambda import zip_files

ROLE = "arn:aws:iam::123456789012:role/lambda-role"

ECHO = '''
import json
def handler(event, context):
    print(json.dumps(event))
    return event
'''


def make_function(lam, name="echo", source=ECHO, *, handler="app.handler", runtime="python3.12", files=None, **kw):
    """Create a function from source text (or a files mapping) and return its configuration."""
    code = zip_files(files or {"app.py": source})
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                               Code={"ZipFile": code}, **kw)
