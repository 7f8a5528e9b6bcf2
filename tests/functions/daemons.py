"""Starts processes that try to outlive the environment: a new session, and a double-forked daemon."""
import os
import subprocess
import time


def handler(event, context):
    session = subprocess.Popen(["sleep", "300"], start_new_session=True).pid
    r, w = os.pipe()
    first = os.fork()
    if first == 0:  # the classic daemon: fork, setsid, fork again, the middle one exits
        os.setsid()
        second = os.fork()
        if second == 0:
            os.close(r)
            os.write(w, str(os.getpid()).encode())
            os.close(w)
            time.sleep(300)
        os._exit(0)
    os.close(w)
    daemon = int(os.read(r, 32))
    os.close(r)
    os.waitpid(first, 0)
    return {"session": session, "daemon": daemon}
