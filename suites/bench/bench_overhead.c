/* How much CPU the harness itself uses while it measures a client: the
 * controller's poll loop, /proc sampling, log lines and the control
 * endpoint. Target: under 0.5% of one core. Prints per-trial figures, the
 * median and spread, and the ratio to the client's own CPU in the same run.
 *
 *   build/suites/bench_overhead [client] [trials] [runtime_s] [sps] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "tracebench.h"

static double cpu_self_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *client = argc > 1 ? argv[1] : "c";
    int trials = argc > 2 ? atoi(argv[2]) : 5;
    double runtime = argc > 3 ? atof(argv[3]) : 10;
    double sps = argc > 4 ? atof(argv[4]) : 1000;
    struct tb_controller_opts co = {.client_name = client, .control_port = 0};
    double harness[64], ratio[64];
    tb_controller *ctl;
    tb_error err = {0};

    if (trials < 1 || trials > 64 || runtime <= 0 || sps <= 0) {
        fprintf(stderr, "usage: bench_overhead [client] [trials 1-64] "
                        "[runtime_s] [sps]\n");
        return 2;
    }
    if (tb_controller_new(&co, &ctl, &err) != TB_OK) {
        fprintf(stderr, "bench_overhead: %s\n", err.msg);
        return 1;
    }
    printf("harness CPU while measuring %s at %.0f spans/s for %.0f s, "
           "%d trials\n",
           client, sps, runtime, trials);
    for (int i = 0; i < trials; i++) {
        struct tb_benchmark_opts bo = {
            .trace = false, .spans_per_second = sps, .runtime_s = runtime};
        tb_result *r = NULL;
        double c0 = cpu_self_s(), t0 = now_s();
        if (tb_controller_benchmark(ctl, &bo, &r, &err) != TB_OK) {
            fprintf(stderr, "bench_overhead: %s\n", err.msg);
            tb_result_free(r);
            tb_controller_free(ctl);
            return 1;
        }
        double used = cpu_self_s() - c0, wall = now_s() - t0;
        harness[i] = used / wall;
        ratio[i] = used / r->program_time_s;
        printf("  trial %d: harness %.3f%% of a core (%.1f ms CPU over "
               "%.2f s); client %.1f%%; harness/client %.4f\n",
               i + 1, harness[i] * 100, used * 1000, wall, r->cpu_usage * 100,
               ratio[i]);
        tb_result_free(r);
    }
    qsort(harness, (size_t)trials, sizeof(double), cmp);
    qsort(ratio, (size_t)trials, sizeof(double), cmp);
    printf("harness CPU: median %.3f%% of a core (min %.3f%%, max %.3f%%); "
           "target < 0.5%%: %s\n",
           harness[trials / 2] * 100, harness[0] * 100,
           harness[trials - 1] * 100,
           harness[trials / 2] < 0.005 ? "met" : "NOT met");
    printf("harness/client CPU ratio: median %.4f (min %.4f, max %.4f)\n",
           ratio[trials / 2], ratio[0], ratio[trials - 1]);
    tb_controller_free(ctl);
    return 0;
}
