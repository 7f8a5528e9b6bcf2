"""AWS Lambda: ``backend`` (functions, invoke, async queue, mappings — SQS in ``esm``, DynamoDB streams
in ``streams`` —, resource-based policies in ``permissions``, concurrency) and ``api`` (its adapter)."""
