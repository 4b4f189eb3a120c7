/*
 * api_framing.c - the API of scenario framing (docs/http-api.md,
 * "Scenario framing"): the impact/uncertainty grid, the framing of a
 * workspace (axes, four cards, inevitables, robust moves, leading
 * indicators), and the request parsers of its writes. The parsers are
 * pure (JSON to the store's typed edits) so tests/fuzz/fuzz_request.c
 * drives them; the store checks what depends on the data (the items are
 * open items of this workspace, authorship).
 */
#include "web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- request parsers --------------------------------------------------- */

/* A text at b.key of min..max characters; field is its path. *out is
 * NULL when absent (or null) and not required. */
static int text_at(json_t *b, const char *key, const char *field, bool required,
                   int min, int max, const char **out, StoreErr *e)
{
    *out = NULL;
    json_t *v = json_object_get(b, key);
    if (!v || json_is_null(v))
        return required ? web_field_err(e, "missing_field", field,
                                        "missing '%s'", field)
                        : STORE_OK;
    if (!json_is_string(v))
        return web_field_err(e, "bad_field", field, "'%s' must be a string",
                             field);
    if (!store_text_ok(json_string_value(v), min, max))
        return web_field_err(e, "bad_field", field,
                             "'%s' must be %d to %d characters", field, min,
                             max);
    *out = json_string_value(v);
    return STORE_OK;
}

/* A positive item id at field (v NULL: missing). */
static int item_id_at(json_t *v, const char *field, long long *out, StoreErr *e)
{
    if (!v)
        return web_field_err(e, "missing_field", field, "missing '%s'", field);
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return web_field_err(e, "bad_field", field, "'%s' must be an item id",
                             field);
    *out = json_integer_value(v);
    return STORE_OK;
}

/* A scenario card number 1..4 at field. */
static int quadrant_at(json_t *v, const char *field, int *out, StoreErr *e)
{
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > 4)
        return web_field_err(e, "bad_field", field,
                             "'%s' must be a scenario card, 1 to 4", field);
    *out = (int)json_integer_value(v);
    return STORE_OK;
}

int web_parse_axes(json_t *b, StoreFramingAxis out[2], StoreErr *e)
{
    static const char *const keys[] = {"x", "y"};
    memset(out, 0, 2 * sizeof *out);
    for (int k = 0; k < 2; k++) {
        char field[16];
        json_t *ax = json_object_get(b, keys[k]);
        if (!ax)
            return web_field_err(e, "missing_field", keys[k], "missing '%s'",
                                 keys[k]);
        if (!json_is_object(ax))
            return web_field_err(e, "bad_field", keys[k],
                                 "'%s' must be an object {item, low, high}",
                                 keys[k]);
        snprintf(field, sizeof field, "%s.item", keys[k]);
        int rc =
            item_id_at(json_object_get(ax, "item"), field, &out[k].item, e);
        snprintf(field, sizeof field, "%s.low", keys[k]);
        if (rc == STORE_OK)
            rc = text_at(ax, "low", field, true, 1, STORE_FRAMING_POLE_MAX,
                         &out[k].low, e);
        snprintf(field, sizeof field, "%s.high", keys[k]);
        if (rc == STORE_OK)
            rc = text_at(ax, "high", field, true, 1, STORE_FRAMING_POLE_MAX,
                         &out[k].high, e);
        if (rc != STORE_OK)
            return rc;
    }
    if (out[0].item == out[1].item)
        return web_field_err(e, "bad_field", "y.item",
                             "the two axes need two different items");
    return STORE_OK;
}

int web_parse_card(json_t *b, WebCard *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc = text_at(b, "name", "name", false, 0, STORE_FRAMING_NAME_MAX,
                     &out->card.name, e);
    if (rc == STORE_OK)
        rc = text_at(b, "narrative", "narrative", false, 0,
                     STORE_FRAMING_NARRATIVE_MAX, &out->card.narrative, e);
    json_t *items = json_object_get(b, "items");
    if (rc != STORE_OK || !items || json_is_null(items))
        return rc;
    if (!json_is_array(items) ||
        json_array_size(items) > STORE_FRAMING_CARD_ITEMS_MAX)
        return web_field_err(e, "bad_field", "items",
                             "'items' must be a list of at most %d item ids",
                             STORE_FRAMING_CARD_ITEMS_MAX);
    size_t n = json_array_size(items);
    out->items = malloc(sizeof *out->items * (n + 1));
    if (!out->items)
        return web_field_err(e, "internal", NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "items[%zu]", i);
        rc = item_id_at(json_array_get(items, i), field, &out->items[i], e);
        if (rc != STORE_OK) {
            free(out->items);
            out->items = NULL;
            return rc;
        }
    }
    out->card.set_items = true;
    out->card.items = out->items;
    out->card.nitems = (int)n;
    return STORE_OK;
}

int web_parse_move(json_t *b, bool create, StoreFramingMove *out, StoreErr *e)
{
    out->text = NULL;
    out->cards = create ? 0 : -1;
    int rc = text_at(b, "text", "text", create, 1, STORE_FRAMING_TEXT_MAX,
                     &out->text, e);
    json_t *cards = json_object_get(b, "cards");
    if (rc != STORE_OK || !cards)
        return rc;
    if (!json_is_array(cards) || json_array_size(cards) > 4)
        return web_field_err(e, "bad_field", "cards",
                             "'cards' must be a list of scenario cards, 1 to "
                             "4");
    int bits = 0;
    for (size_t i = 0; i < json_array_size(cards); i++) {
        char field[32];
        int q = 0;
        snprintf(field, sizeof field, "cards[%zu]", i);
        rc = quadrant_at(json_array_get(cards, i), field, &q, e);
        if (rc == STORE_OK && (bits & (1 << (q - 1))))
            rc = web_field_err(e, "bad_field", field, "card %d is listed twice",
                               q);
        if (rc != STORE_OK)
            return rc;
        bits |= 1 << (q - 1);
    }
    out->cards = bits;
    return STORE_OK;
}

int web_parse_indicator(json_t *b, bool create, StoreFramingIndicator *out,
                        StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc = text_at(b, "text", "text", create, 1, STORE_FRAMING_TEXT_MAX,
                     &out->text, e);
    json_t *card = json_object_get(b, "card");
    if (rc == STORE_OK && (card || create)) {
        if (!card)
            return web_field_err(e, "missing_field", "card", "missing 'card'");
        rc = quadrant_at(card, "card", &out->card, e);
    }
    json_t *item = json_object_get(b, "item");
    if (rc == STORE_OK && item) {
        out->set_item = true;
        if (!json_is_null(item))
            rc = item_id_at(item, "item", &out->item, e);
    }
    return rc;
}

/* ---- handlers --------------------------------------------------------- */

/* Answers {framing} (with id when not 0) with status. */
static void answer_framing(WebCtx *c, int status, long long id)
{
    StoreErr e = {0};
    json_t *f = NULL;
    if (store_framing_get(c->db, &c->actor, &f, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    json_t *o = json_pack("{s:o}", "framing", f);
    if (o && id)
        json_object_set_new(o, "id", json_integer(id));
    web_json(c, status, o);
}

/* Answers 404 when the :id segment is not an id; true when it is. */
static bool have_id(WebCtx *c, const char *kind)
{
    if (c->m.id > 0)
        return true;
    web_error(c, 404, "not_found", NULL, "no such %s in this workspace", kind);
    return false;
}

void web_grid(WebCtx *c)
{
    StoreErr e = {0};
    json_t *g = NULL;
    if (store_grid(c->db, &c->actor, &g, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, g);
}

void web_framing_get(WebCtx *c)
{
    answer_framing(c, 200, 0);
}

void web_framing_axes(WebCtx *c)
{
    StoreErr e = {0};
    StoreFramingAxis axes[2];
    if (web_parse_axes(c->body, axes, &e) != STORE_OK ||
        store_framing_axes_set(c->db, &c->actor, axes, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 200, 0);
}

void web_framing_axes_clear(WebCtx *c)
{
    StoreErr e = {0};
    if (store_framing_axes_set(c->db, &c->actor, NULL, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 200, 0);
}

void web_framing_card(WebCtx *c)
{
    StoreErr e = {0};
    WebCard card;
    if (c->m.id < 1 || c->m.id > 4) {
        web_error(c, 404, "not_found", NULL,
                  "no such scenario card: the cards are 1 to 4");
        return;
    }
    if (web_parse_card(c->body, &card, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    int rc =
        store_framing_card_set(c->db, &c->actor, (int)c->m.id, &card.card, &e);
    free(card.items);
    if (rc != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 200, 0);
}

void web_framing_move_add(WebCtx *c)
{
    StoreErr e = {0};
    StoreFramingMove m;
    long long id = 0;
    if (web_parse_move(c->body, true, &m, &e) != STORE_OK ||
        store_framing_move_add(c->db, &c->actor, &m, &id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 201, id);
}

void web_framing_move_edit(WebCtx *c)
{
    StoreErr e = {0};
    StoreFramingMove m;
    if (!have_id(c, "move"))
        return;
    if (web_parse_move(c->body, false, &m, &e) != STORE_OK ||
        store_framing_move_edit(c->db, &c->actor, c->m.id, &m, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 200, c->m.id);
}

void web_framing_move_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "move"))
        return;
    if (store_framing_move_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

void web_framing_indicator_add(WebCtx *c)
{
    StoreErr e = {0};
    StoreFramingIndicator in;
    long long id = 0;
    if (web_parse_indicator(c->body, true, &in, &e) != STORE_OK ||
        store_framing_indicator_add(c->db, &c->actor, &in, &id, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 201, id);
}

void web_framing_indicator_edit(WebCtx *c)
{
    StoreErr e = {0};
    StoreFramingIndicator in;
    if (!have_id(c, "indicator"))
        return;
    if (web_parse_indicator(c->body, false, &in, &e) != STORE_OK ||
        store_framing_indicator_edit(c->db, &c->actor, c->m.id, &in, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_framing(c, 200, c->m.id);
}

void web_framing_indicator_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "indicator"))
        return;
    if (store_framing_indicator_delete(c->db, &c->actor, c->m.id, &e) !=
        STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}
