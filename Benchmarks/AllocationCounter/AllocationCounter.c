// Counts heap allocations by interposing the allocator entry points of glibc in the benchmark executable.
// Linked only into `mobench-perf`; the library targets never see it.
#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <stddef.h>
#include <errno.h>

#if defined(__linux__) && defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t counter = 0;

void *malloc(size_t size) { __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); return __libc_realloc(p, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void *aligned_alloc(size_t alignment, size_t size) { __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); return __libc_memalign(alignment, size); }
void *memalign(size_t alignment, size_t size) { __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); return __libc_memalign(alignment, size); }
uint64_t allocation_counter_count(void) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }
#else
uint64_t allocation_counter_count(void) { return 0; }
#endif
