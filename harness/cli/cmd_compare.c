/* tracebench compare A B: two versions of a tracer, gate by gate, in one
 * run; exit 1 when any figure of B is worse than A's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_opts.h"
#include "tracebench.h"

#define MAX_ENV 32

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench compare A B [options]\n"
           "  A, B                     registered clients or variants (may be "
           "the same)\n"
           "  --gates LIST             gates to run, e.g. cpu,memory (default "
           "all)\n"
           "  --profile quick|full     thresholds profile (default full)\n"
           "  --a-args STR, --b-args STR\n"
           "                           arguments appended to that arm's client "
           "(quoted as in a shell)\n"
           "  --a-env K=V, --b-env K=V set a variable of that arm's client "
           "(repeatable): point\n"
           "                           it at another build (LD_LIBRARY_PATH, "
           "PYTHONPATH, NODE_PATH)\n"
           "  --out DIR                summary.md, benchmarks.json and "
           "junit-compare.xml there\n"
           "                           (default logs/)\n"
           "  --results FILE           results file (default "
           "logs/results.jsonl)\n"
           "Runs alternate A B, B A, ... per gate; each figure is B against A "
           "with its\ninterval, judged better / same / worse / inconclusive "
           "with the thresholds'\nbaseline tolerances (thresholds/README.md). "
           "Exit 1 when any figure is worse\nor could not be measured, 0 "
           "otherwise; 2 for bad usage or configuration, before anything\nis "
           "measured.\n");
}

static int parse_gates(const char *list, tb_gate *gates, size_t *n)
{
    char buf[256];
    tb_error err = {0};

    snprintf(buf, sizeof(buf), "%s", list);
    *n = 0;
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g != NULL;
         g = strtok_r(NULL, ",", &save)) {
        if (*n == TB_GATE__COUNT)
            return tb_cli_fail("--gates: more than %d gates", TB_GATE__COUNT);
        if (tb_gate_parse(g, &gates[(*n)++], &err) != TB_OK)
            return tb_cli_fail("--gates: %s", err.msg);
    }
    if (*n == 0)
        return tb_cli_fail("--gates: no gate named");
    return 0;
}

static void on_progress(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "compare: %s\n", line);
}

int tb_cli_compare(int argc, char **argv)
{
    static const struct option opts[] = {{"gates", required_argument, 0, 'g'},
                                         {"profile", required_argument, 0, 'p'},
                                         {"a-args", required_argument, 0, 'a'},
                                         {"b-args", required_argument, 0, 'b'},
                                         {"a-env", required_argument, 0, 'A'},
                                         {"b-env", required_argument, 0, 'B'},
                                         {"out", required_argument, 0, 'o'},
                                         {"results", required_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *env[2][MAX_ENV + 1] = {{0}};
    size_t n_env[2] = {0, 0};
    tb_client *args_holder[2] = {NULL, NULL};
    tb_gate gates[TB_GATE__COUNT];
    struct tb_compare_opts co = {.progress = on_progress};
    const char *out_dir = NULL;
    tb_compare_result *res = NULL;
    tb_error err = {0};
    int c, status = 2;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'g':
            bad = parse_gates(optarg, gates, &co.n_gates);
            co.gates = gates;
            break;
        case 'p':
            if (strcmp(optarg, "quick") != 0 && strcmp(optarg, "full") != 0)
                bad = tb_cli_fail("--profile: '%s' is not quick or full",
                                  optarg);
            co.profile = optarg;
            break;
        case 'a':
        case 'b': {
            int k = c == 'b';
            struct tb_compare_arm *arm = k ? &co.b : &co.a;
            if (tb_cli_split_args(optarg, &args_holder[k], &arm->extra_args,
                                  &err) != TB_OK)
                bad = tb_cli_fail("%s", err.msg);
            break;
        }
        case 'A':
        case 'B': {
            int k = c == 'B';
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                bad = tb_cli_fail("--%c-env: '%s' is not KEY=VALUE",
                                  k ? 'b' : 'a', optarg);
            else if (n_env[k] == MAX_ENV)
                bad = tb_cli_fail("--%c-env: more than %d", k ? 'b' : 'a',
                                  MAX_ENV);
            else
                env[k][n_env[k]++] = optarg;
            break;
        }
        case 'o':
            out_dir = optarg;
            break;
        case 'r':
            co.results_path = optarg;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
        if (bad)
            goto out;
    }
    if (optind != argc - 2) {
        usage(stderr);
        tb_cli_fail("compare needs two clients, A and B");
        goto out;
    }
    co.a.client = argv[optind];
    co.b.client = argv[optind + 1];
    co.a.env = n_env[0] ? env[0] : NULL;
    co.b.env = n_env[1] ? env[1] : NULL;
    tb_interrupt_install(); /* Ctrl-C stops between runs, not mid-step */
    if (tb_compare_run(&co, &res, &err) != TB_OK) {
        tb_cli_fail("%s: %s", tb_err_name(err.code), err.msg);
        /* 2: nothing was measured (a name or a file is wrong). */
        status = err.code == TB_ERR_INVALID_CLIENT ||
                         err.code == TB_ERR_CONFIG ||
                         err.code == TB_ERR_INVALID_ARG
                     ? 2
                     : 1;
        if (err.code == TB_ERR_INTERRUPTED)
            status = tb_interrupt_exit_status(tb_interrupted());
        goto out;
    }
    char md[1100], junit[1100], bench[1100];
    const char *dir = out_dir ? out_dir : tb_log_dir();
    snprintf(md, sizeof(md), "%s/summary.md", dir);
    snprintf(junit, sizeof(junit), "%s/junit-compare.xml", dir);
    snprintf(bench, sizeof(bench), "%s/benchmarks.json", dir);
    /* Written before the verdict decides the exit status. */
    if (tb_compare_write(res, co.results_path, md, junit, &err) != TB_OK ||
        tb_compare_write_benchmarks(res, bench, &err) != TB_OK)
        tb_cli_fail("%s", err.msg);
    tb_compare_print(res, stdout);
    printf("written: %s, %s, %s\n", md, junit, bench);
    status = tb_compare_any_worse(res) || err.code != TB_OK ? 1 : 0;
out:
    tb_compare_result_free(res);
    tb_client_free(args_holder[0]);
    tb_client_free(args_holder[1]);
    return status;
}
