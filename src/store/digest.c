/*
 * digest.c - what the e-mail digest needs from the database: every
 * member who asked for a digest, with what they were last sent and when
 * their workspace last ended a meeting, and the marker that records a
 * digest as sent. Which digests are due and what they say is decided by
 * the command (src/cli/cmd_digest.c); the events themselves come from
 * store_events, so a digest shows a member exactly what their history
 * shows them (hidden contributions withheld below facilitator).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int store_digest_subs(StoreDb *db, StoreDigestSub **out, int *n, StoreErr *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT m.ws_id, m.user_id, w.slug, w.name, u.email, m.display_name,"
        " m.digest, m.digest_event, COALESCE(m.digest_at, ''), m.joined_at,"
        " COALESCE((SELECT MAX(at) FROM meetings WHERE ws_id = m.ws_id), ''),"
        " COALESCE((SELECT MAX(id) FROM events WHERE ws_id = m.ws_id), 0)"
        " FROM memberships m JOIN workspaces w ON w.id = m.ws_id"
        " JOIN users u ON u.id = m.user_id"
        " WHERE m.digest <> 'none' ORDER BY w.slug, m.user_id",
        "");
    if (!st)
        return STORE_EINTERNAL;
    int cap = 0, s;
    StoreDigestSub *subs = NULL;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 16;
            StoreDigestSub *p = realloc(subs, sizeof *p * (size_t)ncap);
            if (!p) {
                db_done(db, st);
                free(subs);
                return err_nomem(err);
            }
            subs = p;
            cap = ncap;
        }
        StoreDigestSub *d = &subs[(*n)++];
        memset(d, 0, sizeof *d);
        d->ws_id = sqlite3_column_int64(st, 0);
        d->user_id = sqlite3_column_int64(st, 1);
        copy(d->slug, sizeof d->slug, col_text(st, 2));
        copy(d->ws_name, sizeof d->ws_name, col_text(st, 3));
        copy(d->email, sizeof d->email, col_text(st, 4));
        copy(d->display_name, sizeof d->display_name, col_text(st, 5));
        copy(d->digest, sizeof d->digest, col_text(st, 6));
        d->last_event = sqlite3_column_int64(st, 7);
        copy(d->last_at, sizeof d->last_at, col_text(st, 8));
        copy(d->joined_at, sizeof d->joined_at, col_text(st, 9));
        copy(d->last_meeting, sizeof d->last_meeting, col_text(st, 10));
        d->newest_event = sqlite3_column_int64(st, 11);
    }
    db_done(db, st);
    if (s != SQLITE_DONE) {
        free(subs);
        *n = 0;
        return STORE_EINTERNAL;
    }
    *out = subs;
    return STORE_OK;
}

int store_digest_mark(StoreDb *db, long long ws, long long uid,
                      long long event_id, const char *at, StoreErr *err)
{
    long long changed = 0;
    int rc = db_begin(db, err);
    if (rc)
        return rc;
    rc = db_exec(db, err, &changed,
                 "UPDATE memberships SET digest_event = ?3, digest_at = ?4"
                 " WHERE ws_id = ?1 AND user_id = ?2",
                 "iiit", ws, uid, event_id, at);
    if (!rc && changed == 0)
        rc = err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                     "no member %lld in this workspace", uid);
    return db_end(db, rc, err);
}
