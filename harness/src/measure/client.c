/* The client registry, clients/clients.json:
 *   { "name": { "argv": [...], "env": {"K": "V"}, "description": "...",
 *               "protocol": "...", "flags": true, "check": [...],
 *               "missing": "..." } }
 * ${TB_ROOT} and ${TB_BUILD_DIR} in argv, env and check are expanded. */
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
    char *missing;       /* what to install when check fails */
    char **argv;         /* NULL-terminated, owned */
    char **env;          /* "K=V", NULL-terminated, owned */
    char **check;        /* NULL-terminated or NULL */
    bool flags;
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
    d->flags = c->flags;
    if (!d->name || !d->description || !d->protocol || !d->missing ||
        !d->argv || !d->env || (c->check && !d->check)) {
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
                                "%s: %s.%s[%d]: expected a string", file,
                                name, key, i);
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
        return tb_error_set(err, TB_ERR_CONFIG,
                            "%s: %s.%s: expected a string", file, name, key);
    *out = tb__strdup(v != NULL ? v->valuestring : "");
    return *out ? TB_OK : tb_error_set(err, TB_ERR_NOMEM, "out of memory");
}

static tb_err parse_entry(const char *file, const cJSON *e, tb_client **out,
                          tb_error *err)
{
    static const char *const known[] = {"argv",  "env",   "description",
                                        "protocol", "flags", "check",
                                        "missing", NULL};
    const char *name = e->string;
    const cJSON *it, *env, *flags;
    tb_client *c;
    tb_err rc;
    size_t n = 0;

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
                                "missing)",
                                file, name, it->string);
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    c->flags = true;
    if ((c->name = tb__strdup(name)) == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = strv_from_json(file, name, "argv",
                             cJSON_GetObjectItemCaseSensitive(e, "argv"),
                             &c->argv, err)) != TB_OK)
        goto fail;
    it = cJSON_GetObjectItemCaseSensitive(e, "check");
    if (it != NULL &&
        (rc = strv_from_json(file, name, "check", it, &c->check, err)) !=
            TB_OK)
        goto fail;
    if ((rc = opt_string(file, name, e, "description", &c->description,
                         err)) != TB_OK ||
        (rc = opt_string(file, name, e, "protocol", &c->protocol, err)) !=
            TB_OK ||
        (rc = opt_string(file, name, e, "missing", &c->missing, err)) !=
            TB_OK)
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
    env = cJSON_GetObjectItemCaseSensitive(e, "env");
    if (env != NULL && !cJSON_IsObject(env)) {
        rc = tb_error_set(err, TB_ERR_CONFIG,
                          "%s: %s.env: expected an object of strings", file,
                          name);
        goto fail;
    }
    c->env = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
    if (c->env == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    cJSON_ArrayForEach(it, env)
    {
        char *val;
        if (!cJSON_IsString(it)) {
            rc = tb_error_set(err, TB_ERR_CONFIG,
                              "%s: %s.env.%s: expected a string", file, name,
                              it->string);
            goto fail;
        }
        val = expand(it->valuestring);
        size_t len = strlen(it->string) + (val ? strlen(val) : 0) + 2;
        c->env[n] = val ? malloc(len) : NULL;
        if (c->env[n] == NULL) {
            free(val);
            rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            goto fail;
        }
        snprintf(c->env[n++], len, "%s=%s", it->string, val);
        free(val);
    }
    *out = c;
    return TB_OK;
fail:
    tb_client_free(c);
    return rc;
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
    cJSON_ArrayForEach(e, root)
    {
        if ((rc = parse_entry(path, e, &reg->clients[reg->n], err)) != TB_OK)
            goto out;
        reg->n++;
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

    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->clients[i]->name, name) == 0)
            return reg->clients[i];
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
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "client command is empty");
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        free_strv(argv);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    c->argv = argv;
    c->name = tb__strdup(name ? name : "custom");
    c->description = tb__strdup(cmd);
    c->protocol = tb__strdup("");
    c->missing = tb__strdup("");
    c->env = calloc(1, sizeof(char *));
    c->flags = true;
    if (!c->name || !c->description || !c->protocol || !c->missing ||
        !c->env) {
        tb_client_free(c);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return TB_OK;
}

const char *tb_client_name(const tb_client *c) { return c->name; }
const char *tb_client_description(const tb_client *c) { return c->description; }
const char *tb_client_protocol(const tb_client *c) { return c->protocol; }
bool tb_client_passes_flags(const tb_client *c) { return c->flags; }

const char *const *tb_client_argv(const tb_client *c)
{
    return (const char *const *)c->argv;
}

const char *const *tb_client_env(const tb_client *c)
{
    return (const char *const *)c->env;
}

/* True when prog can be executed: a path, or a name found in PATH. */
static bool executable(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];

    if (strchr(prog, '/') != NULL) {
        if (prog[0] == '/')
            return access(prog, X_OK) == 0;
        snprintf(buf, sizeof(buf), "%s/%s", tb_root_dir(), prog);
        return access(buf, X_OK) == 0;
    }
    while (path != NULL && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
        if (access(buf, X_OK) == 0)
            return true;
        path = colon ? colon + 1 : NULL;
    }
    return false;
}

tb_err tb_client_check(const tb_client *c, tb_error *err)
{
    const char *hint = c->missing[0] ? c->missing : "";

    if (!executable(c->argv[0]))
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "client %s: %s is not an executable program%s%s",
                            c->name, c->argv[0], hint[0] ? "; " : "", hint);
    if (c->check != NULL &&
        tb__run_quiet((const char *const *)c->check,
                      (const char *const *)c->env, tb_root_dir(),
                      30000) != 0)
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "client %s: its tracer is not installed "
                            "(check '%s' failed)%s%s",
                            c->name, c->check[0], hint[0] ? "; " : "", hint);
    return TB_OK;
}
