/*
 * scenarios.c - a workspace's saved quantitative scenarios: a named set
 * of parameter values (and graphical-function points) for one model of
 * the library, as `territory compare` reads them. Owns the scenarios
 * table's reads and writes (each write with its event), the check of a
 * scenario's set and graphs (shared by the HTTP parser and the document
 * import), and the document's "scenarios" array (check, import, export).
 */
#include "store_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the shape of a scenario ------------------------------------------ */

bool store_model_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > STORE_SLUG_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

/* Sets field (path.key) and message; returns false. */
static bool bad(char *field, size_t fcap, char *msg, size_t mcap,
                const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static bool bad(char *field, size_t fcap, char *msg, size_t mcap,
                const char *path, const char *key, const char *fmt, ...)
{
    snprintf(field, fcap, "%s%s%s", path, *path && *key ? "." : "", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, mcap, fmt, ap);
    va_end(ap);
    return false;
}

bool store_scenario_spec_ok(json_t *set, json_t *graphs, const char *path,
                            char *field, size_t fcap, char *msg, size_t mcap)
{
    const char *key;
    json_t *v;
    char sub[STORE_SCEN_VAR_MAX * 4 + 64];
    if (set && !json_is_null(set)) {
        if (!json_is_object(set))
            return bad(field, fcap, msg, mcap, path, "set",
                       "must be an object of name: number");
        if (json_object_size(set) > STORE_SCEN_SET_MAX)
            return bad(field, fcap, msg, mcap, path, "set",
                       "has %zu values; at most %d are taken",
                       json_object_size(set), STORE_SCEN_SET_MAX);
        json_object_foreach(set, key, v)
        {
            snprintf(sub, sizeof sub, "set.%s", key);
            if (!store_text_ok(key, 1, STORE_SCEN_VAR_MAX))
                return bad(field, fcap, msg, mcap, path, "set",
                           "variable names must be 1 to %d characters",
                           STORE_SCEN_VAR_MAX);
            if (!json_is_number(v) || !isfinite(json_number_value(v)))
                return bad(field, fcap, msg, mcap, path, sub,
                           "must be a finite number");
        }
    }
    if (graphs && !json_is_null(graphs)) {
        if (!json_is_object(graphs))
            return bad(field, fcap, msg, mcap, path, "graphs",
                       "must be an object of name: [[x, y] ...]");
        if (json_object_size(graphs) > STORE_SCEN_GRAPHS_MAX)
            return bad(field, fcap, msg, mcap, path, "graphs",
                       "has %zu graphs; at most %d are taken",
                       json_object_size(graphs), STORE_SCEN_GRAPHS_MAX);
        json_object_foreach(graphs, key, v)
        {
            snprintf(sub, sizeof sub, "graphs.%s", key);
            if (!store_text_ok(key, 1, STORE_SCEN_VAR_MAX))
                return bad(field, fcap, msg, mcap, path, "graphs",
                           "variable names must be 1 to %d characters",
                           STORE_SCEN_VAR_MAX);
            size_t n = json_array_size(v);
            if (!json_is_array(v) || n == 0 || n > STORE_SCEN_POINTS_MAX)
                return bad(field, fcap, msg, mcap, path, sub,
                           "must be a list of 1 to %d [x, y] points",
                           STORE_SCEN_POINTS_MAX);
            double last = 0;
            for (size_t i = 0; i < n; i++) {
                json_t *pt = json_array_get(v, i);
                json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
                if (json_array_size(pt) != 2 || !json_is_number(x) ||
                    !json_is_number(y) || !isfinite(json_number_value(x)) ||
                    !isfinite(json_number_value(y)))
                    return bad(field, fcap, msg, mcap, path, sub,
                               "point %zu is not an [x, y] pair of numbers", i);
                if (i > 0 && !(json_number_value(x) > last))
                    return bad(field, fcap, msg, mcap, path, sub,
                               "point %zu: x values must increase", i);
                last = json_number_value(x);
            }
        }
    }
    return true;
}

/* ---- reads ------------------------------------------------------------- */

#define SCEN_COLS                                                              \
    "s.id, s.model, s.name, s.description, s.spec, s.author_id,"               \
    " COALESCE(m.display_name, ''), s.created_at, s.updated_at"

#define SCEN_FROM                                                              \
    " FROM scenarios s LEFT JOIN memberships m ON m.ws_id = s.ws_id AND"       \
    " m.user_id = s.author_id"

/* The row as the API shows it. */
static json_t *scen_json(sqlite3_stmt *st)
{
    json_t *spec = json_loads(col_text(st, 4), 0, NULL);
    json_t *set = json_object_get(spec, "set");
    json_t *graphs = json_object_get(spec, "graphs");
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:O, s:o, s:s, s:s, s:s}", "id",
        (json_int_t)sqlite3_column_int64(st, 0), "model", col_text(st, 1),
        "name", col_text(st, 2), "description", col_text(st, 3), "set",
        set ? set : json_object(), "author_id", col_int_or_null(st, 5),
        "author", col_text(st, 6), "created_at", col_text(st, 7), "updated_at",
        col_text(st, 8));
    if (o && graphs && json_object_size(graphs))
        json_object_set(o, "graphs", graphs);
    json_decref(spec);
    return o;
}

int store_scenarios_list(StoreDb *db, const StoreActor *a, const char *model,
                         json_t **list, StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT " SCEN_COLS SCEN_FROM
                                " WHERE s.ws_id = ?1 AND (?2 IS NULL OR"
                                " s.model = ?2) ORDER BY s.model, s.name",
                                "it", a->ws_id, model);
    return db_rows_json(db, st, scen_json, list, err);
}

int store_scenario_get(StoreDb *db, const StoreActor *a, long long id,
                       json_t **sc, StoreErr *err)
{
    *sc = NULL;
    sqlite3_stmt *st =
        db_query(db, err,
                 "SELECT " SCEN_COLS SCEN_FROM " WHERE s.id = ?1 AND"
                 " s.ws_id = ?2",
                 "ii", id, a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    if (db_step(db, st, err) == SQLITE_ROW)
        *sc = scen_json(st);
    db_done(db, st);
    return *sc ? STORE_OK : err_missing(err, "scenario", id);
}

/* ---- writes ------------------------------------------------------------ */

/* The spec column: {"set": {...}, "graphs": {...}} (text, malloc'd). */
static char *spec_text(json_t *set, json_t *graphs)
{
    /* "o" takes a new reference to what is given, "O" would add one to
     * the fresh empty objects and leak them. */
    json_t *o = json_pack(
        "{s:o, s:o}", "set",
        set && !json_is_null(set) ? json_incref(set) : json_object(), "graphs",
        graphs && !json_is_null(graphs) ? json_incref(graphs) : json_object());
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

/* ECONFLICT when name is taken for model in the workspace (but by id). */
static int name_free(StoreDb *db, const StoreActor *a, const char *model,
                     const char *name, long long id, StoreErr *err)
{
    long long n = 0;
    int rc = db_int(db, err, &n, 0,
                    "SELECT count(*) FROM scenarios WHERE ws_id = ?1 AND"
                    " model = ?2 AND name = ?3 AND id != ?4",
                    "itti", a->ws_id, model, name, id);
    if (rc == STORE_OK && n)
        rc = err_set(err, STORE_ECONFLICT, "conflict", "name",
                     "a scenario '%s' of model '%s' is saved already", name,
                     model);
    return rc;
}

static json_t *scen_state(StoreDb *db, const StoreActor *a, long long id)
{
    json_t *sc = NULL;
    StoreErr e = {0};
    store_scenario_get(db, a, id, &sc, &e);
    return sc;
}

int store_scenario_add(StoreDb *db, const StoreActor *a, const StoreScenario *s,
                       long long *id, StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    char *spec = spec_text(s->set, s->graphs);
    if (!spec)
        return err_nomem(err);
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = name_free(db, a, s->model, s->name, 0, err);
    if (rc == STORE_OK)
        rc =
            db_exec(db, err, NULL,
                    "INSERT INTO scenarios (ws_id, model, name, description,"
                    " spec, author_id, created_at, updated_at) VALUES"
                    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    "itttt"
                    "It",
                    a->ws_id, s->model, s->name,
                    s->description ? s->description : "", spec, a->user_id, at);
    free(spec);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(db->h);
        char summary[STORE_SCEN_NAME_MAX * 4 + 120],
            clip[STORE_SCEN_NAME_MAX * 4 + 8];
        store_clip(clip, sizeof clip, s->name, STORE_SCEN_NAME_MAX);
        snprintf(summary, sizeof summary,
                 "saved the scenario '%s' of model '%s'", clip, s->model);
        StoreEvent ev = {"scenario.add", "scenario", *id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, NULL, scen_state(db, a, *id), at, err);
    }
    return db_end(db, rc, err);
}

/* The scenario's author (0: none) and model; ENOTFOUND when it is not in
 * the workspace. */
static int scen_row(StoreDb *db, const StoreActor *a, long long id,
                    long long *author, char *model, size_t cap, StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT COALESCE(author_id, 0), model FROM"
                                " scenarios WHERE id = ?1 AND ws_id = ?2",
                                "ii", id, a->ws_id);
    if (!st)
        return STORE_EINTERNAL;
    int found = db_step(db, st, err) == SQLITE_ROW;
    if (found) {
        *author = sqlite3_column_int64(st, 0);
        snprintf(model, cap, "%s", col_text(st, 1));
    }
    db_done(db, st);
    if (!found)
        return err_missing(err, "scenario", id);
    if (a->role >= STORE_FACILITATOR || (a->user_id && *author == a->user_id))
        return STORE_OK;
    return err_set(err, STORE_EFORBIDDEN, "forbidden", NULL,
                   "only its author or a facilitator may change scenario %lld",
                   id);
}

int store_scenario_edit(StoreDb *db, const StoreActor *a, long long id,
                        const StoreScenario *s, StoreErr *err)
{
    char at[STORE_TIME_LEN], model[STORE_SLUG_MAX + 8];
    store_now(at);
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = scen_row(db, a, id, &author, model, sizeof model, err);
    json_t *before = rc == STORE_OK ? scen_state(db, a, id) : NULL;
    if (rc == STORE_OK && s->model && strcmp(s->model, model))
        rc = err_set(err, STORE_EINPUT, "bad_field", "model",
                     "a saved scenario keeps its model ('%s')", model);
    if (rc == STORE_OK && s->name)
        rc = name_free(db, a, model, s->name, id, err);
    char *spec = NULL;
    if (rc == STORE_OK && (s->set || s->graphs)) {
        json_t *set = s->set ? s->set : json_object_get(before, "set");
        json_t *graphs =
            s->graphs ? s->graphs : json_object_get(before, "graphs");
        spec = spec_text(set, graphs);
        if (!spec)
            rc = err_nomem(err);
    }
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL,
                     "UPDATE scenarios SET name = COALESCE(?1, name),"
                     " description = COALESCE(?2, description),"
                     " spec = COALESCE(?3, spec), updated_at = ?4"
                     " WHERE id = ?5",
                     "tttti", s->name, s->description, spec, at, id);
    free(spec);
    if (rc == STORE_OK) {
        json_t *after = scen_state(db, a, id);
        char summary[STORE_SCEN_NAME_MAX * 4 + 120],
            clip[STORE_SCEN_NAME_MAX * 4 + 8];
        store_clip(clip, sizeof clip,
                   json_string_value(json_object_get(after, "name")),
                   STORE_SCEN_NAME_MAX);
        snprintf(summary, sizeof summary,
                 "edited the scenario '%s' of model '%s'", clip, model);
        StoreEvent ev = {"scenario.edit", "scenario", id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, before, after, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

int store_scenario_delete(StoreDb *db, const StoreActor *a, long long id,
                          StoreErr *err)
{
    char at[STORE_TIME_LEN], model[STORE_SLUG_MAX + 8];
    store_now(at);
    long long author = 0;
    int rc = db_begin(db, err);
    if (rc == STORE_OK)
        rc = scen_row(db, a, id, &author, model, sizeof model, err);
    json_t *before = rc == STORE_OK ? scen_state(db, a, id) : NULL;
    if (rc == STORE_OK)
        rc = db_exec(db, err, NULL, "DELETE FROM scenarios WHERE id = ?1", "i",
                     id);
    if (rc == STORE_OK) {
        char summary[STORE_SCEN_NAME_MAX * 4 + 120],
            clip[STORE_SCEN_NAME_MAX * 4 + 8];
        store_clip(clip, sizeof clip,
                   json_string_value(json_object_get(before, "name")),
                   STORE_SCEN_NAME_MAX);
        snprintf(summary, sizeof summary,
                 "deleted the scenario '%s' of model '%s'", clip, model);
        StoreEvent ev = {"scenario.delete", "scenario", id, 0, 0, 0, summary};
        rc = event_add(db, a, &ev, before, NULL, at, err);
        before = NULL;
    }
    json_decref(before);
    return db_end(db, rc, err);
}

/* ---- the workspace document -------------------------------------------- */

/* Checks one entry of the document's "scenarios"; false with field and
 * msg set when it is bad. */
static bool doc_entry_ok(json_t *s, size_t i, char *field, size_t fcap,
                         char *msg, size_t mcap)
{
    char path[48];
    snprintf(path, sizeof path, "scenarios[%zu]", i);
    if (!json_is_object(s))
        return bad(field, fcap, msg, mcap, path, "", "must be an object");
    const char *model = json_string_value(json_object_get(s, "model"));
    const char *name = json_string_value(json_object_get(s, "name"));
    json_t *desc = json_object_get(s, "description");
    if (!store_model_name_ok(model))
        return bad(field, fcap, msg, mcap, path, "model",
                   "must be the name of a model of the library");
    if (!name || !store_text_ok(name, 1, STORE_SCEN_NAME_MAX))
        return bad(field, fcap, msg, mcap, path, "name",
                   "must be 1 to %d characters of UTF-8 text",
                   STORE_SCEN_NAME_MAX);
    if (desc && !json_is_null(desc) &&
        (!json_is_string(desc) ||
         !store_text_ok(json_string_value(desc), 0, STORE_SCEN_DESC_MAX)))
        return bad(field, fcap, msg, mcap, path, "description",
                   "must be 0 to %d characters of UTF-8 text",
                   STORE_SCEN_DESC_MAX);
    return store_scenario_spec_ok(json_object_get(s, "set"),
                                  json_object_get(s, "graphs"), path, field,
                                  fcap, msg, mcap);
}

int store_scenarios_doc_check(json_t *root, char *field, size_t fcap, char *msg,
                              size_t mcap)
{
    json_t *list = json_object_get(root, "scenarios");
    if (!list || json_is_null(list))
        return STORE_OK;
    if (!json_is_array(list)) {
        bad(field, fcap, msg, mcap, "", "scenarios", "must be an array");
        return STORE_EINPUT;
    }
    if (json_array_size(list) > STORE_DOC_SCENARIOS_MAX) {
        bad(field, fcap, msg, mcap, "", "scenarios",
            "has %zu entries; at most %d are taken", json_array_size(list),
            STORE_DOC_SCENARIOS_MAX);
        return STORE_EINPUT;
    }
    size_t i, j;
    json_t *s, *t;
    json_array_foreach(list, i, s)
    {
        if (!doc_entry_ok(s, i, field, fcap, msg, mcap))
            return STORE_EINPUT;
        json_array_foreach(list, j, t)
        {
            if (j >= i)
                break;
            if (json_equal(json_object_get(s, "model"),
                           json_object_get(t, "model")) &&
                json_equal(json_object_get(s, "name"),
                           json_object_get(t, "name"))) {
                char path[48];
                snprintf(path, sizeof path, "scenarios[%zu]", i);
                bad(field, fcap, msg, mcap, path, "name",
                    "a second scenario '%s' of model '%s'",
                    json_string_value(json_object_get(s, "name")),
                    json_string_value(json_object_get(s, "model")));
                return STORE_EINPUT;
            }
        }
    }
    return STORE_OK;
}

int store_scenarios_doc_import(StoreDb *db, json_t *root, long long ws,
                               const char *at, StoreErr *err)
{
    size_t i;
    json_t *s;
    int rc = STORE_OK;
    json_array_foreach(json_object_get(root, "scenarios"), i, s)
    {
        char *spec =
            spec_text(json_object_get(s, "set"), json_object_get(s, "graphs"));
        if (!spec)
            return err_nomem(err);
        const char *desc = json_string_value(json_object_get(s, "description"));
        rc = db_exec(db, err, NULL,
                     "INSERT INTO scenarios (ws_id, model, name, description,"
                     " spec, created_at, updated_at) VALUES"
                     " (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                     "itttt"
                     "t",
                     ws, json_string_value(json_object_get(s, "model")),
                     json_string_value(json_object_get(s, "name")),
                     desc ? desc : "", spec, at);
        free(spec);
        if (rc != STORE_OK)
            break;
    }
    return rc;
}

int store_scenarios_doc_export(StoreDb *db, const StoreActor *a, json_t *root,
                               StoreErr *err)
{
    json_t *list = NULL, *out = json_array();
    int rc =
        out ? store_scenarios_list(db, a, NULL, &list, err) : err_nomem(err);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        json_t *o = json_pack("{s:O, s:O, s:O, s:O}", "model",
                              json_object_get(s, "model"), "name",
                              json_object_get(s, "name"), "description",
                              json_object_get(s, "description"), "set",
                              json_object_get(s, "set"));
        if (o && json_object_get(s, "graphs"))
            json_object_set(o, "graphs", json_object_get(s, "graphs"));
        json_array_append_new(out, o);
    }
    json_decref(list);
    if (rc == STORE_OK)
        json_object_set_new(root, "scenarios", out);
    else
        json_decref(out);
    return rc;
}
