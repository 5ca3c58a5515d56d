/* tracebench satellite [--mode M] [--ports 8360-8367|a,b,c] [--fault F]:
 * runs a group until Ctrl-C, printing the counts each second. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_satellite.h"
#include "tracebench/measure/interrupt.h"
#include "tracebench/satellite/satellite.h"

#define MAX_PORTS 1024

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tracebench satellite [options]\n"
           "Runs mock satellites on 127.0.0.1 until Ctrl-C; prints the counts "
           "each second.\n\n"
           "  --mode M           typical (default), slow_succeed, slow_fail\n"
           "  --ports P          8360-8367 (default), a range or a,b,c; "
           "0 = any free port\n"
           "  --fault F          none (default), 429, 503, 500, hang, refuse,\n"
           "                     count_503 (count, then answer 503),\n"
           "                     count_reset (count, then close unanswered)\n"
           "  --span-delay-us N  per-span delay instead of the mode's\n"
           "  --bandwidth N      bytes/s per satellite (default 50000000); "
           "0 = no cap\n"
           "  --max-body N       largest body in bytes (default 67108864)\n"
           "  --response-delay-ms N  hold every report's answer N ms\n"
           "  --connection C     keep-alive (default) or close (answer, then "
           "close)\n"
           "  --help             this text\n");
}

/* A decimal number in [0, max], the whole string. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A number >= 0 that strtod reads, the whole string. */
static int parse_nonneg(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* "8360-8367", "8360,8362" or "0". */
static int parse_ports(const char *spec, uint16_t *ports, size_t *n)
{
    char buf[4096], *save = NULL, *tok;

    if (strlen(spec) >= sizeof(buf))
        return -1;
    snprintf(buf, sizeof(buf), "%s", spec);
    *n = 0;
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        uint64_t lo, hi;

        if (dash != NULL)
            *dash = '\0';
        if (parse_u64(tok, 65535, &lo) != 0)
            return -1;
        hi = lo;
        if (dash != NULL &&
            (parse_u64(dash + 1, 65535, &hi) != 0 || hi < lo || lo == 0))
            return -1;
        for (uint64_t p = lo; p <= hi; p++) {
            if (*n == MAX_PORTS)
                return -1;
            ports[(*n)++] = (uint16_t)p;
        }
    }
    return *n > 0 ? 0 : -1;
}

static void print_counts(tb_satellites *sats, unsigned elapsed_s)
{
    struct tb_satellite_counts all, pc;

    tb_satellites_counts(sats, &all);
    printf("%5us  spans %llu  dup %llu  req %llu  rejected %llu  "
           "failed %llu",
           elapsed_s, (unsigned long long)all.spans_received,
           (unsigned long long)all.duplicate_spans,
           (unsigned long long)all.requests,
           (unsigned long long)all.rejected_requests,
           (unsigned long long)all.failed_requests);
    for (int p = 0; p < TB_PROTO__COUNT; p++) {
        tb_satellites_protocol_counts(sats, p, &pc);
        if (pc.requests > 0)
            printf("  | %s %llu/%llu", tb_satellite_protocol_name(p),
                   (unsigned long long)pc.spans_received,
                   (unsigned long long)pc.requests);
    }
    putchar('\n');
    fflush(stdout);
}

int tb_cli_satellite(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"mode", required_argument, 0, 'm'},
        {"ports", required_argument, 0, 'p'},
        {"fault", required_argument, 0, 'f'},
        {"span-delay-us", required_argument, 0, 'd'},
        {"bandwidth", required_argument, 0, 'b'},
        {"max-body", required_argument, 0, 'B'},
        {"response-delay-ms", required_argument, 0, 'R'},
        {"connection", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    static uint16_t ports[MAX_PORTS];
    struct tb_satellites_opts o = {0};
    tb_satellites *sats = NULL;
    tb_error err = {0};
    const uint16_t *got;
    unsigned elapsed = 0;
    size_t n;
    int c;

    o.mode = TB_MODE_TYPICAL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        uint64_t v;

        switch (c) {
        case 'm':
            if (tb_satellite_mode_parse(optarg, &o.mode, &err) != TB_OK)
                goto bad;
            break;
        case 'f':
            if (tb_satellite_fault_parse(optarg, &o.fault, &err) != TB_OK)
                goto bad;
            break;
        case 'p':
            if (parse_ports(optarg, ports, &o.n_ports) != 0) {
                fprintf(stderr,
                        "tracebench: bad --ports '%s' (want "
                        "8360-8367 or a,b,c, ports up to 65535)\n",
                        optarg);
                return 2;
            }
            o.ports = ports;
            break;
        case 'd':
            if (parse_nonneg(optarg, &o.span_delay_us) != 0) {
                fprintf(stderr,
                        "tracebench: bad --span-delay-us '%s' (want "
                        "microseconds >= 0)\n",
                        optarg);
                return 2;
            }
            if (o.span_delay_us == 0)
                o.span_delay_us = -1; /* 0 asked: no delay */
            break;
        case 'b':
            if (parse_u64(optarg, UINT64_MAX - 1, &v) != 0) {
                fprintf(stderr,
                        "tracebench: bad --bandwidth '%s' (want "
                        "bytes per second, 0 for no cap)\n",
                        optarg);
                return 2;
            }
            o.bandwidth_bytes_per_s = v == 0 ? TB_SATELLITE_NO_BANDWIDTH_CAP
                                             : v;
            break;
        case 'B':
            if (parse_u64(optarg, SIZE_MAX, &v) != 0 || v == 0) {
                fprintf(stderr,
                        "tracebench: bad --max-body '%s' (want "
                        "bytes > 0)\n",
                        optarg);
                return 2;
            }
            o.max_body_bytes = (size_t)v;
            break;
        case 'R':
            if (parse_nonneg(optarg, &o.response_delay_ms) != 0) {
                fprintf(stderr,
                        "tracebench: bad --response-delay-ms '%s' "
                        "(want milliseconds >= 0)\n",
                        optarg);
                return 2;
            }
            break;
        case 'C':
            if (tb_satellite_connection_parse(optarg, &o.connection_close,
                                              &err) != TB_OK)
                goto bad;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tracebench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    tb_interrupt_install(); /* SIGINT, SIGTERM, SIGHUP stop the group */
    if (tb_satellites_start(&o, &sats, &err) != TB_OK) {
        fprintf(stderr, "tracebench: %s\n", err.msg);
        return 1;
    }
    n = tb_satellites_ports(sats, &got);
    printf("satellites on 127.0.0.1 ports");
    for (size_t i = 0; i < n; i++)
        printf("%s%u", i ? "," : " ", got[i]);
    printf(" (mode %s, fault %s, connection %s); Ctrl-C stops\n",
           tb_satellite_mode_name(o.mode), tb_satellite_fault_name(o.fault),
           o.connection_close ? "close" : "keep-alive");
    fflush(stdout);
    while (!tb_interrupted()) {
        for (int i = 0; i < 10 && !tb_interrupted(); i++) {
            struct timespec nap = {0, 100 * 1000 * 1000};

            nanosleep(&nap, NULL);
        }
        if (!tb_interrupted())
            print_counts(sats, ++elapsed);
    }
    print_counts(sats, elapsed);
    tb_satellites_free(sats);
    printf("stopped on signal %d\n", tb_interrupted());
    return tb_interrupt_exit_status(tb_interrupted());

bad:
    fprintf(stderr, "tracebench: %s\n", err.msg);
    return 2;
}
