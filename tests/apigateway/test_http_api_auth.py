"""HTTP API authorizers end to end: JWT verified against a JWKS (keys minted here), and a Lambda
REQUEST authorizer with simple responses; the context reaches the integration's event."""

from __future__ import annotations

import json

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from minilambda import Cloud

from .apigw_helpers import ECHO_EVENT, allow_apigateway, make_function

pytestmark = pytest.mark.process
ISSUER = "https://issuer.example/pool"


@pytest.fixture(scope="module")
def keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": "k1", "alg": "RS256", "use": "sig"})
    return private, {"keys": [jwk]}


def token(private, now: float, **claims) -> str:
    body = {"iss": ISSUER, "aud": "app", "sub": "u1", "iat": int(now) - 10, "exp": int(now) + 3600, "scope": "read"}
    body.update(claims)
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": "k1"})


def test_jwt_authorizer_verifies_tokens_on_the_clouds_clock(keys):
    private, jwks = keys
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="jwt", ProtocolType="HTTP", Target=arn)["ApiId"]
        allow_apigateway(cloud, "echo", api)
        authorizer = v2.create_authorizer(ApiId=api, Name="jwt", AuthorizerType="JWT",
                                          IdentitySource=["$request.header.Authorization"],
                                          JwtConfiguration={"Issuer": ISSUER, "Audience": ["app"]})["AuthorizerId"]
        route = v2.get_routes(ApiId=api)["Items"][0]["RouteId"]
        v2.update_route(ApiId=api, RouteId=route, AuthorizationType="JWT", AuthorizerId=authorizer,
                        AuthorizationScopes=["read"])
        cloud.apigateway.jwks_overrides[ISSUER] = jwks
        url = cloud.api_url(api) + "/me"
        now = cloud.clock.now()
        missing = requests.get(url, timeout=30)
        assert (missing.status_code, missing.text, missing.headers["www-authenticate"]) == (
            401, '{"message":"Unauthorized"}', "Bearer")
        wrong_aud = requests.get(url, headers={"Authorization": f"Bearer {token(private, now, aud='other')}"}, timeout=30)
        assert wrong_aud.status_code == 401 and "invalid_token" in wrong_aud.headers["www-authenticate"]
        good = requests.get(url, headers={"Authorization": f"Bearer {token(private, now)}"}, timeout=30)
        assert good.status_code == 200, good.text
        claims = good.json()["requestContext"]["authorizer"]["jwt"]
        assert claims["claims"]["sub"] == "u1" and claims["scopes"] == ["read"]
        expiring = token(private, now, exp=int(now) + 60)
        cloud.clock.advance(120)
        expired = requests.get(url, headers={"Authorization": f"Bearer {expiring}"}, timeout=30)
        assert expired.status_code == 401
        assert cloud.api_requests[-1].authorized is False


SIMPLE_AUTH = '''
def handler(event, context):
    ok = event["headers"].get("x-token") == "letmein"
    return {"isAuthorized": ok, "context": {"user": "ada"}}
'''


def test_lambda_request_authorizer_with_simple_responses():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        auth = make_function(cloud, "auth", SIMPLE_AUTH)
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="lam", ProtocolType="HTTP", Target=arn)["ApiId"]
        allow_apigateway(cloud, "echo", api)
        allow_apigateway(cloud, "auth", api)
        authorizer = v2.create_authorizer(
            ApiId=api, Name="simple", AuthorizerType="REQUEST", IdentitySource=["$request.header.x-token"],
            AuthorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{auth}/invocations",
            AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=0)["AuthorizerId"]
        route = v2.get_routes(ApiId=api)["Items"][0]["RouteId"]
        v2.update_route(ApiId=api, RouteId=route, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
        url = cloud.api_url(api) + "/x"
        assert requests.get(url, timeout=30).status_code == 401
        denied = requests.get(url, headers={"x-token": "nope"}, timeout=30)
        assert (denied.status_code, denied.text) == (403, '{"message":"Forbidden"}')
        ok = requests.get(url, headers={"x-token": "letmein"}, timeout=30)
        assert ok.status_code == 200
        assert ok.json()["requestContext"]["authorizer"]["lambda"] == {"user": "ada"}


def test_rest_cognito_user_pool_authorizer_with_the_clouds_own_pool():
    from .apigw_helpers import rest_proxy_api

    with Cloud(clock="wall", seed=1) as cloud:
        idp = cloud.client("cognito-idp")
        pool = idp.create_user_pool(PoolName="users")["UserPool"]
        client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        client_id = client["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool["Id"], Username="ada", TemporaryPassword="Passw0rd!x",
                              MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ada", Password="Passw0rd!x", Permanent=True)
        tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ada", "PASSWORD": "Passw0rd!x"})["AuthenticationResult"]
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, resource = rest_proxy_api(cloud, arn, stage="dev")
        ag = cloud.client("apigateway")
        authorizer = ag.create_authorizer(restApiId=api, name="pool", type="COGNITO_USER_POOLS",
                                          providerARNs=[pool["Arn"]], identitySource="method.request.header.Authorization")
        ag.update_method(restApiId=api, resourceId=resource, httpMethod="ANY", patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
            {"op": "replace", "path": "/authorizerId", "value": authorizer["id"]}])
        ag.create_deployment(restApiId=api, stageName="dev")
        url = cloud.api_url(api, "dev") + "/me"
        assert requests.get(url, timeout=30).status_code == 401
        assert requests.get(url, headers={"Authorization": "not-a-token"}, timeout=30).status_code == 401
        ok = requests.get(url, headers={"Authorization": tokens["IdToken"]}, timeout=30)
        assert ok.status_code == 200, ok.text
        assert ok.json()["requestContext"]["authorizer"]["claims"]["cognito:username"] == "ada"


def test_http_api_route_throttling():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="t", ProtocolType="HTTP", Target=arn)["ApiId"]
        allow_apigateway(cloud, "echo", api)
        v2.update_stage(ApiId=api, StageName="$default",
                        RouteSettings={"$default": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 1.0}})
        url = cloud.api_url(api)
        assert [cloud.http("GET", url).status for _ in range(3)] == [200, 429, 429]
        assert cloud.http("GET", url).text == '{"message":"Too Many Requests"}'
