/*
 * links.c - the causal links between items (from, to, polarity, delay,
 * note), and the map they make with the open items. A deleted link stays
 * in the table (deleted = 1) so that history and rollback can see it; the
 * pair from/to is unique among links that are not deleted.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#define CLIP 80 /* characters of a title in a summary */

#define LINK_SELECT                                                            \
    "SELECT l.id, l.from_id, l.to_id, l.polarity, l.delay, l.note,"            \
    " l.hidden, COALESCE(m.display_name, u.display_name), l.created_at,"       \
    " l.author_id, l.deleted FROM links l"                                     \
    " LEFT JOIN users u ON u.id = l.author_id"                                 \
    " LEFT JOIN memberships m ON m.ws_id = l.ws_id AND m.user_id ="            \
    " l.author_id"

/* Both ends open and visible: a link members see on the map. */
#define LINK_VISIBLE                                                           \
    " AND l.deleted = 0 AND l.hidden = 0 AND EXISTS (SELECT 1 FROM items f"    \
    " WHERE f.id = l.from_id AND f.status = 'open' AND f.hidden = 0) AND"      \
    " EXISTS (SELECT 1 FROM items t WHERE t.id = l.to_id AND"                  \
    " t.status = 'open' AND t.hidden = 0)"

static json_t *link_json(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:b, s:s, s:b, s:o, s:s}", "id",
                     (json_int_t)sqlite3_column_int64(st, 0), "from",
                     (json_int_t)sqlite3_column_int64(st, 1), "to",
                     (json_int_t)sqlite3_column_int64(st, 2), "polarity",
                     col_text(st, 3), "delay", sqlite3_column_int(st, 4),
                     "note", col_text(st, 5), "hidden",
                     sqlite3_column_int(st, 6), "author", col_json(st, 7),
                     "created_at", col_text(st, 8));
}

int store_links_list(StoreDb *db, const StoreActor *a, bool hidden,
                     json_t **list, StoreErr *err)
{
    sqlite3_stmt *st =
        hidden && store_sees_hidden(a)
            ? db_query(db, err,
                       LINK_SELECT " WHERE l.ws_id = ?1 AND l.deleted = 0"
                                   " ORDER BY l.id",
                       "i", a->ws_id)
            : db_query(db, err,
                       LINK_SELECT " WHERE l.ws_id = ?1" LINK_VISIBLE
                                   " ORDER BY l.id",
                       "i", a->ws_id);
    return db_rows_json(db, st, link_json, list, err);
}

int store_link_get(StoreDb *db, const StoreActor *a, long long id,
                   json_t **link, StoreErr *err)
{
    *link = NULL;
    sqlite3_stmt *st =
        store_sees_hidden(a)
            ? db_query(db, err,
                       LINK_SELECT " WHERE l.ws_id = ?1 AND l.id = ?2 AND"
                                   " l.deleted = 0",
                       "ii", a->ws_id, id)
            : db_query(db, err,
                       LINK_SELECT
                       " WHERE l.ws_id = ?1 AND l.id = ?2" LINK_VISIBLE,
                       "ii", a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *link = link_json(st);
        if (!*link)
            rc = err_nomem(err);
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "link", id) : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

json_t *store_link_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    json_t *o = NULL;
    sqlite3_stmt *st =
        db_query(db, &e,
                 "SELECT from_id, to_id, polarity, delay, note, hidden,"
                 " deleted FROM links WHERE id = ?1",
                 "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        o = json_pack("{s:I, s:I, s:s, s:b, s:s, s:b, s:b}", "from",
                      (json_int_t)sqlite3_column_int64(st, 0), "to",
                      (json_int_t)sqlite3_column_int64(st, 1), "polarity",
                      col_text(st, 2), "delay", sqlite3_column_int(st, 3),
                      "note", col_text(st, 4), "hidden",
                      sqlite3_column_int(st, 5), "deleted",
                      sqlite3_column_int(st, 6));
    db_done(db, st);
    return o;
}

/* What the checks need to know about a link. */
typedef struct LinkRow {
    long long from, to; /* its ends */
    long long author;   /* author's user id, 0 when none */
    bool hidden;        /* hidden by a facilitator */
} LinkRow;

/* Loads a link of the actor's workspace that is not deleted and that the
 * actor may see; ENOTFOUND otherwise. */
static int link_row(StoreDb *db, const StoreActor *a, long long id, LinkRow *r,
                    StoreErr *err)
{
    json_t *j = NULL;
    int rc = store_link_get(db, a, id, &j, err);
    if (rc != STORE_OK)
        return rc;
    r->from = json_integer_value(json_object_get(j, "from"));
    r->to = json_integer_value(json_object_get(j, "to"));
    r->hidden = json_is_true(json_object_get(j, "hidden"));
    json_decref(j);
    return db_int(db, err, &r->author, 0,
                  "SELECT author_id FROM links WHERE id = ?1", "i", id);
}

/* The title of an item, clipped, for a summary. */
static void title_of(StoreDb *db, long long id, char *out, size_t cap)
{
    StoreErr e = {0};
    out[0] = '\0';
    sqlite3_stmt *st =
        db_query(db, &e, "SELECT title FROM items WHERE id = ?1", "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        store_clip(out, cap, col_text(st, 0), CLIP);
    db_done(db, st);
}

/* Logs a change of link id with its state before (stolen) and now. */
static int link_event(StoreDb *db, const StoreActor *a, const char *action,
                      const char *verb, long long id, json_t *before,
                      const char *at, StoreErr *err)
{
    json_t *after = store_link_state(db, id);
    if (!after) {
        json_decref(before);
        return err_nomem(err);
    }
    long long from = json_integer_value(json_object_get(after, "from"));
    long long to = json_integer_value(json_object_get(after, "to"));
    char f[CLIP * 4 + 8], t[CLIP * 4 + 8], summary[CLIP * 8 + 80];
    title_of(db, from, f, sizeof f);
    title_of(db, to, t, sizeof t);
    snprintf(summary, sizeof summary, "%s '%s' -> '%s' (%s)", verb, f, t,
             json_string_value(json_object_get(after, "polarity")));
    StoreEvent ev = {action, "link", id, from, to, id, summary};
    return event_add(db, a, &ev, before, after, at, err);
}

/* An end of a new link: an open item of the workspace the actor sees. */
static int link_end(StoreDb *db, const StoreActor *a, long long id,
                    const char *field, StoreErr *err)
{
    long long n = 0;
    int rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM items WHERE id = ?1 AND ws_id = ?2"
                    " AND status = 'open' AND (hidden = 0 OR ?3)",
                    "iii", id, a->ws_id, (long long)store_sees_hidden(a));
    if (rc == STORE_OK && !n)
        rc = err_set(err, STORE_EINPUT, "bad_field", field,
                     "no open item %lld in this workspace", id);
    return rc;
}

/* ECONFLICT when a link from -> to other than self is not deleted. */
static int pair_free(StoreDb *db, long long from, long long to, long long self,
                     StoreErr *err)
{
    long long n = 0;
    int rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM links WHERE from_id = ?1 AND"
                    " to_id = ?2 AND deleted = 0 AND id <> ?3",
                    "iii", from, to, self);
    if (rc == STORE_OK && n)
        rc = err_set(err, STORE_ECONFLICT, "conflict", NULL,
                     "there is a link from item %lld to item %lld already",
                     from, to);
    return rc;
}

int store_link_add(StoreDb *db, const StoreActor *a, const StoreLinkEdit *e,
                   long long *id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    if (rc == STORE_OK)
        rc = link_end(db, a, e->from, "from", err);
    if (rc == STORE_OK)
        rc = link_end(db, a, e->to, "to", err);
    if (rc == STORE_OK && e->from == e->to)
        rc = err_set(err, STORE_EINPUT, "bad_field", "to",
                     "a link joins two different items");
    if (rc == STORE_OK)
        rc = pair_free(db, e->from, e->to, 0, err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO links (ws_id, from_id, to_id, polarity,"
                     " delay, note, author_id, created_at, updated_at) VALUES"
                     " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                     "iiititIt", a->ws_id, e->from, e->to,
                     e->polarity ? e->polarity : "+", (long long)(e->delay > 0),
                     e->note ? e->note : "", a->user_id, at);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        rc = link_event(db, a, "link.add", "linked", *id, NULL, at, err);
    }
    return db_end(db, rc, err);
}

/* Authors change their own links; facilitators change any. */
static int may_change(const StoreActor *a, const LinkRow *r, long long id,
                      StoreErr *err)
{
    if (a->role >= STORE_FACILITATOR || (a->user_id && r->author == a->user_id))
        return STORE_OK;
    return err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                   "only its author or a facilitator may change link %lld", id);
}

int store_link_edit(StoreDb *db, const StoreActor *a, long long id,
                    const StoreLinkEdit *e, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    LinkRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = link_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = may_change(a, &r, id, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    json_t *before = rc == STORE_OK ? store_link_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc =
            db_exec(db, err, NULL,
                    "UPDATE links SET polarity = COALESCE(?1, polarity),"
                    " delay = CASE WHEN ?2 >= 0 THEN ?2 ELSE delay END,"
                    " note = COALESCE(?3, note), updated_at = ?4"
                    " WHERE id = ?5",
                    "titti", e->polarity, (long long)e->delay, e->note, at, id);
    if (rc == STORE_OK) {
        rc = link_event(db, a, "link.edit", "edited the link", id, before, at,
                        err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_link_delete(StoreDb *db, const StoreActor *a, long long id,
                      StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    LinkRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = link_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = may_change(a, &r, id, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    json_t *before = rc == STORE_OK ? store_link_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE links SET deleted = 1, updated_at = ?1"
                     " WHERE id = ?2",
                     "ti", at, id);
    if (rc == STORE_OK) {
        rc = link_event(db, a, "link.delete", "deleted the link", id, before,
                        at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_link_hide(StoreDb *db, const StoreActor *a, long long id, bool hide,
                    StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    LinkRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = link_row(db, a, id, &r, err);
    if (rc != STORE_OK || r.hidden == hide)
        return db_end(db, rc, err);
    json_t *before = store_link_state(db, id);
    rc = db_exec(db, err, NULL,
                 "UPDATE links SET hidden = ?1, updated_at = ?2 WHERE id = ?3",
                 "iti", (long long)hide, at, id);
    if (rc == STORE_OK) {
        rc = link_event(db, a, hide ? "link.hide" : "link.restore",
                        hide ? "hid the link" : "restored the link", id, before,
                        at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_link_rollback(StoreDb *db, const StoreActor *a, long long id,
                        long long event_id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    json_t *state = NULL, *before = NULL;
    long long n = 0;
    /* a deleted link can be rolled back too: look for it by hand */
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM links WHERE id = ?1 AND ws_id = ?2",
                    "ii", id, a->ws_id);
    if (rc == STORE_OK && !n)
        rc = err_missing(err, "link", id);
    if (rc == STORE_OK)
        rc = store_state_at(db, a, "link", id, event_id, &state, err);
    const char *pol = json_string_value(json_object_get(state, "polarity"));
    json_t *jf = json_object_get(state, "from"),
           *jt = json_object_get(state, "to");
    if (rc == STORE_OK &&
        (!pol || !json_is_integer(jf) || !json_is_integer(jt)))
        rc = err_set(err, STORE_EINPUT, "bad_field", "event_id",
                     "event %lld holds no state of link %lld", event_id, id);
    bool deleted = json_is_true(json_object_get(state, "deleted"));
    if (rc == STORE_OK && !deleted)
        rc = pair_free(db, json_integer_value(jf), json_integer_value(jt), id,
                       err);
    if (rc == STORE_OK) {
        before = store_link_state(db, id);
        rc = db_exec(db, err, NULL,
                     "UPDATE links SET from_id = ?1, to_id = ?2,"
                     " polarity = ?3, delay = ?4, note = ?5, hidden = ?6,"
                     " deleted = ?7, updated_at = ?8 WHERE id = ?9",
                     "iititiiti", (long long)json_integer_value(jf),
                     (long long)json_integer_value(jt), pol,
                     (long long)json_is_true(json_object_get(state, "delay")),
                     json_string_value(json_object_get(state, "note"))
                         ? json_string_value(json_object_get(state, "note"))
                         : "",
                     (long long)json_is_true(json_object_get(state, "hidden")),
                     (long long)deleted, at, id);
    }
    if (rc == STORE_OK) {
        char verb[64];
        snprintf(verb, sizeof verb, "rolled back to event %lld the link",
                 event_id);
        rc = link_event(db, a, "link.rollback", verb, id, before, at, err);
        before = NULL;
    }
    json_decref(before);
    json_decref(state);
    return db_end(db, rc, err);
}

/* ---- the map ---------------------------------------------------------- */

int store_map(StoreDb *db, const StoreActor *a, json_t **map, StoreErr *err)
{
    *map = NULL;
    json_t *nodes = json_array(), *edges = NULL;
    int rc = nodes ? STORE_OK : err_nomem(err);
    sqlite3_stmt *st =
        rc ? NULL
           : db_query(db, err,
                      "SELECT i.id, i.title, i.theme_id, t.color,"
                      " (SELECT avg(importance) FROM ratings r WHERE"
                      "  r.item_id = i.id),"
                      " (SELECT avg(uncertainty) FROM ratings r WHERE"
                      "  r.item_id = i.id)"
                      " FROM items i LEFT JOIN themes t ON t.id = i.theme_id"
                      " WHERE i.ws_id = ?1 AND i.status = 'open' AND"
                      " i.hidden = 0 ORDER BY i.id",
                      "i", a->ws_id);
    int s = SQLITE_ERROR;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW)
        json_array_append_new(
            nodes,
            json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "id",
                      (json_int_t)sqlite3_column_int64(st, 0), "title",
                      col_text(st, 1), "theme_id", col_int_or_null(st, 2),
                      "color", col_json(st, 3), "importance", col_json(st, 4),
                      "uncertainty", col_json(st, 5)));
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;
    if (rc == STORE_OK)
        rc = store_links_list(db, a, false, &edges, err);
    if (rc == STORE_OK) {
        /* edges carry only what the map draws */
        size_t i;
        json_t *e;
        json_t *slim = json_array();
        json_array_foreach(edges, i, e)
        {
            json_array_append_new(
                slim, json_pack("{s:O, s:O, s:O, s:O, s:O}", "id",
                                json_object_get(e, "id"), "from",
                                json_object_get(e, "from"), "to",
                                json_object_get(e, "to"), "polarity",
                                json_object_get(e, "polarity"), "delay",
                                json_object_get(e, "delay")));
        }
        json_decref(edges);
        *map = json_pack("{s:o, s:o}", "nodes", nodes, "edges", slim);
        nodes = NULL;
        if (!*map)
            rc = err_nomem(err);
    }
    json_decref(nodes);
    return rc;
}
