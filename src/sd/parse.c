/*
 * parse.c - the equation parser: XMILE 1.0 expression syntax (or Vensim's,
 * which differs only in its tokens: see lex.c) into SdExpr trees, by
 * recursive descent, one function per precedence level. Also the
 * canonical form of names, which decides when two spellings mean the same
 * variable, and the reporting of errors at their place in the file.
 */
#include "sd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200 /* nesting limit, so hostile input cannot overflow */
#define MAX_ARGS 64   /* no builtin takes more */

char *sd_canon_name(Arena *a, const char *name, size_t len)
{
    /* Drop surrounding quotes. */
    size_t b = 0, e = len;
    while (b < e && (name[b] == ' ' || name[b] == '\t' || name[b] == '\r' ||
                     name[b] == '\n'))
        b++;
    while (e > b && (name[e - 1] == ' ' || name[e - 1] == '\t' ||
                     name[e - 1] == '\r' || name[e - 1] == '\n'))
        e--;
    if (e - b >= 2 && name[b] == '"' && name[e - 1] == '"')
        b++, e--;
    TBuf out = {0};
    bool pending_sep = false;
    for (size_t i = b; i < e;) {
        char c = name[i];
        bool sep = false;
        if (c == '\\' && i + 1 < e) {
            char n = name[i + 1];
            if (n == 'n' || n == 'r' || n == 't') {
                sep = true;
                i += 2;
            } else {
                /* \" and \\ stand for the character itself */
                i += 1;
                c = name[i];
                if (pending_sep && out.len)
                    tbuf_putc(&out, '_');
                pending_sep = false;
                tbuf_putc(&out, c);
                i++;
                continue;
            }
        } else if (c == ' ' || c == '_' || c == '\t' || c == '\n' ||
                   c == '\r') {
            sep = true;
            i++;
        }
        if (sep) {
            pending_sep = true;
            continue;
        }
        if (pending_sep && out.len)
            tbuf_putc(&out, '_');
        pending_sep = false;
        uint32_t cp;
        int used = str_utf8_decode(name + i, e - i, &cp);
        char enc[4];
        int k = str_utf8_encode(str_fold_case(cp), enc);
        tbuf_append(&out, enc, (size_t)k);
        i += (size_t)used;
    }
    const char *s = tbuf_cstr(&out);
    char *res;
    if (a) {
        res = arena_strndup(a, s, out.len);
        tbuf_free(&out);
    } else {
        res = out.data ? out.data : calloc(1, 1);
    }
    return res;
}

char *sd_canon_ref(Arena *a, const char *name)
{
    size_t n = strlen(name), lb = n;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"')
            q = !q;
        else if (name[i] == '\\' && i + 1 < n)
            i++;
        else if (!q && name[i] == '[') {
            lb = i;
            break;
        }
    }
    size_t e = n;
    while (e > lb && (name[e - 1] == ' ' || name[e - 1] == '"'))
        e--;
    if (lb == n || e <= lb + 1 || name[e - 1] != ']')
        return sd_canon_name(a, name, n);
    size_t b0 = 0;
    while (b0 < lb && name[b0] == '"')
        b0++;
    TBuf out = {0};
    char *base = sd_canon_name(NULL, name + b0, lb - b0);
    tbuf_puts(&out, base ? base : "");
    free(base);
    tbuf_putc(&out, '[');
    size_t from = lb + 1;
    for (size_t i = lb + 1; i < e; i++) {
        if (name[i] != ',' && i != e - 1)
            continue;
        char *el = sd_canon_name(NULL, name + from, i - from);
        if (from > lb + 1)
            tbuf_putc(&out, ',');
        tbuf_puts(&out, el ? el : "");
        free(el);
        from = i + 1;
    }
    tbuf_putc(&out, ']');
    char *res;
    if (a) {
        res = arena_strndup(a, tbuf_cstr(&out), out.len);
        tbuf_free(&out);
    } else {
        res = out.data ? out.data : calloc(1, 1);
    }
    return res;
}

/* Finds the start of line `line` (1-based) in src. */
static const char *line_start(const char *src, size_t len, int line)
{
    const char *p = src, *end = src + len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    return p < end ? p : NULL;
}

void sd_report(TDiags *d, const SdSrcLoc *loc, const char *text, int off,
               const char *fmt, ...)
{
    int line = loc ? loc->line : 0, col = loc ? loc->col : 0;
    size_t tl = text ? strlen(text) : 0;
    if (off < 0)
        off = 0;
    if ((size_t)off > tl)
        off = (int)tl;
    /* Walk the equation to the offset, counting lines and characters. */
    size_t ls = 0;
    for (int i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            ls = (size_t)i + 1;
            col = 1;
        }
    }
    if (line > 0) {
        if (ls == 0)
            col += str_utf8_count(text, (size_t)off);
        else
            col = 1 + str_utf8_count(text + ls, (size_t)off - ls);
        /* Entities before the spot on its line are wider in the file. */
        for (int i = 0; loc && loc->adj && i < loc->nadj; i++)
            if (loc->adj[2 * i] >= (int)ls && loc->adj[2 * i] < off)
                col += loc->adj[2 * i + 1];
    }
    char *ctx = NULL;
    if (loc && loc->src && line > 0) {
        const char *p = line_start(loc->src, loc->src_len, line);
        if (p) {
            size_t n = strcspn(p, "\r\n");
            ctx = malloc(n + 1);
            if (ctx) {
                memcpy(ctx, p, n);
                ctx[n] = 0;
            }
        }
    } else if (text) {
        /* No file text: show the equation's line, indented as it stands in
         * the file so the caret lands under the file column. */
        size_t n = strcspn(text + ls, "\r\n");
        size_t pad =
            line > 0 && ls == 0 && loc->col > 1 ? (size_t)loc->col - 1 : 0;
        ctx = malloc(pad + n + 1);
        if (ctx) {
            memset(ctx, ' ', pad);
            memcpy(ctx + pad, text + ls, n);
            ctx[pad + n] = 0;
        }
        if (line == 0)
            col = 1 + str_utf8_count(text + ls, (size_t)off - ls);
    }
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, DIAG_ERROR, loc ? loc->file : NULL, line, col, ctx, fmt, ap);
    va_end(ap);
    free(ctx);
}

/* ---- recursive descent ------------------------------------------------ */

typedef struct Parser {
    SdLexer lx;          /* the token stream */
    Arena *a;            /* where nodes go */
    const SdSrcLoc *loc; /* for messages */
    TDiags *d;           /* where errors go */
    int depth;           /* current nesting */
    bool failed;         /* an error was reported; unwind */
} Parser;

static SdExpr *parse_expr(Parser *p);

static void error_at(Parser *p, size_t off, const char *fmt, const char *arg)
{
    if (p->failed)
        return;
    p->failed = true;
    sd_report(p->d, p->loc, p->lx.text, (int)off, fmt, arg);
}

static void advance(Parser *p)
{
    if (sd_lex_next(&p->lx) == TK_ERROR)
        error_at(p, p->lx.start, "%s", p->lx.err);
}

static void expect_error(Parser *p, const char *what)
{
    char buf[200];
    if (p->lx.tok == TK_EOF)
        snprintf(buf, sizeof buf, "expected %s, found end of equation", what);
    else {
        size_t n = p->lx.end - p->lx.start;
        if (n > 40) { /* cut on a character boundary */
            n = 40;
            while (n > 0 &&
                   ((unsigned char)p->lx.text[p->lx.start + n] & 0xC0) == 0x80)
                n--;
        }
        snprintf(buf, sizeof buf, "expected %s, found '%.*s'", what, (int)n,
                 p->lx.text + p->lx.start);
    }
    error_at(p, p->lx.start, "%s", buf);
}

static SdExpr *node(Parser *p, SdExprKind k, size_t off, int nargs)
{
    SdExpr *e = arena_alloc(p->a, sizeof *e);
    if (!e) {
        error_at(p, off, "%s", "out of memory");
        return NULL;
    }
    e->kind = k;
    e->off = (int)off;
    e->nargs = nargs;
    if (nargs) {
        e->args = arena_alloc(p->a, sizeof(SdExpr *) * (size_t)nargs);
        if (!e->args) {
            error_at(p, off, "%s", "out of memory");
            return NULL;
        }
    }
    return e;
}

/* Sets e's height from its operands; refuses trees deeper than the
 * compiler's recursion can take (a sum of a million terms is a left-deep
 * tree the parser builds without recursing). */
static SdExpr *finish(Parser *p, SdExpr *e)
{
    if (!e)
        return NULL;
    int h = 0;
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i] && e->args[i]->height + 1 > h)
            h = e->args[i]->height + 1;
    e->height = h;
    if (h > SD_MAX_HEIGHT) {
        error_at(p, (size_t)e->off, "%s",
                 "equation nested too deeply (more than 1000 levels)");
        return NULL;
    }
    return e;
}

static SdExpr *binary(Parser *p, SdBinOp op, size_t off, SdExpr *l, SdExpr *r)
{
    if (!l || !r)
        return NULL;
    SdExpr *e = node(p, SD_E_BIN, off, 2);
    if (e) {
        e->op = op;
        e->args[0] = l;
        e->args[1] = r;
    }
    return finish(p, e);
}

/* call_args ::= '(' [ expr { ',' expr } ] ')' */
static SdExpr *parse_call(Parser *p, SdExpr *fn)
{
    SdExpr *args[MAX_ARGS];
    int n = 0;
    advance(p); /* '(' */
    if (p->lx.tok != TK_RP) {
        for (;;) {
            if (n == MAX_ARGS) {
                error_at(p, p->lx.start, "%s", "too many arguments");
                return NULL;
            }
            SdExpr *a = parse_expr(p);
            if (!a)
                return NULL;
            args[n++] = a;
            if (p->lx.tok == TK_COMMA) {
                advance(p);
                continue;
            }
            break;
        }
    }
    if (p->lx.tok != TK_RP) {
        expect_error(p, "',' or ')' in the arguments");
        return NULL;
    }
    advance(p);
    SdExpr *e = node(p, SD_E_CALL, (size_t)fn->off, n);
    if (!e)
        return NULL;
    e->name = fn->name;
    e->text = fn->text;
    if (n)
        memcpy(e->args, args, sizeof(SdExpr *) * (size_t)n);
    return finish(p, e);
}

#define MAX_SUBS 32 /* subscripts of one reference */

/* sub ::= '*' [ ':' NAME ] | '@' NUMBER | NAME '!' | expr [ ':' expr ] */
static SdExpr *parse_sub(Parser *p)
{
    size_t off = p->lx.start;
    if (p->lx.tok == TK_STAR) {
        SdExpr *e = node(p, SD_E_VAR, off, 0);
        if (!e)
            return NULL;
        e->flags = SD_EF_STAR;
        e->name = e->text = "*";
        advance(p);
        if (p->lx.tok == TK_COLON) { /* `*:sub`: the elements of sub */
            advance(p);
            if (p->lx.tok != TK_NAME) {
                expect_error(p, "a dimension name after '*:'");
                return NULL;
            }
            size_t n = p->lx.end - p->lx.start;
            e->text = arena_strndup(p->a, p->lx.text + p->lx.start, n);
            e->name = sd_canon_name(p->a, p->lx.text + p->lx.start, n);
            advance(p);
        }
        return finish(p, e);
    }
    if (p->lx.tok == TK_AT) {
        advance(p);
        if (p->lx.tok != TK_NUM) {
            expect_error(p, "a dimension position after '@'");
            return NULL;
        }
        if (!(p->lx.num >= 1 && p->lx.num <= SD_MAX_DIMS &&
              p->lx.num == floor(p->lx.num))) {
            expect_error(p, "a dimension position (a whole number 1 to 16) "
                            "after '@'");
            return NULL;
        }
        SdExpr *e = node(p, SD_E_NUM, off, 0);
        if (!e)
            return NULL;
        e->num = p->lx.num;
        e->flags = SD_EF_POS;
        advance(p);
        return finish(p, e);
    }
    SdExpr *e = parse_expr(p);
    if (!e)
        return NULL;
    if (p->lx.tok == TK_BANG) { /* Vensim: every element of a range */
        if (e->kind != SD_E_VAR || e->nsubs) {
            error_at(p, p->lx.start, "%s",
                     "'!' must follow the name of a subscript range");
            return NULL;
        }
        e->flags |= SD_EF_BANG;
        advance(p);
        return e;
    }
    if (p->lx.tok == TK_COLON) { /* a range of elements: a:b */
        size_t coff = p->lx.start;
        advance(p);
        SdExpr *hi = parse_expr(p);
        if (!hi)
            return NULL;
        SdExpr *r = node(p, SD_E_CALL, coff, 2);
        if (!r)
            return NULL;
        r->name = r->text = ":";
        r->flags = SD_EF_RANGE;
        r->args[0] = e;
        r->args[1] = hi;
        return finish(p, r);
    }
    return e;
}

/* subscripts ::= '[' sub { ',' sub } ']' */
static bool parse_subscripts(Parser *p, SdExpr *e)
{
    SdExpr *subs[MAX_SUBS];
    int n = 0;
    advance(p); /* '[' */
    for (;;) {
        if (n == MAX_SUBS) {
            error_at(p, p->lx.start, "%s", "too many subscripts (32 at most)");
            return false;
        }
        SdExpr *x = parse_sub(p);
        if (!x)
            return false;
        subs[n++] = x;
        if (p->lx.tok == TK_COMMA) {
            advance(p);
            continue;
        }
        break;
    }
    if (p->lx.tok != TK_RBRACK) {
        expect_error(p, "',' or ']' in the subscripts");
        return false;
    }
    advance(p);
    e->subs = arena_alloc(p->a, sizeof(SdExpr *) * (size_t)n);
    if (!e->subs) {
        error_at(p, (size_t)e->off, "%s", "out of memory");
        return false;
    }
    memcpy(e->subs, subs, sizeof(SdExpr *) * (size_t)n);
    e->nsubs = n;
    for (int i = 0; i < n; i++)
        if (subs[i]->height + 1 > e->height)
            e->height = subs[i]->height + 1;
    return true;
}

/* primary ::= NUMBER | name [ subscripts ] [ call_args ] [ "'" ]
 *           | '(' expr ')' | IF expr THEN expr ELSE expr */
static SdExpr *parse_primary(Parser *p)
{
    size_t off = p->lx.start;
    switch (p->lx.tok) {
    case TK_NUM: {
        SdExpr *e = node(p, SD_E_NUM, off, 0);
        if (e)
            e->num = p->lx.num;
        advance(p);
        return e;
    }
    case TK_NAME: {
        SdExpr *e = node(p, SD_E_VAR, off, 0);
        if (!e)
            return NULL;
        size_t n = p->lx.end - p->lx.start;
        e->text = arena_strndup(p->a, p->lx.text + off, n);
        e->name = sd_canon_name(p->a, p->lx.text + off, n);
        bool quoted = p->lx.quoted;
        if (!e->text || !e->name) {
            error_at(p, off, "%s", "out of memory");
            return NULL;
        }
        if (!*e->name) {
            error_at(p, off, "%s", "empty name");
            return NULL;
        }
        advance(p);
        if (p->lx.tok == TK_LBRACK) {
            if (++p->depth > MAX_DEPTH) {
                error_at(p, p->lx.start, "%s", "equation nested too deeply");
                return NULL;
            }
            bool ok = parse_subscripts(p, e);
            p->depth--;
            if (!ok)
                return NULL;
        }
        if (p->lx.tok == TK_LP && !quoted) {
            SdExpr *c = parse_call(p, e);
            if (c && e->nsubs) { /* a subscripted lookup: f[d](x) */
                c->subs = e->subs;
                c->nsubs = e->nsubs;
                c = finish(p, c);
                if (c && e->height + 1 > c->height)
                    c->height = e->height + 1;
            }
            e = c;
        }
        if (e && p->lx.tok == TK_QUOTE) { /* transposition: x' */
            e->flags |= SD_EF_TRANSPOSE;
            advance(p);
        }
        if (e && e->height > SD_MAX_HEIGHT) {
            error_at(p, (size_t)e->off, "%s",
                     "equation nested too deeply (more than 1000 levels)");
            return NULL;
        }
        return e;
    }
    case TK_LP: {
        advance(p);
        SdExpr *e = parse_expr(p);
        if (!e)
            return NULL;
        if (p->lx.tok != TK_RP) {
            expect_error(p, "')'");
            return NULL;
        }
        advance(p);
        return e;
    }
    case TK_IF: {
        advance(p);
        SdExpr *c = parse_expr(p);
        if (!c)
            return NULL;
        if (p->lx.tok != TK_THEN) {
            expect_error(p, "'then'");
            return NULL;
        }
        advance(p);
        SdExpr *t = parse_expr(p);
        if (!t)
            return NULL;
        if (p->lx.tok != TK_ELSE) {
            expect_error(p, "'else'");
            return NULL;
        }
        advance(p);
        SdExpr *f = parse_expr(p);
        if (!f)
            return NULL;
        SdExpr *e = node(p, SD_E_IF, off, 3);
        if (e) {
            e->args[0] = c;
            e->args[1] = t;
            e->args[2] = f;
        }
        return finish(p, e);
    }
    case TK_MOD: {
        /* MOD(a, b), the function form of the operator */
        SdExpr *fn = node(p, SD_E_VAR, off, 0);
        if (!fn)
            return NULL;
        fn->name = "mod";
        fn->text = arena_strndup(p->a, p->lx.text + off, p->lx.end - off);
        advance(p);
        if (p->lx.tok != TK_LP) {
            expect_error(p, "'(' after 'mod' used as a function");
            return NULL;
        }
        return parse_call(p, fn);
    }
    case TK_ERROR:
        return NULL;
    default:
        expect_error(p, "a number, a name or '('");
        return NULL;
    }
}

static SdExpr *parse_unary(Parser *p);

/* power ::= primary [ '^' unary ]      (right-associative: 2^3^2 = 2^9) */
static SdExpr *parse_power(Parser *p)
{
    SdExpr *l = parse_primary(p);
    if (l && p->lx.tok == TK_CARET) {
        size_t off = p->lx.start;
        if (++p->depth > MAX_DEPTH) {
            error_at(p, off, "%s", "equation nested too deeply");
            return NULL;
        }
        advance(p);
        SdExpr *e = binary(p, SD_OP_POW, off, l, parse_unary(p));
        p->depth--;
        return e;
    }
    return l;
}

/* unary ::= ( '-' | '+' | NOT ) unary | power     (-2^2 = -4)
 * (Vensim's :NOT: is looser: see parse_not) */
static SdExpr *parse_unary(Parser *p)
{
    SdTok t = p->lx.tok;
    if (t == TK_MINUS || t == TK_PLUS || (t == TK_NOT && !p->lx.vensim)) {
        size_t off = p->lx.start;
        if (++p->depth > MAX_DEPTH) {
            error_at(p, off, "%s", "equation nested too deeply");
            return NULL;
        }
        advance(p);
        SdExpr *x = parse_unary(p);
        p->depth--;
        if (!x || t == TK_PLUS)
            return x;
        SdExpr *e = node(p, t == TK_MINUS ? SD_E_NEG : SD_E_NOT, off, 1);
        if (e)
            e->args[0] = x;
        return finish(p, e);
    }
    return parse_power(p);
}

/* mul ::= unary { ( '*' | '/' | MOD ) unary } */
static SdExpr *parse_mul(Parser *p)
{
    SdExpr *l = parse_unary(p);
    while (l && (p->lx.tok == TK_STAR || p->lx.tok == TK_SLASH ||
                 p->lx.tok == TK_MOD)) {
        SdBinOp op = p->lx.tok == TK_STAR    ? SD_OP_MUL
                     : p->lx.tok == TK_SLASH ? SD_OP_DIV
                                             : SD_OP_MOD;
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, op, off, l, parse_unary(p));
    }
    return l;
}

/* add ::= mul { ( '+' | '-' ) mul } */
static SdExpr *parse_add(Parser *p)
{
    SdExpr *l = parse_mul(p);
    while (l && (p->lx.tok == TK_PLUS || p->lx.tok == TK_MINUS)) {
        SdBinOp op = p->lx.tok == TK_PLUS ? SD_OP_ADD : SD_OP_SUB;
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, op, off, l, parse_mul(p));
    }
    return l;
}

/* rel ::= add { ( '<' | '<=' | '>' | '>=' ) add } */
static SdExpr *parse_rel(Parser *p)
{
    SdExpr *l = parse_add(p);
    while (l && (p->lx.tok == TK_LT || p->lx.tok == TK_LE ||
                 p->lx.tok == TK_GT || p->lx.tok == TK_GE)) {
        SdBinOp op = p->lx.tok == TK_LT   ? SD_OP_LT
                     : p->lx.tok == TK_LE ? SD_OP_LE
                     : p->lx.tok == TK_GT ? SD_OP_GT
                                          : SD_OP_GE;
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, op, off, l, parse_add(p));
    }
    return l;
}

/* eq ::= rel { ( '=' | '<>' ) rel } */
static SdExpr *parse_eq(Parser *p)
{
    SdExpr *l = parse_rel(p);
    while (l && (p->lx.tok == TK_EQ || p->lx.tok == TK_NE)) {
        SdBinOp op = p->lx.tok == TK_EQ ? SD_OP_EQ : SD_OP_NE;
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, op, off, l, parse_rel(p));
    }
    return l;
}

/* not ::= ':NOT:' not | eq      (Vensim: `:NOT: a = b` is NOT (a = b)) */
static SdExpr *parse_not(Parser *p)
{
    if (p->lx.tok != TK_NOT || !p->lx.vensim)
        return parse_eq(p);
    size_t off = p->lx.start;
    if (++p->depth > MAX_DEPTH) {
        error_at(p, off, "%s", "equation nested too deeply");
        return NULL;
    }
    advance(p);
    SdExpr *x = parse_not(p);
    p->depth--;
    if (!x)
        return NULL;
    SdExpr *e = node(p, SD_E_NOT, off, 1);
    if (e)
        e->args[0] = x;
    return finish(p, e);
}

/* and ::= not { AND not } */
static SdExpr *parse_and(Parser *p)
{
    SdExpr *l = parse_not(p);
    while (l && p->lx.tok == TK_AND) {
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, SD_OP_AND, off, l, parse_not(p));
    }
    return l;
}

/* expr ::= and { OR and } */
static SdExpr *parse_expr(Parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        error_at(p, p->lx.start, "%s", "equation nested too deeply");
        return NULL;
    }
    SdExpr *l = parse_and(p);
    while (l && p->lx.tok == TK_OR) {
        size_t off = p->lx.start;
        advance(p);
        l = binary(p, SD_OP_OR, off, l, parse_and(p));
    }
    p->depth--;
    return l;
}

int sd_parse_expr(Arena *a, const char *text, const SdSrcLoc *loc, SdExpr **out,
                  TDiags *d)
{
    return sd_parse_expr_as(a, text, loc, SD_SYNTAX_XMILE, out, d);
}

int sd_parse_expr_as(Arena *a, const char *text, const SdSrcLoc *loc,
                     SdSyntax syntax, SdExpr **out, TDiags *d)
{
    Parser p = {.a = a, .loc = loc, .d = d};
    *out = NULL;
    sd_lex_init(&p.lx, text, strlen(text));
    p.lx.vensim = syntax == SD_SYNTAX_VENSIM;
    advance(&p);
    if (p.lx.tok == TK_EOF && !p.failed) {
        error_at(&p, 0, "%s", "empty equation");
        return T_EINPUT;
    }
    SdExpr *e = p.failed ? NULL : parse_expr(&p);
    if (e && !p.failed && p.lx.tok != TK_EOF)
        expect_error(&p, "an operator or end of equation");
    if (p.failed || !e)
        return T_EINPUT;
    *out = e;
    return T_OK;
}
