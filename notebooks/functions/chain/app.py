"""One link of a synchronous chain: do 50 ms of work, then call the next function and wait."""
import json
import os
import time

import boto3

lam = boto3.client("lambda")


def handler(event, context):
    time.sleep(0.05)  # this function's own work
    hops = event.get("hops", []) + [context.function_name]
    if os.environ.get("NEXT"):
        reply = lam.invoke(FunctionName=os.environ["NEXT"], Payload=json.dumps({"hops": hops}))
        return json.loads(reply["Payload"].read())
    return {"hops": hops}
