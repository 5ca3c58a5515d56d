/* tracebench clients: the registry, and whether each client can run here. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tracebench.h"

int tb_cli_clients(int argc, char **argv)
{
    static const struct option opts[] = {
        {"registry", required_argument, 0, 'r'},
        {"check", no_argument, 0, 'c'},
        {"names", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *path = NULL;
    int c, check = 0, names = 0, status = 0;
    tb_registry *reg;
    tb_error err = {0};

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            path = optarg;
            break;
        case 'c':
            check = 1;
            break;
        case 'n':
            names = 1;
            break;
        case 'h':
            printf("usage: tracebench clients [--registry FILE] [--check] "
                   "[--names]\n"
                   "  --check  also say whether each client's tracer is "
                   "installed\n"
                   "  --names  print only the names of runnable clients "
                   "(with --check) or all\n");
            return 0;
        default:
            return 2;
        }
    }
    if (tb_registry_load(path, &reg, &err) != TB_OK)
        return tb_cli_fail("%s", err.msg);
    for (size_t i = 0; i < tb_registry_count(reg); i++) {
        const tb_client *cl = tb_registry_at(reg, i);
        tb_error cerr = {0};
        int ok = !check || tb_client_check(cl, &cerr) == TB_OK;
        if (names) {
            if (ok)
                printf("%s\n", tb_client_name(cl));
            continue;
        }
        printf("%-10s %-10s %s\n", tb_client_name(cl),
               tb_client_protocol(cl)[0] ? tb_client_protocol(cl) : "-",
               tb_client_description(cl));
        if (check)
            printf("%-10s %s\n", "", ok ? "ready" : cerr.msg);
        if (!ok)
            status = 1;
    }
    tb_registry_free(reg);
    return names ? 0 : status;
}
