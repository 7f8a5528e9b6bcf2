"""Notes: list, create, read, update and delete a signed-in user's notes; presigned photo uploads.

The HTTP API's JWT authorizer has already verified the Cognito token: the user is
``requestContext.authorizer.jwt.claims.sub``. A note of another user is refused with 403.
"""

import json
import os
import time
import uuid

import boto3
from botocore.config import Config

table = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])
# SigV4 URLs sign only the host, so the phone may PUT any Content-Type (boto3 presigns with SigV2 in
# us-east-1 by default, which signs the Content-Type and which S3 refuses for buckets made since 2020).
s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
BUCKET = os.environ["PHOTOS_BUCKET"]
MAX_TEXT = 2000


def reply(status, body=None):
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(body if body is not None else {})}


def view(item):
    """A note as the client sees it (thumbnail as a short-lived presigned URL)."""
    out = {k: (int(v) if k in ("width", "height", "size") else v) for k, v in item.items()
           if k not in ("photoKey", "thumbKey")}
    if item.get("thumbKey"):
        out["thumbUrl"] = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": item["thumbKey"]},
                                                    ExpiresIn=3600)
    return out


def owned(note_id, user):
    """(item, None) for the user's own note, else (None, an error reply)."""
    item = table.get_item(Key={"id": note_id}).get("Item")
    if item is None:
        return None, reply(404, {"message": "Note not found"})
    if item["owner"] != user:
        return None, reply(403, {"message": "Forbidden"})
    return item, None


def text_of(event):
    try:
        text = json.loads(event.get("body") or "{}").get("text", "")
    except (ValueError, AttributeError):
        return None
    return text if isinstance(text, str) and 0 < len(text) <= MAX_TEXT else None


def handler(event, context):
    user = event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    route = event["routeKey"]
    note_id = (event.get("pathParameters") or {}).get("id")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if route == "GET /notes":
        items = table.query(IndexName="byOwner", KeyConditionExpression="#o = :o",
                            ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": user},
                            ScanIndexForward=False)["Items"]
        return reply(200, {"notes": [view(i) for i in items]})
    if route == "POST /notes":
        text = text_of(event)
        if text is None:
            return reply(400, {"message": f"text must be 1 to {MAX_TEXT} characters"})
        item = {"id": str(uuid.uuid4()), "owner": user, "text": text, "createdAt": now, "updatedAt": now}
        table.put_item(Item=item)
        return reply(201, view(item))
    item, refused = owned(note_id, user)
    if refused:
        return refused
    if route == "GET /notes/{id}":
        return reply(200, view(item))
    if route == "PUT /notes/{id}":
        text = text_of(event)
        if text is None:
            return reply(400, {"message": f"text must be 1 to {MAX_TEXT} characters"})
        item.update(text=text, updatedAt=now)
        table.put_item(Item=item)
        return reply(200, view(item))
    if route == "DELETE /notes/{id}":
        table.delete_item(Key={"id": note_id})
        keys = [{"Key": item[k]} for k in ("photoKey", "thumbKey") if item.get(k)]
        if keys:
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})
        return reply(204)
    if route == "POST /notes/{id}/photo":
        key = f"photos/{user}/{note_id}.jpg"
        url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
        return reply(200, {"uploadUrl": url, "key": key})
    return reply(404, {"message": "Not Found"})
