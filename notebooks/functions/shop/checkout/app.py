"""Checkout: accept the order and put it on the orders queue; payment happens later."""
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    order = {"order_id": context.aws_request_id[:8], "items": event["items"]}
    sqs.send_message(QueueUrl=os.environ["ORDERS_QUEUE_URL"], MessageBody=json.dumps(order))
    return {"status": "accepted", "order_id": order["order_id"]}
