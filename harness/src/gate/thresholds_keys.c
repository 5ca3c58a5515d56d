/* The key table: every key a thresholds file may set, the gate it belongs
 * to, the kind of value it takes and its place in tb_thresholds; and what
 * each kind accepts. thresholds/README.md documents the same keys. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "thresholds_internal.h"

#define MAX_TRIALS 1000
#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

const char *const tb__thresholds_expectations[] = {
    [K_POSITIVE] = "a number greater than 0",
    [K_NONNEG] = "a number at least 0",
    [K_FRACTION] = "a number greater than 0 and at most 1",
    [K_UNIT] = "a number from 0 to 1",
    [K_OPEN_UNIT] = "a number strictly between 0 and 1",
    [K_COUNT] = "a whole number at least 0",
    [K_TRIALS] = "a whole number from 2 to 1000",
    [K_RUNS] = "a whole number from 1 to 64",
    [K_RATES] = "an array of 1 to 16 increasing rates greater than 0",
    [K_MODE] = "one of \"typical\", \"slow_succeed\", \"slow_fail\"",
    [K_CONNECTION] = "one of \"keep-alive\", \"close\"",
    [K_ARGS] = "a string of at most 127 printable characters: client "
               "arguments separated by spaces",
};

static const char *const modes[] = {"typical", "slow_succeed", "slow_fail"};
static const char *const connections[] = {"keep-alive", "close"};

#define KEY(g, k, kind)                                                        \
    {                                                                          \
#g, #k, kind, offsetof(tb_thresholds, g.k)                             \
    }

/* Every key, grouped by gate; thresholds/README.md documents the same
 * list in the same order. */
const struct tb__thresholds_key tb__thresholds_keys[] = {
    KEY(memory, rate_sps, K_POSITIVE),
    KEY(memory, short_runtime_s, K_POSITIVE),
    KEY(memory, long_runtime_s, K_POSITIVE),
    KEY(memory, max_ratio, K_POSITIVE),
    KEY(drops, rates_sps, K_RATES),
    KEY(drops, runtime_s, K_POSITIVE),
    KEY(drops, max_dropped, K_COUNT),
    KEY(cpu, rate_sps, K_POSITIVE),
    KEY(cpu, runtime_s, K_POSITIVE),
    KEY(cpu, trials, K_TRIALS),
    KEY(cpu, max_overhead_points, K_POSITIVE),
    KEY(cpu, confidence, K_OPEN_UNIT),
    KEY(cpu, max_trials, K_TRIALS),
    KEY(throughput, rates_sps, K_RATES),
    KEY(throughput, runtime_s, K_POSITIVE),
    KEY(throughput, min_sps, K_POSITIVE),
    KEY(throughput, max_cpu, K_POSITIVE),
    KEY(throughput, min_made_fraction, K_FRACTION),
    KEY(throughput, max_dropped_per_step, K_COUNT),
    KEY(throughput, max_trials, K_COUNT),
    KEY(duplicates, rate_sps, K_POSITIVE),
    KEY(duplicates, runtime_s, K_POSITIVE),
    KEY(duplicates, max_duplicates, K_COUNT),
    KEY(flush, rate_sps, K_POSITIVE),
    KEY(flush, runtime_s, K_POSITIVE),
    KEY(flush, max_dropped, K_COUNT),
    KEY(outage, rate_sps, K_POSITIVE),
    KEY(outage, runtime_s, K_POSITIVE),
    KEY(outage, down_at_s, K_NONNEG),
    KEY(outage, up_at_s, K_POSITIVE),
    KEY(outage, max_memory_ratio, K_POSITIVE),
    KEY(outage, min_delivered_after_fraction, K_UNIT),
    KEY(outage, mark_after_up_s, K_NONNEG),
    KEY(slow, mode, K_MODE),
    KEY(slow, rate_sps, K_POSITIVE),
    KEY(slow, runtime_s, K_POSITIVE),
    KEY(slow, max_memory_ratio, K_POSITIVE),
    KEY(slow, response_delay_ms, K_NONNEG),
    KEY(slow, min_rate_ratio, K_UNIT),
    KEY(cost, spans, K_POSITIVE),
    KEY(cost, work, K_POSITIVE),
    KEY(cost, trials, K_RUNS),
    KEY(cost, max_instructions_per_span, K_POSITIVE),
    KEY(cost, confidence, K_OPEN_UNIT),
    KEY(cost, client_args, K_ARGS),
    KEY(cost, runtime_args, K_ARGS),
    KEY(latency, rate_sps, K_POSITIVE),
    KEY(latency, runtime_s, K_POSITIVE),
    KEY(latency, max_p99_us, K_POSITIVE),
    KEY(baseline, cpu_overhead_rel, K_NONNEG),
    KEY(baseline, cpu_overhead_abs_points, K_NONNEG),
    KEY(baseline, memory_ratio_rel, K_NONNEG),
    KEY(baseline, peak_rss_rel, K_NONNEG),
    KEY(baseline, cost_rel, K_NONNEG),
    KEY(baseline, rate_ratio_rel, K_NONNEG),
    KEY(baseline, latency_rel, K_NONNEG),
    KEY(compare, rounds, K_TRIALS),
    KEY(compare, max_rounds, K_TRIALS),
    KEY(common, target_cpu, K_FRACTION),
    KEY(common, satellite_mode, K_MODE),
    KEY(common, max_drift_points, K_POSITIVE),
    KEY(common, satellite_connection, K_CONNECTION),
    KEY(common, settle_quiet_s, K_POSITIVE),
    KEY(common, settle_max_s, K_POSITIVE),
    KEY(audit, injection_factor, K_POSITIVE),
};

_Static_assert(sizeof(tb__thresholds_keys) / sizeof(tb__thresholds_keys[0]) ==
                   TB__THRESHOLDS_N_KEYS,
               "TB__THRESHOLDS_N_KEYS counts the key table");

const char *const tb__thresholds_profiles[TB__THRESHOLDS_N_PROFILES] = {
    "full", "quick"};

/* The table under its short name, for the functions below. */
static const struct tb__thresholds_key *const keys = tb__thresholds_keys;

int tb__thresholds_find_key(const char *gate, const char *name)
{
    for (size_t i = 0; i < TB__THRESHOLDS_N_KEYS; i++)
        if (strcmp(keys[i].gate, gate) == 0 &&
            (name == NULL || strcmp(keys[i].name, name) == 0))
            return (int)i;
    return -1;
}

/* Writes "a, b, c" into buf: the gates when gate is NULL, else the keys of
 * that gate. */
void tb__thresholds_list_names(const char *gate, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < TB__THRESHOLDS_N_KEYS; i++) {
        const char *name;

        if (gate == NULL) {
            if (i > 0 && strcmp(keys[i].gate, keys[i - 1].gate) == 0)
                continue;
            name = keys[i].gate;
        } else if (strcmp(keys[i].gate, gate) == 0) {
            name = keys[i].name;
        } else {
            continue;
        }
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     used > 0 ? ", " : "", name);
    }
}

bool tb__thresholds_in_range(enum tb__key_kind kind, double v)
{
    if (!isfinite(v))
        return false;
    switch (kind) {
    case K_POSITIVE:
        return v > 0.0;
    case K_NONNEG:
        return v >= 0.0;
    case K_FRACTION:
        return v > 0.0 && v <= 1.0;
    case K_UNIT:
        return v >= 0.0 && v <= 1.0;
    case K_OPEN_UNIT:
        return v > 0.0 && v < 1.0;
    case K_COUNT:
        return v >= 0.0 && v <= MAX_EXACT_INT && v == floor(v);
    case K_TRIALS:
        return v >= 2.0 && v <= MAX_TRIALS && v == floor(v);
    case K_RUNS:
        return v >= 1.0 && v <= 64 && v == floor(v);
    case K_RATES:
    case K_MODE:
    case K_CONNECTION:
    case K_ARGS:
        break;
    }
    return false;
}

const char *tb__thresholds_name(enum tb__key_kind kind, const char *s)
{
    const char *const *names = kind == K_MODE ? modes : connections;
    size_t n = kind == K_MODE ? sizeof(modes) / sizeof(modes[0])
                              : sizeof(connections) / sizeof(connections[0]);

    if (kind != K_MODE && kind != K_CONNECTION)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return names[i];
    return NULL;
}
