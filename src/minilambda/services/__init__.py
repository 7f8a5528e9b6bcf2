"""The AWS services around Lambda: a backend (state + operations in plain Python) per service, and
its adapter (``*_api.py``) speaking AWS's wire protocol. S3 and SNS still hold both in one class."""
