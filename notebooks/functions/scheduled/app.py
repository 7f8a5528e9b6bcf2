"""Scheduled: log which EventBridge rule fired and for which minute (a "Scheduled Event")."""


def handler(event, context):
    rule = event["resources"][0].split("/")[-1]
    print(f"fired: {rule} at {event['time']}")
    return {"rule": rule, "time": event["time"]}
