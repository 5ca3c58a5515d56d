/* The figures of one benchmark, as the Result of LightStep's benchmark
 * suite. */
#ifndef TRACEBENCH_RESULT_H
#define TRACEBENCH_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tb_result {
    /* What was asked. */
    char client[64];
    bool trace;
    bool no_flush;
    double target_sps; /* spans per second asked for */
    double runtime_s;  /* seconds asked for */
    uint64_t work;     /* work units per span */
    uint64_t repeat;   /* spans asked for */
    uint64_t sleep_ns; /* sleep per span, ns */
    /* Work and Repeat were given (tracebench run --work --repeat), not
     * derived from a calibration: the CPU figures are at no calibrated
     * target and compare only with runs of the same work. */
    bool uncalibrated;

    /* Always available. */
    uint64_t spans_sent;      /* what the client POSTed; 0 unless
                               * spans_sent_reported */
    bool spans_sent_reported; /* false: unknown, never made up from
                               * Repeat ("null" in JSON, "not reported"
                               * in text) */
    double program_time_s;    /* user + system CPU of the client, s */
    double clock_time_s;      /* wall time, spawn to exit, s */
    double *cpu_list;         /* CPU fraction per 1 s sample */
    uint64_t *memory_list;    /* RSS bytes per 1 s sample */
    size_t n_samples;         /* length of cpu_list and memory_list */
    uint64_t peak_rss_bytes;  /* kernel's high-water mark */
    double cpu_usage;         /* program_time_s / clock_time_s */
    double spans_per_second;  /* spans_sent / clock_time_s; 0 when not
                               * reported */
    uint64_t start_unix_ns;   /* when the client was started */
    int exit_status;          /* -1 when killed by a signal */
    int term_signal;          /* 0 unless killed by a signal */
    bool timed_out;
    /* The signal (SIGINT, SIGTERM, SIGHUP) that stopped the run, or 0: the
     * figures are then what was measured until the client was killed. */
    int interrupted;
    /* Processes the client started that outlived it (they left its group
     * or session), killed and reaped when it ended, and their CPU (user +
     * system, s). That CPU is NOT in program_time_s. */
    unsigned stray_processes;
    double stray_cpu_s;
    /* Client output not written to the log (over TB_LOG_CLIENT_MAX). */
    uint64_t output_unlogged_bytes;
    uint64_t mark_ns;              /* the benchmark's mark (Unix ns); 0: none */
    int64_t spans_sent_after_mark; /* as the client POSTed; -1: unknown */

    /* Only when satellites were passed. */
    bool has_satellites;
    uint64_t spans_received;  /* unique spans the satellites counted */
    int64_t dropped_spans;    /* spans_sent - spans_received; valid only
                               * when dropped_known */
    bool dropped_known;       /* the client reported, or (one that cannot
                               * report) ran to completion */
    bool dropped_estimated;   /* Repeat - spans_received: the client did
                               * not report what it made */
    uint64_t duplicate_spans; /* spans received more than once */
    uint64_t spans_received_after_mark; /* started at or after mark_ns */
    /* The pace the client made spans at, from the received spans' own
     * start times: (unique spans - 1) / (last start - first start), so
     * start-up and the final flush are left out. 0 when unknown. */
    double made_sps;
    /* CPU while spans were being made: the mean of the 1 s samples that
     * lie between the first and the last span's start (start-up and the
     * final flush left out). 0 when no sample lies wholly there. */
    double steady_cpu;
    /* When the client POSTed "LatencyNs" (clients/PROTOCOL.md): the time
     * its tracer calls (start, tags, logs, finish) took per span, in ns,
     * from the client's histogram. */
    bool has_latency;
    double latency_p50_ns, latency_p99_ns, latency_p999_ns, latency_max_ns;
    /* When the client POSTed "WorkCpuNs": the CPU time its own work (the
     * application the tracer instruments) took, s, from the loop thread's
     * CPU clock. What is left, program_time_s - work_cpu_s, is the loop,
     * the tracer and the runtime: the cpu gates compare that part, so a
     * machine that runs the same work slower for a while moves neither
     * arm (tracebench/gate/regress.h). */
    bool has_work_cpu;
    double work_cpu_s;
    /* When the client POSTed "LoopOverheadNs": the loop's wall time, s,
     * outside its work and the sleeps it asked for: its tracer calls and
     * whatever blocked it. The slow gate compares it per span between its
     * arms: unlike the rate made, it does not follow the machine's speed,
     * since the work and the sleeps are left out. */
    bool has_loop_overhead;
    double loop_overhead_s;
    /* When the client POSTed "LoopCpuNs" and "LoopWallNs": the process's
     * CPU (every thread) and the wall time, s, from its first span to its
     * last. Start-up (a runtime, a tracer's modules) and the final flush
     * are outside it: calibration and the cpu gates read this window
     * where a client sends it (tb_result_cpu). */
    bool has_loop_window;
    double loop_cpu_s, loop_wall_s;
    /* Only with a counter (tracebench/measure/counter.h). */
    bool has_count;
    char counter[16];      /* "perf" or "valgrind" */
    uint64_t instructions; /* of the client, its threads, children */
    uint64_t cycles;       /* 0 unless has_cycles */
    bool has_cycles;
} tb_result;

/* Allocates a zeroed result (spans_sent_after_mark -1). Caller frees with
 * tb_result_free. */
tb_result *tb_result_new(void);
void tb_result_free(tb_result *r);

/* The run's CPU as calibration and the cpu gates read it, a fraction:
 * the loop's window, loop_cpu_s / loop_wall_s, when the client sent it;
 * else the whole run's, cpu_usage. */
double tb_result_cpu(const tb_result *r);

/* The same, with the CPU and wall seconds it divides (the loop's window's,
 * or the whole run's) into *cpu_s and *wall_s when not NULL. */
double tb_result_cpu_window(const tb_result *r, double *cpu_s, double *wall_s);

/* The client's CPU outside its own work: (loop_cpu_s - work_cpu_s) /
 * loop_wall_s with a loop window, else (program_time_s - work_cpu_s) /
 * clock_time_s: the loop, the tracer and the runtime. NAN when the
 * client sent no WorkCpuNs. */
double tb_result_cpu_outside_work(const tb_result *r);

/* What tb_result_cpu and tb_result_cpu_outside_work read, for messages:
 * "the loop's CPU outside the client's work (LoopCpuNs, WorkCpuNs)", ...,
 * for runs that sent a loop window (loop_window) or not. */
const char *tb_result_cpu_basis(bool loop_window, bool outside_work);

/* Prints in the form of LightStep's benchmark suite: "95.3 spans / sec",
 * "72% CPU usage", "0.0% spans dropped (out of 499 sent)", "took 10.2s". */
void tb_result_print(const tb_result *r, FILE *out);

/* A JSON object with every field. Returns malloc'd text the caller frees,
 * or NULL when out of memory. */
char *tb_result_to_json(const tb_result *r);

#endif
