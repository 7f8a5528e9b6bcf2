"""Return values that need special marshalling."""
import decimal


def handler(event, context):
    kind = event.get("kind")
    if kind == "set":
        return {1, 2}
    if kind == "bytes":
        return b"\x00raw bytes"
    if kind == "unicode":
        return {"text": "héllo ✓"}
    if kind == "decimal":
        return {"n": decimal.Decimal("12"), "f": decimal.Decimal("1.5")}
    if kind == "raw_event":
        return {"type": type(event).__name__}
    return None
