/* JUnit XML from results.jsonl: one testsuite per client, one testcase per
 * gate figure, in file order. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tracebench/output/junit.h"
#include "tracebench/output/results.h"

struct junit {
    const char *run_id;
    char (*clients)[64]; /* distinct clients, in order */
    size_t n_clients;
    struct tb__buf *per_client; /* one buffer of testcases per client */
    size_t *tests, *failures, *errors;
};

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* The client's index, added when new; SIZE_MAX when out of memory. */
static size_t client_index(struct junit *j, const char *client)
{
    size_t n = j->n_clients;
    void *a, *b, *c, *d;

    for (size_t i = 0; i < n; i++)
        if (strcmp(j->clients[i], client) == 0)
            return i;
    a = realloc(j->clients, (n + 1) * sizeof(*j->clients));
    if (a != NULL)
        j->clients = a;
    b = realloc(j->per_client, (n + 1) * sizeof(*j->per_client));
    if (b != NULL)
        j->per_client = b;
    c = realloc(j->tests, (n + 1) * sizeof(*j->tests));
    if (c != NULL)
        j->tests = c;
    d = realloc(j->failures, (n + 1) * sizeof(*j->failures));
    if (d != NULL)
        j->failures = d;
    if (!a || !b || !c || !d)
        return SIZE_MAX;
    c = realloc(j->errors, (n + 1) * sizeof(*j->errors));
    if (c == NULL)
        return SIZE_MAX;
    j->errors = c;
    snprintf(j->clients[n], sizeof(j->clients[n]), "%s", client);
    memset(&j->per_client[n], 0, sizeof(j->per_client[n]));
    j->tests[n] = j->failures[n] = j->errors[n] = 0;
    return j->n_clients++;
}

static tb_err add_case(const tb_results_line *l, void *arg, tb_error *err)
{
    struct junit *j = arg;
    const char *verdict = or_empty(tb_results_str(l, "verdict"));
    const char *message = or_empty(tb_results_str(l, "message"));
    const char *figure = or_empty(tb_results_str(l, "figure"));
    struct tb__buf *b;
    size_t c;

    if (strcmp(or_empty(tb_results_str(l, "kind")), "gate") != 0 ||
        (j->run_id != NULL &&
         strcmp(or_empty(tb_results_str(l, "run")), j->run_id) != 0))
        return TB_OK;
    c = client_index(j, or_empty(tb_results_str(l, "client")));
    if (c == SIZE_MAX)
        return tb_error_set(err, TB_ERR_NOMEM, "junit: out of memory");
    b = &j->per_client[c];
    j->tests[c]++;
    tb__buf_puts(b, "    <testcase classname=\"");
    tb__buf_escape(b, j->clients[c]);
    tb__buf_puts(b, "\" name=\"");
    tb__buf_escape(b, or_empty(tb_results_str(l, "gate")));
    if (figure[0] != '\0') {
        tb__buf_puts(b, " ");
        tb__buf_escape(b, figure);
    }
    tb__buf_puts(b, "\">\n");
    if (strcmp(verdict, "fail") == 0) {
        j->failures[c]++;
        tb__buf_puts(b, "      <failure message=\"");
        tb__buf_escape(b, message);
        tb__buf_puts(b, "\"/>\n");
    } else if (strcmp(verdict, "pass") != 0 &&
               strcmp(verdict, "inconclusive") != 0) {
        j->errors[c]++;
        tb__buf_puts(b, "      <error message=\"");
        tb__buf_escape(b, message);
        tb__buf_puts(b, "\"/>\n");
    } else {
        tb__buf_puts(b, "      <system-out>");
        tb__buf_escape(b, verdict);
        tb__buf_puts(b, ": ");
        tb__buf_escape(b, message);
        tb__buf_puts(b, "</system-out>\n");
    }
    tb__buf_puts(b, "    </testcase>\n");
    return TB_OK;
}

tb_err tb_junit_write(const char *results_path, const char *run_id,
                      const char *out_path, tb_error *err)
{
    struct junit j = {.run_id = run_id};
    struct tb__buf out = {0};
    size_t tests = 0, failures = 0, errors = 0;
    tb_err e;

    if ((e = tb_results_read(results_path, add_case, NULL, &j, NULL, err)) !=
        TB_OK)
        goto done;
    for (size_t i = 0; i < j.n_clients; i++) {
        tests += j.tests[i];
        failures += j.failures[i];
        errors += j.errors[i];
    }
    tb__buf_printf(&out,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<testsuites name=\"tracebench\" tests=\"%zu\" "
                   "failures=\"%zu\" errors=\"%zu\">\n",
                   tests, failures, errors);
    for (size_t i = 0; i < j.n_clients; i++) {
        tb__buf_puts(&out, "  <testsuite name=\"");
        tb__buf_escape(&out, j.clients[i]);
        tb__buf_printf(&out,
                       "\" tests=\"%zu\" failures=\"%zu\" "
                       "errors=\"%zu\">\n",
                       j.tests[i], j.failures[i], j.errors[i]);
        if (j.per_client[i].data != NULL)
            tb__buf_puts(&out, j.per_client[i].data);
        tb__buf_puts(&out, "  </testsuite>\n");
        if (j.per_client[i].failed)
            out.failed = true;
    }
    tb__buf_puts(&out, "</testsuites>\n");
    e = tb__buf_write_file(&out, out_path, err);
done:
    for (size_t i = 0; i < j.n_clients; i++)
        tb__buf_free(&j.per_client[i]);
    free(j.per_client);
    free(j.clients);
    free(j.tests);
    free(j.failures);
    free(j.errors);
    tb__buf_free(&out);
    return e;
}
