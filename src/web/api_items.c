/*
 * api_items.c - the API's list: items (add, read, edit, delete, merge,
 * rate, evidence, hide/restore, rollback, theme), near-duplicates and
 * themes with their suggestions. Near-duplicates and suggestions come
 * from the map module's TF-IDF index, built per request from the open,
 * visible items (hidden ones never inform another member's screen).
 */
#include "web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/map.h"

#define SIMILAR_TEXT_MAX 10000 /* characters of ?text= */

/* Answers 404 when the :id segment is not an id; true when it is. */
static bool have_id(WebCtx *c, const char *kind)
{
    if (c->m.id > 0)
        return true;
    web_error(c, 404, "not_found", NULL, "no such %s in this workspace", kind);
    return false;
}

/* Answers {item} (with evidence and source) for item id. */
static void answer_item(WebCtx *c, long long id, int status, json_t *extra)
{
    StoreErr e = {0};
    json_t *item = NULL;
    if (store_item_get(c->db, &c->actor, id, true, &item, &e) != STORE_OK) {
        json_decref(extra);
        web_store_error(c, &e);
        return;
    }
    json_t *o = json_pack("{s:o}", "item", item);
    if (o && extra)
        json_object_update(o, extra);
    json_decref(extra);
    web_json(c, status, o);
}

/* ---- near-duplicates -------------------------------------------------- */

/* The entry of the texts list ([[id, title, body] ...], by id) for id. */
static json_t *text_entry(json_t *texts, long long id)
{
    size_t lo = 0, hi = json_array_size(texts);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        json_t *e = json_array_get(texts, mid);
        long long v = json_integer_value(json_array_get(e, 0));
        if (v == id)
            return e;
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Builds the index of the visible open items; *texts is the list it was
 * built from (the caller's). NULL on failure, with e set. */
static MapTextIndex *text_index(WebCtx *c, json_t **texts, StoreErr *e)
{
    if (store_item_texts(c->db, &c->actor, texts, e) != STORE_OK)
        return NULL;
    MapTextIndex *ix = map_text_index_new();
    size_t i;
    json_t *t;
    TBuf doc = {0};
    json_array_foreach(*texts, i, t)
    {
        doc.len = 0;
        tbuf_printf(&doc, "%s\n%s", json_string_value(json_array_get(t, 1)),
                    json_string_value(json_array_get(t, 2)));
        if (!ix ||
            map_text_index_add(ix, json_integer_value(json_array_get(t, 0)),
                               tbuf_cstr(&doc)) != 0) {
            map_text_index_free(ix);
            ix = NULL;
            break;
        }
    }
    tbuf_free(&doc);
    if (!ix) {
        json_decref(*texts);
        *texts = NULL;
        web_field_err(e, "internal", NULL, "out of memory");
    }
    return ix;
}

/* [{id, title, score}] of the open items most like text, but exclude:
 * from the server's kept index (cache.c), else built for this request. */
static json_t *similar_to(WebCtx *c, const char *text, long long exclude,
                          StoreErr *e)
{
    if (c->conf->cache)
        return web_cache_similar(c->conf->cache, c->db, c->actor.ws_id, text,
                                 exclude, e);
    json_t *texts = NULL;
    MapTextIndex *ix = text_index(c, &texts, e);
    if (!ix)
        return NULL;
    MapSimilar best[WEB_SIMILAR_MAX];
    int n = map_text_similar(ix, text, exclude, WEB_SIMILAR_MIN, best,
                             WEB_SIMILAR_MAX);
    json_t *out = json_array();
    for (int i = 0; out && i < n; i++) {
        json_t *t = text_entry(texts, best[i].id);
        if (t)
            json_array_append_new(out, json_pack("{s:I, s:O, s:f}", "id",
                                                 (json_int_t)best[i].id,
                                                 "title", json_array_get(t, 1),
                                                 "score", best[i].score));
    }
    map_text_index_free(ix);
    json_decref(texts);
    if (!out)
        web_field_err(e, "internal", NULL, "out of memory");
    return out;
}

void web_similar(WebCtx *c)
{
    const char *text = web_arg(c, WEB_QUERY, "text");
    StoreErr e = {0};
    if (text && !store_text_ok(text, 0, SIMILAR_TEXT_MAX)) {
        web_error(c, 400, "bad_field", "text",
                  "'text' must be at most %d characters of text",
                  SIMILAR_TEXT_MAX);
        return;
    }
    if (!text || !text[0]) {
        web_json(c, 200, json_pack("{s:[]}", "similar"));
        return;
    }
    json_t *sim = similar_to(c, text, -1, &e);
    if (!sim) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "similar", sim));
}

/* ---- items ------------------------------------------------------------ */

void web_items_list(WebCtx *c)
{
    StoreItemQuery q;
    StoreErr e = {0};
    json_t *list = NULL;
    if (web_parse_items_query(
            web_arg(c, WEB_QUERY, "theme"), web_arg(c, WEB_QUERY, "sort"),
            web_arg(c, WEB_QUERY, "status"), web_arg(c, WEB_QUERY, "q"),
            web_arg(c, WEB_QUERY, "hidden"), &q, &e) != STORE_OK ||
        store_items_list(c->db, &c->actor, &q, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "items", list));
}

/* The answer to an item add: the item and its near-duplicates (the item
 * is stored: a failed similarity check only loses the hint). */
static void item_added(WebCtx *c)
{
    StoreErr e = {0};
    json_t *sim = similar_to(c, tbuf_cstr(&c->after_text), c->after_id, &e);
    answer_item(c, c->after_id, 201,
                json_pack("{s:o}", "similar", sim ? sim : json_array()));
}

void web_item_add(WebCtx *c)
{
    StoreItemEdit ie;
    StoreErr e = {0};
    long long id = 0;
    if (web_parse_item(c->body, true, &ie, &e) != STORE_OK ||
        store_item_add(c->db, &c->actor, &ie, &id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    c->after_id = id;
    if (tbuf_printf(&c->after_text, "%s\n%s", ie.title,
                    ie.body ? ie.body : "") != T_OK) {
        web_error(c, 500, "internal", NULL, "out of memory");
        return;
    }
    if (c->conf->group && (c->route->flags & WEB_R_GROUP))
        c->after = item_added; /* once the batch is committed */
    else
        item_added(c);
}

void web_item_get(WebCtx *c)
{
    if (have_id(c, "item"))
        answer_item(c, c->m.id, 200, NULL);
}

void web_item_edit(WebCtx *c)
{
    StoreItemEdit ie;
    StoreErr e = {0};
    if (!have_id(c, "item"))
        return;
    if (web_parse_item(c->body, false, &ie, &e) != STORE_OK ||
        store_item_edit(c->db, &c->actor, c->m.id, &ie, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, c->m.id, 200, NULL);
}

void web_item_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "item"))
        return;
    if (store_item_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

void web_item_merge(WebCtx *c)
{
    StoreErr e = {0};
    long long into = 0;
    if (!have_id(c, "item"))
        return;
    if (web_parse_id(c->body, "into", false, &into, &e) != STORE_OK ||
        store_item_merge(c->db, &c->actor, c->m.id, into, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, into, 200, NULL);
}

void web_item_rate(WebCtx *c)
{
    StoreErr e = {0};
    int imp = 0, unc = 0;
    if (!have_id(c, "item"))
        return;
    if (web_parse_rating(c->body, &imp, &unc, &e) != STORE_OK ||
        store_item_rate(c->db, &c->actor, c->m.id, imp, unc, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, c->m.id, 200, NULL);
}

void web_item_evidence(WebCtx *c)
{
    StoreErr e = {0};
    StoreEvidence ev;
    json_t *out = NULL;
    if (!have_id(c, "item"))
        return;
    if (web_parse_evidence(c->body, &ev, &e) != STORE_OK ||
        store_evidence_add(c->db, &c->actor, c->m.id, &ev, &out, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 201, json_pack("{s:o}", "evidence", out));
}

static void hide(WebCtx *c, bool on)
{
    StoreErr e = {0};
    if (!have_id(c, "item"))
        return;
    if (store_item_hide(c->db, &c->actor, c->m.id, on, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, c->m.id, 200, NULL);
}

void web_item_hide(WebCtx *c)
{
    hide(c, true);
}

void web_item_restore(WebCtx *c)
{
    hide(c, false);
}

void web_item_rollback(WebCtx *c)
{
    StoreErr e = {0};
    long long ev = 0;
    if (!have_id(c, "item"))
        return;
    if (web_parse_id(c->body, "event_id", false, &ev, &e) != STORE_OK ||
        store_item_rollback(c->db, &c->actor, c->m.id, ev, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, c->m.id, 200, NULL);
}

void web_item_theme(WebCtx *c)
{
    StoreErr e = {0};
    long long theme = 0;
    if (!have_id(c, "item"))
        return;
    if (web_parse_id(c->body, "theme_id", true, &theme, &e) != STORE_OK ||
        store_item_set_theme(c->db, &c->actor, c->m.id, theme, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_item(c, c->m.id, 200, NULL);
}

/* ---- themes ----------------------------------------------------------- */

static void answer_theme(WebCtx *c, long long id, int status)
{
    StoreErr e = {0};
    json_t *t = NULL;
    if (store_theme_get(c->db, &c->actor, id, &t, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, status, json_pack("{s:o}", "theme", t));
}

void web_themes_list(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    if (store_themes_list(c->db, &c->actor, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "themes", list));
}

void web_theme_add(WebCtx *c)
{
    StoreErr e = {0};
    WebTheme t;
    long long id = 0;
    if (web_parse_theme(c->body, true, &t, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    int rc = store_theme_add(c->db, &c->actor, t.name, t.color, t.items,
                             t.nitems, &id, &e);
    free(t.items);
    if (rc != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_theme(c, id, 201);
}

void web_theme_edit(WebCtx *c)
{
    StoreErr e = {0};
    WebTheme t;
    if (!have_id(c, "theme"))
        return;
    if (web_parse_theme(c->body, false, &t, &e) != STORE_OK ||
        store_theme_edit(c->db, &c->actor, c->m.id, t.name, t.color, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_theme(c, c->m.id, 200);
}

void web_theme_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "theme"))
        return;
    if (store_theme_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

void web_themes_suggest(WebCtx *c)
{
    StoreErr e = {0};
    int k = 0;
    json_t *texts = NULL;
    if (web_parse_k(c->body, &k, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    MapTextIndex *ix = text_index(c, &texts, &e);
    if (!ix) {
        web_store_error(c, &e);
        return;
    }
    MapThemeSuggestion *s = NULL;
    int n = json_array_size(texts) > 0 ? map_text_suggest_themes(ix, k, &s) : 0;
    map_text_index_free(ix);
    json_decref(texts);
    if (n < 0) {
        web_error(c, 500, "internal", NULL, "out of memory");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; out && i < n; i++) {
        json_t *items = json_array(), *terms = json_array();
        for (int j = 0; j < s[i].nitems; j++)
            json_array_append_new(items, json_integer(s[i].items[j]));
        for (int j = 0; j < s[i].nterms; j++)
            json_array_append_new(terms, json_string(s[i].terms[j]));
        json_array_append_new(out, json_pack("{s:s, s:o, s:o}", "name",
                                             s[i].name ? s[i].name : "",
                                             "items", items, "terms", terms));
    }
    map_theme_suggestions_free(s, n);
    web_json(c, 200, json_pack("{s:o}", "suggestions", out));
}
