/*
 * graph.c - the causal graph and its reader from a workspace export
 * document (JSON, read with jansson). Every problem is reported with the
 * path of the field, as a request's errors are.
 */
#include "map.h"

#include <jansson.h>
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

static void ferr(TDiags *d, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ferr(TDiags *d, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, DIAG_ERROR, file, 0, 0, NULL, fmt, ap);
    va_end(ap);
}

int map_graph_from_json(const char *text, size_t len, const char *file,
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
