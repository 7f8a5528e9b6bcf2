"""minilambda's Python runtime client: speaks the Lambda Runtime API like awslambdaric does.

Run as a script (``python -I -S -B -u bootstrap.py [options]``), never imported from minilambda:
it uses the standard library only, so that it starts fast and leaves the handler's import path
as AWS's (task root, layers, the runtime folder with boto3, the standard library).

The fork server (``forkserver.py``) imports it once and calls :func:`main` in each forked
runtime; with ``AWS_LAMBDA_EXEC_WRAPPER`` it runs as a script (``bootstrap.py [--layer DIR]``).

Error payloads, log lines and the context object follow awslambdaric 4.2.2.
"""

import os
import sys

_SIGKILL = 9
_API_PREFIX = "/2018-06-01/runtime"
_ERROR_LOG_IDENT = "\u00a0"
_LAMBDA_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


# --- Runtime API client ----------------------------------------------------------------------


class _Api:
    """A keep-alive HTTP/1.1 client for the Runtime API over one TCP connection."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.host = address
        self.sock = None
        self.buf = b""

    def _connect(self):
        import socket

        sock = socket.create_connection(self.address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = b""

    def request(self, method, path, body=b"", headers=None):
        """Send one request; return (status, headers, body)."""
        if self.sock is None:
            self._connect()
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, path, self.host, len(body))
        if headers:
            for key, value in headers.items():
                head += "%s: %s\r\n" % (key, value)
        head = (head + "\r\n").encode("latin-1")
        if len(body) < 65536:
            self.sock.sendall(head + body)
        else:
            self.sock.sendall(head)
            self.sock.sendall(body)
        return self._response()

    def _response(self):
        sock = self.sock
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("Runtime API closed the connection")
            buf += chunk
        lines = buf[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        start = end + 4
        have = len(buf) - start
        if have >= length:
            body = buf[start:start + length]
            self.buf = buf[start + length:]
        else:
            body = bytearray(length)
            view = memoryview(body)
            view[:have] = buf[start:]
            while have < length:
                n = sock.recv_into(view[have:])
                if not n:
                    raise ConnectionError("Runtime API closed the connection")
                have += n
            body = bytes(body)
            self.buf = b""
        return status, headers, body


# --- handler model (as awslambdaric) ---------------------------------------------------------


class _Fault(Exception):
    """A runtime fault with an AWS error type (awslambdaric's FaultException)."""

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


def _get_handler(handler):
    """Import the handler's module and return the handler function, as awslambdaric does."""
    import importlib

    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, str(e)))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise _Fault(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, str(e)))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, str(e)), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname))


def _make_error(message, error_type, stack_trace, request_id=None):
    """AWS's error payload (key order as awslambdaric emits it)."""
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _fault_result(exc_info, request_id=None):
    """Error payload for an exception, frames of this bootstrap stripped from the top."""
    import traceback

    etype, value, tb = exc_info
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i in range(len(frames)):
        if "/bootstrap.py" not in frames[i][0]:
            frames = frames[i:]
            break
    return _make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)


class CognitoIdentity(object):
    """The caller's Cognito identity (both attributes None for ordinary invokes)."""

    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id, self.cognito_identity_pool_id)


class Client(object):
    """The mobile client that sent a client context."""

    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return "Client([%s])" % ",".join("%s=%s" % (k, getattr(self, k)) for k in self.__slots__)


class ClientContext(object):
    """The client context sent with a synchronous invoke."""

    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


def _from_dict(cls, data):
    """An object of *cls* with its slots filled from *data* (None if data is None)."""
    if data is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, data.get(name, None))
    return obj


class LambdaContext(object):
    """The context object handed to the handler, with exactly AWS's attributes."""

    def __init__(self, invoke_id, client_context, cognito_identity, epoch_deadline_time_in_ms,
                 invoked_function_arn=None, tenant_id=None):
        env = os.environ
        self.aws_request_id = invoke_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        w3c = {}
        if isinstance(client_context, dict) and "w3c" in client_context:
            raw = client_context.pop("w3c")
            if isinstance(raw, dict):
                w3c = {k: raw[k] for k in ("traceparent", "tracestate", "baggage") if isinstance(raw.get(k), str)}
        self._w3c_fields = w3c
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = _from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the function times out."""
        import time

        delta = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta if delta > 0 else 0

    def w3c(self):
        """The W3C trace context carried in the client context."""
        return dict(self._w3c_fields)

    def log(self, msg):
        """Write *msg* to the function's log."""
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,"
            "identity=%s,tenant_id=%s])" % (
                self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
                self.client_context, self.identity, self.tenant_id)
        )


# --- marshalling and logging -----------------------------------------------------------------

_json = None
_encoder = None
_request_id = None
_tenant_id = None
_json_logs = False


class _Raw(object):
    """A number to write verbatim (a Decimal's own digits), as simplejson's RawJSON."""

    __slots__ = ["text"]

    def __init__(self, text):
        self.text = text


def _default(obj):
    """JSON fallback as awslambdaric's: a Decimal keeps its exact digits (``1.10``, ``1E+2``)."""
    if type(obj).__module__ == "decimal" and type(obj).__name__ == "Decimal":
        return _Raw("NaN" if obj.is_nan() else str(obj))
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def _prepare(obj, raws):
    """Namedtuples become objects and Decimals placeholders, as simplejson's encoder treats them."""
    kind = type(obj)
    if kind is dict:
        return {k: _prepare(v, raws) for k, v in obj.items()}
    if kind is list or kind is tuple:
        return [_prepare(v, raws) for v in obj]
    if isinstance(obj, tuple) and hasattr(obj, "_asdict"):
        return {k: _prepare(v, raws) for k, v in obj._asdict().items()}
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, dict):
        return {k: _prepare(v, raws) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_prepare(v, raws) for v in obj]
    value = _default(obj)
    raws.append(value.text)
    return _Raw(len(raws) - 1)


def _to_json(obj):
    """Encode like awslambdaric's to_json (simplejson with use_decimal=False and a Decimal default)."""
    raws = []
    prepared = _prepare(obj, raws)
    if not raws:
        return _encoder.encode(prepared)
    import secrets

    token = "\u0001dec-%s-" % secrets.token_hex(8)
    text = _json.JSONEncoder(ensure_ascii=_encoder.ensure_ascii, allow_nan=True,
                             default=lambda r: token + str(r.text)).encode(prepared)
    for index in range(len(raws) - 1, -1, -1):
        quoted = _json.dumps(token + str(index), ensure_ascii=_encoder.ensure_ascii)
        text = text.replace(quoted, raws[index])
    return text


def _replace_indent(line):
    """Leading spaces become NO-BREAK SPACEs (so CloudWatch keeps the indentation)."""
    stripped = line.lstrip(" ")
    return _ERROR_LOG_IDENT * (len(line) - len(stripped)) + stripped


def _log_error(error):
    """Write the runtime's [ERROR] line: one write, lines joined by \\r."""
    if _json_logs:
        import time

        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "log_level": "ERROR"}
        record.update(error)
        sys.stdout.write(_to_json(record) + "\n")
        return
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            if element == "":
                lines.append("")
            else:
                lines.extend(_replace_indent(line) for line in element.splitlines())
    sys.stdout.write("\r".join(lines) + "\n")


def _setup_logging():
    """Install AWS's root log handler (Text or JSON format, level from AWS_LAMBDA_LOG_LEVEL)."""
    import logging
    import time

    global _json_logs
    _json_logs = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = {None: "", "TRACE": "DEBUG"}.get(level, level).upper()
    logging.Formatter.converter = time.gmtime

    class LambdaLoggerHandler(logging.Handler):
        """Writes formatted records to stdout."""

        def emit(self, record):
            sys.stdout.write(self.format(record))

    class LambdaLoggerFilter(logging.Filter):
        """Adds the current request id to every record."""

        def filter(self, record):
            record.aws_request_id = _request_id or ""
            record.tenant_id = _tenant_id
            return True

    handler = LambdaLoggerHandler()
    if _json_logs:
        handler.setFormatter(_JsonFormatter(logging))
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


def _JsonFormatter(logging):
    """awslambdaric's JSON log formatter."""
    import traceback

    reserved = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
                "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
                "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
                "taskName"}
    encode = _json.JSONEncoder(ensure_ascii=False, default=str).encode

    class JsonFormatter(logging.Formatter):
        """One JSON object per record."""

        def format(self, record):
            record.levelno = min(50, max(0, record.levelno)) // 10 * 10
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info
            result = {
                "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
                "level": record.levelname,
                "message": record.msg if isinstance(record.msg, dict) and not record.args else record.getMessage(),
                "logger": record.name,
                "stackTrace": traceback.format_tb(exc[2]) if exc else None,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc else None,
            }
            if getattr(record, "tenant_id", None) is not None:
                result["tenantId"] = record.tenant_id
            result.update((k, v) for k, v in record.__dict__.items() if k not in reserved and k not in result)
            return encode({k: v for k, v in result.items() if v is not None}) + "\n"

    return JsonFormatter()


def _die_out_of_memory():
    """End the process the way the platform reports as out of memory."""
    os.kill(os.getpid(), _SIGKILL)


# --- the loop --------------------------------------------------------------------------------


def _handle(api, handler, headers, body):
    """Run one invocation and post its result or error."""
    global _request_id, _tenant_id
    rid = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = rid
    _tenant_id = headers.get("lambda-runtime-aws-tenant-id")
    trace = headers.get("lambda-runtime-trace-id")
    if trace is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    error = None
    try:
        try:
            client_context = headers.get("lambda-runtime-client-context")
            cognito = headers.get("lambda-runtime-cognito-identity")
            try:
                client_context = _json.loads(client_context) if client_context else None
            except Exception as e:
                raise _Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse Client Context JSON: %s" % e)
            try:
                cognito = _json.loads(cognito) if cognito else None
            except Exception as e:
                raise _Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse Cognito Identity JSON: %s" % e)
            context = LambdaContext(rid, client_context, cognito,
                                    int(headers.get("lambda-runtime-deadline-ms", "0")),
                                    headers.get("lambda-runtime-invoked-function-arn"), _tenant_id)
            if headers.get("content-type") == "application/json":
                try:
                    event = _json.loads(body)
                except Exception as e:
                    raise _Fault("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(str(e)))
            else:
                event = body
            response = handler(event, context)
            if isinstance(response, bytes):
                result, content_type = response, "application/unknown"
            else:
                try:
                    result, content_type = _to_json(response).encode("utf-8"), "application/json"
                except MemoryError:
                    raise
                except Exception as e:
                    raise _Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(str(e)))
        except _Fault as e:
            error = _make_error(e.msg, e.exception_type, e.trace, rid)
        except MemoryError:
            _die_out_of_memory()
        except Exception:
            error = _fault_result(sys.exc_info(), rid)
    except MemoryError:
        _die_out_of_memory()
    base = "%s/invocation/%s/" % (_API_PREFIX, rid)
    if error is None:
        api.request("POST", base + "response", result, {"Content-Type": content_type})
    else:
        _log_error(error)
        api.request("POST", base + "error", _to_json(error).encode("utf-8"),
                    {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error["errorType"]})


def _run():
    """INIT (import the handler once), then GET /next → handler → POST, forever."""
    global _json, _encoder
    import json

    _json = json
    ascii_only = os.environ.get("AWS_EXECUTION_ENV") not in {
        "AWS_Lambda_python3.12", "AWS_Lambda_python3.13", "AWS_Lambda_python3.14", "AWS_Lambda_python3.15"}
    _encoder = json.JSONEncoder(ensure_ascii=ascii_only, allow_nan=True, default=_default)
    api = _Api(os.environ["AWS_LAMBDA_RUNTIME_API"])
    error = None
    handler = None
    try:
        _setup_logging()
        handler = _get_handler(os.environ.get("_HANDLER", ""))
    except _Fault as e:
        error = _make_error(e.msg, e.exception_type, e.trace)
    except MemoryError:
        _die_out_of_memory()
    except Exception:
        error = _fault_result(sys.exc_info())
    if error is not None:
        import logging

        logging.warning(_LAMBDA_WARNING)
        _log_error(error)
        api.request("POST", _API_PREFIX + "/init/error", _to_json(error).encode("utf-8"),
                    {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error["errorType"]})
        sys.exit(1)
    next_path = _API_PREFIX + "/invocation/next"
    while True:
        status, headers, body = api.request("GET", next_path)
        if status != 200:  # pragma: no cover - the platform never does this
            raise RuntimeError("Runtime API answered /next with %d" % status)
        _handle(api, handler, headers, body)


def preload():
    """Import what the runtime needs before any handler (the fork server calls this once)."""
    global _json, _encoder
    import importlib  # noqa: F401
    import json
    import logging  # noqa: F401
    import secrets  # noqa: F401
    import socket  # noqa: F401
    import threading  # noqa: F401
    import time  # noqa: F401
    import traceback  # noqa: F401

    _json = json
    _encoder = json.JSONEncoder(allow_nan=True, default=_default)


def _import_path(layer):
    """AWS's order: task root, the layers' python folders, PYTHONPATH, the standard library, boto3."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    paths = [task_root]
    if layer:
        version = "python%d.%d" % sys.version_info[:2]
        paths += [os.path.join(layer, "python", "lib", version, "site-packages"), os.path.join(layer, "python")]
    runtime_dir = os.environ.get("LAMBDA_RUNTIME_DIR")
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(":") if p and p != runtime_dir]
    paths += extra + [p for p in sys.path if p and p not in extra and p != runtime_dir]
    if runtime_dir:
        paths.append(runtime_dir)
    return paths


def main(layer=None):
    """Run the Python runtime in this (already isolated) process."""
    preload()
    sys.path[:] = _import_path(layer)
    sys.argv[:] = [sys.argv[0]]
    _run()


def _main():
    """Script entry point (``AWS_LAMBDA_EXEC_WRAPPER`` execs it): ``bootstrap.py [--layer DIR]``."""
    layer = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--layer" else None
    main(layer)


if __name__ == "__main__":
    _main()
