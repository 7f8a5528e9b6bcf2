"""Writes to the log with print and logging, then raises (like the DLQ golden case)."""
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    print("Lambda log message - print function")
    logger.info("Lambda log message - logging module")
    if event.get("raise_error"):
        raise Exception("Test exception (this is intentional)")
    return {"ok": True}
