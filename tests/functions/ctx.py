"""Returns the context's attributes (values and type names), the environment and sys.path."""
import os
import sys


def handler(event, context):
    names = ["aws_request_id", "function_name", "function_version", "invoked_function_arn",
             "memory_limit_in_mb", "log_group_name", "log_stream_name", "client_context", "tenant_id"]
    ctx = {n: getattr(context, n) for n in names}
    if context.client_context is not None:
        cc = context.client_context
        ctx["client_context"] = {"custom": cc.custom, "env": cc.env,
                                 "client": None if cc.client is None else cc.client.installation_id}
    return {
        "ctx": ctx,
        "types": {n: type(getattr(context, n)).__name__ for n in names},
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "remaining": context.get_remaining_time_in_millis(),
        "attrs": sorted(a for a in dir(context) if not a.startswith("_")),
        "environment": dict(os.environ),
        "path": sys.path,
        "cwd": os.getcwd(),
        "event": event,
    }
