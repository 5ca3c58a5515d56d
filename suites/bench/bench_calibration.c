/* The calibration's absolute accuracy: a fresh calibration of a client,
 * then untraced benchmarks of 5 s at 200 spans/s; prints each run's CPU
 * and the median's distance from the target, and exits 1 when it is more
 * than 0.03. An absolute window belongs here, not in ctest: on a shared
 * machine a neighbour moves it (test_calibration checks the relative
 * step instead).
 *
 *   build/suites/bench_calibration [client] [target] [runs] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tracebench.h"

#define MAX_RUNS 15

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct tb_controller_opts o = {.client_name = argc > 1 ? argv[1] : "c",
                                   .control_port = 0,
                                   .target_cpu = argc > 2 ? atof(argv[2]) : 0.7,
                                   .recalibrate = true};
    struct tb_benchmark_opts bo = {.spans_per_second = 200, .runtime_s = 5};
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    double cpu[MAX_RUNS];
    tb_controller *ctl;
    tb_error err = {0};

    if (runs < 1 || runs > MAX_RUNS || !(o.target_cpu > 0)) {
        fprintf(stderr, "usage: bench_calibration [client] [target 0-1] "
                        "[runs 1-15]\n");
        return 2;
    }
    if (tb_controller_new(&o, &ctl, &err) != TB_OK) {
        fprintf(stderr, "bench_calibration: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < runs; i++) {
        tb_result *r;
        if (tb_controller_benchmark(ctl, &bo, &r, &err) != TB_OK) {
            fprintf(stderr, "bench_calibration: %s\n", err.msg);
            tb_controller_free(ctl);
            return 1;
        }
        cpu[i] = r->cpu_usage;
        printf("run %d: %.1f%% CPU over %.2f s\n", i + 1, cpu[i] * 100,
               r->clock_time_s);
        tb_result_free(r);
    }
    tb_controller_free(ctl);
    qsort(cpu, (size_t)runs, sizeof(double), cmp);
    double med = runs % 2 ? cpu[runs / 2]
                          : (cpu[runs / 2 - 1] + cpu[runs / 2]) / 2;
    printf("%s at target %.2f: median %.4f, %+.4f off (limit 0.03)\n",
           o.client_name, o.target_cpu, med, med - o.target_cpu);
    return fabs(med - o.target_cpu) <= 0.03 ? 0 : 1;
}
