"""The notes table's stream → push each change to its owner's open WebSocket connections."""

import json
import os

import boto3
from boto3.dynamodb.types import TypeDeserializer

connections = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])
# On AWS: the API's https://{api-id}.execute-api.{region}.amazonaws.com/{stage}. In minilambda the
# handler's AWS_ENDPOINT_URL is the local Cloud, which serves @connections itself.
endpoint = None if os.environ.get("AWS_ENDPOINT_URL") else os.environ["WS_MANAGEMENT_URL"]
management = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
plain = TypeDeserializer()


def note_of(record):
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    note = {k: plain.deserialize(v) for k, v in image.items() if k not in ("photoKey", "thumbKey")}
    return {k: (int(v) if hasattr(v, "as_integer_ratio") else v) for k, v in note.items()}


def handler(event, context):
    failures = []
    for record in event["Records"]:
        note = note_of(record)
        message = json.dumps({"type": record["eventName"], "note": note}).encode()
        try:
            targets = connections.query(IndexName="byOwner", KeyConditionExpression="#o = :o",
                                        ExpressionAttributeNames={"#o": "owner"},
                                        ExpressionAttributeValues={":o": note.get("owner", "")})["Items"]
            for target in targets:
                try:
                    management.post_to_connection(ConnectionId=target["connectionId"], Data=message)
                except management.exceptions.GoneException:
                    connections.delete_item(Key={"connectionId": target["connectionId"]})
        except Exception as exc:  # noqa: BLE001 - report this record; the rest of the batch is done
            print(f"could not push {record['dynamodb']['SequenceNumber']}: {exc!r}")
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
