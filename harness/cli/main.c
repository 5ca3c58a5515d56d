/* tracebench: the command-line front end. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_satellite.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"run", tb_cli_run, "benchmark a client once and print the result"},
    {"clients", tb_cli_clients, "list the registered clients"},
    {"satellite", tb_cli_satellite, "run mock satellites in the foreground"},
    {"graph", tb_cli_graph, "draw LightStep's benchmark graphs (PNG + CSV)"},
    {"cost", tb_cli_cost, "instructions per span, traced minus untraced"},
    {"report", tb_cli_report, "write an HTML report of logs/results.jsonl"},
    {"compare", tb_cli_compare, "two tracer versions, gate by gate, B vs A"},
    {"merge", tb_cli_merge, "merge a CI matrix's results into one run"},
    {"history", tb_cli_history, "figures across runs, with step changes"},
    {"audit", tb_cli_audit,
     "how often each gate fails a healthy client "
     "and catches an injected regression"},
};

int tb_cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("tracebench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tracebench COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'tracebench COMMAND --help' for each command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    tb_cli_fail("unknown command '%s'", argv[1]);
    usage(stderr);
    return 2;
}
