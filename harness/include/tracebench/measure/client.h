/* Clients: the instrumented programs tracebench drives, registered by name
 * in clients/clients.json. */
#ifndef TRACEBENCH_CLIENT_H
#define TRACEBENCH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/util/err.h"

typedef struct tb_client tb_client;
typedef struct tb_registry tb_registry;

/* Loads a registry; path NULL means <root>/clients/clients.json. A bad file
 * fails with TB_ERR_CONFIG naming the file and the key. *out: caller frees
 * with tb_registry_free. */
tb_err tb_registry_load(const char *path, tb_registry **out, tb_error *err);
void tb_registry_free(tb_registry *reg);

size_t tb_registry_count(const tb_registry *reg);
/* Borrowed until tb_registry_free. */
const tb_client *tb_registry_at(const tb_registry *reg, size_t i);
/* NULL and TB_ERR_INVALID_CLIENT (listing the registered names) when
 * there is no such client. */
const tb_client *tb_registry_find(const tb_registry *reg, const char *name,
                                  tb_error *err);

/* A one-off client from a command line ("node x.js --foo"), split on blanks
 * with '' and "" quoting and backslash escapes, as a shell would. Caller frees
 * with tb_client_free. */
tb_err tb_client_from_command(const char *name, const char *cmd,
                              tb_client **out, tb_error *err);
tb_client *tb_client_copy(const tb_client *c);

/* Sets one variable of the client's environment ("K=V", replacing K if
 * set; ${TB_ROOT} and ${TB_BUILD_DIR} expanded): how --client-env points a
 * client at another build of its tracer (LD_LIBRARY_PATH, PYTHONPATH,
 * NODE_PATH). TB_ERR_INVALID_ARG when kv has no '='. */
tb_err tb_client_set_env(tb_client *c, const char *kv, tb_error *err);

/* Appends args (NULL-terminated) to the client's argv and its check. */
tb_err tb_client_add_args(tb_client *c, const char *const *args, tb_error *err);
void tb_client_free(tb_client *c);

/* Accessors; strings borrowed from the client. */
const char *tb_client_name(const tb_client *c);
const char *tb_client_description(const tb_client *c);
const char *tb_client_protocol(const tb_client *c);    /* "" when unknown */
const char *const *tb_client_argv(const tb_client *c); /* NULL-terminated */
const char *const *tb_client_env(const tb_client *c);  /* "K=V", NULL-term. */
bool tb_client_passes_flags(const tb_client *c);

/* Whether the client POSTs {"SpansSent": N} (clients/PROTOCOL.md): true
 * unless its registry entry says "reports": false (or a caller sets it,
 * as `tracebench run --no-client-report`). A reporting client that exits
 * without a report makes the benchmark fail; for one that cannot report,
 * spans_sent is unknown and drops are estimates (tb_result). */
bool tb_client_reports(const tb_client *c);

/* Whether the client has an optional injector flag beyond the ones every
 * client has (clients/PROTOCOL.md), e.g. "dup_every": its registry entry
 * lists it under "injectors". */
bool tb_client_has_injector(const tb_client *c, const char *flag);
void tb_client_set_reports(tb_client *c, bool reports);

/* TB_OK when the client can run here: its program exists and its "check"
 * command (if any) exits 0 within 30 s. TB_ERR_TRACER_MISSING, with the
 * entry's "missing" hint (e.g. the package to install), when the check
 * exits 3 (the protocol's "tracer not installed") or a runtime named
 * without a path (node) is not in PATH: the only case a caller may skip.
 * Any other failure (a crash, a signal, the timeout, a program path that
 * does not exist) is TB_ERR_CLIENT_START: the client is broken. */
tb_err tb_client_check(const tb_client *c, tb_error *err);

#endif
