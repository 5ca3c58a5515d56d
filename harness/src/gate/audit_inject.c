/* The audit's injections, one or two per gate, each sized from the gate's
 * own thresholds and audit.injection_factor (k): a regression k times the
 * gate's limit where a size means something, so that a gate that misses
 * it is missing a regression half as big again as what it allows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

static void arg(struct tb__injection *inj, size_t *n, const char *flag,
                double value)
{
    size_t slot = *n / 2;

    if (*n + 2 > TB__AUDIT_MAX_ARGS)
        return;
    snprintf(inj->store[slot], sizeof(inj->store[0]), "%.0f", value);
    inj->argv[(*n)++] = (char *)flag;
    inj->argv[(*n)++] = inj->store[slot];
    inj->argv[*n] = NULL;
}

static void set(struct tb_audit_row *row, tb_gate gate, const char *figure)
{
    row->gate = gate;
    snprintf(row->figure, sizeof(row->figure), "%s", figure);
    row->injectable = true;
}

/* "--a 1 --b 2" */
static void describe(struct tb_audit_row *row, const struct tb__injection *inj)
{
    size_t off = 0;

    row->injection[0] = '\0';
    for (size_t i = 0; inj->argv[i] != NULL; i++) {
        int w = snprintf(row->injection + off, sizeof(row->injection) - off,
                         "%s%s", i ? " " : "", inj->argv[i]);
        if (w < 0 || (size_t)w >= sizeof(row->injection) - off)
            break;
        off += (size_t)w;
    }
}

bool tb__audit_injection(tb_gate gate, size_t i, const tb_thresholds *t,
                         const struct tb__audit_basis *b,
                         struct tb_audit_row *row, struct tb__injection *inj)
{
    const double k = t->audit.injection_factor;
    const double rss = b->rss, slow_peak_rss = b->slow_peak_rss;
    size_t n = 0;

    memset(inj, 0, sizeof(*inj));
    switch (gate) {
    case TB_GATE_MEMORY: {
        /* ratio = (rss + L r T_long) / (rss + L r T_short) = k max_ratio
         * solved for L, the bytes leaked per span. */
        double want = k * t->memory.max_ratio;
        double den = t->memory.rate_sps * (t->memory.long_runtime_s -
                                           want * t->memory.short_runtime_s);
        if (i > 0)
            return false;
        set(row, gate, "memory.ratio");
        if (den <= 0 || rss <= 0) {
            row->injectable = false;
            snprintf(row->sizing, sizeof(row->sizing),
                     "no leak reaches a ratio of %.2f (k x max_ratio) when "
                     "long/short runtime is %.1f",
                     want,
                     t->memory.long_runtime_s / t->memory.short_runtime_s);
            return true;
        }
        arg(inj, &n, "--leak_bytes", ceil((want - 1) * rss / den));
        snprintf(row->sizing, sizeof(row->sizing),
                 "leak L per span so that (R + L r T_long)/(R + L r T_short) "
                 "= k x memory.max_ratio = %.2f; R = %.1f MiB (healthy "
                 "traced RSS), r = memory.rate_sps, T = the runtimes",
                 want, rss / 1048576.0);
        break;
    }
    case TB_GATE_DROPS: {
        /* A count limit of 0 has no 1.5 x; the injection loses k x
         * (max_dropped + 1) spans in the lowest step's run. */
        double spans = t->drops.rates_sps.sps[0] * t->drops.runtime_s;
        double lost = k * ((double)t->drops.max_dropped + 1);
        if (i > 0)
            return false;
        set(row, gate, "drops.dropped_spans");
        arg(inj, &n, "--drop_every", fmax(1, floor(spans / lost)));
        snprintf(row->sizing, sizeof(row->sizing),
                 "every Nth span never finished, N = spans of the lowest "
                 "step (%.0f) / (k x (drops.max_dropped + 1)) = %.1f lost",
                 spans, lost);
        break;
    }
    case TB_GATE_CPU: {
        double points = k * t->cpu.max_overhead_points;
        if (i > 0)
            return false;
        set(row, gate, "cpu.overhead_points");
        arg(inj, &n, "--burn_ns", points / 100 * 1e9 / t->cpu.rate_sps);
        snprintf(row->sizing, sizeof(row->sizing),
                 "CPU burnt per traced span = k x cpu.max_overhead_points "
                 "(%.1f points) / cpu.rate_sps",
                 points);
        break;
    }
    case TB_GATE_THROUGHPUT: {
        double cap = t->throughput.min_sps / k;
        if (i > 0)
            return false;
        set(row, gate, "throughput.reached_sps");
        arg(inj, &n, "--span_burn_ns", 1e9 / cap);
        snprintf(row->sizing, sizeof(row->sizing),
                 "each traced span busy in the calling thread for 1/C s, "
                 "C = throughput.min_sps / k = %.0f spans/s at most",
                 cap);
        break;
    }
    case TB_GATE_DUPLICATES:
        /* Two stimuli on the satellites' side: tracers retry on a 503
         * (OpenTelemetry, LightStep) or on a network error (Datadog's C++
         * tracer), not both. A third, on the client's side, for a client
         * whose transport retries nothing (python's py_zipkin): it sends
         * spans again itself. */
        if (i > 2)
            return false;
        set(row, gate, "duplicates.duplicate_spans");
        row->alternative = i > 0;
        if (i == 2) {
            /* As drops: k x (max_duplicates + 1) spans sent twice. */
            double spans = t->duplicates.rate_sps * t->duplicates.runtime_s;
            double twice = k * ((double)t->duplicates.max_duplicates + 1);
            if (!b->dup_every) {
                row->injectable = false;
                snprintf(row->sizing, sizeof(row->sizing),
                         "the client has no --dup_every (its registry entry "
                         "lists no such injector: its tracer's API cannot "
                         "send a span again with the same ids)");
                return true;
            }
            arg(inj, &n, "--dup_every", fmax(1, floor(spans / twice)));
            snprintf(row->sizing, sizeof(row->sizing),
                     "every Nth span sent again by the client with the same "
                     "ids, N = spans of the run (%.0f) / (k x "
                     "(duplicates.max_duplicates + 1)) = %.1f sent twice",
                     spans, twice);
            break;
        }
        inj->fault = i == 0 ? TB_FAULT_COUNT_503 : TB_FAULT_COUNT_RESET;
        snprintf(row->injection, sizeof(row->injection), "satellite fault %s",
                 tb_satellite_fault_name(inj->fault));
        snprintf(row->sizing, sizeof(row->sizing),
                 "every other report counted, then %s: a tracer that retries "
                 "resends it (no size: a duplicate limit of %llu has no "
                 "multiple)",
                 i == 0 ? "answered 503 with Retry-After"
                        : "its connection closed unanswered",
                 (unsigned long long)t->duplicates.max_duplicates);
        return true;
    case TB_GATE_FLUSH:
        if (i > 0)
            return false;
        set(row, gate, "flush.dropped_spans");
        arg(inj, &n, "--skip_flush", 1);
        snprintf(row->sizing, sizeof(row->sizing),
                 "the client exits without flushing or closing its tracer "
                 "(no size)");
        break;
    case TB_GATE_OUTAGE:
        if (i == 0) {
            /* Delivered fraction 1 - k (1 - min): lose every Nth span. */
            double lost = k * (1 - t->outage.min_delivered_after_fraction);
            set(row, gate, "outage.delivered_after_fraction");
            arg(inj, &n, "--drop_every",
                lost > 0 ? fmax(1, floor(1 / lost)) : 2);
            snprintf(row->sizing, sizeof(row->sizing),
                     "every Nth span never finished, N = 1 / (k x (1 - "
                     "outage.min_delivered_after_fraction)): %.2f%% lost",
                     lost * 100);
        } else if (i == 1) {
            /* RSS while down = k x max_memory_ratio x RSS before: leak
             * only from down_at_s on, over the outage's spans. */
            double want = k * t->outage.max_memory_ratio;
            double spans = t->outage.rate_sps *
                           (t->outage.up_at_s - t->outage.down_at_s);
            set(row, gate, "outage.memory_ratio");
            if (rss <= 0) {
                row->injectable = false;
                snprintf(row->sizing, sizeof(row->sizing),
                         "no healthy RSS to size the leak on");
                return true;
            }
            arg(inj, &n, "--leak_bytes", ceil((want - 1) * rss / spans));
            arg(inj, &n, "--leak_after_ms", t->outage.down_at_s * 1000);
            snprintf(row->sizing, sizeof(row->sizing),
                     "leak from outage.down_at_s on, L = (k x "
                     "outage.max_memory_ratio - 1) x R / spans made while "
                     "down; R = %.1f MiB (healthy traced RSS)",
                     rss / 1048576.0);
        } else {
            return false;
        }
        break;
    case TB_GATE_SLOW: {
        /* A synchronous export every N spans waits response_delay_ms,
         * adding delay / N a span to the slow arm's loop overhead: the
         * figure is (P + o) / (P + o + delay / N), P = 1 / rate, o the
         * healthy loop's overhead a span (probed; Node's tracers spend
         * hundreds of microseconds a span on the event loop, which
         * dilutes a stall). N makes the loss k times the loss
         * slow.min_rate_ratio allows. */
        double delay_s = t->slow.response_delay_ms / 1000;
        double ratio = 1 - k * (1 - t->slow.min_rate_ratio);
        double period_s = 1 / t->slow.rate_sps + b->slow_overhead_s;
        double spans = delay_s / period_s;
        if (i == 1) {
            /* Peak RSS with slow answers = k x max_memory_ratio x the
             * typical run's: leak only while a probe of the first
             * satellite has waited half the response delay, over the
             * slow run's spans. Sized on a peak at the slow gate's own
             * rate and length (c: 24 MiB), not on the memory gate's
             * short run (15 MiB), which gave a ratio of 2.75 for 4.5. */
            double want = k * t->slow.max_memory_ratio;
            double made = t->slow.rate_sps * t->slow.runtime_s;
            set(row, gate, "slow.memory_ratio");
            if (slow_peak_rss <= 0 || delay_s <= 0) {
                row->injectable = false;
                snprintf(row->sizing, sizeof(row->sizing),
                         slow_peak_rss <= 0
                             ? "no healthy peak RSS to size the leak on"
                             : "slow.response_delay_ms is 0: no slow "
                               "answer to leak on");
                return true;
            }
            arg(inj, &n, "--leak_bytes",
                ceil((want - 1) * slow_peak_rss / made));
            arg(inj, &n, "--leak_when_slow_ms",
                fmax(1, t->slow.response_delay_ms / 2));
            snprintf(row->sizing, sizeof(row->sizing),
                     "leak only while the satellites answer in "
                     "slow.response_delay_ms / 2 or more, L = (k x "
                     "slow.max_memory_ratio - 1) x R / spans of the slow "
                     "run; R = %.1f MiB (healthy traced peak RSS at "
                     "slow.rate_sps for slow.runtime_s)",
                     slow_peak_rss / 1048576.0);
            break;
        }
        if (i > 1)
            return false;
        set(row, gate, "slow.rate_ratio");
        if (delay_s <= 0 || ratio <= 0 || ratio >= 1) {
            row->injectable = false;
            snprintf(row->sizing, sizeof(row->sizing),
                     "slow.response_delay_ms %.0f, slow.min_rate_ratio "
                     "%.2f: no blocking export to size",
                     delay_s * 1000, t->slow.min_rate_ratio);
            return true;
        }
        arg(inj, &n, "--block_every", fmax(1, floor(spans / (1 / ratio - 1))));
        snprintf(row->sizing, sizeof(row->sizing),
                 "an export the loop waits for (slow.response_delay_ms) "
                 "every N spans, so that a loop at slow.rate_sps makes 1 - "
                 "k x (1 - slow.min_rate_ratio) = %.2f of its typical "
                 "rate; N = d / ((P + o) (1/q - 1)), P = 1 / rate, o = "
                 "%.0f us (the healthy loop's overhead a span, probed)",
                 ratio, b->slow_overhead_s * 1e6);
        break;
    }
    case TB_GATE_LATENCY: {
        /* p99 looks past 1% of spans: every 50th finish (2%) blocks the
         * caller k x the limit, a sleep (no CPU), as a tracer flushing
         * synchronously would. */
        double us = k * t->latency.max_p99_us;
        if (i > 0)
            return false;
        set(row, gate, "latency.p99_us");
        arg(inj, &n, "--stall_every", 50);
        arg(inj, &n, "--stall_us", ceil(us));
        snprintf(row->sizing, sizeof(row->sizing),
                 "every 50th finish (2%% of spans, twice what p99 looks "
                 "past) blocks its caller k x latency.max_p99_us = %.0f us",
                 us);
        break;
    }
    case TB_GATE_COST:
        /* Audited healthy only: --burn_iters is exact, but what an
         * iteration costs differs by client (c 5 instructions, python
         * about 260), so no client-neutral size. */
        if (i > 0)
            return false;
        set(row, gate, "cost.instructions_per_span");
        row->injectable = false;
        snprintf(row->sizing, sizeof(row->sizing),
                 "none: --burn_iters N costs N x a client's own "
                 "instructions an iteration (c 5, python about 260), so "
                 "there is no size in instructions for every client; the "
                 "healthy runs are audited");
        return true;
    default:
        return false;
    }
    describe(row, inj);
    return true;
}
