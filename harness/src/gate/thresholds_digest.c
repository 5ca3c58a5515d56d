/* The thresholds digest: 16 hex digits that change with any limit or
 * parameter of a profile and with nothing else (not the files' layout or
 * descriptions), which baselines record to tell whether they were measured
 * against the same limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "thresholds_internal.h"

/* The table under its short name, for the functions below. */
static const struct tb__thresholds_key *const keys = tb__thresholds_keys;

/* FNV-1a over "gate.key=value;" for every key of the profile, in the key
 * table's order: the same limits give the same digest whatever the files'
 * layout, comments or descriptions. */
void tb__thresholds_make_digest(const tb_thresholds *t, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    char buf[512];

    for (size_t i = 0; i < TB__THRESHOLDS_N_KEYS; i++) {
        const char *field = (const char *)t + keys[i].offset;
        int n = snprintf(buf, sizeof(buf), "%s.%s=", keys[i].gate,
                         keys[i].name);
        size_t off = n > 0 ? (size_t)n : 0;
        switch (keys[i].kind) {
        case K_RATES: {
            const struct tb_rate_list *r = (const void *)field;
            for (size_t k = 0; k < r->n && off < sizeof(buf) - 32; k++)
                off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%.17g,",
                                        r->sps[k]);
            break;
        }
        case K_MODE:
        case K_ARGS:
            snprintf(buf + off, sizeof(buf) - off, "%s", field);
            break;
        case K_COUNT:
            snprintf(
                buf + off, sizeof(buf) - off, "%llu",
                (unsigned long long)*(const uint64_t *)(const void *)field);
            break;
        case K_TRIALS:
            snprintf(buf + off, sizeof(buf) - off, "%u",
                     *(const unsigned *)(const void *)field);
            break;
        default:
            snprintf(buf + off, sizeof(buf) - off, "%.17g",
                     *(const double *)(const void *)field);
            break;
        }
        for (const char *c = buf; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        h = (h ^ ';') * 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
