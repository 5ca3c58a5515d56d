/* tracebench history: figures across many runs' results files, with the
 * step changes flagged. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "tracebench.h"
#include "tracebench/output/history.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: tracebench history DIR [--client C] [--figure F]\n"
        "  DIR            results files, one per commit or release (a\n"
        "                 run's logs/results.jsonl, copied and named by\n"
        "                 you); read in name order, versions sorted as\n"
        "                 numbers (v1.9 before v1.10)\n"
        "  --client C     only this client's figures\n"
        "  --figure F     only this figure (e.g. cpu.overhead_points)\n"
        "Prints each figure's series (median and interval per file) and the\n"
        "step changes found (a penalized piecewise-constant fit, as asv\n"
        "does). Exit status 0, or 1 on an error.\n");
}

int tb_cli_history(int argc, char **argv)
{
    static const struct option opts[] = {{"client", required_argument, 0, 'c'},
                                         {"figure", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct tb_history_opts ho = {0};
    tb_error err = {0};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ho.client = optarg;
            break;
        case 'f':
            ho.figure = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return tb_cli_fail("history: name one folder of results files");
    }
    ho.dir = argv[optind];
    if (tb_history_write(&ho, stdout, NULL, &err) != TB_OK)
        return tb_cli_fail("history: %s", err.msg);
    return 0;
}
