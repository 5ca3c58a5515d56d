/* The tracers' cost, side by side: for each client and rate, traced and
 * untraced trials interleaved, the median CPU overhead (traced minus
 * untraced, percentage points) with its bootstrap interval, and the median
 * peak RSS of each arm. Prints a Markdown table for the README.
 *
 *   build/suites/bench_clients [trials] [runtime_s] [client ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebench.h"

#define MAX_TRIALS 16

static const double rates[] = {100, 500, 1000};

int main(int argc, char **argv)
{
    static const char *const all[] = {"python", "python-cpp", "c", "js",
                                      "js-otel"};
    int trials = argc > 1 ? atoi(argv[1]) : 3;
    double runtime = argc > 2 ? atof(argv[2]) : 5;
    const char *const *clients = argc > 3 ? (const char *const *)argv + 3 : all;
    int n_clients = argc > 3 ? argc - 3 : 5;
    uint16_t ports[1] = {0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 1};
    tb_satellites *sats;
    tb_error err = {0};

    if (trials < 2 || trials > MAX_TRIALS || runtime <= 0) {
        fprintf(stderr, "usage: bench_clients [trials 2-16] [runtime_s] "
                        "[client ...]\n");
        return 2;
    }
    if (tb_satellites_start(&so, &sats, &err) != TB_OK) {
        fprintf(stderr, "bench_clients: %s\n", err.msg);
        return 1;
    }
    printf("| client | spans/s | CPU overhead, points (95%% CI) | traced "
           "CPU | untraced CPU | peak RSS traced | peak RSS untraced | "
           "dropped |\n|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (int c = 0; c < n_clients; c++) {
        struct tb_controller_opts co = {.client_name = clients[c],
                                        .control_port = 0};
        tb_controller *ctl;
        tb_error cerr = {0};
        if (tb_controller_new(&co, &ctl, &cerr) != TB_OK) {
            printf("| %s | - | %s | | | | | |\n", clients[c], cerr.msg);
            continue;
        }
        for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
            double cpu[2][MAX_TRIALS], rss[2][MAX_TRIALS];
            long long dropped = 0;
            int ok = 1;
            for (int i = 0; i < trials && ok; i++)
                for (int a = 0; a < 2 && ok; a++) {
                    /* Flip the order each trial, as the CPU gate does. */
                    int trace = (i % 2 == 0) == (a == 0);
                    struct tb_benchmark_opts bo = {.satellites = sats,
                                                   .trace = trace,
                                                   .spans_per_second = rates[k],
                                                   .runtime_s = runtime};
                    tb_result *r = NULL;
                    if (tb_controller_benchmark(ctl, &bo, &r, &cerr) != TB_OK) {
                        printf("| %s | %.0f | %s | | | | | |\n", clients[c],
                               rates[k], cerr.msg);
                        ok = 0;
                    } else {
                        cpu[trace][i] = r->cpu_usage * 100;
                        rss[trace][i] = (double)r->peak_rss_bytes / 1048576;
                        if (trace)
                            dropped += r->dropped_spans;
                    }
                    tb_result_free(r);
                }
            if (!ok)
                continue;
            struct tb_bootstrap_opts bo = {.seed = 1, .paired = true};
            tb_interval iv;
            double mt, mu, rt, ru;
            tb_stats_bootstrap_median_diff(cpu[1], (size_t)trials, cpu[0],
                                           (size_t)trials, &bo, &iv, NULL);
            tb_stats_median(cpu[1], (size_t)trials, &mt, NULL);
            tb_stats_median(cpu[0], (size_t)trials, &mu, NULL);
            tb_stats_median(rss[1], (size_t)trials, &rt, NULL);
            tb_stats_median(rss[0], (size_t)trials, &ru, NULL);
            printf("| %s | %.0f | %.1f (%.1f to %.1f) | %.1f%% | %.1f%% | "
                   "%.1f MiB | %.1f MiB | %lld |\n",
                   clients[c], rates[k], iv.estimate, iv.lo, iv.hi, mt, mu, rt,
                   ru, dropped);
            fflush(stdout);
        }
        tb_controller_free(ctl);
    }
    printf("\n%d traced and %d untraced trials of %.0f s per row, "
           "interleaved; medians.\n",
           trials, trials, runtime);
    tb_satellites_free(sats);
    return 0;
}
