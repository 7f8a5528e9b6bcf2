"""Inputs get AWS's validation and AWS's errors, never a Python exception (issue 10 §4)."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile

import botocore.exceptions
import pytest

from helpers import ECHO, ROLE, make_function
from minilambda import zip_files


def code(lam, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_function(lam, kw.pop("name", "f"), **kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


# -- parameters, as botocore's model and AWS validate them ---------------------------------------

@pytest.mark.parametrize("handler, problem", [
    ("", "Member must satisfy regular expression pattern: [^\\s]+"),
    ("app .handler", "Member must satisfy regular expression pattern: [^\\s]+"),
    ("a" * 129, "Member must have length less than or equal to 128"),
])
def test_handler_is_validated_as_aws_does(lam, handler, problem):
    assert code(lam, handler=handler) == (
        "ValidationException",
        f"1 validation error detected: Value '{handler}' at 'handler' failed to satisfy constraint: {problem}")


def test_several_violations_are_counted_as_aws_counts_them(lam):
    error, message = code(lam, handler="a b", Description="d" * 257)
    assert error == "ValidationException"
    assert message.startswith("2 validation errors detected: Value 'a b' at 'handler'")
    assert "Value '" + "d" * 257 + "' at 'description' failed to satisfy constraint: Member must have length less " \
           "than or equal to 256" in message


def test_nul_in_an_environment_value_is_a_validation_error_not_a_value_error(lam):
    assert code(lam, Environment={"Variables": {"GREETING": "a\x00b"}}) == (
        "ValidationException",
        "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must not contain the NUL character, Member must not be null]")
    make_function(lam, "ok")
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="ok", Environment={"Variables": {"A1": "\x00"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("key", ["TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH"])
def test_unreserved_environment_keys_can_be_set(lam, key):
    out = make_function(lam, "env", Environment={"Variables": {key: "/opt/x"}})
    assert out["Environment"]["Variables"] == {key: "/opt/x"}


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_LAMBDA_RUNTIME_API", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT"])
def test_reserved_environment_keys_are_refused(lam, key):
    error, message = code(lam, Environment={"Variables": {key: "x"}})
    assert error == "InvalidParameterValueException"
    assert message.endswith(f"Reserved keys used in this request: {key}")


# -- list operations page as AWS pages them ------------------------------------------------------

def test_list_functions_pages_at_most_50_and_a_bad_marker_is_refused(lam):
    for i in range(53):
        make_function(lam, f"f{i:02d}")
    first = lam.list_functions(MaxItems=1000)
    assert len(first["Functions"]) == 50 and "NextMarker" in first
    rest = lam.list_functions(Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["f50", "f51", "f52"] and "NextMarker" not in rest
    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]]
    assert names == [f"f{i:02d}" for i in range(53)]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.list_functions(Marker="garbage")
    assert "garbage" in e.value.response["Error"]["Message"]


def test_list_versions_pages_at_most_50(lam):
    make_function(lam, "v")
    for i in range(51):
        lam.update_function_configuration(FunctionName="v", Description=str(i))
        lam.publish_version(FunctionName="v")
    page = lam.list_versions_by_function(FunctionName="v", MaxItems=100)
    assert len(page["Versions"]) == 50
    following = lam.list_versions_by_function(FunctionName="v", Marker=page["NextMarker"])
    assert len(following["Versions"]) == 2


# -- ARNs of other accounts and partitions -----------------------------------------------------

@pytest.mark.parametrize("name", ["arn:aws:lambda:us-east-1:999999999999:function:d6", "999999999999:function:d6",
                                  "arn:aws-cn:lambda:us-east-1:123456789012:function:d6"])
def test_another_accounts_or_partitions_function_is_access_denied(lam, name):
    make_function(lam, "d6")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "lambda:InvokeFunction on resource: " in e.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_function(lam, name=name.replace("d6", "other"))
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["d6"]


def test_own_account_arns_still_work(lam):
    make_function(lam, "mine")
    lam.get_function(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:mine")
    lam.get_function(FunctionName="123456789012:function:mine")


# -- code packages -----------------------------------------------------------------------------

def test_an_empty_zip_is_refused_as_aws_refuses_it(lam):
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    for data in (empty.getvalue(), b""):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            lam.create_function(FunctionName="e", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": data})
        assert e.value.response["Error"]["Message"] == "Uploaded file must be a non-empty zip"


def _zip_with_symlink() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lib/libx.so.1", b"\x7fELF")
        link = zipfile.ZipInfo("lib/libx.so")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "libx.so.1")
        zf.writestr("app.py", ECHO)
    return buf.getvalue()


def test_symlinks_in_zips_stay_symlinks(cloud):
    lam = cloud.client("lambda")
    lam.create_function(FunctionName="s", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": _zip_with_symlink()})
    layer = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": _zip_with_symlink()})
    root = cloud.lambda_.registry.functions["s"].latest.code.root
    assert os.path.islink(os.path.join(root, "lib/libx.so"))
    assert os.readlink(os.path.join(root, "lib/libx.so")) == "libx.so.1"
    lam.update_function_configuration(FunctionName="s", Layers=[layer["LayerVersionArn"]])
    fv = cloud.lambda_.registry.functions["s"].latest
    opt = cloud.lambda_.registry.layer_root(fv.layers)
    assert os.path.islink(os.path.join(opt, "lib/libx.so"))


def test_code_and_layers_together_are_limited_to_250_mb_unzipped(lam, monkeypatch):
    from minilambda.model import limits

    monkeypatch.setattr(limits, "UNZIPPED_LIMIT", 2000)
    layer = lam.publish_layer_version(LayerName="big", Content={"ZipFile": zip_files({"python/x.txt": "x" * 1950})})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "big", files={"app.py": ECHO + "#" * 600}, Layers=[layer["LayerVersionArn"]])
    message = e.value.response["Error"]["Message"]
    assert message.startswith("Function code combined with layers exceeds the maximum allowed size of 2000 bytes. "
                              "The actual size is ")
    make_function(lam, "small")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName="small", Layers=[layer["LayerVersionArn"]])


def test_a_zip_over_50_mb_is_refused_with_aws_error(cloud):
    from minilambda.lambda_.code import CodePackage

    with pytest.raises(Exception) as e:
        CodePackage.from_zip(b"\0" * 52_428_800, cloud.workdir)
    assert e.value.code == "RequestEntityTooLargeException"
    assert e.value.message == "Zipped size must be smaller than 52428800 bytes"


# -- invoke payloads -----------------------------------------------------------------------------

@pytest.mark.parametrize("payload, token, column", [
    (b'{"a": NaN}', "NaN", 10), (b"Infinity", "Infinity", 9), (b'[1, -Infinity]', "-Infinity", 14)])
def test_nan_and_infinity_payloads_are_refused_in_aws_wording(lam, payload, token, column):
    make_function(lam, "p")
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as e:
        lam.invoke(FunctionName="p", Payload=payload)
    assert e.value.response["Error"]["Message"] == (
        "Could not parse request body into json: Could not parse payload into json: Non-standard token "
        f"'{token}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow\n at [Source: REDACTED "
        f"(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: {column}]")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="p", Payload=payload, InvocationType="Event")
    assert json.loads(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("call", ["list_event_source_mappings", "list_aliases", "list_function_event_invoke_configs",
                                  "list_layer_versions"])
def test_every_lambda_listing_refuses_a_marker_it_did_not_hand_out(lam, call):
    make_function(lam, "m")
    kwargs = {"list_aliases": {"FunctionName": "m"}, "list_function_event_invoke_configs": {"FunctionName": "m"},
              "list_layer_versions": {"LayerName": "l"}}.get(call, {})
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        getattr(lam, call)(Marker="not-a-marker", **kwargs)


def test_zip_directory_keeps_symlinks_and_the_cloud_extracts_them(cloud, tmp_path):
    from minilambda.lambda_.code import zip_directory

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libx.so.1").write_bytes(b"\x7fELF")
    os.symlink("libx.so.1", tmp_path / "lib" / "libx.so")
    os.symlink("lib", tmp_path / "lib64")
    (tmp_path / "app.py").write_text(ECHO)
    lam = cloud.client("lambda")
    lam.create_function(FunctionName="z", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_directory(tmp_path)})
    root = cloud.lambda_.registry.functions["z"].latest.code.root
    assert os.readlink(os.path.join(root, "lib/libx.so")) == "libx.so.1"
    assert os.readlink(os.path.join(root, "lib64")) == "lib"
