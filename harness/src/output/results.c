/* results.jsonl, written and read here only. Each line is written with
 * one write() on an O_APPEND descriptor, so lines from several processes
 * (Criterion runs each test in its own) never interleave. Run lines are
 * built from the result struct (tb__result_json), not from its text. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "strbuf.h"
#include "tracebench/util/log.h"
#include "tracebench/output/results.h"
#include "tracebench/output/record.h"

const char *tb_results_default_path(void)
{
    static char path[1100];

    snprintf(path, sizeof(path), "%s/results.jsonl", tb_log_dir());
    return path;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static const char *path_of(const struct tb_results_run *run)
{
    return run->path != NULL ? run->path : tb_results_default_path();
}

static cJSON *header(const char *kind, const struct tb_results_run *run,
                     const char *gate)
{
    cJSON *o = cJSON_CreateObject();
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "time", stamp);
    cJSON_AddStringToObject(o, "run", or_empty(run->run_id));
    cJSON_AddStringToObject(o, "client", or_empty(run->client));
    cJSON_AddStringToObject(o, "gate", or_empty(gate));
    cJSON_AddStringToObject(o, "profile", or_empty(run->profile));
    return o;
}

/* Writes text (len bytes, ending in '\n') with one write(). */
static tb_err append_text(const char *path, const char *text, size_t len,
                          tb_error *err)
{
    ssize_t n;
    int fd;

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    n = write(fd, text, len);
    if (n != (ssize_t)len) {
        int e = errno;
        close(fd);
        return tb_error_set(err, TB_ERR_IO, "%s: short write: %s", path,
                            strerror(e));
    }
    if (close(fd) != 0)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    return TB_OK;
}

/* Appends o as one line and frees it. */
static tb_err append(const char *path, cJSON *o, tb_error *err)
{
    char *text = cJSON_PrintUnformatted(o);
    size_t len;
    tb_err e;

    cJSON_Delete(o);
    if (text == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; we write len + 1 bytes */
    e = append_text(path, text, len + 1, err);
    free(text);
    return e;
}

tb_err tb_results_add_text(const char *path, const char *line, tb_error *err)
{
    size_t len = strlen(line);
    char *text = malloc(len + 1);
    tb_err e;

    if (text == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    memcpy(text, line, len);
    text[len] = '\n';
    e = append_text(path, text, len + 1, err);
    free(text);
    return e;
}

tb_err tb_results_add_run(const struct tb_results_run *run, const char *gate,
                          const char *step, const tb_result *r, tb_error *err)
{
    cJSON *o = header("run", run, gate);
    cJSON *res = tb__result_json(r);

    cJSON_AddStringToObject(o, "step", step);
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    cJSON_AddBoolToObject(params, "trace", r->trace);
    cJSON_AddNumberToObject(params, "spans_per_second", r->target_sps);
    cJSON_AddNumberToObject(params, "runtime_s", r->runtime_s);
    if (res != NULL)
        cJSON_AddItemToObject(o, "result", res);
    return append(path_of(run), o, err);
}

/* NaN is not JSON: a figure without a limit writes null. */
static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_thresholds(cJSON *o, const struct tb_results_run *run)
{
    if (run->thresholds != NULL && run->thresholds[0] != '\0')
        cJSON_AddStringToObject(o, "thresholds", run->thresholds);
}

tb_err tb_results_add_gate(const struct tb_results_run *run,
                           const struct tb_gate_outcome *out, tb_error *err)
{
    for (size_t i = 0; i < out->n_figures; i++) {
        const struct tb_figure *f = &out->figures[i];
        cJSON *o = header("gate", run, tb_gate_name(out->gate));
        tb_err e;
        cJSON_AddStringToObject(o, "figure", f->name);
        cJSON_AddStringToObject(o, "unit", f->unit);
        add_num(o, "median", f->median);
        add_num(o, "lo", f->lo);
        add_num(o, "hi", f->hi);
        cJSON_AddNumberToObject(o, "n", (double)f->n);
        add_num(o, "confidence", f->confidence);
        add_num(o, "limit", f->limit);
        cJSON_AddStringToObject(
            o, "bound", f->bound == TB_BOUND_AT_MOST ? "at_most" : "at_least");
        cJSON_AddStringToObject(o, "limit_key", f->limit_key);
        cJSON_AddStringToObject(o, "limit_source", f->limit_source);
        /* A known defect's failed figure is a "known failure", and every
         * figure of a known gate that passed is "fixed?". */
        const char *verdict = tb_verdict_name(f->verdict);
        if (out->status == TB_GATE_FIXED)
            verdict = tb_gate_status_name(TB_GATE_FIXED);
        else if (out->status == TB_GATE_KNOWN_FAILURE &&
                 f->verdict == TB_VERDICT_FAIL)
            verdict = tb_gate_status_name(TB_GATE_KNOWN_FAILURE);
        cJSON_AddStringToObject(o, "verdict", verdict);
        cJSON_AddStringToObject(o, "message", f->message);
        if (out->known[0] != '\0')
            cJSON_AddStringToObject(o, "known", out->known);
        if (f->has_baseline) {
            cJSON *b = cJSON_AddObjectToObject(o, "baseline");
            add_num(b, "median", f->baseline_median);
            add_num(b, "limit", f->baseline_limit);
            cJSON_AddStringToObject(b, "verdict",
                                    tb_verdict_name(f->baseline_verdict));
        }
        add_thresholds(o, run);
        if ((e = append(path_of(run), o, err)) != TB_OK)
            return e;
    }
    return TB_OK;
}

tb_err tb_results_add_gate_error(const struct tb_results_run *run,
                                 const char *gate, const char *message,
                                 tb_error *err)
{
    return tb_results_add_gate_status(run, gate, "error", message, err);
}

tb_err tb_results_add_gate_status(const struct tb_results_run *run,
                                  const char *gate, const char *verdict,
                                  const char *message, tb_error *err)
{
    cJSON *o = header("gate", run, gate);

    cJSON_AddStringToObject(o, "figure", "");
    cJSON_AddStringToObject(o, "verdict", verdict);
    cJSON_AddStringToObject(o, "message", message);
    add_thresholds(o, run);
    return append(path_of(run), o, err);
}

void tb_results_print_ctest(FILE *out, const char *client,
                            const struct tb_gate_outcome *o)
{
    for (size_t i = 0; i < o->n_figures; i++) {
        const struct tb_figure *f = &o->figures[i];

        /* Names and numbers only: nothing here needs XML escaping, as
         * client and figure names are [a-z0-9._-]. */
        if (isfinite(f->median))
            fprintf(out,
                    "<CTestMeasurement type=\"numeric/double\" "
                    "name=\"%s %s\">%.6g</CTestMeasurement>\n",
                    client, f->name, f->median);
    }
    fflush(out);
}

/* --- The thresholds digest ------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_json_name(const char *dir, const char *name)
{
    (void)dir;
    size_t n = strlen(name);

    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

tb_err tb_results_thresholds_digest(const char *dir, char *out, size_t size,
                                    tb_error *err)
{
    char **names = NULL;
    size_t n = 0, used = 0;
    tb_err e;

    if (size > 0)
        out[0] = '\0';
    if ((e = tb__list_dir(dir, is_json_name, by_name, &names, &n, err)) !=
        TB_OK)
        return e;
    for (size_t i = 0; i < n && e == TB_OK; i++) {
        char path[1200], *text = NULL;
        size_t len = 0;
        uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis */
        int w;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if ((e = tb__read_file(path, &text, &len, err)) != TB_OK)
            break;
        for (size_t k = 0; k < len; k++) {
            h ^= (unsigned char)text[k];
            h *= 1099511628211ULL; /* FNV-1a 64 prime */
        }
        free(text);
        w = snprintf(out + used, size - used, "%s%s=%016llx", used ? " " : "",
                     names[i], (unsigned long long)h);
        if (w < 0 || (size_t)w >= size - used)
            e = tb_error_set(err, TB_ERR_INVALID_ARG,
                             "thresholds %s: digest longer than %zu "
                             "characters",
                             dir, size);
        else
            used += (size_t)w;
    }
    tb__names_free(names, n);
    return e;
}

/* --- Reading -------------------------------------------------------------- */

struct tb_results_line {
    const cJSON *obj;
    const char *text;
    size_t lineno;
};

/* The item at key, "a.b" reading b inside object a. */
static const cJSON *item(const tb_results_line *l, const char *key)
{
    const cJSON *o = l->obj;
    const char *dot;

    while ((dot = strchr(key, '.')) != NULL) {
        char part[64];
        size_t n = (size_t)(dot - key);

        if (n >= sizeof(part))
            return NULL;
        memcpy(part, key, n);
        part[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, part);
        if (!cJSON_IsObject(o))
            return NULL;
        key = dot + 1;
    }
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

const char *tb_results_str(const tb_results_line *l, const char *key)
{
    const cJSON *v = item(l, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double tb_results_num(const tb_results_line *l, const char *key)
{
    const cJSON *v = item(l, key);

    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

bool tb_results_has(const tb_results_line *l, const char *key)
{
    return item(l, key) != NULL;
}

const char *tb_results_line_text(const tb_results_line *l)
{
    return l->text;
}

size_t tb_results_line_number(const tb_results_line *l)
{
    return l->lineno;
}

tb_err tb_results_read(const char *path, tb_results_line_fn on_line,
                       tb_results_skip_fn on_skip, void *arg, size_t *lines,
                       tb_error *err)
{
    char *text = NULL, *line, *next;
    size_t lineno = 0;
    tb_err e;

    if ((e = tb__read_file(path, &text, NULL, err)) != TB_OK)
        return e;
    for (line = text; line != NULL && e == TB_OK; line = next) {
        const char *p = line;
        cJSON *obj;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        else if (*line == '\0')
            break; /* the file ended with a newline */
        lineno++;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\0')
            continue;
        obj = cJSON_Parse(p);
        if (!cJSON_IsObject(obj)) {
            if (on_skip != NULL)
                on_skip(path, lineno, "not a JSON object", arg);
        } else {
            tb_results_line l = {.obj = obj, .text = line, .lineno = lineno};
            e = on_line(&l, arg, err);
        }
        cJSON_Delete(obj);
    }
    if (lines != NULL)
        *lines = lineno;
    free(text);
    return e;
}

struct last_run {
    char *out;
    size_t size;
};

static tb_err note_run(const tb_results_line *l, void *arg, tb_error *err)
{
    struct last_run *lr = arg;
    const char *kind = tb_results_str(l, "kind");
    const char *run = tb_results_str(l, "run");

    (void)err;
    if (kind != NULL && strcmp(kind, "gate") == 0 && run != NULL)
        snprintf(lr->out, lr->size, "%s", run);
    return TB_OK;
}

tb_err tb_results_last_run(const char *path, char *out, size_t size,
                           tb_error *err)
{
    struct last_run lr = {out, size};

    if (size > 0)
        out[0] = '\0';
    return tb_results_read(path, note_run, NULL, &lr, NULL, err);
}

tb_err tb_results_replace(const char *path, const char *lines, tb_error *err)
{
    struct tb__buf b = {0};
    tb_err e;

    tb__buf_puts(&b, lines);
    e = tb__buf_write_file(&b, path, err);
    tb__buf_free(&b);
    return e;
}

/* --- Compare lines (tracebench compare) ------------------------------------
 */

tb_err tb_record_compare(const char *path, const tb_compare_result *r,
                         const char *profile, const struct tb_compare_figure *f,
                         tb_error *err)
{
    char client[160];
    struct tb_results_run run = {.path = path,
                                 .run_id = r->run_id,
                                 .client = client,
                                 .profile = profile ? profile : "full"};
    cJSON *o;

    snprintf(client, sizeof(client), "%s vs %s", r->a, r->b);
    o = header("compare", &run, tb_gate_name(f->gate));
    if (o == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(o, "a", r->a);
    cJSON_AddStringToObject(o, "b", r->b);
    cJSON_AddStringToObject(o, "figure", f->name);
    cJSON_AddStringToObject(o, "unit", f->unit);
    cJSON_AddStringToObject(o, "better",
                            f->bound == TB_BOUND_AT_MOST ? "lower" : "higher");
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
    return append(path_of(&run), o, err);
}

/* --- The positional writers of record.h ------------------------------------
 */

const char *tb_record_default_path(void)
{
    return tb_results_default_path();
}

tb_err tb_record_run(const char *path, const char *run_id, const char *client,
                     const char *gate, const char *profile, const char *step,
                     const tb_result *r, tb_error *err)
{
    struct tb_results_run run = {path, run_id, client, profile, NULL};

    return tb_results_add_run(&run, gate, step, r, err);
}

tb_err tb_record_gate(const char *path, const char *run_id, const char *client,
                      const char *profile, const struct tb_gate_outcome *o,
                      tb_error *err)
{
    struct tb_results_run run = {path, run_id, client, profile, NULL};

    return tb_results_add_gate(&run, o, err);
}

tb_err tb_record_gate_error(const char *path, const char *run_id,
                            const char *client, const char *profile,
                            const char *gate, const char *message,
                            tb_error *err)
{
    struct tb_results_run run = {path, run_id, client, profile, NULL};

    return tb_results_add_gate_error(&run, gate, message, err);
}

tb_err tb_record_gate_status(const char *path, const char *run_id,
                             const char *client, const char *profile,
                             const char *gate, const char *verdict,
                             const char *message, tb_error *err)
{
    struct tb_results_run run = {path, run_id, client, profile, NULL};

    return tb_results_add_gate_status(&run, gate, verdict, message, err);
}
