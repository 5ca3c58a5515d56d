/* Whether the suites are built with ThreadSanitizer. */
#ifndef TB_SUITES_TSAN_H
#define TB_SUITES_TSAN_H

#include <criterion/criterion.h>
#include <stdio.h>

/* 1 in a ThreadSanitizer build (make tsan), where a few tests measure
 * TSan rather than the harness (RSS) or do what TSan cannot (start threads
 * in the child of a multi-threaded fork): those skip and say so. */
#if defined(__SANITIZE_THREAD__)
#define TB_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TB_UNDER_TSAN 1
#endif
#endif
#ifndef TB_UNDER_TSAN
#define TB_UNDER_TSAN 0
#endif

/* Skips the test under TSan, saying why on stderr (Criterion alone keeps
 * a skip's reason to itself). */
#define TB_SKIP_UNDER_TSAN(why)                                                \
    do {                                                                       \
        if (TB_UNDER_TSAN) {                                                   \
            fprintf(stderr, "tracebench: skipped under ThreadSanitizer: %s\n", \
                    (why));                                                    \
            cr_skip_test("%s", (why));                                         \
        }                                                                      \
    } while (0)

#endif
