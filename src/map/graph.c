/*
 * graph.c - the causal graph and its reader from a workspace export
 * document (JSON: a single pass for plainly valid documents, else jansson's
 * tree). Every problem is reported with the path of the field, as a
 * request's errors are.
 */
#include "map.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX_NODES 1000000
#define MAP_MAX_LINKS 10000000

MapGraph *map_graph_new(void)
{
    MapGraph *g = calloc(1, sizeof *g);
    if (g)
        arena_init(&g->arena);
    return g;
}

void map_graph_free(MapGraph *g)
{
    if (!g)
        return;
    free(g->ids);
    free(g->names);
    free(g->links);
    arena_free(&g->arena);
    free(g);
}

int map_graph_add_node(MapGraph *g, const char *id, const char *name)
{
    if (g->nnodes >= MAP_MAX_NODES)
        return -1;
    if (g->nnodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        const char **ids = realloc(g->ids, sizeof(char *) * (size_t)cap);
        if (!ids)
            return -1;
        g->ids = ids;
        const char **names = realloc(g->names, sizeof(char *) * (size_t)cap);
        if (!names)
            return -1;
        g->names = names;
        g->cap_nodes = cap;
    }
    g->ids[g->nnodes] = arena_strdup(&g->arena, id);
    g->names[g->nnodes] = arena_strdup(&g->arena, name ? name : id);
    if (!g->ids[g->nnodes] || !g->names[g->nnodes])
        return -1;
    return g->nnodes++;
}

int map_graph_add_link(MapGraph *g, int from, int to, MapPolarity pol,
                       bool delay)
{
    if (from < 0 || to < 0 || from >= g->nnodes || to >= g->nnodes)
        return T_EUSAGE;
    if (g->nlinks >= MAP_MAX_LINKS)
        return T_EINPUT;
    if (g->nlinks == g->cap_links) {
        int cap = g->cap_links ? g->cap_links * 2 : 64;
        MapLink *l = realloc(g->links, sizeof(MapLink) * (size_t)cap);
        if (!l)
            return T_EINTERNAL;
        g->links = l;
        g->cap_links = cap;
    }
    g->links[g->nlinks++] = (MapLink){from, to, pol, delay};
    return T_OK;
}

int map_graph_find(const MapGraph *g, const char *id)
{
    for (int i = 0; i < g->nnodes; i++)
        if (!strcmp(g->ids[i], id))
            return i;
    return -1;
}

#define MAP_ID_MAX 255 /* bytes in an item id */

/* An item id may be a string or an integer; both become text. False when
 * it is neither, or longer than MAP_ID_MAX (*too_long says which). */
static bool id_text(json_t *v, char *buf, size_t n, bool *too_long)
{
    *too_long = false;
    if (json_is_string(v)) {
        if (json_string_length(v) >= n) {
            *too_long = true;
            return false;
        }
        snprintf(buf, n, "%s", json_string_value(v));
        return true;
    }
    if (json_is_integer(v)) {
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    }
    return false;
}

/* A polarity written as text. */
static bool polarity_text(const char *s, MapPolarity *out)
{
    if (!strcmp(s, "+") || !strcmp(s, "positive") || !strcmp(s, "same"))
        *out = MAP_POS;
    else if (!strcmp(s, "-") || !strcmp(s, "\xe2\x88\x92") /* U+2212 */ ||
             !strcmp(s, "negative") || !strcmp(s, "opposite"))
        *out = MAP_NEG;
    else if (!strcmp(s, "?") || !strcmp(s, "") || !strcmp(s, "unknown"))
        *out = MAP_UNKNOWN;
    else
        return false;
    return true;
}

static bool parse_polarity(json_t *v, MapPolarity *out)
{
    if (!v || json_is_null(v)) {
        *out = MAP_UNKNOWN;
        return true;
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i != 1 && i != -1 && i != 0)
            return false;
        *out = (MapPolarity)i;
        return true;
    }
    if (!json_is_string(v))
        return false;
    return polarity_text(json_string_value(v), out);
}

static void ferr(TDiags *d, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ferr(TDiags *d, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, DIAG_ERROR, file, 0, 0, NULL, fmt, ap);
    va_end(ap);
}

/* ---- the fast reader ------------------------------------------------------
 *
 * jansson builds a tree of every object (a hash table each) before a field
 * is read: most of the time `territory loops` spends on a large map. This
 * reader goes through the text once and builds the graph as it goes, for
 * documents that are valid and that the tree reader below would accept. At
 * the first thing that is not plainly so (malformed or unusual JSON, a
 * field in error, a key written with escapes, links before items, ...) it
 * gives up, and the tree reader reads the document again and says what is
 * wrong, with the same messages as always. */

#define FAST_MAX_DEPTH 256 /* nesting it follows; deeper goes to jansson */
#define FAST_MAX_KEYS 64   /* keys of one object it checks for repeats */

typedef struct Fast {
    const char *p;   /* next byte */
    const char *end; /* past the last */
    int depth;       /* objects and arrays open */
    TBuf s;          /* the string read last, decoded */
    TBuf title;      /* an item's title, decoded */
    TBuf name;       /* an item's name, decoded */
    THash ids;       /* item id -> node */
} Fast;

static void fast_ws(Fast *f)
{
    while (f->p < f->end &&
           (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
}

static bool fast_eat(Fast *f, char c)
{
    fast_ws(f);
    if (f->p < f->end && *f->p == c) {
        f->p++;
        return true;
    }
    return false;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int h = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A string at f->p, decoded into out (or only checked, when out is NULL);
 * *raw and *rawlen are its bytes between the quotes, and *escaped whether
 * it has an escape. False for anything jansson would refuse: control
 * characters, invalid UTF-8, \u0000, a lone surrogate. */
static bool fast_string(Fast *f, TBuf *out, const char **raw, size_t *rawlen,
                        bool *escaped)
{
    fast_ws(f);
    if (f->p >= f->end || *f->p != '"')
        return false;
    const char *p = ++f->p, *end = f->end;
    if (out)
        out->len = 0;
    *escaped = false;
    const char *run = p; /* plain bytes not yet copied */
    while (p < end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            uint32_t cp;
            int n = str_utf8_decode(p, (size_t)(end - p), &cp);
            if (n < 2)
                return false;
            p += n;
            continue;
        }
        if (c != '\\') {
            p++;
            continue;
        }
        *escaped = true;
        if (out && tbuf_append(out, run, (size_t)(p - run)))
            return false;
        if (end - p < 2)
            return false;
        char e = p[1], one = 0;
        p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            one = e;
            break;
        case 'b':
            one = '\b';
            break;
        case 'f':
            one = '\f';
            break;
        case 'n':
            one = '\n';
            break;
        case 'r':
            one = '\r';
            break;
        case 't':
            one = '\t';
            break;
        case 'u': {
            int u = end - p >= 4 ? hex4(p) : -1;
            if (u <= 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return false; /* \u0000, bad hex, a lone low surrogate */
            p += 4;
            uint32_t cp = (uint32_t)u;
            if (u >= 0xD800 && u <= 0xDBFF) {
                int lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u'
                             ? hex4(p + 2)
                             : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                p += 6;
                cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) +
                     ((uint32_t)lo - 0xDC00);
            }
            char buf[4];
            int n = str_utf8_encode(cp, buf);
            if (out && tbuf_append(out, buf, (size_t)n))
                return false;
            break;
        }
        default:
            return false;
        }
        if (one && out && tbuf_putc(out, one))
            return false;
        run = p;
    }
    if (p >= end)
        return false;
    if (out && tbuf_append(out, run, (size_t)(p - run)))
        return false;
    if (out)
        tbuf_cstr(out);
    *raw = f->p;
    *rawlen = (size_t)(p - f->p);
    f->p = p + 1;
    return true;
}

/* A number at f->p in JSON's grammar; *integer when it has no fraction or
 * exponent and fits (then *iv is its value). False when jansson would
 * refuse it (malformed, or too large). */
static bool fast_number(Fast *f, bool *integer, long long *iv)
{
    fast_ws(f);
    const char *p = f->p, *end = f->end, *start = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    *integer = true;
    if (p < end && *p == '.') {
        *integer = false;
        if (++p >= end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *integer = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - start);
    char buf[64];
    if (n >= sizeof buf)
        return false; /* long numbers: let jansson judge them */
    memcpy(buf, start, n);
    buf[n] = 0;
    if (*integer) {
        if (n > 18)
            return false; /* might not fit a json_int_t */
        *iv = strtoll(buf, NULL, 10);
    } else {
        errno = 0;
        double v = strtod(buf, NULL);
        if (errno || !isfinite(v))
            return false; /* out of range: jansson may refuse it */
    }
    f->p = p;
    return true;
}

static bool fast_word(Fast *f, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, w, n) != 0)
        return false;
    f->p += n;
    return true;
}

typedef struct KeySeen {
    const char *raw[FAST_MAX_KEYS]; /* each key's bytes */
    size_t len[FAST_MAX_KEYS];      /* and length */
    int n;                          /* keys so far */
} KeySeen;

/* The next key of an object (after '{' or ','), with its ':' read; false
 * for an escaped key, a repeated one or too many to check. */
static bool fast_key(Fast *f, KeySeen *k, const char **key, size_t *klen)
{
    bool escaped;
    if (!fast_string(f, NULL, key, klen, &escaped) || escaped ||
        k->n == FAST_MAX_KEYS || !fast_eat(f, ':'))
        return false;
    for (int i = 0; i < k->n; i++)
        if (k->len[i] == *klen && !memcmp(k->raw[i], *key, *klen))
            return false;
    k->raw[k->n] = *key;
    k->len[k->n++] = *klen;
    return true;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
    return strlen(name) == klen && !memcmp(key, name, klen);
}

/* Any value, checked and skipped. */
static bool fast_skip(Fast *f)
{
    fast_ws(f);
    if (f->p >= f->end)
        return false;
    char c = *f->p;
    if (c == '{' || c == '[') {
        if (++f->depth > FAST_MAX_DEPTH)
            return false;
        f->p++;
        char close = c == '{' ? '}' : ']';
        KeySeen k = {.n = 0};
        if (!fast_eat(f, close)) {
            do {
                const char *key;
                size_t klen;
                if (c == '{' && !fast_key(f, &k, &key, &klen))
                    return false;
                if (!fast_skip(f))
                    return false;
            } while (fast_eat(f, ','));
            if (!fast_eat(f, close))
                return false;
        }
        f->depth--;
        return true;
    }
    if (c == '"') {
        const char *raw;
        size_t rawlen;
        bool escaped;
        return fast_string(f, NULL, &raw, &rawlen, &escaped);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        bool integer;
        long long iv;
        return fast_number(f, &integer, &iv);
    }
    return fast_word(f, "true") || fast_word(f, "false") ||
           fast_word(f, "null");
}

/* An item or link id: a string of 1 to MAP_ID_MAX bytes, or an integer,
 * as text in buf (MAP_ID_MAX + 1 bytes). */
static bool fast_id(Fast *f, char *buf)
{
    fast_ws(f);
    if (f->p < f->end && *f->p == '"') {
        const char *raw;
        size_t rawlen;
        bool escaped;
        if (!fast_string(f, &f->s, &raw, &rawlen, &escaped) ||
            f->s.len > MAP_ID_MAX)
            return false;
        memcpy(buf, f->s.data, f->s.len);
        buf[f->s.len] = 0;
        return true;
    }
    bool integer;
    long long iv;
    if (!fast_number(f, &integer, &iv) || !integer)
        return false;
    snprintf(buf, MAP_ID_MAX + 1, "%lld", iv);
    return true;
}

static bool fast_items(Fast *f, MapGraph *g)
{
    if (!fast_eat(f, '['))
        return false;
    if (fast_eat(f, ']'))
        return true;
    do {
        if (!fast_eat(f, '{'))
            return false;
        KeySeen k = {.n = 0};
        char id[MAP_ID_MAX + 1] = "";
        bool has_id = false, has_title = false, has_name = false;
        bool name_key = false; /* a "name", a string or not */
        if (!fast_eat(f, '}')) {
            do {
                const char *key, *raw;
                size_t klen, rawlen;
                bool escaped, ok;
                if (!fast_key(f, &k, &key, &klen))
                    return false;
                if (key_is(key, klen, "id")) {
                    ok = has_id = fast_id(f, id);
                } else if (key_is(key, klen, "title")) {
                    ok = has_title =
                        fast_string(f, &f->title, &raw, &rawlen, &escaped);
                } else if (key_is(key, klen, "name")) {
                    /* Not a string is an error only without a title. */
                    name_key = true;
                    fast_ws(f);
                    if (f->p < f->end && *f->p == '"')
                        ok = has_name =
                            fast_string(f, &f->name, &raw, &rawlen, &escaped);
                    else
                        ok = fast_skip(f);
                } else {
                    ok = fast_skip(f);
                }
                if (!ok)
                    return false;
            } while (fast_eat(f, ','));
            if (!fast_eat(f, '}'))
                return false;
        }
        if (!has_id || !id[0] || thash_get(&f->ids, id, NULL) ||
            (!has_title && name_key && !has_name))
            return false;
        const char *title = has_title  ? tbuf_cstr(&f->title)
                            : has_name ? tbuf_cstr(&f->name)
                                       : NULL;
        int n = map_graph_add_node(g, id, title);
        if (n < 0 || thash_put(&f->ids, g->ids[n], n))
            return false;
    } while (fast_eat(f, ','));
    return fast_eat(f, ']');
}

static bool fast_polarity(Fast *f, MapPolarity *pol)
{
    fast_ws(f);
    if (f->p < f->end && *f->p == '"') {
        const char *raw;
        size_t rawlen;
        bool escaped;
        return fast_string(f, &f->s, &raw, &rawlen, &escaped) &&
               polarity_text(tbuf_cstr(&f->s), pol);
    }
    if (fast_word(f, "null")) {
        *pol = MAP_UNKNOWN;
        return true;
    }
    bool integer;
    long long iv;
    if (!fast_number(f, &integer, &iv) || !integer || iv < -1 || iv > 1)
        return false;
    *pol = (MapPolarity)iv;
    return true;
}

static bool fast_links(Fast *f, MapGraph *g)
{
    if (!fast_eat(f, '['))
        return false;
    if (fast_eat(f, ']'))
        return true;
    do {
        if (!fast_eat(f, '{'))
            return false;
        KeySeen k = {.n = 0};
        char from[MAP_ID_MAX + 1], to[MAP_ID_MAX + 1];
        bool has_from = false, has_to = false, delay = false;
        MapPolarity pol = MAP_UNKNOWN;
        if (!fast_eat(f, '}')) {
            do {
                const char *key;
                size_t klen;
                bool ok;
                if (!fast_key(f, &k, &key, &klen))
                    return false;
                if (key_is(key, klen, "from"))
                    ok = has_from = fast_id(f, from);
                else if (key_is(key, klen, "to"))
                    ok = has_to = fast_id(f, to);
                else if (key_is(key, klen, "polarity"))
                    ok = fast_polarity(f, &pol);
                else if (key_is(key, klen, "delay")) {
                    fast_ws(f);
                    ok = fast_word(f, "true");
                    delay = ok;
                    ok = ok || fast_word(f, "false");
                } else
                    ok = fast_skip(f);
                if (!ok)
                    return false;
            } while (fast_eat(f, ','));
            if (!fast_eat(f, '}'))
                return false;
        }
        int fi, ti;
        if (!has_from || !has_to || !thash_get(&f->ids, from, &fi) ||
            !thash_get(&f->ids, to, &ti) ||
            map_graph_add_link(g, fi, ti, pol, delay))
            return false;
    } while (fast_eat(f, ','));
    return fast_eat(f, ']');
}

/* The graph of a plainly valid document, or NULL. */
static MapGraph *fast_read(const char *text, size_t len)
{
    Fast f = {.p = text, .end = text + len};
    MapGraph *g = map_graph_new();
    bool ok = g && fast_eat(&f, '{');
    bool items = false, links = false;
    KeySeen k = {.n = 0};
    if (ok && !fast_eat(&f, '}')) {
        do {
            const char *key;
            size_t klen;
            ok = fast_key(&f, &k, &key, &klen);
            if (ok && key_is(key, klen, "items"))
                ok = items = fast_items(&f, g);
            else if (ok && key_is(key, klen, "links"))
                ok = links = items && fast_links(&f, g);
            else if (ok)
                ok = fast_skip(&f);
        } while (ok && fast_eat(&f, ','));
        ok = ok && fast_eat(&f, '}');
    }
    fast_ws(&f);
    ok = ok && items && links && f.p == f.end;
    tbuf_free(&f.s);
    tbuf_free(&f.title);
    tbuf_free(&f.name);
    thash_free(&f.ids);
    if (!ok) {
        map_graph_free(g);
        return NULL;
    }
    return g;
}

int map_graph_from_json(const char *text, size_t len, const char *file,
                        MapGraph **out, TDiags *d)
{
    *out = fast_read(text, len);
    if (*out)
        return T_OK;
    return map_graph_from_json_tree(text, len, file, out, d);
}

int map_graph_from_json_tree(const char *text, size_t len, const char *file,
                             MapGraph **out, TDiags *d)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        /* The line itself, for the caret display. */
        char *ctx = str_line_dup(text, len, je.line);
        diags_add(d, DIAG_ERROR, file, je.line > 0 ? je.line : 0,
                  je.column > 0 ? je.column : 0, ctx, "malformed JSON: %s",
                  je.text);
        free(ctx);
        return T_EINPUT;
    }
    int errors = d->errors;
    MapGraph *g = map_graph_new();
    json_t *items = json_object_get(root, "items");
    json_t *links = json_object_get(root, "links");
    if (!g) {
        json_decref(root);
        return T_EINTERNAL;
    }
    if (!json_is_object(root))
        ferr(d, file,
             "the document must be a JSON object with 'items' and "
             "'links'");
    else if (!json_is_array(items))
        ferr(d, file, "items: expected an array");
    else if (!json_is_array(links))
        ferr(d, file, "links: expected an array");
    else {
        THash ids = {0};
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            char id[MAP_ID_MAX + 1];
            bool long_id = false;
            json_t *jid = json_object_get(it, "id");
            if (!json_is_object(it)) {
                ferr(d, file, "items[%zu]: expected an object", i);
                continue;
            }
            if (!jid || !id_text(jid, id, sizeof id, &long_id) || !id[0]) {
                if (long_id)
                    ferr(d, file, "items[%zu].id: longer than %d bytes", i,
                         MAP_ID_MAX);
                else
                    ferr(d, file,
                         "items[%zu].id: expected a string or an integer", i);
                continue;
            }
            json_t *title = json_object_get(it, "title");
            if (!title)
                title = json_object_get(it, "name");
            if (title && !json_is_string(title)) {
                ferr(d, file, "items[%zu].title: expected a string", i);
                continue;
            }
            if (thash_get(&ids, id, NULL)) {
                ferr(d, file, "items[%zu].id: duplicate id '%s'", i, id);
                continue;
            }
            int n = map_graph_add_node(g, id,
                                       title ? json_string_value(title) : NULL);
            if (n < 0) {
                ferr(d, file, "items[%zu]: too many items", i);
                break;
            }
            thash_put(&ids, g->ids[n], n);
        }
        json_array_foreach(links, i, it)
        {
            char from[MAP_ID_MAX + 1], to[MAP_ID_MAX + 1];
            bool long_id = false;
            int f = -1, t = -1;
            if (!json_is_object(it)) {
                ferr(d, file, "links[%zu]: expected an object", i);
                continue;
            }
            json_t *jf = json_object_get(it, "from");
            json_t *jt = json_object_get(it, "to");
            if (!jf || !id_text(jf, from, sizeof from, &long_id)) {
                if (long_id)
                    ferr(d, file, "links[%zu].from: longer than %d bytes", i,
                         MAP_ID_MAX);
                else
                    ferr(d, file, "links[%zu].from: expected an item id", i);
                continue;
            }
            if (!jt || !id_text(jt, to, sizeof to, &long_id)) {
                if (long_id)
                    ferr(d, file, "links[%zu].to: longer than %d bytes", i,
                         MAP_ID_MAX);
                else
                    ferr(d, file, "links[%zu].to: expected an item id", i);
                continue;
            }
            if (!thash_get(&ids, from, &f)) {
                ferr(d, file, "links[%zu].from: unknown item '%s'", i, from);
                continue;
            }
            if (!thash_get(&ids, to, &t)) {
                ferr(d, file, "links[%zu].to: unknown item '%s'", i, to);
                continue;
            }
            MapPolarity pol;
            if (!parse_polarity(json_object_get(it, "polarity"), &pol)) {
                ferr(d, file,
                     "links[%zu].polarity: expected \"+\", \"-\" or \"?\"", i);
                continue;
            }
            json_t *jd = json_object_get(it, "delay");
            if (jd && !json_is_boolean(jd)) {
                ferr(d, file, "links[%zu].delay: expected true or false", i);
                continue;
            }
            if (map_graph_add_link(g, f, t, pol, jd && json_is_true(jd))) {
                ferr(d, file, "links[%zu]: too many links", i);
                break;
            }
        }
        thash_free(&ids);
    }
    json_decref(root);
    if (d->errors > errors) {
        map_graph_free(g);
        return T_EINPUT;
    }
    *out = g;
    return T_OK;
}
