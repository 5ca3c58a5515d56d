/* tracebench graph: the graphs of LightStep's benchmark suite for one
 * client, or one chart comparing clients, with progress on stderr. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tracebench.h"
#include "tracebench/output/graph.h"

#define MAX_CLIENTS 16

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench graph cpu|dropped|memory|disconnect|all CLIENT "
           "[options]\n"
           "       tracebench graph compare cpu|memory --clients A,B,... "
           "[options]\n"
           "  --quick              a version that runs in about a minute per "
           "graph\n"
           "  --trials N           benchmarks per rate and side (default 3; "
           "memory and\n"
           "                       disconnect 1)\n"
           "  --runtime S          seconds per benchmark (default 10; memory "
           "50;\n"
           "                       disconnect 180, down at 1/6, back at 2/3 of "
           "it)\n"
           "  --rates LIST         spans/s, e.g. 100,1k,10k (disconnect: one "
           "rate)\n"
           "  --clients LIST       the clients to compare\n"
           "  --out DIR            where PNG, CSV and script go (default "
           "<root>/graphs)\n"
           "  --gnuplot PROG       the gnuplot to run (default $TB_GNUPLOT, "
           "else gnuplot)\n"
           "  --target-cpu F       calibration target (default 0.7)\n"
           "  --recalibrate        ignore a cached calibration\n"
           "  --any-port           satellites and control endpoint on free "
           "ports\n"
           "  --registry FILE      another clients.json\n"
           "Each graph writes <out>/<client>-<kind>.png, .csv (raw data, one "
           "row per\npoint) and .gp (rerun with gnuplot in <out>). Progress "
           "goes to stderr.\n");
}

struct progress_ctx {
    const char *const *clients;
    size_t n_clients;
    const char *graph; /* kind name, for the progress line */
    unsigned trials;
};

static void fmt_duration(double s, char *buf, size_t size)
{
    long t = lround(s);

    if (t >= 3600)
        snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lds", t);
}

static void on_progress(const struct tb_sweep_progress *p, void *arg)
{
    const struct progress_ctx *ctx = arg;
    char el[32], eta[32], who[160] = "";

    fmt_duration(p->elapsed_s, el, sizeof(el));
    fmt_duration(p->eta_s, eta, sizeof(eta));
    if (ctx->n_clients > 1)
        for (size_t i = 0; i < ctx->n_clients; i++)
            if (strcmp(ctx->clients[i], p->client) == 0)
                snprintf(who, sizeof(who), " (client %zu/%zu)", i + 1,
                         ctx->n_clients);
    fprintf(stderr,
            "graph %s %s%s: [%zu/%zu] %.6g spans/s %s, trial %u/%u, %.0f s"
            "%s; %s elapsed, about %s left for this client\n",
            ctx->graph, p->client, who, p->index + 1, p->total, p->step->sps,
            p->step->trace ? "traced" : "untraced", p->step->trial, ctx->trials,
            p->step->runtime_s,
            p->step->down_at_s >= 0 ? " (satellites go down)" : "", el, eta);
}

/* "a,b,c" into at most max borrowed pointers into s (modified). */
static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;

    for (char *tok = strtok(s, ","); tok != NULL && n < max;
         tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

struct graph_args {
    bool quick, rates_set, any_port;
    double trials, runtime_s; /* < 0: the kind's default */
    double rates[TB_GRAPH_MAX_RATES];
    size_t n_rates;
    struct tb_graph_opts go;
    struct tb_controller_opts co;
};

static tb_err settings_for(tb_graph_kind kind, const struct graph_args *a,
                           struct tb_graph_settings *s, tb_error *err)
{
    tb_graph_defaults(kind, a->quick, s);
    if (a->trials >= 0)
        s->trials = (unsigned)a->trials;
    if (a->runtime_s >= 0)
        tb_graph_set_runtime(s, kind, a->runtime_s);
    if (a->rates_set) {
        if (kind == TB_GRAPH_DISCONNECT && a->n_rates != 1)
            return tb_error_set(err, TB_ERR_INVALID_ARG,
                                "--rates: the disconnect graph runs at one "
                                "rate");
        memcpy(s->rates, a->rates, a->n_rates * sizeof(double));
        s->n_rates = a->n_rates;
    }
    return TB_OK;
}

static int draw(tb_graph_kind kind, tb_controller **ctls, size_t n,
                const char *const *names, struct graph_args *a)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct progress_ctx ctx = {
        .clients = names, .n_clients = n, .graph = tb_graph_kind_name(kind)};
    tb_error err = {0};
    double t0 = 0;
    char took[32];

    if (settings_for(kind, a, &s, &err) != TB_OK)
        return tb_cli_fail("%s", err.msg);
    ctx.trials = s.trials;
    a->go.progress = on_progress;
    a->go.progress_arg = &ctx;
    fprintf(stderr, "graph %s: %zu benchmarks of %.0f s per client\n",
            tb_graph_kind_name(kind), tb_graph_benchmarks(kind, &s),
            s.runtime_s);
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    if (tb_graph_draw(kind, ctls, n, &s, &a->go, &out, &err) != TB_OK)
        return tb_cli_fail("graph %s: %s: %s", tb_graph_kind_name(kind),
                           tb_err_name(err.code), err.msg);
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fmt_duration((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0, took,
                     sizeof(took));
    }
    printf("wrote %s (%ux%u), %s (%zu rows) and %s in %s\n", out.png, out.width,
           out.height, out.csv, out.rows, out.script, took);
    if (out.failed > 0)
        fprintf(stderr,
                "tracebench: %zu benchmarks failed; they are in the CSV "
                "with their status, not in the lines\n",
                out.failed);
    return 0;
}

int tb_cli_graph(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quick", no_argument, 0, 'q'},
        {"trials", required_argument, 0, 'n'},
        {"runtime", required_argument, 0, 'r'},
        {"rates", required_argument, 0, 'R'},
        {"clients", required_argument, 0, 'C'},
        {"out", required_argument, 0, 'o'},
        {"gnuplot", required_argument, 0, 'G'},
        {"target-cpu", required_argument, 0, 'c'},
        {"recalibrate", no_argument, 0, 'x'},
        {"any-port", no_argument, 0, 'a'},
        {"registry", required_argument, 0, 'g'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    struct graph_args a = {
        .trials = -1, .runtime_s = -1, .co = {.control_port = -1}};
    char *client_list = NULL, *names[MAX_CLIENTS + 1];
    tb_controller *ctls[MAX_CLIENTS] = {0};
    tb_satellites *sats = NULL;
    tb_graph_kind kinds[4];
    size_t n_kinds = 0, n_clients = 0;
    tb_error err = {0};
    int c, status = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            a.quick = true;
            break;
        case 'n':
            if (tb_units_parse_count("--trials", optarg, &a.trials, &err) ==
                    TB_OK &&
                (a.trials < 1 || a.trials != floor(a.trials)))
                tb_error_set(&err, TB_ERR_INVALID_ARG,
                             "--trials: %s is not a whole number >= 1", optarg);
            break;
        case 'r':
            if (tb_units_parse_duration("--runtime", optarg, &a.runtime_s,
                                        &err) == TB_OK &&
                !(a.runtime_s > 0))
                tb_error_set(&err, TB_ERR_INVALID_ARG,
                             "--runtime: %s is not over 0 s", optarg);
            break;
        case 'R': {
            char *list[TB_GRAPH_MAX_RATES + 1];
            size_t n = split(optarg, list, TB_GRAPH_MAX_RATES + 1);
            if (n == 0 || n > TB_GRAPH_MAX_RATES)
                tb_error_set(&err, TB_ERR_INVALID_ARG,
                             "--rates: give 1 to %d rates", TB_GRAPH_MAX_RATES);
            for (size_t i = 0; i < n && err.code == TB_OK; i++)
                if (tb_units_parse_count("--rates", list[i], &a.rates[i],
                                         &err) == TB_OK &&
                    !(a.rates[i] > 0))
                    tb_error_set(&err, TB_ERR_INVALID_ARG,
                                 "--rates: %s is not over 0", list[i]);
            a.n_rates = n;
            a.rates_set = true;
            break;
        }
        case 'C':
            client_list = optarg;
            break;
        case 'o':
            a.go.out_dir = optarg;
            break;
        case 'G':
            a.go.plot.gnuplot = optarg;
            break;
        case 'c':
            tb_units_parse_fraction("--target-cpu", optarg, &a.co.target_cpu,
                                    &err);
            break;
        case 'x':
            a.co.recalibrate = true;
            break;
        case 'a':
            a.any_port = true;
            break;
        case 'g':
            a.co.registry_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (err.code != TB_OK)
            return tb_cli_fail("%s", err.msg);
    }

    if (optind < argc && strcmp(argv[optind], "compare") == 0) {
        if (optind + 2 != argc || client_list == NULL) {
            usage(stderr);
            return tb_cli_fail("graph compare needs cpu or memory and "
                               "--clients A,B,...");
        }
        if (strcmp(argv[optind + 1], "cpu") == 0)
            kinds[n_kinds++] = TB_GRAPH_COMPARE_CPU;
        else if (strcmp(argv[optind + 1], "memory") == 0)
            kinds[n_kinds++] = TB_GRAPH_COMPARE_MEMORY;
        else
            return tb_cli_fail("graph compare: '%s' is not cpu or memory",
                               argv[optind + 1]);
        n_clients = split(client_list, names, MAX_CLIENTS + 1);
        if (n_clients == 0 || n_clients > MAX_CLIENTS)
            return tb_cli_fail("--clients: give 1 to %d clients", MAX_CLIENTS);
    } else {
        if (optind + 2 != argc) {
            usage(stderr);
            return tb_cli_fail("graph needs a KIND and one CLIENT");
        }
        if (strcmp(argv[optind], "all") == 0) {
            for (int k = TB_GRAPH_CPU; k <= TB_GRAPH_DISCONNECT; k++)
                kinds[n_kinds++] = (tb_graph_kind)k;
        } else if (tb_graph_kind_parse(argv[optind], &kinds[0], &err) !=
                       TB_OK ||
                   kinds[0] > TB_GRAPH_DISCONNECT) {
            return tb_cli_fail("graph: '%s' is not cpu, dropped, memory, "
                               "disconnect or all",
                               argv[optind]);
        } else {
            n_kinds = 1;
        }
        names[n_clients++] = argv[optind + 1];
    }
    if (n_kinds > 1 && a.rates_set)
        return tb_cli_fail("--rates applies to one graph, not all");

    /* Look for gnuplot before calibrating: a missing one fails at once. */
    {
        char prog[4096];
        if (tb_plot_find(&a.go.plot, prog, sizeof(prog), &err) != TB_OK)
            return tb_cli_fail("%s", err.msg);
    }
    {
        static const uint16_t any[TB_SATELLITE_DEFAULT_COUNT] = {0};
        struct tb_satellites_opts so = {0};
        if (a.any_port) {
            so.ports = any;
            so.n_ports = TB_SATELLITE_DEFAULT_COUNT;
            a.co.control_port = 0;
        }
        tb_interrupt_install();
        if (tb_satellites_start(&so, &sats, &err) != TB_OK)
            goto out;
        a.go.satellites = sats;
    }
    for (size_t i = 0; i < n_clients; i++) {
        a.co.client_name = names[i];
        fprintf(stderr, "graph: calibrating %s (cached for an hour)\n",
                names[i]);
        if (tb_controller_new(&a.co, &ctls[i], &err) != TB_OK)
            goto out;
    }
    status = 0;
    for (size_t k = 0; k < n_kinds && !tb_interrupted(); k++) {
        if (kinds[k] >= TB_GRAPH_COMPARE_CPU)
            status |= draw(kinds[k], ctls, n_clients,
                           (const char *const *)names, &a);
        else
            status |= draw(kinds[k], ctls, 1, (const char *const *)names, &a);
    }
out:
    if (err.code != TB_OK)
        tb_cli_fail("%s: %s", tb_err_name(err.code), err.msg);
    for (size_t i = 0; i < n_clients; i++)
        tb_controller_free(ctls[i]);
    tb_satellites_free(sats);
    if (tb_interrupted())
        return tb_interrupt_exit_status(tb_interrupted());
    return status;
}
