"""Fails on every event whose "fail" field is true, succeeds otherwise."""


def handler(event, context):
    if event.get("fail"):
        raise RuntimeError(f"cannot process order {event.get('order')}")
    return {"processed": event.get("order")}
