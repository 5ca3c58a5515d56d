/* tracebench run: one benchmark, printed as LightStep's benchmark suite
 * prints it, or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "client_opts.h"
#include "tracebench.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench run CLIENT [options]\n"
           "  --trace | --no-trace     trace with the real tracer (default) or "
           "the no-op one\n"
           "  --sps N                  spans per second (default 100; 1k = "
           "1000)\n"
           "  --runtime S              seconds (default 10; 500ms, 2m)\n"
           "  --target-cpu F           calibration target (default 0.7, or "
           "70%%)\n"
           "  --satellites MODE|none   typical (default), slow_succeed, "
           "slow_fail, none\n"
           "  --no-flush               do not flush the tracer at exit\n"
           "  --no-timeout             never kill the client (default: at 2 x "
           "runtime + 16 s)\n"
           "  --json                   print the result as JSON\n"
           "  --client-cmd CMD         run CMD as the client instead of the "
           "registry's\n"
           "  --client-args STR        appended to the client's argv (as "
           "TB_CLIENT_ARGS in\n"
           "                           regress), e.g. \"--burn_iters 200\"\n"
           "  --client-env K=V         set a variable of the client's "
           "environment (repeatable):\n"
           "                           another build of its tracer "
           "(LD_LIBRARY_PATH, PYTHONPATH,\n"
           "                           NODE_PATH)\n"
           "  --no-client-report       the client cannot POST SpansSent: spans "
           "sent\n"
           "                           are unknown, drops are estimates (else "
           "an error)\n"
           "  --control-port N         control endpoint port (default 8023, 0 "
           "any)\n"
           "  --recalibrate            ignore a cached calibration\n"
           "  --work N --repeat N      fixed work per span and spans, no "
           "calibration\n"
           "                           (CPU figures uncalibrated; for clients "
           "that ignore Sleep)\n"
           "  --sleep NS               with --work: sleep per span (default "
           "0)\n"
           "  --registry FILE          another clients.json\n"
           "Environment: TB_LOG_DIR, TB_CALIBRATION_TTL (s), TB_LOG_LEVEL.\n");
}

int tb_cli_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trace", no_argument, 0, 't'},
        {"no-trace", no_argument, 0, 'T'},
        {"sps", required_argument, 0, 's'},
        {"runtime", required_argument, 0, 'r'},
        {"target-cpu", required_argument, 0, 'c'},
        {"satellites", required_argument, 0, 'S'},
        {"no-flush", no_argument, 0, 'f'},
        {"no-timeout", no_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},
        {"client-cmd", required_argument, 0, 'C'},
        {"client-args", required_argument, 0, 'a'},
        {"client-env", required_argument, 0, 'E'},
        {"control-port", required_argument, 0, 'p'},
        {"recalibrate", no_argument, 0, 'R'},
        {"registry", required_argument, 0, 'g'},
        {"work", required_argument, 0, 'w'},
        {"repeat", required_argument, 0, 'e'},
        {"sleep", required_argument, 0, 'l'},
        {"no-client-report", no_argument, 0, 'N'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    struct tb_controller_opts co = {.control_port = -1};
    struct tb_benchmark_opts bo = {
        .trace = true, .spans_per_second = 100, .runtime_s = 10};
    const char *mode = "typical", *cmd = NULL, *args = NULL;
    tb_client *custom = NULL, *extra = NULL;
    const char *env[32];
    size_t n_env = 0;
    tb_controller *ctl = NULL;
    tb_satellites *sats = NULL;
    tb_result *r = NULL;
    tb_error err = {0};
    double port, num;
    bool runtime_given = false;
    int c, json = 0, status = 1, no_report = 0;
    tb_err e;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            bo.trace = true;
            break;
        case 'T':
            bo.trace = false;
            break;
        case 's':
            e = tb_units_parse_count("--sps", optarg, &bo.spans_per_second,
                                     &err);
            break;
        case 'r':
            e = tb_units_parse_duration("--runtime", optarg, &bo.runtime_s,
                                        &err);
            runtime_given = true;
            break;
        case 'w':
            if (tb_units_parse_count("--work", optarg, &num, &err) == TB_OK)
                bo.fixed_work = (uint64_t)num;
            break;
        case 'e':
            if (tb_units_parse_count("--repeat", optarg, &num, &err) == TB_OK)
                bo.fixed_repeat = (uint64_t)num;
            break;
        case 'l':
            if (tb_units_parse_count("--sleep", optarg, &num, &err) == TB_OK)
                bo.fixed_sleep_ns = (uint64_t)num;
            break;
        case 'c':
            e = tb_units_parse_fraction("--target-cpu", optarg, &co.target_cpu,
                                        &err);
            break;
        case 'S':
            mode = optarg;
            break;
        case 'f':
            bo.no_flush = true;
            break;
        case 'n':
            bo.no_timeout = true;
            break;
        case 'j':
            json = 1;
            break;
        case 'C':
            cmd = optarg;
            break;
        case 'a':
            args = optarg;
            break;
        case 'E':
            if (n_env == sizeof(env) / sizeof(env[0]))
                return tb_cli_fail("--client-env: more than %zu", n_env);
            env[n_env++] = optarg;
            break;
        case 'p':
            if (tb_units_parse_count("--control-port", optarg, &port, &err) ==
                    TB_OK &&
                port > 65535)
                tb_error_set(&err, TB_ERR_INVALID_ARG,
                             "--control-port: %s is not in 0-65535", optarg);
            co.control_port = (int)port;
            break;
        case 'R':
            co.recalibrate = true;
            break;
        case 'g':
            co.registry_path = optarg;
            break;
        case 'N':
            no_report = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (err.code != TB_OK)
            return tb_cli_fail("%s", err.msg);
    }
    if (optind != argc - 1) {
        usage(stderr);
        return tb_cli_fail("run needs exactly one CLIENT name");
    }
    if ((bo.fixed_work > 0) != (bo.fixed_repeat > 0))
        return tb_cli_fail("--work and --repeat are given together (both "
                           "whole numbers > 0)");
    if (bo.fixed_sleep_ns > 0 && bo.fixed_work == 0)
        return tb_cli_fail("--sleep needs --work and --repeat");
    if (bo.fixed_work > 0) {
        /* No calibration: the client does exactly this work. The
         * runtime only bounds the wait (the client is killed at twice
         * it); without --runtime it may take up to 300 s. */
        co.uncalibrated = true;
        if (!runtime_given)
            bo.runtime_s = 150;
    }
    /* A copy of the registry's client when it is to be changed. */
    if (tb_cli_client(&co, argv[optind], cmd, no_report || n_env > 0, &custom,
                      &err) != TB_OK)
        return tb_cli_fail("%s", err.msg);
    if (no_report)
        tb_client_set_reports(custom, false);
    for (size_t i = 0; i < n_env; i++)
        if (tb_client_set_env(custom, env[i], &err) != TB_OK) {
            tb_client_free(custom);
            return tb_cli_fail("--client-env: %s", err.msg);
        }
    if (args != NULL && args[0] != '\0' &&
        tb_cli_split_args(args, &extra, &bo.extra_args, &err) != TB_OK) {
        tb_client_free(custom);
        return tb_cli_fail("--client-args: %s", err.msg);
    }
    /* Before anything starts: Ctrl-C then stops the client and the
     * satellites instead of orphaning them. */
    tb_interrupt_install();
    if (tb_cli_satellites_start(mode, false, &sats, &err) != TB_OK)
        goto out;
    bo.satellites = sats;
    if (tb_controller_new(&co, &ctl, &err) != TB_OK)
        goto out;
    e = tb_controller_benchmark(ctl, &bo, &r, &err);
    if (r != NULL) {
        if (json) {
            char *text = tb_result_to_json(r);
            if (text != NULL)
                printf("%s\n", text);
            free(text);
        } else {
            tb_result_print(r, stdout);
        }
    }
    status = e == TB_OK ? 0 : 1;
    if (e == TB_ERR_INTERRUPTED && r != NULL) {
        /* What was measured until the signal, marked "interrupted". */
        struct tb_results_run run = {
            .run_id = getenv("TB_RUN_ID"), .client = r->client, .profile = ""};
        tb_error rerr = {0};
        if (tb_results_add_run(&run, "run", "interrupted", r, &rerr) != TB_OK)
            tb_cli_fail("not recorded: %s", rerr.msg);
    }
out:
    if (err.code != TB_OK)
        tb_cli_fail("%s: %s", tb_err_name(err.code), err.msg);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_satellites_free(sats);
    tb_client_free(custom);
    tb_client_free(extra);
    if (tb_interrupted())
        return tb_interrupt_exit_status(tb_interrupted());
    return status;
}
