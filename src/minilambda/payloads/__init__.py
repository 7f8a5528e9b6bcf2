"""Event builders: the exact JSON shapes AWS hands a Lambda function for each trigger.

Each builder returns a plain ``dict`` (ready for ``json.dumps``) with AWS's keys, in AWS's order,
``null`` where AWS sends ``null`` and absent where AWS leaves a key out. The simulator's own
services (SQS, S3, SNS, EventBridge) build their events with these functions, so each shape has
one source.

Pass ``rng=random.Random(seed)`` (or explicit ids and times) for deterministic output.

>>> import random
>>> e = sqs_event(["hello"], queue_arn="arn:aws:sqs:us-east-1:123456789012:q", rng=random.Random(1),
...               time=1_700_000_000.0)
>>> e["Records"][0]["body"], e["Records"][0]["eventSource"], e["Records"][0]["awsRegion"]
('hello', 'aws:sqs', 'us-east-1')
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import struct
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, quote_plus

from ..ids import new_uuid
from ..isotime import _epoch, iso_millis, iso_seconds

__all__ = [
    "api_gateway_rest_event", "api_gateway_http_event", "s3_event", "s3_record", "s3_key_for_event",
    "sqs_event", "sqs_record", "sns_event", "sns_record", "sns_envelope", "scheduled_event",
    "eventbridge_event", "dynamodb_stream_event", "dynamodb_record", "to_dynamodb_json",
    "md5_of_message_attributes", "iso_millis", "iso_seconds",
]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


# ---------------------------------------------------------------------------------------------
# small helpers


def _rng(rng: random.Random | None) -> random.Random:
    return rng if rng is not None else random.Random()


def _hex(rng: random.Random | None, n: int, upper: bool = True) -> str:
    s = "".join(_rng(rng).choice("0123456789abcdef") for _ in range(n))
    return s.upper() if upper else s


def _arn_parts(arn: str) -> tuple[str, str]:
    """(region, account) of an ARN."""
    parts = arn.split(":")
    return (parts[3] if len(parts) > 3 else DEFAULT_REGION,
            parts[4] if len(parts) > 4 else DEFAULT_ACCOUNT)


def _pairs(items: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    """Header/query input as (name, value) pairs; list values expand to repeated names."""
    if items is None:
        return []
    seq = items.items() if isinstance(items, Mapping) else items
    out: list[tuple[str, str]] = []
    for k, v in seq:
        if isinstance(v, (list, tuple)):
            out.extend((k, str(x)) for x in v)
        else:
            out.append((k, str(v)))
    return out


def _query_pairs(query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?").split("#", 1)[0], keep_blank_values=True)
    return _pairs(query)


def _body(body: Any) -> tuple[str | None, bool]:
    """(body string, isBase64Encoded) as API Gateway passes it."""
    if body is None:
        return None, False
    if isinstance(body, (bytes, bytearray)):
        try:
            return bytes(body).decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(bytes(body)).decode(), True
    if isinstance(body, str):
        return body, False
    return json.dumps(body), False


# ---------------------------------------------------------------------------------------------
# API Gateway


def api_gateway_rest_event(method: str = "GET", path: str = "/", *, resource: str | None = None,
                           path_parameters: Mapping[str, str] | None = None,
                           query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           body: Any = None, stage: str = "prod",
                           stage_variables: Mapping[str, str] | None = None,
                           is_base64_encoded: bool | None = None,
                           account_id: str = DEFAULT_ACCOUNT, api_id: str | None = None,
                           region: str = DEFAULT_REGION, request_id: str | None = None,
                           time: float | datetime | None = None, source_ip: str = "127.0.0.1",
                           authorizer: Mapping[str, Any] | None = None,
                           gateway_headers: bool = False, context_path: str | None = None,
                           rng: random.Random | None = None) -> dict[str, Any]:
    """A REST API (payload format 1.0) ``AWS_PROXY`` event.

    *path* is the request path **without** the stage (``requestContext.path`` gets
    ``/<stage><path>``). *resource* defaults to *path* (a literal resource, ``pathParameters``
    null); for a greedy resource pass ``resource="/{proxy+}", path_parameters={"proxy": ...}``.
    *query* may be a raw query string (``"a=1&a=2"``, URL-decoded like API Gateway, ``+`` →
    space), a dict (list values repeat a key) or pairs; a repeated key keeps its **last** value in
    ``queryStringParameters`` and all values in ``multiValueQueryStringParameters``. Absent parts
    are ``None`` (JSON null), as on AWS. Header names keep their casing, except ``Authorization``,
    which API Gateway normalises. ``gateway_headers=True`` adds the headers API Gateway itself
    adds (Host, X-Amzn-Trace-Id, X-Forwarded-For/Port/Proto). *context_path* overrides
    ``requestContext.path`` with the path exactly as requested (AWS keeps duplicate slashes
    there, e.g. ``/stage//proxy-value``, while ``path`` drops them).

    >>> e = api_gateway_rest_event("GET", "/pets/7", resource="/pets/{id}",
    ...     path_parameters={"id": "7"}, query="price=10&price=20", stage="stage")
    >>> e["path"], e["requestContext"]["path"], e["queryStringParameters"], e["body"]
    ('/pets/7', '/stage/pets/7', {'price': '20'}, None)
    >>> e["multiValueQueryStringParameters"]
    {'price': ['10', '20']}
    """
    r = _rng(rng)
    api_id = api_id or "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    t = _epoch(time)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    hpairs = []
    for k, v in _pairs(headers):
        hpairs.append(("Authorization" if k.lower() == "authorization" else k, v))
    if gateway_headers:
        present = {k.lower() for k, _ in hpairs}
        extra = [("Host", domain),
                 ("X-Amzn-Trace-Id", f"Root=1-{int(t):08x}-{_hex(r, 24, upper=False)}"),
                 ("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"),
                 ("X-Forwarded-Proto", "https")]
        hpairs.extend((k, v) for k, v in extra if k.lower() not in present)
    hdrs: dict[str, str] | None = None
    mvh: dict[str, list[str]] | None = None
    if hpairs:
        hdrs, mvh = {}, {}
        for k, v in hpairs:
            hdrs[k] = v
            mvh.setdefault(k, []).append(v)
    qpairs = _query_pairs(query)
    qs: dict[str, str] | None = None
    mvq: dict[str, list[str]] | None = None
    if qpairs:
        qs, mvq = {}, {}
        for k, v in qpairs:
            qs[k] = v
            mvq.setdefault(k, []).append(v)
    text, b64 = _body(body)
    if is_base64_encoded is not None:
        b64 = is_base64_encoded
    user_agent = (hdrs or {}).get("User-Agent") or next(
        (v for k, v in (hdrs or {}).items() if k.lower() == "user-agent"), None)
    resource = resource or path
    dt = datetime.fromtimestamp(t, timezone.utc)
    ctx: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
    }
    if authorizer is not None:
        ctx["authorizer"] = dict(authorizer)
    ctx.update({
        "deploymentId": _hex(r, 6, upper=False),
        "domainName": domain,
        "domainPrefix": api_id,
        "extendedRequestId": base64.b64encode(r.getrandbits(96).to_bytes(12, "big")).decode()[:15] + "=",
        "httpMethod": method.upper(),
        "identity": {
            "accessKey": None, "accountId": None, "caller": None,
            "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
            "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None,
            "sourceIp": source_ip, "user": None, "userAgent": user_agent, "userArn": None,
        },
        "path": context_path if context_path is not None else f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id or new_uuid(r),
        "requestTime": dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(t * 1000),
        "resourceId": _hex(r, 6, upper=False),
        "resourcePath": resource,
        "stage": stage,
    })
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": mvh,
        "queryStringParameters": qs,
        "multiValueQueryStringParameters": mvq,
        "requestContext": ctx,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "body": text,
        "isBase64Encoded": b64,
    }


def api_gateway_http_event(method: str = "GET", path: str = "/", *, route_key: str | None = None,
                           path_parameters: Mapping[str, str] | None = None,
                           query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           cookies: Sequence[str] | None = None, body: Any = None,
                           stage: str = "$default", stage_variables: Mapping[str, str] | None = None,
                           is_base64_encoded: bool | None = None,
                           account_id: str = DEFAULT_ACCOUNT, api_id: str | None = None,
                           region: str = DEFAULT_REGION, request_id: str | None = None,
                           time: float | datetime | None = None, source_ip: str = "127.0.0.1",
                           authorizer: Mapping[str, Any] | None = None,
                           rng: random.Random | None = None) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event.

    Header names are lower-cased and repeated headers comma-joined; ``Cookie`` headers move to
    ``cookies`` (split on ``;``); repeated query keys are comma-joined in
    ``queryStringParameters``; ``rawQueryString`` is the query as sent. Optional parts that are
    absent (``cookies``, ``queryStringParameters``, ``pathParameters``, ``stageVariables``,
    ``body``, ``authorizer``) are **omitted**, not null. For a named stage, ``rawPath`` and
    ``requestContext.http.path`` start with ``/<stage>``. *route_key* defaults to ``"$default"``.

    >>> e = api_gateway_http_event("POST", "/items", route_key="POST /items",
    ...     headers=[("X-A", "1"), ("x-a", "2"), ("Cookie", "s=1; t=2")], query="q=1&q=2", body="hi")
    >>> e["headers"], e["cookies"], e["queryStringParameters"], e["rawQueryString"]
    ({'x-a': '1,2'}, ['s=1', 't=2'], {'q': '1,2'}, 'q=1&q=2')
    >>> "pathParameters" in e, e["routeKey"], e["requestContext"]["http"]["method"]
    (False, 'POST /items', 'POST')
    """
    r = _rng(rng)
    api_id = api_id or "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    t = _epoch(time)
    route_key = route_key or "$default"
    hdrs: dict[str, str] = {}
    cookie_list: list[str] = list(cookies or [])
    for k, v in _pairs(headers):
        lk = k.lower()
        if lk == "cookie":
            cookie_list.extend(c.strip() for c in v.split(";") if c.strip())
            continue
        hdrs[lk] = f"{hdrs[lk]},{v}" if lk in hdrs else v
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    if isinstance(query, str):
        raw_qs = query.lstrip("?").split("#", 1)[0]
    else:
        raw_qs = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in _query_pairs(query))
    qs: dict[str, str] = {}
    for k, v in _query_pairs(query):
        qs[k] = f"{qs[k]},{v}" if k in qs else v
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    text, b64 = _body(body)
    if is_base64_encoded is not None:
        b64 = is_base64_encoded
    dt = datetime.fromtimestamp(t, timezone.utc)
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": raw_path,
                             "rawQueryString": raw_qs}
    if cookie_list:
        event["cookies"] = cookie_list
    event["headers"] = hdrs
    if qs:
        event["queryStringParameters"] = qs
    ctx: dict[str, Any] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        ctx["authorizer"] = dict(authorizer)
    ctx.update({
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {"method": method.upper(), "path": raw_path, "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": hdrs.get("user-agent", "")},
        "requestId": request_id or base64.b64encode(r.getrandbits(96).to_bytes(12, "big")).decode()[:15] + "=",
        "routeKey": route_key,
        "stage": stage,
        "time": dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(t * 1000),
    })
    event["requestContext"] = ctx
    if text is not None:
        event["body"] = text
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = b64
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event


# ---------------------------------------------------------------------------------------------
# S3


def s3_key_for_event(key: str) -> str:
    """How S3 writes an object key in an event: URL-encoded, spaces as ``+``, ``/`` kept.

    >>> s3_key_for_event("photos/my cat+dog.jpg")
    'photos/my+cat%2Bdog.jpg'
    """
    return quote_plus(key, safe="/")


def s3_record(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 0,
              etag: str | None = None, version_id: str | None = None, sequencer: str | None = None,
              region: str = DEFAULT_REGION, time: float | datetime | None = None,
              configuration_id: str = "minilambda-notification",
              principal_id: str = "AWS:AIDAINPONIXQXHT3IKHL2", owner_id: str = "A3I5XTEXAMAI3E",
              source_ip: str = "127.0.0.1", request_id: str | None = None,
              rng: random.Random | None = None) -> dict[str, Any]:
    """One S3 event record (``key`` is the raw key; it is URL-encoded as S3 does)."""
    r = _rng(rng)
    obj: dict[str, Any] = {"key": s3_key_for_event(key)}
    if not event_name.startswith("ObjectRemoved"):
        obj["size"] = int(size or 0)
        obj["eTag"] = (etag or hashlib.md5(b"").hexdigest()).strip('"')
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = sequencer or _hex(r, 18)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_millis(time),
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id or _hex(r, 16),
                             "x-amz-id-2": base64.b64encode(r.getrandbits(384).to_bytes(48, "big")).decode()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": owner_id},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def s3_event(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 0,
             etag: str | None = None, region: str = DEFAULT_REGION,
             time: float | datetime | None = None, **kwargs: Any) -> dict[str, Any]:
    """An S3 notification event with one record (see ``s3_record`` for the other options).

    >>> e = s3_event("my-bucket", "in/a b.txt", size=5, etag='"5d41402abc4b2a76b9719d911017c592"')
    >>> o = e["Records"][0]["s3"]["object"]
    >>> o["key"], o["size"], o["eTag"], e["Records"][0]["eventName"]
    ('in/a+b.txt', 5, '5d41402abc4b2a76b9719d911017c592', 'ObjectCreated:Put')
    """
    return {"Records": [s3_record(bucket, key, event_name=event_name, size=size, etag=etag,
                                  region=region, time=time, **kwargs)]}


# ---------------------------------------------------------------------------------------------
# SQS


def md5_of_message_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """SQS's ``MD5OfMessageAttributes``: MD5 over the sorted attributes, each encoded as
    length-prefixed name, data type, a transport byte (1 string/number, 2 binary) and value.
    None when there are no attributes."""
    if not attributes:
        return None
    buf = bytearray()

    def put(b: bytes) -> None:
        buf.extend(struct.pack(">I", len(b)))
        buf.extend(b)

    for name in sorted(attributes):
        attr = attributes[name]
        dtype = attr.get("DataType") or attr.get("dataType") or "String"
        put(name.encode())
        put(dtype.encode())
        binary = attr.get("BinaryValue", attr.get("binaryValue"))
        if dtype.startswith("Binary") or (binary is not None and attr.get("StringValue") is None):
            buf.append(2)
            if isinstance(binary, str):
                binary = base64.b64decode(binary)
            put(bytes(binary or b""))
        else:
            buf.append(1)
            put(str(attr.get("StringValue", attr.get("stringValue", ""))).encode())
    return hashlib.md5(bytes(buf)).hexdigest()


def _lambda_message_attributes(attrs: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """SQS API message attributes (``StringValue``/``DataType``) as the Lambda record spells them."""
    out: dict[str, Any] = {}
    for name, a in (attrs or {}).items():
        item: dict[str, Any] = {}
        if a.get("StringValue") is not None:
            item["stringValue"] = a["StringValue"]
        if a.get("BinaryValue") is not None:
            b = a["BinaryValue"]
            item["binaryValue"] = b if isinstance(b, str) else base64.b64encode(bytes(b)).decode()
        item["stringListValues"] = list(a.get("StringListValues") or [])
        item["binaryListValues"] = list(a.get("BinaryListValues") or [])
        item["dataType"] = a.get("DataType", "String")
        out[name] = item
    return out


def sqs_record(body: str, *, queue_arn: str, message_id: str | None = None,
               receipt_handle: str | None = None, receive_count: int = 1,
               sent_timestamp: int | None = None, first_receive_timestamp: int | None = None,
               sender_id: str = "AIDAIENQZJOLO23YVJ4VO",
               message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
               extra_attributes: Mapping[str, str] | None = None,
               rng: random.Random | None = None, time: float | datetime | None = None) -> dict[str, Any]:
    """One SQS record as the Lambda event source mapping delivers it (AWS's key order).

    *message_attributes* use the SQS API spelling (``{"k": {"DataType": "String",
    "StringValue": "v"}}``); the record converts them to ``stringValue``/``dataType``.
    """
    r = _rng(rng)
    now_ms = int(_epoch(time) * 1000)
    sent = now_ms if sent_timestamp is None else int(sent_timestamp)
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": sender_id,
        "ApproximateFirstReceiveTimestamp": str(first_receive_timestamp if first_receive_timestamp
                                                is not None else max(sent, now_ms)),
    }
    if extra_attributes:
        attributes.update(extra_attributes)
    region = _arn_parts(queue_arn)[0]
    return {
        "messageId": message_id or new_uuid(r),
        "receiptHandle": receipt_handle or base64.b64encode(r.getrandbits(512).to_bytes(64, "big")).decode(),
        "body": body,
        "attributes": attributes,
        "messageAttributes": _lambda_message_attributes(message_attributes),
        "md5OfMessageAttributes": md5_of_message_attributes(message_attributes),
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(bodies_or_messages: Iterable[Any], *,
              queue_arn: str = f"arn:aws:sqs:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:my-queue",
              rng: random.Random | None = None, time: float | datetime | None = None) -> dict[str, Any]:
    """An SQS event-source-mapping event.

    Each item is a body string, a dict of ``sqs_record`` keyword arguments (``{"body": ...,
    "message_attributes": ...}``), or an object with ``to_lambda_record()`` (the simulator's
    own SQS messages).

    >>> import random
    >>> e = sqs_event(["a", {"body": "b", "receive_count": 2}], rng=random.Random(0), time=0)
    >>> [r["body"] for r in e["Records"]], e["Records"][1]["attributes"]["ApproximateReceiveCount"]
    (['a', 'b'], '2')
    """
    records = []
    for item in bodies_or_messages:
        if hasattr(item, "to_lambda_record"):  # an SQS message of the SQS backend
            records.append(item.to_lambda_record())
        elif isinstance(item, Mapping):
            kw = dict(item)
            body = kw.pop("body")
            kw.setdefault("queue_arn", queue_arn)
            kw.setdefault("rng", rng)
            kw.setdefault("time", time)
            records.append(sqs_record(body, **kw))
        else:
            records.append(sqs_record(str(item), queue_arn=queue_arn, rng=rng, time=time))
    return {"Records": records}


# ---------------------------------------------------------------------------------------------
# SNS


def _sns_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """Message attributes as SNS delivers them: ``{"name": {"Type": ..., "Value": ...}}``.

    Accepts plain values (``{"k": "v"}``, numbers become ``Number``), SNS delivery form
    (``{"Type", "Value"}``) or the publish API form (``{"DataType", "StringValue"|"BinaryValue"}``).
    """
    out: dict[str, dict[str, str]] = {}
    for name, a in (attributes or {}).items():
        if isinstance(a, Mapping) and "Type" in a:
            out[name] = {"Type": a["Type"], "Value": a["Value"]}
        elif isinstance(a, Mapping):
            dtype = a.get("DataType", "String")
            if a.get("BinaryValue") is not None:
                b = a["BinaryValue"]
                value = b if isinstance(b, str) else base64.b64encode(bytes(b)).decode()
            else:
                value = a.get("StringValue", "")
            out[name] = {"Type": dtype, "Value": value}
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            out[name] = {"Type": "Number", "Value": str(a)}
        else:
            out[name] = {"Type": "String", "Value": str(a)}
    return out


def _sns_common(message: str, topic_arn: str, subscription_arn: str | None, message_id: str,
                timestamp: str) -> tuple[str, str, str, str]:
    region = _arn_parts(topic_arn)[0]
    sig = base64.b64encode(hashlib.sha256(f"{message_id}{message}".encode()).digest() * 8).decode()
    cert = f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
    unsub = (f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
             f"{subscription_arn or topic_arn}")
    return region, sig, cert, unsub


def sns_record(message: str, *, topic_arn: str, subject: str | None = None,
               attributes: Mapping[str, Any] | None = None, message_id: str | None = None,
               subscription_arn: str | None = None, time: float | datetime | None = None,
               rng: random.Random | None = None) -> dict[str, Any]:
    """One SNS record as Lambda receives it (capitalised keys; ``Subject`` null when absent)."""
    r = _rng(rng)
    message_id = message_id or new_uuid(r)
    subscription_arn = subscription_arn or f"{topic_arn}:{new_uuid(r)}"
    ts = iso_millis(time)
    _, sig, cert, unsub = _sns_common(message, topic_arn, subscription_arn, message_id, ts)
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": ts,
            "Signature": sig,
            "SigningCertUrl": cert,
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": _sns_attributes(attributes),
            "Type": "Notification",
            "UnsubscribeUrl": unsub,
            "TopicArn": topic_arn,
            "Subject": subject,
        },
    }


def sns_event(message: str, *, topic_arn: str = f"arn:aws:sns:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:my-topic",
              subject: str | None = None, attributes: Mapping[str, Any] | None = None,
              **kwargs: Any) -> dict[str, Any]:
    """An SNS event for Lambda (one record).

    >>> e = sns_event("Hello from SNS!", attributes={"Test": "TestString"})
    >>> s = e["Records"][0]["Sns"]
    >>> s["Message"], s["MessageAttributes"], s["Subject"], s["Type"]
    ('Hello from SNS!', {'Test': {'Type': 'String', 'Value': 'TestString'}}, None, 'Notification')
    """
    return {"Records": [sns_record(message, topic_arn=topic_arn, subject=subject,
                                   attributes=attributes, **kwargs)]}


def sns_envelope(message: str, *, topic_arn: str, subject: str | None = None,
                 attributes: Mapping[str, Any] | None = None, message_id: str | None = None,
                 subscription_arn: str | None = None, time: float | datetime | None = None,
                 rng: random.Random | None = None) -> str:
    """The JSON document SNS puts in an SQS message body (non-raw delivery).

    Note the spellings differ from the Lambda record: ``SigningCertURL``/``UnsubscribeURL``;
    ``Subject`` and ``MessageAttributes`` are omitted when absent; AWS pretty-prints it with
    ``" : "`` separators.
    """
    r = _rng(rng)
    message_id = message_id or new_uuid(r)
    ts = iso_millis(time)
    _, sig, cert, unsub = _sns_common(message, topic_arn, subscription_arn, message_id, ts)
    doc: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn}
    if subject is not None:
        doc["Subject"] = subject
    doc.update({"Message": message, "Timestamp": ts, "SignatureVersion": "1", "Signature": sig,
                "SigningCertURL": cert, "UnsubscribeURL": unsub})
    attrs = _sns_attributes(attributes)
    if attrs:
        doc["MessageAttributes"] = attrs
    return json.dumps(doc, indent=2, separators=(",", " : "))


# ---------------------------------------------------------------------------------------------
# EventBridge


def eventbridge_event(source: str, detail_type: str, detail: Any = None, *,
                      resources: Sequence[str] = (), account_id: str = DEFAULT_ACCOUNT,
                      region: str = DEFAULT_REGION, time: float | datetime | None = None,
                      event_id: str | None = None, rng: random.Random | None = None) -> dict[str, Any]:
    """An EventBridge event as a target receives it.

    >>> e = eventbridge_event("my.app", "Order Placed", {"id": 1}, time=0, event_id="x")
    >>> list(e)
    ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']
    """
    return {
        "version": "0",
        "id": event_id or new_uuid(rng),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": iso_seconds(time),
        "region": region,
        "resources": list(resources),
        "detail": {} if detail is None else detail,
    }


def scheduled_event(rule_arn: str = f"arn:aws:events:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:rule/my-schedule",
                    *, time: float | datetime | None = None, event_id: str | None = None,
                    rng: random.Random | None = None) -> dict[str, Any]:
    """EventBridge's ``Scheduled Event`` (account and region come from the rule ARN).

    >>> e = scheduled_event("arn:aws:events:us-east-2:123456789012:rule/my-schedule",
    ...                     time=1551403425, event_id="cdc73f9d-aea9-11e3-9d5a-835b769c0d9c")
    >>> e["detail-type"], e["source"], e["time"], e["region"], e["detail"]
    ('Scheduled Event', 'aws.events', '2019-03-01T01:23:45Z', 'us-east-2', {})
    """
    region, account = _arn_parts(rule_arn)
    return eventbridge_event("aws.events", "Scheduled Event", {}, resources=[rule_arn],
                             account_id=account, region=region, time=time, event_id=event_id, rng=rng)


# ---------------------------------------------------------------------------------------------
# DynamoDB Streams


def to_dynamodb_json(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB typed attribute value.

    >>> to_dynamodb_json({"id": 101, "tags": {"a", "b"}, "ok": True, "n": None})
    {'M': {'id': {'N': '101'}, 'tags': {'SS': ['a', 'b']}, 'ok': {'BOOL': True}, 'n': {'NULL': True}}}
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=str)
        if all(isinstance(v, str) for v in items):
            return {"SS": items}
        if all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in items):
            return {"NS": [str(v) for v in items]}
        if all(isinstance(v, (bytes, bytearray)) for v in items):
            return {"BS": [base64.b64encode(bytes(v)).decode() for v in items]}
        raise TypeError("a DynamoDB set must hold only strings, only numbers or only binary values")
    if isinstance(value, Mapping):
        return {"M": {str(k): to_dynamodb_json(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb_json(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _typed_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    out = {}
    for k, v in item.items():
        is_typed = (isinstance(v, Mapping) and len(v) == 1
                    and next(iter(v)) in {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
        out[k] = dict(v) if is_typed else to_dynamodb_json(v)
    return out


def dynamodb_record(event_name: str, keys: Mapping[str, Any], *, new_image: Mapping[str, Any] | None = None,
                    old_image: Mapping[str, Any] | None = None,
                    table_arn: str = f"arn:aws:dynamodb:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:table/TestTable",
                    stream_label: str = "2015-05-11T21:21:33.291",
                    stream_view_type: str = "NEW_AND_OLD_IMAGES", sequence_number: str | int = "111",
                    event_id: str | None = None, time: float | datetime | None = None,
                    rng: random.Random | None = None) -> dict[str, Any]:
    """One DynamoDB Streams record; *keys*/*images* may be plain Python values or typed JSON.

    ``INSERT`` carries ``NewImage``, ``MODIFY`` both images, ``REMOVE`` ``OldImage``, filtered by
    *stream_view_type* (``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE``, ``NEW_AND_OLD_IMAGES``).
    """
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError(f"event_name must be INSERT, MODIFY or REMOVE, not {event_name!r}")
    region, _ = _arn_parts(table_arn)
    ddb: dict[str, Any] = {"ApproximateCreationDateTime": int(_epoch(time)), "Keys": _typed_item(keys)}
    want_new = stream_view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    want_old = stream_view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    if want_new and event_name in ("INSERT", "MODIFY") and new_image is not None:
        ddb["NewImage"] = _typed_item(new_image)
    if want_old and event_name in ("MODIFY", "REMOVE") and old_image is not None:
        ddb["OldImage"] = _typed_item(old_image)
    sizes = json.dumps([ddb.get("Keys"), ddb.get("NewImage"), ddb.get("OldImage")], separators=(",", ":"))
    ddb.update({"SequenceNumber": str(sequence_number), "SizeBytes": len(sizes) // 2,
                "StreamViewType": stream_view_type})
    return {
        "eventID": event_id or _hex(rng, 32, upper=False),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": ddb,
        "eventSourceARN": f"{table_arn}/stream/{stream_label}",
    }


def dynamodb_stream_event(*records: Mapping[str, Any] | tuple, **defaults: Any) -> dict[str, Any]:
    """A DynamoDB Streams event. Each record is a ``dynamodb_record(...)`` dict or a tuple
    ``(event_name, keys, new_image, old_image)`` (images may be None); *defaults* go to
    ``dynamodb_record`` (``table_arn``, ``rng``…). Sequence numbers increase from 111.

    >>> e = dynamodb_stream_event(("INSERT", {"Id": 101}, {"Id": 101, "Message": "New item!"}, None),
    ...                           event_id="1")
    >>> r = e["Records"][0]
    >>> r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"]["NewImage"]["Message"]
    ('INSERT', {'Id': {'N': '101'}}, {'S': 'New item!'})
    """
    out = []
    for i, rec in enumerate(records):
        if isinstance(rec, Mapping):
            out.append(dict(rec))
            continue
        name, keys, new, old = (tuple(rec) + (None, None))[:4]
        kw = dict(defaults)
        kw.setdefault("sequence_number", str(111 + i))
        out.append(dynamodb_record(name, keys, new_image=new, old_image=old, **kw))
    return {"Records": out}
