"""Allocates (and touches) event["mb"] megabytes."""


def handler(event, context):
    data = b"x" * (event["mb"] * 1024 * 1024)
    return {"allocated": len(data)}
