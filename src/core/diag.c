/*
 * diag.c - diagnostics collected rather than thrown: a parser reports every
 * problem it finds with its place, and the caller decides how to show them.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

void diags_vadd(TDiags *d, DiagLevel level, const char *file, int line, int col,
                const char *context, const char *fmt, va_list ap)
{
    if (level == DIAG_ERROR)
        d->errors++;
    if (d->len >= DIAGS_MAX)
        return;
    if (d->len == d->cap) {
        int cap = d->cap ? d->cap * 2 : 8;
        TDiag *p = realloc(d->items, (size_t)cap * sizeof *p);
        if (!p)
            return;
        d->items = p;
        d->cap = cap;
    }
    TBuf msg = {0};
    tbuf_vprintf(&msg, fmt, ap);
    TDiag *g = &d->items[d->len++];
    g->level = level;
    g->file = dupstr(file);
    g->line = line;
    g->col = col;
    g->message = msg.data ? msg.data : dupstr("out of memory");
    g->context = dupstr(context);
}

void diags_add(TDiags *d, DiagLevel level, const char *file, int line, int col,
               const char *context, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, level, file, line, col, context, fmt, ap);
    va_end(ap);
}

int diags_format(const TDiags *d, TBuf *out)
{
    for (int i = 0; i < d->len; i++) {
        const TDiag *g = &d->items[i];
        if (g->file)
            tbuf_printf(out, "%s:", g->file);
        if (g->line > 0)
            tbuf_printf(out, "%d:", g->line);
        if (g->line > 0 && g->col > 0)
            tbuf_printf(out, "%d:", g->col);
        tbuf_printf(out, "%s%s%s\n", (g->file || g->line) ? " " : "",
                    g->level == DIAG_WARNING ? "warning: " : "", g->message);
        if (g->context && g->col > 0) {
            /* The source line, tabs kept so the caret lines up; a long
             * line is cut to a window around the column. */
            const char *c = g->context;
            size_t n = strcspn(c, "\r\n");
            size_t from = 0;
            int chars = 0, skip = g->col - 1 > 60 ? g->col - 1 - 60 : 0;
            while (from < n && chars < skip) {
                uint32_t cp;
                from += (size_t)str_utf8_decode(c + from, n - from, &cp);
                chars++;
            }
            size_t to = from;
            for (int k = 0; to < n && k < 120; k++) {
                uint32_t cp;
                to += (size_t)str_utf8_decode(c + to, n - to, &cp);
            }
            const char *pre = from > 0 ? "..." : "";
            tbuf_printf(out, "  %s%.*s%s\n  %s", pre, (int)(to - from),
                        c + from, to < n ? "..." : "", from > 0 ? "   " : "");
            for (size_t k = from; k < n && chars < g->col - 1;) {
                uint32_t cp;
                int used = str_utf8_decode(c + k, n - k, &cp);
                tbuf_putc(out, cp == '\t' ? '\t' : ' ');
                k += (size_t)used;
                chars++;
            }
            tbuf_puts(out, "^\n");
        }
    }
    return T_OK;
}

void diags_free(TDiags *d)
{
    for (int i = 0; i < d->len; i++) {
        free(d->items[i].file);
        free(d->items[i].message);
        free(d->items[i].context);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}
