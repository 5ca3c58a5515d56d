"""The tracebench Python client: the client loop of LightStep's benchmark
suite (../shared/REFERENCE.md) over one of two real tracers, chosen with
--tracer:

  zipkin   py_zipkin (Debian python3-py-zipkin), pure Python, Zipkin v2 JSON
           through the buffered transport of zipkin_tracer.py.
  datadog  Datadog's C++ tracer (Debian libdd-opentracing) through the
           CPython extension module tb_datadog that this project builds.

Run it with Debian's /usr/bin/python3. See clients/PROTOCOL.md for the
flags and environment the harness gives; exit 3 means the tracer library
is missing, with one line on stderr naming what to install.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.request

EXIT_MISSING = 3

# Spans per trace: a client span, its server child, a database grandchild,
# then the same shape again under the server span.
SPANS_PER_TRACE = 6


def parse_args(argv):
    p = argparse.ArgumentParser(prog="client.py")
    p.add_argument("--tracer", choices=["zipkin", "datadog"], default="zipkin")
    p.add_argument("--build_dir", default=os.environ.get("TB_BUILD_DIR", ""),
                   help="where CMake built tb_datadog (clients/python below)")
    p.add_argument("--check", action="store_true",
                   help="only load the tracer: exit 0, or 3 if it is missing")
    p.add_argument("--trace", type=int, choices=[0, 1])
    p.add_argument("--sleep", type=int, help="ns of sleep per span")
    p.add_argument("--sleep_interval", type=int, help="ns")
    p.add_argument("--work", type=int)
    p.add_argument("--repeat", type=int)
    p.add_argument("--no_flush", type=int, choices=[0, 1])
    p.add_argument("--num_tags", type=int)
    p.add_argument("--num_logs", type=int)
    p.add_argument("--flush_workaround", type=int, choices=[0, 1], default=0,
                   help="datadog: hold back the last two root spans and "
                   "Close() twice, the workaround for dd-opentracing-cpp "
                   "1.3.6 losing spans at exit (off: Close() once, as "
                   "its documentation tells users)")
    p.add_argument("--write_period_ms", type=int, default=None,
                   help="datadog: the tracer's report period "
                   "(TracerOptions.write_period_ms; default 200)")
    p.add_argument("--mark", type=int, default=0,
                   help="count the spans started from this Unix ns on")
    p.add_argument("--span_period_ns", type=int, default=0,
                   help="pace by deadline: span i is due at start + i * NS")
    # Deliberate regressions, so the regression gates can be shown to fail.
    # They act in the traced path only, as a worse tracer would.
    p.add_argument("--burn_ns", type=int, default=0,
                   help="CPU time to burn per traced span, ns, in a "
                        "background thread")
    p.add_argument("--burn_iters", type=int, default=0,
                   help="run this many loop iterations per traced span "
                        "(an exact instruction count, no clock)")
    p.add_argument("--stall_every", type=int, default=0,
                   help="every Nth traced finish blocks the caller")
    p.add_argument("--stall_us", type=int, default=0,
                   help="for this many microseconds")
    p.add_argument("--leak_bytes", type=int, default=0,
                   help="keep this many bytes per traced span forever")
    p.add_argument("--drop_every", type=int, default=0,
                   help="never finish every Nth traced span")
    p.add_argument("--span_burn_ns", type=int, default=0,
                   help="CPU time to burn per traced span, ns, in the "
                        "calling thread: the loop gets slower")
    p.add_argument("--leak_after_ms", type=int, default=0,
                   help="--leak_bytes only from this many ms after the "
                        "loop began")
    p.add_argument("--leak_when_slow_ms", type=int, default=0,
                   help="--leak_bytes only while the first satellite "
                        "answers a probe (an empty report every 100 ms) "
                        "this slowly")
    p.add_argument("--block_every", type=int, default=0,
                   help="every N traced spans, POST an empty report to "
                        "the first satellite and wait for its answer")
    p.add_argument("--dup_every", type=int, default=0,
                   help="zipkin: send every Nth traced span to end again, "
                        "with the same trace and span ids, once its trace "
                        "has ended")
    p.add_argument("--skip_flush", type=int, choices=[0, 1], default=0,
                   help="exit without flushing or closing the tracer")
    args = p.parse_args(argv)
    if args.dup_every and args.tracer != "zipkin":
        p.error("--dup_every works with --tracer zipkin only")
    if args.write_period_ms is not None and args.tracer != "datadog":
        p.error("--write_period_ms works with --tracer datadog only")
    if args.write_period_ms is not None and args.write_period_ms <= 0:
        p.error("--write_period_ms must be greater than 0")
    for name in ("sleep", "sleep_interval", "work", "repeat", "num_tags",
                 "num_logs", "burn_ns", "burn_iters", "leak_bytes", "drop_every",
                 "mark", "span_period_ns", "stall_every", "stall_us",
                 "span_burn_ns", "leak_after_ms", "block_every",
                 "dup_every", "leak_when_slow_ms"):
        v = getattr(args, name)
        if v is not None and v < 0:
            p.error("--%s must not be negative" % name)
    return args


def control_from_url(url):
    """Fetches the control message of LightStep's benchmark suite: used when
    no --repeat."""
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def settings(args):
    """Merges flags and the control message into one dict of settings."""
    if args.repeat is None:
        url = os.environ.get("TB_CONTROL_URL")
        if not url:
            sys.exit("client.py: no --repeat flag and no TB_CONTROL_URL")
        c = control_from_url(url)
        s = {"trace": bool(c["Trace"]), "sleep_ns": int(c["Sleep"]),
             "sleep_interval_ns": int(c["SleepInterval"]),
             "work": int(c["Work"]), "repeat": int(c["Repeat"]),
             "no_flush": bool(c["NoFlush"]),
             "num_tags": int(c.get("NumTags", 0)),
             "num_logs": int(c.get("NumLogs", 0)),
             "mark_ns": int(c.get("Mark", 0)),
             "span_period_ns": int(c.get("SpanPeriod", 0))}
        sat = c.get("Satellites") or {}
        host = sat.get("Host")
        ports = sat.get("Ports")
    else:
        s = {"trace": bool(args.trace), "sleep_ns": args.sleep or 0,
             "sleep_interval_ns": args.sleep_interval or 100000000,
             "work": args.work or 0, "repeat": args.repeat,
             "no_flush": bool(args.no_flush),
             "num_tags": args.num_tags or 0, "num_logs": args.num_logs or 0,
             "mark_ns": args.mark, "span_period_ns": args.span_period_ns}
        host = ports = None
    # The environment is always given and wins over the control message.
    host = os.environ.get("TB_SATELLITE_HOST") or host or "127.0.0.1"
    env_ports = os.environ.get("TB_SATELLITE_PORTS")
    if env_ports:
        ports = [int(x) for x in env_ports.split(",") if x.strip()]
    if not ports:
        sys.exit("client.py: no satellite ports (TB_SATELLITE_PORTS)")
    s["host"] = host
    s["ports"] = ports
    return s


def missing(what):
    """The one-line error for a missing tracer library, then exit 3."""
    sys.stderr.write("client.py: tracer library missing: %s\n" % what)
    sys.stderr.flush()
    os._exit(EXIT_MISSING)


def load_tracer(args, s):
    """Returns the tracer adapter, or None when s is None (--check); exits
    3 if the tracer's library is missing."""
    if args.tracer == "zipkin":
        try:
            import zipkin_tracer
        except ImportError as e:
            if not (e.name or "").startswith("py_zipkin"):
                raise
            missing("python3-py-zipkin (apt-get install python3-py-zipkin)")
        if s is None:
            return None
        return zipkin_tracer.ZipkinTracer(s["trace"], s["host"], s["ports"])
    import datadog_tracer
    try:
        module = datadog_tracer.load(args.build_dir)
    except datadog_tracer.Missing as e:
        missing(str(e))
    if s is None:
        return None
    return datadog_tracer.DatadogTracer(module, s["trace"], s["host"],
                                        s["ports"],
                                        bool(args.flush_workaround),
                                        args.write_period_ms)


_sink = 0.0


def work(n):
    """n floating-point multiplications; the result is kept in a global so
    that the loop is not dead code."""
    global _sink
    x = 1.000001
    y = 1.0
    for _ in range(n):
        y *= x
    _sink += y


def burn(ns):
    """--span_burn_ns: spins until this thread has used ns of CPU time. By the wall clock a preempted client (2 shared cores) would
    burn less CPU than asked, and the regression it stands for would
    shrink with the machine's load."""
    end = time.thread_time_ns() + ns
    while time.thread_time_ns() < end:
        pass


class Burner:
    """--burn_ns: a thread burns the CPU the traced spans owe, beside the
    loop, as a tracer's background thread would (the C client's burner
    does the same). Burnt in the loop, the burn stretched the run (the
    sleep per span is fixed) and the CPU share rose by far less than it
    cost. The thread hashes 1 MiB at a time, and hashlib lets go of the
    GIL while it hashes, so the loop keeps running; it counts its own CPU
    clock (time.thread_time_ns), so preemption cannot shrink the burn.
    Each counter has one writer: asked_ns the loop, paid_ns the thread."""

    CHUNK = bytes(1 << 20)

    def __init__(self):
        self.asked_ns = 0
        self.paid_ns = 0
        threading.Thread(target=self._run, name="burner", daemon=True).start()

    def _run(self):
        while True:
            if self.paid_ns >= self.asked_ns:
                time.sleep(0.001)
                continue
            t0 = time.thread_time_ns()
            hashlib.sha256(self.CHUNK)
            self.paid_ns += time.thread_time_ns() - t0

    def wait_paid(self, limit_s):
        """Waits until what was asked is paid, at most limit_s."""
        end = time.monotonic() + limit_s
        while self.paid_ns < self.asked_ns and time.monotonic() < end:
            time.sleep(0.001)


class Latency:
    """Time of the tracer calls of a span (start, tags, logs, finish), ns,
    in a log-linear histogram: exact under 32 ns, then 32 buckets per
    power of two (3% wide); no per-span list."""
    SUB = 32

    def __init__(self):
        self.hist = [0] * (60 * self.SUB)
        self.n = 0
        self.max = 0

    def add(self, ns):
        if ns < self.SUB:
            b = ns
        else:
            e = ns.bit_length() - 1
            b = min((e - 4) * self.SUB + ((ns >> (e - 5)) & (self.SUB - 1)),
                    len(self.hist) - 1)
        self.hist[b] += 1
        self.n += 1
        if ns > self.max:
            self.max = ns

    def quantile(self, q):
        rank = max(1, -(-int(q * self.n * 1000000) // 1000000))
        seen = 0
        for b, c in enumerate(self.hist):
            seen += c
            if seen >= rank:
                if b < self.SUB:
                    return b
                e = b // self.SUB + 4
                lo = (self.SUB + b % self.SUB) << (e - 5)
                return min(lo + (1 << (e - 5)) // 2, self.max)
        return self.max

    def as_json(self):
        return {"p50": self.quantile(0.5), "p99": self.quantile(0.99),
                "p999": self.quantile(0.999), "max": self.max}


class Loop:
    """The client loop. Spans are made through the tracer adapter's calls:
    start(name, parent), tag(span, key, value), log(span, key, value),
    finish(span), drop(span)."""

    def __init__(self, tracer, s, args):
        self.tracer = tracer
        self.work_units = s["work"]
        traced = s["trace"]
        self.burn_ns = args.burn_ns if traced else 0
        self.burner = Burner() if self.burn_ns else None
        # --burn_iters: the loop is inlined in span_body over a range made
        # once, so a span pays only the iterations and a few bytecodes.
        self.burn_range = range(args.burn_iters if traced else 0)
        self.burn_sink = 0
        self.leak_bytes = args.leak_bytes if traced else 0
        self.drop_every = args.drop_every if traced else 0
        self.dup_every = args.dup_every if traced else 0
        self.span_burn_ns = args.span_burn_ns if traced else 0
        self.leak_from_ns = time.monotonic_ns() + args.leak_after_ms * 1000000
        self.slow_probe = None   # --leak_when_slow_ms: set by main
        self.stall_every = args.stall_every if traced else 0
        self.stall_s = args.stall_us / 1e6
        self.finished = 0
        self.latency = Latency()
        self.open_ns = []        # time in start, tags and logs, per open span
        self.tags = [("tag.key%d" % i, "tag.value%d" % i)
                     for i in range(s["num_tags"])]
        self.logs = [("log.key%d" % i, "log.value%d" % i)
                     for i in range(s["num_logs"])]
        self.made = 0
        self.work_cpu_ns = 0     # this thread's CPU time in work()
        self.work_wall_ns = 0    # wall time in work()
        self.asked_sleep_ns = 0  # sleeps asked for, whatever they took
        self.start_ns = time.monotonic_ns()
        self.loop_ns = 0         # the loop's wall time, once it ended
        # The loop's window (LoopCpuNs, LoopWallNs): the process's CPU,
        # every thread, and the wall time from the first span to the last
        # (and the burner's last payment); start-up and flush left out.
        self.cpu0_ns = time.process_time_ns()
        self.window = None
        self.mark_ns = s["mark_ns"]
        self.made_after_mark = 0
        self.leaked = []

    def overhead_ns(self):
        """The loop's wall time outside its work and the sleeps it asked
        for: tracer calls, the loop's own steps, and whatever blocked it
        (the slow gate compares it between slow and typical satellites)."""
        loop = self.loop_ns or time.monotonic_ns() - self.start_ns
        return max(0, loop - self.work_wall_ns - self.asked_sleep_ns)

    def loop_window(self):
        """(CPU ns, wall ns) of the loop's window, so far or as it ended."""
        if self.window is not None:
            return self.window
        return (time.process_time_ns() - self.cpu0_ns,
                time.monotonic_ns() - self.start_ns)

    def start(self, name, parent):
        # The clock is read before the tracer reads its own, so a span
        # counted here also starts at or after the mark.
        if self.mark_ns and time.time_ns() >= self.mark_ns:
            self.made_after_mark += 1
        self.t0 = time.perf_counter_ns()
        return self.tracer.start(name, parent)

    def span_body(self, span):
        t = self.tracer
        for k, v in self.tags:
            t.tag(span, k, v)
        for k, v in self.logs:
            t.log(span, k, v)
        self.open_ns.append(time.perf_counter_ns() - self.t0)
        # The work's own CPU time (WorkCpuNs): the harness takes it out of
        # both arms, so a stretch where the same work runs slower is not
        # read as the tracer's cost.
        w0 = time.thread_time_ns()
        m0 = time.monotonic_ns()
        work(self.work_units)
        self.work_wall_ns += time.monotonic_ns() - m0
        self.work_cpu_ns += time.thread_time_ns() - w0
        if self.burn_ns:
            self.burner.asked_ns += self.burn_ns
        if self.burn_range:
            # n iterations of a small-int step kept in an attribute:
            # CPython runs every bytecode it is given, so the count is
            # exact and clock-free; the values stay 0 and 1 (cached ints),
            # so no iteration allocates.
            x = self.burn_sink
            for _ in self.burn_range:
                x ^= 1
            self.burn_sink = x
        if self.span_burn_ns:
            burn(self.span_burn_ns)
        if (self.leak_bytes and time.monotonic_ns() >= self.leak_from_ns
                and (self.slow_probe is None or self.slow_probe.slow())):
            self.leaked.append(bytearray(self.leak_bytes))

    def end(self, span):
        self.made += 1
        spent = self.open_ns.pop() if self.open_ns else 0
        if self.drop_every and self.made % self.drop_every == 0:
            self.tracer.drop(span)
            self.latency.add(spent)
        else:
            t0 = time.perf_counter_ns()
            self.finished += 1
            if self.stall_every and self.finished % self.stall_every == 0:
                time.sleep(self.stall_s)  # blocks the caller, as a sync flush
            self.tracer.finish(span)
            self.latency.add(spent + time.perf_counter_ns() - t0)
            # --dup_every N: every Nth finished span is sent again with
            # the same ids once its trace has ended (main's loop).
            if self.dup_every and self.finished % self.dup_every == 0:
                self.tracer.mark_duplicate(span)

    def trace(self, n, parent=None):
        """Makes n (1..6) spans under parent, as LightStep's suite did: client,
        server, database, then the rest under the server span."""
        client = self.start("make_some_request", parent)
        self.span_body(client)
        n -= 1
        if n > 0:
            server = self.start("handle_some_request", client)
            self.span_body(server)
            n -= 1
            if n > 0:
                db = self.start("database_write", server)
                self.span_body(db)
                n -= 1
                self.end(db)
                if n > 0:
                    self.trace(n, server)
            self.end(server)
        self.end(client)


def post_result(loop):
    url = os.environ.get("TB_RESULT_URL")
    if not url:
        return
    result = {"SpansSent": loop.made, "LatencyNs": loop.latency.as_json(),
              "WorkCpuNs": loop.work_cpu_ns,
              "LoopOverheadNs": loop.overhead_ns()}
    result["LoopCpuNs"], result["LoopWallNs"] = loop.loop_window()
    if loop.mark_ns:
        result["SpansSentAfterMark"] = loop.made_after_mark
    body = json.dumps(result).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def post_status(loop):
    """post_result, as an exit status: a result the harness never got is
    a failed run."""
    try:
        post_result(loop)
    except (OSError, ValueError) as e:
        sys.stderr.write("client.py: POST %s failed: %s\n"
                         % (os.environ.get("TB_RESULT_URL"), e))
        return 1
    return 0


def skip_flush_exit(loop, n):
    """--skip_flush: leave as a program that forgets its tracer does, so
    what is buffered is lost. The count is posted first, for all the spans
    the run makes (n are still to come), and the process ends right after
    the last trace's root span finishes: were the POST made after it, the
    tracer's own timer could send that trace meanwhile and the injection
    would lose nothing (seen: 0 lost in 2 of 3 python-cpp audit runs)."""
    loop.made += n
    status = post_status(loop)
    loop.made -= n
    sys.stdout.write("exiting without flush or close (--skip_flush)\n")
    sys.stdout.flush()
    loop.trace(n)
    os._exit(status)


class SlowProbe:
    """--leak_when_slow_ms: a thread POSTs an empty Zipkin report ("[]":
    no span) to the first satellite every 100 ms and times the answer,
    so --leak_bytes retains memory only while the satellites are slow, as
    a tracer whose queue grows while its exports wait."""

    def __init__(self, s, limit_ms):
        self.url = "http://%s:%d/api/v2/spans" % (s["host"], s["ports"][0])
        self.limit_ns = limit_ms * 1000000
        self.sent_ns = 0         # monotonic, 0: no probe out
        self.took_ns = 0         # the last answered probe's time
        threading.Thread(target=self._run, name="slow-probe",
                         daemon=True).start()

    def _run(self):
        while True:
            t0 = time.monotonic_ns()
            self.sent_ns = t0
            req = urllib.request.Request(
                self.url, data=b"[]", method="POST",
                headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    r.read()
            except OSError:
                pass
            self.took_ns = time.monotonic_ns() - t0
            self.sent_ns = 0
            time.sleep(0.1)

    def slow(self):
        """The last probe took limit_ms or more, or one has been out that
        long."""
        sent = self.sent_ns
        return (self.took_ns >= self.limit_ns or
                (sent != 0 and time.monotonic_ns() - sent >= self.limit_ns))


def block(s):
    """--block_every: an export in the caller's thread that waits for the
    satellite's answer, as a synchronous exporter does. The report is an
    empty Zipkin list: no span is added or lost."""
    url = "http://%s:%d/api/v2/spans" % (s["host"], s["ports"][0])
    req = urllib.request.Request(url, data=b"[]", method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
    except OSError as e:
        sys.stderr.write("client.py: --block_every: POST %s: %s\n" % (url, e))


def main(argv):
    args = parse_args(argv)
    # A missing tracer is told first, whatever else is wrong.
    load_tracer(args, None)
    if args.check:
        return 0
    s = settings(args)
    tracer = load_tracer(args, s)
    loop = Loop(tracer, s, args)
    if s["trace"] and args.leak_bytes and args.leak_when_slow_ms:
        loop.slow_probe = SlowProbe(s, args.leak_when_slow_ms)
    debt_ns = 0
    interval_ns = s["sleep_interval_ns"]
    period_ns = s["span_period_ns"]
    start_ns = loop.start_ns = time.monotonic_ns()
    loop.cpu0_ns = time.process_time_ns()
    block_every = args.block_every if s["trace"] else 0
    blocked_at = 0
    while loop.made < s["repeat"]:
        n = min(SPANS_PER_TRACE, s["repeat"] - loop.made)
        if args.skip_flush and loop.made + n >= s["repeat"]:
            skip_flush_exit(loop, n)
        loop.trace(n)
        if loop.dup_every:
            tracer.send_duplicates()
        if block_every and loop.made - blocked_at >= block_every:
            blocked_at = loop.made
            block(s)
        if period_ns > 0:
            # Deadline pacing: span i is due at start + i * period; sleep
            # only when ahead, so the rate made does not depend on how
            # fast the machine was at calibration.
            ahead_ns = start_ns + loop.made * period_ns - time.monotonic_ns()
            if ahead_ns > 0:
                time.sleep(ahead_ns / 1e9)
                loop.asked_sleep_ns += ahead_ns
            continue
        debt_ns += s["sleep_ns"] * n
        if interval_ns > 0 and debt_ns > interval_ns:
            debt_ns -= interval_ns
            time.sleep(interval_ns / 1e9)
            loop.asked_sleep_ns += interval_ns
    loop.loop_ns = time.monotonic_ns() - start_ns
    if loop.burner is not None:
        loop.burner.wait_paid(10.0)
    loop.window = (time.process_time_ns() - loop.cpu0_ns,
                   time.monotonic_ns() - start_ns)
    if not s["no_flush"]:
        tracer.flush()
    status = post_status(loop)
    tracer.report(sys.stdout)
    lat = loop.latency.as_json()
    sys.stdout.write("tracer calls per span: p50 %d ns, p99 %d ns, "
                     "p99.9 %d ns, max %d ns\n"
                     % (lat["p50"], lat["p99"], lat["p999"], lat["max"]))
    if tracer.close() != 0:
        status = 1
    return status


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # The Datadog tracer can crash in a static destructor after close, so
    # no tracer gets the chance: leave now, with the status we decided.
    os._exit(status)
