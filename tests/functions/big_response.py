def handler(event, context):
    return "a" * event["bytenum"]
