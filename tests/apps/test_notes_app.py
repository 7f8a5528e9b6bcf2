"""The notes app (apps/notes) deployed from its template: the API flow over real HTTP, the photo
pipeline (presigned upload → S3 trigger → thumbnail → DynamoDB → stream), and teardown."""

from __future__ import annotations

import io
import time

import pytest

from .conftest import call

pytestmark = [pytest.mark.process, pytest.mark.timeout(600)]


def jpeg(width=640, height=480) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def wait_for(predicate, attempts=300):
    """Poll the app until *predicate()* is truthy (the S3 trigger runs on its own thread)."""
    for _ in range(attempts):
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the app never reached the expected state")


def test_template_passes_cfn_lint_and_the_sam_transform():
    from minilambda.cloudformation import template as tpl

    from .conftest import NOTES

    body = open(NOTES, encoding="utf-8").read()
    assert tpl.lint(body, "us-east-1") == []
    parsed = tpl.load(body.replace("CodeUri: src/", "CodeUri: s3://bucket/key/"))
    expanded = tpl.expand(parsed, {}, "us-east-1")
    assert expanded["Resources"]["NotesApi"]["Type"] == "AWS::ApiGatewayV2::Api"


def test_sign_up_crud_and_other_users_are_refused(notes_app):
    api = notes_app.api
    assert call("GET", api + "/notes")[0] == 401  # the JWT authorizer guards the API
    ada = notes_app.user("ada@example.com")
    status, note = call("POST", api + "/notes", {"text": "buy milk"}, ada)
    assert status == 201 and note["text"] == "buy milk"
    status, listing = call("GET", api + "/notes", token=ada)
    assert status == 200 and [n["id"] for n in listing["notes"]] == [note["id"]]
    status, changed = call("PUT", api + f"/notes/{note['id']}", {"text": "buy oat milk"}, ada)
    assert status == 200 and changed["text"] == "buy oat milk"
    bob = notes_app.user("bob@example.com")
    assert call("GET", api + f"/notes/{note['id']}", token=bob) == (403, {"message": "Forbidden"})
    assert call("DELETE", api + f"/notes/{note['id']}", token=bob)[0] == 403
    assert call("GET", api + "/notes", token=bob) == (200, {"notes": []})
    assert call("POST", api + "/auth/signup", {"email": "ada@example.com", "password": "passw0rd1"})[0] == 409
    assert call("POST", api + "/auth/login", {"email": "ada@example.com", "password": "wrong-pass1"})[0] == 401
    assert call("DELETE", api + f"/notes/{note['id']}", token=ada)[0] == 204
    assert call("GET", api + f"/notes/{note['id']}", token=ada)[0] == 404


def test_photo_upload_makes_a_thumbnail_and_metadata(notes_app):
    api = notes_app.api
    cat = notes_app.user("cat@example.com")
    _, note = call("POST", api + "/notes", {"text": "with a photo"}, cat)
    status, upload = call("POST", api + f"/notes/{note['id']}/photo", token=cat)
    assert status == 200 and upload["key"].startswith("photos/")
    photo = jpeg()
    assert call("PUT", upload["uploadUrl"], raw=photo, headers={"content-type": "image/jpeg"})[0] == 200
    done = wait_for(lambda: (lambda r: r[1] if r[1].get("width") else None)(
        call("GET", api + f"/notes/{note['id']}", token=cat)))
    assert (done["width"], done["height"], done["size"]) == (640, 480, len(photo))
    status, thumb = call("GET", done["thumbUrl"])
    assert status == 200
    from PIL import Image

    assert max(Image.open(io.BytesIO(thumb)).size) == 160
    triggers = {(i.function_name.split("-")[1], i.trigger) for i in notes_app.cloud.invocations}
    assert ("ThumbnailFunction", "async") in triggers and ("StreamFunction", "dynamodb") in triggers


def test_static_client_and_config_are_served(notes_app):
    status, page = call("GET", notes_app.site)
    assert status == 200 and b"<title>Notes</title>" in page
    status, config = call("GET", notes_app.site.replace("index.html", "config.json"))
    assert status == 200 and config["ApiUrl"] == notes_app.api


def test_delete_stack_leaves_nothing_behind(notes_app):
    cloud = notes_app.cloud
    s3 = cloud.client("s3")
    for bucket in (notes_app.outputs["PhotosBucketName"], notes_app.outputs["WebBucketName"]):
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):  # AWS refuses to delete full buckets
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
    cfn = cloud.client("cloudformation")
    stack_id = cfn.describe_stacks(StackName="notes")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="notes")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert cloud.client("lambda").list_functions()["Functions"] == []
    assert cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert cloud.client("dynamodb").list_tables()["TableNames"] == []
    assert cloud.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []
    assert cloud.client("apigatewayv2").get_apis()["Items"] == []
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["minilambda-sam-packages-123456789012-us-east-1"]
