/* What the thresholds files share: the key table (thresholds_keys.c), the
 * state one file is read into (thresholds_parse.c), the digest
 * (thresholds_digest.c); thresholds.c merges the files and hands out one
 * profile. Private to harness/src/gate. */
#ifndef TB_THRESHOLDS_INTERNAL_H
#define TB_THRESHOLDS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/gate/thresholds.h"

/* What a key holds; each kind has one sentence of expectation. */
enum tb__key_kind {
    K_POSITIVE,   /* number > 0 */
    K_NONNEG,     /* number >= 0 */
    K_FRACTION,   /* number in (0, 1] */
    K_UNIT,       /* number in [0, 1] */
    K_OPEN_UNIT,  /* number in (0, 1) */
    K_COUNT,      /* whole number >= 0 */
    K_TRIALS,     /* whole number in [2, 1000] */
    K_RUNS,       /* whole number in [1, 64] */
    K_RATES,      /* struct tb_rate_list */
    K_MODE,       /* satellite mode name */
    K_CONNECTION, /* satellite connection handling */
    K_ARGS        /* client arguments, a string */
};

struct tb__thresholds_key {
    const char *gate;
    const char *name;
    enum tb__key_kind kind;
    size_t offset; /* into tb_thresholds */
};

/* Keys in the table; thresholds_keys.c checks the count at compile time. */
#define TB__THRESHOLDS_N_KEYS 65
#define TB__THRESHOLDS_N_PROFILES 2

/* Every key, grouped by gate, in thresholds/README.md's order. */
extern const struct tb__thresholds_key
    tb__thresholds_keys[TB__THRESHOLDS_N_KEYS];
/* "full", "quick". */
extern const char *const tb__thresholds_profiles[TB__THRESHOLDS_N_PROFILES];
/* What a kind expects, in words: "a number greater than 0". */
extern const char *const tb__thresholds_expectations[];

/* The index of gate's key name in the table, or -1; name NULL: the first
 * key of gate (whether the gate exists). */
int tb__thresholds_find_key(const char *gate, const char *name);

/* Writes "a, b, c" into buf: the gates when gate is NULL, else the keys of
 * that gate. */
void tb__thresholds_list_names(const char *gate, char *buf, size_t size);

/* Whether v is a value of a numeric kind; false for the other kinds. */
bool tb__thresholds_in_range(enum tb__key_kind kind, double v);

/* For K_MODE and K_CONNECTION: the table's spelling of s (at most 15
 * bytes), or NULL when s is not one of the kind's names. */
const char *tb__thresholds_name(enum tb__key_kind kind, const char *s);

/* Which file set each key: -1 none yet, else an index into the loader's
 * files: default.json, then the client's. */
enum { SRC_NONE = -1, SRC_DEFAULT = 0, SRC_CLIENT = 1 };

/* One profile while the files are read: the values, and where each came
 * from. */
struct tb__profile_state {
    tb_thresholds t;
    signed char src[TB__THRESHOLDS_N_KEYS];
};

/* Reads the file at path (named shown in messages) into both profiles of
 * ps, each key it sets marked with which. A missing file is no error when
 * optional (*found false); any other fault is TB_ERR_CONFIG (the file, the
 * key path and what was expected), TB_ERR_IO or TB_ERR_NOMEM, with ps
 * partly written. */
tb_err
tb__thresholds_read_file(const char *path, const char *shown, bool optional,
                         struct tb__profile_state ps[TB__THRESHOLDS_N_PROFILES],
                         signed char which, bool *found, tb_error *err);

/* 16 hex digits and a NUL into out: a hash of every key's value of t, in
 * the table's order. */
void tb__thresholds_make_digest(const tb_thresholds *t, char out[17]);

#endif
