/* Stands in for tracer_datadog.cc when the build machine lacks the
 * opentracing-c-wrapper or OpenTracing development files: --tracer datadog
 * then exits 3 naming them, as for any missing tracer. */
#include <stdio.h>

#include "tracer.h"

static int init(const struct client_config *cfg, char *msg, unsigned len)
{
    (void)cfg;
    snprintf(msg, len,
             "libopentracing-c-wrapper-dev libopentracing-dev "
             "libdd-opentracing0 (apt-get install them, then rebuild)");
    return 1;
}

const struct tracer_ops tracer_datadog = {
    .name = "datadog",
    .init = init,
    .start_span = tracer_noop_start_span,
    .set_tag = tracer_noop_set_tag,
    .log = tracer_noop_set_tag,
    .finish = tracer_noop_finish,
    .flush = tracer_noop_nothing,
    .close = tracer_noop_nothing,
};
