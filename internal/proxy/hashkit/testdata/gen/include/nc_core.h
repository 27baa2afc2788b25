/*
 * Minimal stand-in for twemproxy's nc_core.h: just what src/hashkit/*.c
 * need, so the real hash and distribution code compiles outside nutcracker.
 */
#ifndef _NC_CORE_H_
#define _NC_CORE_H_

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

typedef int rstatus_t;
#define NC_OK 0
#define NC_ERROR -1
#define NC_ENOMEM -3

#define ASSERT(x) do { if (!(x)) abort(); } while (0)
#define NOT_REACHED() abort()
#define log_debug(...) do { } while (0)
#define log_error(...) do { } while (0)
#define nc_realloc(p, n) realloc(p, n)

struct string {
    uint32_t len;
    uint8_t *data;
};

struct array {
    uint32_t nelem;
    void *elem;
    size_t size;
};

#define array_n(a) ((a)->nelem)
#define array_get(a, i) ((void *)((uint8_t *)(a)->elem + (size_t)(i) * (a)->size))

/* A fixed clock: servers marked dead get next_retry in its future. */
static inline int64_t nc_usec_now(void) { return 1000000; }

#endif
