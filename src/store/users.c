/*
 * users.c - accounts and sessions. Passwords arrive already hashed
 * (argon2id, by the web layer) and sessions are found by a hash of their
 * token, so the database holds nothing a thief could sign in with. The
 * first account becomes the owner of every workspace without one (the
 * seeded starter, an import made before anyone signed up).
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* Makes uid the owner of every workspace that has no owner. */
static int claim_unowned(StoreDb *db, long long uid, const char *at,
                         StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT id FROM workspaces w WHERE NOT EXISTS (SELECT 1 FROM"
        " memberships m WHERE m.ws_id = w.id AND m.role = 4) ORDER BY id",
        "");
    if (!st)
        return STORE_EINTERNAL;
    long long ids[64];
    int n = 0, rc = STORE_OK, more = 0;
    for (;;) {
        int s = db_step(db, st, err);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = STORE_EINTERNAL;
            break;
        }
        if (n < (int)(sizeof ids / sizeof *ids))
            ids[n++] = sqlite3_column_int64(st, 0);
        else
            more = 1;
    }
    db_done(db, st);
    for (int i = 0; rc == STORE_OK && i < n; i++)
        rc = store_member_join(db, ids[i], uid, STORE_OWNER, at, err);
    /* more than fit: go round again (each pass claims 64) */
    if (rc == STORE_OK && more)
        rc = claim_unowned(db, uid, at, err);
    return rc;
}

int store_user_add(StoreDb *db, const char *email, const char *pwhash,
                   const char *display_name, long long *uid, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    long long users = 0;
    rc = db_int(db, err, &users, 0, "SELECT count(*) FROM users", "");
    if (rc == STORE_OK) {
        rc = db_exec(db, err, NULL,
                     "INSERT INTO users (email, pwhash, display_name,"
                     " created_at) VALUES (?1, ?2, ?3, ?4)",
                     "tttt", email, pwhash, display_name, at);
        if (rc == STORE_ECONFLICT)
            err_set(err, STORE_ECONFLICT, "conflict", "email",
                    "that e-mail address has an account already");
    }
    if (rc == STORE_OK) {
        *uid = sqlite3_last_insert_rowid(db->h);
        if (users == 0)
            rc = claim_unowned(db, *uid, at, err);
    }
    return db_end(db, rc, err);
}

int store_user_by_email(StoreDb *db, const char *email, long long *uid,
                        char *pwhash, size_t cap, StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err, "SELECT id, pwhash FROM users WHERE email = ?1", "t", email);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc;
    if (s == SQLITE_ROW) {
        *uid = sqlite3_column_int64(st, 0);
        snprintf(pwhash, cap, "%s", col_text(st, 1));
        rc = STORE_OK;
    } else if (s == SQLITE_DONE) {
        rc = err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                     "no account with that e-mail address");
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_user_get(StoreDb *db, long long uid, json_t **user, StoreErr *err)
{
    *user = NULL;
    sqlite3_stmt *st = db_query(
        db, err, "SELECT id, email, display_name FROM users WHERE id = ?1", "i",
        uid);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *user = json_pack("{s:I, s:s, s:s}", "id",
                          (json_int_t)sqlite3_column_int64(st, 0), "email",
                          col_text(st, 1), "display_name", col_text(st, 2));
        if (!*user)
            rc = err_nomem(err);
    } else if (s == SQLITE_DONE) {
        rc =
            err_set(err, STORE_ENOTFOUND, "not_found", NULL, "no such account");
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_session_add(StoreDb *db, const char *token_hash, long long uid,
                      const char *csrf, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long now = store_unix_now();
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    /* sweep expired sessions now and then: they are never read again */
    rc = db_exec(db, err, NULL, "DELETE FROM sessions WHERE expires < ?1", "i",
                 now);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO sessions (token_hash, user_id, csrf,"
                     " created_at, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                     "titti", token_hash, uid, csrf, at,
                     now + STORE_SESSION_SECONDS);
    return db_end(db, rc, err);
}

int store_session_find(StoreDb *db, const char *token_hash, long long *uid,
                       char *csrf, size_t cap, StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT user_id, csrf FROM sessions"
                                " WHERE token_hash = ?1 AND expires >= ?2",
                                "ti", token_hash, store_unix_now());
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc;
    if (s == SQLITE_ROW) {
        *uid = sqlite3_column_int64(st, 0);
        snprintf(csrf, cap, "%s", col_text(st, 1));
        rc = STORE_OK;
    } else if (s == SQLITE_DONE) {
        rc =
            err_set(err, STORE_EAUTH, "unauthenticated", NULL, "not signed in");
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_session_delete(StoreDb *db, const char *token_hash, StoreErr *err)
{
    return db_exec(db, err, NULL, "DELETE FROM sessions WHERE token_hash = ?1",
                   "t", token_hash);
}
