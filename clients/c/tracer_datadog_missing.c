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
    TRACER_NOOP_CALLS,
};
