/*
 * version.c - what the server's in-memory caches key on: a workspace's
 * version (its first and last event ids: every change writes an event in
 * the transaction of the change, so the pair changes whenever anything
 * the workspace shows does), the items that events after a version named,
 * and one item's text as the near-duplicate index takes it; and a read
 * transaction, so that a request's few reads share one snapshot. Reads
 * only; each is one indexed query.
 */
#include "store_int.h"

int store_ws_version(StoreDb *db, long long ws_id, StoreWsVersion *v,
                     StoreErr *err)
{
    v->first = v->last = 0;
    /* two subqueries, so that SQLite answers each min/max from the
     * (ws_id, id) index without a scan */
    sqlite3_stmt *st =
        db_query(db, err,
                 "SELECT (SELECT min(id) FROM events WHERE ws_id = ?1),"
                 " (SELECT max(id) FROM events WHERE ws_id = ?1)",
                 "i", ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err);
    if (s == SQLITE_ROW) {
        v->first = sqlite3_column_int64(st, 0);
        v->last = sqlite3_column_int64(st, 1);
    }
    db_done(db, st);
    return s == SQLITE_ROW ? STORE_OK : STORE_EINTERNAL;
}

int store_items_touched(StoreDb *db, long long ws_id, long long after,
                        long long upto, long long *ids, int max, int *n,
                        StoreErr *err)
{
    *n = 0;
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT item_a FROM events WHERE ws_id = ?1 AND id > ?2 AND"
        " id <= ?3 AND item_a IS NOT NULL AND item_a > 0"
        " UNION SELECT item_b FROM events WHERE ws_id = ?1 AND id > ?2 AND"
        " id <= ?3 AND item_b IS NOT NULL AND item_b > 0 ORDER BY 1",
        "iii", ws_id, after, upto);
    if (!st)
        return STORE_EINTERNAL;
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        if (*n >= max) {
            *n = -1; /* too many: the caller rebuilds */
            s = SQLITE_DONE;
            break;
        }
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    }
    db_done(db, st);
    return s == SQLITE_DONE ? STORE_OK : STORE_EINTERNAL;
}

int store_item_text(StoreDb *db, long long ws_id, long long id, bool *live,
                    TBuf *title, TBuf *body, StoreErr *err)
{
    *live = false;
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT title, body FROM items WHERE id = ?1"
                                " AND ws_id = ?2 AND status = 'open' AND"
                                " hidden = 0",
                                "ii", id, ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *live = true;
        if (tbuf_puts(title, col_text(st, 0)) != T_OK ||
            tbuf_puts(body, col_text(st, 1)) != T_OK)
            rc = err_nomem(err);
    } else if (s != SQLITE_DONE) {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_read_begin(StoreDb *db, StoreErr *err)
{
    return db_exec(db, err, NULL, "BEGIN DEFERRED", "");
}

void store_read_end(StoreDb *db)
{
    db_rollback(db); /* nothing was written: ending it is all there is */
}
