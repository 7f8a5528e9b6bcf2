"""Ends the runtime process in various ways."""
import os
import signal
import sys


def handler(event, context):
    how = event.get("how")
    print("about to", how)
    if how == "sys.exit":
        sys.exit(event.get("code", 0))
    if how == "os._exit":
        os._exit(event.get("code", 0))
    if how == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    return "still here"
