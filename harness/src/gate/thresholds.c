/* Thresholds files: load default.json and a client's file, check every
 * key, merge key by key. The file format is described in
 * tracebench/gate/thresholds.h and thresholds/README.md. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "jsonfile.h"
#include "tracebench/util/paths.h"
#include "tracebench/gate/thresholds.h"

/* What a key holds; each kind has one sentence of expectation. */
enum kind {
    K_POSITIVE,                 /* number > 0 */
    K_NONNEG,                   /* number >= 0 */
    K_FRACTION,                 /* number in (0, 1] */
    K_UNIT,                     /* number in [0, 1] */
    K_OPEN_UNIT,                /* number in (0, 1) */
    K_COUNT,                    /* whole number >= 0 */
    K_TRIALS,                   /* whole number in [2, MAX_TRIALS] */
    K_RUNS,                     /* whole number in [1, 64] */
    K_RATES,                    /* struct tb_rate_list */
    K_MODE,                     /* satellite mode name */
    K_CONNECTION                /* satellite connection handling */
};

#define MAX_TRIALS 1000
#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

static const char *const expectations[] = {
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
};

static const char *const modes[] = {"typical", "slow_succeed", "slow_fail"};
static const char *const connections[] = {"keep-alive", "close"};

struct key {
    const char *gate;
    const char *name;
    enum kind kind;
    size_t offset;              /* into tb_thresholds */
};

#define KEY(g, k, kind) {#g, #k, kind, offsetof(tb_thresholds, g.k)}

/* Every key, grouped by gate; thresholds/README.md documents the same
 * list in the same order. */
static const struct key keys[] = {
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
    KEY(latency, rate_sps, K_POSITIVE),
    KEY(latency, runtime_s, K_POSITIVE),
    KEY(latency, max_p99_us, K_POSITIVE),
    KEY(baseline, cpu_overhead_rel, K_NONNEG),
    KEY(baseline, cpu_overhead_abs_points, K_NONNEG),
    KEY(baseline, memory_ratio_rel, K_NONNEG),
    KEY(baseline, peak_rss_rel, K_NONNEG),
    KEY(baseline, cost_rel, K_NONNEG),
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

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
#define N_PROFILES 2

static const char *const profiles[N_PROFILES] = {"full", "quick"};

/* Which file set each key: -1 none yet, else an index into files[]. */
enum { SRC_NONE = -1, SRC_DEFAULT = 0, SRC_CLIENT = 1 };

struct profile_state {
    tb_thresholds t;
    signed char src[N_KEYS];
};

/* The public struct first, so a tb_thresholds * is also a struct impl *. */
struct impl {
    tb_thresholds pub;
    char digest[17];            /* tb_thresholds_digest */
    char *files[2];             /* display names; files[1] may be NULL */
    signed char src[N_KEYS];
};

/* --- Key table helpers -------------------------------------------------- */

static int find_key(const char *gate, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].gate, gate) == 0 &&
            (name == NULL || strcmp(keys[i].name, name) == 0))
            return (int)i;
    return -1;
}

/* Writes "a, b, c" into buf: the gates when gate is NULL, else the keys of
 * that gate. */
static void list_names(const char *gate, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
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

/* --- Values ------------------------------------------------------------- */

static bool in_range(enum kind kind, double v)
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
        break;
    }
    return false;
}

static tb_err bad_value(tb_error *err, const char *file, const char *path,
                        enum kind kind, const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s: expected %s, got %g", file, path,
                            expectations[kind], item->valuedouble);
    if (cJSON_IsString(item))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s: expected %s, got \"%.40s\"", file, path,
                            expectations[kind], item->valuestring);
    return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: expected %s, got %s",
                        file, path, expectations[kind],
                        tb__json_type_name(item));
}

static tb_err parse_rates(const char *file, const char *path,
                          const cJSON *item, struct tb_rate_list *out,
                          tb_error *err)
{
    struct tb_rate_list list = {0};
    const cJSON *el;

    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0 ||
        cJSON_GetArraySize(item) > TB_THRESHOLDS_MAX_RATES) {
        if (cJSON_IsArray(item))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: expected %s, got %s array", file,
                                path, expectations[K_RATES],
                                cJSON_GetArraySize(item) == 0 ? "an empty"
                                : "a longer");
        return bad_value(err, file, path, K_RATES, item);
    }
    cJSON_ArrayForEach(el, item) {
        double v = el->valuedouble;

        if (!cJSON_IsNumber(el))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected a rate greater than "
                                "0, got %s", file, path, list.n,
                                tb__json_type_name(el));
        if (!in_range(K_POSITIVE, v))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected a rate greater than "
                                "0, got %g", file, path, list.n, v);
        if (list.n > 0 && v <= list.sps[list.n - 1])
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected rates in increasing "
                                "order, got %g after %g", file, path, list.n,
                                v, list.sps[list.n - 1]);
        list.sps[list.n++] = v;
    }
    *out = list;
    return TB_OK;
}

/* Checks one value and stores it at the key's place in t. */
static tb_err parse_value(const char *file, const char *path,
                          const struct key *k, const cJSON *item,
                          tb_thresholds *t, tb_error *err)
{
    char *field = (char *)t + k->offset;

    switch (k->kind) {
    case K_RATES:
        return parse_rates(file, path, item, (struct tb_rate_list *)field,
                           err);
    case K_MODE:
        if (cJSON_IsString(item))
            for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
                if (strcmp(item->valuestring, modes[i]) == 0) {
                    /* Each mode fits: the longest is 12 bytes of 16. */
                    strcpy(field, modes[i]);
                    return TB_OK;
                }
        return bad_value(err, file, path, k->kind, item);
    case K_CONNECTION:
        if (cJSON_IsString(item))
            for (size_t i = 0; i < 2; i++)
                if (strcmp(item->valuestring, connections[i]) == 0) {
                    strcpy(field, connections[i]); /* fits in 16 */
                    return TB_OK;
                }
        return bad_value(err, file, path, k->kind, item);
    default:
        break;
    }
    if (!cJSON_IsNumber(item) || !in_range(k->kind, item->valuedouble))
        return bad_value(err, file, path, k->kind, item);
    if (k->kind == K_COUNT)
        *(uint64_t *)(void *)field = (uint64_t)item->valuedouble;
    else if (k->kind == K_TRIALS || k->kind == K_RUNS)
        *(unsigned *)(void *)field = (unsigned)item->valuedouble;
    else
        *(double *)(void *)field = item->valuedouble;
    return TB_OK;
}

/* --- Files -------------------------------------------------------------- */

static tb_err expect_string(const char *file, const char *path,
                            const cJSON *item, tb_error *err)
{
    if (cJSON_IsString(item))
        return TB_OK;
    return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: expected a string, "
                        "got %s", file, path, tb__json_type_name(item));
}

static tb_err parse_gate(const char *file, int p, const cJSON *gate,
                         struct profile_state *ps, signed char which,
                         bool *seen, tb_error *err)
{
    char path[256], names[512];
    const cJSON *item;
    tb_err e;

    cJSON_ArrayForEach(item, gate) {
        int i = find_key(gate->string, item->string);

        snprintf(path, sizeof(path), "%s.%s.%s", profiles[p], gate->string,
                 item->string);
        if (i < 0) {
            list_names(gate->string, names, sizeof(names));
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown key (expected one of: %s)",
                                file, path, names);
        }
        if (seen[i])
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: key set twice", file, path);
        seen[i] = true;
        if ((e = parse_value(file, path, &keys[i], item, &ps->t, err)) !=
            TB_OK)
            return e;
        ps->src[i] = which;
    }
    return TB_OK;
}

static tb_err parse_profile(const char *file, int p, const cJSON *obj,
                            struct profile_state *ps, signed char which,
                            tb_error *err)
{
    bool seen[N_KEYS] = {false};
    char path[256], names[512];
    const cJSON *gate;
    tb_err e;

    if (!cJSON_IsObject(obj))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s: expected an object of gates, got %s",
                            file, profiles[p], tb__json_type_name(obj));
    cJSON_ArrayForEach(gate, obj) {
        snprintf(path, sizeof(path), "%s.%s", profiles[p], gate->string);
        if (strcmp(gate->string, "description") == 0) {
            if ((e = expect_string(file, path, gate, err)) != TB_OK)
                return e;
            continue;
        }
        if (find_key(gate->string, NULL) < 0) {
            list_names(NULL, names, sizeof(names));
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown gate (expected "
                                "\"description\" or one of: %s)", file, path,
                                names);
        }
        if (!cJSON_IsObject(gate))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: expected an object of keys, got %s",
                                file, path, tb__json_type_name(gate));
        if ((e = parse_gate(file, p, gate, ps, which, seen, err)) != TB_OK)
            return e;
    }
    return TB_OK;
}

/* "known": {"<gate>": "reason, with the tracer version"}: tracer defects
 * a client's file declares, so that the gate reports "known failure"
 * instead of failing the build. Only a client's file may declare one (a
 * defect belongs to one tracer), and only for a gate that exists. */
static tb_err parse_known(const char *file, const cJSON *known,
                          struct profile_state ps[N_PROFILES],
                          signed char which, tb_error *err)
{
    const cJSON *it;

    if (which != SRC_CLIENT)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: known: only a client's file declares "
                            "known tracer defects", file);
    if (!cJSON_IsObject(known))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: known: expected an object of gate names "
                            "to reasons, got %s", file,
                            tb__json_type_name(known));
    cJSON_ArrayForEach(it, known) {
        if (find_key(it->string, NULL) < 0 ||
            strcmp(it->string, "baseline") == 0 ||
            strcmp(it->string, "common") == 0 ||
            strcmp(it->string, "audit") == 0)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: known.%s: not a gate (gates: memory, "
                                "drops, cpu, throughput, duplicates, flush, "
                                "outage, slow)", file, it->string);
        /* "reason", or {"reason": "...", "intermittent": true}: a defect
         * that shows in some runs only, whose pass proves nothing. */
        const cJSON *reason = it, *inter = NULL;
        if (cJSON_IsObject(it)) {
            const cJSON *k;
            cJSON_ArrayForEach(k, it)
                if (strcmp(k->string, "reason") != 0 &&
                    strcmp(k->string, "intermittent") != 0)
                    return tb_error_set(err, TB_ERR_CONFIG,
                                        "%s: known.%s.%s: unknown key "
                                        "(expected reason, intermittent)",
                                        file, it->string, k->string);
            reason = cJSON_GetObjectItemCaseSensitive(it, "reason");
            inter = cJSON_GetObjectItemCaseSensitive(it, "intermittent");
            if (inter != NULL && !cJSON_IsBool(inter))
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: known.%s.intermittent: expected "
                                    "true or false", file, it->string);
        }
        if (!cJSON_IsString(reason) || reason->valuestring[0] == '\0')
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: known.%s: expected the defect as a "
                                "non-empty string (with the tracer "
                                "version)", file, it->string);
        for (int p = 0; p < N_PROFILES; p++) {
            tb_thresholds *t = &ps[p].t;
            if (t->n_known == TB_THRESHOLDS_MAX_KNOWN)
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: known: more than %d gates", file,
                                    TB_THRESHOLDS_MAX_KNOWN);
            snprintf(t->known[t->n_known].gate,
                     sizeof(t->known[t->n_known].gate), "%s", it->string);
            snprintf(t->known[t->n_known].reason,
                     sizeof(t->known[t->n_known].reason), "%s",
                     reason->valuestring);
            t->known[t->n_known].intermittent = cJSON_IsTrue(inter);
            t->n_known++;
        }
    }
    return TB_OK;
}

static tb_err parse_file(const char *file, const cJSON *root,
                         struct profile_state ps[N_PROFILES],
                         signed char which, tb_error *err)
{
    bool seen[N_PROFILES] = {false};
    const cJSON *item;
    tb_err e;

    if (!cJSON_IsObject(root))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: expected a JSON object with \"full\" and "
                            "\"quick\" profiles, got %s", file,
                            tb__json_type_name(root));
    cJSON_ArrayForEach(item, root) {
        int p = -1;

        if (strcmp(item->string, "description") == 0) {
            if ((e = expect_string(file, "description", item, err)) != TB_OK)
                return e;
            continue;
        }
        if (strcmp(item->string, "known") == 0) {
            if ((e = parse_known(file, item, ps, which, err)) != TB_OK)
                return e;
            continue;
        }
        for (int i = 0; i < N_PROFILES; i++)
            if (strcmp(item->string, profiles[i]) == 0)
                p = i;
        if (p < 0)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown key (expected "
                                "\"description\", \"known\", \"full\" or "
                                "\"quick\")",
                                file, item->string);
        if (seen[p])
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: profile set twice", file,
                                item->string);
        seen[p] = true;
        if ((e = parse_profile(file, p, item, &ps[p], which, err)) != TB_OK)
            return e;
    }
    return TB_OK;
}

/* default.json is where every key gets its value, so a key it lacks would
 * leave a gate with a silent zero. */
static tb_err check_complete(const char *file,
                             const struct profile_state ps[N_PROFILES],
                             tb_error *err)
{
    for (int p = 0; p < N_PROFILES; p++)
        for (size_t i = 0; i < N_KEYS; i++)
            if (ps[p].src[i] == SRC_NONE)
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: %s.%s.%s: missing (expected the "
                                    "defaults to set %s for every key of "
                                    "both profiles)", file, profiles[p],
                                    keys[i].gate, keys[i].name,
                                    expectations[keys[i].kind]);
    return TB_OK;
}

/* Rules between keys, checked on the merged values, so the message names
 * the file each value came from. */
static tb_err check_consistent(char *const files[2], int p,
                               const struct profile_state *ps,
                               tb_error *err)
{
    const tb_thresholds *t = &ps->t;
    const struct {
        bool ok;
        const char *key, *other;
        double value, limit;
        const char *relation;
    } rules[] = {
        {t->memory.long_runtime_s > t->memory.short_runtime_s,
         "memory.long_runtime_s", "memory.short_runtime_s",
         t->memory.long_runtime_s, t->memory.short_runtime_s,
         "greater than"},
        {t->outage.up_at_s > t->outage.down_at_s, "outage.up_at_s",
         "outage.down_at_s", t->outage.up_at_s, t->outage.down_at_s,
         "greater than"},
        {t->outage.up_at_s < t->outage.runtime_s, "outage.up_at_s",
         "outage.runtime_s", t->outage.up_at_s, t->outage.runtime_s,
         "less than"},
        {t->compare.max_rounds >= t->compare.rounds, "compare.max_rounds",
         "compare.rounds", t->compare.max_rounds, t->compare.rounds,
         "at least"},
        {t->throughput.min_sps <=
             t->throughput.rates_sps.sps[t->throughput.rates_sps.n - 1],
         "throughput.min_sps", "throughput.rates_sps",
         t->throughput.min_sps,
         t->throughput.rates_sps.sps[t->throughput.rates_sps.n - 1],
         "at most the last rate of"},
        {t->cpu.max_trials >= t->cpu.trials, "cpu.max_trials", "cpu.trials",
         t->cpu.max_trials, t->cpu.trials, "at least"},
        {t->throughput.max_trials >= 1, "throughput.max_trials",
         "throughput.max_trials", t->throughput.max_trials, 1, "at least"},
        {t->common.settle_max_s >= t->common.settle_quiet_s,
         "common.settle_max_s", "common.settle_quiet_s",
         t->common.settle_max_s, t->common.settle_quiet_s, "at least"},
        {t->outage.up_at_s + t->outage.mark_after_up_s < t->outage.runtime_s, "outage.mark_after_up_s", "outage.runtime_s",
         t->outage.up_at_s + t->outage.mark_after_up_s, t->outage.runtime_s,
         "(added to outage.up_at_s) less than"},
    };

    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        char gate[32];
        const char *dot;
        int i, j;

        if (rules[r].ok)
            continue;
        dot = strchr(rules[r].key, '.');
        snprintf(gate, sizeof(gate), "%.*s", (int)(dot - rules[r].key),
                 rules[r].key);
        i = find_key(gate, dot + 1);
        j = find_key(gate, strchr(rules[r].other, '.') + 1);
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s.%s: expected a value %s %s.%s (%g, "
                            "from %s), got %g", files[ps->src[i]],
                            profiles[p], rules[r].key, rules[r].relation,
                            profiles[p], rules[r].other, rules[r].limit,
                            files[ps->src[j]], rules[r].value);
    }
    return TB_OK;
}

/* "<dir>/<name>", shown relative to the project root when under it. */
static char *display_name(const char *path)
{
    const char *root = tb_root_dir();
    size_t n = strlen(root);

    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n > 0 && strncmp(path, root, n) == 0 && path[n] == '/' &&
        path[n + 1] != '\0')
        path += n + 1;
    return tb__strdup(path);
}

static tb_err join(const char *dir, const char *name, char **out,
                   tb_error *err)
{
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    size_t size = n + strlen(name) + 7;
    char *p = malloc(size);

    if (p == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
    snprintf(p, size, "%s%s%s.json", dir, slash ? "" : "/", name);
    *out = p;
    return TB_OK;
}

/* Parses one file into ps; a missing file is skipped when optional. */
static tb_err load_file(const char *path, const char *shown, bool optional,
                        struct profile_state ps[N_PROFILES],
                        signed char which, bool *found, tb_error *err)
{
    struct stat st;
    cJSON *root = NULL;
    tb_err e;

    *found = false;
    if (stat(path, &st) != 0) {
        if (optional)
            return TB_OK;
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: missing (every thresholds directory needs "
                            "a default.json setting every key)", shown);
    }
    if (!S_ISREG(st.st_mode))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: expected a regular file", shown);
    if ((e = tb__json_load(path, shown, &root, err)) != TB_OK)
        return e;
    e = parse_file(shown, root, ps, which, err);
    cJSON_Delete(root);
    *found = e == TB_OK;
    return e;
}

static tb_err check_args(const char *dir, const char *client,
                         const char *profile, tb_thresholds **out, int *p,
                         tb_error *err)
{
    if (dir == NULL || out == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: NULL directory or output");
    *p = -1;
    for (int i = 0; i < N_PROFILES; i++)
        if (profile != NULL && strcmp(profile, profiles[i]) == 0)
            *p = i;
    if (*p < 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: profile \"%s\": expected \"full\" "
                            "or \"quick\"", profile ? profile : "(null)");
    if (client != NULL &&
        (client[0] == '\0' || client[0] == '.' ||
         strchr(client, '/') != NULL ||
         strlen(client) >= TB_THRESHOLDS_NAME_SIZE))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: client \"%s\": expected a name "
                            "of 1 to %d characters without '/' or a "
                            "leading '.'", client,
                            TB_THRESHOLDS_NAME_SIZE - 1);
    return TB_OK;
}

/* FNV-1a over "gate.key=value;" for every key of the profile, in the key
 * table's order: the same limits give the same digest whatever the files'
 * layout, comments or descriptions. */
static void make_digest(const tb_thresholds *t, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    char buf[512];

    for (size_t i = 0; i < N_KEYS; i++) {
        const char *field = (const char *)t + keys[i].offset;
        int n = snprintf(buf, sizeof(buf), "%s.%s=", keys[i].gate,
                         keys[i].name);
        size_t off = n > 0 ? (size_t)n : 0;
        switch (keys[i].kind) {
        case K_RATES: {
            const struct tb_rate_list *r = (const void *)field;
            for (size_t k = 0; k < r->n && off < sizeof(buf) - 32; k++)
                off += (size_t)snprintf(buf + off, sizeof(buf) - off,
                                        "%.17g,", r->sps[k]);
            break;
        }
        case K_MODE:
            snprintf(buf + off, sizeof(buf) - off, "%s", field);
            break;
        case K_COUNT:
            snprintf(buf + off, sizeof(buf) - off, "%llu",
                     (unsigned long long)*(const uint64_t *)(const void *)
                         field);
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

tb_err tb_thresholds_load(const char *dir, const char *client,
                          const char *profile, tb_thresholds **out,
                          tb_error *err)
{
    struct profile_state *ps = NULL;
    struct impl *im = NULL;
    char *paths[2] = {NULL, NULL}, *files[2] = {NULL, NULL};
    bool found = false;
    int p = 0;
    tb_err e;

    if ((e = check_args(dir, client, profile, out, &p, err)) != TB_OK)
        return e;
    ps = calloc(N_PROFILES, sizeof(*ps));
    im = calloc(1, sizeof(*im));
    if (ps == NULL || im == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
        goto out;
    }
    for (int i = 0; i < N_PROFILES; i++)
        memset(ps[i].src, SRC_NONE, sizeof(ps[i].src));

    if ((e = join(dir, "default", &paths[0], err)) != TB_OK)
        goto out;
    files[0] = display_name(paths[0]);
    if (files[0] == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
        goto out;
    }
    if ((e = load_file(paths[0], files[0], false, ps, SRC_DEFAULT, &found,
                       err)) != TB_OK ||
        (e = check_complete(files[0], ps, err)) != TB_OK)
        goto out;

    if (client != NULL) {
        if ((e = join(dir, client, &paths[1], err)) != TB_OK)
            goto out;
        files[1] = display_name(paths[1]);
        if (files[1] == NULL) {
            e = tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
            goto out;
        }
        if ((e = load_file(paths[1], files[1], true, ps, SRC_CLIENT, &found,
                           err)) != TB_OK)
            goto out;
        if (!found) {
            free(files[1]);
            files[1] = NULL;
        }
    }
    for (int i = 0; i < N_PROFILES; i++)
        if ((e = check_consistent(files, i, &ps[i], err)) != TB_OK)
            goto out;

    im->pub = ps[p].t;
    snprintf(im->pub.client, sizeof(im->pub.client), "%s",
             client != NULL ? client : "");
    snprintf(im->pub.profile, sizeof(im->pub.profile), "%s", profiles[p]);
    memcpy(im->src, ps[p].src, sizeof(im->src));
    make_digest(&im->pub, im->digest);
    im->files[0] = files[0];
    im->files[1] = files[1];
    files[0] = files[1] = NULL;
    *out = &im->pub;
    im = NULL;
    e = TB_OK;
out:
    free(ps);
    free(im);
    free(paths[0]);
    free(paths[1]);
    free(files[0]);
    free(files[1]);
    return e;
}

void tb_thresholds_free(tb_thresholds *t)
{
    struct impl *im = (struct impl *)t;

    if (im == NULL)
        return;
    free(im->files[0]);
    free(im->files[1]);
    free(im);
}

const char *tb_thresholds_source(const tb_thresholds *t, const char *key)
{
    const struct impl *im = (const struct impl *)t;
    const char *dot;
    char gate[32];
    int i;

    if (im == NULL || key == NULL)
        return NULL;
    dot = strchr(key, '.');
    if (dot == NULL || dot - key >= (ptrdiff_t)sizeof(gate))
        return NULL;
    snprintf(gate, sizeof(gate), "%.*s", (int)(dot - key), key);
    i = find_key(gate, dot + 1);
    if (i < 0 || im->src[i] == SRC_NONE)
        return NULL;
    return im->files[im->src[i]];
}

const char *tb_thresholds_known(const tb_thresholds *t, const char *gate)
{
    for (size_t i = 0; t != NULL && gate != NULL && i < t->n_known; i++)
        if (strcmp(t->known[i].gate, gate) == 0)
            return t->known[i].reason;
    return NULL;
}

bool tb_thresholds_known_intermittent(const tb_thresholds *t,
                                      const char *gate)
{
    for (size_t i = 0; t != NULL && gate != NULL && i < t->n_known; i++)
        if (strcmp(t->known[i].gate, gate) == 0)
            return t->known[i].intermittent;
    return false;
}

const char *tb_thresholds_digest(const tb_thresholds *t)
{
    return t != NULL ? ((const struct impl *)t)->digest : "";
}
