/*
 * buf.c - growable byte buffers and pointer vectors, each with a cap so
 * input from outside cannot grow memory without bound.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tbuf_reserve(TBuf *b, size_t extra)
{
    if (extra >= TBUF_MAX || b->len + extra + 1 > TBUF_MAX)
        return T_EINTERNAL;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return T_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return T_EINTERNAL;
    b->data = p;
    b->cap = cap;
    return T_OK;
}

int tbuf_append(TBuf *b, const char *s, size_t n)
{
    if (tbuf_reserve(b, n))
        return T_EINTERNAL;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
    return T_OK;
}

int tbuf_puts(TBuf *b, const char *s)
{
    return tbuf_append(b, s, strlen(s));
}

int tbuf_putc(TBuf *b, char c)
{
    return tbuf_append(b, &c, 1);
}

int tbuf_vprintf(TBuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || tbuf_reserve(b, (size_t)n))
        return T_EINTERNAL;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return T_OK;
}

int tbuf_printf(TBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *tbuf_cstr(TBuf *b)
{
    if (!b->data && tbuf_reserve(b, 0))
        return "";
    b->data[b->len] = 0;
    return b->data;
}

void tbuf_free(TBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int tbuf_read_file(TBuf *b, const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return T_EINPUT;
    char chunk[65536];
    size_t n;
    int rc = T_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > max) {
            errno = EFBIG;
            rc = T_EINPUT;
            break;
        }
        if (tbuf_append(b, chunk, n)) {
            rc = T_EINTERNAL;
            break;
        }
    }
    if (rc == T_OK && ferror(f))
        rc = T_EINPUT;
    fclose(f);
    if (rc == T_OK)
        tbuf_cstr(b);
    return rc;
}

int vec_grow_(void **items, int *cap, size_t elem, int need)
{
    if (need <= *cap)
        return 0;
    if (need > (1 << 28))
        return T_EINTERNAL;
    int ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*items, (size_t)ncap * elem);
    if (!p)
        return T_EINTERNAL;
    *items = p;
    *cap = ncap;
    return 0;
}
