/*
 * items.c - the list: items (issues / factors), their ratings and
 * evidence, merging, hiding, deleting and rolling back, and themes. Each
 * change is one transaction that checks what depends on the data (the
 * item's author, the lock, that a referenced theme or item is in the same
 * workspace) and appends its event with the item's state before and
 * after.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP 120 /* characters of a title in a summary */

/* The columns of an item as the API shows it; ?1 is the viewer (for
 * my_rating), ?2 the workspace. */
#define ITEM_SELECT                                                            \
    "SELECT i.id, i.title, i.body, i.theme_id, i.status, i.merged_into,"       \
    " i.hidden, COALESCE(m.display_name, u.display_name), i.created_at,"       \
    " i.updated_at,"                                                           \
    " (SELECT avg(importance) FROM ratings r WHERE r.item_id = i.id) AS imp,"  \
    " (SELECT avg(uncertainty) FROM ratings r WHERE r.item_id = i.id) AS unc," \
    " (SELECT count(*) FROM ratings r WHERE r.item_id = i.id),"                \
    " (SELECT importance FROM ratings r WHERE r.item_id = i.id AND"            \
    "  r.user_id = ?1),"                                                       \
    " (SELECT uncertainty FROM ratings r WHERE r.item_id = i.id AND"           \
    "  r.user_id = ?1),"                                                       \
    " (SELECT count(*) FROM evidence e WHERE e.item_id = i.id),"               \
    " i.source_document, i.source_quote"                                       \
    " FROM items i LEFT JOIN users u ON u.id = i.author_id"                    \
    " LEFT JOIN memberships m ON m.ws_id = i.ws_id AND m.user_id ="            \
    " i.author_id WHERE i.ws_id = ?2"

#define ITEM_FILTER                                                            \
    " AND (?3 = 0 OR (?3 = -1 AND i.theme_id IS NULL) OR i.theme_id = ?3)"     \
    " AND (?4 = 'all' OR i.status = ?4) AND (?5 = 1 OR i.hidden = 0)"          \
    " AND (?6 IS NULL OR instr(lower(i.title), lower(?6)) > 0 OR"              \
    " instr(lower(i.body), lower(?6)) > 0)"

/* One statement per order: the order is chosen from these, never built
 * from the request. */
static const char *const list_sql[] = {
    [STORE_SORT_RECENT] = ITEM_SELECT ITEM_FILTER " ORDER BY i.id DESC",
    [STORE_SORT_OLDEST] = ITEM_SELECT ITEM_FILTER " ORDER BY i.id",
    [STORE_SORT_TITLE] =
        ITEM_SELECT ITEM_FILTER " ORDER BY i.title COLLATE NOCASE, i.id",
    [STORE_SORT_IMPORTANCE] =
        ITEM_SELECT ITEM_FILTER " ORDER BY imp IS NULL, imp DESC, i.id DESC",
    [STORE_SORT_UNCERTAINTY] =
        ITEM_SELECT ITEM_FILTER " ORDER BY unc IS NULL, unc DESC, i.id DESC",
};

static json_t *item_json(sqlite3_stmt *st, bool full)
{
    json_t *my = json_null();
    if (sqlite3_column_type(st, 13) != SQLITE_NULL)
        my = json_pack("{s:I, s:I}", "importance",
                       (json_int_t)sqlite3_column_int64(st, 13), "uncertainty",
                       (json_int_t)sqlite3_column_int64(st, 14));
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:o, s:s, s:o, s:b, s:o, s:s, s:s, s:o, s:o, s:I,"
        " s:o, s:I}",
        "id", (json_int_t)sqlite3_column_int64(st, 0), "title", col_text(st, 1),
        "body", col_text(st, 2), "theme_id", col_int_or_null(st, 3), "status",
        col_text(st, 4), "merged_into", col_int_or_null(st, 5), "hidden",
        sqlite3_column_int(st, 6), "author", col_json(st, 7), "created_at",
        col_text(st, 8), "updated_at", col_text(st, 9), "importance",
        col_json(st, 10), "uncertainty", col_json(st, 11), "ratings",
        (json_int_t)sqlite3_column_int64(st, 12), "my_rating", my,
        "evidence_count", (json_int_t)sqlite3_column_int64(st, 15));
    if (o && full && sqlite3_column_type(st, 16) != SQLITE_NULL)
        json_object_set_new(o, "source",
                            json_pack("{s:s, s:s}", "document",
                                      col_text(st, 16), "quote",
                                      col_text(st, 17)));
    return o;
}

/* A listed item: item_json without its evidence. */
static json_t *listed_item_json(sqlite3_stmt *st)
{
    return item_json(st, false);
}

int store_items_list(StoreDb *db, const StoreActor *a, const StoreItemQuery *q,
                     json_t **list, StoreErr *err)
{
    static const char *const status[] = {"open", "merged", "all"};
    int sort = q->sort >= 0 && q->sort <= STORE_SORT_UNCERTAINTY ? q->sort : 0;
    int stat = q->status >= 0 && q->status <= STORE_STATUS_ALL ? q->status : 0;
    sqlite3_stmt *st = db_query(db, err, list_sql[sort], "iiitit", a->user_id,
                                a->ws_id, q->theme, status[stat],
                                (long long)(q->hidden && store_sees_hidden(a)),
                                q->q && q->q[0] ? q->q : NULL);
    return db_rows_json(db, st, listed_item_json, list, err);
}

static json_t *evidence_json(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:s}", "id",
                     (json_int_t)sqlite3_column_int64(st, 0), "kind",
                     col_text(st, 1), "text", col_text(st, 2), "source",
                     col_json(st, 3), "value", col_json(st, 4), "author",
                     col_json(st, 5), "created_at", col_text(st, 6));
}

#define EVIDENCE_SELECT                                                        \
    "SELECT e.id, e.kind, e.text, e.source, e.value,"                          \
    " COALESCE(m.display_name, u.display_name), e.created_at FROM evidence e"  \
    " JOIN items i ON i.id = e.item_id"                                        \
    " LEFT JOIN users u ON u.id = e.author_id"                                 \
    " LEFT JOIN memberships m ON m.ws_id = i.ws_id AND m.user_id ="            \
    " e.author_id"

static int evidence_list(StoreDb *db, long long item, json_t *out,
                         StoreErr *err)
{
    sqlite3_stmt *st =
        db_query(db, err, EVIDENCE_SELECT " WHERE e.item_id = ?1 ORDER BY e.id",
                 "i", item);
    if (!st)
        return STORE_EINTERNAL;
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW)
        json_array_append_new(out, evidence_json(st));
    db_done(db, st);
    return s == SQLITE_DONE ? STORE_OK : STORE_EINTERNAL;
}

int store_item_get(StoreDb *db, const StoreActor *a, long long id, bool full,
                   json_t **item, StoreErr *err)
{
    *item = NULL;
    sqlite3_stmt *st = db_query(db, err, ITEM_SELECT " AND i.id = ?3", "iii",
                                a->user_id, a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW &&
        (!sqlite3_column_int(st, 6) || store_sees_hidden(a))) {
        *item = item_json(st, full);
        if (!*item)
            rc = err_nomem(err);
    } else if (s == SQLITE_ROW || s == SQLITE_DONE) {
        rc = err_missing(err, "item", id);
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    if (rc == STORE_OK && full) {
        json_t *ev = json_array();
        rc = ev ? evidence_list(db, id, ev, err) : err_nomem(err);
        json_object_set_new(*item, "evidence", ev ? ev : json_array());
    }
    if (rc != STORE_OK) {
        json_decref(*item);
        *item = NULL;
    }
    return rc;
}

/* ---- states and checks ------------------------------------------------ */

json_t *store_item_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    sqlite3_stmt *st =
        db_query(db, &e,
                 "SELECT title, body, theme_id, status, merged_into, hidden"
                 " FROM items WHERE id = ?1",
                 "i", id);
    json_t *o = NULL;
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:b}", "title",
                      col_text(st, 0), "body", col_text(st, 1), "theme_id",
                      col_int_or_null(st, 2), "status", col_text(st, 3),
                      "merged_into", col_int_or_null(st, 4), "hidden",
                      sqlite3_column_int(st, 5));
    db_done(db, st);
    return o;
}

/* What the checks need to know about an item. */
typedef struct ItemRow {
    long long author;         /* author's user id, 0 when none */
    long long theme;          /* theme id, 0 when none */
    bool hidden;              /* hidden by a facilitator */
    char status[12];          /* open, merged or deleted */
    char title[CLIP * 4 + 8]; /* the title, clipped for summaries */
} ItemRow;

/* Loads item id of the actor's workspace; ENOTFOUND when there is none
 * or the actor may not see it. */
static int item_row(StoreDb *db, const StoreActor *a, long long id, ItemRow *r,
                    StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT author_id, theme_id, hidden, status,"
                                " title FROM items WHERE id = ?1 AND"
                                " ws_id = ?2",
                                "ii", id, a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        r->author = sqlite3_column_int64(st, 0);
        r->theme = sqlite3_column_int64(st, 1);
        r->hidden = sqlite3_column_int(st, 2) != 0;
        snprintf(r->status, sizeof r->status, "%s", col_text(st, 3));
        store_clip(r->title, sizeof r->title, col_text(st, 4), CLIP);
        if (r->hidden && !store_sees_hidden(a))
            rc = err_missing(err, "item", id);
    } else if (s == SQLITE_DONE) {
        rc = err_missing(err, "item", id);
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

/* Authors change their own items; facilitators change any. */
static int may_change(const StoreActor *a, const ItemRow *r, const char *what,
                      long long id, StoreErr *err)
{
    if (a->role >= STORE_FACILITATOR || (a->user_id && r->author == a->user_id))
        return STORE_OK;
    return err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                   "only its author or a facilitator may change %s %lld", what,
                   id);
}

/* Checks that theme (0: none) is a theme of the workspace. */
static int theme_exists(StoreDb *db, const StoreActor *a, long long theme,
                        const char *field, StoreErr *err)
{
    if (!theme)
        return STORE_OK;
    long long n = 0;
    int rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM themes WHERE id = ?1 AND ws_id = ?2",
                    "ii", theme, a->ws_id);
    if (rc == STORE_OK && !n)
        rc = err_set(err, STORE_EINPUT, "bad_field", field,
                     "no theme %lld in this workspace", theme);
    return rc;
}

/* Logs an item change with its state before (stolen) and now. */
static int item_event(StoreDb *db, const StoreActor *a, const char *action,
                      long long id, long long other, const char *summary,
                      json_t *before, const char *at, StoreErr *err)
{
    json_t *after = store_item_state(db, id);
    if (!after) {
        json_decref(before);
        return err_nomem(err);
    }
    StoreEvent ev = {action, "item", id, id, other, 0, summary};
    return event_add(db, a, &ev, before, after, at, err);
}

/* ---- writes ----------------------------------------------------------- */

int store_item_add(StoreDb *db, const StoreActor *a, const StoreItemEdit *e,
                   long long *id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    if (rc == STORE_OK && e->set_theme)
        rc = theme_exists(db, a, e->theme_id, "theme_id", err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO items (ws_id, title, body, theme_id,"
                     " author_id, created_at, updated_at) VALUES (?1, ?2, ?3,"
                     " ?4, ?5, ?6, ?6)",
                     "ittIIt", a->ws_id, e->title, e->body ? e->body : "",
                     e->set_theme ? e->theme_id : 0, a->user_id, at);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        char clip[CLIP * 4 + 8], summary[CLIP * 4 + 40];
        store_clip(clip, sizeof clip, e->title, CLIP);
        snprintf(summary, sizeof summary, "added '%s'", clip);
        rc = item_event(db, a, "item.add", *id, 0, summary, NULL, at, err);
    }
    return db_end(db, rc, err);
}

int store_item_edit(StoreDb *db, const StoreActor *a, long long id,
                    const StoreItemEdit *e, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = may_change(a, &r, "item", id, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    if (rc == STORE_OK && e->set_theme)
        rc = theme_exists(db, a, e->theme_id, "theme_id", err);
    json_t *before = rc == STORE_OK ? store_item_state(db, id) : NULL;
    if (rc == STORE_OK && !before)
        rc = err_nomem(err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE items SET title = COALESCE(?1, title),"
                     " body = COALESCE(?2, body),"
                     " theme_id = CASE WHEN ?3 THEN ?4 ELSE theme_id END,"
                     " updated_at = ?5 WHERE id = ?6",
                     "ttiIti", e->title, e->body, (long long)e->set_theme,
                     e->set_theme ? e->theme_id : 0, at, id);
    if (rc == STORE_OK) {
        char summary[CLIP * 8 + 40];
        snprintf(summary, sizeof summary, "edited '%s'", r.title);
        if (e->title) {
            char clip[CLIP * 4 + 8];
            store_clip(clip, sizeof clip, e->title, CLIP);
            if (strcmp(clip, r.title))
                snprintf(summary, sizeof summary, "renamed '%s' to '%s'",
                         r.title, clip);
        }
        rc = item_event(db, a, "item.edit", id, 0, summary, before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* Sets hidden on the visible links of an item, each with a link.hide. */
static int hide_links_of(StoreDb *db, const StoreActor *a, long long id,
                         const char *at, StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT id FROM links WHERE (from_id = ?1 OR"
                                " to_id = ?1) AND deleted = 0 AND hidden = 0"
                                " ORDER BY id",
                                "i", id);
    if (!st)
        return STORE_EINTERNAL;
    VEC(long long) ids = {0};
    int s, rc = STORE_OK;
    while ((s = db_step(db, st, err)) == SQLITE_ROW)
        if (vec_push(&ids, sqlite3_column_int64(st, 0)) != 0)
            rc = err_nomem(err);
    db_done(db, st);
    if (s != SQLITE_DONE)
        rc = STORE_EINTERNAL;
    for (int i = 0; rc == STORE_OK && i < ids.len; i++) {
        json_t *before = store_link_state(db, ids.items[i]);
        rc = db_exec(db, err, NULL,
                     "UPDATE links SET hidden = 1,"
                     " updated_at = ?1 WHERE id = ?2",
                     "ti", at, ids.items[i]);
        json_t *after = store_link_state(db, ids.items[i]);
        StoreEvent ev = {"link.hide",
                         "link",
                         ids.items[i],
                         id,
                         0,
                         ids.items[i],
                         "hid a link of a deleted item"};
        if (rc == STORE_OK)
            rc = event_add(db, a, &ev, before, after, at, err);
        else {
            json_decref(before);
            json_decref(after);
        }
    }
    vec_free(&ids);
    return rc;
}

int store_item_delete(StoreDb *db, const StoreActor *a, long long id,
                      StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = may_change(a, &r, "item", id, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    if (rc == STORE_OK && !strcmp(r.status, "deleted"))
        return db_end(db, rc, err); /* deleted already */
    json_t *before = rc == STORE_OK ? store_item_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE items SET status = 'deleted', updated_at = ?1"
                     " WHERE id = ?2",
                     "ti", at, id);
    if (rc == STORE_OK)
        rc = hide_links_of(db, a, id, at, err);
    if (rc == STORE_OK) {
        char summary[CLIP * 4 + 40];
        snprintf(summary, sizeof summary, "deleted '%s'", r.title);
        rc = item_event(db, a, "item.delete", id, 0, summary, before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* Moves one link of a merged item onto the target, or drops it when it
 * would be a self link or a duplicate. */
static int move_link(StoreDb *db, const StoreActor *a, long long link,
                     long long from, long long to, long long id, long long into,
                     const char *at, StoreErr *err)
{
    long long nf = from == id ? into : from, nt = to == id ? into : to;
    long long dup = 0;
    int rc = db_int(db, err, &dup, 0,
                    "SELECT count(*) FROM links WHERE from_id = ?1 AND"
                    " to_id = ?2 AND deleted = 0 AND id <> ?3",
                    "iii", nf, nt, link);
    if (rc != STORE_OK)
        return rc;
    json_t *before = store_link_state(db, link);
    bool drop = nf == nt || dup;
    if (drop)
        rc = db_exec(db, err, NULL,
                     "UPDATE links SET deleted = 1, updated_at = ?1"
                     " WHERE id = ?2",
                     "ti", at, link);
    else
        rc = db_exec(db, err, NULL,
                     "UPDATE links SET from_id = ?1, to_id = ?2,"
                     " updated_at = ?3 WHERE id = ?4",
                     "iiti", nf, nt, at, link);
    json_t *after = store_link_state(db, link);
    StoreEvent ev = {drop ? "link.delete" : "link.edit",
                     "link",
                     link,
                     nf,
                     nt,
                     link,
                     drop ? (nf == nt ? "dropped a link that the merge made a "
                                        "self link"
                                      : "dropped a link that the merge made a "
                                        "duplicate")
                          : "moved a link to the merged item"};
    if (rc == STORE_OK)
        return event_add(db, a, &ev, before, after, at, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

int store_item_merge(StoreDb *db, const StoreActor *a, long long id,
                     long long into, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0}, t = {0};
    if (id == into)
        return err_set(err, STORE_EINPUT, "bad_field", "into",
                       "an item cannot be merged into itself");
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK && item_row(db, a, into, &t, err) != STORE_OK)
        rc = err_set(err, STORE_EINPUT, "bad_field", "into",
                     "no item %lld in this workspace", into);
    if (rc == STORE_OK && strcmp(t.status, "open"))
        rc = err_set(err, STORE_EINPUT, "bad_field", "into",
                     "item %lld is %s, not open: merge into an open item", into,
                     t.status);
    if (rc == STORE_OK && strcmp(r.status, "open"))
        rc = err_set(err, STORE_ECONFLICT, "conflict", NULL,
                     "item %lld is %s already", id, r.status);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    /* the links, in id order so the outcome does not depend on chance */
    VEC(long long) links = {0};
    VEC(long long) ends = {0};
    if (rc == STORE_OK) {
        sqlite3_stmt *st =
            db_query(db, err,
                     "SELECT id, from_id, to_id FROM links WHERE (from_id = ?1"
                     " OR to_id = ?1) AND deleted = 0 ORDER BY id",
                     "i", id);
        int s = SQLITE_ERROR;
        while (st && (s = db_step(db, st, err)) == SQLITE_ROW) {
            if (vec_push(&links, sqlite3_column_int64(st, 0)) ||
                vec_push(&ends, sqlite3_column_int64(st, 1)) ||
                vec_push(&ends, sqlite3_column_int64(st, 2)))
                rc = err_nomem(err);
        }
        db_done(db, st);
        if (s != SQLITE_DONE && rc == STORE_OK)
            rc = STORE_EINTERNAL;
    }
    for (int i = 0; rc == STORE_OK && i < links.len; i++)
        rc = move_link(db, a, links.items[i], ends.items[2 * i],
                       ends.items[2 * i + 1], id, into, at, err);
    vec_free(&links);
    vec_free(&ends);
    json_t *before = rc == STORE_OK ? store_item_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE items SET status = 'merged', merged_into = ?1,"
                     " updated_at = ?2 WHERE id = ?3",
                     "iti", into, at, id);
    if (rc == STORE_OK) {
        char summary[CLIP * 8 + 40];
        snprintf(summary, sizeof summary, "merged '%s' into '%s'", r.title,
                 t.title);
        rc =
            item_event(db, a, "item.merge", id, into, summary, before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_item_rate(StoreDb *db, const StoreActor *a, long long id,
                    int importance, int uncertainty, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK && strcmp(r.status, "open"))
        rc =
            err_set(err, STORE_ECONFLICT, "conflict", NULL,
                    "item %lld is %s: only open items are rated", id, r.status);
    json_t *before = NULL;
    if (rc == STORE_OK) {
        sqlite3_stmt *st =
            db_query(db, err,
                     "SELECT importance, uncertainty FROM ratings WHERE"
                     " item_id = ?1 AND user_id = ?2",
                     "ii", id, a->user_id);
        if (!st)
            rc = STORE_EINTERNAL;
        else if (db_step(db, st, err) == SQLITE_ROW)
            before = json_pack("{s:I, s:I}", "importance",
                               (json_int_t)sqlite3_column_int64(st, 0),
                               "uncertainty",
                               (json_int_t)sqlite3_column_int64(st, 1));
        db_done(db, st);
    }
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO ratings (item_id, user_id, importance,"
                     " uncertainty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                     " ON CONFLICT (item_id, user_id) DO UPDATE SET"
                     " importance = excluded.importance,"
                     " uncertainty = excluded.uncertainty,"
                     " updated_at = excluded.updated_at",
                     "iiiit", id, a->user_id, (long long)importance,
                     (long long)uncertainty, at);
    if (rc == STORE_OK) {
        char summary[CLIP * 4 + 60];
        snprintf(summary, sizeof summary,
                 "rated '%s': importance %d, uncertainty %d", r.title,
                 importance, uncertainty);
        StoreEvent ev = {"rating.set", "item", id, id, 0, 0, summary};
        rc = event_add(db, a, &ev, before,
                       json_pack("{s:i, s:i}", "importance", importance,
                                 "uncertainty", uncertainty),
                       at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_item_hide(StoreDb *db, const StoreActor *a, long long id, bool hide,
                    StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc != STORE_OK || r.hidden == hide)
        return db_end(db, rc, err);
    json_t *before = store_item_state(db, id);
    rc = db_exec(db, err, NULL,
                 "UPDATE items SET hidden = ?1, updated_at = ?2 WHERE id = ?3",
                 "iti", (long long)hide, at, id);
    if (rc == STORE_OK) {
        char summary[CLIP * 4 + 40];
        snprintf(summary, sizeof summary, "%s '%s'", hide ? "hid" : "restored",
                 r.title);
        rc = item_event(db, a, hide ? "item.hide" : "item.restore", id, 0,
                        summary, before, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_state_at(StoreDb *db, const StoreActor *a, const char *type,
                   long long target, long long event_id, json_t **state,
                   StoreErr *err)
{
    *state = NULL;
    long long n = 0;
    int rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM events WHERE id = ?1 AND ws_id = ?2"
                    " AND target_type = ?3 AND target_id = ?4",
                    "iiti", event_id, a->ws_id, type, target);
    if (rc != STORE_OK)
        return rc;
    if (!n)
        return err_set(err, STORE_EINPUT, "bad_field", "event_id",
                       "event %lld is not about %s %lld", event_id, type,
                       target);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s.%%", type);
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT after FROM events WHERE ws_id = ?1 AND target_type = ?2 AND"
        " target_id = ?3 AND action LIKE ?4 AND after IS NOT NULL AND"
        " id <= ?5 ORDER BY id DESC LIMIT 1",
        "ititi", a->ws_id, type, target, prefix, event_id);
    if (!st)
        return STORE_EINTERNAL;
    if (db_step(db, st, err) == SQLITE_ROW)
        *state = json_loads(col_text(st, 0), 0, NULL);
    db_done(db, st);
    if (!json_is_object(*state)) {
        json_decref(*state);
        *state = NULL;
        return err_set(err, STORE_EINPUT, "bad_field", "event_id",
                       "no state of %s %lld is recorded at event %lld", type,
                       target, event_id);
    }
    return STORE_OK;
}

/* An id from a recorded state, kept only if it still names a row of the
 * workspace in table (themes or items); else 0. */
static long long still_there(StoreDb *db, const StoreActor *a, json_t *v,
                             bool item)
{
    if (!json_is_integer(v))
        return 0;
    long long id = json_integer_value(v), n = 0;
    StoreErr e = {0};
    db_int(db, &e, &n, 0,
           item ? "SELECT count(*) FROM items WHERE id = ?1 AND ws_id = ?2"
                : "SELECT count(*) FROM themes WHERE id = ?1 AND ws_id = ?2",
           "ii", id, a->ws_id);
    return n ? id : 0;
}

int store_item_rollback(StoreDb *db, const StoreActor *a, long long id,
                        long long event_id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    json_t *state = NULL, *before = NULL;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = store_state_at(db, a, "item", id, event_id, &state, err);
    if (rc == STORE_OK) {
        const char *title = json_string_value(json_object_get(state, "title"));
        const char *body = json_string_value(json_object_get(state, "body"));
        const char *status =
            json_string_value(json_object_get(state, "status"));
        long long theme =
            still_there(db, a, json_object_get(state, "theme_id"), false);
        long long into =
            still_there(db, a, json_object_get(state, "merged_into"), true);
        if (!title || !body || !status)
            rc =
                err_set(err, STORE_EINPUT, "bad_field", "event_id",
                        "event %lld holds no state of item %lld", event_id, id);
        else if (!strcmp(status, "merged") && !into)
            status = "open";
        before = store_item_state(db, id);
        if (rc == STORE_OK)
            rc = db_exec(
                db, err, NULL,
                "UPDATE items SET title = ?1, body = ?2, theme_id = ?3,"
                " status = ?4, merged_into = ?5, hidden = ?6,"
                " updated_at = ?7 WHERE id = ?8",
                "ttItIiti", title, body, theme, status,
                !strcmp(status, "merged") ? into : 0,
                (long long)json_is_true(json_object_get(state, "hidden")), at,
                id);
    }
    if (rc == STORE_OK) {
        char summary[CLIP * 4 + 60];
        snprintf(summary, sizeof summary, "rolled '%s' back to event %lld",
                 r.title, event_id);
        rc =
            item_event(db, a, "item.rollback", id, 0, summary, before, at, err);
        before = NULL;
    }
    json_decref(before);
    json_decref(state);
    return db_end(db, rc, err);
}

/* ---- evidence --------------------------------------------------------- */

int store_evidence_add(StoreDb *db, const StoreActor *a, long long item,
                       const StoreEvidence *e, json_t **ev, StoreErr *err)
{
    *ev = NULL;
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, item, &r, err);
    sqlite3_stmt *st = NULL;
    long long id = 0;
    if (rc == STORE_OK) {
        st = db_query(db, err,
                      "INSERT INTO evidence (item_id, kind, text, source,"
                      " value, author_id, created_at) VALUES (?1, ?2, ?3, ?4,"
                      " ?5, ?6, ?7)",
                      "itttnIt", item, e->kind, e->text, e->source, a->user_id,
                      at);
        if (st && e->has_value)
            sqlite3_bind_double(st, 5, e->value);
        if (!st || db_step(db, st, err) != SQLITE_DONE)
            rc = st ? err_db(err, db, "add evidence") : STORE_EINTERNAL;
        db_done(db, st);
        id = sqlite3_last_insert_rowid(db->h);
    }
    if (rc == STORE_OK) {
        st = db_query(db, err, EVIDENCE_SELECT " WHERE e.id = ?1", "i", id);
        if (st && db_step(db, st, err) == SQLITE_ROW)
            *ev = evidence_json(st);
        db_done(db, st);
        if (!*ev)
            rc = err_nomem(err);
    }
    if (rc == STORE_OK) {
        char summary[CLIP * 4 + 60];
        snprintf(summary, sizeof summary, "added a %s to '%s'", e->kind,
                 r.title);
        StoreEvent event = {"evidence.add", "evidence", id, item, 0, 0,
                            summary};
        json_t *after = json_deep_copy(*ev);
        json_object_set_new(after, "item_id", json_integer(item));
        rc = event_add(db, a, &event, NULL, after, at, err);
    }
    rc = db_end(db, rc, err);
    if (rc != STORE_OK) {
        json_decref(*ev);
        *ev = NULL;
    }
    return rc;
}

/* [id, title, body] of an item. */
static json_t *text_row(sqlite3_stmt *st)
{
    return json_pack("[I, s, s]", (json_int_t)sqlite3_column_int64(st, 0),
                     col_text(st, 1), col_text(st, 2));
}

int store_item_texts(StoreDb *db, const StoreActor *a, json_t **list,
                     StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT id, title, body FROM items WHERE"
                                " ws_id = ?1 AND status = 'open' AND"
                                " hidden = 0 ORDER BY id",
                                "i", a->ws_id);
    return db_rows_json(db, st, text_row, list, err);
}

/* ---- themes ----------------------------------------------------------- */

#define THEME_SELECT                                                           \
    "SELECT t.id, t.name, t.color, (SELECT count(*) FROM items i WHERE"        \
    " i.theme_id = t.id AND i.status = 'open' AND i.hidden = 0) FROM"          \
    " themes t WHERE t.ws_id = ?1"

static json_t *theme_json(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:I}", "id",
                     (json_int_t)sqlite3_column_int64(st, 0), "name",
                     col_text(st, 1), "color", col_text(st, 2), "items",
                     (json_int_t)sqlite3_column_int64(st, 3));
}

int store_themes_list(StoreDb *db, const StoreActor *a, json_t **list,
                      StoreErr *err)
{
    sqlite3_stmt *st =
        db_query(db, err, THEME_SELECT " ORDER BY t.name COLLATE NOCASE, t.id",
                 "i", a->ws_id);
    return db_rows_json(db, st, theme_json, list, err);
}

int store_theme_get(StoreDb *db, const StoreActor *a, long long id,
                    json_t **theme, StoreErr *err)
{
    *theme = NULL;
    sqlite3_stmt *st =
        db_query(db, err, THEME_SELECT " AND t.id = ?2", "ii", a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *theme = theme_json(st);
        if (!*theme)
            rc = err_nomem(err);
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "theme", id) : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

/* A theme's name and colour as events record them. */
static json_t *theme_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    json_t *o = NULL;
    sqlite3_stmt *st = db_query(
        db, &e, "SELECT name, color FROM themes WHERE id = ?1", "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        o = json_pack("{s:s, s:s}", "name", col_text(st, 0), "color",
                      col_text(st, 1));
    db_done(db, st);
    return o;
}

/* Assigns an item to a theme (0: none) with an item.theme event. */
static int assign_theme(StoreDb *db, const StoreActor *a, long long id,
                        const ItemRow *r, long long theme, const char *at,
                        StoreErr *err)
{
    json_t *before = store_item_state(db, id);
    int rc = db_exec(db, err, NULL,
                     "UPDATE items SET theme_id = ?1, updated_at = ?2"
                     " WHERE id = ?3",
                     "Iti", theme, at, id);
    if (rc != STORE_OK) {
        json_decref(before);
        return rc;
    }
    char summary[CLIP * 8 + 60], name[STORE_THEME_MAX * 4 + 8] = "";
    json_t *ts = theme ? theme_state(db, theme) : NULL;
    store_clip(name, sizeof name,
               json_string_value(json_object_get(ts, "name")), CLIP);
    json_decref(ts);
    if (theme)
        snprintf(summary, sizeof summary, "put '%s' in the theme '%s'",
                 r->title, name);
    else
        snprintf(summary, sizeof summary, "took '%s' out of its theme",
                 r->title);
    return item_event(db, a, "item.theme", id, 0, summary, before, at, err);
}

int store_theme_add(StoreDb *db, const StoreActor *a, const char *name,
                    const char *color, const long long *items, int n,
                    long long *id, StoreErr *err)
{
    /* a colour-blind-safe palette (Okabe and Ito), lower-case hex */
    static const char *const palette[] = {"#e69f00", "#56b4e9", "#009e73",
                                          "#f0e442", "#0072b2", "#d55e00",
                                          "#cc79a7", "#999999"};
    char at[STORE_TIME_LEN], col[8];
    store_now(at);
    int rc = db_begin(db, err);
    long long count = 0;
    if (rc == STORE_OK)
        rc = db_int(db, err, &count, 0,
                    "SELECT count(*) FROM themes WHERE ws_id = ?1", "i",
                    a->ws_id);
    if (color) {
        for (int i = 0; i < 7 && color[i]; i++)
            col[i] =
                (char)(color[i] >= 'A' && color[i] <= 'F' ? color[i] - 'A' + 'a'
                                                          : color[i]);
        col[7] = '\0';
    } else {
        snprintf(col, sizeof col, "%s", palette[count % 8]);
    }
    ItemRow *rows = n > 0 ? calloc((size_t)n, sizeof *rows) : NULL;
    if (n > 0 && !rows)
        rc = err_nomem(err);
    for (int i = 0; rc == STORE_OK && i < n; i++) {
        if (item_row(db, a, items[i], &rows[i], err) != STORE_OK) {
            char field[32];
            snprintf(field, sizeof field, "items[%d]", i);
            rc = err_set(err, STORE_EINPUT, "bad_field", field,
                         "no item %lld in this workspace", items[i]);
        }
    }
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO themes (ws_id, name, color, created_at)"
                     " VALUES (?1, ?2, ?3, ?4)",
                     "itt"
                     "t",
                     a->ws_id, name, col, at);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        char summary[STORE_THEME_MAX * 4 + 40], clip[STORE_THEME_MAX * 4 + 8];
        store_clip(clip, sizeof clip, name, STORE_THEME_MAX);
        snprintf(summary, sizeof summary, "added the theme '%s'", clip);
        StoreEvent ev = {"theme.add", "theme", *id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, NULL, theme_state(db, *id), at, err);
    }
    for (int i = 0; rc == STORE_OK && i < n; i++)
        if (rows[i].theme != *id)
            rc = assign_theme(db, a, items[i], &rows[i], *id, at, err);
    free(rows);
    return db_end(db, rc, err);
}

int store_theme_edit(StoreDb *db, const StoreActor *a, long long id,
                     const char *name, const char *color, StoreErr *err)
{
    char at[STORE_TIME_LEN], col[8] = "";
    store_now(at);
    if (color) {
        for (int i = 0; i < 7 && color[i]; i++)
            col[i] =
                (char)(color[i] >= 'A' && color[i] <= 'F' ? color[i] - 'A' + 'a'
                                                          : color[i]);
        col[7] = '\0';
    }
    int rc = db_begin(db, err);
    json_t *before = rc == STORE_OK ? theme_state(db, id) : NULL;
    long long n = 0;
    if (rc == STORE_OK)
        rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM themes WHERE id = ?1 AND ws_id = ?2",
                    "ii", id, a->ws_id);
    if (rc == STORE_OK && !n)
        rc = err_missing(err, "theme", id);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE themes SET name = COALESCE(?1, name),"
                     " color = COALESCE(?2, color) WHERE id = ?3",
                     "tti", name, color ? col : NULL, id);
    if (rc == STORE_OK) {
        json_t *after = theme_state(db, id);
        char summary[STORE_THEME_MAX * 4 + 40], clip[STORE_THEME_MAX * 4 + 8];
        store_clip(clip, sizeof clip,
                   json_string_value(json_object_get(after, "name")),
                   STORE_THEME_MAX);
        snprintf(summary, sizeof summary, "edited the theme '%s'", clip);
        StoreEvent ev = {"theme.edit", "theme", id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, before, after, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_theme_delete(StoreDb *db, const StoreActor *a, long long id,
                       StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    long long n = 0;
    if (rc == STORE_OK)
        rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM themes WHERE id = ?1 AND ws_id = ?2",
                    "ii", id, a->ws_id);
    if (rc == STORE_OK && !n)
        rc = err_missing(err, "theme", id);
    json_t *before = rc == STORE_OK ? theme_state(db, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE items SET theme_id = NULL, updated_at = ?1"
                     " WHERE theme_id = ?2",
                     "ti", at, id);
    if (rc == STORE_OK)
        rc =
            db_exec(db, err, NULL, "DELETE FROM themes WHERE id = ?1", "i", id);
    if (rc == STORE_OK) {
        char summary[STORE_THEME_MAX * 4 + 40], clip[STORE_THEME_MAX * 4 + 8];
        store_clip(clip, sizeof clip,
                   json_string_value(json_object_get(before, "name")),
                   STORE_THEME_MAX);
        snprintf(summary, sizeof summary, "deleted the theme '%s'", clip);
        StoreEvent ev = {"theme.delete", "theme", id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, before, NULL, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_item_set_theme(StoreDb *db, const StoreActor *a, long long id,
                         long long theme_id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    ItemRow r = {0};
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = item_row(db, a, id, &r, err);
    if (rc == STORE_OK)
        rc = may_change(a, &r, "item", id, err);
    if (rc == STORE_OK)
        rc = store_check_unlocked(db, a, err);
    if (rc == STORE_OK)
        rc = theme_exists(db, a, theme_id, "theme_id", err);
    if (rc == STORE_OK && r.theme != theme_id)
        rc = assign_theme(db, a, id, &r, theme_id, at, err);
    return db_end(db, rc, err);
}
