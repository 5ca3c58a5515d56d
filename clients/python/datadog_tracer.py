"""Datadog's C++ tracer behind the client loop's tracer calls, through the
tb_datadog extension module (tb_datadog.cc, built by CMake into
<build dir>/clients/python)."""

import importlib
import os
import sys

# Settings: report every 200 ms. The tracer's buffer is fixed at 7,000
# traces in dd-opentracing-cpp 1.3.6 and cannot be set.
WRITE_PERIOD_MS = 200


class Missing(Exception):
    """The extension or the tracer library cannot be loaded; the message
    names what to install or build."""


def load(build_dir):
    """Imports tb_datadog from the build directory; raises Missing."""
    if build_dir:
        sys.path.insert(0, os.path.join(build_dir, "clients", "python"))
    try:
        return importlib.import_module("tb_datadog")
    except ImportError as e:
        text = str(e)
        if "libdd_opentracing" in text or "libopentracing" in text:
            raise Missing("libdd-opentracing0 (apt-get install "
                          "libdd-opentracing-dev libopentracing-dev), then "
                          "rebuild: %s" % text) from None
        raise Missing("the tb_datadog extension is not built: build the "
                      "project (cmake --build BUILD_DIR, needs "
                      "libdd-opentracing-dev and python3-dev) and pass "
                      "--build_dir BUILD_DIR") from None


class DatadogTracer:
    """The loop's tracer calls over tb_datadog."""

    def __init__(self, module, traced, host, ports, workaround=False,
                 write_period_ms=None):
        self.m = module
        # The tracer sends to one agent: the first port. workaround: see
        # --flush_workaround in client.py.
        module.init(traced, host, ports[0],
                    write_period_ms or WRITE_PERIOD_MS, workaround)

    def start(self, name, parent):
        return self.m.start_span(name, parent)

    def tag(self, span, key, value):
        span.set_tag(key, value)

    def log(self, span, key, value):
        span.log(key, value)

    def finish(self, span):
        span.finish()

    def drop(self, span):
        span.drop()

    def flush(self):
        self.m.flush()

    def report(self, out):
        out.write("datadog tracer: %r\n" % (self.m.stats(),))

    def close(self):
        # The tracer is left as it is: the process ends with os._exit, so
        # its static destructors, which can crash, never run.
        return 0
