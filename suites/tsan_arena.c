/*
 * Lets Criterion's suites run under ThreadSanitizer (make tsan); linked
 * into them only in that build.
 *
 * Criterion keeps its shared state in a BoxFort (0.1.2) arena, which it
 * maps with MAP_FIXED at a random 16 MiB step in [0x200000000000,
 * 0x7f0000000000), after asking mincore whether the address is free. On
 * x86-64 TSan reserves nearly all of that range for its shadow and meta
 * memory: mincore finds it mapped, ten picks miss, and Criterion stops with
 * "Could not initialize inheritable arena". TSan leaves [0x550000000000,
 * 0x568000000000) and [0x7e8000000000, ...) to the application. These two
 * wrappers make the rest of BoxFort's range look free and move its fixed
 * mappings into the first window. Nothing else in the suites maps memory
 * at a fixed address there.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define ARENA_LO 0x200000000000ULL /* BoxFort's picks */
#define ARENA_HI 0x7f0000000000ULL
#define APP_LO 0x550000000000ULL /* what TSan leaves to the application */
#define APP_HI 0x568000000000ULL
#define SLOT 0x40000000ULL /* 1 GiB between moved arenas */

/* libtsan's own, which keeps its shadow in step. */
void *__interceptor_mmap64(void *addr, size_t len, int prot, int flags, int fd,
                           off_t off);

static int in_app(uintptr_t a)
{
    return (a >= APP_LO && a < APP_HI) || a >= 0x7e8000000000ULL;
}

static int in_arena_range(uintptr_t a)
{
    return a >= ARENA_LO && a < ARENA_HI && !in_app(a);
}

static int is_free(uintptr_t a, size_t len)
{
    for (size_t o = 0; o < len; o += 4096)
        if (syscall(SYS_msync, (void *)(a + o), 4096, MS_ASYNC) != -1 ||
            errno != ENOMEM)
            return 0;
    return 1;
}

int mincore(void *addr, size_t len, unsigned char *vec)
{
    if (in_arena_range((uintptr_t)addr)) {
        errno = ENOMEM; /* "nothing mapped here": BoxFort may take it */
        return -1;
    }
    return (int)syscall(SYS_mincore, addr, len, vec);
}

/* BoxFort calls mmap64, the same function as mmap on 64-bit glibc. */
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    uintptr_t a = (uintptr_t)addr;
    if ((flags & MAP_FIXED) && in_arena_range(a)) {
        /* The top of the window, away from the PIE binary and its heap. */
        uintptr_t s;
        for (s = APP_HI - SLOT; s >= APP_LO + SLOT; s -= SLOT)
            if (is_free(s, len))
                return __interceptor_mmap64((void *)s, len, prot, flags, fd,
                                            off);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return __interceptor_mmap64(addr, len, prot, flags, fd, off);
}
