/* Merging shards: each shard's latest run is checked against the first
 * shard's profile and thresholds digest, copied into one results file, and
 * every output is then written from that file by its own module. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tracebench/output/junit.h"
#include "tracebench/output/merge.h"
#include "tracebench/output/report.h"
#include "tracebench/output/results.h"
#include "tracebench/output/summary.h"
#include "tracebench/util/log.h"

/* What the first gate line seen was measured with. */
struct reference {
    bool set;
    char shard[PATH_MAX];
    char profile[16];
    char thresholds[1024];
};

struct shard_read {
    const char *shard;
    const char *run; /* the shard's latest run id */
    struct reference *ref;
    struct tb__buf *lines; /* the merged file, appended to */
    struct tb_merge_summary *sum;
};

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Appends to out what differs between two digests ("a.json=h1 b.json=h2"):
 * "<file> differs", "<file> only in <name>". */
static void digest_diff(char *out, size_t size, const char *a,
                        const char *a_name, const char *b, const char *b_name)
{
    const char *sides[2][2] = {{a, b}, {b, a}};
    const char *names[2] = {a_name, b_name};
    size_t used = 0;

    out[0] = '\0';
    for (int s = 0; s < 2; s++) {
        const char *p = sides[s][0];
        while (*p != '\0' && used + 1 < size) {
            const char *end = strchr(p, ' '), *eq = strchr(p, '=');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            size_t nlen = eq && eq < p + len ? (size_t)(eq - p) : len;
            const char *q = sides[s][1], *match = NULL;

            /* Find the same file name in the other digest. */
            while (*q != '\0') {
                const char *qe = strchr(q, ' ');
                size_t ql = qe ? (size_t)(qe - q) : strlen(q);
                if (ql > nlen && strncmp(q, p, nlen) == 0 && q[nlen] == '=')
                    match = q;
                if (match != NULL || qe == NULL)
                    break;
                q = qe + 1;
            }
            const char *mend = match ? strchr(match, ' ') : NULL;
            size_t mlen = match
                              ? (mend ? (size_t)(mend - match) : strlen(match))
                              : 0;
            int w = 0;
            if (match == NULL)
                w = snprintf(out + used, size - used, "%s%.*s only in %s",
                             used ? ", " : "", (int)nlen, p, names[s]);
            else if (s == 0 && (mlen != len || strncmp(match, p, len) != 0))
                w = snprintf(out + used, size - used, "%s%.*s differs",
                             used ? ", " : "", (int)nlen, p);
            if (w > 0)
                used = (size_t)w >= size - used ? size - 1 : used + (size_t)w;
            if (end == NULL)
                break;
            p = end + 1;
        }
    }
}

static tb_err check(struct shard_read *s, const tb_results_line *l,
                    tb_error *err)
{
    const char *profile = or_empty(tb_results_str(l, "profile"));
    const char *digest = or_empty(tb_results_str(l, "thresholds"));
    struct reference *r = s->ref;

    if (!r->set) {
        r->set = true;
        snprintf(r->shard, sizeof(r->shard), "%s", s->shard);
        snprintf(r->profile, sizeof(r->profile), "%s", profile);
        snprintf(r->thresholds, sizeof(r->thresholds), "%s", digest);
        return TB_OK;
    }
    if (strcmp(profile, r->profile) != 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "shard %s: measured with profile \"%s\", but "
                            "shard %s with profile \"%s\" (line %zu); "
                            "merge shards of one profile",
                            s->shard, profile, r->shard, r->profile,
                            tb_results_line_number(l));
    if (strcmp(digest, r->thresholds) != 0) {
        char diff[512];

        if (digest[0] == '\0' || r->thresholds[0] == '\0')
            snprintf(diff, sizeof(diff),
                     "%.300s has no thresholds digest "
                     "(written by an older tracebench)",
                     digest[0] == '\0' ? s->shard : r->shard);
        else
            digest_diff(diff, sizeof(diff), r->thresholds, r->shard, digest,
                        s->shard);
        return tb_error_set(err, TB_ERR_CONFIG,
                            "shard %s: held to other thresholds files than "
                            "shard %s: %s (line %zu)",
                            s->shard, r->shard, diff,
                            tb_results_line_number(l));
    }
    return TB_OK;
}

static tb_err copy_line(const tb_results_line *l, void *arg, tb_error *err)
{
    struct shard_read *s = arg;
    const char *kind = or_empty(tb_results_str(l, "kind"));
    tb_err e;

    if (strcmp(or_empty(tb_results_str(l, "run")), s->run) != 0)
        return TB_OK;
    if (strcmp(kind, "gate") == 0) {
        const char *v = or_empty(tb_results_str(l, "verdict"));

        if ((e = check(s, l, err)) != TB_OK)
            return e;
        s->sum->figures++;
        if (strcmp(v, "pass") == 0)
            s->sum->pass++;
        else if (strcmp(v, "fail") == 0)
            s->sum->fail++;
        else if (strcmp(v, "inconclusive") == 0)
            s->sum->inconclusive++;
        else
            s->sum->errors++;
    }
    tb__buf_puts(s->lines, tb_results_line_text(l));
    tb__buf_puts(s->lines, "\n");
    s->sum->lines++;
    return TB_OK;
}

static void skipped(const char *path, size_t lineno, const char *what,
                    void *arg)
{
    (void)arg;
    tb_log(TB_LOG_WARN, "merge", "%s:%zu: %s, skipped", path, lineno, what);
}

/* TB_ERR_IO when out is one of the shards' files. */
static tb_err not_a_shard(const char *out, const char *shard_results,
                          tb_error *err)
{
    char a[PATH_MAX], b[PATH_MAX];

    if (realpath(out, a) != NULL && realpath(shard_results, b) != NULL &&
        strcmp(a, b) == 0)
        return tb_error_set(err, TB_ERR_IO,
                            "merge: the output %s is also a shard's results "
                            "file: give another --out",
                            out);
    return TB_OK;
}

tb_err tb_merge(const struct tb_merge_opts *o, struct tb_merge_summary *sum,
                FILE *console, tb_error *err)
{
    const char *dir = o->out_dir ? o->out_dir : tb_log_dir();
    char results[PATH_MAX], path[PATH_MAX];
    struct reference ref = {0};
    struct tb_merge_summary s = {0};
    struct tb__buf lines = {0};
    tb_err e = TB_OK;

    if (o->n_shards == 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "merge: no shards");
    snprintf(results, sizeof(results), "%s/results.jsonl", dir);
    for (size_t i = 0; i < o->n_shards; i++) {
        char shard_results[PATH_MAX], run[128];
        struct shard_read sr = {.shard = o->shards[i],
                                .run = run,
                                .ref = &ref,
                                .lines = &lines,
                                .sum = &s};

        snprintf(shard_results, sizeof(shard_results), "%s/results.jsonl",
                 o->shards[i]);
        if ((e = not_a_shard(results, shard_results, err)) != TB_OK ||
            (e = tb_results_last_run(shard_results, run, sizeof(run), err)) !=
                TB_OK)
            goto out;
        if (run[0] == '\0') {
            e = tb_error_set(err, TB_ERR_IO,
                             "shard %s: no gate lines in %s (did `make "
                             "regress` run there?)",
                             o->shards[i], shard_results);
            goto out;
        }
        if ((e = tb_results_read(shard_results, copy_line, skipped, &sr, NULL,
                                 err)) != TB_OK)
            goto out;
        s.shards++;
    }
    if ((e = tb__mkdir_p(dir, err)) != TB_OK ||
        (e = tb_results_replace(results, lines.data ? lines.data : "", err)) !=
            TB_OK)
        goto out;

    struct tb_summary_opts so = {.results_path = results};
    char md[PATH_MAX], bench[PATH_MAX], html[PATH_MAX];
    snprintf(md, sizeof(md), "%s/summary.md", dir);
    snprintf(bench, sizeof(bench), "%s/benchmarks.json", dir);
    snprintf(path, sizeof(path), "%s/junit-merged.xml", dir);
    snprintf(html, sizeof(html), "%s/report.html", dir);
    so.md_path = md;
    so.bench_path = bench;
    struct tb_report_opts ro = {.results_path = results,
                                .out_path = html,
                                .graphs_dir = o->graphs_dir ? o->graphs_dir
                                                            : ""};
    if ((e = tb_summary_write(&so, console, err)) != TB_OK ||
        (e = tb_junit_write(results, NULL, path, err)) != TB_OK ||
        (e = tb_report_write(&ro, NULL, err)) != TB_OK)
        goto out;
    if (sum != NULL)
        *sum = s;
out:
    tb__buf_free(&lines);
    return e;
}
