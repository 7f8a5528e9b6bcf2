"""The Lambda control plane, driven through a real botocore client, against AWS's recordings."""

from __future__ import annotations

import botocore.exceptions
import pytest

from golden import assert_matches, load_case, Matcher
from helpers import ECHO, ROLE, make_function
from minilambda import zip_files


def err(exc_info):
    return exc_info.value.response


def test_create_defaults_match_aws(lam):
    """CreateFunction answers 201 Pending with AWS's defaults; GetFunction then shows Active."""
    rec = load_case("create_function_defaults_then_get_function")
    created = lam.create_function(FunctionName="fn1", Runtime="python3.12", Handler="index.handler", Role=ROLE,
                                  Code={"ZipFile": zip_files({"index.py": ECHO})}, PackageType="Zip",
                                  Description="No version :(")
    m = assert_matches(created, rec["create_response"])
    got = lam.get_function(FunctionName="fn1")
    assert_matches(got, rec["get_function_result"], m)


def test_update_and_delete_match_aws(lam):
    rec = load_case("function_lifecycle_update_and_delete")
    created = make_function(lam, "fn2", handler="handler.handler", files={"handler.py": ECHO}, MemorySize=256,
                            Timeout=5, Environment={"Variables": {}})
    m = assert_matches(created, rec["create_response"])
    assert_matches(lam.get_function(FunctionName="fn2"), rec["get_function_response"], m)
    upd = lam.update_function_configuration(FunctionName="fn2", Runtime="python3.11", Description="Changed-Description",
                                            MemorySize=512, Timeout=10, Environment={"Variables": {"ENV_A": "a"}})
    # The runtime version ARN changes with the runtime: a new placeholder number in the recording.
    assert_matches(upd, rec["update_func_conf_response"], m)
    assert_matches(lam.delete_function(FunctionName="fn2"), rec["delete_response"], m)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.delete_function(FunctionName="fn2")
    assert_matches(err(e), rec["delete_postdelete"], m)


def test_invoke_missing_function_is_404_with_latest_arn(lam):
    rec = load_case("invoke_nonexistent_function")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName="doesnotexist")
    assert_matches(err(e), rec["invoke_function_doesnotexist"])


def test_duplicate_create_is_conflict(lam):
    make_function(lam, "dup")
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        make_function(lam, "dup")
    assert err(e)["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err(e)["Error"]["Message"] == "Function already exist: dup"


def test_name_validation_matches_aws(lam):
    rec = load_case("function_name_validation")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_function(lam, "invalid:function:name")
    assert_matches(err(e), rec["invalid_function_name_exc"])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "a" * 65)
    assert_matches(err(e), rec["long_function_name_exc"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="my-function!")
    assert err(e)["Error"]["Code"] == "ValidationException"
    assert err(e)["Error"]["Message"] == "1 validation error detected: " + rec["invoke:my-function!:invoke_exception"]["Errors"][0]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="my-function", Qualifier="invalid!")
    assert err(e)["Error"]["Message"] == "1 validation error detected: " + rec["invoke:qualifier-invalid!:invoke_exception"]["Errors"][0]


def test_parameter_validation_matches_aws(lam):
    rec = load_case("create_function_parameter_validation")
    code = {"ZipFile": zip_files({"index.py": ECHO})}
    base = dict(FunctionName="pv", Handler="index.handler", Code=code)
    cases = [
        (dict(base, Role="r1", Runtime="python3.12"), "invalid_role_arn_exc"),
        (dict(base, Role=ROLE, Runtime="non-existent-runtime"), "invalid_runtime_exc"),
        (dict(base, Role=ROLE, Runtime="PYTHON3.9"), "uppercase_runtime_exc"),
        (dict(base, Role=ROLE, Runtime="python3.12", Architectures=["x86_64", "arm64"]), "multiple_architectures"),
        (dict(base, Role=ROLE, Runtime="python3.12", Architectures=["X86_64"]), "uppercase_architecture"),
        (dict(base, Role=ROLE, Runtime="python3.9", Code={"ZipFile": b"this is not a zipfile, just a random string"}),
         "invalid_zip_exc"),
    ]
    for params, key in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam.create_function(**params)
        assert_matches(err(e), rec[key])


def test_zip_entry_escaping_folder_is_rejected_at_create(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "escape", files={"app.py": ECHO, "../evil.py": "x = 1"})
    assert "outside the function's folder" in err(e)["Error"]["Message"]
    assert "escape" not in lam.list_functions()["Functions"]


def test_environment_limit_message_quotes_measured_json(lam):
    rec = load_case("create_function_size_limits")
    big = {"LARGE_VAR": "x" * (4097 - len('{"LARGE_VAR":""}'))}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "envbig", Environment={"Variables": big})
    assert_matches(err(e), rec["env:failed_create_fn_result"])


def test_publish_versions_idempotent_and_listed(lam):
    rec = load_case("publish_version_and_list_versions")
    make_function(lam, "pub", handler="index.handler", files={"index.py": ECHO}, Description="No version :(")
    lam.update_function_configuration(FunctionName="pub", Description="First version :)")
    m = Matcher()
    first = lam.publish_version(FunctionName="pub", Description="First version description :)")
    assert_matches(first, rec["first_publish_response"], m)
    assert_matches(lam.get_function_configuration(FunctionName="pub", Qualifier="1"),
                   rec["first_publish_get_function_config"], m)
    lam.update_function_configuration(FunctionName="pub", Description="Second version :))")
    assert_matches(lam.publish_version(FunctionName="pub"), rec["second_publish_response"], m)
    assert_matches(lam.publish_version(FunctionName="pub", Description="Third version description :)))"),
                   rec["third_publish_response"], m)
    listed = lam.list_versions_by_function(FunctionName="pub")
    assert_matches(listed, rec["list_versions_result_after_third_publish"], m)


def test_alias_weighted_routing_shapes(lam):
    rec = load_case("alias_with_weighted_routing")
    make_function(lam, "al", handler="index.handler", files={"index.py": ECHO}, Environment={"Variables": {"testenv": "staging"}})
    lam.publish_version(FunctionName="al")
    lam.update_function_configuration(FunctionName="al", Environment={"Variables": {"testenv": "prod"}})
    lam.publish_version(FunctionName="al")
    m = Matcher()
    created = lam.create_alias(FunctionName="al", Name="aliasname1_1", FunctionVersion="1", Description="custom-alias",
                               RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}})
    assert_matches(created, rec["create_alias_1_1"], m)
    assert_matches(lam.get_alias(FunctionName="al", Name="aliasname1_1"), rec["get_alias_1_1"], m)
    got = lam.get_function(FunctionName="al", Qualifier="aliasname1_1")
    assert got["Configuration"]["Version"] == "1"
    assert got["Configuration"]["FunctionArn"].endswith(":al:aliasname1_1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName="al", Qualifier="aliasdoesnotexist")
    assert_matches(err(e), rec["get_function_alias_notfound_exc"], m)
    upd = lam.update_alias(FunctionName="al", Name="aliasname1_1", RoutingConfig={"AdditionalVersionWeights": {}})
    assert_matches(upd, rec["update_alias_1_1"], m)
    assert lam.delete_alias(FunctionName="al", Name="aliasname1_1")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_alias_validation_messages(lam):
    rec = load_case("alias_routing_validation_and_conflict")
    make_function(lam, "av", handler="index.handler", files={"index.py": ECHO})
    lam.publish_version(FunctionName="av")
    lam.update_function_configuration(FunctionName="av", Description="v2")
    lam.publish_version(FunctionName="av")
    calls = [
        (dict(Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.8, "2": 0.2}}), "routing_config_exc_toomany"),
        (dict(Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 2}}), "routing_config_exc_toohigh"),
        (dict(Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}), "routing_config_exc_sameversion"),
        (dict(Name="custom", FunctionVersion="10", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}), "target_version_doesnotexist"),
        (dict(Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"10": 0.5}}), "routing_config_exc_version_doesnotexist"),
        (dict(Name="custom", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}), "target_version_exc_version_latest"),
        (dict(Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}}), "routing_config_exc_version_latest"),
    ]
    for params, key in calls:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            lam.create_alias(FunctionName="av", **params)
        expected = rec[key]
        assert err(e)["Error"]["Code"] == expected["Error"]["Code"], key
        assert_matches(err(e)["Error"], expected["Error"])
    lam.create_alias(FunctionName="av", Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        lam.create_alias(FunctionName="av", Name="custom", FunctionVersion="1")
    assert_matches(err(e), rec["routing_config_exc_already_exist"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_alias(FunctionName="av", Name="non-existent")
    assert_matches(err(e), rec["alias_does_not_exist_esc"])


def test_reserved_concurrency_crud_and_errors(lam, cloud):
    rec = load_case("reserved_concurrency_crud")
    make_function(lam, "rc")
    assert_matches(lam.get_function_concurrency(FunctionName="rc"), rec["get_function_concurrency_default"])
    assert lam.put_function_concurrency(FunctionName="rc", ReservedConcurrentExecutions=0)["ReservedConcurrentExecutions"] == 0
    lam.put_function_concurrency(FunctionName="rc", ReservedConcurrentExecutions=1)
    assert lam.get_function_concurrency(FunctionName="rc")["ReservedConcurrentExecutions"] == 1
    lam.delete_function_concurrency(FunctionName="rc")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="rc")
    errs = load_case("reserved_concurrency_errors")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.put_function_concurrency(FunctionName="doesnotexist", ReservedConcurrentExecutions=1)
    assert_matches(err(e), errs["put_function_concurrency_with_function_name_doesnotexist"])
    arn = lam.get_function(FunctionName="rc")["Configuration"]["FunctionArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_concurrency(FunctionName=arn + ":$LATEST", ReservedConcurrentExecutions=1)
    assert_matches(err(e), errs["put_function_concurrency_with_qualified_arn"])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.put_function_concurrency(FunctionName="rc", ReservedConcurrentExecutions=1000)
    assert err(e)["Error"]["Message"] == ("Specified ReservedConcurrentExecutions for function decreases account's "
                                          "UnreservedConcurrentExecution below its minimum value of [100].")
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] == 1


def test_list_functions_paginates(lam):
    for i in range(5):
        make_function(lam, f"p{i}")
    pages = list(lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
    names = [f["FunctionName"] for p in pages for f in p["Functions"]]
    assert names == [f"p{i}" for i in range(5)]
    assert len(pages) == 3


def test_waiter_function_active(lam):
    make_function(lam, "w")
    lam.get_waiter("function_active_v2").wait(FunctionName="w", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert lam.get_function(FunctionName="w")["Configuration"]["State"] == "Active"


def test_layers_limit_and_unknown_layer(lam):
    layer = lam.publish_layer_version(LayerName="util", Content={"ZipFile": zip_files({"python/util.py": "X = 1"})})
    assert layer["Version"] == 1 and layer["LayerVersionArn"].endswith(":layer:util:1")
    arns = [lam.publish_layer_version(LayerName=f"l{i}", Content={"ZipFile": zip_files({"python/m.py": ""})})["LayerVersionArn"]
            for i in range(6)]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "lay", Layers=arns)
    assert err(e)["Error"]["Message"] == "Cannot reference more than 5 layers."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        make_function(lam, "lay", Layers=[layer["LayerVersionArn"][:-1] + "9"])
    assert "does not exist" in err(e)["Error"]["Message"]
