/* tracebench cost: instructions per span, traced minus untraced. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "client_opts.h"
#include "tracebench.h"
#include "tracebench/gate/cost.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench cost CLIENT [options]\n"
           "  --spans N             spans a run (default 2000)\n"
           "  --work N              work units a span (default 1000); no "
           "sleep\n"
           "  --trials K            traced and untraced runs each, interleaved "
           "(default 3)\n"
           "  --counter KIND        auto (default), perf, valgrind, none\n"
           "  --client-args STR     appended to the client's argv (as "
           "TB_CLIENT_ARGS)\n"
           "  --runtime-args STR    put after the client's first word, the "
           "runtime\n"
           "                        (node --predictable: V8 without helper "
           "threads)\n"
           "  --client-cmd CMD      run CMD as the client instead of the "
           "registry's\n"
           "  --satellites MODE|none  typical (default), slow_succeed, "
           "slow_fail, none\n"
           "  --registry FILE       another clients.json\n"
           "  --json                print the result as JSON\n"
           "Instructions per span = (median traced - median untraced) / "
           "spans,\nwith a 95%% bootstrap interval. valgrind runs are slow "
           "(c: 1.5 s a run,\njs-otel: 20 s); under valgrind the two arms of "
           "a trial run at once.\nOutput files: "
           "<log dir>/cost/<client>/cli-<pid>/.\n");
}

int tb_cli_cost(int argc, char **argv)
{
    static const struct option opts[] = {
        {"spans", required_argument, 0, 's'},
        {"work", required_argument, 0, 'w'},
        {"trials", required_argument, 0, 'k'},
        {"counter", required_argument, 0, 'c'},
        {"client-args", required_argument, 0, 'a'},
        {"client-cmd", required_argument, 0, 'C'},
        {"runtime-args", required_argument, 0, 'R'},
        {"satellites", required_argument, 0, 'S'},
        {"registry", required_argument, 0, 'g'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    static const struct tb_calibration no_cal = {.target_cpu = 0.7};
    struct tb_controller_opts co = {.control_port = 0, .calibration = &no_cal};
    struct tb_cost_opts o = {0};
    tb_counter_kind kind = TB_COUNTER_AUTO;
    const char *mode = "typical", *cmd = NULL, *args = NULL, *rargs = NULL;
    tb_client *custom = NULL, *extra = NULL, *rextra = NULL;
    tb_controller *ctl = NULL, *ctl_b = NULL;
    tb_satellites *sats = NULL;
    tb_counter *counter = NULL, *counter_b = NULL;
    tb_error err = {0};
    struct tb_cost cost;
    double v;
    int c, json = 0, status = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (tb_units_parse_count("--spans", optarg, &v, &err) == TB_OK)
                o.spans = (uint64_t)llround(v);
            break;
        case 'w':
            if (tb_units_parse_count("--work", optarg, &v, &err) == TB_OK)
                o.work = (uint64_t)llround(v);
            break;
        case 'k':
            if (tb_units_parse_count("--trials", optarg, &v, &err) == TB_OK &&
                (v < 1 || v > TB_COST_MAX_TRIALS))
                tb_error_set(&err, TB_ERR_INVALID_ARG,
                             "--trials: %s is not in 1-%d", optarg,
                             TB_COST_MAX_TRIALS);
            o.trials = (unsigned)v;
            break;
        case 'c':
            tb_counter_parse(optarg, &kind, &err);
            break;
        case 'a':
            args = optarg;
            break;
        case 'C':
            cmd = optarg;
            break;
        case 'R':
            rargs = optarg;
            break;
        case 'S':
            mode = optarg;
            break;
        case 'g':
            co.registry_path = optarg;
            break;
        case 'j':
            json = 1;
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
        return tb_cli_fail("cost needs exactly one CLIENT name");
    }
    if (tb_cli_client(&co, argv[optind], cmd, false, &custom, &err) != TB_OK)
        return tb_cli_fail("%s", err.msg);
    if (args != NULL && args[0] != '\0' &&
        tb_cli_split_args(args, &extra, &o.extra_args, &err) != TB_OK)
        return tb_cli_fail("--client-args: %s", err.msg);
    if (rargs != NULL && rargs[0] != '\0' &&
        tb_cli_split_args(rargs, &rextra, &o.runtime_args, &err) != TB_OK)
        return tb_cli_fail("--runtime-args: %s", err.msg);
    if (tb_cli_satellites_start(mode, true, &sats, &err) != TB_OK)
        goto out;
    o.satellites = sats;
    if (tb_controller_new(&co, &ctl, &err) != TB_OK)
        goto out;
    {
        char dir[1024];
        /* One directory a process: two measurements at once must not
         * read or remove each other's files. */
        snprintf(dir, sizeof(dir), "%s/cost/%s/cli-%ld", tb_log_dir(),
                 argv[optind], (long)getpid());
        if (tb_counter_new(kind, dir, &counter, &err) != TB_OK)
            goto out;
    }
    if (tb_counter_backend(counter) == TB_COUNTER_NONE) {
        tb_cli_fail("no instruction counter here: no hardware counters "
                    "and no valgrind (install the Debian package "
                    "valgrind)");
        goto out;
    }
    o.controller = ctl;
    o.counter = counter;
    {
        /* Under valgrind, the untraced arm beside the traced one. */
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/cost/%s/cli-%ld", tb_log_dir(),
                 argv[optind], (long)getpid());
        if (tb_cost_second_arm(ctl, counter, dir, &ctl_b, &counter_b, &err) !=
            TB_OK)
            goto out;
        o.controller_b = ctl_b;
        o.counter_b = counter_b;
    }
    if (tb_cost_measure(&o, &cost, &err) != TB_OK)
        goto out;
    if (json) {
        char *text = tb_cost_to_json(&cost);
        if (text != NULL)
            printf("%s\n", text);
        free(text);
    } else {
        printf("%s: %.0f instructions / span (%.0f%% CI %.0f-%.0f), "
               "spread %.2f%%, %u trials of %llu spans, counted by %s\n",
               cost.client, cost.instructions_per_span, cost.confidence * 100,
               cost.lo, cost.hi, cost.spread_rel * 100, cost.trials,
               (unsigned long long)cost.spans, cost.counter);
        if (!isnan(cost.cycles_per_span))
            printf("%s: %.0f cycles / span\n", cost.client,
                   cost.cycles_per_span);
    }
    status = 0;
out:
    if (err.code != TB_OK)
        tb_cli_fail("%s: %s", tb_err_name(err.code), err.msg);
    tb_counter_free(counter);
    tb_counter_free(counter_b);
    tb_controller_free(ctl);
    tb_controller_free(ctl_b);
    tb_satellites_free(sats);
    tb_client_free(custom);
    tb_client_free(extra);
    tb_client_free(rextra);
    return status;
}
