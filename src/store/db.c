/*
 * db.c - the store's connection: opening with the pragmas that make an
 * acknowledged write durable (WAL, synchronous=FULL), a cache of prepared
 * statements, binding and stepping helpers, transactions, error setters,
 * the clock and random tokens, and the event writer.
 */
#include "store_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 10000 /* how long a writer waits for the lock */

/* ---- errors ----------------------------------------------------------- */

int err_set(StoreErr *err, int rc, const char *code, const char *field,
            const char *fmt, ...)
{
    if (!err)
        return rc;
    err->rc = rc;
    snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return rc;
}

int err_db(StoreErr *err, StoreDb *db, const char *what)
{
    return err_set(err, STORE_EINTERNAL, "internal", NULL, "database: %s: %s",
                   what, db && db->h ? sqlite3_errmsg(db->h) : "no handle");
}

int err_nomem(StoreErr *err)
{
    return err_set(err, STORE_EINTERNAL, "internal", NULL, "out of memory");
}

int err_missing(StoreErr *err, const char *kind, long long id)
{
    return err_set(err, STORE_ENOTFOUND, "not_found", NULL,
                   "no %s %lld in this workspace", kind, id);
}

void store_issues_free(StoreIssues *is)
{
    if (!is)
        return;
    free(is->items);
    is->items = NULL;
    is->len = is->cap = is->dropped = 0;
}

/* ---- small things ----------------------------------------------------- */

void store_now(char out[STORE_TIME_LEN])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, STORE_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long store_unix_now(void)
{
    return (long long)time(NULL);
}

void store_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    randombytes_buf(raw, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, raw, nbytes);
}

void store_clip(char *out, size_t cap, const char *s, int max)
{
    /* whole characters only, and room for "..." and the NUL */
    size_t n = strlen(s ? s : ""), i = 0, room = cap > 4 ? cap - 4 : 0;
    int chars = 0;
    s = s ? s : "";
    while (i < n && chars < max) {
        uint32_t cp;
        size_t k = (size_t)str_utf8_decode(s + i, n - i, &cp);
        if (i + k > room)
            break;
        i += k;
        chars++;
    }
    if (cap == 0)
        return;
    snprintf(out, cap, "%.*s%s", (int)i, s, i < n ? "..." : "");
}

bool store_text_ok(const char *s, int min, int max)
{
    if (!s)
        return false;
    size_t n = strlen(s), i = 0;
    int chars = 0;
    while (i < n) {
        uint32_t cp;
        int k = str_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && !(n - i >= 3 && !memcmp(s + i, "\xEF\xBF\xBD", 3)))
            return false; /* an invalid byte, not a real U+FFFD */
        i += (size_t)k;
        if (++chars > max)
            return false;
    }
    return chars >= min;
}

bool store_slug_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > STORE_SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

bool store_color_ok(const char *s)
{
    return s && strlen(s) == 7 && s[0] == '#' &&
           strspn(s + 1, "0123456789abcdefABCDEF") == 6;
}

const char *store_role_name(int role)
{
    switch (role) {
    case STORE_VIEWER:
        return "viewer";
    case STORE_CONTRIBUTOR:
        return "contributor";
    case STORE_FACILITATOR:
        return "facilitator";
    case STORE_OWNER:
        return "owner";
    default:
        return "";
    }
}

int store_role_parse(const char *s)
{
    for (int r = STORE_VIEWER; r <= STORE_OWNER; r++)
        if (s && !strcmp(s, store_role_name(r)))
            return r;
    return STORE_ROLE_NONE;
}

/* ---- statements ------------------------------------------------------- */

static int bind_args(sqlite3_stmt *st, const char *types, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 0; types && types[i] && rc == SQLITE_OK; i++) {
        int k = i + 1;
        switch (types[i]) {
        case 'i':
            rc = sqlite3_bind_int64(st, k, va_arg(ap, long long));
            break;
        case 'I': {
            long long v = va_arg(ap, long long);
            rc = v ? sqlite3_bind_int64(st, k, v) : sqlite3_bind_null(st, k);
            break;
        }
        case 't': {
            const char *s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(st, k, s, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, k);
            break;
        }
        case 'd':
            rc = sqlite3_bind_double(st, k, va_arg(ap, double));
            break;
        case 'n':
            rc = sqlite3_bind_null(st, k);
            break;
        default:
            rc = SQLITE_MISUSE;
        }
    }
    return rc;
}

/* A statement for sql: a free cached one, a new cached one, or (when the
 * cache is full or the cached one is busy) a spare. */
static sqlite3_stmt *stmt_get(StoreDb *db, const char *sql, StoreErr *err)
{
    uint32_t h = thash_str(sql);
    for (int i = 0; i < db->ncache; i++) {
        StoreStmt *s = &db->cache[i];
        if (s->hash == h && !strcmp(s->sql, sql)) {
            if (s->busy)
                break;
            s->busy = true;
            return s->stmt;
        }
    }
    sqlite3_stmt *st = NULL;
    bool keep = db->ncache < STORE_STMT_CACHE;
    for (int i = 0; keep && i < db->ncache; i++)
        if (db->cache[i].hash == h && !strcmp(db->cache[i].sql, sql))
            keep = false; /* cached but busy: this one is a spare */
    if (sqlite3_prepare_v3(db->h, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0,
                           &st, NULL) != SQLITE_OK) {
        err_db(err, db, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    if (keep) {
        char *copy = strdup(sql);
        if (copy) {
            db->cache[db->ncache++] =
                (StoreStmt){.sql = copy, .hash = h, .stmt = st, .busy = true};
        }
    }
    return st;
}

int db_rows_json(StoreDb *db, sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *),
                 json_t **list, StoreErr *err)
{
    *list = st ? json_array() : NULL;
    if (!*list) {
        db_done(db, st);
        return st ? err_nomem(err) : STORE_EINTERNAL;
    }
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW)
        json_array_append_new(*list, row(st));
    db_done(db, st);
    if (s != SQLITE_DONE) {
        json_decref(*list);
        *list = NULL;
        return STORE_EINTERNAL;
    }
    return STORE_OK;
}

void db_done(StoreDb *db, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < db->ncache; i++) {
        if (db->cache[i].stmt == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            db->cache[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(st);
}

static sqlite3_stmt *vquery(StoreDb *db, StoreErr *err, const char *sql,
                            const char *types, va_list ap)
{
    sqlite3_stmt *st = stmt_get(db, sql, err);
    if (!st)
        return NULL;
    if (bind_args(st, types, ap) != SQLITE_OK) {
        err_db(err, db, "bind");
        db_done(db, st);
        return NULL;
    }
    return st;
}

sqlite3_stmt *db_query(StoreDb *db, StoreErr *err, const char *sql,
                       const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = vquery(db, err, sql, types, ap);
    va_end(ap);
    return st;
}

int db_step(StoreDb *db, sqlite3_stmt *st, StoreErr *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE &&
        (rc & 0xff) != SQLITE_CONSTRAINT)
        err_db(err, db, "step");
    return rc;
}

int db_exec(StoreDb *db, StoreErr *err, long long *changes, const char *sql,
            const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = vquery(db, err, sql, types, ap);
    va_end(ap);
    if (!st)
        return STORE_EINTERNAL;
    int rc = sqlite3_step(st);
    int out = STORE_OK;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        out = err_set(err, STORE_ECONFLICT, "conflict", NULL,
                      "that conflicts with what is there already");
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        out = err_db(err, db, "write");
    if (changes)
        *changes = sqlite3_changes64(db->h);
    db_done(db, st);
    return out;
}

int db_int(StoreDb *db, StoreErr *err, long long *out, long long dflt,
           const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = vquery(db, err, sql, types, ap);
    va_end(ap);
    if (!st)
        return STORE_EINTERNAL;
    int rc = db_step(db, st, err);
    int out_rc = STORE_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL
                   ? dflt
                   : sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        *out = dflt;
    else
        out_rc = STORE_EINTERNAL;
    db_done(db, st);
    return out_rc;
}

const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

json_t *col_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    case SQLITE_TEXT:
        return json_string(col_text(st, i));
    default:
        return json_null();
    }
}

json_t *col_int_or_null(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    return json_integer(sqlite3_column_int64(st, i));
}

/* ---- transactions ----------------------------------------------------- */

/* In a group transaction (store_group_begin) each db_begin is a
 * savepoint: its db_end releases it or rolls back to it, so one request's
 * failure undoes only its own writes, and the group commits them all. */
int db_begin(StoreDb *db, StoreErr *err)
{
    if (db->group) {
        int rc = db_exec(db, err, NULL, "SAVEPOINT w", "");
        if (rc == STORE_OK)
            db->depth++;
        return rc;
    }
    return db_exec(db, err, NULL, "BEGIN IMMEDIATE", "");
}

int db_commit(StoreDb *db, StoreErr *err)
{
    if (db->group && db->depth == 0)
        return STORE_OK; /* no savepoint of its own: the group's */
    int rc = db_exec(db, err, NULL, db->group ? "RELEASE w" : "COMMIT", "");
    if (rc != STORE_OK)
        db_rollback(db);
    else if (db->group)
        db->depth--;
    return rc;
}

void db_rollback(StoreDb *db)
{
    if (db->group) {
        if (sqlite3_get_autocommit(db->h)) {
            /* SQLite rolled the whole transaction back (an I/O error,
             * say): every request of the group is lost */
            db->broken = true;
            db->depth = 0;
        } else if (db->depth > 0) {
            sqlite3_exec(db->h, "ROLLBACK TO w; RELEASE w", NULL, NULL, NULL);
            db->depth--;
        }
        return;
    }
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int store_group_begin(StoreDb *db, StoreErr *err)
{
    int rc = db_exec(db, err, NULL, "BEGIN IMMEDIATE", "");
    if (rc == STORE_OK) {
        db->group = true;
        db->depth = 0;
        db->broken = false;
    }
    return rc;
}

int store_group_commit(StoreDb *db, StoreErr *err)
{
    bool broken = db->broken || sqlite3_get_autocommit(db->h);
    db->group = false;
    db->depth = 0;
    db->broken = false;
    if (broken) {
        db_rollback(db);
        return err_set(err, STORE_EINTERNAL, "internal", NULL,
                       "the group's transaction was rolled back");
    }
    return db_commit(db, err);
}

int db_end(StoreDb *db, int rc, StoreErr *err)
{
    if (rc == STORE_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* ---- open and close --------------------------------------------------- */

int store_open(const char *path, const StoreOpenOpts *o, StoreDb **out,
               StoreErr *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return err_set(err, STORE_EINTERNAL, "internal", NULL,
                       "cannot initialise libsodium");
    StoreDb *db = calloc(1, sizeof *db);
    if (!db)
        return err_nomem(err);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (o && o->create)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(err, STORE_EINTERNAL, "internal", NULL,
                "cannot open database '%s': %s", path,
                db->h ? sqlite3_errmsg(db->h) : "out of memory");
        sqlite3_close(db->h);
        free(db);
        return STORE_EINTERNAL;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
    char *msg = NULL;
    if (sqlite3_exec(db->h,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     " PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, STORE_EINTERNAL, "internal", NULL,
                "cannot open database '%s': %s", path,
                msg ? msg : sqlite3_errmsg(db->h));
        sqlite3_free(msg);
        store_close(db);
        return STORE_EINTERNAL;
    }
    int was = 0;
    rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = store_migrate(db, &was, err);
    if (rc == STORE_OK && was == 0 && o && o->seed) {
        StoreIssues is = {0};
        char slug[STORE_SLUG_MAX + 8];
        rc = store_doc_import(db, o->seed, o->seed_len, 0, false, NULL, slug,
                              sizeof slug, &is, err);
        if (rc == STORE_EINPUT && is.len > 0)
            err_set(err, STORE_EINTERNAL, "internal", NULL,
                    "the starter workspace is not valid: %s%s%s",
                    is.items[0].field, is.items[0].field[0] ? ": " : "",
                    is.items[0].message);
        store_issues_free(&is);
    }
    rc = db_end(db, rc, err);
    if (rc != STORE_OK) {
        if (err->message[0] && !strstr(err->message, path)) {
            char m[sizeof err->message];
            snprintf(m, sizeof m, "%s", err->message);
            snprintf(err->message, sizeof err->message,
                     "database '%.100s': %.380s", path, m);
        }
        store_close(db);
        return rc;
    }
    *out = db;
    return STORE_OK;
}

void store_close(StoreDb *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->ncache; i++) {
        sqlite3_finalize(db->cache[i].stmt);
        free(db->cache[i].sql);
    }
    sqlite3_close(db->h);
    free(db);
}

/* ---- shared pieces ---------------------------------------------------- */

void store_member_name(StoreDb *db, long long ws, long long uid, char *out,
                       size_t cap)
{
    out[0] = '\0';
    StoreErr e = {0};
    sqlite3_stmt *st =
        db_query(db, &e,
                 "SELECT COALESCE(m.display_name, u.display_name) FROM users u"
                 " LEFT JOIN memberships m ON m.user_id = u.id AND m.ws_id = ?1"
                 " WHERE u.id = ?2",
                 "ii", ws, uid);
    if (st && db_step(db, st, &e) == SQLITE_ROW)
        snprintf(out, cap, "%s", col_text(st, 0));
    db_done(db, st);
}

int store_check_unlocked(StoreDb *db, const StoreActor *a, StoreErr *err)
{
    long long locked = 0;
    int rc =
        db_int(db, err, &locked, 0,
               "SELECT locked FROM workspaces WHERE id = ?1", "i", a->ws_id);
    if (rc != STORE_OK)
        return rc;
    if (locked && a->role < STORE_FACILITATOR)
        return err_set(err, STORE_ELOCKED, "locked", NULL,
                       "the list is locked: only facilitators may change it");
    return STORE_OK;
}

int event_add(StoreDb *db, const StoreActor *a, const StoreEvent *ev,
              json_t *before, json_t *after, const char *at, StoreErr *err)
{
    char *b =
        before ? json_dumps(before, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *f = after ? json_dumps(after, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(before);
    json_decref(after);
    if ((before && !b) || (after && !f)) {
        free(b);
        free(f);
        return err_nomem(err);
    }
    int rc =
        db_exec(db, err, NULL,
                "INSERT INTO events (ws_id, at, actor_id, action, target_type,"
                " target_id, item_a, item_b, link_id, summary, before, after)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                "itIttIIIIttt", a->ws_id, at, a->user_id, ev->action,
                ev->target_type, ev->target_id, ev->item_a, ev->item_b,
                ev->link_id, ev->summary ? ev->summary : "", b, f);
    free(b);
    free(f);
    return rc;
}
