/* Two jobs at once: one in a thread of its own, one in the caller's. */
#include <pthread.h>

#include "internal.h"

struct job {
    void (*fn)(void *);
    void *arg;
};

static void *run(void *p)
{
    struct job *j = p;

    j->fn(j->arg);
    return NULL;
}

void tb__both(void (*fn)(void *), void *a, void *b)
{
    struct job ja = {fn, a};
    pthread_t th;
    int threaded = pthread_create(&th, NULL, run, &ja) == 0;

    fn(b);
    if (threaded)
        pthread_join(th, NULL);
    else
        fn(a); /* no thread to be had: one after the other */
}
