"""Echo: return the event and what the context says about this invocation."""
import json


def handler(event, context):
    print("event:", json.dumps(event)[:120])
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
