"""Probes AWS's per-environment limits: threads, file descriptors, /tmp size."""
import errno
import os
import resource
import threading


def handler(event, context):
    op = event["op"]
    if op == "threads":
        release = threading.Event()
        threads = [threading.Thread(target=release.wait) for _ in range(event["n"])]
        started = 0
        error = None
        try:
            for t in threads:
                t.start()
                started += 1
        except RuntimeError as exc:
            error = str(exc)
        release.set()
        for t in threads[:started]:
            t.join()
        return {"started": started, "error": error}
    if op == "nofile":
        return list(resource.getrlimit(resource.RLIMIT_NOFILE))
    if op == "fill_tmp":
        written = 0
        chunk = b"x" * (1 << 20)
        try:
            with open("/tmp/fill", "wb") as f:
                for _ in range(event["mb"]):
                    f.write(chunk)
                    f.flush()
                    written += 1
            return {"written_mb": written, "error": None}
        except OSError as exc:
            return {"written_mb": written, "error": errno.errorcode.get(exc.errno)}
        finally:
            os.unlink("/tmp/fill")
    if op == "env":
        return {k: os.environ.get(k) for k in event["keys"]}
    raise ValueError(op)
