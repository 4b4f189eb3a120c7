/*
 * buf.c - growable byte buffers and pointer vectors, each with a cap so
 * input from outside cannot grow memory without bound.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    if (b->len > max) {
        errno = EFBIG;
        return T_EINPUT;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return T_EINPUT;
    /* A regular file is read straight into a buffer of its size; the
     * loop below still ends it (a file can grow, or be a pipe). */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (size_t)st.st_size <= max && tbuf_reserve(b, (size_t)st.st_size + 1))
        errno = ENOMEM; /* not fatal: the loop below grows it */
    int rc = T_OK;
    for (;;) {
        if (b->cap - b->len < 2 && tbuf_reserve(b, 65536)) {
            rc = T_EINTERNAL;
            break;
        }
        size_t room = b->cap - b->len - 1; /* the terminator's byte */
        if (room > max - b->len + 1)
            room = max - b->len + 1; /* one byte over says it is too big */
        size_t n = fread(b->data + b->len, 1, room, f);
        if (n == 0)
            break;
        b->len += n;
        if (b->len > max) {
            errno = EFBIG;
            rc = T_EINPUT;
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
