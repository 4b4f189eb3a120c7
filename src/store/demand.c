/*
 * demand.c - the demand study's tables: contact logs (the CSV as
 * uploaded, its column mapping, the rows rejected, the split dates),
 * their contacts as imported, the members' coding of each contact (kept
 * apart, so nothing imported is ever written over), and each workspace's
 * classification rules. Every change is one transaction with its event
 * (demand.import, demand.code, demand.rules, demand.splits,
 * demand.delete). The engine (src/demand) reads the CSV again to measure;
 * this file only keeps what it needs.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP 60 /* characters of a name in a summary */

#define LOG_SELECT                                                             \
    "SELECT g.id, g.name, (SELECT count(*) FROM demand_contacts c WHERE"       \
    " c.log_id = g.id), (SELECT count(*) FROM demand_codes k JOIN"             \
    " demand_contacts c ON c.id = k.contact_id WHERE c.log_id = g.id),"        \
    " json_array_length(g.rejected), COALESCE(m.display_name,"                 \
    " u.display_name), g.created_at, g.map, g.rejected, g.blank_rows,"         \
    " g.splits FROM demand_logs g"                                             \
    " LEFT JOIN users u ON u.id = g.author_id"                                 \
    " LEFT JOIN memberships m ON m.ws_id = g.ws_id AND m.user_id ="            \
    " g.author_id"

#define CONTACT_SELECT                                                         \
    "SELECT c.id, c.line, c.ext_id, c.received_at, c.channel, c.service,"      \
    " c.words, c.what_matters, c.first_contact, c.handoffs, c.case_id,"        \
    " c.case_closed_at, c.demand, c.type, k.demand, k.type,"                   \
    " COALESCE(m.display_name, u.display_name), k.coded_at"                    \
    " FROM demand_contacts c JOIN demand_logs g ON g.id = c.log_id"            \
    " LEFT JOIN demand_codes k ON k.contact_id = c.id"                         \
    " LEFT JOIN users u ON u.id = k.author_id"                                 \
    " LEFT JOIN memberships m ON m.ws_id = g.ws_id AND m.user_id ="            \
    " k.author_id"

/* A column holding JSON text, parsed (null when it does not parse). */
static json_t *col_parsed(sqlite3_stmt *st, int i)
{
    json_t *j = json_loads(col_text(st, i), JSON_DECODE_ANY, NULL);
    return j ? j : json_null();
}

static json_t *log_json(sqlite3_stmt *st, bool full)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:I, s:I, s:I, s:o, s:s}", "id",
        (json_int_t)sqlite3_column_int64(st, 0), "name", col_text(st, 1),
        "contacts", (json_int_t)sqlite3_column_int64(st, 2), "coded",
        (json_int_t)sqlite3_column_int64(st, 3), "rejected_rows",
        (json_int_t)sqlite3_column_int64(st, 4), "author", col_json(st, 5),
        "created_at", col_text(st, 6));
    if (o && full) {
        json_object_set_new(o, "map", col_parsed(st, 7));
        json_object_set_new(o, "rejected", col_parsed(st, 8));
        json_object_set_new(o, "blank_rows",
                            json_integer(sqlite3_column_int64(st, 9)));
    }
    if (o)
        json_object_set_new(o, "splits", col_parsed(st, 10));
    return o;
}

/* ---- logs ------------------------------------------------------------- */

static int contact_insert(StoreDb *db, long long log,
                          const StoreDemandContact *c, StoreErr *err)
{
    return db_exec(
        db, err, NULL,
        "INSERT INTO demand_contacts (log_id, line, ext_id, received_at,"
        " channel, service, words, demand, type, what_matters, first_contact,"
        " handoffs, case_id, case_closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " ?7, ?8, ?9, ?10, CASE WHEN ?11 < 0 THEN NULL ELSE ?11 END,"
        " CASE WHEN ?12 < 0 THEN NULL ELSE ?12 END, ?13, ?14)",
        "iittttttttiitt", log, (long long)c->line, c->ext_id, c->received_at,
        c->channel ? c->channel : "", c->service ? c->service : "",
        c->words ? c->words : "", c->demand ? c->demand : "",
        c->type ? c->type : "", c->what_matters ? c->what_matters : "",
        (long long)c->first_contact, (long long)c->handoffs,
        c->case_id ? c->case_id : "",
        c->case_closed_at ? c->case_closed_at : "");
}

int store_demand_log_add(StoreDb *db, const StoreActor *a,
                         const StoreDemandLogNew *n, long long *id,
                         StoreErr *err)
{
    *id = 0;
    if (!n->name || !store_text_ok(n->name, 1, STORE_DEMAND_NAME_MAX))
        return err_set(err, STORE_EINPUT, "bad_field", "name",
                       "'name' must be 1 to %d characters",
                       STORE_DEMAND_NAME_MAX);
    char *map = n->map ? json_dumps(n->map, JSON_COMPACT) : strdup("{}");
    char *rej = n->rejected ? json_dumps(n->rejected, JSON_COMPACT) : NULL;
    if (!map || (n->rejected && !rej)) {
        free(map);
        free(rej);
        return err_nomem(err);
    }
    char at[STORE_TIME_LEN];
    store_now(at);
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc =
            db_exec(db, err, NULL,
                    "INSERT INTO demand_logs (ws_id, name, csv, map, rejected,"
                    " blank_rows, author_id, created_at) VALUES (?1, ?2, ?3,"
                    " ?4, ?5, ?6, ?7, ?8)",
                    "ittttiIt", a->ws_id, n->name, n->csv, map,
                    rej ? rej : "[]", (long long)n->blank_rows, a->user_id, at);
    if (rc == STORE_OK)
        *id = sqlite3_last_insert_rowid(db->h);
    for (int i = 0; rc == STORE_OK && i < n->ncontacts; i++)
        rc = contact_insert(db, *id, &n->contacts[i], err);
    if (rc == STORE_OK) {
        char name[4 * CLIP + 8], sum[400];
        store_clip(name, sizeof name, n->name, CLIP);
        int nrej = n->rejected ? (int)json_array_size(n->rejected) : 0;
        snprintf(sum, sizeof sum,
                 "imported contact log '%s' (%d contacts, %d rows rejected)",
                 name, n->ncontacts, nrej);
        StoreEvent ev = {.action = "demand.import",
                         .target_type = "demand_log",
                         .target_id = *id,
                         .summary = sum};
        rc = event_add(db, a, &ev, NULL,
                       json_pack("{s:s, s:i, s:i}", "name", n->name, "contacts",
                                 n->ncontacts, "rejected", nrej),
                       at, err);
    }
    free(map);
    free(rej);
    rc = db_end(db, rc, err);
    if (rc != STORE_OK)
        *id = 0;
    return rc;
}

/* A listed log: log_json without its rows. */
static json_t *listed_log_json(sqlite3_stmt *st)
{
    return log_json(st, false);
}

int store_demand_logs(StoreDb *db, const StoreActor *a, json_t **list,
                      StoreErr *err)
{
    sqlite3_stmt *st =
        db_query(db, err, LOG_SELECT " WHERE g.ws_id = ?1 ORDER BY g.id DESC",
                 "i", a->ws_id);
    return db_rows_json(db, st, listed_log_json, list, err);
}

int store_demand_log_get(StoreDb *db, const StoreActor *a, long long id,
                         json_t **log, StoreErr *err)
{
    *log = NULL;
    sqlite3_stmt *st =
        db_query(db, err, LOG_SELECT " WHERE g.ws_id = ?1 AND g.id = ?2", "ii",
                 a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *log = log_json(st, true);
        if (!*log)
            rc = err_nomem(err);
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "contact log", id)
                              : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_demand_log_csv(StoreDb *db, const StoreActor *a, long long id,
                         char **csv, size_t *len, StoreErr *err)
{
    *csv = NULL;
    *len = 0;
    sqlite3_stmt *st = db_query(
        db, err, "SELECT csv FROM demand_logs WHERE ws_id = ?1 AND id = ?2",
        "ii", a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        *csv = malloc(n + 1);
        if (*csv) {
            if (n)
                memcpy(*csv, sqlite3_column_text(st, 0), n);
            (*csv)[n] = '\0';
            *len = n;
        } else {
            rc = err_nomem(err);
        }
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "contact log", id)
                              : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

/* The log's name and contact count, checking it is in the workspace. */
static int log_find(StoreDb *db, const StoreActor *a, long long id, char *name,
                    size_t cap, long long *ncontacts, StoreErr *err)
{
    sqlite3_stmt *st = db_query(
        db, err,
        "SELECT name, (SELECT count(*) FROM demand_contacts WHERE log_id ="
        " ?2) FROM demand_logs WHERE ws_id = ?1 AND id = ?2",
        "ii", a->ws_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        store_clip(name, cap, col_text(st, 0), CLIP);
        if (ncontacts)
            *ncontacts = sqlite3_column_int64(st, 1);
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "contact log", id)
                              : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

int store_demand_log_delete(StoreDb *db, const StoreActor *a, long long id,
                            StoreErr *err)
{
    char at[STORE_TIME_LEN], name[4 * CLIP + 8] = "";
    store_now(at);
    long long n = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = log_find(db, a, id, name, sizeof name, &n, err);
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "DELETE FROM demand_logs WHERE ws_id = ?1 AND id = ?2",
                     "ii", a->ws_id, id);
    if (rc == STORE_OK) {
        char sum[400];
        snprintf(sum, sizeof sum, "deleted contact log '%s'", name);
        StoreEvent ev = {.action = "demand.delete",
                         .target_type = "demand_log",
                         .target_id = id,
                         .summary = sum};
        rc = event_add(
            db, a, &ev,
            json_pack("{s:s, s:I}", "name", name, "contacts", (json_int_t)n),
            NULL, at, err);
    }
    return db_end(db, rc, err);
}

/* ---- contacts and coding ---------------------------------------------- */

static json_t *contact_json(sqlite3_stmt *st)
{
    json_t *coding =
        sqlite3_column_type(st, 14) == SQLITE_NULL
            ? json_null()
            : json_pack("{s:s, s:s, s:o, s:s}", "demand", col_text(st, 14),
                        "type", col_text(st, 15), "by", col_json(st, 16), "at",
                        col_text(st, 17));
    return json_pack(
        "{s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s,"
        " s:{s:s, s:s}, s:o}",
        "id", (json_int_t)sqlite3_column_int64(st, 0), "line",
        sqlite3_column_int(st, 1), "ext_id", col_text(st, 2), "received_at",
        col_text(st, 3), "channel", col_text(st, 4), "service", col_text(st, 5),
        "words", col_text(st, 6), "what_matters", col_text(st, 7),
        "first_contact",
        sqlite3_column_type(st, 8) == SQLITE_NULL
            ? json_null()
            : json_boolean(sqlite3_column_int(st, 8)),
        "handoffs", col_int_or_null(st, 9), "case_id", col_text(st, 10),
        "case_closed_at", col_text(st, 11), "imported", "demand",
        col_text(st, 12), "type", col_text(st, 13), "coding",
        coding ? coding : json_null());
}

int store_demand_contacts(StoreDb *db, const StoreActor *a, long long log_id,
                          json_t **list, StoreErr *err)
{
    *list = NULL;
    char name[4 * CLIP + 8];
    int rc = log_find(db, a, log_id, name, sizeof name, NULL, err);
    if (rc != STORE_OK)
        return rc;
    *list = json_array();
    sqlite3_stmt *st =
        db_query(db, err, CONTACT_SELECT " WHERE c.log_id = ?1 ORDER BY c.line",
                 "i", log_id);
    if (!st || !*list) {
        db_done(db, st);
        json_decref(*list);
        *list = NULL;
        return st ? err_nomem(err) : STORE_EINTERNAL;
    }
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        json_t *c = contact_json(st);
        if (!c || json_array_append_new(*list, c)) {
            s = SQLITE_NOMEM;
            err_nomem(err);
            break;
        }
    }
    db_done(db, st);
    if (s != SQLITE_DONE) {
        json_decref(*list);
        *list = NULL;
        return STORE_EINTERNAL;
    }
    return STORE_OK;
}

int store_demand_contact_get(StoreDb *db, const StoreActor *a, long long log_id,
                             long long id, json_t **contact, StoreErr *err)
{
    *contact = NULL;
    sqlite3_stmt *st = db_query(db, err,
                                CONTACT_SELECT " WHERE g.ws_id = ?1 AND (?2 = 0"
                                               " OR c.log_id = ?2) AND"
                                               " c.id = ?3",
                                "iii", a->ws_id, log_id, id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW) {
        *contact = contact_json(st);
        if (!*contact)
            rc = err_nomem(err);
    } else {
        rc = s == SQLITE_DONE ? err_missing(err, "contact", id)
                              : STORE_EINTERNAL;
    }
    db_done(db, st);
    return rc;
}

/* The contact's coding as events record it: {demand, type} or null. */
static json_t *code_state(StoreDb *db, long long id)
{
    StoreErr e = {0};
    json_t *o = json_null();
    sqlite3_stmt *st = db_query(
        db, &e, "SELECT demand, type FROM demand_codes WHERE contact_id = ?1",
        "i", id);
    if (st && db_step(db, st, &e) == SQLITE_ROW) {
        json_t *p = json_pack("{s:s, s:s}", "demand", col_text(st, 0), "type",
                              col_text(st, 1));
        if (p)
            o = p;
    }
    db_done(db, st);
    return o;
}

int store_demand_code(StoreDb *db, const StoreActor *a, long long log_id,
                      long long id, const char *demand, const char *type,
                      StoreErr *err)
{
    if (demand && strcmp(demand, "value") && strcmp(demand, "failure"))
        return err_set(err, STORE_EINPUT, "bad_field", "demand",
                       "'demand' must be \"value\", \"failure\" or null");
    if (!type)
        type = "";
    if (!store_text_ok(type, 0, STORE_DEMAND_TYPE_MAX))
        return err_set(err, STORE_EINPUT, "bad_field", "type",
                       "'type' must be at most %d characters",
                       STORE_DEMAND_TYPE_MAX);
    char at[STORE_TIME_LEN], ext[4 * CLIP + 8] = "";
    store_now(at);
    int rc = db_begin(db, err);
    if (rc == STORE_OK) {
        sqlite3_stmt *st = db_query(
            db, err,
            "SELECT c.ext_id FROM demand_contacts c JOIN demand_logs g ON"
            " g.id = c.log_id WHERE g.ws_id = ?1 AND (?2 = 0 OR c.log_id ="
            " ?2) AND"
            " c.id = ?3",
            "iii", a->ws_id, log_id, id);
        int s = st ? db_step(db, st, err) : SQLITE_ERROR;
        if (s == SQLITE_ROW)
            store_clip(ext, sizeof ext, col_text(st, 0), CLIP);
        else
            rc = s == SQLITE_DONE ? err_missing(err, "contact", id)
                                  : STORE_EINTERNAL;
        db_done(db, st);
    }
    json_t *before = rc == STORE_OK ? code_state(db, id) : NULL;
    if (rc == STORE_OK && demand)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO demand_codes (contact_id, demand, type,"
                     " author_id, coded_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                     " ON CONFLICT (contact_id) DO UPDATE SET demand ="
                     " excluded.demand, type = excluded.type, author_id ="
                     " excluded.author_id, coded_at = excluded.coded_at",
                     "ittIt", id, demand, type, a->user_id, at);
    else if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "DELETE FROM demand_codes WHERE contact_id = ?1", "i", id);
    if (rc == STORE_OK) {
        char sum[600], ty[4 * CLIP + 8];
        store_clip(ty, sizeof ty, type, CLIP);
        if (demand)
            snprintf(sum, sizeof sum, "coded contact '%s' as %s%s%s%s", ext,
                     demand, ty[0] ? " (" : "", ty, ty[0] ? ")" : "");
        else
            snprintf(sum, sizeof sum, "cleared the coding of contact '%s'",
                     ext);
        StoreEvent ev = {.action = "demand.code",
                         .target_type = "demand_contact",
                         .target_id = id,
                         .summary = sum};
        rc = event_add(db, a, &ev, before, code_state(db, id), at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* ---- rules and splits ------------------------------------------------- */

int store_demand_rules_get(StoreDb *db, const StoreActor *a, json_t **rules,
                           StoreErr *err)
{
    *rules = NULL;
    sqlite3_stmt *st =
        db_query(db, err,
                 "SELECT r.text, COALESCE(m.display_name, u.display_name),"
                 " r.updated_at FROM demand_rules r"
                 " LEFT JOIN users u ON u.id = r.author_id"
                 " LEFT JOIN memberships m ON m.ws_id = r.ws_id AND m.user_id ="
                 " r.author_id WHERE r.ws_id = ?1",
                 "i", a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int s = db_step(db, st, err), rc = STORE_OK;
    if (s == SQLITE_ROW)
        *rules = json_pack("{s:s, s:o, s:s}", "text", col_text(st, 0), "author",
                           col_json(st, 1), "updated_at", col_text(st, 2));
    else if (s == SQLITE_DONE)
        *rules =
            json_pack("{s:s, s:n, s:n}", "text", "", "author", "updated_at");
    else
        rc = STORE_EINTERNAL;
    db_done(db, st);
    if (rc == STORE_OK && !*rules)
        rc = err_nomem(err);
    return rc;
}

int store_demand_rules_set(StoreDb *db, const StoreActor *a, const char *text,
                           StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    json_t *before = NULL;
    int rc = db_begin(db, err);
    if (rc == STORE_OK) {
        sqlite3_stmt *st =
            db_query(db, err, "SELECT text FROM demand_rules WHERE ws_id = ?1",
                     "i", a->ws_id);
        int s = st ? db_step(db, st, err) : SQLITE_ERROR;
        if (s == SQLITE_ROW)
            before = json_pack("{s:s}", "text", col_text(st, 0));
        else if (s != SQLITE_DONE)
            rc = STORE_EINTERNAL;
        db_done(db, st);
    }
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "INSERT INTO demand_rules (ws_id, text, author_id,"
                     " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ws_id)"
                     " DO UPDATE SET text = excluded.text, author_id ="
                     " excluded.author_id, updated_at = excluded.updated_at",
                     "itIt", a->ws_id, text, a->user_id, at);
    if (rc == STORE_OK) {
        StoreEvent ev = {.action = "demand.rules",
                         .target_type = "workspace",
                         .target_id = a->ws_id,
                         .summary = "edited the demand classification rules"};
        rc = event_add(db, a, &ev, before, json_pack("{s:s}", "text", text), at,
                       err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_demand_splits_set(StoreDb *db, const StoreActor *a, long long log_id,
                            json_t *splits, StoreErr *err)
{
    char *text = json_dumps(splits, JSON_COMPACT);
    if (!text)
        return err_nomem(err);
    char at[STORE_TIME_LEN], name[4 * CLIP + 8] = "";
    store_now(at);
    json_t *before = NULL;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = log_find(db, a, log_id, name, sizeof name, NULL, err);
    if (rc == STORE_OK) {
        sqlite3_stmt *st =
            db_query(db, err, "SELECT splits FROM demand_logs WHERE id = ?1",
                     "i", log_id);
        if (st && db_step(db, st, err) == SQLITE_ROW)
            before = col_parsed(st, 0);
        db_done(db, st);
    }
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE demand_logs SET splits = ?2 WHERE id = ?1", "it",
                     log_id, text);
    if (rc == STORE_OK) {
        char sum[400];
        snprintf(sum, sizeof sum, "set the split dates of contact log '%s'",
                 name);
        StoreEvent ev = {.action = "demand.splits",
                         .target_type = "demand_log",
                         .target_id = log_id,
                         .summary = sum};
        rc = event_add(db, a, &ev, before, json_incref(splits), at, err);
        before = NULL;
    }
    json_decref(before);
    free(text);
    return db_end(db, rc, err);
}
