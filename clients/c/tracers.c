/* The tracers this build of the C client knows. */
#include <string.h>

#include "tracer.h"

#ifdef TB_HAVE_DATADOG
extern const struct tracer_ops tracer_datadog;
#endif

static const struct tracer_ops *const all[] = {
    &tracer_noop,
#ifdef TB_HAVE_DATADOG
    &tracer_datadog,
#endif
};

const struct tracer_ops *tracer_find(const char *name)
{
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
