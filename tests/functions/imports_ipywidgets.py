import ipywidgets  # noqa: F401  (installed in the host venv, not on Lambda)


def handler(event, context):
    return None
