"""Cognito user pools (moto) as a real token issuer, and per-Cloud isolation of moto services."""

from __future__ import annotations

import jwt
import pytest

from minilambda import Cloud

PASSWORD = "Passw0rd!x"


def pool_and_client(cloud, **client):
    idp = cloud.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="p", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    pid = pool["UserPool"]["Id"]
    cid = idp.create_user_pool_client(UserPoolId=pid, ClientName="web", **client)["UserPoolClient"]["ClientId"]
    return idp, pid, cid


def sign_up(idp, cid, pid, email="ada@example.com", confirm=True):
    out = idp.sign_up(ClientId=cid, Username=email, Password=PASSWORD,
                      UserAttributes=[{"Name": "email", "Value": email}])
    if confirm:
        idp.admin_confirm_sign_up(UserPoolId=pid, Username=email)
    return out


def login(idp, cid, email="ada@example.com", password=PASSWORD):
    return idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]


def verify(cloud, pid, token, **options):
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pid}"
    keys = jwt.PyJWKSet.from_dict(cloud.cognito.jwks_for_issuer(issuer))
    key = keys[jwt.get_unverified_header(token)["kid"]].key
    return jwt.decode(token, key, algorithms=["RS256"], issuer=issuer, options={"verify_aud": False, **options})


def test_sign_up_confirm_sign_in_tokens_as_aws_shapes_them(vcloud):
    idp, pid, cid = pool_and_client(vcloud)
    out = sign_up(idp, cid, pid, confirm=False)
    assert out["UserConfirmed"] is False and out["UserSub"]
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        login(idp, cid)
    idp.admin_confirm_sign_up(UserPoolId=pid, Username="ada@example.com")
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        login(idp, cid, password="wrong-Passw0rd")
    result = login(idp, cid)
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600 and result["RefreshToken"]
    id_header, access_header = (jwt.get_unverified_header(result[k]) for k in ("IdToken", "AccessToken"))
    assert id_header["alg"] == access_header["alg"] == "RS256"
    assert id_header["kid"] != access_header["kid"]  # AWS signs the two token types with different keys
    claims = verify(vcloud, pid, result["IdToken"], verify_exp=False)
    assert claims["token_use"] == "id" and claims["aud"] == cid and claims["email"] == "ada@example.com"
    assert claims["sub"] == out["UserSub"] and claims["iat"] == claims["auth_time"] == 1_700_000_000
    assert claims["exp"] == 1_700_003_600 and {"event_id", "origin_jti", "jti", "email_verified"} <= set(claims)
    access = verify(vcloud, pid, result["AccessToken"], verify_exp=False)
    assert access["token_use"] == "access" and access["client_id"] == cid and "aud" not in access
    assert access["scope"] == "aws.cognito.signin.user.admin" and access["origin_jti"] == claims["origin_jti"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == claims["cognito:username"]


def test_refresh_keeps_auth_time_and_follows_the_virtual_clock(vcloud):
    idp, pid, cid = pool_and_client(vcloud, AccessTokenValidity=5, TokenValidityUnits={"AccessToken": "minutes"})
    sign_up(idp, cid, pid)
    first = login(idp, cid)
    assert verify(vcloud, pid, first["AccessToken"], verify_exp=False)["exp"] == 1_700_000_300
    vcloud.clock.advance(600)
    again = idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})["AuthenticationResult"]
    claims = verify(vcloud, pid, again["AccessToken"], verify_exp=False)
    assert claims["iat"] == 1_700_000_600 and claims["auth_time"] == 1_700_000_000
    assert claims["exp"] == 1_700_000_900


def test_jwks_only_for_the_clouds_own_pools(vcloud):
    _, pid, _ = pool_and_client(vcloud)
    jwks = vcloud.cognito.jwks_for_issuer(f"https://cognito-idp.us-east-1.amazonaws.com/{pid}/")
    assert [k["kty"] for k in jwks["keys"]] == ["RSA", "RSA"] and all(k["alg"] == "RS256" for k in jwks["keys"])
    assert vcloud.cognito.jwks_for_issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_nope") is None
    assert vcloud.cognito.jwks_for_issuer(f"https://cognito-idp.eu-west-1.amazonaws.com/{pid}") is None
    assert vcloud.cognito.jwks_for_issuer("https://evil.example.com/") is None


def test_two_clouds_share_no_pools_tables_or_keys():
    with Cloud(clock="virtual", seed=1) as a, Cloud(clock="virtual", seed=1) as b:
        idp_a, pid, cid = pool_and_client(a)
        sign_up(idp_a, cid, pid)
        token = login(idp_a, cid)["IdToken"]
        assert b.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []
        assert b.cognito.jwks_for_issuer(f"https://cognito-idp.us-east-1.amazonaws.com/{pid}") is None
        a.client("dynamodb").create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                                          KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                          AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        assert b.client("dynamodb").list_tables()["TableNames"] == []
        assert verify(a, pid, token, verify_exp=False)["token_use"] == "id"
    with pytest.raises(Exception, match="closed"):
        a.client("dynamodb").list_tables()


def test_handlers_reach_dynamodb_and_cognito_through_the_endpoint(vcloud):
    import boto3

    session = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda", region_name="us-east-1")
    ddb = session.client("dynamodb", endpoint_url=vcloud.endpoint_url)
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert vcloud.client("dynamodb").list_tables()["TableNames"] == ["t"]
    arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    streams = session.client("dynamodbstreams", endpoint_url=vcloud.endpoint_url)
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamViewType"] == "KEYS_ONLY"
    idp = session.client("cognito-idp", endpoint_url=vcloud.endpoint_url)
    assert idp.list_user_pools(MaxResults=5)["UserPools"] == []
