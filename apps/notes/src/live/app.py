"""WebSocket routes: $connect checks the Cognito access token (?token=…) and remembers the
connection for its user; $disconnect forgets it; other messages get a short answer."""

import os
import time

import boto3

cognito = boto3.client("cognito-idp")
connections = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])
TWO_HOURS = 2 * 3600  # API Gateway closes WebSocket connections after 2 hours


def handler(event, context):
    ctx = event["requestContext"]
    route, connection = ctx["routeKey"], ctx["connectionId"]
    if route == "$connect":
        token = (event.get("queryStringParameters") or {}).get("token", "")
        try:
            user = cognito.get_user(AccessToken=token)
        except Exception:  # noqa: BLE001 - any failure refuses the connection
            return {"statusCode": 401}
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        connections.put_item(Item={"connectionId": connection, "owner": sub,
                                   "expiresAt": int(time.time()) + TWO_HOURS})
        return {"statusCode": 200}
    if route == "$disconnect":
        connections.delete_item(Key={"connectionId": connection})
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "notes: messages are pushed by the server"}
