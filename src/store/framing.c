/*
 * framing.c - scenario framing in a workspace (PRODUCT.md step 6, the
 * qualitative part): the impact/uncertainty grid of the rated items with
 * the spread between raters, the two axes of the 2x2 (critical
 * uncertainties, each with the labels of its poles), the four scenario
 * cards, robust moves and leading indicators; and the "framing" object
 * of the workspace document. Every change is one transaction that
 * appends its event (framing.axes, framing.card, framing.move.*,
 * framing.indicator.*) with the state before and after.
 *
 * Quadrants: 1 is x high / y high, 2 x low / y high, 3 x low / y low,
 * 4 x high / y low (counter-clockwise from the top right, as in a
 * mathematician's plane).
 */
#include "store_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP 80      /* characters of a text in a summary */
#define ALL_CARDS 15 /* a move that pays off in all four */
#define WITHHELD_TITLE "a hidden contribution"

static const char *const x_pole[5] = {"", "high", "low", "low", "high"};
static const char *const y_pole[5] = {"", "high", "high", "low", "low"};

/* ---- the grid --------------------------------------------------------- */

static bool is_inevitable(long long raters, double imp, double unc)
{
    return raters > 0 && imp >= STORE_GRID_INEVITABLE_IMPACT &&
           unc <= STORE_GRID_INEVITABLE_UNCERT;
}

static bool is_critical(long long raters, double imp, double unc)
{
    return raters > 0 && imp >= STORE_GRID_CRITICAL_IMPACT &&
           unc >= STORE_GRID_CRITICAL_UNCERT;
}

/* The population standard deviation from the mean of x and of x^2. */
static double stdev(double mean, double mean_sq)
{
    double v = mean_sq - mean * mean;
    return v > 0 ? sqrt(v) : 0.0;
}

/* The grid's items (see store.h); inevitables_only keeps only those. */
static int grid_items(StoreDb *db, const StoreActor *a, bool inevitables_only,
                      json_t **out, StoreErr *err)
{
    *out = json_array();
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT i.id, i.title, i.theme_id, count(r.item_id),"
        " avg(r.importance), avg(r.uncertainty),"
        " avg(r.importance * r.importance),"
        " avg(r.uncertainty * r.uncertainty), min(r.importance),"
        " max(r.importance), min(r.uncertainty), max(r.uncertainty),"
        " (SELECT importance FROM ratings m WHERE m.item_id = i.id AND"
        "  m.user_id = ?2),"
        " (SELECT uncertainty FROM ratings m WHERE m.item_id = i.id AND"
        "  m.user_id = ?2)"
        " FROM items i LEFT JOIN ratings r ON r.item_id = i.id"
        " WHERE i.ws_id = ?1 AND i.status = 'open' AND i.hidden = 0"
        " GROUP BY i.id ORDER BY i.id",
        "ii", a->ws_id, a->user_id);
    if (!st || !*out) {
        db_done(db, st);
        json_decref(*out);
        *out = NULL;
        return st ? err_nomem(err) : STORE_EINTERNAL;
    }
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        long long n = sqlite3_column_int64(st, 3);
        double imp = sqlite3_column_double(st, 4);
        double unc = sqlite3_column_double(st, 5);
        bool inev = is_inevitable(n, imp, unc);
        if (inevitables_only && !inev)
            continue;
        json_t *o = json_pack("{s:I, s:s, s:o, s:I}", "id",
                              (json_int_t)sqlite3_column_int64(st, 0), "title",
                              col_text(st, 1), "theme_id",
                              col_int_or_null(st, 2), "raters", (json_int_t)n);
        if (!o)
            continue;
        if (n > 0) {
            json_object_set_new(o, "impact", json_real(imp));
            json_object_set_new(o, "uncertainty", json_real(unc));
        } else {
            json_object_set_new(o, "impact", json_null());
            json_object_set_new(o, "uncertainty", json_null());
        }
        if (!inevitables_only) {
            json_object_set_new(
                o, "spread",
                n > 0 ? json_pack("{s:f, s:f}", "impact",
                                  stdev(imp, sqlite3_column_double(st, 6)),
                                  "uncertainty",
                                  stdev(unc, sqlite3_column_double(st, 7)))
                      : json_null());
            json_object_set_new(
                o, "range",
                n > 0 ? json_pack("{s:[I,I], s:[I,I]}", "impact",
                                  (json_int_t)sqlite3_column_int64(st, 8),
                                  (json_int_t)sqlite3_column_int64(st, 9),
                                  "uncertainty",
                                  (json_int_t)sqlite3_column_int64(st, 10),
                                  (json_int_t)sqlite3_column_int64(st, 11))
                      : json_null());
            json_object_set_new(
                o, "my_rating",
                sqlite3_column_type(st, 12) == SQLITE_NULL
                    ? json_null()
                    : json_pack("{s:I, s:I}", "importance",
                                (json_int_t)sqlite3_column_int64(st, 12),
                                "uncertainty",
                                (json_int_t)sqlite3_column_int64(st, 13)));
            json_object_set_new(o, "inevitable", json_boolean(inev));
            json_object_set_new(o, "critical",
                                json_boolean(is_critical(n, imp, unc)));
        }
        json_array_append_new(*out, o);
    }
    db_done(db, st);
    if (s != SQLITE_DONE) {
        json_decref(*out);
        *out = NULL;
        return STORE_EINTERNAL;
    }
    return STORE_OK;
}

int store_grid(StoreDb *db, const StoreActor *a, json_t **grid, StoreErr *err)
{
    json_t *items = NULL;
    *grid = NULL;
    int rc = grid_items(db, a, false, &items, err);
    if (rc != STORE_OK)
        return rc;
    *grid = json_pack("{s:{s:s, s:f, s:f, s:f, s:f}, s:o}", "rule", "spread",
                      "population standard deviation of the raters' scores",
                      "inevitable_impact_min", STORE_GRID_INEVITABLE_IMPACT,
                      "inevitable_uncertainty_max",
                      STORE_GRID_INEVITABLE_UNCERT, "critical_impact_min",
                      STORE_GRID_CRITICAL_IMPACT, "critical_uncertainty_min",
                      STORE_GRID_CRITICAL_UNCERT, "items", items);
    return *grid ? STORE_OK : err_nomem(err);
}

/* ---- reading the framing ---------------------------------------------- */

/* The axes' state {x: {item, low, high}, y: ...}, or JSON null. */
static json_t *axes_state(StoreDb *db, long long ws)
{
    StoreErr e = {0};
    json_t *o = json_object();
    sqlite3_stmt *st = db_query(db, &e,
                                "SELECT axis, item_id, low, high FROM"
                                " framing_axes WHERE ws_id = ?1 ORDER BY axis",
                                "i", ws);
    while (o && st && db_step(db, st, &e) == SQLITE_ROW)
        json_object_set_new(o, col_text(st, 0),
                            json_pack("{s:I, s:s, s:s}", "item",
                                      (json_int_t)sqlite3_column_int64(st, 1),
                                      "low", col_text(st, 2), "high",
                                      col_text(st, 3)));
    db_done(db, st);
    if (!o || json_object_size(o) < 2) {
        json_decref(o);
        return json_null();
    }
    return o;
}

/* The item ids on card q of ws, in order, as a JSON array. */
static json_t *card_item_ids(StoreDb *db, long long ws, int q)
{
    StoreErr e = {0};
    json_t *ids = json_array();
    sqlite3_stmt *st = db_query(db, &e,
                                "SELECT item_id FROM framing_card_items WHERE"
                                " ws_id = ?1 AND quadrant = ?2 ORDER BY pos",
                                "ii", ws, (long long)q);
    while (ids && st && db_step(db, st, &e) == SQLITE_ROW)
        json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
    db_done(db, st);
    return ids ? ids : json_null();
}

/* A card's state {quadrant, name, narrative, items: [ID]}. */
static json_t *card_state(StoreDb *db, long long ws, int q)
{
    StoreErr e = {0};
    const char *name = "", *narr = "";
    sqlite3_stmt *st = db_query(db, &e,
                                "SELECT name, narrative FROM framing_cards"
                                " WHERE ws_id = ?1 AND quadrant = ?2",
                                "ii", ws, (long long)q);
    json_t *o = NULL;
    if (st && db_step(db, st, &e) == SQLITE_ROW) {
        name = col_text(st, 0);
        narr = col_text(st, 1);
    }
    o = json_pack("{s:i, s:s, s:s, s:o}", "quadrant", q, "name", name,
                  "narrative", narr, "items", card_item_ids(db, ws, q));
    db_done(db, st);
    return o;
}

/* The title of a visible item of the workspace ("" when none), and
 * whether it is open and visible to the actor. */
static bool item_title(StoreDb *db, const StoreActor *a, long long id,
                       char *out, size_t cap)
{
    StoreErr e = {0};
    out[0] = '\0';
    sqlite3_stmt *st = db_query(db, &e,
                                "SELECT title, hidden, status FROM items"
                                " WHERE id = ?1 AND ws_id = ?2",
                                "ii", id, a->ws_id);
    bool ok = false;
    if (st && db_step(db, st, &e) == SQLITE_ROW) {
        bool hidden = sqlite3_column_int(st, 1) != 0;
        if (hidden && !store_sees_hidden(a)) {
            snprintf(out, cap, "%s", WITHHELD_TITLE);
        } else {
            snprintf(out, cap, "%s", col_text(st, 0));
            ok = !strcmp(col_text(st, 2), "open");
        }
    }
    db_done(db, st);
    return ok;
}

/* {id, title} of an item as the actor may see it. */
static json_t *item_ref(StoreDb *db, const StoreActor *a, long long id)
{
    char title[4 * STORE_TITLE_MAX + 4];
    item_title(db, a, id, title, sizeof title);
    return json_pack("{s:I, s:s}", "id", (json_int_t)id, "title", title);
}

static json_t *cards_of(int bits)
{
    json_t *arr = json_array();
    for (int q = 1; arr && q <= 4; q++)
        if (bits & (1 << (q - 1)))
            json_array_append_new(arr, json_integer(q));
    return arr;
}

static int read_moves(StoreDb *db, const StoreActor *a, json_t *out,
                      StoreErr *err)
{
    sqlite3_stmt *st =
        db_query(db, err,
                 "SELECT f.id, f.text, f.cards, COALESCE(m.display_name,"
                 " u.display_name), f.author_id, f.created_at, f.updated_at"
                 " FROM framing_moves f LEFT JOIN users u ON u.id = f.author_id"
                 " LEFT JOIN memberships m ON m.ws_id = f.ws_id AND m.user_id ="
                 " f.author_id WHERE f.ws_id = ?1 ORDER BY f.id",
                 "i", a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        int bits = sqlite3_column_int(st, 2);
        long long author = sqlite3_column_int64(st, 4);
        json_array_append_new(
            out, json_pack("{s:I, s:s, s:o, s:b, s:o, s:b, s:s, s:s}", "id",
                           (json_int_t)sqlite3_column_int64(st, 0), "text",
                           col_text(st, 1), "cards", cards_of(bits), "robust",
                           bits == ALL_CARDS, "author", col_json(st, 3), "mine",
                           a->user_id && author == a->user_id, "created_at",
                           col_text(st, 5), "updated_at", col_text(st, 6)));
    }
    db_done(db, st);
    return s == SQLITE_DONE ? STORE_OK : STORE_EINTERNAL;
}

static int read_indicators(StoreDb *db, const StoreActor *a, json_t *out,
                           StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT f.id, f.text, f.card, f.item_id, COALESCE(m.display_name,"
        " u.display_name), f.author_id, f.created_at, f.updated_at"
        " FROM framing_indicators f LEFT JOIN users u ON u.id = f.author_id"
        " LEFT JOIN memberships m ON m.ws_id = f.ws_id AND m.user_id ="
        " f.author_id WHERE f.ws_id = ?1 ORDER BY f.card, f.id",
        "i", a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    /* the rows first: item_ref runs its own statement */
    json_t *rows = json_array();
    int s;
    while (rows && (s = db_step(db, st, err)) == SQLITE_ROW) {
        long long author = sqlite3_column_int64(st, 5);
        json_array_append_new(
            rows,
            json_pack("{s:I, s:s, s:i, s:o, s:o, s:b, s:s, s:s}", "id",
                      (json_int_t)sqlite3_column_int64(st, 0), "text",
                      col_text(st, 1), "card", sqlite3_column_int(st, 2),
                      "item", col_int_or_null(st, 3), "author", col_json(st, 4),
                      "mine", a->user_id && author == a->user_id, "created_at",
                      col_text(st, 6), "updated_at", col_text(st, 7)));
    }
    db_done(db, st);
    if (!rows)
        return err_nomem(err);
    if (s != SQLITE_DONE) {
        json_decref(rows);
        return STORE_EINTERNAL;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *it = json_object_get(r, "item");
        if (json_is_integer(it))
            json_object_set_new(
                r, "item", item_ref(db, a, (long long)json_integer_value(it)));
        json_array_append(out, r);
    }
    json_decref(rows);
    return STORE_OK;
}

int store_framing_get(StoreDb *db, const StoreActor *a, json_t **framing,
                      StoreErr *err)
{
    *framing = NULL;
    json_t *axes = axes_state(db, a->ws_id);
    if (json_is_object(axes)) {
        const char *k;
        json_t *ax;
        json_object_foreach(axes, k, ax)
        {
            char title[4 * STORE_TITLE_MAX + 4];
            item_title(
                db, a,
                (long long)json_integer_value(json_object_get(ax, "item")),
                title, sizeof title);
            json_object_set_new(ax, "title", json_string(title));
        }
    }
    json_t *cards = json_array(), *moves = json_array(),
           *indicators = json_array(), *inev = NULL;
    int rc = cards && moves && indicators ? STORE_OK : err_nomem(err);
    for (int q = 1; rc == STORE_OK && q <= 4; q++) {
        json_t *c = card_state(db, a->ws_id, q);
        if (!c) {
            rc = err_nomem(err);
            break;
        }
        /* the items as {id, title}, open and visible ones only */
        json_t *refs = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(c, "items"), i, v)
        {
            char title[4 * STORE_TITLE_MAX + 4];
            long long id = (long long)json_integer_value(v);
            if (item_title(db, a, id, title, sizeof title))
                json_array_append_new(refs, json_pack("{s:I, s:s}", "id",
                                                      (json_int_t)id, "title",
                                                      title));
        }
        json_object_set_new(c, "items", refs);
        json_object_set_new(c, "x", json_string(x_pole[q]));
        json_object_set_new(c, "y", json_string(y_pole[q]));
        json_array_append_new(cards, c);
    }
    if (rc == STORE_OK)
        rc = grid_items(db, a, true, &inev, err);
    if (rc == STORE_OK)
        rc = read_moves(db, a, moves, err);
    if (rc == STORE_OK)
        rc = read_indicators(db, a, indicators, err);
    if (rc == STORE_OK) {
        *framing = json_pack("{s:o, s:o, s:o, s:o, s:o}", "axes", axes, "cards",
                             cards, "inevitables", inev, "moves", moves,
                             "indicators", indicators);
        return *framing ? STORE_OK : err_nomem(err);
    }
    json_decref(axes);
    json_decref(cards);
    json_decref(moves);
    json_decref(indicators);
    json_decref(inev);
    return rc;
}

/* ---- writes ----------------------------------------------------------- */

/* Checks that id is an open item of the workspace the actor may see;
 * EINPUT on field otherwise. */
static int open_item(StoreDb *db, const StoreActor *a, long long id,
                     const char *field, StoreErr *err)
{
    char title[8];
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT status, hidden FROM items WHERE"
                                " id = ?1 AND ws_id = ?2",
                                "ii", id, a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        snprintf(title, sizeof title, "%s", col_text(st, 0));
        if (sqlite3_column_int(st, 1) && !store_sees_hidden(a))
            rc = err_set(err, STORE_EINPUT, "bad_field", field,
                         "no item %lld in this workspace", id);
        else if (strcmp(title, "open"))
            rc = err_set(err, STORE_EINPUT, "bad_field", field,
                         "item %lld is %s: only open items can be used", id,
                         title);
    } else if (s == SQLITE_DONE) {
        rc = err_set(err, STORE_EINPUT, "bad_field", field,
                     "no item %lld in this workspace", id);
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_framing_axes_set(StoreDb *db, const StoreActor *a,
                           const StoreFramingAxis *axes, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    if (a->role < STORE_FACILITATOR)
        return err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                       "only a facilitator may choose the axes");
    if (axes && axes[0].item == axes[1].item)
        return err_set(err, STORE_EINPUT, "bad_field", "y.item",
                       "the two axes need two different items");
    int rc = db_begin(db, err);
    for (int k = 0; axes && rc == STORE_OK && k < 2; k++)
        rc = open_item(db, a, axes[k].item, k ? "y.item" : "x.item", err);
    json_t *before = rc == STORE_OK ? axes_state(db, a->ws_id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL, "DELETE FROM framing_axes WHERE ws_id = ?1",
                     "i", a->ws_id);
    for (int k = 0; axes && rc == STORE_OK && k < 2; k++)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_axes (ws_id, axis, item_id, low,"
                     " high) VALUES (?1, ?2, ?3, ?4, ?5)",
                     "ititt", a->ws_id, k ? "y" : "x", axes[k].item,
                     axes[k].low, axes[k].high);
    if (rc == STORE_OK) {
        char summary[2 * 4 * CLIP + 80] = "cleared the scenario axes";
        if (axes) {
            char x[4 * STORE_TITLE_MAX + 4], y[4 * STORE_TITLE_MAX + 4];
            char cx[4 * CLIP + 8], cy[4 * CLIP + 8];
            item_title(db, a, axes[0].item, x, sizeof x);
            item_title(db, a, axes[1].item, y, sizeof y);
            store_clip(cx, sizeof cx, x, CLIP);
            store_clip(cy, sizeof cy, y, CLIP);
            snprintf(summary, sizeof summary,
                     "chose the scenario axes '%s' and '%s'", cx, cy);
        }
        StoreEvent ev = {
            "framing.axes",          "framing", 0,      axes ? axes[0].item : 0,
            axes ? axes[1].item : 0, 0,         summary};
        rc = event_add(db, a, &ev, before, axes_state(db, a->ws_id), at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_framing_card_set(StoreDb *db, const StoreActor *a, int quadrant,
                           const StoreFramingCard *c, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    if (quadrant < 1 || quadrant > 4)
        return err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                       "no scenario card %d: the cards are 1 to 4", quadrant);
    if (a->role < STORE_FACILITATOR)
        return err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                       "only a facilitator may edit the scenario cards");
    int rc = db_begin(db, err);
    for (int i = 0; c->set_items && rc == STORE_OK && i < c->nitems; i++) {
        char field[32];
        snprintf(field, sizeof field, "items[%d]", i);
        rc = open_item(db, a, c->items[i], field, err);
        for (int k = 0; rc == STORE_OK && k < i; k++)
            if (c->items[k] == c->items[i])
                rc = err_set(err, STORE_EINPUT, "bad_field", field,
                             "item %lld is on the card twice", c->items[i]);
    }
    json_t *before = rc == STORE_OK ? card_state(db, a->ws_id, quadrant) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_cards (ws_id, quadrant, name,"
                     " narrative, updated_at) VALUES (?1, ?2, COALESCE(?3,"
                     " ''), COALESCE(?4, ''), ?5) ON CONFLICT (ws_id,"
                     " quadrant) DO UPDATE SET name = COALESCE(?3, name),"
                     " narrative = COALESCE(?4, narrative), updated_at = ?5",
                     "iittt", a->ws_id, (long long)quadrant, c->name,
                     c->narrative, at);
    if (rc == STORE_OK && c->set_items)
        rc = db_exec(db, err, NULL,
                     "DELETE FROM framing_card_items WHERE ws_id = ?1 AND"
                     " quadrant = ?2",
                     "ii", a->ws_id, (long long)quadrant);
    for (int i = 0; c->set_items && rc == STORE_OK && i < c->nitems; i++)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_card_items (ws_id, quadrant,"
                     " item_id, pos) VALUES (?1, ?2, ?3, ?4)",
                     "iiii", a->ws_id, (long long)quadrant, c->items[i],
                     (long long)i);
    if (rc == STORE_OK) {
        json_t *after = card_state(db, a->ws_id, quadrant);
        char clip[4 * CLIP + 8], summary[4 * CLIP + 60];
        store_clip(clip, sizeof clip,
                   json_string_value(json_object_get(after, "name")), CLIP);
        snprintf(summary, sizeof summary, "edited scenario card %d%s%s%s",
                 quadrant, clip[0] ? " '" : "", clip, clip[0] ? "'" : "");
        StoreEvent ev = {"framing.card", "card", quadrant, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, before, after, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* ---- moves and indicators --------------------------------------------- */

/* A move's or indicator's row: its author; ENOTFOUND when not here. */
static int note_author(StoreDb *db, const StoreActor *a, const char *table,
                       long long id, long long *author, StoreErr *err)
{
    static const char *const sql_move =
        "SELECT author_id FROM framing_moves WHERE id = ?1 AND ws_id = ?2";
    static const char *const sql_ind = "SELECT author_id FROM"
                                       " framing_indicators WHERE id = ?1 AND"
                                       " ws_id = ?2";
    bool move = !strcmp(table, "move");
    sqlite3_stmt *st =
        db_query(db, err, move ? sql_move : sql_ind, "ii", id, a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW)
        *author = sqlite3_column_int64(st, 0);
    else if (s == SQLITE_DONE)
        rc = err_missing(err, move ? "move" : "indicator", id);
    else
        rc = STORE_EINTERNAL;
    db_done(db, st);
    if (rc == STORE_OK && a->role < STORE_FACILITATOR &&
        !(a->user_id && *author == a->user_id))
        rc = err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                     "only its author or a facilitator may change %s %lld",
                     move ? "move" : "indicator", id);
    return rc;
}

static json_t *move_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    json_t *o = NULL;
    sqlite3_stmt *st = db_query(
        db, &e, "SELECT text, cards FROM framing_moves WHERE id = ?1", "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        o = json_pack("{s:s, s:o}", "text", col_text(st, 0), "cards",
                      cards_of(sqlite3_column_int(st, 1)));
    db_done(db, st);
    return o;
}

static json_t *indicator_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    json_t *o = NULL;
    sqlite3_stmt *st = db_query(db, &e,
                                "SELECT text, card, item_id FROM"
                                " framing_indicators WHERE id = ?1",
                                "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        o = json_pack("{s:s, s:i, s:o}", "text", col_text(st, 0), "card",
                      sqlite3_column_int(st, 1), "item",
                      col_int_or_null(st, 2));
    db_done(db, st);
    return o;
}

/* Logs a change of a move or indicator (before stolen). */
static int note_event(StoreDb *db, const StoreActor *a, const char *action,
                      const char *type, long long id, long long item,
                      const char *verb, json_t *before, const char *at,
                      StoreErr *err)
{
    bool move = !strcmp(type, "move");
    json_t *after = NULL;
    if (strcmp(verb, "deleted"))
        after = move ? move_state(db, id) : indicator_state(db, id);
    json_t *shown = after ? after : before;
    char clip[4 * CLIP + 8], summary[4 * CLIP + 80];
    store_clip(clip, sizeof clip,
               json_string_value(json_object_get(shown, "text")), CLIP);
    snprintf(summary, sizeof summary, "%s the %s '%s'", verb,
             move ? "robust move" : "leading indicator", clip);
    StoreEvent ev = {action, type, id, item, 0, 0, summary};
    return event_add(db, a, &ev, before, after, at, err);
}

int store_framing_move_add(StoreDb *db, const StoreActor *a,
                           const StoreFramingMove *m, long long *id,
                           StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_moves (ws_id, text, cards,"
                     " author_id, created_at, updated_at) VALUES (?1, ?2,"
                     " ?3, ?4, ?5, ?5)",
                     "itiIt", a->ws_id, m->text ? m->text : "",
                     (long long)(m->cards > 0 ? m->cards & ALL_CARDS : 0),
                     a->user_id, at);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        rc = note_event(db, a, "framing.move.add", "move", *id, 0, "added",
                        NULL, at, err);
    }
    return db_end(db, rc, err);
}

int store_framing_move_edit(StoreDb *db, const StoreActor *a, long long id,
                            const StoreFramingMove *m, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = note_author(db, a, "move", id, &author, err);
    json_t *before = rc == STORE_OK ? move_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE framing_moves SET text = COALESCE(?1, text),"
                     " cards = CASE WHEN ?2 < 0 THEN cards ELSE ?2 END,"
                     " updated_at = ?3 WHERE id = ?4",
                     "titi", m->text,
                     (long long)(m->cards < 0 ? -1 : m->cards & ALL_CARDS), at,
                     id);
    if (rc == STORE_OK) {
        rc = note_event(db, a, "framing.move.edit", "move", id, 0, "edited",
                        before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_framing_move_delete(StoreDb *db, const StoreActor *a, long long id,
                              StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = note_author(db, a, "move", id, &author, err);
    json_t *before = rc == STORE_OK ? move_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL, "DELETE FROM framing_moves WHERE id = ?1",
                     "i", id);
    if (rc == STORE_OK) {
        rc = note_event(db, a, "framing.move.delete", "move", id, 0, "deleted",
                        before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_framing_indicator_add(StoreDb *db, const StoreActor *a,
                                const StoreFramingIndicator *in, long long *id,
                                StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    if (in->card < 1 || in->card > 4)
        return err_set(err, STORE_EINPUT, "bad_field", "card",
                       "'card' must be a whole number from 1 to 4");
    long long item = in->set_item ? in->item : 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK && item)
        rc = open_item(db, a, item, "item", err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_indicators (ws_id, text, card,"
                     " item_id, author_id, created_at, updated_at) VALUES"
                     " (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                     "itiIIt", a->ws_id, in->text ? in->text : "",
                     (long long)in->card, item, a->user_id, at);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        rc = note_event(db, a, "framing.indicator.add", "indicator", *id, item,
                        "added", NULL, at, err);
    }
    return db_end(db, rc, err);
}

int store_framing_indicator_edit(StoreDb *db, const StoreActor *a, long long id,
                                 const StoreFramingIndicator *in, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    if (in->card < 0 || in->card > 4)
        return err_set(err, STORE_EINPUT, "bad_field", "card",
                       "'card' must be a whole number from 1 to 4");
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = note_author(db, a, "indicator", id, &author, err);
    if (rc == STORE_OK && in->set_item && in->item)
        rc = open_item(db, a, in->item, "item", err);
    json_t *before = rc == STORE_OK ? indicator_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE framing_indicators SET text = COALESCE(?1,"
                     " text), card = CASE WHEN ?2 = 0 THEN card ELSE ?2 END,"
                     " item_id = CASE WHEN ?3 THEN ?4 ELSE item_id END,"
                     " updated_at = ?5 WHERE id = ?6",
                     "tiiIti", in->text, (long long)in->card,
                     (long long)in->set_item, in->set_item ? in->item : 0, at,
                     id);
    if (rc == STORE_OK) {
        rc = note_event(db, a, "framing.indicator.edit", "indicator", id,
                        in->set_item ? in->item : 0, "edited", before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_framing_indicator_delete(StoreDb *db, const StoreActor *a,
                                   long long id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = note_author(db, a, "indicator", id, &author, err);
    json_t *before = rc == STORE_OK ? indicator_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "DELETE FROM framing_indicators WHERE id = ?1", "i", id);
    if (rc == STORE_OK) {
        rc = note_event(db, a, "framing.indicator.delete", "indicator", id, 0,
                        "deleted", before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* ---- the workspace document ------------------------------------------- */

/* A text at obj.key of min..max characters (absent or null: "" when not
 * required). */
static void check_text(StoreIssues *is, json_t *obj, const char *key,
                       const char *path, bool required, int min, int max)
{
    char field[128];
    snprintf(field, sizeof field, "%s.%s", path, key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            store_issue_add(is, field, "missing");
        return;
    }
    if (!store_text_ok(json_string_value(v), min, max))
        store_issue_add(is, field, "must be %d to %d characters of UTF-8 text",
                        min, max);
}

/* An item reference at field: its index, or -1 with an issue. */
static int check_ref(StoreIssues *is, StoreDocRef *ref, void *ctx, json_t *v,
                     const char *field)
{
    int at = ref(ctx, v);
    if (at >= 0)
        return at;
    const char *s = json_string_value(v);
    char shown[200];
    if (s)
        store_clip(shown, sizeof shown, s, 40);
    else if (json_is_integer(v))
        snprintf(shown, sizeof shown, "%lld", (long long)json_integer_value(v));
    if (s || json_is_integer(v))
        store_issue_add(is, field, "unknown item '%s'", shown);
    else
        store_issue_add(is, field, "must be the id of an item (a string)");
    return -1;
}

/* A quadrant 1..4 at field; 0 with an issue when it is not one. */
static int check_quadrant(StoreIssues *is, json_t *v, const char *field)
{
    if (json_is_integer(v) && json_integer_value(v) >= 1 &&
        json_integer_value(v) <= 4)
        return (int)json_integer_value(v);
    store_issue_add(is, field, "must be a scenario card, 1 to 4");
    return 0;
}

/* An optional array at obj.key of at most max entries, or NULL. */
static json_t *check_array(StoreIssues *is, json_t *obj, const char *key,
                           const char *path, size_t max)
{
    char field[128];
    snprintf(field, sizeof field, "%s.%s", path, key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_array(v)) {
        store_issue_add(is, field, "must be an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        store_issue_add(is, field, "has %zu entries; at most %zu are taken",
                        json_array_size(v), max);
        return NULL;
    }
    return v;
}

static void check_axes(StoreIssues *is, StoreDocRef *ref, void *ctx,
                       json_t *axes)
{
    if (!json_is_object(axes)) {
        store_issue_add(is, "framing.axes", "must be an object {x, y} or null");
        return;
    }
    int at[2] = {-1, -1};
    static const char *const keys[] = {"x", "y"};
    for (int k = 0; k < 2; k++) {
        char path[64], field[80];
        snprintf(path, sizeof path, "framing.axes.%s", keys[k]);
        json_t *ax = json_object_get(axes, keys[k]);
        if (!json_is_object(ax)) {
            store_issue_add(is, path, "must be an object {item, low, high}");
            continue;
        }
        snprintf(field, sizeof field, "%s.item", path);
        at[k] = check_ref(is, ref, ctx, json_object_get(ax, "item"), field);
        check_text(is, ax, "low", path, true, 1, STORE_FRAMING_POLE_MAX);
        check_text(is, ax, "high", path, true, 1, STORE_FRAMING_POLE_MAX);
    }
    if (at[0] >= 0 && at[0] == at[1])
        store_issue_add(is, "framing.axes.y.item",
                        "the two axes need two different items");
}

static void check_cards(StoreIssues *is, StoreDocRef *ref, void *ctx,
                        json_t *cards)
{
    bool seen[5] = {false};
    size_t i;
    json_t *c;
    json_array_foreach(cards, i, c)
    {
        char path[64], field[96];
        snprintf(path, sizeof path, "framing.cards[%zu]", i);
        if (!json_is_object(c)) {
            store_issue_add(is, path, "must be an object");
            continue;
        }
        snprintf(field, sizeof field, "%s.quadrant", path);
        int q = check_quadrant(is, json_object_get(c, "quadrant"), field);
        if (q && seen[q])
            store_issue_add(is, field, "a second card for quadrant %d", q);
        if (q)
            seen[q] = true;
        check_text(is, c, "name", path, false, 0, STORE_FRAMING_NAME_MAX);
        check_text(is, c, "narrative", path, false, 0,
                   STORE_FRAMING_NARRATIVE_MAX);
        json_t *items =
            check_array(is, c, "items", path, STORE_FRAMING_CARD_ITEMS_MAX);
        size_t k;
        json_t *v;
        json_array_foreach(items, k, v)
        {
            snprintf(field, sizeof field, "%s.items[%zu]", path, k);
            int at = check_ref(is, ref, ctx, v, field);
            for (size_t j = 0; at >= 0 && j < k; j++)
                if (ref(ctx, json_array_get(items, j)) == at)
                    store_issue_add(is, field, "the item is on the card twice");
        }
    }
}

static void check_notes(StoreIssues *is, StoreDocRef *ref, void *ctx,
                        json_t *list, bool moves)
{
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        char path[64], field[96];
        snprintf(path, sizeof path, "framing.%s[%zu]",
                 moves ? "moves" : "indicators", i);
        if (!json_is_object(n)) {
            store_issue_add(is, path, "must be an object");
            continue;
        }
        check_text(is, n, "text", path, true, 1, STORE_FRAMING_TEXT_MAX);
        if (moves) {
            json_t *cards = check_array(is, n, "cards", path, 4);
            size_t k;
            json_t *v;
            int bits = 0;
            json_array_foreach(cards, k, v)
            {
                snprintf(field, sizeof field, "%s.cards[%zu]", path, k);
                int q = check_quadrant(is, v, field);
                if (q && (bits & (1 << (q - 1))))
                    store_issue_add(is, field, "card %d is listed twice", q);
                if (q)
                    bits |= 1 << (q - 1);
            }
        } else {
            snprintf(field, sizeof field, "%s.card", path);
            check_quadrant(is, json_object_get(n, "card"), field);
            json_t *it = json_object_get(n, "item");
            snprintf(field, sizeof field, "%s.item", path);
            if (it && !json_is_null(it))
                check_ref(is, ref, ctx, it, field);
        }
    }
}

void store_framing_doc_check(json_t *framing, StoreDocRef *ref, void *ctx,
                             StoreIssues *is)
{
    if (!framing || json_is_null(framing))
        return;
    if (!json_is_object(framing)) {
        store_issue_add(is, "framing",
                        "must be an object {axes, cards, moves, indicators}");
        return;
    }
    json_t *axes = json_object_get(framing, "axes");
    if (axes && !json_is_null(axes))
        check_axes(is, ref, ctx, axes);
    json_t *cards = check_array(is, framing, "cards", "framing", 4);
    if (cards)
        check_cards(is, ref, ctx, cards);
    json_t *moves =
        check_array(is, framing, "moves", "framing", STORE_FRAMING_NOTES_MAX);
    if (moves)
        check_notes(is, ref, ctx, moves, true);
    json_t *inds = check_array(is, framing, "indicators", "framing",
                               STORE_FRAMING_NOTES_MAX);
    if (inds)
        check_notes(is, ref, ctx, inds, false);
}

static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

/* The database id of the document item v names (0: none). */
static long long ref_id(StoreDocRef *ref, void *ctx, const long long *ids,
                        json_t *v)
{
    if (!v || json_is_null(v))
        return 0;
    int at = ref(ctx, v);
    return at >= 0 ? ids[at] : 0;
}

int store_framing_doc_import(StoreDb *db, json_t *framing, StoreDocRef *ref,
                             void *ctx, const long long *item_ids, long long ws,
                             const char *at, StoreErr *err)
{
    if (!json_is_object(framing))
        return STORE_OK;
    int rc = STORE_OK;
    json_t *axes = json_object_get(framing, "axes");
    static const char *const keys[] = {"x", "y"};
    for (int k = 0; json_is_object(axes) && rc == STORE_OK && k < 2; k++) {
        json_t *ax = json_object_get(axes, keys[k]);
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_axes (ws_id, axis, item_id, low,"
                     " high) VALUES (?1, ?2, ?3, ?4, ?5)",
                     "ititt", ws, keys[k],
                     ref_id(ref, ctx, item_ids, json_object_get(ax, "item")),
                     str_or(ax, "low", ""), str_or(ax, "high", ""));
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(framing, "cards"), i, c)
    {
        if (rc != STORE_OK)
            break;
        long long q = json_integer_value(json_object_get(c, "quadrant"));
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_cards (ws_id, quadrant, name,"
                     " narrative, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                     "iittt", ws, q, str_or(c, "name", ""),
                     str_or(c, "narrative", ""), at);
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(c, "items"), k, v)
        {
            if (rc != STORE_OK)
                break;
            rc = db_exec(db, err, NULL,
                         "INSERT INTO framing_card_items (ws_id, quadrant,"
                         " item_id, pos) VALUES (?1, ?2, ?3, ?4)",
                         "iiii", ws, q, ref_id(ref, ctx, item_ids, v),
                         (long long)k);
        }
    }
    json_array_foreach(json_object_get(framing, "moves"), i, c)
    {
        if (rc != STORE_OK)
            break;
        int bits = 0;
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(c, "cards"), k, v) bits |=
            1 << ((int)json_integer_value(v) - 1);
        rc = db_exec(db, err, NULL,
                     "INSERT INTO framing_moves (ws_id, text, cards,"
                     " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                     "itit", ws, str_or(c, "text", ""),
                     (long long)(bits & ALL_CARDS), at);
    }
    json_array_foreach(json_object_get(framing, "indicators"), i, c)
    {
        if (rc != STORE_OK)
            break;
        rc = db_exec(
            db, err, NULL,
            "INSERT INTO framing_indicators (ws_id, text, card, item_id,"
            " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            "itiIt", ws, str_or(c, "text", ""),
            (long long)json_integer_value(json_object_get(c, "card")),
            ref_id(ref, ctx, item_ids, json_object_get(c, "item")), at);
    }
    return rc;
}

static int cmp_ll(const void *x, const void *y)
{
    long long p = *(const long long *)x, q = *(const long long *)y;
    return p < q ? -1 : p > q;
}

/* The item as a document id when it is in the exported set, else NULL. */
static json_t *doc_ref(const long long *set, int n, long long id)
{
    if (!id || !set || !bsearch(&id, set, (size_t)n, sizeof *set, cmp_ll))
        return NULL;
    char s[32];
    snprintf(s, sizeof s, "%lld", id);
    return json_string(s);
}

int store_framing_doc_export(StoreDb *db, const StoreActor *a,
                             const long long *set, int n, json_t **framing,
                             StoreErr *err)
{
    *framing = NULL;
    json_t *axes = axes_state(db, a->ws_id);
    json_t *doc_axes = json_null();
    if (json_is_object(axes)) {
        json_t *x = json_object_get(axes, "x"), *y = json_object_get(axes, "y");
        json_t *rx =
            doc_ref(set, n, json_integer_value(json_object_get(x, "item")));
        json_t *ry =
            doc_ref(set, n, json_integer_value(json_object_get(y, "item")));
        if (rx && ry) {
            json_decref(doc_axes);
            doc_axes = json_pack("{s:{s:o, s:O, s:O}, s:{s:o, s:O, s:O}}", "x",
                                 "item", rx, "low", json_object_get(x, "low"),
                                 "high", json_object_get(x, "high"), "y",
                                 "item", ry, "low", json_object_get(y, "low"),
                                 "high", json_object_get(y, "high"));
        } else {
            json_decref(rx);
            json_decref(ry);
        }
    }
    json_decref(axes);
    json_t *cards = json_array(), *moves = json_array(), *inds = json_array();
    int rc = doc_axes && cards && moves && inds ? STORE_OK : err_nomem(err);
    for (int q = 1; rc == STORE_OK && q <= 4; q++) {
        json_t *c = card_state(db, a->ws_id, q);
        json_t *refs = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(c, "items"), i, v)
        {
            json_t *r = doc_ref(set, n, (long long)json_integer_value(v));
            if (r)
                json_array_append_new(refs, r);
        }
        json_object_set_new(c, "items", refs);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *narr = json_string_value(json_object_get(c, "narrative"));
        if (c &&
            ((name && name[0]) || (narr && narr[0]) || json_array_size(refs)))
            json_array_append(cards, c);
        json_decref(c);
    }
    sqlite3_stmt *st =
        rc ? NULL
           : db_query(db, err,
                      "SELECT text, cards FROM framing_moves WHERE ws_id = ?1"
                      " ORDER BY id",
                      "i", a->ws_id);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    int s = SQLITE_DONE;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW)
        json_array_append_new(
            moves, json_pack("{s:s, s:o}", "text", col_text(st, 0), "cards",
                             cards_of(sqlite3_column_int(st, 1))));
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;
    st = rc ? NULL
            : db_query(db, err,
                       "SELECT text, card, item_id FROM framing_indicators"
                       " WHERE ws_id = ?1 ORDER BY id",
                       "i", a->ws_id);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW) {
        json_t *r = doc_ref(set, n, sqlite3_column_int64(st, 2));
        json_array_append_new(inds, json_pack("{s:s, s:i, s:o}", "text",
                                              col_text(st, 0), "card",
                                              sqlite3_column_int(st, 1), "item",
                                              r ? r : json_null()));
    }
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;
    if (rc == STORE_OK && (json_is_object(doc_axes) || json_array_size(cards) ||
                           json_array_size(moves) || json_array_size(inds))) {
        *framing = json_pack("{s:o, s:o, s:o, s:o}", "axes", doc_axes, "cards",
                             cards, "moves", moves, "indicators", inds);
        return *framing ? STORE_OK : err_nomem(err);
    }
    json_decref(doc_axes);
    json_decref(cards);
    json_decref(moves);
    json_decref(inds);
    return rc;
}
