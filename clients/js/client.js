'use strict';
// The tracebench Node client: the client loop of LightStep's benchmark
// suite (../shared/REFERENCE.md) over one of two real tracers, chosen
// with --tracer:
//
//   lightstep  lightstep-tracer (npm), protobuf reports over plain HTTP
//              to POST /api/v2/reports                      (client "js")
//   otel       the OpenTelemetry JS SDK: BatchSpanProcessor and the
//              OTLP/HTTP protobuf exporter, POST /v1/traces (client "js-otel")
//
// Untraced runs make the same calls on the API's no-op tracer. Flags and
// environment: clients/PROTOCOL.md. Exit 3: the tracer's packages are not
// installed (run `npm ci` in clients/js).

const http = require('http');
const path = require('path');

const EXIT_MISSING = 3;
const SPANS_PER_TRACE = 6;
const REPORT_PERIOD_MS = 200;
const MAX_BUFFERED_SPANS = 10000;
// Bounds each report request, so a dead or stuck satellite cannot hold the
// client past its timeout.
const REQUEST_TIMEOUT_MS = 2000;

function fail(msg, code) {
  process.stderr.write(`client.js: ${msg}\n`);
  process.exit(code === undefined ? 2 : code);
}

function parseArgs(argv) {
  const ints = ['trace', 'sleep', 'sleep_interval', 'work', 'repeat',
    'no_flush', 'num_tags', 'num_logs', 'burn_ns', 'burn_iters', 'leak_bytes',
    'stall_every', 'stall_us',
    'drop_every', 'mark', 'span_period_ns', 'span_burn_ns', 'leak_after_ms',
    'block_every', 'skip_flush', 'leak_when_slow_ms', 'report_period_ms',
    'request_timeout_ms'];
  const a = { tracer: 'lightstep', check: false };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z_]+)$/.exec(argv[i]);
    if (!m) fail(`unexpected argument '${argv[i]}'`);
    const name = m[1];
    if (name === 'check') {
      a.check = true;
      continue;
    }
    if (i + 1 >= argv.length) fail(`--${name} needs a value`);
    const v = argv[++i];
    if (name === 'tracer') {
      if (v !== 'lightstep' && v !== 'otel') {
        fail(`--tracer must be lightstep or otel, not '${v}'`);
      }
      a.tracer = v;
    } else if (ints.includes(name)) {
      if (!/^[0-9]+$/.test(v)) fail(`--${name} wants a whole number, not '${v}'`);
      a[name] = Number(v);
    } else {
      fail(`unknown flag --${name}`);
    }
  }
  return a;
}

function httpRequest(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      timeout: 10000,
      headers: body ? { 'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body) } : {},
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode < 200 || res.statusCode >= 300) {
          reject(new Error(`${method} ${url}: status ${res.statusCode}`));
        } else {
          resolve(Buffer.concat(chunks).toString());
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

// POSTs body to url from a worker thread while this thread waits, without
// returning to the event loop: --skip_flush's exit must not give the
// tracer's timers a turn to send what it holds (an application that exits
// right after its work would not). Node 20 has no synchronous HTTP client.
// Returns true when the answer was 2xx.
const POST_SYNC_SRC = `
const http = require('http');
const { workerData } = require('worker_threads');
const flag = new Int32Array(workerData.flag);
const req = http.request(workerData.url, { method: 'POST', agent: false,
  headers: { 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(workerData.body) } }, (res) => {
  res.resume();
  res.on('end', () => {
    Atomics.store(flag, 0, res.statusCode >= 200 && res.statusCode < 300 ? 1 : 2);
    Atomics.notify(flag, 0);
  });
});
req.on('error', () => { Atomics.store(flag, 0, 2); Atomics.notify(flag, 0); });
req.end(workerData.body);`;

function postSync(url, body) {
  const { Worker } = require('worker_threads');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  new Worker(POST_SYNC_SRC, { eval: true,
    workerData: { url, body, flag: flag.buffer } }).unref();
  Atomics.wait(flag, 0, 0, 10000);
  return Atomics.load(flag, 0) === 1;
}

// Merges the flags, or the control message when no --repeat is given,
// with the satellite environment.
async function settings(a) {
  let s;
  let host;
  let ports;
  if (a.repeat === undefined) {
    const url = process.env.TB_CONTROL_URL;
    if (!url) fail('no --repeat flag and no TB_CONTROL_URL');
    const c = JSON.parse(await httpRequest(url, 'GET'));
    s = { trace: !!c.Trace, sleepNs: c.Sleep, sleepIntervalNs: c.SleepInterval,
      work: c.Work, repeat: c.Repeat, noFlush: !!c.NoFlush,
      numTags: c.NumTags || 0, numLogs: c.NumLogs || 0, markNs: c.Mark || 0,
      spanPeriodNs: c.SpanPeriod || 0 };
    if (c.Satellites) {
      host = c.Satellites.Host;
      ports = c.Satellites.Ports;
    }
  } else {
    s = { trace: !!a.trace, sleepNs: a.sleep || 0,
      sleepIntervalNs: a.sleep_interval === undefined ? 1e8 : a.sleep_interval,
      work: a.work || 0, repeat: a.repeat, noFlush: !!a.no_flush,
      numTags: a.num_tags || 0, numLogs: a.num_logs || 0, markNs: a.mark || 0,
      spanPeriodNs: a.span_period_ns || 0 };
  }
  host = process.env.TB_SATELLITE_HOST || host || '127.0.0.1';
  if (process.env.TB_SATELLITE_PORTS) {
    ports = process.env.TB_SATELLITE_PORTS.split(',').filter((x) => x.trim())
      .map(Number);
  }
  if (!ports || ports.length === 0) fail('no satellite ports (TB_SATELLITE_PORTS)');
  s.host = host;
  s.port = ports[0]; // neither tracer spreads its reports over collectors
  // The regression injectors act in the traced path only, as a worse
  // tracer would.
  s.burnNs = s.trace ? (a.burn_ns || 0) : 0;
  s.burnIters = s.trace ? (a.burn_iters || 0) : 0;
  s.stallEvery = s.trace ? (a.stall_every || 0) : 0;
  s.stallUs = a.stall_us || 0;
  s.leakBytes = s.trace ? (a.leak_bytes || 0) : 0;
  s.dropEvery = s.trace ? (a.drop_every || 0) : 0;
  // --span_burn_ns: ns of CPU per span in the calling thread (as --burn_ns);
  // --leak_after_ms: --leak_bytes only from then on; --block_every N: a
  // synchronous export every N spans; --skip_flush: exit without flush.
  s.spanBurnNs = s.trace ? (a.span_burn_ns || 0) : 0;
  s.burnNsBig = BigInt(s.burnNs);
  s.leakFromMs = Date.now() + (a.leak_after_ms || 0);
  // --leak_when_slow_ms: --leak_bytes only while the satellites are slow.
  s.leakWhenSlowMs = s.trace && s.leakBytes ? (a.leak_when_slow_ms || 0) : 0;
  s.blockEvery = s.trace ? (a.block_every || 0) : 0;
  s.skipFlush = !!a.skip_flush;
  // --report_period_ms: the tracer's report period (the cost gate sets a
  // long one, so that a run's count is not its number of timer reports).
  s.reportPeriodMs = a.report_period_ms || REPORT_PERIOD_MS;
  // --request_timeout_ms: the tracer's request and export timeouts. The
  // cost gate sets a long one: under valgrind a 2 s timeout cut js-otel's
  // final export at a point that moved from run to run ("otel shutdown:
  // Timeout"), and the process exited with the rest of it undone.
  s.requestTimeoutMs = a.request_timeout_ms || REQUEST_TIMEOUT_MS;
  return s;
}

// Directories named in NODE_PATH are searched first, so a registry variant
// (clients/clients.json "base" + "env") can point this program at another
// build of its tracer. A package found there is taken from there only: a
// variant that lacks one must not quietly get the default version.
const variantDirs = (process.env.NODE_PATH || '').split(path.delimiter)
  .filter((d) => d).map((d) => path.resolve(d));

function requireTracerPackage(name) {
  try {
    for (const dir of variantDirs) {
      let file;
      try {
        file = require.resolve(name, { paths: [dir] });
      } catch (e) {
        if (e.code !== 'MODULE_NOT_FOUND') throw e;
        continue;
      }
      if (file.startsWith(dir + path.sep)) return require(file);
      fail(`tracer library missing: ${name} in ${dir} (NODE_PATH; run make deps)`,
        EXIT_MISSING);
    }
    return require(name);
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') {
      fail(`tracer library missing: ${name} (run npm ci in clients/js)`,
        EXIT_MISSING);
    }
    throw e;
  }
}

// The loop's tracer calls over lightstep-tracer, or OpenTracing's no-op.
function lightstepTracer(s) {
  const opentracing = requireTracerPackage('opentracing');
  const lightstep = requireTracerPackage('lightstep-tracer');
  if (!s) return null;
  let tracer;
  if (s.trace) {
    tracer = new lightstep.Tracer({
      access_token: 'tracebench',
      component_name: 'tracebench-js',
      collector_host: s.host,
      collector_port: s.port,
      collector_encryption: 'none',
      transport: 'proto',
      max_reporting_interval_millis: s.reportPeriodMs,
      max_span_records: MAX_BUFFERED_SPANS,
      disable_clock_skew_correction: true,
      delay_initial_report_millis: 0,
      report_timeout_millis: s.requestTimeoutMs,
      // The client flushes (or not: NoFlush) itself.
      disable_report_on_exit: true,
    });
  } else {
    tracer = new opentracing.Tracer();
  }
  // Reports in flight: flush() only waits for its own, and a periodic one
  // may still be on its way.
  let inFlight = 0;
  if (s.trace) {
    tracer.on('prereport', () => { inFlight++; });
    tracer.on('report', () => { inFlight--; });
    tracer.on('report_error', () => { inFlight--; });
  }
  return {
    start: (name, parent) => (parent === null
      ? tracer.startSpan(name)
      : tracer.startSpan(name, { childOf: parent })),
    tag: (span, k, v) => span.setTag(k, v),
    log: (span, k, v) => span.log({ [k]: v }),
    finish: (span) => span.finish(),
    flush: () => new Promise((resolve) => {
      if (!s.trace) return resolve();
      return tracer.flush((err) => {
        if (err) process.stderr.write(`lightstep flush: ${err.message || err}\n`);
        resolve();
      });
    }).then(async () => {
      // Every request is bounded by report_timeout_millis.
      const deadline = Date.now() + 2 * s.requestTimeoutMs;
      while (inFlight > 0 && Date.now() < deadline) await sleepMs(5);
    }),
  };
}

// SDK 2.x builds a resource with resourceFromAttributes; 1.x (the js-otel@1
// variant) with new Resource.
function otelResource(resources, attrs) {
  return resources.resourceFromAttributes
    ? resources.resourceFromAttributes(attrs)
    : new resources.Resource(attrs);
}

// The loop's tracer calls over the OpenTelemetry SDK, or the API's no-op.
function otelTracer(s) {
  const api = requireTracerPackage('@opentelemetry/api');
  const base = requireTracerPackage('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = requireTracerPackage(
    '@opentelemetry/exporter-trace-otlp-proto');
  const resources = requireTracerPackage('@opentelemetry/resources');
  if (!s) return null;
  let tracer;
  let provider = null;
  if (s.trace) {
    const exporter = new OTLPTraceExporter({
      url: `http://${s.host}:${s.port}/v1/traces`,
      timeoutMillis: s.requestTimeoutMs,
    });
    provider = new base.BasicTracerProvider({
      resource: otelResource(resources, { 'service.name': 'tracebench-js-otel' }),
      spanProcessors: [new base.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: s.reportPeriodMs,
        maxQueueSize: MAX_BUFFERED_SPANS,
        exportTimeoutMillis: s.requestTimeoutMs,
      })],
    });
    tracer = provider.getTracer('tracebench');
  } else {
    // No provider registered: the API hands out its no-op tracer.
    tracer = api.trace.getTracer('tracebench');
  }
  const root = api.context.active();
  return {
    start: (name, parent) => (parent === null
      ? tracer.startSpan(name, {}, root)
      : tracer.startSpan(name, {}, api.trace.setSpan(root, parent))),
    tag: (span, k, v) => span.setAttribute(k, v),
    // A one-field log is an OpenTelemetry span event.
    log: (span, k, v) => span.addEvent('log', { [k]: v }),
    finish: (span) => span.end(),
    flush: () => (provider ? provider.shutdown().catch((err) => {
      process.stderr.write(`otel shutdown: ${err.message || err}\n`);
    }) : Promise.resolve()),
  };
}

let sink = 0;

// n floating-point multiplications, kept in a global so that they are not
// dead code.
function work(n) {
  const x = 1.000001;
  let y = 1.0;
  for (let i = 0; i < n; i++) y *= x;
  sink += y;
}

// CPU time used so far, ns: this thread's where Node can tell
// (process.threadCpuUsage, Node 23.9 and later), else the process's
// (getrusage, microseconds). Burning by the wall clock burns less CPU than
// asked whenever the process is preempted mid-spin (sharing one core with
// a spinner, 500 spins of 600 us burnt 96% of the CPU asked), so the
// regression it stands for would shrink with the machine's load.
const cpuUsage = typeof process.threadCpuUsage === 'function'
  ? () => process.threadCpuUsage() : () => process.cpuUsage();
function cpuNs() {
  const u = cpuUsage();
  return (u.user + u.system) * 1000;
}

// --span_burn_ns: spins in the loop until ns of CPU time have been used.
// On the process clock another thread's CPU (the GC's helpers) counts
// too, so the spin may end a little early; it never ends short of ns of
// the process's CPU.
function burn(ns) {
  const end = cpuNs() + ns;
  while (cpuNs() < end) { /* busy */ }
}

// --burn_iters N: N iterations of an int32 step per traced span, in the
// caller. The result escapes to a module variable, so the JIT can neither
// drop nor fold the loop; no clock is read, so the instruction count is
// N times a few instructions once the loop is compiled.
let burnSink = 0;
function burnIters(n) {
  let x = burnSink;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  burnSink = x;
}

// --burn_ns: a worker thread burns the CPU the traced spans owe, as a
// tracer's background thread would: beside the loop, which is neither
// slowed nor stretched (the C client's burner thread does the same).
// Burnt in the loop, one thread, an injection above the loop's idle time
// stretched the run, and the CPU share rose by far less than it cost:
// the js-otel cpu injection of 30 points read 12.8, then 6.2. The worker
// counts its own time on the CPU, /proc/thread-self/schedstat (ns,
// brought up to date each scheduler tick), by what it saw pass, so the
// total is right to a tick however often it is preempted.
const BURNER_SRC = `
const { workerData } = require('worker_threads');
const fs = require('fs');
const owed = new BigInt64Array(workerData);
const nap = new Int32Array(new SharedArrayBuffer(4));
// Read into one buffer and parsed by hand: a spin that made garbage
// would burn more than asked in V8's collector threads.
const fd = fs.openSync('/proc/thread-self/schedstat', 'r');
const buf = Buffer.alloc(64);
function onCpuNs() {
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  let v = 0;
  for (let i = 0; i < n && buf[i] >= 48 && buf[i] <= 57; i++) {
    v = v * 10 + (buf[i] - 48);
  }
  return v;
}
for (;;) {
  const want = Number(Atomics.load(owed, 0));
  if (want <= 0) {
    Atomics.wait(nap, 0, 0, 1);
    continue;
  }
  const slice = Math.min(want, 1e6);
  const t0 = onCpuNs();
  let t = t0;
  while (t - t0 < slice) t = onCpuNs();
  Atomics.sub(owed, 0, BigInt(t - t0));
}`;

const burner = {
  owed: new BigInt64Array(new SharedArrayBuffer(8)), // ns, may dip below 0
  start() {
    const { Worker } = require('worker_threads');
    new Worker(BURNER_SRC, { eval: true, workerData: this.owed.buffer })
      .unref();
  },
  async paid(limitMs) {
    const end = Date.now() + limitMs;
    while (Atomics.load(this.owed, 0) > 0n && Date.now() < end) await sleepMs(1);
  },
};

const leaked = [];

// --leak_when_slow_ms: POSTs an empty Zipkin report ("[]": no span) to
// the first satellite every 100 ms and times the answer, so --leak_bytes
// retains memory only while the satellites are slow, as a tracer whose
// queue grows while its exports wait. The probe runs in a worker, on its
// own event loop: timed on the main one, an answer waited for the loop
// (which yields every 100 ms when behind) and for the tracer's own
// blocking calls, so fast satellites read slow too. In the js audit the
// typical arm then leaked 70-230 MB of what was sized for the slow arm,
// and the slow memory ratio read 1.70-2.86 where it aimed at 4.5.
// The worker keeps one cell: 1 while the last probe took limitMs or more,
// or one has been out that long.
const SLOW_PROBE_SRC = `
const http = require('http');
const { workerData } = require('worker_threads');
const cell = new Int32Array(workerData.cell);
const limitMs = workerData.limitMs;
function once() {
  const t0 = performance.now();
  let done = false;
  const late = setTimeout(() => { if (!done) Atomics.store(cell, 0, 1); },
    limitMs);
  const end = (slow) => {
    if (done) return;
    done = true;
    clearTimeout(late);
    Atomics.store(cell, 0, slow ? 1 : 0);
    setTimeout(once, 100);
  };
  const req = http.request(workerData.url, { method: 'POST', agent: false,
    timeout: 10000, headers: { 'Content-Type': 'application/json',
      'Content-Length': 2 } }, (res) => {
    res.resume();
    res.on('end', () => end(performance.now() - t0 >= limitMs));
  });
  // A refused probe is not slow; a timed-out one is.
  req.on('timeout', () => { req.destroy(); end(true); });
  req.on('error', () => end(false));
  req.end('[]');
}
once();`;

const slowProbe = {
  cell: new Int32Array(new SharedArrayBuffer(4)),
  start(url, limitMs) {
    const { Worker } = require('worker_threads');
    new Worker(SLOW_PROBE_SRC, { eval: true,
      workerData: { url, limitMs, cell: this.cell.buffer } }).unref();
  },
  slow() {
    return Atomics.load(this.cell, 0) === 1;
  },
};

// Time of the tracer calls of a span (start, tags, logs, finish), ns, in
// a log-linear histogram: exact under 32 ns, then 32 buckets per power of
// two (3% wide); no per-span list.
class Latency {
  constructor() {
    this.sub = 32;
    this.hist = new Float64Array(60 * 32);
    this.n = 0;
    this.max = 0;
  }

  add(ns) {
    let b;
    if (ns < this.sub) b = ns;
    else {
      const e = Math.floor(Math.log2(ns));
      b = Math.min((e - 4) * this.sub + (Math.floor(ns / 2 ** (e - 5)) % this.sub),
        this.hist.length - 1);
    }
    this.hist[b]++;
    this.n++;
    if (ns > this.max) this.max = ns;
  }

  quantile(q) {
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let b = 0; b < this.hist.length; b++) {
      seen += this.hist[b];
      if (seen >= rank) {
        if (b < this.sub) return b;
        const e = Math.floor(b / this.sub) + 4;
        const lo = (this.sub + (b % this.sub)) * 2 ** (e - 5);
        return Math.min(lo + 2 ** (e - 5) / 2, this.max);
      }
    }
    return this.max;
  }

  toJSON() {
    return { p50: this.quantile(0.5), p99: this.quantile(0.99),
      p999: this.quantile(0.999), max: this.max };
  }
}

const nowNs = () => Number(process.hrtime.bigint());
const stallCell = new Int32Array(new SharedArrayBuffer(4));

class Loop {
  constructor(t, s) {
    this.t = t;
    this.s = s;
    this.made = 0;
    this.madeAfterMark = 0;
    this.finished = 0;
    this.workNs = 0; // wall time in work()
    this.askedSleepMs = 0; // sleeps asked for, whatever they took
    this.startMs = performance.now();
    this.loopMs = 0; // the loop's wall time, once it ended
    this.latency = new Latency();
    this.openNs = [];
    this.markMs = s.markNs / 1e6;
    this.tags = [];
    this.logs = [];
    for (let i = 0; i < s.numTags; i++) this.tags.push([`tag.key${i}`, `tag.value${i}`]);
    for (let i = 0; i < s.numLogs; i++) this.logs.push([`log.key${i}`, `log.value${i}`]);
  }

  span(name, parent) {
    const { t, s } = this;
    // OpenTelemetry's clock (lightstep's is within a millisecond of it),
    // read before the tracer reads its own.
    if (this.markMs && performance.timeOrigin + performance.now() >= this.markMs) {
      this.madeAfterMark++;
    }
    const t0 = nowNs();
    const span = t.start(name, parent);
    for (const [k, v] of this.tags) t.tag(span, k, v);
    for (const [k, v] of this.logs) t.log(span, k, v);
    this.openNs.push(nowNs() - t0);
    const w0 = nowNs();
    work(s.work);
    this.workNs += nowNs() - w0;
    if (s.burnNs) Atomics.add(burner.owed, 0, s.burnNsBig);
    if (s.burnIters) burnIters(s.burnIters);
    if (s.spanBurnNs) burn(s.spanBurnNs);
    if (s.leakBytes && Date.now() >= s.leakFromMs &&
        (!s.leakWhenSlowMs || slowProbe.slow())) {
      leaked.push(Buffer.alloc(s.leakBytes, 1));
    }
    return span;
  }

  // The loop's wall time outside its work and the sleeps it asked for:
  // tracer calls, the loop's own steps, and whatever blocked it, the
  // tracer's callbacks on the event loop included (the slow gate compares
  // it between slow and typical satellites).
  overheadNs() {
    const loopMs = this.loopMs || performance.now() - this.startMs;
    return Math.max(0, Math.round(loopMs * 1e6 - this.workNs - this.askedSleepMs * 1e6));
  }

  end(span) {
    this.made++;
    const spent = this.openNs.pop() || 0;
    // --drop_every N: the Nth span is made but never finished.
    if (this.s.dropEvery && this.made % this.s.dropEvery === 0) {
      this.latency.add(spent);
      return;
    }
    const t0 = nowNs();
    // --stall_every N --stall_us U: every Nth finish blocks the caller.
    this.finished++;
    if (this.s.stallEvery && this.s.stallUs && this.finished % this.s.stallEvery === 0) {
      Atomics.wait(stallCell, 0, 0, this.s.stallUs / 1000);
    }
    this.t.finish(span);
    this.latency.add(spent + nowNs() - t0);
  }

  // n (1..6) spans under parent, as LightStep's suite did: client, server,
  // database, then the rest under the server span.
  trace(n, parent) {
    const client = this.span('make_some_request', parent);
    n--;
    if (n > 0) {
      const server = this.span('handle_some_request', client);
      n--;
      if (n > 0) {
        const db = this.span('database_write', server);
        n--;
        this.end(db);
        if (n > 0) this.trace(n, server);
      }
      this.end(server);
    }
    this.end(client);
  }
}

function sleepMs(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const make = a.tracer === 'lightstep' ? lightstepTracer : otelTracer;
  // A missing tracer is told first, whatever else is wrong.
  make(null);
  if (a.check) return 0;
  const s = await settings(a);
  if (s.burnNs) burner.start();
  const t = make(s);
  const loop = new Loop(t, s);
  let debt = 0;
  const startMs = performance.now();
  loop.startMs = startMs;
  // The loop's window (LoopCpuNs, LoopWallNs): the process's CPU, every
  // thread, and the wall time from the first span to the last (and the
  // burner's last payment). Start-up (the runtime, the tracer's modules)
  // and the final flush are left out: in a 3 s run they were a third of a
  // Node client's CPU.
  const cpu0 = process.cpuUsage();
  let yieldedMs = startMs;
  let blockedAt = 0;
  const blockUrl = `http://${s.host}:${s.port}/api/v2/spans`;
  if (s.leakWhenSlowMs) slowProbe.start(blockUrl, s.leakWhenSlowMs);
  // What the client POSTs (clients/PROTOCOL.md), saying it made `made`.
  const resultOf = (made) => {
    const cpu1 = process.cpuUsage(cpu0);
    const fields = { SpansSent: made, LatencyNs: loop.latency.toJSON(),
      LoopOverheadNs: loop.overheadNs(),
      LoopCpuNs: (cpu1.user + cpu1.system) * 1000,
      LoopWallNs: Math.round((performance.now() - startMs) * 1e6) };
    if (s.markNs) fields.SpansSentAfterMark = loop.madeAfterMark;
    return JSON.stringify(fields);
  };
  while (loop.made < s.repeat) {
    const n = Math.min(SPANS_PER_TRACE, s.repeat - loop.made);
    if (s.skipFlush && loop.made + n >= s.repeat) {
      // --skip_flush: the count (with the spans still to come) first,
      // then the last trace, and out the moment its root finishes. Were
      // the loop to sleep out its debt after it, the tracer's timer could
      // send that trace meanwhile, and the injection would lose nothing
      // (1 audit run in 2 did).
      let status = 0;
      if (process.env.TB_RESULT_URL &&
          !postSync(process.env.TB_RESULT_URL, resultOf(loop.made + n))) {
        process.stderr.write('client.js: POST result failed\n');
        status = 1;
      }
      process.stdout.write('exiting without flush (--skip_flush)\n');
      loop.trace(n, null);
      process.exit(status);
    }
    loop.trace(n, null);
    // --block_every N: an export the loop waits for, as a synchronous
    // exporter's (an empty Zipkin report: no span added or lost).
    if (s.blockEvery && loop.made - blockedAt >= s.blockEvery) {
      blockedAt = loop.made;
      try {
        await httpRequest(blockUrl, 'POST', '[]');
      } catch (e) {
        process.stderr.write(`client.js: --block_every: ${e.message}\n`);
      }
    }
    if (s.spanPeriodNs > 0) {
      // Deadline pacing: span i is due at start + i * period; sleep only
      // when ahead. A client that has fallen behind still yields every
      // 100 ms, so the tracer's timers and sockets run.
      const now = performance.now();
      const aheadMs = startMs + loop.made * s.spanPeriodNs / 1e6 - now;
      if (aheadMs >= 1) {
        await sleepMs(aheadMs);
        loop.askedSleepMs += aheadMs;
        yieldedMs = performance.now();
      } else if (now - yieldedMs >= 100) {
        await new Promise((resolve) => { setImmediate(resolve); });
        yieldedMs = performance.now();
      }
      continue;
    }
    debt += s.sleepNs * n;
    // Sleeping is also when the tracer's timers and sockets get to run.
    while (s.sleepIntervalNs > 0 && debt > s.sleepIntervalNs) {
      debt -= s.sleepIntervalNs;
      await sleepMs(s.sleepIntervalNs / 1e6);
      loop.askedSleepMs += s.sleepIntervalNs / 1e6;
    }
  }
  loop.loopMs = performance.now() - startMs;
  // The burner pays what it owes before we leave (at most 10 s), so a run
  // burns burn_ns per traced span, as the C client's does.
  if (s.burnNs) await burner.paid(10000);
  // The loop's window ends here, before the flush.
  const result = resultOf(loop.made);
  if (!s.noFlush) await t.flush();
  let status = 0;
  if (process.env.TB_RESULT_URL) {
    try {
      await httpRequest(process.env.TB_RESULT_URL, 'POST', result);
    } catch (e) {
      process.stderr.write(`client.js: POST result: ${e.message}\n`);
      status = 1;
    }
  }
  process.stdout.write(`made ${loop.made} spans with the ${a.tracer} tracer` +
    ` (traced: ${s.trace}, sink ${sink > 0}); tracer calls per span:` +
    ` ${JSON.stringify(loop.latency.toJSON())} ns\n`);
  return status;
}

main().then((status) => {
  // Leave at once: after a flush nothing is left to send, and with
  // NoFlush the buffered spans are meant to be lost.
  process.exit(status);
}, (e) => {
  fail(`${e.stack || e}`, 1);
});
