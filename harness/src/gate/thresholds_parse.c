/* Reading one thresholds file: its JSON checked against the key table,
 * each value stored into both profiles' state with the file it came from.
 * Every fault names the file, the key path and what was expected. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "jsonfile.h"
#include "thresholds_internal.h"

/* The key table's parts under short names, for the functions below. */
static const struct tb__thresholds_key *const keys = tb__thresholds_keys;
static const char *const *const profiles = tb__thresholds_profiles;
static const char *const *const expectations = tb__thresholds_expectations;

static tb_err bad_value(tb_error *err, const char *file, const char *path,
                        enum tb__key_kind kind, const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: expected %s, got %g",
                            file, path, expectations[kind], item->valuedouble);
    if (cJSON_IsString(item))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s: expected %s, got \"%.40s\"", file, path,
                            expectations[kind], item->valuestring);
    return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: expected %s, got %s", file,
                        path, expectations[kind], tb__json_type_name(item));
}

static tb_err parse_rates(const char *file, const char *path, const cJSON *item,
                          struct tb_rate_list *out, tb_error *err)
{
    struct tb_rate_list list = {0};
    const cJSON *el;

    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0 ||
        cJSON_GetArraySize(item) > TB_THRESHOLDS_MAX_RATES) {
        if (cJSON_IsArray(item))
            return tb_error_set(
                err, TB_ERR_CONFIG, "%s: %s: expected %s, got %s array", file,
                path, expectations[K_RATES],
                cJSON_GetArraySize(item) == 0 ? "an empty" : "a longer");
        return bad_value(err, file, path, K_RATES, item);
    }
    cJSON_ArrayForEach(el, item)
    {
        double v = el->valuedouble;

        if (!cJSON_IsNumber(el))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected a rate greater than "
                                "0, got %s",
                                file, path, list.n, tb__json_type_name(el));
        if (!tb__thresholds_in_range(K_POSITIVE, v))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected a rate greater than "
                                "0, got %g",
                                file, path, list.n, v);
        if (list.n > 0 && v <= list.sps[list.n - 1])
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s[%zu]: expected rates in increasing "
                                "order, got %g after %g",
                                file, path, list.n, v, list.sps[list.n - 1]);
        list.sps[list.n++] = v;
    }
    *out = list;
    return TB_OK;
}

/* Checks one value and stores it at the key's place in t. */
static tb_err parse_value(const char *file, const char *path,
                          const struct tb__thresholds_key *k, const cJSON *item,
                          tb_thresholds *t, tb_error *err)
{
    char *field = (char *)t + k->offset;

    switch (k->kind) {
    case K_RATES:
        return parse_rates(file, path, item, (struct tb_rate_list *)field, err);
    case K_MODE:
    case K_CONNECTION: {
        const char *name = cJSON_IsString(item)
                               ? tb__thresholds_name(k->kind, item->valuestring)
                               : NULL;

        if (name == NULL)
            return bad_value(err, file, path, k->kind, item);
        strcpy(field, name); /* the longest name is 12 bytes of 16 */
        return TB_OK;
    }
    case K_ARGS: {
        /* Printable ASCII only: the words go into a client's argv. */
        const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
        size_t n = s ? strlen(s) : 0;

        for (size_t i = 0; s != NULL && i < n; i++)
            if (s[i] < ' ' || s[i] > '~')
                s = NULL;
        if (s == NULL || n > TB_THRESHOLDS_MAX_ARGS)
            return bad_value(err, file, path, k->kind, item);
        memcpy(field, s, n + 1);
        return TB_OK;
    }
    default:
        break;
    }
    if (!cJSON_IsNumber(item) ||
        !tb__thresholds_in_range(k->kind, item->valuedouble))
        return bad_value(err, file, path, k->kind, item);
    if (k->kind == K_COUNT)
        *(uint64_t *)(void *)field = (uint64_t)item->valuedouble;
    else if (k->kind == K_TRIALS || k->kind == K_RUNS)
        *(unsigned *)(void *)field = (unsigned)item->valuedouble;
    else
        *(double *)(void *)field = item->valuedouble;
    return TB_OK;
}

static tb_err expect_string(const char *file, const char *path,
                            const cJSON *item, tb_error *err)
{
    if (cJSON_IsString(item))
        return TB_OK;
    return tb_error_set(err, TB_ERR_CONFIG,
                        "%s: %s: expected a string, "
                        "got %s",
                        file, path, tb__json_type_name(item));
}

static tb_err parse_gate(const char *file, int p, const cJSON *gate,
                         struct tb__profile_state *ps, signed char which,
                         bool *seen, tb_error *err)
{
    char path[256], names[512];
    const cJSON *item;
    tb_err e;

    cJSON_ArrayForEach(item, gate)
    {
        int i = tb__thresholds_find_key(gate->string, item->string);

        snprintf(path, sizeof(path), "%s.%s.%s", profiles[p], gate->string,
                 item->string);
        if (i < 0) {
            tb__thresholds_list_names(gate->string, names, sizeof(names));
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown key (expected one of: %s)",
                                file, path, names);
        }
        if (seen[i])
            return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: key set twice",
                                file, path);
        seen[i] = true;
        if ((e = parse_value(file, path, &keys[i], item, &ps->t, err)) != TB_OK)
            return e;
        ps->src[i] = which;
    }
    return TB_OK;
}

static tb_err parse_profile(const char *file, int p, const cJSON *obj,
                            struct tb__profile_state *ps, signed char which,
                            tb_error *err)
{
    bool seen[TB__THRESHOLDS_N_KEYS] = {false};
    char path[256], names[512];
    const cJSON *gate;
    tb_err e;

    if (!cJSON_IsObject(obj))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s: expected an object of gates, got %s", file,
                            profiles[p], tb__json_type_name(obj));
    cJSON_ArrayForEach(gate, obj)
    {
        snprintf(path, sizeof(path), "%s.%s", profiles[p], gate->string);
        if (strcmp(gate->string, "description") == 0) {
            if ((e = expect_string(file, path, gate, err)) != TB_OK)
                return e;
            continue;
        }
        if (tb__thresholds_find_key(gate->string, NULL) < 0) {
            tb__thresholds_list_names(NULL, names, sizeof(names));
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown gate (expected "
                                "\"description\" or one of: %s)",
                                file, path, names);
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
static tb_err
parse_known(const char *file, const cJSON *known,
            struct tb__profile_state ps[TB__THRESHOLDS_N_PROFILES],
            signed char which, tb_error *err)
{
    const cJSON *it;

    if (which != SRC_CLIENT)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: known: only a client's file declares "
                            "known tracer defects",
                            file);
    if (!cJSON_IsObject(known))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: known: expected an object of gate names "
                            "to reasons, got %s",
                            file, tb__json_type_name(known));
    cJSON_ArrayForEach(it, known)
    {
        if (tb__thresholds_find_key(it->string, NULL) < 0 ||
            strcmp(it->string, "baseline") == 0 ||
            strcmp(it->string, "common") == 0 ||
            strcmp(it->string, "audit") == 0)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: known.%s: not a gate (gates: memory, "
                                "drops, cpu, throughput, duplicates, flush, "
                                "outage, slow)",
                                file, it->string);
        /* "reason", or {"reason": "...", "intermittent": true,
         * "at_most": 10}: a defect that shows in some runs only, whose
         * pass proves nothing; and the most it has been seen to cost, so
         * that a worse failure of the same gate is not hidden by it. */
        const cJSON *reason = it, *inter = NULL, *most = NULL;
        if (cJSON_IsObject(it)) {
            const cJSON *k;
            cJSON_ArrayForEach(k, it) if (
                strcmp(k->string, "reason") != 0 &&
                strcmp(k->string, "intermittent") != 0 &&
                strcmp(k->string, "at_most") !=
                    0) return tb_error_set(err, TB_ERR_CONFIG,
                                           "%s: known.%s.%s: unknown key "
                                           "(expected reason, intermittent, "
                                           "at_most)",
                                           file, it->string, k->string);
            reason = cJSON_GetObjectItemCaseSensitive(it, "reason");
            inter = cJSON_GetObjectItemCaseSensitive(it, "intermittent");
            most = cJSON_GetObjectItemCaseSensitive(it, "at_most");
            if (inter != NULL && !cJSON_IsBool(inter))
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: known.%s.intermittent: expected "
                                    "true or false",
                                    file, it->string);
            if (most != NULL &&
                (!cJSON_IsNumber(most) || !isfinite(most->valuedouble) ||
                 most->valuedouble < 0))
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: known.%s.at_most: expected a "
                                    "number, 0 or more",
                                    file, it->string);
        }
        if (!cJSON_IsString(reason) || reason->valuestring[0] == '\0')
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: known.%s: expected the defect as a "
                                "non-empty string (with the tracer "
                                "version)",
                                file, it->string);
        for (int p = 0; p < TB__THRESHOLDS_N_PROFILES; p++) {
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
            t->known[t->n_known].at_most = most != NULL ? most->valuedouble
                                                        : NAN;
            t->n_known++;
        }
    }
    return TB_OK;
}

static tb_err parse_file(const char *file, const cJSON *root,
                         struct tb__profile_state ps[TB__THRESHOLDS_N_PROFILES],
                         signed char which, tb_error *err)
{
    bool seen[TB__THRESHOLDS_N_PROFILES] = {false};
    const cJSON *item;
    tb_err e;

    if (!cJSON_IsObject(root))
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: expected a JSON object with \"full\" and "
                            "\"quick\" profiles, got %s",
                            file, tb__json_type_name(root));
    cJSON_ArrayForEach(item, root)
    {
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
        for (int i = 0; i < TB__THRESHOLDS_N_PROFILES; i++)
            if (strcmp(item->string, profiles[i]) == 0)
                p = i;
        if (p < 0)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s: unknown key (expected "
                                "\"description\", \"known\", \"full\" or "
                                "\"quick\")",
                                file, item->string);
        if (seen[p])
            return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: profile set twice",
                                file, item->string);
        seen[p] = true;
        if ((e = parse_profile(file, p, item, &ps[p], which, err)) != TB_OK)
            return e;
    }
    return TB_OK;
}

tb_err
tb__thresholds_read_file(const char *path, const char *shown, bool optional,
                         struct tb__profile_state ps[TB__THRESHOLDS_N_PROFILES],
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
                            "a default.json setting every key)",
                            shown);
    }
    if (!S_ISREG(st.st_mode))
        return tb_error_set(err, TB_ERR_CONFIG, "%s: expected a regular file",
                            shown);
    if ((e = tb__json_load(path, shown, &root, err)) != TB_OK)
        return e;
    e = parse_file(shown, root, ps, which, err);
    cJSON_Delete(root);
    *found = e == TB_OK;
    return e;
}
