"""py_zipkin behind the client loop's tracer calls, with a buffered
transport, and a no-op span with the same interface for untraced runs.

py_zipkin 0.15 hands each trace's encoded spans to its transport
synchronously when the root span ends. A production service gives it a
transport that queues and reports in the background; BufferedTransport is
that: a bounded queue of 10,000 spans, flushed every 200 ms by one thread
over one kept-alive connection (POST /api/v2/spans, Zipkin v2 JSON). When
the queue is full the trace's spans are dropped and counted.
"""

import http.client
import threading
import time

from py_zipkin import Encoding
from py_zipkin.transport import BaseTransportHandler
from py_zipkin.zipkin import ZipkinAttrs, zipkin_span

SERVICE = "tracebench"
MAX_QUEUED_SPANS = 10000
REPORT_PERIOD_S = 0.2
# Bounds every connect, send and read, so a dead or stuck satellite cannot
# hold the client past its timeout.
SOCKET_TIMEOUT_S = 2.0
# Largest request, in spans; bigger flushes go out as several requests.
MAX_SPANS_PER_REQUEST = 2000

# Every span in py_zipkin's V2 JSON has exactly one traceId key. Inside a
# JSON string a quote is escaped, so this text can only be that key.
_SPAN_MARK = '"traceId": '


class BufferedTransport(BaseTransportHandler):
    """Queues encoded traces; a background thread POSTs them."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.queue = []          # encoded JSON lists, one per trace
        self.queued_spans = 0
        self.dropped_full = 0    # spans refused because the queue was full
        self.dropped_failed = 0  # spans in requests that failed
        self.sent = 0            # spans in requests answered 2xx
        self.conn = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="zipkin-report",
                                       daemon=True)
        self.thread.start()

    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        n = payload.count(_SPAN_MARK)
        with self.lock:
            if self.queued_spans + n > MAX_QUEUED_SPANS:
                self.dropped_full += n
                return
            self.queue.append(payload)
            self.queued_spans += n

    def _take(self):
        with self.lock:
            batch, self.queue = self.queue, []
            self.queued_spans = 0
        return batch

    def _post(self, payloads):
        n = sum(p.count(_SPAN_MARK) for p in payloads)
        # Each payload is a JSON list; splice their elements into one list.
        body = ("[" + ",".join(p[1:-1] for p in payloads) + "]").encode()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=SOCKET_TIMEOUT_S)
            self.conn.request("POST", "/api/v2/spans", body,
                              {"Content-Type": "application/json"})
            resp = self.conn.getresponse()
            resp.read()
            ok = 200 <= resp.status < 300
            if resp.getheader("Connection", "").lower() == "close":
                self._close()
        except (OSError, http.client.HTTPException):
            ok = False
            self._close()
        if ok:
            self.sent += n
        else:
            self.dropped_failed += n

    def _close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _flush_once(self):
        batch = self._take()
        i = 0
        while i < len(batch):
            # Traces hold at most 6 spans: cut by traces, not spans.
            chunk = batch[i:i + MAX_SPANS_PER_REQUEST // 6]
            self._post(chunk)
            i += len(chunk)

    def _run(self):
        while not self.stopping.wait(REPORT_PERIOD_S):
            self._flush_once()
        self._flush_once()
        self._close()

    def flush(self, timeout_s):
        """Sends what is queued, then stops the thread."""
        self.stopping.set()
        self.thread.join(timeout_s)

    def stats(self):
        with self.lock:
            return {"sent": self.sent, "dropped_full": self.dropped_full,
                    "dropped_failed": self.dropped_failed,
                    "left_in_queue": self.queued_spans}


class NoopZipkinSpan:
    """zipkin_span's interface, doing nothing: the untraced runs make the
    same calls on this."""

    def __init__(self, service_name, span_name="span", transport_handler=None,
                 sample_rate=None, encoding=None, host=None):
        self.annotations = {}
        self.logging_context = None
        self.do_pop_attrs = False

    def start(self):
        return self

    def stop(self, _exc_type=None, _exc_value=None, _exc_traceback=None):
        pass

    def update_binary_annotations(self, extra_annotations):
        pass


class ZipkinTracer:
    """The loop's tracer calls over py_zipkin (or the no-op span)."""

    def __init__(self, traced, host, ports):
        # py_zipkin sends to one collector: the first port.
        self.transport = BufferedTransport(host, ports[0]) if traced else None
        self.span_class = zipkin_span if traced else NoopZipkinSpan
        self.duplicates = []     # (name, ZipkinAttrs) to send again

    def start(self, name, parent):
        if parent is None:
            # host is given so py_zipkin does not resolve this machine's
            # name for every trace, as a configured service would not.
            span = self.span_class(service_name=SERVICE, span_name=name,
                                   transport_handler=self.transport,
                                   sample_rate=100.0,
                                   encoding=Encoding.V2_JSON,
                                   host="127.0.0.1")
        else:
            # py_zipkin finds the parent on its thread-local stack.
            span = self.span_class(service_name=SERVICE, span_name=name,
                                   encoding=Encoding.V2_JSON)
        return span.start()

    def tag(self, span, key, value):
        span.update_binary_annotations({key: value})

    def log(self, span, key, value):
        # An annotation is py_zipkin's log: a string at a time. py_zipkin
        # 0.15 does not report the root span's annotations.
        span.annotations[key + "=" + value] = time.time()

    def finish(self, span):
        span.stop()

    def mark_duplicate(self, span):
        """--dup_every: remembers a finished span, to be sent again with
        the same trace and span ids by send_duplicates."""
        a = span.zipkin_attrs
        if a is not None:
            self.duplicates.append((span.span_name, ZipkinAttrs(
                trace_id=a.trace_id, span_id=a.span_id,
                parent_span_id=a.parent_span_id, flags=a.flags,
                is_sampled=True)))

    def send_duplicates(self):
        """Sends each marked span again through py_zipkin's public API: a
        zipkin_span given the span's own ZipkinAttrs and the transport is
        a local root that reports one span with exactly those ids, as a
        service that traces a retried request twice would. Called between
        traces only: a local root opened inside a trace would take over
        py_zipkin's thread-local span storage."""
        for name, attrs in self.duplicates:
            zipkin_span(service_name=SERVICE, span_name=name,
                        zipkin_attrs=attrs,
                        transport_handler=self.transport,
                        encoding=Encoding.V2_JSON,
                        host="127.0.0.1").start().stop()
        self.duplicates.clear()

    def drop(self, span):
        """Makes the span go unreported (--drop_every). py_zipkin reports
        a trace when its root ends, so dropping a root drops its trace."""
        if span.logging_context is not None:
            span.logging_context.transport_handler = None
            span.stop()
        elif span.do_pop_attrs:
            span._context_stack.pop()

    def flush(self):
        if self.transport is not None:
            self.transport.flush(timeout_s=3 * SOCKET_TIMEOUT_S)

    def report(self, out):
        if self.transport is not None:
            out.write("zipkin transport: %r\n" % (self.transport.stats(),))

    def close(self):
        return 0
