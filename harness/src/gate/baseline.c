/* Baseline files: a run's named figures, saved and loaded as JSON. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "jsonfile.h"
#include "tracebench/gate/baseline.h"

static bool fits(const char *s, size_t size)
{
    return s != NULL && s[0] != '\0' && strlen(s) < size;
}

tb_err tb_baseline_new(const char *client, const char *profile,
                       tb_baseline **out, tb_error *err)
{
    tb_baseline *b;
    struct tm tm;
    time_t now = time(NULL);

    if (!fits(client, sizeof(b->client)) || !fits(profile, sizeof(b->profile)))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "baseline: client \"%s\" and profile \"%s\": "
                            "expected non-empty names of at most %zu and "
                            "%zu characters",
                            client ? client : "(null)",
                            profile ? profile : "(null)", sizeof(b->client) - 1,
                            sizeof(b->profile) - 1);
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "baseline: out of memory");
    snprintf(b->client, sizeof(b->client), "%s", client);
    snprintf(b->profile, sizeof(b->profile), "%s", profile);
    if (gmtime_r(&now, &tm) != NULL)
        strftime(b->timestamp, sizeof(b->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    *out = b;
    return TB_OK;
}

void tb_baseline_free(tb_baseline *b)
{
    if (b == NULL)
        return;
    free(b->figures);
    free(b);
}

const tb_baseline_figure *tb_baseline_get(const tb_baseline *b,
                                          const char *name)
{
    if (b == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < b->n_figures; i++)
        if (strcmp(b->figures[i].name, name) == 0)
            return &b->figures[i];
    return NULL;
}

tb_err tb_baseline_set(tb_baseline *b, const char *name, double median,
                       double lo, double hi, size_t n, tb_error *err)
{
    tb_baseline_figure *f, *grown;

    if (b == NULL || !fits(name, TB_BASELINE_NAME_SIZE))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "baseline: figure name \"%s\": expected 1 to %d "
                            "characters",
                            name ? name : "(null)", TB_BASELINE_NAME_SIZE - 1);
    if (!isfinite(median) || !isfinite(lo) || !isfinite(hi) || lo > hi ||
        n == 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "baseline: figure %s: expected finite median, "
                            "lo <= hi and n >= 1, got median %g, interval "
                            "[%g, %g], n %zu",
                            name, median, lo, hi, n);
    f = (tb_baseline_figure *)tb_baseline_get(b, name);
    if (f == NULL) {
        grown = realloc(b->figures, (b->n_figures + 1) * sizeof(*grown));
        if (grown == NULL)
            return tb_error_set(err, TB_ERR_NOMEM, "baseline: out of memory");
        b->figures = grown;
        f = &b->figures[b->n_figures++];
        snprintf(f->name, sizeof(f->name), "%s", name);
    }
    f->median = median;
    f->lo = lo;
    f->hi = hi;
    f->n = n;
    return TB_OK;
}

/* --- Saving ------------------------------------------------------------- */

static cJSON *to_json(const tb_baseline *b)
{
    cJSON *root = cJSON_CreateObject(), *figs;
    bool ok = root != NULL;

    ok = ok && cJSON_AddNumberToObject(root, "format", TB_BASELINE_FORMAT);
    ok = ok && cJSON_AddStringToObject(root, "client", b->client);
    ok = ok && cJSON_AddStringToObject(root, "profile", b->profile);
    ok = ok && cJSON_AddStringToObject(root, "timestamp", b->timestamp);
    if (ok && b->thresholds_digest[0] != '\0')
        ok = cJSON_AddStringToObject(root, "thresholds_digest",
                                     b->thresholds_digest) != NULL;
    if (ok && b->tracer_version[0] != '\0')
        ok = cJSON_AddStringToObject(root, "tracer_version",
                                     b->tracer_version) != NULL;
    figs = ok ? cJSON_AddObjectToObject(root, "figures") : NULL;
    ok = figs != NULL;
    for (size_t i = 0; ok && i < b->n_figures; i++) {
        const tb_baseline_figure *f = &b->figures[i];
        cJSON *o = cJSON_AddObjectToObject(figs, f->name);

        ok = o != NULL;
        ok = ok && cJSON_AddNumberToObject(o, "median", f->median);
        ok = ok && cJSON_AddNumberToObject(o, "lo", f->lo);
        ok = ok && cJSON_AddNumberToObject(o, "hi", f->hi);
        ok = ok && cJSON_AddNumberToObject(o, "n", (double)f->n);
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

tb_err tb_baseline_save(const tb_baseline *b, const char *path, tb_error *err)
{
    cJSON *root = NULL;
    char *text = NULL, *tmp = NULL;
    size_t size;
    FILE *f = NULL;
    tb_err e;

    if (b == NULL || path == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "baseline: NULL baseline or path");
    root = to_json(b);
    text = root != NULL ? cJSON_Print(root) : NULL;
    size = strlen(path) + 32;
    tmp = malloc(size);
    if (text == NULL || tmp == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "baseline %s: out of memory", path);
        goto out;
    }
    snprintf(tmp, size, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        e = tb_error_set(err, TB_ERR_IO, "baseline %s: cannot create %s: %s",
                         path, tmp, strerror(errno));
        goto out;
    }
    if (fputs(text, f) == EOF || fputc('\n', f) == EOF) {
        e = tb_error_set(err, TB_ERR_IO, "baseline %s: write: %s", path,
                         strerror(errno));
        goto out;
    }
    /* fclose reports a write that failed in the buffer (a full disk). */
    if (fclose(f) != 0) {
        f = NULL;
        e = tb_error_set(err, TB_ERR_IO, "baseline %s: write: %s", path,
                         strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        e = tb_error_set(err, TB_ERR_IO, "baseline %s: rename from %s: %s",
                         path, tmp, strerror(errno));
        goto out;
    }
    e = TB_OK;
out:
    if (f != NULL)
        fclose(f);
    if (e != TB_OK && tmp != NULL)
        remove(tmp);
    free(tmp);
    free(text);
    cJSON_Delete(root);
    return e;
}

/* --- Loading ------------------------------------------------------------ */

static tb_err bad_field(const char *path, const char *field,
                        const char *expected, const cJSON *got, tb_error *err)
{
    return tb_error_set(
        err, TB_ERR_CONFIG, "baseline %s: %s: expected %s, got %s", path, field,
        expected, got == NULL ? "nothing" : tb__json_type_name(got));
}

static tb_err get_string(const char *path, const cJSON *root, const char *field,
                         char *dst, size_t size, tb_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, field);

    if (!cJSON_IsString(item) || !fits(item->valuestring, size)) {
        char what[64];

        snprintf(what, sizeof(what), "a string of 1 to %zu characters",
                 size - 1);
        return bad_field(path, field, what, item, err);
    }
    snprintf(dst, size, "%s", item->valuestring);
    return TB_OK;
}

static tb_err get_number(const char *path, const char *fig, const cJSON *obj,
                         const char *field, double *out, tb_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    char where[160];

    snprintf(where, sizeof(where), "figures.%s.%s", fig, field);
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return bad_field(path, where, "a number", item, err);
    *out = item->valuedouble;
    return TB_OK;
}

static tb_err parse_figures(const char *path, const cJSON *figs, tb_baseline *b,
                            tb_error *err)
{
    const cJSON *fig, *item;
    tb_error local = {0};
    tb_err e;

    if (!cJSON_IsObject(figs))
        return bad_field(path, "figures", "an object", figs, err);
    cJSON_ArrayForEach(fig, figs)
    {
        double median = 0, lo = 0, hi = 0, n = 0;

        if (!cJSON_IsObject(fig))
            return tb_error_set(err, TB_ERR_CONFIG,
                                "baseline %s: figures.%s: expected an "
                                "object, got %s",
                                path, fig->string, tb__json_type_name(fig));
        cJSON_ArrayForEach(item, fig)
        {
            if (strcmp(item->string, "median") != 0 &&
                strcmp(item->string, "lo") != 0 &&
                strcmp(item->string, "hi") != 0 &&
                strcmp(item->string, "n") != 0)
                return tb_error_set(err, TB_ERR_CONFIG,
                                    "baseline %s: figures.%s.%s: unknown "
                                    "key (expected median, lo, hi, n)",
                                    path, fig->string, item->string);
        }
        if ((e = get_number(path, fig->string, fig, "median", &median, err)) !=
                TB_OK ||
            (e = get_number(path, fig->string, fig, "lo", &lo, err)) != TB_OK ||
            (e = get_number(path, fig->string, fig, "hi", &hi, err)) != TB_OK ||
            (e = get_number(path, fig->string, fig, "n", &n, err)) != TB_OK)
            return e;
        if (n < 1 || n != floor(n) || n > 1e9)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "baseline %s: figures.%s.n: expected a "
                                "whole number at least 1, got %g",
                                path, fig->string, n);
        if (tb_baseline_get(b, fig->string) != NULL)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "baseline %s: figures.%s: set twice", path,
                                fig->string);
        /* The remaining checks (name length, lo <= hi) are set's own; its
         * message goes through a local buffer to gain the path. */
        if ((e = tb_baseline_set(b, fig->string, median, lo, hi, (size_t)n,
                                 &local)) != TB_OK)
            return tb_error_set(err, e == TB_ERR_NOMEM ? e : TB_ERR_CONFIG,
                                "%s: %s", path, local.msg);
    }
    return TB_OK;
}

tb_err tb_baseline_load(const char *path, tb_baseline **out, tb_error *err)
{
    static const char *const known[] = {"format",        "client",
                                        "profile",       "timestamp",
                                        "figures",       "thresholds_digest",
                                        "tracer_version"};
    const cJSON *format, *item;
    cJSON *root = NULL;
    tb_baseline *b = NULL;
    struct stat st;
    tb_err e;

    if (path == NULL || out == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "baseline: NULL path or output");
    if (stat(path, &st) != 0)
        return tb_error_set(err, TB_ERR_IO,
                            "baseline %s: %s (record one with `make "
                            "baseline CLIENT=<client>`)",
                            path, strerror(errno));
    if ((e = tb__json_load(path, NULL, &root, err)) != TB_OK)
        return e;
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "baseline: out of memory");
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        e = bad_field(path, "top level", "an object", root, err);
        goto out;
    }
    cJSON_ArrayForEach(item, root)
    {
        bool ok = false;

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok = ok || strcmp(item->string, known[i]) == 0;
        if (!ok) {
            e = tb_error_set(err, TB_ERR_CONFIG,
                             "baseline %s: %s: unknown key (expected format, "
                             "client, profile, timestamp, figures, "
                             "thresholds_digest, tracer_version)",
                             path, item->string);
            goto out;
        }
    }
    format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsNumber(format)) {
        e = bad_field(path, "format", "the number 1", format, err);
        goto out;
    }
    if (format->valuedouble != TB_BASELINE_FORMAT) {
        e = tb_error_set(err, TB_ERR_CONFIG,
                         "baseline %s: format: expected %d, got %g (written "
                         "by another version of tracebench)",
                         path, TB_BASELINE_FORMAT, format->valuedouble);
        goto out;
    }
    if ((e = get_string(path, root, "client", b->client, sizeof(b->client),
                        err)) != TB_OK ||
        (e = get_string(path, root, "profile", b->profile, sizeof(b->profile),
                        err)) != TB_OK ||
        (e = get_string(path, root, "timestamp", b->timestamp,
                        sizeof(b->timestamp), err)) != TB_OK ||
        (e = parse_figures(path,
                           cJSON_GetObjectItemCaseSensitive(root, "figures"), b,
                           err)) != TB_OK)
        goto out;
    if ((cJSON_GetObjectItemCaseSensitive(root, "thresholds_digest") &&
         (e = get_string(path, root, "thresholds_digest", b->thresholds_digest,
                         sizeof(b->thresholds_digest), err)) != TB_OK) ||
        (cJSON_GetObjectItemCaseSensitive(root, "tracer_version") &&
         (e = get_string(path, root, "tracer_version", b->tracer_version,
                         sizeof(b->tracer_version), err)) != TB_OK))
        goto out;
    *out = b;
    b = NULL;
    e = TB_OK;
out:
    tb_baseline_free(b);
    cJSON_Delete(root);
    return e;
}

tb_err tb_baseline_check(const tb_baseline *b, const char *path,
                         const char *client, const char *profile,
                         const char *thresholds_digest,
                         const char *tracer_version, tb_error *err)
{
    if (strcmp(b->client, client) != 0 || strcmp(b->profile, profile) != 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "baseline %s was recorded for client %s, "
                            "profile %s; this run is client %s, profile %s "
                            "(record one with `make baseline CLIENT=%s "
                            "PROFILE=%s`)",
                            path, b->client, b->profile, client, profile,
                            client, profile);
    if (b->thresholds_digest[0] != '\0' && thresholds_digest != NULL &&
        strcmp(b->thresholds_digest, thresholds_digest) != 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "baseline %s was judged by thresholds %s; this "
                            "run's thresholds (thresholds/, client %s, "
                            "profile %s) are %s: the limits changed since, "
                            "record the baseline again",
                            path, b->thresholds_digest, client, profile,
                            thresholds_digest);
    if (b->tracer_version[0] != '\0' && tracer_version != NULL &&
        tracer_version[0] != '\0' &&
        strcmp(b->tracer_version, tracer_version) != 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "baseline %s was recorded with tracer version "
                            "%s; this run's is %s",
                            path, b->tracer_version, tracer_version);
    return TB_OK;
}
