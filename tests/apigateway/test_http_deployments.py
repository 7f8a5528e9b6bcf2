"""HTTP API deployments: a stage without ``AutoDeploy`` serves the deployment it points at (a
snapshot of routes and integrations); with ``AutoDeploy`` changes are served at once."""

from __future__ import annotations

import json

import pytest

from minilambda import Cloud

from .apigw_helpers import NOOP, allow_apigateway, make_function

pytestmark = pytest.mark.process


@pytest.fixture
def api():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=5) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        v2 = cloud.client("apigatewayv2")
        api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
        integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                            PayloadFormatVersion="2.0")["IntegrationId"]
        v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration}")
        allow_apigateway(cloud, "noop", api_id)
        yield cloud, v2, api_id, integration


def _status(cloud, api_id: str, stage: str, path: str) -> int:
    return cloud.http("GET", cloud.api_url(api_id, stage) + path).status


def test_a_stage_serves_its_deployment_not_later_changes(api):
    cloud, v2, api_id, integration = api
    v2.create_stage(ApiId=api_id, StageName="prod")
    response = cloud.http("GET", cloud.api_url(api_id, "prod") + "/a")
    assert (response.status, response.text) == (404, '{"message":"Not Found"}')  # never deployed
    first = v2.create_deployment(ApiId=api_id, StageName="prod", Description="one")
    assert first["DeploymentStatus"] == "DEPLOYED" and first["AutoDeployed"] is False
    assert v2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == first["DeploymentId"]
    assert _status(cloud, api_id, "prod", "/a") == 200
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{integration}")
    assert _status(cloud, api_id, "prod", "/b") == 404  # not deployed yet
    second = v2.create_deployment(ApiId=api_id, StageName="prod")
    assert _status(cloud, api_id, "prod", "/b") == 200
    v2.update_stage(ApiId=api_id, StageName="prod", DeploymentId=first["DeploymentId"])  # roll back
    assert (_status(cloud, api_id, "prod", "/a"), _status(cloud, api_id, "prod", "/b")) == (200, 404)
    ids = [d["DeploymentId"] for d in v2.get_deployments(ApiId=api_id)["Items"]]
    assert sorted(ids) == sorted([first["DeploymentId"], second["DeploymentId"]])
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.delete_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])  # the stage serves it
    v2.delete_deployment(ApiId=api_id, DeploymentId=second["DeploymentId"])
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_deployment(ApiId=api_id, DeploymentId=second["DeploymentId"])
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.update_stage(ApiId=api_id, StageName="prod", DeploymentId="nosuch")


def test_auto_deploy_serves_changes_at_once_until_turned_off(api):
    cloud, v2, api_id, integration = api
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    assert _status(cloud, api_id, "$default", "/a") == 200
    v2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{integration}")
    assert _status(cloud, api_id, "$default", "/b") == 200
    v2.update_stage(ApiId=api_id, StageName="$default", AutoDeploy=False)  # keeps what it served
    v2.create_route(ApiId=api_id, RouteKey="GET /c", Target=f"integrations/{integration}")
    assert (_status(cloud, api_id, "$default", "/b"), _status(cloud, api_id, "$default", "/c")) == (200, 404)
    [auto] = v2.get_deployments(ApiId=api_id)["Items"]
    assert auto["AutoDeployed"] is True


def test_cloudformation_deployment_and_stage():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=5) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        template = {"Resources": {
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "h", "ProtocolType": "HTTP"}},
            "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                "ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY", "IntegrationUri": arn,
                "PayloadFormatVersion": "2.0"}},
            "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
                "ApiId": {"Ref": "Api"}, "RouteKey": "GET /a",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]}}},
            "Deployment": {"Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": ["Route"],
                           "Properties": {"ApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
                "ApiId": {"Ref": "Api"}, "StageName": "live", "DeploymentId": {"Ref": "Deployment"}}}}}
        cfn = cloud.client("cloudformation")
        cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))
        api_id = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Api")["StackResourceDetail"][
            "PhysicalResourceId"]
        allow_apigateway(cloud, "noop", api_id)
        assert _status(cloud, api_id, "live", "/a") == 200
