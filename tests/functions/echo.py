"""Echo: prints the event as JSON and returns it."""
import json


def handler(event, context):
    print(json.dumps(event))
    return event
