"""Payment worker: charge each queued order, then announce it on the order-placed topic."""
import os

import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:  # a batch of SQS messages
        if os.environ.get("PAYMENT_DOWN") == "true":
            raise ConnectionError("payment provider unavailable")  # the batch returns to the queue
        sns.publish(TopicArn=os.environ["ORDER_PLACED_TOPIC"], Message=record["body"])
