/*
 * api_map.c - the API's map: links, the map as nodes and edges, its
 * feedback loops and leverage (the map module's Johnson search and
 * Brandes betweenness on a graph of the open, visible items), the
 * history of events, the Atom feed, and the exports (the workspace
 * document as JSON, and GraphML, DOT and CSV through the map module).
 */
#include "web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map/map.h"

static bool have_id(WebCtx *c, const char *kind)
{
    if (c->m.id > 0)
        return true;
    web_error(c, 404, "not_found", NULL, "no such %s in this workspace", kind);
    return false;
}

/* ---- links ------------------------------------------------------------ */

static void answer_link(WebCtx *c, long long id, int status)
{
    StoreErr e = {0};
    json_t *l = NULL;
    if (store_link_get(c->db, &c->actor, id, &l, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, status, json_pack("{s:o}", "link", l));
}

void web_links_list(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    const char *hidden = web_arg(c, WEB_QUERY, "hidden");
    if (store_links_list(c->db, &c->actor, hidden && !strcmp(hidden, "1"),
                         &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "links", list));
}

void web_link_add(WebCtx *c)
{
    StoreErr e = {0};
    StoreLinkEdit le;
    long long id = 0;
    if (web_parse_link(c->body, true, &le, &e) != STORE_OK ||
        store_link_add(c->db, &c->actor, &le, &id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_link(c, id, 201);
}

void web_link_edit(WebCtx *c)
{
    StoreErr e = {0};
    StoreLinkEdit le;
    if (!have_id(c, "link"))
        return;
    if (web_parse_link(c->body, false, &le, &e) != STORE_OK ||
        store_link_edit(c->db, &c->actor, c->m.id, &le, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_link(c, c->m.id, 200);
}

void web_link_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "link"))
        return;
    if (store_link_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

static void hide(WebCtx *c, bool on)
{
    StoreErr e = {0};
    if (!have_id(c, "link"))
        return;
    if (store_link_hide(c->db, &c->actor, c->m.id, on, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_link(c, c->m.id, 200);
}

void web_link_hide(WebCtx *c)
{
    hide(c, true);
}

void web_link_restore(WebCtx *c)
{
    hide(c, false);
}

void web_link_rollback(WebCtx *c)
{
    StoreErr e = {0};
    long long ev = 0;
    if (!have_id(c, "link"))
        return;
    if (web_parse_id(c->body, "event_id", false, &ev, &e) != STORE_OK ||
        store_link_rollback(c->db, &c->actor, c->m.id, ev, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_link(c, c->m.id, 200);
}

/* ---- map and loops ---------------------------------------------------- */

/* The map comes from the cache (cache.c) when the workspace's version
 * is the one it was made at; else it is made and kept. Gzipped for a
 * client that takes it (each form made once per version). Its ETag names
 * the workspace, the version and the form, so a client that has it gets
 * a 304; the membership was checked before (a non-member never gets
 * here). */
void web_map(WebCtx *c)
{
    StoreErr e = {0};
    StoreWsVersion v;
    WebCache *cache = c->conf->cache;
    long long ws = c->actor.ws_id;
    /* the version first: the map read after it is at least as new, so a
     * map is never kept under a version newer than itself */
    if (store_ws_version(c->db, ws, &v, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    bool gz = web_accepts_gzip(web_arg(c, WEB_HEADER, "Accept-Encoding"));
    char etag[96];
    web_cache_etag(cache, ws, &v, etag, sizeof etag);
    if (gz) /* another form, another strong ETag: "...-g" */
        memcpy(etag + strlen(etag) - 1, "-g\"", 4);
    web_header(c->resp, "ETag", "%s", etag);
    web_header(c->resp, "Vary", "Accept-Encoding");
    /* revalidate each time (a member's own copy only) rather than
     * no-store, so that the ETag is used */
    web_header_set(c->resp, "Cache-Control", "private, no-cache");
    if (web_etag_matches(web_arg(c, WEB_HEADER, "If-None-Match"), etag)) {
        c->resp->status = 304;
        c->resp->ctype = NULL;
        return;
    }
    WebShared *body = cache ? web_cache_map_get(cache, ws, &v, gz) : NULL;
    if (!body && gz && cache) {
        /* the plain form may be kept: gzip that */
        WebShared *plain = web_cache_map_get(cache, ws, &v, false);
        if (plain) {
            body = web_gzip(web_shared_data(plain), web_shared_len(plain));
            web_shared_release(plain);
            if (body)
                web_cache_map_put_gzip(cache, ws, &v, body);
        }
    }
    if (!body) {
        json_t *map = NULL;
        if (store_map(c->db, &c->actor, &map, &e) != STORE_OK) {
            web_store_error(c, &e);
            return;
        }
        char *text = json_dumps(map, JSON_COMPACT);
        json_decref(map);
        WebShared *plain = text ? web_shared_new(text, strlen(text)) : NULL;
        free(text);
        if (plain && cache)
            web_cache_map_put(cache, ws, &v, plain);
        if (plain && gz) {
            body = web_gzip(web_shared_data(plain), web_shared_len(plain));
            web_shared_release(plain);
            if (body && cache)
                web_cache_map_put_gzip(cache, ws, &v, body);
        } else {
            body = plain;
        }
        if (!body) {
            web_error(c, 500, "internal", NULL, "out of memory");
            return;
        }
    }
    if (gz)
        web_header(c->resp, "Content-Encoding", "gzip");
    c->resp->status = 200;
    c->resp->ctype = "application/json";
    c->resp->body.len = 0;
    c->resp->shared = body;
}

/* The causal graph of a map answer: node i is nodes[i]. */
static MapGraph *map_graph(json_t *map)
{
    MapGraph *g = map_graph_new();
    json_t *nodes = json_object_get(map, "nodes");
    size_t i;
    json_t *n;
    THash index = {0};
    char **ids = calloc(json_array_size(nodes) + 1, sizeof *ids);
    bool ok = g && ids;
    json_array_foreach(nodes, i, n)
    {
        if (!ok)
            break;
        char id[32];
        snprintf(id, sizeof id, "%lld",
                 (long long)json_integer_value(json_object_get(n, "id")));
        ids[i] = strdup(id);
        ok = ids[i] &&
             map_graph_add_node(
                 g, id, json_string_value(json_object_get(n, "title"))) ==
                 (int)i &&
             thash_put(&index, ids[i], (int)i) == T_OK;
    }
    json_array_foreach(json_object_get(map, "edges"), i, n)
    {
        if (!ok)
            break;
        char f[32], t[32];
        int fi, ti;
        snprintf(f, sizeof f, "%lld",
                 (long long)json_integer_value(json_object_get(n, "from")));
        snprintf(t, sizeof t, "%lld",
                 (long long)json_integer_value(json_object_get(n, "to")));
        if (!thash_get(&index, f, &fi) || !thash_get(&index, t, &ti))
            continue;
        const char *pol = json_string_value(json_object_get(n, "polarity"));
        ok = map_graph_add_link(
                 g, fi, ti, pol && !strcmp(pol, "-") ? MAP_NEG : MAP_POS,
                 json_is_true(json_object_get(n, "delay"))) == T_OK;
    }
    thash_free(&index);
    for (size_t k = 0; ids && k < json_array_size(nodes); k++)
        free(ids[k]);
    free(ids);
    if (!ok) {
        map_graph_free(g);
        return NULL;
    }
    return g;
}

void web_loops(WebCtx *c)
{
    StoreErr e = {0};
    long long max = 0;
    if (web_parse_count(web_arg(c, WEB_QUERY, "max"), "max", 0, 10000, 200,
                        &max, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    json_t *map = NULL;
    if (store_map(c->db, &c->actor, &map, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    MapGraph *g = map_graph(map);
    MapLoops *loops = NULL;
    MapLeverage *lev = NULL;
    MapLoopOpts o = {.max_listed = (int)max,
                     .budget_seconds = WEB_LOOPS_BUDGET};
    if (!g || map_loops_find(g, &o, &loops) != T_OK ||
        map_leverage(g, &lev) != T_OK) {
        map_loops_free(loops);
        map_graph_free(g);
        json_decref(map);
        web_error(c, 500, "internal", NULL, "the loop analysis failed");
        return;
    }
    json_t *nodes = json_object_get(map, "nodes");
    json_t *list = json_array(), *levs = json_array();
    for (int i = 0; i < loops->listed; i++) {
        const MapLoop *lp = &loops->loops[i];
        json_t *ids = json_array();
        for (int k = 0; k < lp->length; k++)
            json_array_append(
                ids, json_object_get(
                         json_array_get(nodes, (size_t)lp->nodes[k]), "id"));
        json_array_append_new(list,
                              json_pack("{s:s, s:i, s:b, s:o}", "polarity",
                                        lp->polarity == MAP_POS   ? "R"
                                        : lp->polarity == MAP_NEG ? "B"
                                                                  : "?",
                                        "length", lp->length, "delay",
                                        lp->delay, "nodes", ids));
    }
    for (int v = 0; v < g->nnodes; v++)
        json_array_append_new(
            levs,
            json_pack("{s:O, s:I, s:f, s:i, s:i}", "id",
                      json_object_get(json_array_get(nodes, (size_t)v), "id"),
                      "loops", (json_int_t)loops->through[v], "betweenness",
                      lev->betweenness[v], "in", lev->in_degree[v], "out",
                      lev->out_degree[v]));
    json_t *out = json_pack(
        "{s:I, s:b, s:i, s:o, s:o}", "count", (json_int_t)loops->count, "exact",
        loops->exact, "listed", loops->listed, "loops", list, "leverage", levs);
    map_leverage_free(lev);
    map_loops_free(loops);
    map_graph_free(g);
    json_decref(map);
    web_json(c, 200, out);
}

/* ---- history and the feed --------------------------------------------- */

void web_events(WebCtx *c)
{
    StoreErr e = {0};
    long long before = 0, limit = 0;
    json_t *list = NULL;
    if (web_parse_count(web_arg(c, WEB_QUERY, "before"), "before", 1,
                        999999999999999999LL, 0, &before, &e) != STORE_OK ||
        web_parse_count(web_arg(c, WEB_QUERY, "limit"), "limit", 1, 500, 50,
                        &limit, &e) != STORE_OK ||
        store_events(c->db, &c->actor, before, (int)limit, &list, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "events", list));
}

/* Appends <name>text</name> with the text escaped. */
static void xml_el(TBuf *b, const char *indent, const char *name,
                   const char *text)
{
    tbuf_printf(b, "%s<%s>", indent, name);
    tbuf_put_xml_escaped(b, text);
    tbuf_printf(b, "</%s>\n", name);
}

void web_feed(WebCtx *c)
{
    StoreErr e = {0};
    json_t *ws = NULL, *list = NULL;
    if (store_ws_get(c->db, &c->actor, &ws, &e) != STORE_OK ||
        store_events(c->db, &c->actor, 0, WEB_FEED_ENTRIES, &list, &e) !=
            STORE_OK) {
        json_decref(ws);
        web_store_error(c, &e);
        return;
    }
    const char *slug = c->actor.slug;
    TBuf *b = &c->resp->body;
    b->len = 0;
    tbuf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                 "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml_el(b, "  ", "title", json_string_value(json_object_get(ws, "name")));
    tbuf_printf(b, "  <id>tag:territory.invalid,2026:%s</id>\n", slug);
    tbuf_printf(b, "  <link rel=\"alternate\" href=\"/#/w/%s\"/>\n", slug);
    json_t *first = json_array_get(list, 0);
    char now[32];
    {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    const char *updated =
        first ? json_string_value(json_object_get(first, "at")) : now;
    tbuf_printf(b, "  <updated>%s</updated>\n", updated);
    tbuf_puts(b, "  <generator>Territory</generator>\n");
    size_t i;
    json_t *ev;
    json_array_foreach(list, i, ev)
    {
        const char *actor = json_string_value(json_object_get(ev, "actor"));
        const char *summary = json_string_value(json_object_get(ev, "summary"));
        if (!actor || !actor[0])
            actor = "someone";
        TBuf title = {0};
        tbuf_printf(&title, "%s %s", actor, summary ? summary : "");
        tbuf_puts(b, "  <entry>\n");
        tbuf_puts(b, "    <title type=\"text\">");
        tbuf_put_xml_escaped(b, tbuf_cstr(&title));
        tbuf_puts(b, "</title>\n");
        tbuf_printf(
            b, "    <id>tag:territory.invalid,2026:%s/event/%lld</id>\n", slug,
            (long long)json_integer_value(json_object_get(ev, "id")));
        tbuf_printf(b, "    <updated>%s</updated>\n",
                    json_string_value(json_object_get(ev, "at")));
        tbuf_puts(b, "    <author>");
        xml_el(b, "", "name", actor);
        tbuf_puts(b, "</author>\n");
        tbuf_puts(b, "    <category term=\"");
        tbuf_put_xml_escaped(b,
                             json_string_value(json_object_get(ev, "action")));
        tbuf_puts(b, "\"/>\n");
        tbuf_puts(b, "    <summary type=\"text\">");
        tbuf_put_xml_escaped(b, tbuf_cstr(&title));
        tbuf_puts(b, "</summary>\n  </entry>\n");
        tbuf_free(&title);
    }
    tbuf_puts(b, "</feed>\n");
    json_decref(ws);
    json_decref(list);
    c->resp->status = 200;
    c->resp->ctype = "application/atom+xml; charset=utf-8";
}

/* ---- exports ---------------------------------------------------------- */

/* The workspace document as the actor may see it. */
static json_t *export_doc(WebCtx *c, bool map_only)
{
    StoreErr e = {0};
    json_t *doc = NULL;
    /* facilitators' documents keep hidden items (marked "hidden") */
    bool hidden = c->actor.role >= STORE_FACILITATOR && !map_only;
    if (store_doc_export(c->db, &c->actor, hidden, map_only, &doc, &e) !=
        STORE_OK) {
        web_store_error(c, &e);
        return NULL;
    }
    return doc;
}

void web_export_json(WebCtx *c)
{
    json_t *doc = export_doc(c, false);
    if (!doc)
        return;
    web_header(c->resp, "Content-Disposition",
               "attachment; filename=\"%s.json\"", c->actor.slug);
    web_json(c, 200, doc);
}

typedef int Exporter(const char *doc, size_t len, TBuf *out, TDiags *d);

static void export_as(WebCtx *c, Exporter *fn, bool map_only, const char *ext,
                      const char *ctype)
{
    json_t *doc = export_doc(c, map_only);
    if (!doc)
        return;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    TDiags d = {0};
    c->resp->body.len = 0;
    if (!text || fn(text, strlen(text), &c->resp->body, &d) != 0) {
        free(text);
        diags_free(&d);
        web_error(c, 500, "internal", NULL, "the %s export failed", ext);
        return;
    }
    free(text);
    diags_free(&d);
    c->resp->status = 200;
    c->resp->ctype = ctype;
    web_header(c->resp, "Content-Disposition", "attachment; filename=\"%s.%s\"",
               c->actor.slug, ext);
}

void web_export_graphml(WebCtx *c)
{
    export_as(c, map_export_graphml, true, "graphml",
              "application/graphml+xml; charset=utf-8");
}

void web_export_dot(WebCtx *c)
{
    export_as(c, map_export_dot, true, "dot",
              "text/vnd.graphviz; charset=utf-8");
}

void web_export_csv(WebCtx *c)
{
    export_as(c, map_export_items_csv, false, "csv", "text/csv; charset=utf-8");
}
