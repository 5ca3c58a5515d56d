/* What the commands that run one client share (run, cost; compare's
 * --a-args and --b-args): the client named or given by --client-cmd, the
 * arguments of --client-args, the satellites of --satellites. */
#ifndef TB_CLI_CLIENT_OPTS_H
#define TB_CLI_CLIENT_OPTS_H

#include <stdbool.h>

#include "tracebench.h"

/* The client to run: sets co->client_name to name and, with cmd
 * (--client-cmd), co->client to a client running cmd; without cmd, when
 * copy is set (the caller will change the client), co->client to a copy
 * of the registry's entry (co->registry_path). *custom is that client
 * (caller frees), NULL when the registry's is run as it is. */
tb_err tb_cli_client(struct tb_controller_opts *co, const char *name,
                     const char *cmd, bool copy, tb_client **custom,
                     tb_error *err);

/* Splits str as a shell would, with the client command's own parser:
 * *holder (freed first, caller frees) owns the words, *argv points to
 * them, NULL-terminated. */
tb_err tb_cli_split_args(const char *str, tb_client **holder,
                         const char *const **argv, tb_error *err);

/* --satellites MODE|none: starts the group of MODE into *sats (caller
 * frees) on free ports when any_port, else on 8360-8367; leaves *sats
 * NULL for "none". */
tb_err tb_cli_satellites_start(const char *mode, bool any_port,
                               tb_satellites **sats, tb_error *err);

#endif
