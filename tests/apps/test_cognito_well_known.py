"""A user pool's issuer documents (JWKS, OpenID configuration) served over HTTP on the Cloud's loopback
endpoint, as ``https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/…`` serves them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import jwt
import pytest

from minilambda.wire.loopback import service_of
from minilambda.wire.messages import Request

from .test_cognito import login, pool_and_client, sign_up


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    """(status, content type, parsed JSON body) of one GET over loopback."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers.get("content-type", ""), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("content-type", ""), json.loads(err.read())


def test_pyjwkclient_verifies_an_id_token_against_the_local_jwks(vcloud):
    idp, pid, cid = pool_and_client(vcloud)
    sign_up(idp, cid, pid)
    token = login(idp, cid)["IdToken"]
    issuer_url = vcloud.cognito_issuer_url(pid)
    assert issuer_url == f"{vcloud.endpoint_url}/{pid}" and issuer_url.startswith("http://127.0.0.1:")
    client = jwt.PyJWKClient(issuer_url + "/.well-known/jwks.json", cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=cid,
                        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pid}", options={"verify_exp": False})
    assert claims["token_use"] == "id" and claims["email"] == "ada@example.com"
    status, kind, body = get(issuer_url + "/.well-known/jwks.json")
    assert status == 200 and kind == "application/json"
    assert body == vcloud.cognito.jwks(pid) and len(body["keys"]) == 2  # ID and access tokens' keys
    assert {k["kid"] for k in body["keys"]} >= {jwt.get_unverified_header(token)["kid"]}


def test_a_token_from_another_pool_finds_no_key(vcloud):
    idp, pid, cid = pool_and_client(vcloud)
    sign_up(idp, cid, pid)
    token = login(idp, cid)["IdToken"]
    other = idp.create_user_pool(PoolName="other")["UserPool"]["Id"]
    client = jwt.PyJWKClient(vcloud.cognito_issuer_url(other) + "/.well-known/jwks.json", cache_keys=False)
    with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
        client.get_signing_key_from_jwt(token)


def test_openid_configuration_has_awss_fields(vcloud):
    _, pid, _ = pool_and_client(vcloud)
    status, kind, doc = get(vcloud.cognito_issuer_url(pid) + "/.well-known/openid-configuration")
    assert status == 200 and kind == "application/json"
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pid}"
    assert doc["issuer"] == issuer  # the tokens' iss, not the local URL
    assert doc["jwks_uri"] == vcloud.cognito_issuer_url(pid) + "/.well-known/jwks.json"  # stays on loopback
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["subject_types_supported"] == ["public"] and doc["response_types_supported"] == ["code", "token"]
    assert doc["scopes_supported"] == ["openid", "email", "phone", "profile"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert doc["authorization_endpoint"] == issuer + "/authorize"  # no domain: the issuer's host
    assert list(doc) == sorted(doc)  # AWS lists the fields alphabetically


def test_asked_as_awss_host_it_answers_awss_document_and_a_domain_moves_the_oauth_endpoints(vcloud):
    idp, pid, _ = pool_and_client(vcloud)
    idp.create_user_pool_domain(Domain="notes-demo", UserPoolId=pid)
    host = "cognito-idp.us-east-1.amazonaws.com"
    doc = vcloud.cognito.well_known(f"/{pid}/.well-known/openid-configuration", host)[1]
    assert doc["jwks_uri"] == f"https://{host}/{pid}/.well-known/jwks.json"
    oauth = "https://notes-demo.auth.us-east-1.amazoncognito.com/oauth2"
    assert (doc["authorization_endpoint"], doc["token_endpoint"], doc["userinfo_endpoint"]) == (
        oauth + "/authorize", oauth + "/token", oauth + "/userInfo")


@pytest.mark.parametrize("document", ["jwks.json", "openid-configuration"])
def test_an_unknown_pool_is_a_404_naming_it(vcloud, document):
    status, kind, body = get(f"{vcloud.endpoint_url}/us-east-1_NoSuchPool/.well-known/{document}")
    assert (status, kind) == (404, "application/json")
    assert body == {"message": "User pool us-east-1_NoSuchPool does not exist."}


def test_only_pool_shaped_well_known_gets_go_to_cognito():
    def service(method: str, path: str) -> str | None:
        return service_of(Request.from_url(method, path, {}, b""), "s3")

    assert service("GET", "/eu-west-1_AbC12/.well-known/jwks.json") == "cognito-idp"
    assert service("GET", "/us-east-1_x/.well-known/openid-configuration") == "cognito-idp"
    assert service("GET", "/my-bucket/.well-known/jwks.json") == "s3"  # no "_": a bucket's object
    assert service("PUT", "/us-east-1_x/.well-known/jwks.json") == "s3"
    assert service("GET", "/us-east-1_x/.well-known/other.json") == "s3"


HANDLER = '''import json, os, urllib.request

def handler(event, context):
    url = os.environ["AWS_ENDPOINT_URL"] + "/" + event["pool"] + "/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return {"status": resp.status, "kids": [k["kid"] for k in json.load(resp)["keys"]]}
'''


@pytest.mark.process
def test_a_handler_fetches_its_pools_jwks_from_the_cloud(vcloud):
    from minilambda import zip_files

    _, pid, _ = pool_and_client(vcloud)
    lam = vcloud.client("lambda")
    lam.create_function(FunctionName="verify", Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": zip_files({"app.py": HANDLER})})
    out = json.loads(lam.invoke(FunctionName="verify", Payload=json.dumps({"pool": pid}).encode())["Payload"].read())
    assert out == {"status": 200, "kids": [k["kid"] for k in vcloud.cognito.jwks(pid)["keys"]]}
