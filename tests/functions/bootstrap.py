"""A minimal Lambda runtime for the local sandbox: loads handler.py:handler and loops
next -> handler -> response/error, logging like the real Python runtime.

After init and after each invoke it flushes stdout and stderr and writes a marker line on
both, so the sandbox knows every record of the invoke precedes its runtimeDone.

As a worker of Lambda Managed Instances (several run at once), it also marks where each
invoke's output starts and which request a flushed marker ends, so the sandbox can give
every line its request id.
"""
import importlib
import json
import logging
import os
import sys
import time
import traceback
import urllib.request

MARKER = "\x01metricline-sandbox-flushed"
REQUEST_MARKER = "\x01metricline-sandbox-request"
MANAGED = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "lambda-managed-instances"


def die_with_sandbox():
    """The sandbox spawns processes without a pre-exec hook (see sandbox/process.rs), so the
    runtime asks itself to be killed when the test process that spawned it dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


die_with_sandbox()
API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "Text").upper() == "JSON"


class Context:
    def __init__(self, request_id, deadline_ms, arn):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


CURRENT = {"request_id": None}


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = CURRENT["request_id"]
        return True


class TextFormatter(logging.Formatter):
    """[LEVEL]\t<iso time>\t<request id>\t<message>, as the Lambda Python runtime logs."""

    def format(self, record):
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        stamp = "%s.%03dZ" % (when, record.msecs)
        return "[%s]\t%s\t%s\t%s" % (
            record.levelname, stamp, record.aws_request_id, record.getMessage())


class JsonFormatter(logging.Formatter):
    def format(self, record):
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return json.dumps({
            "timestamp": "%s.%03dZ" % (when, record.msecs),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": record.aws_request_id,
        })


def configure_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if JSON_LOGS else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper())


def flushed(request_id=None):
    marker = MARKER + (" " + request_id if MANAGED and request_id else "")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
        stream.write(marker + "\n")
        stream.flush()


def starting(request_id):
    if MANAGED:
        for stream in (sys.stdout, sys.stderr):
            stream.write(REQUEST_MARKER + " " + request_id + "\n")
            stream.flush()


def post(path, body, headers=None):
    request = urllib.request.Request(API + path, data=body, method="POST", headers=headers or {})
    urllib.request.urlopen(request).read()


def error_body(exc):
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }).encode()


def main():
    configure_logging()
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "."))
    module_name, function_name = os.environ.get("_HANDLER", "handler.handler").rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # the runtime reports any init failure to Lambda
        traceback.print_exc()
        flushed()
        post("/init/error", error_body(exc), {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)
    flushed()
    while True:
        with urllib.request.urlopen(API + "/invocation/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline = int(response.headers["Lambda-Runtime-Deadline-Ms"])
            arn = response.headers["Lambda-Runtime-Invoked-Function-Arn"]
            event = json.loads(response.read() or b"null")
        CURRENT["request_id"] = request_id
        starting(request_id)
        context = Context(request_id, deadline, arn)
        try:
            result = handler(event, context)
            body, path, headers = json.dumps(result).encode(), "/response", {}
        except BaseException as exc:  # MemoryError too: Lambda reports every failure
            traceback.print_exc()
            body, path = error_body(exc), "/error"
            headers = {"Lambda-Runtime-Function-Error-Type": type(exc).__name__}
        flushed(request_id)
        post("/invocation/" + request_id + path, body, headers)


if __name__ == "__main__":
    main()
