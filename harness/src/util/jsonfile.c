/* JSON files: read, parse, and say where a syntax error is. */
#include <stdlib.h>

#include "internal.h"
#include "jsonfile.h"

const char *tb__json_type_name(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    return "an unknown value";
}

/* 1-based line and column of `at` in text. */
static void locate(const char *text, const char *at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

tb_err tb__json_load(const char *path, const char *shown, cJSON **out,
                     tb_error *err)
{
    const char *end = NULL;
    char *text = NULL;
    size_t len = 0, line, col;
    cJSON *root;
    tb_err e;

    if (shown == NULL)
        shown = path;
    if ((e = tb__read_file(path, &text, &len, err)) != TB_OK)
        return e;
    /* cJSON_ParseWithLengthOpts reports where parsing stopped through
     * `end` rather than the global cJSON_GetErrorPtr, so concurrent loads
     * cannot see each other's errors. */
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (end == NULL || end < text || end > text + len)
        end = text;
    if (root == NULL) {
        locate(text, end, &line, &col);
        e = tb_error_set(err, TB_ERR_CONFIG,
                         "%s: malformed JSON at line %zu, column %zu%s", shown,
                         line, col, len == 0 ? " (the file is empty)" : "");
        goto out;
    }
    /* A document followed by more than white space ("{} {}") is an error
     * too: the second half would be silently ignored. */
    while (end < text + len && is_space(*end))
        end++;
    if (end < text + len) {
        locate(text, end, &line, &col);
        cJSON_Delete(root);
        e = tb_error_set(err, TB_ERR_CONFIG,
                         "%s: malformed JSON at line %zu, column %zu: text "
                         "after the end of the document",
                         shown, line, col);
        goto out;
    }
    *out = root;
    e = TB_OK;
out:
    free(text);
    return e;
}
