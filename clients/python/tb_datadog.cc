// tb_datadog: a CPython extension module over Datadog's C++ tracer
// (dd-opentracing-cpp, Debian libdd-opentracing), for the python-cpp
// client. It is deliberately thin: Python makes one call per tracer call
// of the client loop, as Python bindings over a native tracer do.
//
//   init(traced, host, port, write_period_ms) -> None
//   start_span(name, parent or None) -> Span
//   Span.set_tag(key, value), Span.log(key, value), Span.finish(),
//   Span.drop()                       (never finished: --drop_every)
//   flush() -> None                   (sends everything; see below)
//   stats() -> dict
//
// With traced false the same calls go to OpenTracing's no-op tracer.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <datadog/opentracing.h>
#include <opentracing/noop.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace {

namespace dd = datadog::opentracing;
using steady = std::chrono::steady_clock;

std::shared_ptr<ot::Tracer> tracer;
bool traced;

// init(..., workaround=True): hold back the last two root spans and
// Close() twice (see flush_workaround()). Off by default: the client then
// uses the tracer as its documentation tells users to, finishing every
// span when it ends and calling Close() once at exit, so the flush and
// drops gates measure what a user gets.
bool workaround;

// With the workaround, the last two root spans, whose finish is held back,
// with the times they ended: held[0] is the older.
struct Held {
  std::unique_ptr<ot::Span> span;
  steady::time_point end;
};
Held held[2];

// Errors the tracer logged (failed sends, mostly), and when the last one
// came; the first few are printed.
std::atomic<unsigned long> errors_logged{0};
std::atomic<long long> last_error_ms{-1};
const unsigned long errors_printed = 3;

// A first Close() longer than this means the sends are failing: a good
// send takes milliseconds, a failed one is retried after 0.5 s.
const long long failing_close_ms = 400;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             steady::now().time_since_epoch())
      .count();
}

void log_func(dd::LogLevel level, ot::string_view message) {
  if (level != dd::LogLevel::error) return;
  unsigned long n = ++errors_logged;
  last_error_ms = now_ms();
  if (n <= errors_printed)
    std::fprintf(stderr, "datadog tracer: %.*s\n", (int)message.size(),
                 message.data());
}

struct SpanObject {
  PyObject_HEAD
  ot::Span *span;  // owned until finished or dropped
  bool root;
};

void finish_held(Held &h) {
  if (!h.span) return;
  ot::FinishSpanOptions opts;
  opts.finish_steady_timestamp = h.end;
  h.span->FinishWithOptions(opts);
  h.span.reset();
}

PyObject *span_set_tag(PyObject *self, PyObject *const *args,
                       Py_ssize_t nargs) {
  auto s = reinterpret_cast<SpanObject *>(self);
  Py_ssize_t klen, vlen;
  const char *k, *v;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "set_tag(key, value)");
    return nullptr;
  }
  if (!(k = PyUnicode_AsUTF8AndSize(args[0], &klen))) return nullptr;
  if (!(v = PyUnicode_AsUTF8AndSize(args[1], &vlen))) return nullptr;
  if (s->span) s->span->SetTag({k, (size_t)klen}, std::string(v, vlen));
  Py_RETURN_NONE;
}

PyObject *span_log(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  auto s = reinterpret_cast<SpanObject *>(self);
  Py_ssize_t klen, vlen;
  const char *k, *v;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "log(key, value)");
    return nullptr;
  }
  if (!(k = PyUnicode_AsUTF8AndSize(args[0], &klen))) return nullptr;
  if (!(v = PyUnicode_AsUTF8AndSize(args[1], &vlen))) return nullptr;
  // dd-opentracing-cpp 1.3.6 ignores logs; the call is made all the same.
  if (s->span) s->span->Log({{{k, (size_t)klen}, std::string(v, vlen)}});
  Py_RETURN_NONE;
}

PyObject *span_finish(PyObject *self, PyObject *) {
  auto s = reinterpret_cast<SpanObject *>(self);
  if (!s->span) Py_RETURN_NONE;
  std::unique_ptr<ot::Span> span(s->span);
  s->span = nullptr;
  if (s->root && workaround) {
    // Finishing a root span hands its trace to the tracer's writer. The
    // last two are held back (with their real end times) until flush().
    finish_held(held[0]);
    held[0] = std::move(held[1]);
    held[1] = Held{std::move(span), steady::now()};
  } else {
    span->Finish();
  }
  Py_RETURN_NONE;
}

PyObject *span_drop(PyObject *self, PyObject *) {
  auto s = reinterpret_cast<SpanObject *>(self);
  // Destroying an OpenTracing span finishes it; a dropped span is leaked
  // instead, so its trace never completes, as with a tracer bug.
  s->span = nullptr;
  Py_RETURN_NONE;
}

void span_dealloc(PyObject *self) {
  auto s = reinterpret_cast<SpanObject *>(self);
  PyTypeObject *type = Py_TYPE(self);
  delete s->span;
  type->tp_free(self);
  Py_DECREF(type);  // instances of a heap type own a reference to it
}

PyMethodDef span_methods[] = {
    {"set_tag", (PyCFunction)(void (*)(void))span_set_tag, METH_FASTCALL,
     "set_tag(key, value)"},
    {"log", (PyCFunction)(void (*)(void))span_log, METH_FASTCALL,
     "log(key, value): one field"},
    {"finish", span_finish, METH_NOARGS, "finish()"},
    {"drop", span_drop, METH_NOARGS, "drop(): never finish this span"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot span_slots[] = {
    {Py_tp_dealloc, (void *)span_dealloc},
    {Py_tp_methods, span_methods},
    {Py_tp_doc, (void *)"A span of Datadog's C++ tracer."},
    {0, nullptr}};

PyType_Spec span_spec = {"tb_datadog.Span", sizeof(SpanObject), 0,
                         Py_TPFLAGS_DEFAULT, span_slots};

PyTypeObject *span_type;

PyObject *m_init(PyObject *, PyObject *args) {
  int want_trace;
  const char *host;
  unsigned int port;
  long long write_period_ms;
  int want_workaround = 0;
  if (!PyArg_ParseTuple(args, "psIL|p", &want_trace, &host, &port,
                        &write_period_ms, &want_workaround))
    return nullptr;
  if (tracer) {
    PyErr_SetString(PyExc_RuntimeError, "init() called twice");
    return nullptr;
  }
  traced = want_trace;
  workaround = want_workaround;
  try {
    if (traced) {
      dd::TracerOptions opts;
      opts.agent_host = host;
      opts.agent_port = port;
      opts.service = "tracebench";
      opts.write_period_ms = write_period_ms;
      opts.log_func = log_func;
      tracer = dd::makeTracer(opts);
    } else {
      tracer = ot::MakeNoopTracer();
    }
  } catch (const std::exception &e) {
    PyErr_Format(PyExc_RuntimeError, "datadog tracer: %s", e.what());
    return nullptr;
  }
  if (!tracer) {
    PyErr_SetString(PyExc_RuntimeError, "datadog tracer: not created");
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject *m_start_span(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
  Py_ssize_t len;
  const char *name;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "start_span(name, parent)");
    return nullptr;
  }
  if (!tracer) {
    PyErr_SetString(PyExc_RuntimeError, "init() first");
    return nullptr;
  }
  if (!(name = PyUnicode_AsUTF8AndSize(args[0], &len))) return nullptr;
  SpanObject *parent = nullptr;
  if (args[1] != Py_None) {
    if (!PyObject_TypeCheck(args[1], span_type)) {
      PyErr_SetString(PyExc_TypeError, "parent must be a Span or None");
      return nullptr;
    }
    parent = reinterpret_cast<SpanObject *>(args[1]);
    if (!parent->span) {
      PyErr_SetString(PyExc_ValueError, "parent span already finished");
      return nullptr;
    }
  }
  auto s = PyObject_New(SpanObject, span_type);
  if (!s) return nullptr;
  std::unique_ptr<ot::Span> span =
      parent ? tracer->StartSpan({name, (size_t)len},
                                 {ot::ChildOf(&parent->span->context())})
             : tracer->StartSpan({name, (size_t)len});
  s->span = span.release();
  s->root = parent == nullptr;
  return reinterpret_cast<PyObject *>(s);
}

// The workaround for dd-opentracing-cpp 1.3.6, for a team that needs
// every span delivered at exit with this version.
//
// Tracer::Close() only asks the tracer's writer thread to flush, and waits
// (up to 5 s) for it to say it is done. Two cases lose spans or time:
// - If the writer is in the middle of a periodic send when asked, it says
//   done when that send ends; traces queued since stay unsent.
// - If nothing is queued, the writer never says done (it spins until a
//   trace comes), and Close() waits its full 5 s.
// Hence the two held-back roots. Queue the older, then Close(): something
// is queued, and whichever case happens, the writer is idle afterwards
// with a fresh 200 ms period. Then queue the last and Close() again: the
// idle writer sends everything still queued. With a single trace nothing
// was ever sent before, so one Close() does it.
//
// When sends are failing (no satellite: an error was logged lately, or the
// first Close() lasted past a retry's 0.5 s backoff), each Close() lasts
// the writer's retries (about 3 s) and the spans are lost anyway: the
// second Close() is skipped.
void flush_workaround() {
  long long close_ms = 0;
  if (held[0].span) {
    long long t0 = now_ms();
    finish_held(held[0]);
    tracer->Close();
    close_ms = now_ms() - t0;
  }
  if (held[1].span) {
    finish_held(held[1]);
    long long last = last_error_ms.load();
    bool failing = close_ms > failing_close_ms ||
                   (last >= 0 && now_ms() - last < 5000);
    if (!failing) tracer->Close();
  }
}

// At exit a user calls Close() once: flush what is queued, stop the
// writer.
PyObject *m_flush(PyObject *, PyObject *) {
  if (!tracer) Py_RETURN_NONE;
  Py_BEGIN_ALLOW_THREADS
  if (workaround)
    flush_workaround();
  else
    tracer->Close();
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

PyObject *m_stats(PyObject *, PyObject *) {
  return Py_BuildValue("{s:k}", "errors_logged", errors_logged.load());
}

PyMethodDef module_methods[] = {
    {"init", m_init, METH_VARARGS,
     "init(traced, host, port, write_period_ms, workaround=False)"},
    {"start_span", (PyCFunction)(void (*)(void))m_start_span, METH_FASTCALL,
     "start_span(name, parent or None) -> Span"},
    {"flush", m_flush, METH_NOARGS, "flush(): send all finished spans"},
    {"stats", m_stats, METH_NOARGS, "stats() -> dict"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT,
                          "tb_datadog",
                          "Datadog's C++ tracer for the tracebench client.",
                          -1,
                          module_methods,
                          nullptr,
                          nullptr,
                          nullptr,
                          nullptr};

}  // namespace

PyMODINIT_FUNC PyInit_tb_datadog(void) {
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return nullptr;
  span_type = reinterpret_cast<PyTypeObject *>(PyType_FromSpec(&span_spec));
  if (!span_type) {
    Py_DECREF(m);
    return nullptr;
  }
  Py_INCREF(span_type);  // one reference stays in span_type
  if (PyModule_AddObject(m, "Span", (PyObject *)span_type) < 0) {
    Py_DECREF(span_type);
    Py_DECREF(m);
    return nullptr;
  }
  return m;
}
