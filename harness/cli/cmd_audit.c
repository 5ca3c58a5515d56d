/* tracebench audit CLIENT: how often each gate fails a healthy client, and
 * how often it catches a regression injected at a size it prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tracebench.h"
#include "tracebench/gate/audit.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tracebench audit CLIENT [options]\n"
            "Runs each gate N times on the healthy client and N times with an\n"
            "injected regression (only the gate it targets), and prints per\n"
            "gate the false-failure, inconclusive and detection rates.\n\n"
            "  --runs N           runs per arm (default 5)\n"
            "  --profile P        quick (default) or full thresholds\n"
            "  --gates LIST       comma-separated gates (default: all)\n"
            "  --connection C     satellites keep-alive or close\n"
            "  --healthy-only     no injected runs\n"
            "  --injected-only    no healthy runs\n"
            "  --json FILE        the table as JSON (default "
            "logs/audit-CLIENT-PROFILE.json)\n"
            "  --results FILE     results.jsonl to append to\n"
            "Injection sizes come from thresholds/ (audit.injection_factor x "
            "each gate's limit).\n"
            "Exit status: 0 when no healthy run failed or errored and every "
            "injection was\ndetected every time (one of a figure's alternative "
            "stimuli suffices), 1 otherwise,\n2 on a usage error.\n");
}

int tb_cli_audit(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"runs", required_argument, 0, 'n'},
        {"profile", required_argument, 0, 'p'},
        {"gates", required_argument, 0, 'g'},
        {"connection", required_argument, 0, 'c'},
        {"healthy-only", no_argument, 0, 'H'},
        {"injected-only", no_argument, 0, 'I'},
        {"json", required_argument, 0, 'j'},
        {"results", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct tb_audit_opts o = {.progress = stdout};
    struct tb_audit_report *rep = NULL;
    tb_error err = {0};
    int c, status = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n': {
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || v < 1 || v > 1000) {
                fprintf(stderr,
                        "tracebench: bad --runs '%s' (want 1 to "
                        "1000)\n",
                        optarg);
                return 2;
            }
            o.runs = (unsigned)v;
            break;
        }
        case 'p':
            if (strcmp(optarg, "quick") != 0 && strcmp(optarg, "full") != 0) {
                fprintf(stderr,
                        "tracebench: bad --profile '%s' (want quick "
                        "or full)\n",
                        optarg);
                return 2;
            }
            o.profile = optarg;
            break;
        case 'g':
            o.gates = optarg;
            break;
        case 'c': {
            bool close;
            if (tb_satellite_connection_parse(optarg, &close, &err) != TB_OK) {
                fprintf(stderr, "tracebench: %s\n", err.msg);
                return 2;
            }
            o.satellite_connection = optarg;
            break;
        }
        case 'H':
            o.healthy_only = true;
            break;
        case 'I':
            o.injected_only = true;
            break;
        case 'j':
            o.json_path = optarg;
            break;
        case 'r':
            o.results_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    o.client = argv[optind];
    /* From the start: a Ctrl-C before the first client runs stops the
     * audit the same way, not the process mid-step. */
    tb_interrupt_install();
    if (tb_audit_run(&o, &rep, &err) != TB_OK)
        return tb_cli_fail("audit %s: %s", o.client, err.msg);
    printf("\n");
    tb_audit_print(rep, stdout);
    if (rep->interrupted) {
        /* The client's group is reaped and the satellites are stopped;
         * the table above counts only the runs that finished. */
        int sig = rep->interrupted;
        fprintf(stderr,
                "audit %s: interrupted by signal %d: the table counts "
                "the runs finished before it\n",
                o.client, sig);
        free(rep);
        return tb_interrupt_exit_status(sig);
    }
    for (size_t i = 0; i < rep->n_rows; i++) {
        const struct tb_audit_row *w = &rep->rows[i];
        if (w->healthy_fail || w->healthy_error)
            status = 1;
    }
    if (!o.healthy_only && !tb_audit_all_detected(rep))
        status = 1;
    free(rep);
    return status;
}
