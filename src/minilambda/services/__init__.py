"""The AWS services around Lambda, one backend (state + operations in plain Python, no wire import)
and one adapter (``*_api.py``, AWS's wire protocol) each: sqs, sns, s3, eventbridge, cloudwatch_logs."""
