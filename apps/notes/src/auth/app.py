"""Sign-up, sign-in and token refresh for the notes app (HTTP API routes without an authorizer).

Sign-up confirms the user at once with AdminConfirmSignUp, so the course needs no e-mail; a
production app would let Cognito e-mail a code and call ConfirmSignUp.
"""

import json
import os

import boto3

cognito = boto3.client("cognito-idp")
POOL, CLIENT = os.environ["USER_POOL_ID"], os.environ["CLIENT_ID"]
STATUS = {"UsernameExistsException": 409, "InvalidPasswordException": 400, "InvalidParameterException": 400,
          "NotAuthorizedException": 401, "UserNotFoundException": 401, "UserNotConfirmedException": 403}


def reply(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def tokens(result):
    out = {"idToken": result["IdToken"], "accessToken": result["AccessToken"], "expiresIn": result["ExpiresIn"]}
    if "RefreshToken" in result:
        out["refreshToken"] = result["RefreshToken"]
    return out


def handler(event, context):
    route = event["routeKey"]
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return reply(400, {"message": "the body must be JSON"})
    try:
        if route == "POST /auth/signup":
            out = cognito.sign_up(ClientId=CLIENT, Username=body["email"], Password=body["password"],
                                  UserAttributes=[{"Name": "email", "Value": body["email"]}])
            cognito.admin_confirm_sign_up(UserPoolId=POOL, Username=body["email"])
            return reply(201, {"userSub": out["UserSub"]})
        if route == "POST /auth/login":
            result = cognito.initiate_auth(ClientId=CLIENT, AuthFlow="USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": body["email"], "PASSWORD": body["password"]})
            return reply(200, tokens(result["AuthenticationResult"]))
        if route == "POST /auth/refresh":
            result = cognito.initiate_auth(ClientId=CLIENT, AuthFlow="REFRESH_TOKEN_AUTH",
                                           AuthParameters={"REFRESH_TOKEN": body["refreshToken"]})
            return reply(200, tokens(result["AuthenticationResult"]))
    except KeyError as exc:
        return reply(400, {"message": f"missing field {exc.args[0]}"})
    except cognito.exceptions.ClientError as exc:
        error = exc.response["Error"]
        return reply(STATUS.get(error["Code"], 400), {"message": error["Message"], "code": error["Code"]})
    return reply(404, {"message": "Not Found"})
