#ifndef MOBENCH_ALLOCATION_COUNTER_H
#define MOBENCH_ALLOCATION_COUNTER_H
#include <stdint.h>
/// Number of malloc/calloc/realloc/posix_memalign/aligned_alloc calls made by this process so far.
uint64_t allocation_counter_count(void);
#endif
