/* Loading thresholds: default.json, then a client's file over it key by
 * key, the rules between keys checked on the merged values, and one
 * profile handed out with the file each key came from. The file format is
 * described in tracebench/gate/thresholds.h and thresholds/README.md; the
 * keys are in thresholds_keys.c, reading a file in thresholds_parse.c. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "thresholds_internal.h"
#include "tracebench/util/paths.h"

/* The public struct first, so a tb_thresholds * is also a struct impl *. */
struct impl {
    tb_thresholds pub;
    char digest[17]; /* tb_thresholds_digest */
    char *files[2];  /* display names; files[1] may be NULL */
    signed char src[TB__THRESHOLDS_N_KEYS];
};

/* default.json is where every key gets its value, so a key it lacks would
 * leave a gate with a silent zero. */
static tb_err
check_complete(const char *file,
               const struct tb__profile_state ps[TB__THRESHOLDS_N_PROFILES],
               tb_error *err)
{
    for (int p = 0; p < TB__THRESHOLDS_N_PROFILES; p++)
        for (size_t i = 0; i < TB__THRESHOLDS_N_KEYS; i++) {
            const struct tb__thresholds_key *k = &tb__thresholds_keys[i];

            if (ps[p].src[i] == SRC_NONE)
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "%s: %s.%s.%s: missing (expected the "
                                    "defaults to set %s for every key of "
                                    "both profiles)",
                                    file, tb__thresholds_profiles[p], k->gate,
                                    k->name,
                                    tb__thresholds_expectations[k->kind]);
        }
    return TB_OK;
}

/* Rules between keys, checked on the merged values, so the message names
 * the file each value came from. */
static tb_err check_consistent(char *const files[2], int p,
                               const struct tb__profile_state *ps,
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
         t->memory.long_runtime_s, t->memory.short_runtime_s, "greater than"},
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
         "throughput.min_sps", "throughput.rates_sps", t->throughput.min_sps,
         t->throughput.rates_sps.sps[t->throughput.rates_sps.n - 1],
         "at most the last rate of"},
        {t->cpu.max_trials >= t->cpu.trials, "cpu.max_trials", "cpu.trials",
         t->cpu.max_trials, t->cpu.trials, "at least"},
        {t->throughput.max_trials >= 1, "throughput.max_trials",
         "throughput.max_trials", t->throughput.max_trials, 1, "at least"},
        {t->common.settle_max_s >= t->common.settle_quiet_s,
         "common.settle_max_s", "common.settle_quiet_s", t->common.settle_max_s,
         t->common.settle_quiet_s, "at least"},
        {t->outage.up_at_s + t->outage.mark_after_up_s < t->outage.runtime_s,
         "outage.mark_after_up_s", "outage.runtime_s",
         t->outage.up_at_s + t->outage.mark_after_up_s, t->outage.runtime_s,
         "(added to outage.up_at_s) less than"},
    };

    const char *profile = tb__thresholds_profiles[p];

    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        char gate[32];
        const char *dot;
        int i, j;

        if (rules[r].ok)
            continue;
        dot = strchr(rules[r].key, '.');
        snprintf(gate, sizeof(gate), "%.*s", (int)(dot - rules[r].key),
                 rules[r].key);
        i = tb__thresholds_find_key(gate, dot + 1);
        j = tb__thresholds_find_key(gate, strchr(rules[r].other, '.') + 1);
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s.%s: expected a value %s %s.%s (%g, "
                            "from %s), got %g",
                            files[ps->src[i]], profile, rules[r].key,
                            rules[r].relation, profile, rules[r].other,
                            rules[r].limit, files[ps->src[j]], rules[r].value);
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

static tb_err join(const char *dir, const char *name, char **out, tb_error *err)
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

static tb_err check_args(const char *dir, const char *client,
                         const char *profile, tb_thresholds **out, int *p,
                         tb_error *err)
{
    if (dir == NULL || out == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: NULL directory or output");
    *p = -1;
    for (int i = 0; i < TB__THRESHOLDS_N_PROFILES; i++)
        if (profile != NULL && strcmp(profile, tb__thresholds_profiles[i]) == 0)
            *p = i;
    if (*p < 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: profile \"%s\": expected \"full\" "
                            "or \"quick\"",
                            profile ? profile : "(null)");
    if (client != NULL &&
        (client[0] == '\0' || client[0] == '.' || strchr(client, '/') != NULL ||
         strlen(client) >= TB_THRESHOLDS_NAME_SIZE))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "thresholds: client \"%s\": expected a name "
                            "of 1 to %d characters without '/' or a "
                            "leading '.'",
                            client, TB_THRESHOLDS_NAME_SIZE - 1);
    return TB_OK;
}

tb_err tb_thresholds_load(const char *dir, const char *client,
                          const char *profile, tb_thresholds **out,
                          tb_error *err)
{
    struct tb__profile_state *ps = NULL;
    struct impl *im = NULL;
    char *paths[2] = {NULL, NULL}, *files[2] = {NULL, NULL};
    bool found = false;
    int p = 0;
    tb_err e;

    if ((e = check_args(dir, client, profile, out, &p, err)) != TB_OK)
        return e;
    ps = calloc(TB__THRESHOLDS_N_PROFILES, sizeof(*ps));
    im = calloc(1, sizeof(*im));
    if (ps == NULL || im == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
        goto out;
    }
    for (int i = 0; i < TB__THRESHOLDS_N_PROFILES; i++)
        memset(ps[i].src, SRC_NONE, sizeof(ps[i].src));

    if ((e = join(dir, "default", &paths[0], err)) != TB_OK)
        goto out;
    files[0] = display_name(paths[0]);
    if (files[0] == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "thresholds: out of memory");
        goto out;
    }
    if ((e = tb__thresholds_read_file(paths[0], files[0], false, ps,
                                      SRC_DEFAULT, &found, err)) != TB_OK ||
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
        if ((e = tb__thresholds_read_file(paths[1], files[1], true, ps,
                                          SRC_CLIENT, &found, err)) != TB_OK)
            goto out;
        if (!found) {
            free(files[1]);
            files[1] = NULL;
        }
    }
    for (int i = 0; i < TB__THRESHOLDS_N_PROFILES; i++)
        if ((e = check_consistent(files, i, &ps[i], err)) != TB_OK)
            goto out;

    im->pub = ps[p].t;
    snprintf(im->pub.client, sizeof(im->pub.client), "%s",
             client != NULL ? client : "");
    snprintf(im->pub.profile, sizeof(im->pub.profile), "%s",
             tb__thresholds_profiles[p]);
    memcpy(im->src, ps[p].src, sizeof(im->src));
    tb__thresholds_make_digest(&im->pub, im->digest);
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
    i = tb__thresholds_find_key(gate, dot + 1);
    if (i < 0 || im->src[i] == SRC_NONE)
        return NULL;
    return im->files[im->src[i]];
}

/* The gate's declared defect, or NULL. */
static const struct tb_thresholds_known *known_of(const tb_thresholds *t,
                                                  const char *gate)
{
    for (size_t i = 0; t != NULL && gate != NULL && i < t->n_known; i++)
        if (strcmp(t->known[i].gate, gate) == 0)
            return &t->known[i];
    return NULL;
}

const char *tb_thresholds_known(const tb_thresholds *t, const char *gate)
{
    const struct tb_thresholds_known *k = known_of(t, gate);

    return k != NULL ? k->reason : NULL;
}

bool tb_thresholds_known_intermittent(const tb_thresholds *t, const char *gate)
{
    const struct tb_thresholds_known *k = known_of(t, gate);

    return k != NULL && k->intermittent;
}

double tb_thresholds_known_at_most(const tb_thresholds *t, const char *gate)
{
    const struct tb_thresholds_known *k = known_of(t, gate);

    return k != NULL ? k->at_most : NAN;
}

const char *tb_thresholds_digest(const tb_thresholds *t)
{
    return t != NULL ? ((const struct impl *)t)->digest : "";
}
