"""The AWS services around Lambda, one backend (state + operations in plain Python, no wire import)
and one adapter (``*_api.py``, AWS's wire protocol) each: sqs, sns, s3, eventbridge, cloudwatch_logs.
DynamoDB (+ Streams) and Cognito are moto's (``moto_bridge.MotoService``, private state per Cloud);
their backends (``dynamodb.py``, ``cognito.py``) add what the Cloud needs: request units and stream
arrival times, AWS-shaped tokens."""
