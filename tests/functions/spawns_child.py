"""Starts a long-running child process and returns its pid."""
import subprocess


def handler(event, context):
    return {"child": subprocess.Popen(["sleep", "300"]).pid}
