/* tracebench report: the results file and graphs as one HTML page. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "tracebench.h"
#include "tracebench/output/report.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tracebench report [options]\n"
            "  --results FILE   the regression results (default "
            "logs/results.jsonl)\n"
            "  --out FILE       the page to write (default logs/report.html)\n"
            "  --graphs DIR     graphs to show (default <root>/graphs)\n"
            "  --no-graphs      show none\n"
            "  --link           link the PNGs relative to the page instead of "
            "embedding\n"
            "Malformed lines are skipped with a warning naming the line.\n");
}

static void on_warning(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "tracebench: warning: %s\n", msg);
}

int tb_cli_report(int argc, char **argv)
{
    static const struct option opts[] = {{"results", required_argument, 0, 'r'},
                                         {"out", required_argument, 0, 'o'},
                                         {"graphs", required_argument, 0, 'g'},
                                         {"no-graphs", no_argument, 0, 'G'},
                                         {"link", no_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct tb_report_opts ro = {.warn = on_warning};
    struct tb_report_summary sum;
    tb_error err = {0};
    char out[4096];
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            ro.results_path = optarg;
            break;
        case 'o':
            ro.out_path = optarg;
            break;
        case 'g':
            ro.graphs_dir = optarg;
            break;
        case 'G':
            ro.graphs_dir = "";
            break;
        case 'l':
            ro.link_graphs = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return tb_cli_fail("report takes no arguments besides options");
    }
    if (tb_report_write(&ro, &sum, &err) != TB_OK)
        return tb_cli_fail("report: %s", err.msg);
    if (ro.out_path != NULL)
        snprintf(out, sizeof(out), "%s", ro.out_path);
    else
        snprintf(out, sizeof(out), "%s/report.html", tb_log_dir());
    printf("wrote %s: %zu clients, %zu gates (%zu pass, %zu fail, %zu "
           "inconclusive), %zu graphs, %zu figures compared (A vs B)%s\n",
           out, sum.clients, sum.gates, sum.pass, sum.fail, sum.inconclusive,
           sum.graphs, sum.compared,
           sum.warnings ? "; some lines skipped (see warnings)" : "");
    return 0;
}
