/*
 * workspaces.c - workspaces, their members and roles, invites, and
 * meetings. A member is known to the others by the display name of the
 * membership only; e-mail addresses never leave users.c. Every change is
 * logged (member.join, member.role, workspace.lock ...) in its
 * transaction.
 */
#include "store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- slugs ------------------------------------------------------------ */

/* A slug from a name: ASCII letters and digits lower-cased, anything else
 * a single '-', at most STORE_SLUG_MAX, "workspace" when nothing is
 * left. */
static void slug_from_name(const char *name, char *out, size_t cap)
{
    size_t n = 0, max = cap - 1 < STORE_SLUG_MAX ? cap - 1 : STORE_SLUG_MAX;
    for (const char *p = name; *p && n < max; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128)
            out[n++] = (char)tolower(c);
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, cap, "workspace");
}

/* ---- membership ------------------------------------------------------- */

int store_member_join(StoreDb *db, long long ws, long long uid, int role,
                      const char *at, StoreErr *err)
{
    long long old = 0;
    int rc = db_int(db, err, &old, 0,
                    "SELECT role FROM memberships WHERE ws_id = ?1 AND"
                    " user_id = ?2",
                    "ii", ws, uid);
    if (rc != STORE_OK)
        return rc;
    StoreActor a = {.user_id = uid, .ws_id = ws, .role = role};
    char summary[160];
    if (old >= role)
        return STORE_OK; /* a member keeps the higher role */
    if (old) {
        rc = db_exec(db, err, NULL,
                     "UPDATE memberships SET role = ?1 WHERE ws_id = ?2 AND"
                     " user_id = ?3",
                     "iii", (long long)role, ws, uid);
        snprintf(summary, sizeof summary, "now takes part as %s",
                 store_role_name(role));
        StoreEvent ev = {"member.role", "member", uid, 0, 0, 0, summary};
        if (rc == STORE_OK)
            rc = event_add(
                db, &a, &ev, json_pack("{s:s}", "role", store_role_name(old)),
                json_pack("{s:s}", "role", store_role_name(role)), at, err);
        return rc;
    }
    char token[40];
    store_random_hex(token, 16);
    rc = db_exec(db, err, NULL,
                 "INSERT INTO memberships (ws_id, user_id, role, display_name,"
                 " feed_token, joined_at) SELECT ?1, id, ?2, display_name,"
                 " ?3, ?4 FROM users WHERE id = ?5",
                 "iitti", ws, (long long)role, token, at, uid);
    snprintf(summary, sizeof summary, "joined as %s", store_role_name(role));
    StoreEvent ev = {"member.join", "member", uid, 0, 0, 0, summary};
    if (rc == STORE_OK)
        rc = event_add(db, &a, &ev, NULL,
                       json_pack("{s:s}", "role", store_role_name(role)), at,
                       err);
    return rc;
}

/* ---- lists ------------------------------------------------------------ */

/* A workspace as its member's list shows it. */
static json_t *ws_row(sqlite3_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:b}", "slug", col_text(st, 0), "name",
                     col_text(st, 1), "role",
                     store_role_name(sqlite3_column_int(st, 2)), "locked",
                     sqlite3_column_int(st, 3));
}

int store_ws_list(StoreDb *db, long long uid, json_t **list, StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT w.slug, w.name, m.role, w.locked FROM workspaces w JOIN"
        " memberships m ON m.ws_id = w.id WHERE m.user_id = ?1"
        " ORDER BY w.name COLLATE NOCASE, w.slug",
        "i", uid);
    return db_rows_json(db, st, ws_row, list, err);
}

static json_t *slug_row(sqlite3_stmt *st)
{
    return json_string(col_text(st, 0));
}

int store_ws_slugs(StoreDb *db, json_t **list, StoreErr *err)
{
    sqlite3_stmt *st =
        db_query(db, err, "SELECT slug FROM workspaces ORDER BY slug", "");
    return db_rows_json(db, st, slug_row, list, err);
}

/* ---- create ----------------------------------------------------------- */

/* Inserts the workspace row, in the caller's transaction. */
static int ws_insert(StoreDb *db, long long uid, const char *name,
                     const char *slug, const char *description, const char *at,
                     char *slug_out, size_t cap, long long *ws, StoreErr *err)
{
    char base[STORE_SLUG_MAX + 1] = "", try[STORE_SLUG_MAX + 16] = "";
    if (slug)
        snprintf(try, sizeof try, "%s", slug);
    else
        slug_from_name(name, base, sizeof base);
    int rc = STORE_OK;
    for (int n = 1; n < 1000; n++) {
        if (!slug) {
            if (n == 1) {
                snprintf(try, sizeof try, "%s", base);
            } else {
                char suffix[16];
                int k = snprintf(suffix, sizeof suffix, "-%d", n);
                size_t keep = strlen(base);
                if (keep + (size_t)k > STORE_SLUG_MAX)
                    keep = STORE_SLUG_MAX - (size_t)k;
                while (keep > 0 && base[keep - 1] == '-')
                    keep--;
                snprintf(try, sizeof try, "%.*s%s", (int)keep, base, suffix);
            }
        }
        long long taken = 0;
        rc =
            db_int(db, err, &taken, 0,
                   "SELECT count(*) FROM workspaces WHERE slug = ?1", "t", try);
        if (rc != STORE_OK)
            return rc;
        if (!taken)
            break;
        if (slug)
            return err_set(err, STORE_ECONFLICT, "conflict", "slug",
                           "the slug '%s' is taken", slug);
    }
    rc = db_exec(db, err, NULL,
                 "INSERT INTO workspaces (slug, name, description, created_at)"
                 " VALUES (?1, ?2, ?3, ?4)",
                 "tttt", try, name, description ? description : "", at);
    if (rc == STORE_ECONFLICT)
        return err_set(err, STORE_ECONFLICT, "conflict", "slug",
                       "the slug '%s' is taken", try);
    if (rc != STORE_OK)
        return rc;
    *ws = sqlite3_last_insert_rowid(db->h);
    snprintf(slug_out, cap, "%s", try);
    if (uid)
        rc = store_member_join(db, *ws, uid, STORE_OWNER, at, err);
    return rc;
}

int store_ws_create(StoreDb *db, long long uid, const char *name,
                    const char *slug, const char *description, char *slug_out,
                    size_t cap, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long ws = 0;
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    rc = ws_insert(db, uid, name, slug, description, at, slug_out, cap, &ws,
                   err);
    return db_end(db, rc, err);
}

int store_ws_insert(StoreDb *db, long long uid, const char *name,
                    const char *slug, const char *description, const char *at,
                    char *slug_out, size_t cap, long long *ws, StoreErr *err)
{
    return ws_insert(db, uid, name, slug, description, at, slug_out, cap, ws,
                     err);
}

/* ---- who is acting ---------------------------------------------------- */

static int no_workspace(StoreErr *err, const char *slug)
{
    if (store_slug_ok(slug))
        return err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                       "no workspace '%s'", slug);
    return err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                   "no such workspace");
}

static int actor_from(StoreDb *db, sqlite3_stmt *st, const char *slug,
                      StoreActor *a, StoreErr *err)
{
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        a->ws_id = sqlite3_column_int64(st, 0);
        a->user_id = sqlite3_column_int64(st, 1);
        a->role = sqlite3_column_int(st, 2);
        snprintf(a->slug, sizeof a->slug, "%s", col_text(st, 3));
    } else if (s == SQLITE_DONE) {
        rc = no_workspace(err, slug);
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_actor(StoreDb *db, const char *slug, long long uid, StoreActor *a,
                StoreErr *err)
{
    memset(a, 0, sizeof *a);
    if (!store_slug_ok(slug))
        return no_workspace(err, slug);
    return actor_from(db,
                      db_query(db, err,
                               "SELECT w.id, m.user_id, m.role, w.slug FROM"
                               " workspaces w JOIN memberships m ON m.ws_id ="
                               " w.id WHERE w.slug = ?1 AND m.user_id = ?2",
                               "ti", slug, uid),
                      slug, a, err);
}

int store_actor_by_feed(StoreDb *db, const char *slug, const char *token,
                        StoreActor *a, StoreErr *err)
{
    memset(a, 0, sizeof *a);
    if (!store_slug_ok(slug) || !token || !token[0])
        return no_workspace(err, slug);
    return actor_from(db,
                      db_query(db, err,
                               "SELECT w.id, m.user_id, m.role, w.slug FROM"
                               " workspaces w JOIN memberships m ON m.ws_id ="
                               " w.id WHERE w.slug = ?1 AND m.feed_token = ?2",
                               "tt", slug, token),
                      slug, a, err);
}

int store_actor_admin(StoreDb *db, const char *slug, StoreActor *a,
                      StoreErr *err)
{
    memset(a, 0, sizeof *a);
    if (!store_slug_ok(slug))
        return no_workspace(err, slug);
    int rc = actor_from(db,
                        db_query(db, err,
                                 "SELECT id, 0, 4, slug FROM workspaces"
                                 " WHERE slug = ?1",
                                 "t", slug),
                        slug, a, err);
    a->user_id = 0;
    a->role = STORE_OWNER;
    return rc;
}

/* ---- one workspace ---------------------------------------------------- */

int store_ws_get(StoreDb *db, const StoreActor *a, json_t **ws, StoreErr *err)
{
    *ws = NULL;
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT w.slug, w.name, w.description, w.locked, m.display_name,"
        " m.digest, m.feed_token,"
        " (SELECT count(*) FROM items i WHERE i.ws_id = w.id AND"
        "  i.status = 'open' AND i.hidden = 0),"
        " (SELECT count(*) FROM links l JOIN items f ON f.id = l.from_id"
        "  JOIN items t ON t.id = l.to_id WHERE l.ws_id = w.id AND"
        "  l.deleted = 0 AND l.hidden = 0 AND f.status = 'open' AND"
        "  f.hidden = 0 AND t.status = 'open' AND t.hidden = 0),"
        " (SELECT count(*) FROM themes t WHERE t.ws_id = w.id),"
        " (SELECT count(*) FROM memberships x WHERE x.ws_id = w.id)"
        " FROM workspaces w LEFT JOIN memberships m ON m.ws_id = w.id AND"
        " m.user_id = ?2 WHERE w.id = ?1",
        "ii", a->ws_id, a->user_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        TBuf feed = {0};
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            tbuf_printf(&feed, "/api/w/%s/feed.atom?token=%s", col_text(st, 0),
                        col_text(st, 6));
        *ws = json_pack(
            "{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s,"
            " s:{s:I, s:I, s:I, s:I}}",
            "slug", col_text(st, 0), "name", col_text(st, 1), "description",
            col_text(st, 2), "locked", sqlite3_column_int(st, 3), "role",
            store_role_name(a->role), "display_name", col_text(st, 4), "digest",
            sqlite3_column_type(st, 5) == SQLITE_NULL ? "none"
                                                      : col_text(st, 5),
            "feed_url", tbuf_cstr(&feed), "counts", "items",
            (json_int_t)sqlite3_column_int64(st, 7), "links",
            (json_int_t)sqlite3_column_int64(st, 8), "themes",
            (json_int_t)sqlite3_column_int64(st, 9), "members",
            (json_int_t)sqlite3_column_int64(st, 10));
        tbuf_free(&feed);
        if (!*ws)
            rc = err_nomem(err);
    } else if (s == SQLITE_DONE) {
        rc = no_workspace(err, a->slug);
    } else {
        rc = STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_ws_edit(StoreDb *db, const StoreActor *a, const StoreWsEdit *e,
                  StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT name, description, locked FROM workspaces WHERE id = ?1", "i",
        a->ws_id);
    json_t *before = NULL;
    int locked = 0;
    if (!st) {
        rc = STORE_EINTERNAL;
    } else if (db_step(db, st, err) == SQLITE_ROW) {
        before = json_pack("{s:s, s:s}", "name", col_text(st, 0), "description",
                           col_text(st, 1));
        locked = sqlite3_column_int(st, 2);
    } else {
        rc = no_workspace(err, a->slug);
    }
    db_done(db, st);
    if (rc == STORE_OK && !before)
        rc = err_nomem(err);
    if (rc == STORE_OK && (e->name || e->description)) {
        const char *name =
            e->name ? e->name
                    : json_string_value(json_object_get(before, "name"));
        const char *desc =
            e->description
                ? e->description
                : json_string_value(json_object_get(before, "description"));
        json_t *after =
            json_pack("{s:s, s:s}", "name", name, "description", desc);
        rc = db_exec(db, err, NULL,
                     "UPDATE workspaces SET name = ?1, description = ?2"
                     " WHERE id = ?3",
                     "tti", name, desc, a->ws_id);
        char summary[300], clip[240];
        store_clip(clip, sizeof clip, name, 100);
        snprintf(summary, sizeof summary, "edited the workspace '%s'", clip);
        StoreEvent ev = {"workspace.edit", "workspace", a->ws_id, 0, 0, 0,
                         summary};
        if (rc == STORE_OK) {
            rc = event_add(db, a, &ev, json_incref(before), after, at, err);
            after = NULL;
        }
        json_decref(after);
    }
    if (rc == STORE_OK && e->locked >= 0 && e->locked != locked) {
        rc = db_exec(db, err, NULL,
                     "UPDATE workspaces SET locked = ?1 WHERE id = ?2", "ii",
                     (long long)e->locked, a->ws_id);
        StoreEvent ev = {e->locked ? "workspace.lock" : "workspace.unlock",
                         "workspace",
                         a->ws_id,
                         0,
                         0,
                         0,
                         e->locked ? "locked the list" : "unlocked the list"};
        if (rc == STORE_OK)
            rc = event_add(db, a, &ev, json_pack("{s:b}", "locked", locked),
                           json_pack("{s:b}", "locked", e->locked), at, err);
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_ws_delete(StoreDb *db, const StoreActor *a, StoreErr *err)
{
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    rc = db_exec(db, err, NULL, "DELETE FROM workspaces WHERE id = ?1", "i",
                 a->ws_id);
    return db_end(db, rc, err);
}

int store_me_edit(StoreDb *db, const StoreActor *a, const char *display_name,
                  const char *digest, StoreErr *err)
{
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    if (display_name)
        rc = db_exec(db, err, NULL,
                     "UPDATE memberships SET display_name = ?1 WHERE"
                     " ws_id = ?2 AND user_id = ?3",
                     "tii", display_name, a->ws_id, a->user_id);
    if (rc == STORE_OK && digest)
        rc = db_exec(db, err, NULL,
                     "UPDATE memberships SET digest = ?1 WHERE ws_id = ?2 AND"
                     " user_id = ?3",
                     "tii", digest, a->ws_id, a->user_id);
    if (rc == STORE_ECONFLICT)
        rc = err_set(err, STORE_EINPUT, "bad_field", "digest",
                     "'digest' must be none, meeting, daily or weekly");
    return db_end(db, rc, err);
}

/* ---- members ---------------------------------------------------------- */

static json_t *member_json(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:s, s:s}", "user_id",
                     (json_int_t)sqlite3_column_int64(st, 0), "display_name",
                     col_text(st, 1), "role",
                     store_role_name(sqlite3_column_int(st, 2)));
}

int store_members(StoreDb *db, const StoreActor *a, json_t **list,
                  StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT user_id, display_name, role FROM memberships WHERE ws_id = ?1"
        " ORDER BY role DESC, display_name COLLATE NOCASE, user_id",
        "i", a->ws_id);
    return db_rows_json(db, st, member_json, list, err);
}

/* The member's role (0 when not a member) and the number of owners. */
static int member_role(StoreDb *db, long long ws, long long uid, int *role,
                       long long *owners, StoreErr *err)
{
    long long r = 0;
    int rc = db_int(db, err, &r, 0,
                    "SELECT role FROM memberships WHERE ws_id = ?1 AND"
                    " user_id = ?2",
                    "ii", ws, uid);
    if (rc == STORE_OK)
        rc = db_int(db, err, owners, 0,
                    "SELECT count(*) FROM memberships WHERE ws_id = ?1 AND"
                    " role = 4",
                    "i", ws);
    *role = (int)r;
    return rc;
}

int store_member_role(StoreDb *db, const StoreActor *a, long long uid, int role,
                      json_t **member, StoreErr *err)
{
    *member = NULL;
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err), old = 0;
    long long owners = 0;
    if (rc == STORE_OK)
        rc = member_role(db, a->ws_id, uid, &old, &owners, err);
    if (rc == STORE_OK && !old)
        rc = err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                     "no member %lld in this workspace", uid);
    if (rc == STORE_OK && old == STORE_OWNER && role != STORE_OWNER &&
        owners <= 1)
        rc = err_set(err, STORE_ECONFLICT, "conflict", "role",
                     "the last owner cannot step down: make another member "
                     "owner first");
    if (rc == STORE_OK && old != role) {
        rc = db_exec(db, err, NULL,
                     "UPDATE memberships SET role = ?1 WHERE ws_id = ?2 AND"
                     " user_id = ?3",
                     "iii", (long long)role, a->ws_id, uid);
        char name[STORE_DISPLAY_MAX * 4 + 8], summary[600];
        store_member_name(db, a->ws_id, uid, name, sizeof name);
        snprintf(summary, sizeof summary, "made %s %s", name,
                 store_role_name(role) /* "a viewer" reads oddly */);
        StoreEvent ev = {"member.role", "member", uid, 0, 0, 0, summary};
        if (rc == STORE_OK)
            rc = event_add(
                db, a, &ev, json_pack("{s:s}", "role", store_role_name(old)),
                json_pack("{s:s}", "role", store_role_name(role)), at, err);
    }
    if (rc == STORE_OK) {
        sqlite3_stmt *st =
            db_query(db, err,
                     "SELECT user_id, display_name, role FROM memberships"
                     " WHERE ws_id = ?1 AND user_id = ?2",
                     "ii", a->ws_id, uid);
        if (st && db_step(db, st, err) == SQLITE_ROW)
            *member = member_json(st);
        if (!*member)
            rc = st ? err_nomem(err) : STORE_EINTERNAL;
        db_done(db, st);
    }
    rc = db_end(db, rc, err);
    if (rc != STORE_OK) {
        json_decref(*member);
        *member = NULL;
    }
    return rc;
}

int store_member_remove(StoreDb *db, const StoreActor *a, long long uid,
                        StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err), old = 0;
    long long owners = 0;
    if (rc == STORE_OK)
        rc = member_role(db, a->ws_id, uid, &old, &owners, err);
    if (rc == STORE_OK && !old)
        rc = err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                     "no member %lld in this workspace", uid);
    if (rc == STORE_OK && old == STORE_OWNER && owners <= 1)
        rc = err_set(err, STORE_ECONFLICT, "conflict", NULL,
                     "the last owner cannot be removed");
    char name[STORE_DISPLAY_MAX * 4 + 8], summary[600];
    if (rc == STORE_OK) {
        store_member_name(db, a->ws_id, uid, name, sizeof name);
        rc = db_exec(db, err, NULL,
                     "DELETE FROM memberships WHERE ws_id = ?1 AND"
                     " user_id = ?2",
                     "ii", a->ws_id, uid);
    }
    if (rc == STORE_OK) {
        snprintf(summary, sizeof summary, "removed %s", name);
        StoreEvent ev = {"member.remove", "member", uid, 0, 0, 0, summary};
        rc = event_add(db, a, &ev,
                       json_pack("{s:s}", "role", store_role_name(old)), NULL,
                       at, err);
    }
    return db_end(db, rc, err);
}

/* ---- invites and meetings --------------------------------------------- */

int store_invite_add(StoreDb *db, const StoreActor *a, int role,
                     const char *token_hash, StoreErr *err)
{
    if (role < STORE_VIEWER || role > STORE_FACILITATOR)
        return err_set(err, STORE_EINPUT, "bad_field", "role",
                       "invites are for viewers, contributors and "
                       "facilitators");
    char at[STORE_TIME_LEN];
    store_now(at);
    return db_exec(db, err, NULL,
                   "INSERT INTO invites (token_hash, ws_id, role, created_by,"
                   " created_at, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   "tiiIti", token_hash, a->ws_id, (long long)role, a->user_id,
                   at, store_unix_now() + STORE_INVITE_SECONDS);
}

int store_invite_accept(StoreDb *db, const char *token_hash, long long uid,
                        char *slug_out, size_t cap, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT i.ws_id, i.role, w.slug FROM invites i JOIN workspaces w ON"
        " w.id = i.ws_id WHERE i.token_hash = ?1 AND i.expires >= ?2",
        "ti", token_hash, store_unix_now());
    long long ws = 0;
    int role = 0;
    if (!st) {
        rc = STORE_EINTERNAL;
    } else {
        int s = db_step(db, st, err);
        if (s == SQLITE_ROW) {
            ws = sqlite3_column_int64(st, 0);
            role = sqlite3_column_int(st, 1);
            snprintf(slug_out, cap, "%s", col_text(st, 2));
        } else if (s == SQLITE_DONE) {
            rc = err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                         "no such invite (it may have expired)");
        } else {
            rc = STORE_EINTERNAL;
        }
    }
    db_done(db, st);
    if (rc == STORE_OK)
        rc = store_member_join(db, ws, uid, role, at, err);
    return db_end(db, rc, err);
}

int store_meeting_end(StoreDb *db, const StoreActor *a, const char *note,
                      json_t **meeting, StoreErr *err)
{
    *meeting = NULL;
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc != STORE_OK)
        return rc;
    rc = db_exec(db, err, NULL,
                 "INSERT INTO meetings (ws_id, at, note, by_id) VALUES"
                 " (?1, ?2, ?3, ?4)",
                 "ittI", a->ws_id, at, note ? note : "", a->user_id);
    long long id = sqlite3_last_insert_rowid(db->h);
    if (rc == STORE_OK) {
        char summary[STORE_NOTE_MAX * 4 + 40], clip[STORE_NOTE_MAX * 4];
        store_clip(clip, sizeof clip, note, 200);
        snprintf(summary, sizeof summary, "ended a meeting%s%s",
                 clip[0] ? ": " : "", clip);
        StoreEvent ev = {"meeting.end", "meeting", id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, NULL,
                       json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "at",
                                 at, "note", note ? note : ""),
                       at, err);
    }
    rc = db_end(db, rc, err);
    if (rc == STORE_OK) {
        *meeting = json_pack("{s:I, s:s}", "id", (json_int_t)id, "at", at);
        if (!*meeting)
            return err_nomem(err);
    }
    return rc;
}
