/*
 * events.c - reading the append-only log: the history of a workspace,
 * newest first, paged by id. Events are written by event_add (db.c) in the
 * transaction of the change they record. Below facilitator, an event
 * about a contribution that is hidden now (an item, either end of a link,
 * or the link itself) is shown without its texts: the action stays, the
 * summary and the states go.
 */
#include "store_int.h"

#include <string.h>

#define WITHHELD "a hidden contribution"

int store_events(StoreDb *db, const StoreActor *a, long long before, int limit,
                 json_t **list, StoreErr *err)
{
    *list = json_array();
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT e.id, e.at, COALESCE(m.display_name, u.display_name, ''),"
        " e.action, e.target_type, e.target_id, e.summary, e.before, e.after,"
        " EXISTS (SELECT 1 FROM items i WHERE i.id IN (e.item_a, e.item_b)"
        "  AND i.hidden = 1) OR EXISTS (SELECT 1 FROM links l WHERE"
        "  l.id = e.link_id AND l.hidden = 1)"
        " FROM events e LEFT JOIN users u ON u.id = e.actor_id"
        " LEFT JOIN memberships m ON m.ws_id = e.ws_id AND"
        " m.user_id = e.actor_id"
        " WHERE e.ws_id = ?1 AND (?2 = 0 OR e.id < ?2)"
        " ORDER BY e.id DESC LIMIT ?3",
        "iii", a->ws_id, before, (long long)limit);
    if (!st || !*list) {
        db_done(db, st);
        json_decref(*list);
        *list = NULL;
        return st ? err_nomem(err) : STORE_EINTERNAL;
    }
    bool sees = store_sees_hidden(a);
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        bool withheld = !sees && sqlite3_column_int(st, 9);
        json_t *b = NULL, *f = NULL;
        if (!withheld) {
            if (sqlite3_column_type(st, 7) != SQLITE_NULL)
                b = json_loads(col_text(st, 7), JSON_DECODE_ANY, NULL);
            if (sqlite3_column_type(st, 8) != SQLITE_NULL)
                f = json_loads(col_text(st, 8), JSON_DECODE_ANY, NULL);
        }
        json_array_append_new(
            *list,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "id",
                      (json_int_t)sqlite3_column_int64(st, 0), "at",
                      col_text(st, 1), "actor", col_text(st, 2), "action",
                      col_text(st, 3), "target_type", col_text(st, 4),
                      "target_id", col_int_or_null(st, 5), "summary",
                      withheld ? WITHHELD : col_text(st, 6), "before",
                      b ? b : json_null(), "after", f ? f : json_null()));
    }
    db_done(db, st);
    if (s != SQLITE_DONE) {
        json_decref(*list);
        *list = NULL;
        return STORE_EINTERNAL;
    }
    return STORE_OK;
}
