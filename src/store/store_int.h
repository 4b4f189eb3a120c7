/*
 * store_int.h - what the store's files share and nothing else includes:
 * the connection with its cache of prepared statements, binding and
 * stepping helpers, transactions, error setters, the clock, and the event
 * writer every change goes through.
 *
 * Ownership: a statement from db_query() is the connection's; hand it
 * back with db_done() once read (a cached one is reset, a spare one
 * finalized).
 */
#ifndef TERRITORY_STORE_INT_H
#define TERRITORY_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

#define STORE_STMT_CACHE 96 /* prepared statements kept per connection */
#define STORE_TIME_LEN 24   /* "2026-11-23T10:00:00Z" and its NUL */

typedef struct StoreStmt {
    char *sql;          /* the statement's text (the cache key) */
    uint32_t hash;      /* thash_str(sql) */
    sqlite3_stmt *stmt; /* prepared, persistent */
    bool busy;          /* handed out and not yet done */
} StoreStmt;

struct StoreDb {
    sqlite3 *h;                        /* the connection */
    StoreStmt cache[STORE_STMT_CACHE]; /* prepared statements */
    int ncache;                        /* how many are in use */
    bool group;  /* in a group transaction (store_group_begin): db_begin
                    and db_end make and end savepoints */
    int depth;   /* savepoints open in it */
    bool broken; /* SQLite ended the group's transaction itself */
};

/* ---- statements ------------------------------------------------------- */

/* Prepares sql (from the cache when it is there and free) and binds the
 * arguments described by types, one letter per parameter:
 *   i  long long          I  long long, 0 binds NULL
 *   t  const char *       (NULL binds NULL)
 *   d  double             n  NULL (takes no argument)
 * Returns NULL with err set (EINTERNAL) on failure. */
sqlite3_stmt *db_query(StoreDb *db, StoreErr *err, const char *sql,
                       const char *types, ...);
/* Gives a statement back. NULL is a no-op. */
void db_done(StoreDb *db, sqlite3_stmt *st);
/* Runs a statement that returns no rows; the number of changed rows goes
 * to *changes when not NULL. */
int db_exec(StoreDb *db, StoreErr *err, long long *changes, const char *sql,
            const char *types, ...);
/* Steps a statement: SQLITE_ROW, SQLITE_DONE, or another code with err
 * set (a constraint failure is left for the caller: it sets no error). */
int db_step(StoreDb *db, sqlite3_stmt *st, StoreErr *err);
/* Every row of st (from db_query; NULL when it failed, err set) as one
 * JSON value each, by row(), into a new array *list; st is given back.
 * On failure *list is NULL. */
int db_rows_json(StoreDb *db, sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *),
                 json_t **list, StoreErr *err);
/* A one-row integer query: *out gets column 0, or dflt when no row. */
int db_int(StoreDb *db, StoreErr *err, long long *out, long long dflt,
           const char *sql, const char *types, ...);

/* A column's text, never NULL ("" for NULL). */
const char *col_text(sqlite3_stmt *st, int i);
/* The column as JSON: integer, real, string or null by its type. */
json_t *col_json(sqlite3_stmt *st, int i);
/* The column as a JSON integer, or null. */
json_t *col_int_or_null(sqlite3_stmt *st, int i);

/* ---- transactions ----------------------------------------------------- */

/* BEGIN IMMEDIATE: takes the write lock now (waiting out the busy
 * timeout), so a read-then-write transaction cannot deadlock. */
int db_begin(StoreDb *db, StoreErr *err);
int db_commit(StoreDb *db, StoreErr *err);
void db_rollback(StoreDb *db);
/* Ends a write: commits when rc is STORE_OK, else rolls back; returns
 * the final status. */
int db_end(StoreDb *db, int rc, StoreErr *err);

/* ---- errors ----------------------------------------------------------- */

/* Sets err and returns rc. code is the contract's code; field may be
 * NULL. */
int err_set(StoreErr *err, int rc, const char *code, const char *field,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A database failure: EINTERNAL with SQLite's message. */
int err_db(StoreErr *err, StoreDb *db, const char *what);
int err_nomem(StoreErr *err);
/* ENOTFOUND "no KIND ID in this workspace". */
int err_missing(StoreErr *err, const char *kind, long long id);

/* ---- small things ----------------------------------------------------- */

/* The current time, RFC 3339 UTC to the second. */
void store_now(char out[STORE_TIME_LEN]);
/* Seconds since the epoch. */
long long store_unix_now(void);
/* A random token of nbytes bytes, as lower-case hex (2*nbytes+1). */
void store_random_hex(char *out, size_t nbytes);
/* Copies at most max characters of s for a summary ("..." when cut). */
void store_clip(char *out, size_t cap, const char *s, int max);

/* Appends an event to the log, in the caller's transaction. before and
 * after are stolen (NULL is JSON null). item_a and item_b are items
 * whose hiding withholds this event's texts (0: none); at is the time of
 * the change. */
typedef struct StoreEvent {
    const char *action;      /* item.add ... */
    const char *target_type; /* item, link, theme, workspace, member, ... */
    long long target_id;     /* the target's id, 0 for none */
    long long item_a;        /* an item the event's text is about */
    long long item_b;        /* another one */
    long long link_id;       /* a link whose hiding withholds it too */
    const char *summary;     /* one line for people */
} StoreEvent;
int event_add(StoreDb *db, const StoreActor *a, const StoreEvent *ev,
              json_t *before, json_t *after, const char *at, StoreErr *err);

/* Whether the actor may see hidden contributions. */
static inline bool store_sees_hidden(const StoreActor *a)
{
    return a->role >= STORE_FACILITATOR;
}

/* The member's display name in the workspace, into out ("" when none). */
void store_member_name(StoreDb *db, long long ws, long long uid, char *out,
                       size_t cap);

/* Checks the workspace's lock for the actor: ELOCKED below facilitator
 * when the list is locked. */
int store_check_unlocked(StoreDb *db, const StoreActor *a, StoreErr *err);

/* The item's and link's states as events record them. */
json_t *store_item_state(StoreDb *db, long long id);
json_t *store_link_state(StoreDb *db, long long id);

/* Makes uid a member of ws with role (keeping a higher one); with an
 * event member.join or member.role when something changed. */
int store_member_join(StoreDb *db, long long ws, long long uid, int role,
                      const char *at, StoreErr *err);

/* A workspace row (and its owner's membership when uid is not 0), in the
 * caller's transaction; see store_ws_create. */
int store_ws_insert(StoreDb *db, long long uid, const char *name,
                    const char *slug, const char *description, const char *at,
                    char *slug_out, size_t cap, long long *ws, StoreErr *err);

/* The state of a target (type "item" or "link") just after event_id,
 * which must be an event about it: the `after` of the newest
 * TYPE.* event on it at or before event_id (EINPUT on event_id when
 * there is none). *state is the caller's. */
int store_state_at(StoreDb *db, const StoreActor *a, const char *type,
                   long long target, long long event_id, json_t **state,
                   StoreErr *err);

/* Adds a problem found in a workspace document to is (doc.c), counting
 * it as dropped past STORE_ISSUES_MAX or when out of memory. */
void store_issue_add(StoreIssues *is, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The schema's migrations, run by store_open. */
int store_migrate(StoreDb *db, int *was, StoreErr *err);

#endif
