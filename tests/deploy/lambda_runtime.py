"""A stand-in for Lambda's Python runtime, run as `python3.12 -I -S lambda_runtime.py HANDLER FD`.

Standard library only. Like the runtime: the task root first on sys.path and as the working
directory, then the runtime's own SDK folder, nothing from this machine's site-packages (-S)
or environment (-I); the handler module imported once at init, then invoked once per event in
the same process (a warm container); whatever the function prints is its log (the harness keeps
stdout and stderr as CloudWatch would). Invocation requests arrive as JSON lines on stdin;
results go back as JSON lines on file descriptor FD, so the log streams stay untouched.
"""

import importlib
import json
import os
import sys
import time
import traceback

STARTED = time.perf_counter()


class Context:
    """The fields of Lambda's context object that Powertools and Zappa read."""

    def __init__(self, request_id, deadline_ms):
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "2026/12/05/[$LATEST]0123456789abcdef"
        self._deadline = time.monotonic() + deadline_ms / 1000

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main():
    handler_name, fd = sys.argv[1], int(sys.argv[2])
    paths = json.loads(os.environ.pop("LAMBDA_TEST_SYS_PATH"))
    sys.path[:0] = paths
    os.chdir(paths[0])
    out = os.fdopen(fd, "w", buffering=1)
    module_name, function_name = handler_name.rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # the runtime reports an init error and every invoke fails
        traceback.print_exc()
        out.write(json.dumps({"init_error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    out.write(json.dumps({"ready": True, "init_s": time.perf_counter() - STARTED,
                          "modules": len(sys.modules)}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        context = Context(request["request_id"], request.get("timeout_ms", 30000))
        began = time.perf_counter()
        try:
            result = handler(request["event"], context)
            answer = {"result": result}
        except Exception as exc:  # what Lambda returns as a function error
            traceback.print_exc()
            answer = {"error": type(exc).__name__, "message": str(exc)}
        answer["duration_s"] = time.perf_counter() - began
        sys.stdout.flush()
        sys.stderr.flush()
        out.write(json.dumps(answer, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
