"""AWS Lambda: ``backend`` (functions, invoke, async queue, mappings, concurrency) and ``api`` (its adapter)."""
