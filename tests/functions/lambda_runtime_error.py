raise Exception("Runtime startup fails")


def handler(event, context):
    return None
