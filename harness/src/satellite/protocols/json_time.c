/* Span start times in the JSON protocols (Zipkin, OTLP JSON, LightStep
 * JSON). */
#include <cjson/cJSON.h>

#include "protocols.h"

/* Decimal digits only, fitting in 64 bits; -1 otherwise. */
static int dec_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (i == 0 || s[i] != '\0')
        return -1;
    *out = v;
    return 0;
}

uint64_t tb__json_start_ns(const struct cJSON *v, bool strings,
                           uint64_t ns_per_unit)
{
    uint64_t n;

    if (strings && cJSON_IsString(v)) {
        if (dec_u64(v->valuestring, &n) != 0)
            return 0;
    } else if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
               v->valuedouble < 0x1p64) {
        /* cJSON holds numbers as doubles: exact up to 2^53. */
        n = (uint64_t)v->valuedouble;
    } else {
        return 0; /* absent, another type, negative or NaN */
    }
    return n <= UINT64_MAX / ns_per_unit ? n * ns_per_unit : 0;
}
