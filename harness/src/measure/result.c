/* Results: printing in the form of LightStep's benchmark suite, and JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/measure/result.h"

tb_result *tb_result_new(void)
{
    tb_result *r = calloc(1, sizeof(tb_result));

    if (r != NULL)
        r->spans_sent_after_mark = -1;
    return r;
}

void tb_result_free(tb_result *r)
{
    if (r == NULL)
        return;
    free(r->cpu_list);
    free(r->memory_list);
    free(r);
}

double tb_result_cpu_window(const tb_result *r, double *cpu_s, double *wall_s)
{
    bool loop = r->has_loop_window && r->loop_wall_s > 0;
    double cpu = loop ? r->loop_cpu_s : r->program_time_s;
    double wall = loop ? r->loop_wall_s : r->clock_time_s;

    if (cpu_s != NULL)
        *cpu_s = cpu;
    if (wall_s != NULL)
        *wall_s = wall;
    return wall > 0 ? cpu / wall : r->cpu_usage;
}

double tb_result_cpu(const tb_result *r)
{
    return tb_result_cpu_window(r, NULL, NULL);
}

double tb_result_cpu_outside_work(const tb_result *r)
{
    double cpu, wall;

    tb_result_cpu_window(r, &cpu, &wall);
    if (!r->has_work_cpu || wall <= 0)
        return NAN;
    return (cpu - r->work_cpu_s) / wall;
}

const char *tb_result_cpu_basis(bool loop_window, bool outside_work)
{
    if (outside_work)
        return loop_window ? "the loop's CPU outside the client's "
                             "work (LoopCpuNs, WorkCpuNs)"
                           : "CPU outside the client's work "
                             "(WorkCpuNs)";
    return loop_window
               ? "the loop's CPU (LoopCpuNs; the client sent no WorkCpuNs)"
               : "whole-run CPU: the client sent no WorkCpuNs";
}

void tb_result_print(const tb_result *r, FILE *out)
{
    char sent[48];

    if (r->interrupted)
        fprintf(out, "interrupted by signal %d: the figures are partial\n",
                r->interrupted);
    if (r->spans_sent_reported) {
        fprintf(out, "%.1f spans / sec\n", r->spans_per_second);
        snprintf(sent, sizeof(sent), "%llu sent",
                 (unsigned long long)r->spans_sent);
    } else {
        fprintf(out, "spans / sec not reported by the client\n");
        snprintf(sent, sizeof(sent), "spans sent not reported");
    }
    fprintf(out, "%.0f%% CPU usage%s\n", r->cpu_usage * 100.0,
            r->uncalibrated ? " (uncalibrated: fixed --work and --repeat)"
                            : "");
    if (r->has_satellites) {
        if (r->dropped_known) {
            double of = r->dropped_estimated ? (double)r->repeat
                                             : (double)r->spans_sent;
            double pct = of > 0 ? 100.0 * (double)r->dropped_spans / of : 0;
            fprintf(out, "%.1f%% spans dropped (out of %s)%s\n", pct, sent,
                    r->dropped_estimated
                        ? " (an estimate: out of the Repeat asked for)"
                        : "");
        } else {
            fprintf(out, "spans dropped unknown (%s)\n", sent);
        }
        fprintf(out, "%llu spans received\n",
                (unsigned long long)r->spans_received);
        if (r->duplicate_spans > 0)
            fprintf(out, "%llu duplicate spans received\n",
                    (unsigned long long)r->duplicate_spans);
    } else {
        fprintf(out, "%s (no satellites: drops not measured)\n", sent);
    }
    fprintf(out, "took %.1fs\n", r->clock_time_s);
}

cJSON *tb__result_json(const tb_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *cpu, *mem;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "client", r->client);
    cJSON_AddBoolToObject(o, "trace", r->trace);
    cJSON_AddBoolToObject(o, "no_flush", r->no_flush);
    cJSON_AddNumberToObject(o, "target_sps", r->target_sps);
    cJSON_AddNumberToObject(o, "runtime_s", r->runtime_s);
    cJSON_AddNumberToObject(o, "work", (double)r->work);
    cJSON_AddNumberToObject(o, "repeat", (double)r->repeat);
    cJSON_AddNumberToObject(o, "sleep_ns", (double)r->sleep_ns);
    cJSON_AddBoolToObject(o, "uncalibrated", r->uncalibrated);
    if (r->spans_sent_reported)
        cJSON_AddNumberToObject(o, "spans_sent", (double)r->spans_sent);
    else
        cJSON_AddNullToObject(o, "spans_sent");
    cJSON_AddNumberToObject(o, "program_time_s", r->program_time_s);
    cJSON_AddNumberToObject(o, "clock_time_s", r->clock_time_s);
    cJSON_AddNumberToObject(o, "cpu_usage", r->cpu_usage);
    if (r->spans_sent_reported)
        cJSON_AddNumberToObject(o, "spans_per_second", r->spans_per_second);
    else
        cJSON_AddNullToObject(o, "spans_per_second");
    cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)r->peak_rss_bytes);
    cJSON_AddNumberToObject(o, "exit_status", r->exit_status);
    cJSON_AddNumberToObject(o, "term_signal", r->term_signal);
    cJSON_AddBoolToObject(o, "timed_out", r->timed_out);
    cJSON_AddBoolToObject(o, "interrupted", r->interrupted != 0);
    if (r->interrupted != 0)
        cJSON_AddNumberToObject(o, "interrupt_signal", r->interrupted);
    cJSON_AddNumberToObject(o, "stray_processes", r->stray_processes);
    cJSON_AddNumberToObject(o, "stray_cpu_s", r->stray_cpu_s);
    cJSON_AddNumberToObject(o, "output_unlogged_bytes",
                            (double)r->output_unlogged_bytes);
    if (r->mark_ns != 0) {
        cJSON_AddNumberToObject(o, "mark_ns", (double)r->mark_ns);
        if (r->spans_sent_after_mark >= 0)
            cJSON_AddNumberToObject(o, "spans_sent_after_mark",
                                    (double)r->spans_sent_after_mark);
        else
            cJSON_AddNullToObject(o, "spans_sent_after_mark");
    }
    cpu = cJSON_AddArrayToObject(o, "cpu_list");
    mem = cJSON_AddArrayToObject(o, "memory_list");
    for (size_t i = 0; cpu && mem && i < r->n_samples; i++) {
        cJSON_AddItemToArray(cpu, cJSON_CreateNumber(r->cpu_list[i]));
        cJSON_AddItemToArray(mem,
                             cJSON_CreateNumber((double)r->memory_list[i]));
    }
    cJSON_AddBoolToObject(o, "has_satellites", r->has_satellites);
    if (r->has_satellites) {
        cJSON_AddNumberToObject(o, "spans_received", (double)r->spans_received);
        if (r->dropped_known)
            cJSON_AddNumberToObject(o, "dropped_spans",
                                    (double)r->dropped_spans);
        else
            cJSON_AddNullToObject(o, "dropped_spans");
        cJSON_AddBoolToObject(o, "dropped_estimated", r->dropped_estimated);
        cJSON_AddNumberToObject(o, "duplicate_spans",
                                (double)r->duplicate_spans);
        if (r->mark_ns != 0)
            cJSON_AddNumberToObject(o, "spans_received_after_mark",
                                    (double)r->spans_received_after_mark);
        if (r->made_sps > 0)
            cJSON_AddNumberToObject(o, "made_sps", r->made_sps);
        else
            cJSON_AddNullToObject(o, "made_sps");
        if (r->steady_cpu > 0)
            cJSON_AddNumberToObject(o, "steady_cpu", r->steady_cpu);
        else
            cJSON_AddNullToObject(o, "steady_cpu");
    } else {
        cJSON_AddNullToObject(o, "spans_received");
        cJSON_AddNullToObject(o, "dropped_spans");
        cJSON_AddNullToObject(o, "duplicate_spans");
    }
    if (r->has_work_cpu)
        cJSON_AddNumberToObject(o, "work_cpu_s", r->work_cpu_s);
    else
        cJSON_AddNullToObject(o, "work_cpu_s");
    if (r->has_loop_overhead)
        cJSON_AddNumberToObject(o, "loop_overhead_s", r->loop_overhead_s);
    else
        cJSON_AddNullToObject(o, "loop_overhead_s");
    if (r->has_loop_window) {
        cJSON_AddNumberToObject(o, "loop_cpu_s", r->loop_cpu_s);
        cJSON_AddNumberToObject(o, "loop_wall_s", r->loop_wall_s);
    } else {
        cJSON_AddNullToObject(o, "loop_cpu_s");
        cJSON_AddNullToObject(o, "loop_wall_s");
    }
    if (r->has_latency) {
        cJSON *l = cJSON_AddObjectToObject(o, "latency_ns");
        cJSON_AddNumberToObject(l, "p50", r->latency_p50_ns);
        cJSON_AddNumberToObject(l, "p99", r->latency_p99_ns);
        cJSON_AddNumberToObject(l, "p999", r->latency_p999_ns);
        cJSON_AddNumberToObject(l, "max", r->latency_max_ns);
    } else {
        cJSON_AddNullToObject(o, "latency_ns");
    }
    if (r->has_count) {
        cJSON_AddStringToObject(o, "counter", r->counter);
        cJSON_AddNumberToObject(o, "instructions", (double)r->instructions);
        if (r->has_cycles)
            cJSON_AddNumberToObject(o, "cycles", (double)r->cycles);
        else
            cJSON_AddNullToObject(o, "cycles");
    }
    return o;
}

char *tb_result_to_json(const tb_result *r)
{
    cJSON *o = tb__result_json(r);
    char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    return text;
}
