/* The Datadog tracer of the C client: Datadog's C++ tracer
 * (dd-opentracing-cpp, Debian libdd-opentracing0), loaded as an
 * OpenTracing plugin through Debian's opentracing-c-wrapper, as a C
 * program such as HAProxy uses it. C++ only for the flush (see flush()).
 *
 * Settings: the plugin takes its options as JSON, which in dd-opentracing-
 * cpp 1.3.6 cannot set the report period: it is fixed at 1 s (the C++
 * option write_period_ms is not read from JSON). The buffer is fixed at
 * 7,000 traces. Logs reach the tracer, which ignores them in 1.3.6. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The wrapper's headers expect these included first. */
#include <opentracing-c-wrapper/include.h>
#include <opentracing/tracer.h>

extern "C" {
#include "client.h"
#include "tracer.h"
}

namespace {

/* The plugin's file, found on the loader's search path. */
const char plugin[] = "libdd_opentracing_plugin.so";
const char missing[] =
    "libdd-opentracing0 (apt-get install libdd-opentracing0)";

struct otc_tracer *tracer;

/* False when the tracer was only loaded: no satellite port was given (the
 * registry's check does that). Spans are then not made at all. */
bool started;

/* --flush_workaround 1: hold back the last two root spans and Close()
 * twice (see flush_workaround()). Off by default: the client then uses
 * the tracer as its documentation tells users to, finishing every span
 * when it ends and closing the tracer once at exit, so the flush and drops
 * gates measure what a user gets. */
bool workaround;

/* The root span now open, to tell roots apart in finish(): the loop opens
 * one trace at a time. */
struct otc_span *open_root;

/* With the workaround, the last two root spans, whose finish is held back,
 * with the times they ended; held[0] is the older. */
struct held_root {
    struct otc_span *span;
    struct timespec end; /* CLOCK_MONOTONIC, as steady_clock */
};
struct held_root held[2];

/* A first Close() longer than this means the sends are failing: a good
 * send takes milliseconds, a failed one is retried after 0.5 s. */
const double failing_close_s = 0.4;

void finish_held(struct held_root *h)
{
    struct otc_finish_span_options opts;

    if (h->span == nullptr)
        return;
    memset(&opts, 0, sizeof(opts));
    opts.finish_time.value = h->end;
    h->span->finish_with_options(h->span, &opts);
    h->span = nullptr;
}

double now_s()
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Hostnames and IP addresses only: the host goes into JSON unescaped. */
bool host_ok(const char *host)
{
    if (*host == '\0')
        return false;
    for (const char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
              *p == ':'))
            return false;
    return true;
}

int init(const struct client_config *cfg, char *msg, unsigned len)
{
    char json[512], err[512];

    err[0] = '\0';
    if (cfg->port <= 0) {
        /* Only see that the plugin loads. */
        tracer = otc_tracer_load(plugin, err, (int)sizeof(err));
        if (tracer == nullptr) {
            snprintf(msg, len, "%s: %s", missing, err);
            return 1;
        }
        return 0;
    }
    if (!host_ok(cfg->host)) {
        snprintf(msg, len, "datadog tracer: bad satellite host '%s'",
                 cfg->host);
        return 1;
    }
    snprintf(json, sizeof(json),
             "{\"service\": \"tracebench\", \"agent_host\": \"%s\", "
             "\"agent_port\": %d}",
             cfg->host, cfg->port);
    tracer = otc_tracer_init(plugin, nullptr, json, err, (int)sizeof(err));
    if (tracer == nullptr) {
        snprintf(msg, len, "%s: %s", missing, err);
        return 1;
    }
    started = true;
    workaround = cfg->flush_workaround;
    return 0;
}

void *start_span(const char *operation, void *parent)
{
    struct otc_span *s;

    if (!started)
        return nullptr;
    if (parent == nullptr) {
        s = tracer->start_span(tracer, operation);
        open_root = s;
        return s;
    }
    struct otc_span *p = static_cast<struct otc_span *>(parent);
    struct otc_span_context *ctx = p->span_context(p);
    struct otc_span_reference ref = {otc_span_reference_child_of, ctx};
    struct otc_start_span_options opts;

    memset(&opts, 0, sizeof(opts));
    opts.references = &ref;
    opts.num_references = 1;
    s = tracer->start_span_with_options(tracer, operation, &opts);
    if (ctx != nullptr)
        ctx->destroy(&ctx);
    return s;
}

void set_tag(void *span, const char *key, const char *value)
{
    struct otc_span *s = static_cast<struct otc_span *>(span);
    struct otc_value v;

    if (s == nullptr)
        return;
    v.type = otc_value_string;
    v.value.string_value = value;
    s->set_tag(s, key, &v);
}

void log_kv(void *span, const char *key, const char *value)
{
    struct otc_span *s = static_cast<struct otc_span *>(span);
    struct otc_log_field f;

    if (s == nullptr)
        return;
    f.key = key;
    f.value.type = otc_value_string;
    f.value.value.string_value = value;
    s->log_fields(s, &f, 1);
}

void finish(void *span)
{
    struct otc_span *s = static_cast<struct otc_span *>(span);

    if (s == nullptr)
        return;
    if (!workaround || s != open_root) {
        s->finish(s);
        return;
    }
    /* Finishing a root span hands its trace to the tracer's writer; the
     * last two are held back, with their real end times, until flush(). */
    open_root = nullptr;
    finish_held(&held[0]);
    held[0] = held[1];
    held[1].span = s;
    clock_gettime(CLOCK_MONOTONIC, &held[1].end);
}

/* The workaround for dd-opentracing-cpp 1.3.6 (--flush_workaround 1), for
 * a team that needs every span delivered at exit with this version.
 *
 * The tracer's Close() only asks its writer thread to flush, and waits (up
 * to 5 s) for it to say it is done. Two cases lose spans or time:
 * - If the writer is in the middle of a periodic send when asked, it says
 *   done when that send ends; traces queued since stay unsent.
 * - If nothing is queued, the writer never says done (it spins until a
 *   trace comes), and Close() waits its full 5 s.
 * Hence the two held-back roots. Queue the older, then Close(): something
 * is queued, and whichever case happens, the writer is idle afterwards
 * with a fresh period. Then queue the last and Close() again: the idle
 * writer sends everything still queued. With a single trace nothing was
 * ever sent before, so one Close() does it.
 *
 * The wrapper's own close() would Close() a third time with nothing
 * queued, so the tracer is reached through OpenTracing's global tracer,
 * which the wrapper sets. When the first Close() lasted the writer's
 * retries (about 3 s: the sends are failing) the spans are lost anyway,
 * and the second is skipped. */
void flush_workaround()
{
    std::shared_ptr<opentracing::Tracer> t = opentracing::Tracer::Global();
    bool failing = false;

    if (held[0].span != nullptr) {
        double t0 = now_s();
        finish_held(&held[0]);
        t->Close();
        failing = now_s() - t0 > failing_close_s;
    }
    if (held[1].span != nullptr) {
        finish_held(&held[1]);
        if (!failing)
            t->Close();
    }
}

/* At exit a user closes the tracer once: the wrapper's close(), which
 * calls the tracer's Close() (flush what is queued, stop the writer). */
void flush()
{
    if (!started)
        return;
    if (workaround) {
        flush_workaround();
        return;
    }
    tracer->close(tracer);
}

/* Nothing: the process exits right after, and the tracer's static
 * destructors, which can crash, must not run (the loop leaves with
 * _exit). The tracer was closed by flush(); with NoFlush it is not
 * closed at all, as a program that exits without flushing. */
void close_tracer() {}

} // namespace

extern "C" const struct tracer_ops tracer_datadog = {
    /* .name = */ "datadog",
    /* .init = */ init,
    /* .start_span = */ start_span,
    /* .set_tag = */ set_tag,
    /* .log = */ log_kv,
    /* .finish = */ finish,
    /* .flush = */ flush,
    /* .close = */ close_tracer,
};
