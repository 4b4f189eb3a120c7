/*
 * export.c - a workspace document (docs/http-api.md, "The workspace
 * document") written as GraphML, Graphviz DOT or the items as RFC 4180
 * CSV. The document is read with jansson and checked first: every problem
 * is reported with the path of its field (`items[3].id: missing`,
 * `links[2].to: unknown item 'x'`) and nothing is written when there is
 * any.
 *
 * The map formats hold the map as the browser draws it: items that are
 * open (no status, or "open") and not hidden, and the links between them
 * that are not hidden. The CSV lists every item of the document.
 *
 * Ownership: the parsed document (ExDoc) lives for one call; the caller
 * owns the output buffer and the diagnostics.
 */
#include "map.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_DOC_MAX ((size_t)256 << 20) /* bytes of JSON read */
#define EX_ID_MAX 255                  /* bytes in an id */
#define EX_MAX_ITEMS 1000000           /* items in a document */
#define EX_MAX_LINKS 10000000          /* links in a document */

typedef struct ExTheme {
    const char *id;    /* the document's theme id, as text */
    const char *name;  /* its name, or the id when it has none */
    const char *color; /* "#rrggbb", or NULL */
} ExTheme;

typedef struct ExItem {
    const char *id;          /* the document's item id, as text */
    const char *title;       /* borrowed from the JSON tree */
    const char *body;        /* borrowed, or NULL */
    int theme;               /* index into themes, or -1 */
    const char *status;      /* "open", "merged" or "deleted" */
    const char *merged_into; /* the target item's id, or NULL */
    bool hidden;             /* hidden by a facilitator */
    json_t *importance;      /* a number, or NULL */
    json_t *uncertainty;     /* a number, or NULL */
    json_t *ratings;         /* a number, or NULL */
} ExItem;

typedef struct ExLink {
    int from, to;     /* item indices */
    MapPolarity pol;  /* +, - or ? */
    bool delay;       /* acts with a delay */
    const char *note; /* borrowed, or NULL */
    bool hidden;      /* hidden by a facilitator */
} ExLink;

typedef struct ExDoc {
    json_t *root;     /* the parsed document; owns the borrowed strings */
    Arena arena;      /* ids as text */
    const char *name; /* the workspace's name, or NULL */
    int nthemes;      /* themes */
    ExTheme *themes;  /* in document order */
    int nitems;       /* items */
    ExItem *items;    /* in document order */
    int nlinks;       /* links */
    ExLink *links;    /* in document order */
    const char *file; /* for diagnostics, or NULL */
    TDiags *d;        /* where problems go */
} ExDoc;

static void ex_free(ExDoc *x)
{
    json_decref(x->root);
    arena_free(&x->arena);
    free(x->themes);
    free(x->items);
    free(x->links);
}

static void ferr(ExDoc *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ferr(ExDoc *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(x->d, DIAG_ERROR, x->file, 0, 0, NULL, fmt, ap);
    va_end(ap);
}

/* An id is a non-empty string of at most EX_ID_MAX bytes, or an integer;
 * both become text in the arena. Reports and returns NULL otherwise. */
static const char *id_text(ExDoc *x, json_t *v, const char *what, size_t i,
                           const char *field)
{
    if (!v) {
        ferr(x, "%s[%zu].%s: missing", what, i, field);
        return NULL;
    }
    if (json_is_integer(v))
        return arena_printf(&x->arena, "%" JSON_INTEGER_FORMAT,
                            json_integer_value(v));
    if (!json_is_string(v)) {
        ferr(x, "%s[%zu].%s: expected a string or an integer", what, i, field);
        return NULL;
    }
    size_t n = json_string_length(v);
    if (n == 0) {
        ferr(x, "%s[%zu].%s: empty", what, i, field);
        return NULL;
    }
    if (n > EX_ID_MAX || strlen(json_string_value(v)) != n) {
        ferr(x, "%s[%zu].%s: longer than %d bytes", what, i, field, EX_ID_MAX);
        return NULL;
    }
    return arena_strndup(&x->arena, json_string_value(v), n);
}

/* An optional string field: NULL when absent or null; reports a value of
 * another type and sets *bad. */
static const char *opt_string(ExDoc *x, json_t *o, const char *what, size_t i,
                              const char *field, bool *bad)
{
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        ferr(x, "%s[%zu].%s: expected a string", what, i, field);
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

static bool opt_bool(ExDoc *x, json_t *o, const char *what, size_t i,
                     const char *field, bool *bad)
{
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v))
        return false;
    if (!json_is_boolean(v)) {
        ferr(x, "%s[%zu].%s: expected true or false", what, i, field);
        *bad = true;
        return false;
    }
    return json_is_true(v);
}

static json_t *opt_number(ExDoc *x, json_t *o, size_t i, const char *field,
                          bool *bad)
{
    json_t *v = json_object_get(o, field);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_number(v)) {
        ferr(x, "items[%zu].%s: expected a number", i, field);
        *bad = true;
        return NULL;
    }
    return v;
}

static bool is_color(const char *s)
{
    if (strlen(s) != 7 || s[0] != '#')
        return false;
    for (int i = 1; i < 7; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
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
        *out = i > 0 ? MAP_POS : i < 0 ? MAP_NEG : MAP_UNKNOWN;
        return i >= -1 && i <= 1;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
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

/* How many bytes of s to quote in a message: at most EX_ID_MAX, cut at a
 * character boundary. */
static int quoted(const char *s)
{
    size_t n = strnlen(s, EX_ID_MAX + 1);
    if (n > EX_ID_MAX) {
        n = EX_ID_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

/* A JSON syntax error, with the line itself for the caret display. */
static void json_syntax(ExDoc *x, const char *text, size_t len,
                        const json_error_t *je)
{
    char *ctx = str_line_dup(text, len, je->line);
    diags_add(x->d, DIAG_ERROR, x->file, je->line > 0 ? je->line : 0,
              je->column > 0 ? je->column : 0, ctx, "malformed JSON: %s",
              je->text);
    free(ctx);
}

static int read_themes(ExDoc *x, json_t *themes, THash *ids)
{
    size_t i;
    json_t *t;
    x->themes = calloc(json_array_size(themes) + 1, sizeof *x->themes);
    if (!x->themes)
        return T_EINTERNAL;
    json_array_foreach(themes, i, t)
    {
        if (!json_is_object(t)) {
            ferr(x, "themes[%zu]: expected an object", i);
            continue;
        }
        bool bad = false;
        const char *id =
            id_text(x, json_object_get(t, "id"), "themes", i, "id");
        const char *name = opt_string(x, t, "themes", i, "name", &bad);
        const char *color = opt_string(x, t, "themes", i, "color", &bad);
        if (color && !is_color(color)) {
            ferr(x, "themes[%zu].color: expected a colour like \"#d95f02\"", i);
            bad = true;
        }
        if (!id || bad)
            continue;
        if (thash_get(ids, id, NULL)) {
            ferr(x, "themes[%zu].id: duplicate id '%s'", i, id);
            continue;
        }
        ExTheme *th = &x->themes[x->nthemes];
        *th = (ExTheme){id, name ? name : id, color};
        if (thash_put(ids, id, x->nthemes++))
            return T_EINTERNAL;
    }
    return T_OK;
}

static const char *const STATUS[] = {"open", "merged", "deleted"};

/* Items, first pass: everything but merged_into, which may name a later
 * item. merged[] keeps each item's raw merged_into for the second. */
static int read_items(ExDoc *x, json_t *items, const THash *themes, THash *ids,
                      json_t **merged, size_t *index)
{
    size_t i;
    json_t *it;
    x->items = calloc(json_array_size(items) + 1, sizeof *x->items);
    if (!x->items)
        return T_EINTERNAL;
    json_array_foreach(items, i, it)
    {
        if (!json_is_object(it)) {
            ferr(x, "items[%zu]: expected an object", i);
            continue;
        }
        bool bad = false;
        ExItem e = {0};
        e.theme = -1;
        e.id = id_text(x, json_object_get(it, "id"), "items", i, "id");
        json_t *title = json_object_get(it, "title");
        if (!title) {
            ferr(x, "items[%zu].title: missing", i);
            bad = true;
        } else if (!json_is_string(title)) {
            ferr(x, "items[%zu].title: expected a string", i);
            bad = true;
        } else {
            e.title = json_string_value(title);
        }
        e.body = opt_string(x, it, "items", i, "body", &bad);
        json_t *th = json_object_get(it, "theme");
        if (th && !json_is_null(th)) {
            char num[32];
            const char *tid = NULL;
            if (json_is_string(th))
                tid = json_string_value(th);
            else if (json_is_integer(th)) {
                snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(th));
                tid = num;
            }
            if (!tid) {
                ferr(x, "items[%zu].theme: expected a theme id", i);
                bad = true;
            } else if (!thash_get(themes, tid, &e.theme)) {
                ferr(x, "items[%zu].theme: unknown theme '%.*s'", i,
                     quoted(tid), tid);
                bad = true;
            }
        }
        e.status = opt_string(x, it, "items", i, "status", &bad);
        if (e.status) {
            int k = 0;
            while (k < 3 && strcmp(e.status, STATUS[k]))
                k++;
            if (k == 3) {
                ferr(x,
                     "items[%zu].status: expected \"open\", \"merged\" or "
                     "\"deleted\"",
                     i);
                bad = true;
            }
        } else {
            e.status = "open";
        }
        e.hidden = opt_bool(x, it, "items", i, "hidden", &bad);
        e.importance = opt_number(x, it, i, "importance", &bad);
        e.uncertainty = opt_number(x, it, i, "uncertainty", &bad);
        e.ratings = opt_number(x, it, i, "ratings", &bad);
        if (!e.id || bad)
            continue;
        if (thash_get(ids, e.id, NULL)) {
            ferr(x, "items[%zu].id: duplicate id '%s'", i, e.id);
            continue;
        }
        if (x->nitems >= EX_MAX_ITEMS) {
            ferr(x, "items[%zu]: more than %d items", i, EX_MAX_ITEMS);
            break;
        }
        merged[x->nitems] = json_object_get(it, "merged_into");
        index[x->nitems] = i;
        x->items[x->nitems] = e;
        if (thash_put(ids, e.id, x->nitems++))
            return T_EINTERNAL;
    }
    for (int k = 0; k < x->nitems; k++) {
        json_t *m = merged[k];
        if (!m || json_is_null(m))
            continue;
        char num[32];
        const char *mid = NULL;
        if (json_is_string(m))
            mid = json_string_value(m);
        else if (json_is_integer(m)) {
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(m));
            mid = num;
        }
        int target;
        if (!mid)
            ferr(x, "items[%zu].merged_into: expected an item id", index[k]);
        else if (!thash_get(ids, mid, &target))
            ferr(x, "items[%zu].merged_into: unknown item '%.*s'", index[k],
                 quoted(mid), mid);
        else
            x->items[k].merged_into = x->items[target].id;
    }
    return T_OK;
}

/* A link end: the index of the item it names, or -1 (reported). */
static int link_end(ExDoc *x, json_t *l, size_t i, const char *field,
                    const THash *ids)
{
    json_t *v = json_object_get(l, field);
    char num[32];
    const char *id = NULL;
    if (!v) {
        ferr(x, "links[%zu].%s: missing", i, field);
        return -1;
    }
    if (json_is_string(v))
        id = json_string_value(v);
    else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        id = num;
    }
    int k;
    if (!id) {
        ferr(x, "links[%zu].%s: expected an item id", i, field);
        return -1;
    }
    if (!thash_get(ids, id, &k)) {
        ferr(x, "links[%zu].%s: unknown item '%.*s'", i, field, quoted(id), id);
        return -1;
    }
    return k;
}

static int read_links(ExDoc *x, json_t *links, const THash *ids)
{
    size_t i;
    json_t *l;
    x->links = calloc(json_array_size(links) + 1, sizeof *x->links);
    if (!x->links)
        return T_EINTERNAL;
    json_array_foreach(links, i, l)
    {
        if (!json_is_object(l)) {
            ferr(x, "links[%zu]: expected an object", i);
            continue;
        }
        bool bad = false;
        ExLink e = {0};
        e.from = link_end(x, l, i, "from", ids);
        e.to = link_end(x, l, i, "to", ids);
        if (!parse_polarity(json_object_get(l, "polarity"), &e.pol)) {
            ferr(x, "links[%zu].polarity: expected \"+\", \"-\" or \"?\"", i);
            bad = true;
        }
        e.delay = opt_bool(x, l, "links", i, "delay", &bad);
        e.hidden = opt_bool(x, l, "links", i, "hidden", &bad);
        e.note = opt_string(x, l, "links", i, "note", &bad);
        if (e.from < 0 || e.to < 0 || bad)
            continue;
        if (x->nlinks >= EX_MAX_LINKS) {
            ferr(x, "links[%zu]: more than %d links", i, EX_MAX_LINKS);
            break;
        }
        x->links[x->nlinks++] = e;
    }
    return T_OK;
}

/* Parses and checks the document. T_OK, T_EINPUT (reported) or
 * T_EINTERNAL. */
static int ex_read(ExDoc *x, const char *text, size_t len)
{
    if (len > EX_DOC_MAX) {
        ferr(x, "the document is larger than %zu MiB", EX_DOC_MAX >> 20);
        return T_EINPUT;
    }
    json_error_t je;
    x->root = json_loadb(text ? text : "", text ? len : 0,
                         JSON_REJECT_DUPLICATES, &je);
    if (!x->root) {
        json_syntax(x, text ? text : "", text ? len : 0, &je);
        return T_EINPUT;
    }
    int errors = x->d->errors;
    json_t *root = x->root;
    if (!json_is_object(root)) {
        ferr(x, "the document must be a JSON object with 'items' and "
                "'links'");
        return T_EINPUT;
    }
    json_t *themes = json_object_get(root, "themes");
    json_t *items = json_object_get(root, "items");
    json_t *links = json_object_get(root, "links");
    json_t *name = json_object_get(root, "name");
    if (json_is_string(name))
        x->name = json_string_value(name);
    else if (name && !json_is_null(name))
        ferr(x, "name: expected a string");
    if (themes && !json_is_null(themes) && !json_is_array(themes))
        ferr(x, "themes: expected an array");
    if (!items)
        ferr(x, "items: missing");
    else if (!json_is_array(items))
        ferr(x, "items: expected an array");
    if (links && !json_is_null(links) && !json_is_array(links))
        ferr(x, "links: expected an array");
    if (x->d->errors > errors)
        return T_EINPUT;

    THash theme_ids = {0}, item_ids = {0};
    size_t n = json_array_size(items);
    json_t **merged = calloc(n + 1, sizeof *merged);
    size_t *index = calloc(n + 1, sizeof *index);
    int rc = merged && index ? T_OK : T_EINTERNAL;
    if (rc == T_OK && json_is_array(themes))
        rc = read_themes(x, themes, &theme_ids);
    if (rc == T_OK)
        rc = read_items(x, items, &theme_ids, &item_ids, merged, index);
    if (rc == T_OK && json_is_array(links))
        rc = read_links(x, links, &item_ids);
    thash_free(&theme_ids);
    thash_free(&item_ids);
    free(merged);
    free(index);
    if (rc == T_OK && x->d->errors > errors)
        rc = T_EINPUT;
    return rc;
}

/* ---- writers ---------------------------------------------------------- */

/* The output being written, with the first failure kept: a failed append
 * can be followed by one that succeeds, so each call is checked. */
typedef struct Out {
    TBuf b;  /* the text so far */
    int err; /* T_OK, or T_EINTERNAL once any append failed */
} Out;

static void o_check(Out *o, int rc)
{
    if (rc != T_OK)
        o->err = T_EINTERNAL;
}

static void o_puts(Out *o, const char *s)
{
    o_check(o, tbuf_puts(&o->b, s));
}

static void o_putc(Out *o, char c)
{
    o_check(o, tbuf_putc(&o->b, c));
}

static void o_printf(Out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void o_printf(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    o_check(o, tbuf_vprintf(&o->b, fmt, ap));
    va_end(ap);
}

static bool on_map(const ExItem *it)
{
    return !it->hidden && !strcmp(it->status, "open");
}

static bool link_on_map(const ExDoc *x, const ExLink *l)
{
    return !l->hidden && on_map(&x->items[l->from]) && on_map(&x->items[l->to]);
}

static const char *pol_text(MapPolarity p)
{
    return p == MAP_POS ? "+" : p == MAP_NEG ? "-" : "?";
}

/* U+FFFE or U+FFFF at p: XML 1.0 does not allow them, jansson accepts
 * them, and tbuf_put_xml_escaped lets them through. */
static bool non_char(const char *p)
{
    return (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbf &&
           ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf);
}

/* XML text or attribute value: tbuf_put_xml_escaped on s, or on a copy
 * without the non-characters when it has any. */
static void put_xml(Out *o, const char *s)
{
    bool clean = true;
    for (const char *p = s; *p && clean; p++)
        clean = !non_char(p);
    if (clean) {
        o_check(o, tbuf_put_xml_escaped(&o->b, s));
        return;
    }
    TBuf c = {0};
    for (const char *p = s; *p; p++) {
        if (non_char(p))
            p += 2;
        else
            o_check(o, tbuf_putc(&c, *p));
    }
    o_check(o, tbuf_put_xml_escaped(&o->b, tbuf_cstr(&c)));
    tbuf_free(&c);
}

static void put_data(Out *o, const char *key, const char *value)
{
    o_printf(o, "      <data key=\"%s\">", key);
    put_xml(o, value);
    o_puts(o, "</data>\n");
}

static unsigned hex2(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        v = v * 16 + (unsigned)(c <= '9'   ? c - '0'
                                : c <= 'F' ? c - 'A' + 10
                                           : c - 'a' + 10);
    }
    return v;
}

/* Light text on dark fills: relative luminance under a half. */
static bool is_dark(const char *color)
{
    double r = hex2(color + 1), g = hex2(color + 3), b = hex2(color + 5);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.5;
}

/* GraphML with every key declared: labels, themes and colours (also as
 * r, g, b, which Gephi reads) on nodes, polarity, delay and note on edges,
 * and yEd's graphics elements so yEd shows labels, fills and arrows. Node
 * ids are n<index> because GraphML ids must be NMTOKENs; the item's own
 * id is in the "item" key. */
static void write_graphml(const ExDoc *x, Out *o)
{
    o_puts(o,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\"\n"
           "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
           "    xmlns:y=\"http://www.yworks.com/xml/graphml\"\n"
           "    xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
           "http://www.yworks.com/xml/schema/graphml/1.1/ygraphml.xsd\">\n"
           "  <key id=\"label\" for=\"node\" attr.name=\"label\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"item\" for=\"node\" attr.name=\"item\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"body\" for=\"node\" attr.name=\"body\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"theme\" for=\"node\" attr.name=\"theme\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"color\" for=\"node\" attr.name=\"color\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"r\" for=\"node\" attr.name=\"r\" attr.type=\"int\"/>\n"
           "  <key id=\"g\" for=\"node\" attr.name=\"g\" attr.type=\"int\"/>\n"
           "  <key id=\"b\" for=\"node\" attr.name=\"b\" attr.type=\"int\"/>\n"
           "  <key id=\"ng\" for=\"node\" yfiles.type=\"nodegraphics\"/>\n"
           "  <key id=\"polarity\" for=\"edge\" attr.name=\"polarity\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"delay\" for=\"edge\" attr.name=\"delay\" "
           "attr.type=\"boolean\">\n"
           "    <default>false</default>\n"
           "  </key>\n"
           "  <key id=\"note\" for=\"edge\" attr.name=\"note\" "
           "attr.type=\"string\"/>\n"
           "  <key id=\"eg\" for=\"edge\" yfiles.type=\"edgegraphics\"/>\n"
           "  <graph id=\"G\" edgedefault=\"directed\">\n");
    for (int i = 0; i < x->nitems; i++) {
        const ExItem *it = &x->items[i];
        if (!on_map(it))
            continue;
        const ExTheme *th = it->theme >= 0 ? &x->themes[it->theme] : NULL;
        o_printf(o, "    <node id=\"n%d\">\n", i);
        put_data(o, "label", it->title);
        put_data(o, "item", it->id);
        if (it->body)
            put_data(o, "body", it->body);
        if (th)
            put_data(o, "theme", th->name);
        if (th && th->color) {
            put_data(o, "color", th->color);
            o_printf(o,
                     "      <data key=\"r\">%u</data>\n"
                     "      <data key=\"g\">%u</data>\n"
                     "      <data key=\"b\">%u</data>\n",
                     hex2(th->color + 1), hex2(th->color + 3),
                     hex2(th->color + 5));
        }
        const char *fill = th && th->color ? th->color : "#FFFFFF";
        o_printf(o,
                 "      <data key=\"ng\"><y:ShapeNode>"
                 "<y:Fill color=\"%s\" transparent=\"false\"/>"
                 "<y:Shape type=\"roundrectangle\"/>"
                 "<y:NodeLabel textColor=\"%s\">",
                 fill, is_dark(fill) ? "#FFFFFF" : "#000000");
        put_xml(o, it->title);
        o_puts(o, "</y:NodeLabel></y:ShapeNode></data>\n    </node>\n");
    }
    for (int i = 0; i < x->nlinks; i++) {
        const ExLink *l = &x->links[i];
        if (!link_on_map(x, l))
            continue;
        o_printf(o, "    <edge id=\"e%d\" source=\"n%d\" target=\"n%d\">\n", i,
                 l->from, l->to);
        put_data(o, "polarity", pol_text(l->pol));
        put_data(o, "delay", l->delay ? "true" : "false");
        if (l->note)
            put_data(o, "note", l->note);
        o_printf(o,
                 "      <data key=\"eg\"><y:PolyLineEdge>"
                 "<y:Arrows source=\"none\" target=\"standard\"/>"
                 "<y:EdgeLabel>%s%s</y:EdgeLabel></y:PolyLineEdge>"
                 "</data>\n    </edge>\n",
                 pol_text(l->pol), l->delay ? " ||" : "");
    }
    o_puts(o, "  </graph>\n</graphml>\n");
}

/* A DOT double-quoted string that Graphviz reads back as s: a quote and a
 * backslash escaped (in a label Graphviz reads "\\" as one backslash),
 * line breaks as \n (CR LF as one), tabs as spaces, other control
 * characters dropped. */
static void put_dot(Out *o, const char *s)
{
    o_putc(o, '"');
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            o_putc(o, '\\');
            o_putc(o, (char)c);
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && p[1] == '\n')
                p++;
            o_puts(o, "\\n");
        } else if (c == '\t') {
            o_putc(o, ' ');
        } else if (c >= 0x20 && c != 0x7f) {
            o_putc(o, (char)c);
        }
    }
    o_putc(o, '"');
}

/* DOT: nodes n<index> labelled with the title and filled with the theme
 * colour (the item id as the SVG id, the theme as the tooltip); edges
 * labelled with the polarity, " ||" added for a delay, negative links
 * dashed. */
static void write_dot(const ExDoc *x, Out *o)
{
    o_puts(o, "digraph ");
    put_dot(o, x->name ? x->name : "map");
    o_puts(o, " {\n"
              "  graph [rankdir=LR, overlap=false, splines=true];\n"
              "  node [shape=box, style=\"rounded,filled\", "
              "fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n"
              "  edge [fontname=\"Helvetica\"];\n");
    for (int i = 0; i < x->nitems; i++) {
        const ExItem *it = &x->items[i];
        if (!on_map(it))
            continue;
        const ExTheme *th = it->theme >= 0 ? &x->themes[it->theme] : NULL;
        o_printf(o, "  n%d [label=", i);
        put_dot(o, it->title);
        o_puts(o, ", id=");
        put_dot(o, it->id);
        if (th && th->color) {
            o_printf(o, ", fillcolor=\"%s\"", th->color);
            if (is_dark(th->color))
                o_puts(o, ", fontcolor=\"#ffffff\"");
        }
        if (th) {
            o_puts(o, ", tooltip=");
            put_dot(o, th->name);
        }
        o_puts(o, "];\n");
    }
    for (int i = 0; i < x->nlinks; i++) {
        const ExLink *l = &x->links[i];
        if (!link_on_map(x, l))
            continue;
        o_printf(o, "  n%d -> n%d [label=\"%s%s\"", l->from, l->to,
                 pol_text(l->pol), l->delay ? " ||" : "");
        if (l->pol == MAP_NEG)
            o_puts(o, ", style=dashed");
        if (l->note) {
            o_puts(o, ", tooltip=");
            put_dot(o, l->note);
        }
        o_puts(o, "];\n");
    }
    o_puts(o, "}\n");
}

/* One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF,
 * with quotes doubled; also when it starts or ends with a space or a tab,
 * which many readers (libcsv among them) trim from unquoted fields. */
static void put_csv(Out *o, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    bool edge = n > 0 && (strchr(" \t", s[0]) || strchr(" \t", s[n - 1]));
    if (!edge && !strpbrk(s, ",\"\r\n")) {
        o_puts(o, s);
        return;
    }
    o_putc(o, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            o_putc(o, '"');
        o_putc(o, *p);
    }
    o_putc(o, '"');
}

static void put_num(Out *o, const json_t *v)
{
    if (!v)
        return;
    if (json_is_integer(v))
        o_printf(o, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (isfinite(json_real_value(v)))
        o_printf(o, "%.15g", json_real_value(v));
}

/* The items, one row each with CRLF line ends; the theme by name. */
static void write_csv(const ExDoc *x, Out *o)
{
    o_puts(o, "id,title,body,theme,status,merged_into,importance,"
              "uncertainty,ratings\r\n");
    for (int i = 0; i < x->nitems; i++) {
        const ExItem *it = &x->items[i];
        put_csv(o, it->id);
        o_putc(o, ',');
        put_csv(o, it->title);
        o_putc(o, ',');
        put_csv(o, it->body);
        o_putc(o, ',');
        put_csv(o, it->theme >= 0 ? x->themes[it->theme].name : NULL);
        o_putc(o, ',');
        put_csv(o, it->status);
        o_putc(o, ',');
        put_csv(o, it->merged_into);
        o_putc(o, ',');
        put_num(o, it->importance);
        o_putc(o, ',');
        put_num(o, it->uncertainty);
        o_putc(o, ',');
        put_num(o, it->ratings);
        o_puts(o, "\r\n");
    }
}

int map_export(const char *doc, size_t len, const char *file,
               MapExportFormat fmt, TBuf *out, TDiags *d)
{
    ExDoc x = {0};
    x.file = file;
    x.d = d;
    arena_init(&x.arena);
    int rc = ex_read(&x, doc, len);
    if (rc == T_OK) {
        /* Written aside first, so a failure appends nothing. */
        Out o = {{0}, T_OK};
        if (fmt == MAP_EXPORT_GRAPHML)
            write_graphml(&x, &o);
        else if (fmt == MAP_EXPORT_DOT)
            write_dot(&x, &o);
        else
            write_csv(&x, &o);
        rc = o.err;
        if (rc == T_OK && o.b.len &&
            tbuf_append(out, o.b.data, o.b.len) != T_OK)
            rc = T_EINTERNAL;
        tbuf_free(&o.b);
    }
    ex_free(&x);
    return rc;
}

int map_export_graphml(const char *doc, size_t len, TBuf *out, TDiags *d)
{
    return map_export(doc, len, NULL, MAP_EXPORT_GRAPHML, out, d) ? -1 : 0;
}

int map_export_dot(const char *doc, size_t len, TBuf *out, TDiags *d)
{
    return map_export(doc, len, NULL, MAP_EXPORT_DOT, out, d) ? -1 : 0;
}

int map_export_items_csv(const char *doc, size_t len, TBuf *out, TDiags *d)
{
    return map_export(doc, len, NULL, MAP_EXPORT_CSV, out, d) ? -1 : 0;
}
