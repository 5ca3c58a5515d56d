/* The no-op tracer: the same calls as a real tracer, doing nothing, so that
 * traced minus untraced CPU is the tracer's own cost. */
#include <stddef.h>
#include <string.h>

#include "tracer.h"

static char span_token;

static int init(const struct client_config *cfg, char *msg, unsigned len)
{
    (void)cfg;
    (void)msg;
    (void)len;
    return 0;
}

void *tracer_noop_start_span(const char *operation, void *parent)
{
    (void)operation;
    (void)parent;
    return &span_token;
}

void tracer_noop_set_tag(void *span, const char *key, const char *value)
{
    (void)span;
    (void)key;
    (void)value;
}

void tracer_noop_finish(void *span)
{
    (void)span;
}
void tracer_noop_nothing(void)
{
}

const struct tracer_ops tracer_noop = {
    .name = "noop",
    .init = init,
    TRACER_NOOP_CALLS,
};
