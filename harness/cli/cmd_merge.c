/* tracebench merge: the logs/ folders of a CI matrix's jobs as one run. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "tracebench.h"
#include "tracebench/output/merge.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench merge [--out DIR] [--graphs DIR] SHARD...\n"
           "  SHARD          a folder holding a results.jsonl (a job's logs/)\n"
           "  --out DIR      where to write results.jsonl, summary.md,\n"
           "                 benchmarks*.json, bmf.json, junit-merged.xml and\n"
           "                 report.html (default logs/)\n"
           "  --graphs DIR   graphs to show in report.html (default none)\n"
           "Takes each shard's latest run. Refuses shards measured with other\n"
           "thresholds files or another profile. Exit status: 0 when every\n"
           "figure passed or was inconclusive, 1 when one failed or a gate\n"
           "could not run, 2 when the shards could not be merged.\n");
}

int tb_cli_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"graphs", required_argument, 0, 'g'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct tb_merge_opts mo = {0};
    struct tb_merge_summary sum;
    tb_error err = {0};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            mo.out_dir = optarg;
            break;
        case 'g':
            mo.graphs_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind == argc) {
        usage(stderr);
        tb_cli_fail("merge: name at least one shard folder");
        return 2;
    }
    mo.shards = (const char *const *)argv + optind;
    mo.n_shards = (size_t)(argc - optind);
    if (tb_merge(&mo, &sum, stdout, &err) != TB_OK) {
        tb_cli_fail("merge: %s", err.msg);
        return 2;
    }
    printf("merged %zu shards into %s: %zu figures (%zu pass, %zu fail, "
           "%zu inconclusive, %zu errors)\n",
           sum.shards, mo.out_dir ? mo.out_dir : tb_log_dir(), sum.figures,
           sum.pass, sum.fail, sum.inconclusive, sum.errors);
    return sum.fail + sum.errors > 0 ? 1 : 0;
}
