"""Module state, temp files and sleeping, driven by event["op"]."""
import os
import tempfile
import time

counter = 0


def handler(event, context):
    global counter
    op = event.get("op")
    if op == "incr":
        counter += 1
        return {"count": counter, "pid": os.getpid()}
    if op == "set":
        counter = event["value"]
        return None
    if op == "get":
        return {"number": counter}
    if op == "write":
        with open(os.path.join(event.get("dir") or tempfile.gettempdir(), event["name"]), "w") as f:
            f.write(event["content"])
        return None
    if op == "read":
        path = os.path.join(event.get("dir") or tempfile.gettempdir(), event["name"])
        if not os.path.exists(path):
            return {"content": None}
        with open(path) as f:
            return {"content": f.read()}
    if op == "sleep":
        print("starting wait")
        time.sleep(event["seconds"])
        print("done waiting")
        return None
    if op == "tmpdir":
        return {"gettempdir": tempfile.gettempdir(), "listing": sorted(os.listdir("/tmp"))}
    return {"unknown": op}
