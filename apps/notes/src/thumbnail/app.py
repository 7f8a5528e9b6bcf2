"""S3-triggered: make a 160 px thumbnail of an uploaded photo and record the photo's metadata on the note."""

import io
import os
import time
from urllib.parse import unquote_plus

import boto3
from PIL import Image

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])
SIZE = (160, 160)


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # photos/<owner>/<note id>.jpg
        _, owner, name = key.split("/", 2)
        note_id = name.rsplit(".", 1)[0]
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        image = image.convert("RGB")
        image.thumbnail(SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        thumb = f"thumbs/{owner}/{note_id}.jpg"
        s3.put_object(Bucket=bucket, Key=thumb, Body=out.getvalue(), ContentType="image/jpeg")
        try:
            table.update_item(
                Key={"id": note_id}, ConditionExpression="#o = :o",
                UpdateExpression="SET photoKey = :p, thumbKey = :t, width = :w, height = :h, #sz = :s, updatedAt = :u",
                ExpressionAttributeNames={"#o": "owner", "#sz": "size"},
                ExpressionAttributeValues={":o": owner, ":p": key, ":t": thumb, ":w": width, ":h": height,
                                           ":s": len(data), ":u": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            print(f"no note {note_id} of {owner}: thumbnail kept, metadata dropped")
    return {"thumbnails": len(event["Records"])}
