"""A tiny items API (module 07): one handler for GET/PUT/POST/PATCH/DELETE, data in DynamoDB.

Works behind a REST API (payload 1.0) and an HTTP API (payload 2.0); the table's name is in
the environment variable ITEMS_TABLE.
"""
import json
import os
import uuid
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ITEMS_TABLE"])


def number(value):
    """DynamoDB hands numbers back as Decimal; JSON wants int or float."""
    return int(value) if value == int(value) else float(value)


def reply(status, body=None):
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": "" if body is None else json.dumps(body, default=number)}


def handler(event, context):
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    item_id = (event.get("pathParameters") or {}).get("id")
    try:
        data = json.loads(event["body"], parse_float=Decimal) if event.get("body") else {}
    except ValueError:
        return reply(400, {"error": "the body must be JSON"})
    if method == "GET" and item_id is None:
        return reply(200, {"items": sorted(table.scan()["Items"], key=lambda i: i["id"])})
    if method == "POST" and item_id is None:          # create: the server picks the id
        item = {**data, "id": uuid.uuid4().hex[:8]}
        table.put_item(Item=item)
        return reply(201, item)
    if item_id is None:
        return reply(405, {"error": f"{method} needs an item id: /items/{{id}}"})
    found = table.get_item(Key={"id": item_id}).get("Item")
    if method == "GET":
        return reply(200, found) if found else reply(404, {"error": f"no item {item_id}"})
    if method == "PUT":                                # replace (or create) the whole item
        table.put_item(Item={**data, "id": item_id})
        return reply(200, {**data, "id": item_id})
    if method == "PATCH":                              # change some fields of an existing item
        if not found:
            return reply(404, {"error": f"no item {item_id}"})
        found.update(data)
        table.put_item(Item=found)
        return reply(200, found)
    if method == "DELETE":                             # gone afterwards, whether it existed or not
        table.delete_item(Key={"id": item_id})
        return reply(204)
    return reply(405, {"error": f"{method} is not supported"})
