/* The tracebench command line, as a person uses it: exit statuses and the
 * one-line reasons. Runs the built binary. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "tracebench.h"

TestSuite(cli, .timeout = 120);

struct run {
    int status;
    char out[16384];
};

/* Runs "build/tracebench ARGS" with stderr folded into the output. */
static struct run cli(const char *args)
{
    struct run r = {0};
    char cmd[2048];
    size_t n = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/tracebench' %s 2>&1",
             tb_root_dir(), tb_build_dir(), args);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    while (n < sizeof(r.out) - 1) {
        size_t got = fread(r.out + n, 1, sizeof(r.out) - 1 - n, p);
        if (got == 0)
            break;
        n += got;
    }
    r.out[n] = '\0';
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

Test(cli, help_lists_the_commands)
{
    struct run r = cli("--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "run") && strstr(r.out, "clients") &&
                  strstr(r.out, "satellite") && strstr(r.out, "graph") &&
                  strstr(r.out, "report"),
              "%s", r.out);
    r = cli("run --help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--sps") != NULL, "%s", r.out);
}

Test(cli, unknown_command_and_client_fail_with_a_reason)
{
    struct run r = cli("frobnicate");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.out, "unknown command 'frobnicate'"), "%s", r.out);
    r = cli("run no-such-client --satellites none --control-port 0");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "no client named 'no-such-client'") &&
                  strstr(r.out, "python-cpp"),
              "%s", r.out);
}

Test(cli, bad_option_values_are_named)
{
    struct run r = cli("run c --sps fast");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "--sps: 'fast'"), "%s", r.out);
    r = cli("run c --target-cpu 1.5");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "--target-cpu: '1.5'"), "%s", r.out);
    r = cli("run c --satellites sloppy");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "sloppy"), "%s", r.out);
}

/* True when a line of out starts with name followed by a blank: the
 * client's own row, not its name inside a longer one ("c" in "python-cpp"). */
static bool has_row(const char *out, const char *name)
{
    size_t n = strlen(name);

    for (const char *l = out; l != NULL && *l;
         l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (strncmp(l, name, n) == 0 && (l[n] == ' ' || l[n] == '\t'))
            return true;
    return false;
}

Test(cli, clients_lists_the_registry)
{
    struct run r = cli("clients");
    cr_assert_eq(r.status, 0, "%s", r.out);
    for (const char *n = "python\0python-cpp\0c\0js\0js-otel\0"; *n;
         n += strlen(n) + 1)
        cr_assert(has_row(r.out, n), "no row for %s: %s", n, r.out);
    cr_assert(!has_row(r.out, "no-such-client"));
}

Test(cli, a_client_that_never_reports_is_an_error)
{
    /* It made nothing it told of: no "200 spans sent", and not exit 0. */
    struct run r = cli("run quiet --client-cmd true --sps 100 --runtime 1 "
                       "--satellites none --control-port 0");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "without reporting") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "spans sent") == NULL ||
                  strstr(r.out, "not reported") != NULL,
              "%s", r.out);
}

Test(cli, run_prints_the_seed_form_and_json)
{
    struct run r = cli("run c --sps 200 --runtime 2 --control-port 0 "
                       "--satellites typical");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "spans / sec") && strstr(r.out, "% CPU usage") &&
                  strstr(r.out, "0.0% spans dropped (out of 400 sent)") &&
                  strstr(r.out, "took "),
              "%s", r.out);
    r = cli("run c --sps 200 --runtime 1 --control-port 0 --no-trace --json "
            "--satellites none");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "\"spans_sent\":200") &&
                  strstr(r.out, "\"trace\":false") &&
                  strstr(r.out, "\"spans_received\":null"),
              "%s", r.out);
}

Test(cli, client_failure_exits_nonzero_with_one_line)
{
    struct run r = cli("run cmd --client-cmd \"/bin/sh -c 'exit 9' x\" "
                       "--sps 100 --runtime 1 --satellites none "
                       "--control-port 0");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "client crashed: client cmd exited with status "
                            "9"),
              "%s", r.out);
}

/* --client-env reaches the client's environment: a client that exits 0
 * only when TB_X is "yes" runs clean with it and fails without it. Fixed
 * work and no satellites: nothing is calibrated or measured. */
Test(cli, client_env_reaches_the_client)
{
    static const char *const base =
        "run envcheck --client-cmd 'sh -c \"test \\\"\\$TB_X\\\" = yes\"' "
        "--no-client-report --work 1 --repeat 1 --runtime 5 "
        "--satellites none --control-port 0";
    char args[1024];

    snprintf(args, sizeof(args), "%s --client-env TB_X=yes", base);
    struct run r = cli(args);
    cr_assert_eq(r.status, 0, "with TB_X=yes: %s", r.out);
    r = cli(base);
    cr_assert_eq(r.status, 1, "without it the client fails: %s", r.out);
    snprintf(args, sizeof(args), "%s --client-env NOEQUALS", base);
    r = cli(args);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "'NOEQUALS': expected KEY=VALUE") != NULL, "%s",
              r.out);
}
