"""A handler that does nothing."""


def handler(event, context):
    return None
