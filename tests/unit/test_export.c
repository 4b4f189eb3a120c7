/*
 * test_export.c - unit tests of the workspace document exports
 * (src/map/export.c). Each output is read back by an independent reader:
 * GraphML by expat (well-formed, every data key declared, labels equal to
 * the titles), DOT by a small lexer that follows Graphviz's quoting rules
 * (every statement parses, labels unescape to the titles), CSV by libcsv
 * (every field equal to the document's). Hostile titles carry quotes,
 * backslashes, line breaks, control characters, `<`, `>` and `&`. The
 * document checks are pinned by their field-path messages.
 */
#include "unit.h"

#include <csv.h>
#include <ctype.h>
#include <expat.h>
#include <jansson.h>

#include "map/map.h"

#define STARTER "workspaces/starter.json"

/* ---- helpers ---------------------------------------------------------- */

/* Exports doc in fmt into out (appending); returns the status. */
static int run(MapExportFormat fmt, const char *doc, TBuf *out, TDiags *d)
{
    return map_export(doc, strlen(doc), "doc.json", fmt, out, d);
}

/* The export of a document that must be valid, as a malloc'd string. */
static char *ok(MapExportFormat fmt, const char *doc)
{
    TBuf out = {0};
    TDiags d = {0};
    int rc = run(fmt, doc, &out, &d);
    if (rc != T_OK) {
        char msg[2048];
        u_format(&d, msg, sizeof msg);
        print_error("export failed:\n%s", msg);
    }
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    tbuf_cstr(&out);
    return out.data;
}

static char *starter_text(void)
{
    TBuf b = {0};
    assert_int_equal(tbuf_read_file(&b, STARTER, (size_t)1 << 26), T_OK);
    tbuf_cstr(&b);
    return b.data;
}

/* What an XML parser gives back for text written from s: control
 * characters other than tab, LF and CR dropped, U+FFFE/U+FFFF dropped,
 * and CR LF or a lone CR read as LF (XML's end-of-line handling). */
static char *xml_expect(const char *s)
{
    TBuf b = {0};
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == 0xef && (unsigned char)p[1] == 0xbf &&
            ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf)) {
            p += 2;
            continue;
        }
        if (c == '\r') {
            if (p[1] == '\n')
                p++;
            tbuf_putc(&b, '\n');
        } else if (c >= 0x20 || c == '\t' || c == '\n') {
            tbuf_putc(&b, (char)c);
        }
    }
    tbuf_cstr(&b);
    return b.data;
}

/* What Graphviz shows for a label written from s: CR LF or a lone CR as
 * a line break, tabs as spaces, other control characters dropped. */
static char *dot_expect(const char *s)
{
    TBuf b = {0};
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\r' || c == '\n') {
            if (c == '\r' && p[1] == '\n')
                p++;
            tbuf_putc(&b, '\n');
        } else if (c == '\t') {
            tbuf_putc(&b, ' ');
        } else if (c >= 0x20 && c != 0x7f) {
            tbuf_putc(&b, (char)c);
        }
    }
    tbuf_cstr(&b);
    return b.data;
}

/* ---- GraphML read back with expat ------------------------------------- */

#define GX_MAX 256 /* nodes, edges and keys a test document may have */

typedef struct GraphmlRead {
    int depth;                    /* element depth */
    int nkeys;                    /* <key> elements */
    char key_id[GX_MAX][32];      /* their ids */
    char key_for[GX_MAX][8];      /* node or edge */
    int nnodes, nedges;           /* elements seen */
    char node_id[GX_MAX][16];     /* each node's id */
    char *label[GX_MAX];          /* each node's "label" data */
    char *item[GX_MAX];           /* each node's "item" data */
    char *theme[GX_MAX];          /* each node's "theme" data, or NULL */
    char *note[GX_MAX];           /* each edge's "note" data, or NULL */
    char *polarity[GX_MAX];       /* each edge's "polarity" data */
    char *delay[GX_MAX];          /* each edge's "delay" data */
    int src[GX_MAX], dst[GX_MAX]; /* each edge's ends, as node numbers */
    char parent[8];               /* "node" or "edge": the element data is in */
    char data_key[32];            /* key of the <data> being read, or "" */
    TBuf text;                    /* its text so far */
    int errors;                   /* problems found */
} GraphmlRead;

static const char *attr(const XML_Char **a, const char *name)
{
    for (int i = 0; a[i]; i += 2)
        if (!strcmp(a[i], name))
            return a[i + 1];
    return NULL;
}

static int node_num(const GraphmlRead *g, const char *id)
{
    for (int i = 0; id && i < g->nnodes; i++)
        if (!strcmp(g->node_id[i], id))
            return i;
    return -1;
}

static void XMLCALL gx_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    GraphmlRead *g = ud;
    g->depth++;
    if (!strcmp(name, "key") && g->nkeys < GX_MAX) {
        const char *id = attr(a, "id"), *f = attr(a, "for");
        if (!id || !f) {
            g->errors++;
            return;
        }
        snprintf(g->key_id[g->nkeys], sizeof g->key_id[0], "%s", id);
        snprintf(g->key_for[g->nkeys++], sizeof g->key_for[0], "%s", f);
    } else if (!strcmp(name, "node") && g->nnodes < GX_MAX) {
        snprintf(g->node_id[g->nnodes++], sizeof g->node_id[0], "%s",
                 attr(a, "id") ? attr(a, "id") : "");
        snprintf(g->parent, sizeof g->parent, "node");
    } else if (!strcmp(name, "edge") && g->nedges < GX_MAX) {
        g->src[g->nedges] = node_num(g, attr(a, "source"));
        g->dst[g->nedges] = node_num(g, attr(a, "target"));
        if (g->src[g->nedges] < 0 || g->dst[g->nedges] < 0)
            g->errors++; /* an edge to a node not (yet) declared */
        g->nedges++;
        snprintf(g->parent, sizeof g->parent, "edge");
    } else if (!strcmp(name, "data")) {
        const char *k = attr(a, "key");
        int i = 0;
        while (k && i < g->nkeys && strcmp(g->key_id[i], k))
            i++;
        if (!k || i == g->nkeys || strcmp(g->key_for[i], g->parent)) {
            print_error("data key '%s' not declared for %s\n", k ? k : "",
                        g->parent);
            g->errors++;
        }
        snprintf(g->data_key, sizeof g->data_key, "%s", k ? k : "");
        g->text.len = 0;
    }
}

static void XMLCALL gx_end(void *ud, const XML_Char *name)
{
    GraphmlRead *g = ud;
    g->depth--;
    if (strcmp(name, "data") || !g->data_key[0])
        return;
    const char *k = g->data_key;
    char *t = strdup(tbuf_cstr(&g->text));
    char **slot = NULL;
    if (!strcmp(g->parent, "node") && g->nnodes > 0) {
        int n = g->nnodes - 1;
        slot = !strcmp(k, "label")   ? &g->label[n]
               : !strcmp(k, "item")  ? &g->item[n]
               : !strcmp(k, "theme") ? &g->theme[n]
                                     : NULL;
    } else if (!strcmp(g->parent, "edge") && g->nedges > 0) {
        int n = g->nedges - 1;
        slot = !strcmp(k, "note")       ? &g->note[n]
               : !strcmp(k, "polarity") ? &g->polarity[n]
               : !strcmp(k, "delay")    ? &g->delay[n]
                                        : NULL;
    }
    if (slot) {
        free(*slot);
        *slot = t;
    } else {
        free(t);
    }
    g->data_key[0] = 0;
}

static void XMLCALL gx_text(void *ud, const XML_Char *s, int len)
{
    GraphmlRead *g = ud;
    if (g->data_key[0])
        tbuf_append(&g->text, s, (size_t)len);
}

/* Parses GraphML; fails the test when expat or the key checks do. */
static void graphml_read(const char *xml, GraphmlRead *g)
{
    memset(g, 0, sizeof *g);
    XML_Parser p = XML_ParserCreate("UTF-8");
    assert_non_null(p);
    XML_SetUserData(p, g);
    XML_SetElementHandler(p, gx_start, gx_end);
    XML_SetCharacterDataHandler(p, gx_text);
    if (XML_Parse(p, xml, (int)strlen(xml), 1) != XML_STATUS_OK) {
        print_error("GraphML line %lu: %s\n",
                    (unsigned long)XML_GetCurrentLineNumber(p),
                    XML_ErrorString(XML_GetErrorCode(p)));
        g->errors++;
    }
    XML_ParserFree(p);
    assert_int_equal(g->errors, 0);
}

static void graphml_free(GraphmlRead *g)
{
    for (int i = 0; i < GX_MAX; i++) {
        free(g->label[i]);
        free(g->item[i]);
        free(g->theme[i]);
        free(g->note[i]);
        free(g->polarity[i]);
        free(g->delay[i]);
    }
    tbuf_free(&g->text);
}

/* ---- DOT read back by a lexer that follows Graphviz's ----------------- */

/* In a DOT quoted string Graphviz turns \" into a quote; in a label,
 * \\ is one backslash and \n a line break. We write no other escape, so
 * any other backslash sequence, or a raw line break inside a string, is
 * an error here. */
typedef struct DotRead {
    int nnodes, nedges;           /* statements seen */
    char *node_id[GX_MAX];        /* n<k> */
    char *label[GX_MAX];          /* node labels, unescaped */
    char *node_attr[GX_MAX];      /* the rest of each node's attributes */
    int src[GX_MAX], dst[GX_MAX]; /* edge ends, as node numbers */
    char *edge_label[GX_MAX];     /* edge labels */
    char *edge_attr[GX_MAX];      /* the rest of each edge's attributes */
    char *name;                   /* the graph's name */
} DotRead;

typedef struct DotLex {
    const char *p;  /* next character */
    char tok[4096]; /* the token's text, unescaped */
    char kind;      /* 'i' identifier, 's' string, '>' arrow, punctuation,
                       0 at the end, '!' error */
} DotLex;

static void dot_next(DotLex *l)
{
    while (*l->p == ' ' || *l->p == '\n' || *l->p == '\t')
        l->p++;
    size_t n = 0;
    if (!*l->p) {
        l->kind = 0;
    } else if (*l->p == '"') {
        l->kind = 's';
        for (l->p++; *l->p != '"'; l->p++) {
            char c = *l->p;
            if (!c || c == '\n' || c == '\r' || n + 2 >= sizeof l->tok) {
                l->kind = '!';
                return;
            }
            if (c == '\\') {
                char e = *++l->p;
                c = e == '"' ? '"' : e == '\\' ? '\\' : e == 'n' ? '\n' : 0;
                if (!c) {
                    l->kind = '!';
                    return;
                }
            }
            l->tok[n++] = c;
        }
        l->p++;
    } else if (l->p[0] == '-' && l->p[1] == '>') {
        l->kind = '>';
        l->p += 2;
    } else if (strchr("{}[]=;,", *l->p)) {
        l->kind = *l->p++;
    } else {
        l->kind = 'i';
        while (*l->p &&
               (isalnum((unsigned char)*l->p) || strchr("_#.", *l->p)) &&
               n + 1 < sizeof l->tok)
            l->tok[n++] = *l->p++;
        if (n == 0)
            l->kind = '!';
    }
    l->tok[n] = 0;
}

/* attrs: '[' ID '=' (ID|STRING) {',' ID '=' (ID|STRING)} ']' ';'. The
 * label goes to *label, the others to *rest as "k=v;" pairs. */
static bool dot_attrs(DotLex *l, char **label, char **rest)
{
    TBuf r = {0};
    if (l->kind != '[')
        return false;
    do {
        dot_next(l);
        if (l->kind != 'i')
            return false;
        char key[sizeof l->tok];
        memcpy(key, l->tok, sizeof key);
        dot_next(l);
        if (l->kind != '=')
            return false;
        dot_next(l);
        if (l->kind != 'i' && l->kind != 's')
            return false;
        if (!strcmp(key, "label") && label)
            *label = strdup(l->tok);
        else
            tbuf_printf(&r, "%s=%s;", key, l->tok);
        dot_next(l);
    } while (l->kind == ',');
    if (l->kind != ']')
        return false;
    dot_next(l);
    if (l->kind != ';')
        return false;
    dot_next(l);
    *rest = strdup(tbuf_cstr(&r));
    tbuf_free(&r);
    return true;
}

static int dot_node(const DotRead *g, const char *id)
{
    for (int i = 0; i < g->nnodes; i++)
        if (!strcmp(g->node_id[i], id))
            return i;
    return -1;
}

/* graph: 'digraph' STRING '{' stmt* '}' EOF, each statement a default
 * (graph/node/edge attrs), a node (ID attrs) or an edge (ID '->' ID
 * attrs). Fails the test at the first thing that does not parse. */
static void dot_read(const char *dot, DotRead *g)
{
    memset(g, 0, sizeof *g);
    DotLex l = {dot, {0}, 0};
    dot_next(&l);
    assert_true(l.kind == 'i' && !strcmp(l.tok, "digraph"));
    dot_next(&l);
    assert_int_equal(l.kind, 's');
    g->name = strdup(l.tok);
    dot_next(&l);
    assert_int_equal(l.kind, '{');
    dot_next(&l);
    while (l.kind == 'i') {
        char id[sizeof l.tok];
        memcpy(id, l.tok, sizeof id);
        dot_next(&l);
        char *label = NULL, *rest = NULL;
        if (!strcmp(id, "graph") || !strcmp(id, "node") ||
            !strcmp(id, "edge")) {
            assert_true(dot_attrs(&l, NULL, &rest));
            free(rest);
        } else if (l.kind == '>') {
            dot_next(&l);
            assert_int_equal(l.kind, 'i');
            int a = dot_node(g, id), b = dot_node(g, l.tok);
            assert_true(a >= 0 && b >= 0 && g->nedges < GX_MAX);
            dot_next(&l);
            assert_true(dot_attrs(&l, &label, &rest));
            g->src[g->nedges] = a;
            g->dst[g->nedges] = b;
            g->edge_label[g->nedges] = label;
            g->edge_attr[g->nedges++] = rest;
        } else {
            assert_true(dot_attrs(&l, &label, &rest));
            assert_true(dot_node(g, id) < 0 && g->nnodes < GX_MAX);
            g->node_id[g->nnodes] = strdup(id);
            g->label[g->nnodes] = label;
            g->node_attr[g->nnodes++] = rest;
        }
    }
    assert_int_equal(l.kind, '}');
    dot_next(&l);
    assert_int_equal(l.kind, 0);
}

static void dot_free(DotRead *g)
{
    for (int i = 0; i < GX_MAX; i++) {
        free(g->node_id[i]);
        free(g->label[i]);
        free(g->node_attr[i]);
        free(g->edge_label[i]);
        free(g->edge_attr[i]);
    }
    free(g->name);
}

/* ---- CSV read back with libcsv ---------------------------------------- */

#define CSV_COLS 9

typedef struct CsvRead {
    int rows;                     /* records read */
    int col;                      /* next field's column */
    char *cell[GX_MAX][CSV_COLS]; /* the fields, NUL-terminated */
    int bad;                      /* records with the wrong field count */
} CsvRead;

static void csv_field(void *s, size_t len, void *ud)
{
    CsvRead *c = ud;
    if (c->rows < GX_MAX && c->col < CSV_COLS) {
        char *t = malloc(len + 1);
        memcpy(t, s ? s : "", len);
        t[len] = 0;
        c->cell[c->rows][c->col] = t;
    }
    c->col++;
}

static void csv_record(int ch, void *ud)
{
    (void)ch;
    CsvRead *c = ud;
    if (c->col != CSV_COLS)
        c->bad++;
    c->col = 0;
    c->rows++;
}

static void csv_read(const char *text, CsvRead *c)
{
    memset(c, 0, sizeof *c);
    struct csv_parser p;
    assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
    size_t n = strlen(text);
    if (csv_parse(&p, text, n, csv_field, csv_record, c) != n)
        print_error("libcsv: %s\n", csv_strerror(csv_error(&p)));
    assert_int_equal(csv_error(&p), CSV_SUCCESS);
    assert_int_equal(csv_fini(&p, csv_field, csv_record, c), 0);
    csv_free(&p);
    assert_int_equal(c->bad, 0);
}

static void csv_read_free(CsvRead *c)
{
    for (int r = 0; r < GX_MAX; r++)
        for (int k = 0; k < CSV_COLS; k++)
            free(c->cell[r][k]);
}

/* ---- the starter workspace -------------------------------------------- */

static const char *theme_name(json_t *doc, const char *id)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "themes"), i, t)
    {
        if (!strcmp(json_string_value(json_object_get(t, "id")), id))
            return json_string_value(json_object_get(t, "name"));
    }
    return NULL;
}

static void test_graphml_starter(void **state)
{
    (void)state;
    char *text = starter_text();
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    json_t *items = json_object_get(doc, "items");
    json_t *links = json_object_get(doc, "links");
    char *xml = ok(MAP_EXPORT_GRAPHML, text);
    GraphmlRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    graphml_read(xml, g);
    /* Every starter item is open, so every item and link is drawn. */
    assert_int_equal(g->nnodes, (int)json_array_size(items));
    assert_int_equal(g->nedges, (int)json_array_size(links));
    for (int i = 0; i < g->nnodes; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        assert_non_null(g->label[i]);
        assert_string_equal(g->label[i],
                            json_string_value(json_object_get(it, "title")));
        assert_string_equal(g->item[i],
                            json_string_value(json_object_get(it, "id")));
        assert_non_null(g->theme[i]);
        assert_string_equal(
            g->theme[i],
            theme_name(doc, json_string_value(json_object_get(it, "theme"))));
    }
    for (int e = 0; e < g->nedges; e++) {
        json_t *l = json_array_get(links, (size_t)e);
        assert_string_equal(g->item[g->src[e]],
                            json_string_value(json_object_get(l, "from")));
        assert_string_equal(g->item[g->dst[e]],
                            json_string_value(json_object_get(l, "to")));
        assert_string_equal(g->polarity[e],
                            json_string_value(json_object_get(l, "polarity")));
        assert_string_equal(
            g->delay[e],
            json_is_true(json_object_get(l, "delay")) ? "true" : "false");
    }
    graphml_free(g);
    free(g);
    free(xml);
    json_decref(doc);
    free(text);
}

static void test_dot_starter(void **state)
{
    (void)state;
    char *text = starter_text();
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    json_t *items = json_object_get(doc, "items");
    json_t *links = json_object_get(doc, "links");
    char *dot = ok(MAP_EXPORT_DOT, text);
    DotRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    dot_read(dot, g);
    assert_string_equal(g->name,
                        json_string_value(json_object_get(doc, "name")));
    assert_int_equal(g->nnodes, (int)json_array_size(items));
    assert_int_equal(g->nedges, (int)json_array_size(links));
    for (int i = 0; i < g->nnodes; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        assert_string_equal(g->label[i],
                            json_string_value(json_object_get(it, "title")));
        /* Filled with the theme's colour. */
        size_t t;
        json_t *th;
        const char *want = NULL;
        json_array_foreach(json_object_get(doc, "themes"), t, th)
        {
            if (json_equal(json_object_get(th, "id"),
                           json_object_get(it, "theme")))
                want = json_string_value(json_object_get(th, "color"));
        }
        char fill[32];
        snprintf(fill, sizeof fill, "fillcolor=%s;", want);
        assert_non_null(strstr(g->node_attr[i], fill));
    }
    for (int e = 0; e < g->nedges; e++) {
        json_t *l = json_array_get(links, (size_t)e);
        char want[8];
        snprintf(want, sizeof want, "%s%s",
                 json_string_value(json_object_get(l, "polarity")),
                 json_is_true(json_object_get(l, "delay")) ? " ||" : "");
        assert_string_equal(g->edge_label[e], want);
    }
    dot_free(g);
    free(g);
    free(dot);
    json_decref(doc);
    free(text);
}

static void test_csv_starter(void **state)
{
    (void)state;
    char *text = starter_text();
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    json_t *items = json_object_get(doc, "items");
    char *csv = ok(MAP_EXPORT_CSV, text);
    /* RFC 4180: every record ends in CR LF (line breaks inside quoted
     * fields are data). */
    bool quoted = false;
    for (const char *p = csv; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            assert_int_equal(p[-1], '\r');
    }
    CsvRead *c = calloc(1, sizeof *c);
    assert_non_null(c);
    csv_read(csv, c);
    assert_int_equal(c->rows, 1 + (int)json_array_size(items));
    static const char *const head[CSV_COLS] = {
        "id",          "title",      "body",        "theme",  "status",
        "merged_into", "importance", "uncertainty", "ratings"};
    for (int k = 0; k < CSV_COLS; k++)
        assert_string_equal(c->cell[0][k], head[k]);
    for (int r = 1; r < c->rows; r++) {
        json_t *it = json_array_get(items, (size_t)r - 1);
        assert_string_equal(c->cell[r][0],
                            json_string_value(json_object_get(it, "id")));
        assert_string_equal(c->cell[r][1],
                            json_string_value(json_object_get(it, "title")));
        assert_string_equal(c->cell[r][2],
                            json_string_value(json_object_get(it, "body")));
        assert_string_equal(
            c->cell[r][3],
            theme_name(doc, json_string_value(json_object_get(it, "theme"))));
        assert_string_equal(c->cell[r][4], "open");
        assert_string_equal(c->cell[r][5], "");
    }
    csv_read_free(c);
    free(c);
    free(csv);
    json_decref(doc);
    free(text);
}

/* ---- hostile text ----------------------------------------------------- */

/* Titles, bodies, notes, theme names and ids with everything that breaks
 * a careless writer. Indices: the JSON strings as written, and what they
 * decode to (for the expected values). */
static const char *const HOSTILE[] = {
    "He said \"no\" & left <b>bold</b> 'quoted'",
    "back\\slash \\\\ double and trailing\\",
    "two\nlines\r\nthen CR\ronly\ttab",
    "ctl\x01\x1f\x7f and U+FFFE \xef\xbf\xbe U+FFFF \xef\xbf\xbf end",
    "comma, \"quote\", and \\N \\l \\G graphviz escapes",
    " leading and trailing spaces ",
    "\xc3\xa9t\xc3\xa9 \xe2\x80\x94 \xe2\x88\x92 \xf0\x9f\x99\x82 ]]> --> <!--",
};
#define NHOSTILE ((int)(sizeof HOSTILE / sizeof *HOSTILE))

/* A document whose items, bodies, themes and notes are HOSTILE[i]. */
static char *hostile_doc(void)
{
    json_t *root = json_object();
    json_t *themes = json_array(), *items = json_array(), *links = json_array();
    json_object_set_new(root, "name", json_string(HOSTILE[0]));
    for (int i = 0; i < NHOSTILE; i++) {
        char id[32];
        snprintf(id, sizeof id, "t%d", i);
        json_array_append_new(themes, json_pack("{s:s, s:s, s:s}", "id", id,
                                                "name", HOSTILE[i], "color",
                                                i % 2 ? "#000000" : "#FfEe00"));
        json_t *it = json_pack(
            "{s:s, s:s, s:s, s:s}", "id",
            i == 0 ? "a\"b<c>&\\d e" : HOSTILE[(i + 1) % NHOSTILE], "title",
            HOSTILE[i], "body", HOSTILE[(i + 2) % NHOSTILE], "theme", id);
        assert_non_null(it);
        json_array_append_new(items, it);
    }
    for (int i = 0; i < NHOSTILE; i++) {
        json_t *from = json_object_get(json_array_get(items, (size_t)i), "id");
        json_t *to = json_object_get(
            json_array_get(items, (size_t)(i + 1) % NHOSTILE), "id");
        json_array_append_new(
            links, json_pack("{s:O, s:O, s:s, s:b, s:s}", "from", from, "to",
                             to, "polarity", i % 2 ? "-" : "+", "delay",
                             i % 3 == 0, "note", HOSTILE[i]));
    }
    json_object_set_new(root, "themes", themes);
    json_object_set_new(root, "items", items);
    json_object_set_new(root, "links", links);
    char *s = json_dumps(root, 0);
    assert_non_null(s);
    json_decref(root);
    return s;
}

static void test_graphml_hostile(void **state)
{
    (void)state;
    char *doc = hostile_doc();
    char *xml = ok(MAP_EXPORT_GRAPHML, doc);
    GraphmlRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    graphml_read(xml, g);
    assert_int_equal(g->nnodes, NHOSTILE);
    assert_int_equal(g->nedges, NHOSTILE);
    for (int i = 0; i < NHOSTILE; i++) {
        char *want = xml_expect(HOSTILE[i]);
        assert_string_equal(g->label[i], want);
        assert_string_equal(g->theme[i], want);
        assert_string_equal(g->note[i], want);
        free(want);
    }
    assert_string_equal(g->item[0], "a\"b<c>&\\d e");
    graphml_free(g);
    free(g);
    free(xml);
    free(doc);
}

static void test_dot_hostile(void **state)
{
    (void)state;
    char *doc = hostile_doc();
    char *dot = ok(MAP_EXPORT_DOT, doc);
    DotRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    dot_read(dot, g);
    assert_int_equal(g->nnodes, NHOSTILE);
    assert_int_equal(g->nedges, NHOSTILE);
    char *name = dot_expect(HOSTILE[0]);
    assert_string_equal(g->name, name);
    free(name);
    for (int i = 0; i < NHOSTILE; i++) {
        char *want = dot_expect(HOSTILE[i]);
        assert_string_equal(g->label[i], want);
        /* The theme as the tooltip, the note on the edge. */
        TBuf t = {0};
        tbuf_printf(&t, "tooltip=%s;", want);
        assert_non_null(strstr(g->node_attr[i], tbuf_cstr(&t)));
        assert_non_null(strstr(g->edge_attr[i], tbuf_cstr(&t)));
        tbuf_free(&t);
        free(want);
        /* Edges: polarity, delay marks, negative links dashed. */
        assert_string_equal(g->edge_label[i], i % 2 ? (i % 3 ? "-" : "- ||")
                                                    : (i % 3 ? "+" : "+ ||"));
        assert_true(!strstr(g->edge_attr[i], "style=dashed") == !(i % 2));
        /* Dark fills get light text. */
        assert_true(!strstr(g->node_attr[i], "fontcolor=#ffffff") == !(i % 2));
    }
    /* The item id goes to the SVG id, escaped like a label. */
    assert_non_null(strstr(g->node_attr[0], "id=a\"b<c>&\\d e;"));
    dot_free(g);
    free(g);
    free(dot);
    free(doc);
}

static void test_csv_hostile(void **state)
{
    (void)state;
    char *doc = hostile_doc();
    char *csv = ok(MAP_EXPORT_CSV, doc);
    CsvRead *c = calloc(1, sizeof *c);
    assert_non_null(c);
    csv_read(csv, c);
    assert_int_equal(c->rows, 1 + NHOSTILE);
    /* CSV keeps every byte: the fields read back exactly. */
    for (int i = 0; i < NHOSTILE; i++) {
        assert_string_equal(c->cell[i + 1][1], HOSTILE[i]);
        assert_string_equal(c->cell[i + 1][2], HOSTILE[(i + 2) % NHOSTILE]);
        assert_string_equal(c->cell[i + 1][3], HOSTILE[i]);
    }
    assert_string_equal(c->cell[1][0], "a\"b<c>&\\d e");
    csv_read_free(c);
    free(c);
    free(csv);
    free(doc);
}

/* ---- what goes on the map, and the CSV's other columns ---------------- */

static const char *const FILTER_DOC =
    "{\"themes\": [{\"id\": 1, \"name\": \"Money\"}],"
    " \"items\": ["
    "  {\"id\": 10, \"title\": \"open\", \"theme\": 1, \"importance\": 3.5,"
    "   \"uncertainty\": 2, \"ratings\": 4},"
    "  {\"id\": \"11\", \"title\": \"merged\", \"status\": \"merged\","
    "   \"merged_into\": 10, \"importance\": null},"
    "  {\"id\": 12, \"title\": \"deleted\", \"status\": \"deleted\"},"
    "  {\"id\": 13, \"title\": \"hidden\", \"hidden\": true},"
    "  {\"id\": 14, \"title\": \"also open\", \"status\": \"open\","
    "   \"body\": null, \"theme\": null, \"merged_into\": null}],"
    " \"links\": ["
    "  {\"from\": 10, \"to\": \"14\", \"polarity\": \"+\"},"
    "  {\"from\": 14, \"to\": 10, \"polarity\": \"-\", \"hidden\": true},"
    "  {\"from\": 10, \"to\": 11, \"polarity\": \"+\"},"
    "  {\"from\": 12, \"to\": 14, \"polarity\": \"+\"},"
    "  {\"from\": 13, \"to\": 10, \"polarity\": \"+\"},"
    "  {\"from\": 14, \"to\": 14}]}";

static void test_map_filter(void **state)
{
    (void)state;
    /* Only the open, unhidden items, and the unhidden links between them;
     * integer and string ids name the same item; no polarity is "?". */
    char *xml = ok(MAP_EXPORT_GRAPHML, FILTER_DOC);
    GraphmlRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    graphml_read(xml, g);
    assert_int_equal(g->nnodes, 2);
    assert_string_equal(g->label[0], "open");
    assert_string_equal(g->label[1], "also open");
    assert_string_equal(g->theme[0], "Money");
    assert_null(g->theme[1]);
    assert_int_equal(g->nedges, 2);
    assert_string_equal(g->item[g->src[0]], "10");
    assert_string_equal(g->item[g->dst[0]], "14");
    assert_string_equal(g->polarity[1], "?");
    assert_int_equal(g->src[1], g->dst[1]);
    graphml_free(g);
    free(g);
    free(xml);

    char *dot = ok(MAP_EXPORT_DOT, FILTER_DOC);
    DotRead *dr = calloc(1, sizeof *dr);
    assert_non_null(dr);
    dot_read(dot, dr);
    assert_int_equal(dr->nnodes, 2);
    assert_int_equal(dr->nedges, 2);
    assert_string_equal(dr->edge_label[1], "?");
    assert_string_equal(dr->name, "map");
    dot_free(dr);
    free(dr);
    free(dot);

    /* The CSV lists every item, numbers as numbers, empty when absent. */
    char *csv = ok(MAP_EXPORT_CSV, FILTER_DOC);
    CsvRead *c = calloc(1, sizeof *c);
    assert_non_null(c);
    csv_read(csv, c);
    assert_int_equal(c->rows, 6);
    static const char *const want[5][CSV_COLS] = {
        {"10", "open", "", "Money", "open", "", "3.5", "2", "4"},
        {"11", "merged", "", "", "merged", "10", "", "", ""},
        {"12", "deleted", "", "", "deleted", "", "", "", ""},
        {"13", "hidden", "", "", "open", "", "", "", ""},
        {"14", "also open", "", "", "open", "", "", "", ""},
    };
    for (int r = 0; r < 5; r++)
        for (int k = 0; k < CSV_COLS; k++)
            assert_string_equal(c->cell[r + 1][k], want[r][k]);
    csv_read_free(c);
    free(c);
    free(csv);
}

/* ---- errors ----------------------------------------------------------- */

/* The formatted diagnostics of an export that must fail, which must leave
 * the output as it was. */
static void fails(const char *doc, char *msg, size_t n)
{
    TBuf out = {0};
    tbuf_puts(&out, "kept");
    TDiags d = {0};
    assert_int_equal(
        map_export(doc, strlen(doc), NULL, MAP_EXPORT_GRAPHML, &out, &d),
        T_EINPUT);
    assert_string_equal(tbuf_cstr(&out), "kept");
    u_format(&d, msg, n);
    diags_free(&d);
    tbuf_free(&out);
    /* The fixed interface says -1, and the same for every format. */
    assert_int_equal(map_export_graphml(doc, strlen(doc), &out, &d), -1);
    assert_int_equal(map_export_dot(doc, strlen(doc), &out, &d), -1);
    assert_int_equal(map_export_items_csv(doc, strlen(doc), &out, &d), -1);
    assert_int_equal(out.len, 0);
    diags_free(&d);
}

#define assert_fails(doc, want)                                                \
    do {                                                                       \
        char msg_[4096];                                                       \
        fails(doc, msg_, sizeof msg_);                                         \
        assert_string_equal(msg_, want);                                       \
    } while (0)

static void test_errors_fields(void **state)
{
    (void)state;
    /* The two the brief names, together: every problem is reported. */
    assert_fails("{\"items\": [{\"id\": \"a\", \"title\": \"A\"},"
                 " {\"id\": \"b\", \"title\": \"B\"},"
                 " {\"id\": \"c\", \"title\": \"C\"}, {\"title\": \"D\"}],"
                 " \"links\": [{\"from\": \"a\", \"to\": \"b\"},"
                 " {\"from\": \"b\", \"to\": \"c\"},"
                 " {\"from\": \"c\", \"to\": \"x\"}]}",
                 "items[3].id: missing\n"
                 "links[2].to: unknown item 'x'\n");
    assert_fails(
        "{\"themes\": [{\"id\": \"t\", \"color\": \"red\"}, {\"name\": 1},"
        " {\"id\": \"u\"}, {\"id\": \"u\"}, 7],"
        " \"items\": [{\"id\": \"a\", \"title\": \"A\"},"
        " {\"id\": \"\", \"title\": \"x\"},"
        " {\"id\": [1], \"title\": \"x\"},"
        " {\"id\": \"a\", \"title\": \"dup\"},"
        " {\"id\": \"b\", \"title\": \"x\", \"theme\": \"demnd\"},"
        " {\"id\": \"c\", \"title\": \"x\", \"status\": \"closed\"},"
        " {\"id\": \"d\", \"title\": 5, \"importance\": \"high\","
        "  \"hidden\": 1, \"body\": 3},"
        " {\"id\": \"e\", \"title\": \"x\", \"merged_into\": \"zz\"},"
        " {\"id\": \"f\"}, \"g\"],"
        " \"links\": [{\"from\": \"f\", \"to\": \"e\"}, {\"to\": \"e\"},"
        " {\"from\": \"e\", \"to\": \"e\", \"polarity\": \"++\","
        "  \"delay\": \"yes\", \"note\": false}, 3]}",
        "themes[0].color: expected a colour like \"#d95f02\"\n"
        "themes[1].id: missing\n"
        "themes[1].name: expected a string\n"
        "themes[3].id: duplicate id 'u'\n"
        "themes[4]: expected an object\n"
        "items[1].id: empty\n"
        "items[2].id: expected a string or an integer\n"
        "items[3].id: duplicate id 'a'\n"
        "items[4].theme: unknown theme 'demnd'\n"
        "items[5].status: expected \"open\", \"merged\" or \"deleted\"\n"
        "items[6].title: expected a string\n"
        "items[6].body: expected a string\n"
        "items[6].hidden: expected true or false\n"
        "items[6].importance: expected a number\n"
        "items[8].title: missing\n"
        "items[9]: expected an object\n"
        "items[7].merged_into: unknown item 'zz'\n"
        "links[0].from: unknown item 'f'\n"
        "links[1].from: missing\n"
        "links[2].polarity: expected \"+\", \"-\" or \"?\"\n"
        "links[2].delay: expected true or false\n"
        "links[2].note: expected a string\n"
        "links[3]: expected an object\n");
    /* Long ids: cut in messages at 255 bytes, on a character boundary. */
    TBuf b = {0};
    tbuf_puts(&b, "{\"items\": [{\"id\": \"");
    for (int i = 0; i < 300; i++)
        tbuf_puts(&b, "\xc3\xa9");
    tbuf_puts(&b, "\", \"title\": \"x\"}], \"links\": [{\"from\": \"");
    for (int i = 0; i < 300; i++)
        tbuf_puts(&b, "\xc3\xa9");
    tbuf_puts(&b, "\", \"to\": \"q\"}]}");
    char msg[4096];
    fails(tbuf_cstr(&b), msg, sizeof msg);
    assert_non_null(strstr(msg, "items[0].id: longer than 255 bytes\n"));
    const char *q = strstr(msg, "links[0].from: unknown item '");
    assert_non_null(q);
    q += strlen("links[0].from: unknown item '");
    assert_int_equal(strcspn(q, "'"), 254); /* 127 two-byte characters */
    tbuf_free(&b);
}

static void test_errors_document(void **state)
{
    (void)state;
    assert_fails("[1, 2]", "the document must be a JSON object with 'items' "
                           "and 'links'\n");
    assert_fails("{\"links\": []}", "items: missing\n");
    assert_fails("{\"items\": {}, \"links\": 3, \"themes\": \"t\", "
                 "\"name\": 4}",
                 "name: expected a string\n"
                 "themes: expected an array\n"
                 "items: expected an array\n"
                 "links: expected an array\n");
    /* Malformed JSON: line, column, the line and a caret. */
    assert_fails("{\"items\": [\n  {\"id\": 1,, }\n]}",
                 "2:12: malformed JSON: string or '}' expected near ','\n"
                 "    {\"id\": 1,, }\n"
                 "             ^\n");
    char msg[1024];
    fails("{\"items\": [], \"items\": []}", msg, sizeof msg);
    assert_non_null(strstr(msg, "malformed JSON: duplicate object key"));
    fails("", msg, sizeof msg);
    assert_non_null(strstr(msg, "malformed JSON"));
    /* The file name, when given, is in every message. */
    TDiags d = {0};
    TBuf out = {0};
    assert_int_equal(run(MAP_EXPORT_CSV, "{\"items\": [{}]}", &out, &d),
                     T_EINPUT);
    u_format(&d, msg, sizeof msg);
    assert_string_equal(msg, "doc.json: items[0].id: missing\n"
                             "doc.json: items[0].title: missing\n");
    diags_free(&d);
    tbuf_free(&out);
    /* Links may be absent; an empty map is still a valid file. */
    char *xml = ok(MAP_EXPORT_GRAPHML, "{\"items\": []}");
    GraphmlRead *g = calloc(1, sizeof *g);
    assert_non_null(g);
    graphml_read(xml, g);
    assert_int_equal(g->nnodes, 0);
    graphml_free(g);
    free(g);
    free(xml);
    char *csv = ok(MAP_EXPORT_CSV, "{\"items\": [], \"links\": null}");
    assert_string_equal(csv, "id,title,body,theme,status,merged_into,"
                             "importance,uncertainty,ratings\r\n");
    free(csv);
}

/* The exports append: what is in the buffer stays in front. */
static void test_appends(void **state)
{
    (void)state;
    TBuf out = {0};
    TDiags d = {0};
    tbuf_puts(&out, "before\n");
    const char *doc = "{\"items\": [{\"id\": 1, \"title\": \"x\"}]}";
    assert_int_equal(map_export_items_csv(doc, strlen(doc), &out, &d), 0);
    assert_int_equal(map_export_dot(doc, strlen(doc), &out, &d), 0);
    assert_int_equal(map_export_graphml(doc, strlen(doc), &out, &d), 0);
    assert_int_equal(d.len, 0);
    const char *s = tbuf_cstr(&out);
    assert_true(!strncmp(s, "before\nid,title,", 16));
    assert_non_null(strstr(s, "1,x,,,open,,,,\r\ndigraph \"map\" {"));
    assert_non_null(strstr(s, "}\n<?xml version="));
    tbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graphml_starter),
        cmocka_unit_test(test_dot_starter),
        cmocka_unit_test(test_csv_starter),
        cmocka_unit_test(test_graphml_hostile),
        cmocka_unit_test(test_dot_hostile),
        cmocka_unit_test(test_csv_hostile),
        cmocka_unit_test(test_map_filter),
        cmocka_unit_test(test_errors_fields),
        cmocka_unit_test(test_errors_document),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
