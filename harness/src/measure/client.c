/* The client registry, clients/clients.json:
 *   { "name": { "argv": [...], "env": {"K": "V"}, "description": "...",
 *               "protocol": "...", "flags": true, "check": [...],
 *               "missing": "...", "injectors": ["dup_every"] },
 *     "name@v": { "base": "name", "env": {...}, "args": [...] } }
 * ${TB_ROOT} and ${TB_BUILD_DIR} in argv, env and check are expanded. A
 * variant ("base") is its base with env set key by key, args appended to
 * argv and check, and any other key replaced: how a team points a client at
 * another build of its tracer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/measure/client.h"
#include "tracebench/util/paths.h"

struct tb_client {
    char *name;
    char *description;
    char *protocol;
    char *missing;    /* what to install when check fails */
    char **argv;      /* NULL-terminated, owned */
    char **env;       /* "K=V", NULL-terminated, owned */
    char **check;     /* NULL-terminated or NULL */
    char **injectors; /* optional injector flags it has, NULL-term. or NULL */
    bool flags;
    bool reports; /* POSTs SpansSent (false: "reports": false) */
};

struct tb_registry {
    tb_client **clients;
    size_t n;
};

static void free_strv(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

void tb_client_free(tb_client *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->description);
    free(c->protocol);
    free(c->missing);
    free_strv(c->argv);
    free_strv(c->env);
    free_strv(c->check);
    free_strv(c->injectors);
    free(c);
}

static char **copy_strv(char *const *v)
{
    size_t n = 0;
    char **d;

    if (v == NULL)
        return NULL;
    while (v[n] != NULL)
        n++;
    d = calloc(n + 1, sizeof(*d));
    for (size_t i = 0; d != NULL && i < n; i++) {
        if ((d[i] = tb__strdup(v[i])) == NULL) {
            free_strv(d);
            return NULL;
        }
    }
    return d;
}

tb_client *tb_client_copy(const tb_client *c)
{
    tb_client *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->name = tb__strdup(c->name);
    d->description = tb__strdup(c->description);
    d->protocol = tb__strdup(c->protocol);
    d->missing = tb__strdup(c->missing);
    d->argv = copy_strv(c->argv);
    d->env = copy_strv(c->env);
    d->check = copy_strv(c->check);
    d->injectors = copy_strv(c->injectors);
    d->flags = c->flags;
    d->reports = c->reports;
    if (!d->name || !d->description || !d->protocol || !d->missing ||
        !d->argv || !d->env || (c->check && !d->check) ||
        (c->injectors && !d->injectors)) {
        tb_client_free(d);
        return NULL;
    }
    return d;
}

/* Replaces ${TB_ROOT} and ${TB_BUILD_DIR}. Returns malloc'd text. */
static char *expand(const char *s)
{
    static const char *const keys[] = {"${TB_ROOT}", "${TB_BUILD_DIR}"};
    const char *vals[] = {tb_root_dir(), tb_build_dir()};
    size_t cap = strlen(s) + 1, len = 0;
    char *out;

    for (int k = 0; k < 2; k++)
        for (const char *p = s; (p = strstr(p, keys[k])); p += strlen(keys[k]))
            cap += strlen(vals[k]);
    out = malloc(cap);
    if (out == NULL)
        return NULL;
    while (*s) {
        int hit = -1;
        for (int k = 0; k < 2 && hit < 0; k++)
            if (strncmp(s, keys[k], strlen(keys[k])) == 0)
                hit = k;
        if (hit >= 0) {
            memcpy(out + len, vals[hit], strlen(vals[hit]));
            len += strlen(vals[hit]);
            s += strlen(keys[hit]);
        } else {
            out[len++] = *s++;
        }
    }
    out[len] = '\0';
    return out;
}

static tb_err strv_from_json(const char *file, const char *name,
                             const char *key, const cJSON *arr, char ***out,
                             tb_error *err)
{
    int n;
    char **v;

    if (!cJSON_IsArray(arr) || (n = cJSON_GetArraySize(arr)) == 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s.%s: expected a non-empty array of "
                            "strings",
                            file, name, key);
    v = calloc((size_t)n + 1, sizeof(*v));
    if (v == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        cJSON *it = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(it)) {
            free_strv(v);
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s.%s[%d]: expected a string", file, name,
                                key, i);
        }
        if ((v[i] = expand(it->valuestring)) == NULL) {
            free_strv(v);
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        }
    }
    *out = v;
    return TB_OK;
}

static tb_err opt_string(const char *file, const char *name, const cJSON *e,
                         const char *key, char **out, tb_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);

    if (v != NULL && !cJSON_IsString(v))
        return tb_error_set(err, TB_ERR_CONFIG, "%s: %s.%s: expected a string",
                            file, name, key);
    if (v == NULL && *out != NULL)
        return TB_OK; /* a variant keeps its base's */
    free(*out);
    *out = tb__strdup(v != NULL ? v->valuestring : "");
    return *out ? TB_OK : tb_error_set(err, TB_ERR_NOMEM, "out of memory");
}

/* Appends src (NULL-terminated) to *v. */
static tb_err strv_append(char ***v, char *const *src, tb_error *err)
{
    size_t n = 0, m = 0;
    char **d;

    while (*v != NULL && (*v)[n] != NULL)
        n++;
    while (src != NULL && src[m] != NULL)
        m++;
    if ((d = realloc(*v, (n + m + 1) * sizeof(*d))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    *v = d;
    d[n] = NULL;
    for (size_t i = 0; i < m; i++) {
        if ((d[n + i] = tb__strdup(src[i])) == NULL)
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        d[n + i + 1] = NULL;
    }
    return TB_OK;
}

tb_err tb_client_set_env(tb_client *c, const char *kv, tb_error *err)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : 0;
    size_t n = 0;
    char *copy, **d;

    if (eq == NULL || klen == 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "client environment '%s': expected KEY=VALUE", kv);
    if ((copy = expand(kv)) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    for (; c->env[n] != NULL; n++)
        if (strncmp(c->env[n], kv, klen + 1) == 0) {
            free(c->env[n]);
            c->env[n] = copy;
            return TB_OK;
        }
    if ((d = realloc(c->env, (n + 2) * sizeof(*d))) == NULL) {
        free(copy);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    c->env = d;
    d[n] = copy;
    d[n + 1] = NULL;
    return TB_OK;
}

tb_err tb_client_add_args(tb_client *c, const char *const *args, tb_error *err)
{
    tb_err rc;

    if ((rc = strv_append(&c->argv, (char *const *)args, err)) != TB_OK)
        return rc;
    return c->check ? strv_append(&c->check, (char *const *)args, err) : TB_OK;
}

/* A variant starts as a copy of its base: argv, check, env and the rest,
 * then "args" are appended (parse_entry replaces the other keys). */
static tb_err derive(const char *file, const char *name, const tb_client *b,
                     const cJSON *e, tb_client *c, tb_error *err)
{
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
    char **extra = NULL;
    tb_err rc;

    if (cJSON_GetObjectItemCaseSensitive(e, "argv") != NULL)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s.argv: a variant takes its base's argv "
                            "(%s); add to it with \"args\"",
                            file, name, b->name);
    if ((c->argv = copy_strv(b->argv)) == NULL ||
        (b->check != NULL && (c->check = copy_strv(b->check)) == NULL) ||
        (c->env = copy_strv(b->env)) == NULL ||
        (c->description = tb__strdup(b->description)) == NULL ||
        (c->protocol = tb__strdup(b->protocol)) == NULL ||
        (c->missing = tb__strdup(b->missing)) == NULL ||
        (b->injectors != NULL &&
         (c->injectors = copy_strv(b->injectors)) == NULL))
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    c->flags = b->flags;
    c->reports = b->reports;
    if (args == NULL)
        return TB_OK;
    if ((rc = strv_from_json(file, name, "args", args, &extra, err)) != TB_OK)
        return rc;
    rc = tb_client_add_args(c, (const char *const *)extra, err);
    free_strv(extra);
    return rc;
}

static tb_err parse_entry(const char *file, const cJSON *e,
                          const tb_client *base, tb_client **out, tb_error *err)
{
    static const char *const known[] = {
        "argv",    "env",  "description", "protocol", "flags",     "check",
        "missing", "base", "args",        "reports",  "injectors", NULL};
    const char *name = e->string;
    const cJSON *it, *env, *flags;
    tb_client *c;
    tb_err rc;

    if (!cJSON_IsObject(e))
        return tb_error_set(err, TB_ERR_CONFIG, "%s: %s: expected an object",
                            file, name);
    cJSON_ArrayForEach(it, e)
    {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = strcmp(it->string, known[i]) == 0;
        if (!ok)
            return tb_error_set(err, TB_ERR_CONFIG,
                                "%s: %s.%s: unknown key (known: argv, env, "
                                "description, protocol, flags, check, "
                                "missing, base, args, reports, injectors)",
                                file, name, it->string);
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    c->flags = true;
    c->reports = true;
    if ((c->name = tb__strdup(name)) == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (base != NULL) {
        if ((rc = derive(file, name, base, e, c, err)) != TB_OK)
            goto fail;
    } else if ((rc = strv_from_json(file, name, "argv",
                                    cJSON_GetObjectItemCaseSensitive(e, "argv"),
                                    &c->argv, err)) != TB_OK)
        goto fail;
    it = cJSON_GetObjectItemCaseSensitive(e, "check");
    if (it != NULL) {
        free_strv(c->check);
        c->check = NULL;
        if ((rc = strv_from_json(file, name, "check", it, &c->check, err)) !=
            TB_OK)
            goto fail;
    }
    it = cJSON_GetObjectItemCaseSensitive(e, "injectors");
    if (it != NULL) {
        free_strv(c->injectors);
        c->injectors = NULL;
        if ((rc = strv_from_json(file, name, "injectors", it, &c->injectors,
                                 err)) != TB_OK)
            goto fail;
    }
    if ((rc = opt_string(file, name, e, "description", &c->description, err)) !=
            TB_OK ||
        (rc = opt_string(file, name, e, "protocol", &c->protocol, err)) !=
            TB_OK ||
        (rc = opt_string(file, name, e, "missing", &c->missing, err)) != TB_OK)
        goto fail;
    flags = cJSON_GetObjectItemCaseSensitive(e, "flags");
    if (flags != NULL) {
        if (!cJSON_IsBool(flags)) {
            rc = tb_error_set(err, TB_ERR_CONFIG,
                              "%s: %s.flags: expected true or false", file,
                              name);
            goto fail;
        }
        c->flags = cJSON_IsTrue(flags);
    }
    it = cJSON_GetObjectItemCaseSensitive(e, "reports");
    if (it != NULL) {
        if (!cJSON_IsBool(it)) {
            rc = tb_error_set(err, TB_ERR_CONFIG,
                              "%s: %s.reports: expected true or false", file,
                              name);
            goto fail;
        }
        c->reports = cJSON_IsTrue(it);
    }
    env = cJSON_GetObjectItemCaseSensitive(e, "env");
    if (env != NULL && !cJSON_IsObject(env)) {
        rc = tb_error_set(err, TB_ERR_CONFIG,
                          "%s: %s.env: expected an object of strings", file,
                          name);
        goto fail;
    }
    if (c->env == NULL && (c->env = calloc(1, sizeof(char *))) == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    cJSON_ArrayForEach(it, env)
    {
        char *kv;
        if (!cJSON_IsString(it)) {
            rc = tb_error_set(err, TB_ERR_CONFIG,
                              "%s: %s.env.%s: expected a string", file, name,
                              it->string);
            goto fail;
        }
        size_t len = strlen(it->string) + strlen(it->valuestring) + 2;
        if ((kv = malloc(len)) == NULL) {
            rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            goto fail;
        }
        snprintf(kv, len, "%s=%s", it->string, it->valuestring);
        rc = tb_client_set_env(c, kv, err);
        free(kv);
        if (rc != TB_OK)
            goto fail;
    }
    *out = c;
    return TB_OK;
fail:
    tb_client_free(c);
    return rc;
}

static const tb_client *find(const tb_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->clients[i]->name, name) == 0)
            return reg->clients[i];
    return NULL;
}

/* 1-based line of a position in text, for JSON syntax errors. */
static int line_of(const char *text, const char *pos)
{
    int line = 1;

    for (const char *p = text; p < pos && *p; p++)
        line += *p == '\n';
    return line;
}

tb_err tb_registry_load(const char *path, tb_registry **out, tb_error *err)
{
    char def[1024];
    char *text = NULL;
    cJSON *root = NULL, *e;
    tb_registry *reg = NULL;
    tb_err rc;

    if (path == NULL) {
        snprintf(def, sizeof(def), "%s/clients/clients.json", tb_root_dir());
        path = def;
    }
    if ((rc = tb__read_file(path, &text, NULL, err)) != TB_OK)
        return rc;
    root = cJSON_Parse(text);
    if (root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        rc = tb_error_set(err, TB_ERR_CONFIG, "%s: malformed JSON at line %d",
                          path, at ? line_of(text, at) : 0);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = tb_error_set(err, TB_ERR_CONFIG,
                          "%s: expected an object of clients", path);
        goto out;
    }
    reg = calloc(1, sizeof(*reg));
    if (reg == NULL ||
        (reg->clients = calloc((size_t)cJSON_GetArraySize(root) + 1,
                               sizeof(tb_client *))) == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Plain entries first, then variants, pass after pass, so a variant
     * may name a base written below it, or another variant. */
    cJSON_ArrayForEach(e, root)
    {
        if (cJSON_GetObjectItemCaseSensitive(e, "base") != NULL)
            continue;
        if ((rc = parse_entry(path, e, NULL, &reg->clients[reg->n], err)) !=
            TB_OK)
            goto out;
        reg->n++;
    }
    for (size_t before = 0; before != reg->n;) {
        before = reg->n;
        cJSON_ArrayForEach(e, root)
        {
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "base");
            const tb_client *base = NULL;
            if (b == NULL || find(reg, e->string) != NULL)
                continue;
            if (!cJSON_IsString(b)) {
                rc = tb_error_set(err, TB_ERR_CONFIG,
                                  "%s: %s.base: expected a client's name", path,
                                  e->string);
                goto out;
            }
            if ((base = find(reg, b->valuestring)) == NULL)
                continue;
            if ((rc = parse_entry(path, e, base, &reg->clients[reg->n], err)) !=
                TB_OK)
                goto out;
            reg->n++;
        }
    }
    cJSON_ArrayForEach(e, root)
    {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "base");
        if (b != NULL && find(reg, e->string) == NULL) {
            rc = tb_error_set(err, TB_ERR_CONFIG,
                              "%s: %s.base: no client named '%s' to derive "
                              "from (or the variants form a loop)",
                              path, e->string,
                              cJSON_IsString(b) ? b->valuestring : "?");
            goto out;
        }
    }
    *out = reg;
    reg = NULL;
    rc = TB_OK;
out:
    tb_registry_free(reg);
    cJSON_Delete(root);
    free(text);
    return rc;
}

void tb_registry_free(tb_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++)
        tb_client_free(reg->clients[i]);
    free(reg->clients);
    free(reg);
}

size_t tb_registry_count(const tb_registry *reg)
{
    return reg->n;
}

const tb_client *tb_registry_at(const tb_registry *reg, size_t i)
{
    return i < reg->n ? reg->clients[i] : NULL;
}

const tb_client *tb_registry_find(const tb_registry *reg, const char *name,
                                  tb_error *err)
{
    char names[512] = "";
    size_t off = 0;

    const tb_client *c = find(reg, name);

    if (c != NULL)
        return c;
    for (size_t i = 0; i < reg->n && off < sizeof(names); i++) {
        int w = snprintf(names + off, sizeof(names) - off, "%s%s",
                         i ? ", " : "", reg->clients[i]->name);
        if (w > 0)
            off += (size_t)w;
    }
    tb_error_set(err, TB_ERR_INVALID_CLIENT,
                 "no client named '%s' (registered: %s)", name,
                 reg->n ? names : "none");
    return NULL;
}

tb_err tb_client_from_command(const char *name, const char *cmd,
                              tb_client **out, tb_error *err)
{
    size_t cap = strlen(cmd) + 1, n = 0;
    char **argv = calloc(cap + 1, sizeof(*argv));
    char *word = malloc(cap);
    tb_client *c;
    const char *p = cmd;

    if (argv == NULL || word == NULL) {
        free(argv);
        free(word);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    for (;;) {
        size_t len = 0;
        char quote = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        while (*p && (quote || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\' && quote != '\'' && p[1] != '\0') {
                /* As in the shell: a backslash keeps the next character,
                 * except inside single quotes. */
                word[len++] = *++p;
            } else if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else
                word[len++] = *p;
            p++;
        }
        if (quote) {
            free(word);
            free_strv(argv);
            return tb_error_set(err, TB_ERR_INVALID_ARG,
                                "client command has an unclosed %c quote: %s",
                                quote, cmd);
        }
        word[len] = '\0';
        argv[n++] = expand(word);
    }
    free(word);
    if (n == 0) {
        free_strv(argv);
        return tb_error_set(err, TB_ERR_INVALID_ARG, "client command is empty");
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        free_strv(argv);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    c->argv = argv;
    c->reports = true; /* the protocol's default; --no-client-report */
    c->name = tb__strdup(name ? name : "custom");
    c->description = tb__strdup(cmd);
    c->protocol = tb__strdup("");
    c->missing = tb__strdup("");
    c->env = calloc(1, sizeof(char *));
    c->flags = true;
    if (!c->name || !c->description || !c->protocol || !c->missing || !c->env) {
        tb_client_free(c);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return TB_OK;
}

const char *tb_client_name(const tb_client *c)
{
    return c->name;
}
const char *tb_client_description(const tb_client *c)
{
    return c->description;
}
const char *tb_client_protocol(const tb_client *c)
{
    return c->protocol;
}
bool tb_client_passes_flags(const tb_client *c)
{
    return c->flags;
}
bool tb_client_has_injector(const tb_client *c, const char *flag)
{
    for (size_t i = 0; c->injectors != NULL && c->injectors[i] != NULL; i++)
        if (strcmp(c->injectors[i], flag) == 0)
            return true;
    return false;
}

bool tb_client_reports(const tb_client *c)
{
    return c->reports;
}
void tb_client_set_reports(tb_client *c, bool reports)
{
    c->reports = reports;
}

const char *const *tb_client_argv(const tb_client *c)
{
    return (const char *const *)c->argv;
}

const char *const *tb_client_env(const tb_client *c)
{
    return (const char *const *)c->env;
}

/* How long a client's check may take: loading a tracer, not running it. */
#define TB__CHECK_TIMEOUT_MS 30000

/* True when prog can be executed: a path (a relative one from the project
 * root, the client's working directory), or a name found in PATH. */
static bool executable(const char *prog)
{
    char buf[4096], found[4096];

    if (strchr(prog, '/') != NULL && prog[0] != '/') {
        snprintf(buf, sizeof(buf), "%s/%s", tb_root_dir(), prog);
        prog = buf;
    }
    return tb__find_program(prog, found, sizeof(found));
}

tb_err tb_client_check(const tb_client *c, tb_error *err)
{
    const char *hint = c->missing[0] ? c->missing : "";
    tb_err ran;
    int st;

    /* A program named by path is this project's (a build output): its
     * absence is a broken build, not a missing tracer. A bare name is a
     * runtime looked up in PATH (node): not installed here. */
    if (!executable(c->argv[0]))
        return tb_error_set(err,
                            strchr(c->argv[0], '/') != NULL
                                ? TB_ERR_CLIENT_START
                                : TB_ERR_TRACER_MISSING,
                            "client %s: %s is not an executable program%s%s",
                            c->name, c->argv[0], hint[0] ? "; " : "", hint);
    if (c->check == NULL)
        return TB_OK;
    /* The messages are worded here: no tb_error for tb__run_quiet. */
    ran = tb__run_quiet((const char *const *)c->check,
                        (const char *const *)c->env, tb_root_dir(),
                        TB__CHECK_TIMEOUT_MS, &st, NULL);
    if (ran == TB_OK && st == 0)
        return TB_OK;
    /* Only the protocol's "tracer not installed" status may skip a
     * client; a check that crashes or hangs is a broken client. */
    if (ran == TB_OK && st == 3)
        return tb_error_set(err, TB_ERR_TRACER_MISSING,
                            "client %s: its tracer is not installed "
                            "(check '%s' exited 3)%s%s",
                            c->name, c->check[0], hint[0] ? "; " : "", hint);
    if (ran == TB_ERR_CLIENT_TIMEOUT)
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "client %s: its check '%s' did not finish "
                            "within %d s; killed",
                            c->name, c->check[0], TB__CHECK_TIMEOUT_MS / 1000);
    if (ran == TB_ERR_CLIENT_CRASHED)
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "client %s: its check '%s' was killed by "
                            "signal %d",
                            c->name, c->check[0], st);
    if (ran != TB_OK)
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "client %s: its check '%s' could not start",
                            c->name, c->check[0]);
    return tb_error_set(err, TB_ERR_CLIENT_START,
                        "client %s: its check '%s' failed with status %d "
                        "(only 3 means the tracer is not installed; run "
                        "`tracebench clients --check` to see its output)",
                        c->name, c->check[0], st);
}
