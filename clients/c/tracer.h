/* The tracer interface of the C client: the client loop calls these, and
 * each tracer (no-op, Datadog, ...) supplies them. A span handle is opaque
 * to the loop. */
#ifndef TB_CLIENT_TRACER_H
#define TB_CLIENT_TRACER_H

#include <stdbool.h>

struct client_config;

struct tracer_ops {
    const char *name;
    /* Returns 0, or non-zero with a one-line reason in msg (e.g. the
     * package to install). */
    int (*init)(const struct client_config *cfg, char *msg, unsigned len);
    /* parent NULL: a root span. */
    void *(*start_span)(const char *operation, void *parent);
    void (*set_tag)(void *span, const char *key, const char *value);
    void (*log)(void *span, const char *key, const char *value);
    void (*finish)(void *span);
    /* Sends what is buffered; called at exit unless NoFlush. */
    void (*flush)(void);
    /* Releases the tracer; the process exits right after. */
    void (*close)(void);
};

extern const struct tracer_ops tracer_noop;

/* The no-op tracer's calls, for tracers that do nothing in some of theirs
 * (the stub that stands in for a tracer that was not built). */
void *tracer_noop_start_span(const char *operation, void *parent);
void tracer_noop_set_tag(void *span, const char *key, const char *value);
void tracer_noop_finish(void *span);
void tracer_noop_nothing(void);

/* Every call but name and init, as the no-op tracer makes them: a tracer
 * that does nothing else is {.name = ..., .init = ..., TRACER_NOOP_CALLS}. */
#define TRACER_NOOP_CALLS                                                      \
    .start_span = tracer_noop_start_span, .set_tag = tracer_noop_set_tag,      \
    .log = tracer_noop_set_tag, .finish = tracer_noop_finish,                  \
    .flush = tracer_noop_nothing, .close = tracer_noop_nothing

/* Looks a tracer up by name ("noop", "datadog", ...); NULL if unknown. */
const struct tracer_ops *tracer_find(const char *name);

#endif
