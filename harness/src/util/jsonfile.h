/* Reading a JSON file with a message a person can act on. Internal to
 * libtracebench (tb__ names); kept apart from internal.h only because that
 * file has another owner: fold it in when convenient. */
#ifndef TB_JSONFILE_H
#define TB_JSONFILE_H

#include <cjson/cJSON.h>

#include "tracebench/util/err.h"

/* Parses the whole of path. Malformed JSON fails with TB_ERR_CONFIG and
 * "<shown>: malformed JSON at line L, column C", shown being the name to
 * give the file in messages (NULL: path); a file that cannot be read fails
 * with TB_ERR_IO, naming path and the system's reason. On success *out is
 * owned by the caller (cJSON_Delete). */
tb_err tb__json_load(const char *path, const char *shown, cJSON **out,
                     tb_error *err);

/* The JSON type of item in words, for "expected X, got Y" messages:
 * "a number", "a string", "an object", ... */
const char *tb__json_type_name(const cJSON *item);

#endif
