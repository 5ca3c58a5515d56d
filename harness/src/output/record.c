/* Appending to results.jsonl. Each line is written with one write() on an
 * O_APPEND descriptor, so lines from several processes (Criterion runs each
 * test in its own) never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tracebench/util/log.h"
#include "tracebench/output/record.h"

const char *tb_record_default_path(void)
{
    static char path[1100];

    snprintf(path, sizeof(path), "%s/results.jsonl", tb_log_dir());
    return path;
}

static cJSON *header(const char *kind, const char *run_id, const char *client,
                     const char *gate, const char *profile)
{
    cJSON *o = cJSON_CreateObject();
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "time", stamp);
    cJSON_AddStringToObject(o, "run", run_id ? run_id : "");
    cJSON_AddStringToObject(o, "client", client);
    cJSON_AddStringToObject(o, "gate", gate);
    cJSON_AddStringToObject(o, "profile", profile);
    return o;
}

static tb_err append(const char *path, cJSON *o, tb_error *err)
{
    char *text = cJSON_PrintUnformatted(o);
    size_t len;
    ssize_t n;
    int fd;

    cJSON_Delete(o);
    if (text == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; we write len + 1 bytes */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(text);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    }
    n = write(fd, text, len + 1);
    free(text);
    if (n != (ssize_t)(len + 1)) {
        int e = errno;
        close(fd);
        return tb_error_set(err, TB_ERR_IO, "%s: short write: %s", path,
                            strerror(e));
    }
    if (close(fd) != 0)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    return TB_OK;
}

tb_err tb_record_run(const char *path, const char *run_id, const char *client,
                     const char *gate, const char *profile, const char *step,
                     const tb_result *r, tb_error *err)
{
    cJSON *o = header("run", run_id, client, gate, profile);
    char *json = tb_result_to_json(r);
    cJSON *res = json ? cJSON_Parse(json) : NULL;

    free(json);
    cJSON_AddStringToObject(o, "step", step);
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    cJSON_AddBoolToObject(params, "trace", r->trace);
    cJSON_AddNumberToObject(params, "spans_per_second", r->target_sps);
    cJSON_AddNumberToObject(params, "runtime_s", r->runtime_s);
    if (res != NULL)
        cJSON_AddItemToObject(o, "result", res);
    return append(path, o, err);
}

/* NaN is not JSON: a figure without a limit writes null. */
static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

tb_err tb_record_gate(const char *path, const char *run_id,
                      const char *client, const char *profile,
                      const struct tb_gate_outcome *out, tb_error *err)
{
    for (size_t i = 0; i < out->n_figures; i++) {
        const struct tb_figure *f = &out->figures[i];
        cJSON *o = header("gate", run_id, client, tb_gate_name(out->gate),
                          profile);
        tb_err e;
        cJSON_AddStringToObject(o, "figure", f->name);
        cJSON_AddStringToObject(o, "unit", f->unit);
        add_num(o, "median", f->median);
        add_num(o, "lo", f->lo);
        add_num(o, "hi", f->hi);
        cJSON_AddNumberToObject(o, "n", (double)f->n);
        add_num(o, "confidence", f->confidence);
        add_num(o, "limit", f->limit);
        cJSON_AddStringToObject(o, "bound", f->bound == TB_BOUND_AT_MOST
                                                ? "at_most"
                                                : "at_least");
        cJSON_AddStringToObject(o, "limit_key", f->limit_key);
        cJSON_AddStringToObject(o, "limit_source", f->limit_source);
        cJSON_AddStringToObject(o, "verdict", tb_verdict_name(f->verdict));
        cJSON_AddStringToObject(o, "message", f->message);
        if (f->has_baseline) {
            cJSON *b = cJSON_AddObjectToObject(o, "baseline");
            add_num(b, "median", f->baseline_median);
            add_num(b, "limit", f->baseline_limit);
            cJSON_AddStringToObject(b, "verdict",
                                    tb_verdict_name(f->baseline_verdict));
        }
        if ((e = append(path, o, err)) != TB_OK)
            return e;
    }
    return TB_OK;
}

tb_err tb_record_gate_error(const char *path, const char *run_id,
                            const char *client, const char *profile,
                            const char *gate, const char *message,
                            tb_error *err)
{
    cJSON *o = header("gate", run_id, client, gate, profile);

    cJSON_AddStringToObject(o, "figure", "");
    cJSON_AddStringToObject(o, "verdict", "error");
    cJSON_AddStringToObject(o, "message", message);
    return append(path, o, err);
}

tb_err tb_record_compare(const char *path, const tb_compare_result *r,
                         const char *profile,
                         const struct tb_compare_figure *f, tb_error *err)
{
    char client[160];
    cJSON *o;

    snprintf(client, sizeof(client), "%s vs %s", r->a, r->b);
    o = header("compare", r->run_id, client, tb_gate_name(f->gate),
               profile ? profile : "full");
    if (o == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(o, "a", r->a);
    cJSON_AddStringToObject(o, "b", r->b);
    cJSON_AddStringToObject(o, "figure", f->name);
    cJSON_AddStringToObject(o, "unit", f->unit);
    cJSON_AddStringToObject(o, "better", f->bound == TB_BOUND_AT_MOST
                                             ? "lower"
                                             : "higher");
    cJSON_AddNumberToObject(o, "rounds", (double)f->rounds);
    add_num(o, "a_median", f->a_median);
    add_num(o, "b_median", f->b_median);
    add_num(o, "diff", f->diff);
    add_num(o, "lo", f->lo);
    add_num(o, "hi", f->hi);
    add_num(o, "ratio", f->ratio);
    add_num(o, "allowed", f->allowed);
    cJSON_AddStringToObject(o, "tolerance", f->tolerance);
    cJSON_AddStringToObject(o, "verdict", tb_compare_verdict_name(f->verdict));
    cJSON_AddStringToObject(o, "message", f->message);
    return append(path ? path : tb_record_default_path(), o, err);
}
