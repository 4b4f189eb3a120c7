/*
 * api_demand.c - the API's demand study (docs/http-api.md, "Demand"):
 * contact logs uploaded as JSON {name, csv, map?} and read by the demand
 * engine (bad rows come back with their line and reason; the good rows
 * load), the logs' contacts with the members' coding applied over the
 * import, suggestions from the workspace's rules and from repeats,
 * filters and paging, the rules text (checked by the engine's parser),
 * split dates, the measures and XmR charts as the engine's JSON, and the
 * engine's HTML report. Also the request parsers of these endpoints
 * (pure, so tests/fuzz/fuzz_request.c drives them).
 *
 * Every measure is computed by reading the stored CSV again with the
 * engine and writing each coded contact's demand and type over the
 * imported ones; the store keeps both, so nothing imported is lost.
 */
#include "web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demand/demand.h"

#define DEMAND_PAGE_DEFAULT 50    /* contacts in one page */
#define DEMAND_PAGE_MAX 1000      /* at most */
#define DEMAND_HEADER_MAX 200     /* characters of a mapped header */
#define DEMAND_MSG_MAX 400        /* bytes of a diagnostic kept in a message */
#define DEMAND_RULE_ERRORS_MAX 50 /* rule errors listed in an answer */

/* ---- request parsers -------------------------------------------------- */

int web_parse_demand_log(json_t *b, WebDemandLog *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    demand_map_default(&out->map);
    json_t *name = json_object_get(b, "name");
    if (!name)
        return web_field_err(e, "missing_field", "name", "missing 'name'");
    if (!json_is_string(name) ||
        !store_text_ok(json_string_value(name), 1, STORE_DEMAND_NAME_MAX))
        return web_field_err(e, "bad_field", "name",
                             "'name' must be 1 to %d characters",
                             STORE_DEMAND_NAME_MAX);
    out->name = json_string_value(name);
    json_t *csv = json_object_get(b, "csv");
    if (!csv)
        return web_field_err(e, "missing_field", "csv", "missing 'csv'");
    if (!json_is_string(csv))
        return web_field_err(e, "bad_field", "csv",
                             "'csv' must be a string: the contact log's text");
    out->csv = json_string_value(csv);
    out->csv_len = json_string_length(csv);
    if (memchr(out->csv, '\0', out->csv_len))
        return web_field_err(e, "bad_field", "csv",
                             "'csv' must not contain NUL characters");
    json_t *map = json_object_get(b, "map");
    if (!map || json_is_null(map))
        return STORE_OK;
    if (!json_is_object(map))
        return web_field_err(e, "bad_field", "map",
                             "'map' must be an object of column: header");
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v)
    {
        char field[128];
        snprintf(field, sizeof field, "map.%.100s", key);
        int col = -1;
        for (int c = 0; c < DEMAND_NCOLS; c++)
            if (!strcmp(demand_col_name((DemandCol)c), key))
                col = c;
        if (col < 0)
            return web_field_err(e, "bad_field", field,
                                 "unknown column '%.100s' (the columns are "
                                 "id, received_at, channel, service, words, "
                                 "demand, type, what_matters, "
                                 "resolved_first_contact, handoffs, case_id, "
                                 "case_closed_at)",
                                 key);
        if (!json_is_string(v) ||
            !store_text_ok(json_string_value(v), 1, DEMAND_HEADER_MAX))
            return web_field_err(e, "bad_field", field,
                                 "'%s' must be a header of 1 to %d characters",
                                 field, DEMAND_HEADER_MAX);
        out->map.header[col] = json_string_value(v);
        out->map.given[col] = true;
    }
    out->map_json = map;
    return STORE_OK;
}

int web_parse_demand_code(json_t *b, const char **demand, const char **type,
                          StoreErr *e)
{
    *demand = NULL;
    *type = "";
    json_t *d = json_object_get(b, "demand");
    if (!d)
        return web_field_err(e, "missing_field", "demand", "missing 'demand'");
    if (!json_is_null(d)) {
        const char *s = json_is_string(d) ? json_string_value(d) : "";
        if (strcmp(s, "value") && strcmp(s, "failure"))
            return web_field_err(
                e, "bad_field", "demand",
                "'demand' must be \"value\", \"failure\" or null");
        *demand = s;
    }
    json_t *t = json_object_get(b, "type");
    if (t && !json_is_null(t)) {
        if (!json_is_string(t) ||
            !store_text_ok(json_string_value(t), 0, STORE_DEMAND_TYPE_MAX))
            return web_field_err(e, "bad_field", "type",
                                 "'type' must be a string of at most %d "
                                 "characters",
                                 STORE_DEMAND_TYPE_MAX);
        *type = json_string_value(t);
    }
    return STORE_OK;
}

int web_parse_demand_rules(json_t *b, const char **text, size_t *len,
                           StoreErr *e)
{
    json_t *t = json_object_get(b, "text");
    *text = NULL;
    *len = 0;
    if (!t)
        return web_field_err(e, "missing_field", "text", "missing 'text'");
    if (!json_is_string(t) || !store_text_ok(json_string_value(t), 0, 1 << 20))
        return web_field_err(e, "bad_field", "text",
                             "'text' must be a string (the rules, one a line)");
    *text = json_string_value(t);
    *len = json_string_length(t);
    if (memchr(*text, '\0', *len))
        return web_field_err(e, "bad_field", "text",
                             "'text' must not contain NUL characters");
    return STORE_OK;
}

int web_parse_demand_splits(json_t *b, int *days, int *n, StoreErr *e)
{
    *n = 0;
    json_t *s = json_object_get(b, "splits");
    if (!s)
        return web_field_err(e, "missing_field", "splits", "missing 'splits'");
    if (!json_is_array(s))
        return web_field_err(e, "bad_field", "splits",
                             "'splits' must be an array of dates YYYY-MM-DD");
    if (json_array_size(s) > DEMAND_SPLITS_MAX)
        return web_field_err(e, "bad_field", "splits", "at most %d split dates",
                             DEMAND_SPLITS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(s, i, v)
    {
        char field[32], err[256];
        snprintf(field, sizeof field, "splits[%zu]", i);
        const char *t = json_is_string(v) ? json_string_value(v) : "";
        long long epoch;
        int day;
        if (strlen(t) != 10 ||
            !demand_date_parse(t, &epoch, &day, err, sizeof err))
            return web_field_err(e, "bad_field", field,
                                 "%s must be a date YYYY-MM-DD", field);
        days[(*n)++] = day;
    }
    return STORE_OK;
}

/* ---- the engine over a stored log ------------------------------------- */

/* A log read by the engine with the members' coding applied, classified
 * with the workspace's rules, and measured. */
typedef struct Study {
    json_t *info;       /* the log as the store gives it */
    json_t *contacts;   /* the store's contacts (line order) */
    char *csv;          /* the stored CSV */
    DemandLog *log;     /* the engine's log, coding applied */
    DemandRules *rules; /* the workspace's rules, or NULL */
    DemandStudy *study; /* the measures */
} Study;

static void study_free(Study *s)
{
    demand_study_free(s->study);
    demand_rules_free(s->rules);
    demand_log_free(s->log);
    free(s->csv);
    json_decref(s->contacts);
    json_decref(s->info);
    memset(s, 0, sizeof *s);
}

/* The map stored with the log as a DemandMap borrowing from it. */
static void map_of(json_t *info, DemandMap *m)
{
    demand_map_default(m);
    json_t *map = json_object_get(info, "map");
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v)
    {
        for (int c = 0; c < DEMAND_NCOLS; c++)
            if (!strcmp(demand_col_name((DemandCol)c), key) &&
                json_is_string(v)) {
                m->header[c] = json_string_value(v);
                m->given[c] = true;
            }
    }
}

/* Writes each coded contact's demand and type over the engine's. */
static int apply_coding(DemandLog *log, json_t *contacts)
{
    int k = 0;
    size_t i;
    json_t *c;
    json_array_foreach(contacts, i, c)
    {
        json_t *coding = json_object_get(c, "coding");
        if (!json_is_object(coding))
            continue;
        int line = (int)json_integer_value(json_object_get(c, "line"));
        while (k < log->ncontacts && log->contacts[k].line < line)
            k++;
        if (k >= log->ncontacts || log->contacts[k].line != line)
            continue;
        const char *d = json_string_value(json_object_get(coding, "demand"));
        const char *t = json_string_value(json_object_get(coding, "type"));
        DemandContact *dc = &log->contacts[k];
        dc->demand = d && !strcmp(d, "failure") ? DEMAND_FAILURE
                     : d && !strcmp(d, "value") ? DEMAND_VALUE
                                                : DEMAND_NONE;
        dc->type = arena_strdup(&log->arena, t ? t : "");
        if (!dc->type)
            return T_EINTERNAL;
    }
    return T_OK;
}

/* Loads, codes, classifies and measures log id. false when it answered. */
static bool study_load(WebCtx *c, long long id, Study *s)
{
    memset(s, 0, sizeof *s);
    StoreErr e = {0};
    size_t len = 0;
    json_t *rules = NULL;
    if (store_demand_log_get(c->db, &c->actor, id, &s->info, &e) != STORE_OK ||
        store_demand_contacts(c->db, &c->actor, id, &s->contacts, &e) !=
            STORE_OK ||
        store_demand_log_csv(c->db, &c->actor, id, &s->csv, &len, &e) !=
            STORE_OK ||
        store_demand_rules_get(c->db, &c->actor, &rules, &e) != STORE_OK) {
        web_store_error(c, &e);
        study_free(s);
        return false;
    }
    DemandMap map;
    map_of(s->info, &map);
    TDiags d = {0};
    const char *name = json_string_value(json_object_get(s->info, "name"));
    int rc =
        demand_log_read(s->csv, len, name ? name : "log", &map, &s->log, &d);
    if (rc == T_OK)
        rc = apply_coding(s->log, s->contacts);
    const char *text = json_string_value(json_object_get(rules, "text"));
    if (rc == T_OK && text && text[0]) {
        TDiags rd = {0};
        /* the text was checked when it was saved; a failure leaves the
         * rules out rather than failing the measures */
        if (demand_rules_parse(text, strlen(text), "rules", &s->rules, &rd) !=
            T_OK)
            s->rules = NULL;
        diags_free(&rd);
    }
    json_decref(rules);
    if (rc == T_OK)
        rc = demand_classify(s->log, s->rules);
    int days[DEMAND_SPLITS_MAX], n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(s->info, "splits"), i, v)
    {
        long long epoch;
        int day;
        char err[128];
        if (n < DEMAND_SPLITS_MAX && json_is_string(v) &&
            demand_date_parse(json_string_value(v), &epoch, &day, err,
                              sizeof err))
            days[n++] = day;
    }
    if (rc == T_OK) {
        DemandOpts o = {days, n};
        rc = demand_study_run(s->log, &o, &s->study, &d);
    }
    diags_free(&d);
    if (rc != T_OK) {
        web_error(c, 500, "internal", NULL, "the demand study failed");
        study_free(s);
        return false;
    }
    return true;
}

static bool have_id(WebCtx *c, const char *kind)
{
    if (c->m.id > 0)
        return true;
    web_error(c, 404, "not_found", NULL, "no such %s in this workspace", kind);
    return false;
}

/* ---- logs ------------------------------------------------------------- */

void web_demand_logs(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    if (store_demand_logs(c->db, &c->actor, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "logs", list));
}

/* The first diagnostic as "csv: line L: message". */
static void diag_message(const TDiags *d, const char *field, char *out,
                         size_t cap)
{
    if (!d->len) {
        snprintf(out, cap, "%s: the contact log cannot be read", field);
        return;
    }
    const TDiag *g = &d->items[0];
    if (g->line > 0 && g->col > 0)
        snprintf(out, cap, "%s: line %d, column %d: %.*s", field, g->line,
                 g->col, DEMAND_MSG_MAX, g->message);
    else if (g->line > 0)
        snprintf(out, cap, "%s: line %d: %.*s", field, g->line, DEMAND_MSG_MAX,
                 g->message);
    else
        snprintf(out, cap, "%s: %.*s", field, DEMAND_MSG_MAX, g->message);
}

void web_demand_log_add(WebCtx *c)
{
    StoreErr e = {0};
    WebDemandLog in;
    if (web_parse_demand_log(c->body, &in, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    TDiags d = {0};
    DemandLog *log = NULL;
    int rc = demand_log_read(in.csv, in.csv_len, in.name, &in.map, &log, &d);
    if (rc != T_OK) {
        char msg[512];
        diag_message(&d, "csv", msg, sizeof msg);
        diags_free(&d);
        if (rc == T_EINPUT || rc == T_EUSAGE)
            web_error(c, 400, "bad_field", "csv", "%s", msg);
        else
            web_error(c, 500, "internal", NULL, "out of memory");
        return;
    }
    diags_free(&d);
    StoreDemandContact *cs = calloc((size_t)log->ncontacts + 1, sizeof *cs);
    json_t *rej = json_array();
    if (!cs || !rej) {
        free(cs);
        json_decref(rej);
        demand_log_free(log);
        web_error(c, 500, "internal", NULL, "out of memory");
        return;
    }
    for (int i = 0; i < log->ncontacts; i++) {
        const DemandContact *k = &log->contacts[i];
        cs[i] = (StoreDemandContact){
            .line = k->line,
            .ext_id = k->id,
            .received_at = k->received_text,
            .channel = k->channel,
            .service = k->service,
            .words = k->words,
            .demand =
                k->demand == DEMAND_NONE ? "" : demand_kind_name(k->demand),
            .type = k->type,
            .what_matters = k->what_matters,
            .first_contact = k->first_contact,
            .handoffs = k->handoffs,
            .case_id = k->case_id,
            .case_closed_at = k->closed_text ? k->closed_text : ""};
    }
    for (int i = 0; i < log->nrejected; i++)
        json_array_append_new(rej, json_pack("{s:i, s:s}", "line",
                                             log->rejected[i].line, "reason",
                                             log->rejected[i].reason));
    StoreDemandLogNew n = {.name = in.name,
                           .csv = in.csv,
                           .map = in.map_json,
                           .rejected = rej,
                           .blank_rows = log->blank,
                           .contacts = cs,
                           .ncontacts = log->ncontacts};
    long long id = 0;
    json_t *out = NULL;
    rc = store_demand_log_add(c->db, &c->actor, &n, &id, &e);
    free(cs);
    json_decref(rej);
    demand_log_free(log);
    if (rc != STORE_OK ||
        store_demand_log_get(c->db, &c->actor, id, &out, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 201, json_pack("{s:o}", "log", out));
}

void web_demand_log_get(WebCtx *c)
{
    StoreErr e = {0};
    json_t *log = NULL;
    if (!have_id(c, "contact log"))
        return;
    if (store_demand_log_get(c->db, &c->actor, c->m.id, &log, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "log", log));
}

void web_demand_log_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "contact log"))
        return;
    if (store_demand_log_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

/* ---- contacts --------------------------------------------------------- */

/* Whether a and b are the same name ignoring ASCII case, spaces, - and _
 * (as the engine groups types and services). */
static bool same_name(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '-' || *a == '_')
            a++;
        while (*b == ' ' || *b == '-' || *b == '_')
            b++;
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
        if (!x)
            return true;
        a++;
        b++;
    }
}

/* Adds the engine's view (demand and type in force, suggestion, repeat)
 * to each stored contact. */
static void annotate(Study *s)
{
    int k = 0;
    size_t i;
    json_t *c;
    json_array_foreach(s->contacts, i, c)
    {
        int line = (int)json_integer_value(json_object_get(c, "line"));
        while (k < s->log->ncontacts && s->log->contacts[k].line < line)
            k++;
        if (k >= s->log->ncontacts || s->log->contacts[k].line != line)
            continue;
        const DemandContact *dc = &s->log->contacts[k];
        json_object_set_new(c, "demand",
                            json_string(dc->demand == DEMAND_NONE
                                            ? ""
                                            : demand_kind_name(dc->demand)));
        json_object_set_new(c, "type", json_string(dc->type ? dc->type : ""));
        json_object_set_new(c, "repeat", json_boolean(dc->repeat));
        json_t *sug = json_null();
        if (dc->demand == DEMAND_NONE && dc->suggested != DEMAND_NONE) {
            json_t *p = json_pack(
                "{s:s, s:s, s:s}", "demand", demand_kind_name(dc->suggested),
                "type", dc->suggested_type ? dc->suggested_type : "", "why",
                dc->suggested_why ? dc->suggested_why : "");
            if (p)
                sug = p;
        }
        json_object_set_new(c, "suggestion", sug);
    }
}

void web_demand_contacts(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "contact log"))
        return;
    const char *filter = web_arg(c, WEB_QUERY, "filter");
    const char *service = web_arg(c, WEB_QUERY, "service");
    const char *type = web_arg(c, WEB_QUERY, "type");
    long long offset = 0, limit = 0;
    if (filter && strcmp(filter, "all") && strcmp(filter, "uncoded") &&
        strcmp(filter, "coded") && strcmp(filter, "suggested")) {
        web_error(c, 400, "bad_field", "filter",
                  "'filter' must be all, uncoded, coded or suggested");
        return;
    }
    if (web_parse_count(web_arg(c, WEB_QUERY, "offset"), "offset", 0,
                        DEMAND_ROWS_MAX, 0, &offset, &e) != STORE_OK ||
        web_parse_count(web_arg(c, WEB_QUERY, "limit"), "limit", 1,
                        DEMAND_PAGE_MAX, DEMAND_PAGE_DEFAULT, &limit,
                        &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    Study s;
    if (!study_load(c, c->m.id, &s))
        return;
    annotate(&s);
    json_t *page = json_array();
    long long matched = 0, coded = 0, suggested = 0;
    size_t i;
    json_t *ct;
    json_array_foreach(s.contacts, i, ct)
    {
        const char *d = json_string_value(json_object_get(ct, "demand"));
        bool is_coded = d && d[0];
        bool is_sug = json_is_object(json_object_get(ct, "suggestion"));
        coded += is_coded;
        suggested += is_sug;
        if (filter && ((!strcmp(filter, "uncoded") && is_coded) ||
                       (!strcmp(filter, "coded") && !is_coded) ||
                       (!strcmp(filter, "suggested") && !is_sug)))
            continue;
        const char *sv = json_string_value(json_object_get(ct, "service"));
        const char *ty = json_string_value(json_object_get(ct, "type"));
        if (service && !same_name(sv ? sv : "", service))
            continue;
        if (type && !same_name(ty ? ty : "", type))
            continue;
        if (matched >= offset && matched < offset + limit)
            json_array_append(page, ct);
        matched++;
    }
    long long total = (long long)json_array_size(s.contacts);
    study_free(&s);
    web_json(c, 200,
             json_pack("{s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o}",
                       "matched", (json_int_t)matched, "offset",
                       (json_int_t)offset, "limit", (json_int_t)limit, "counts",
                       "contacts", (json_int_t)total, "coded",
                       (json_int_t)coded, "uncoded",
                       (json_int_t)(total - coded), "suggested",
                       (json_int_t)suggested, "contacts", page));
}

void web_demand_code(WebCtx *c)
{
    StoreErr e = {0};
    const char *demand = NULL, *type = NULL;
    json_t *ct = NULL;
    if (!have_id(c, "contact"))
        return;
    if (web_parse_demand_code(c->body, &demand, &type, &e) != STORE_OK ||
        store_demand_code(c->db, &c->actor, 0, c->m.id, demand, type, &e) !=
            STORE_OK ||
        store_demand_contact_get(c->db, &c->actor, 0, c->m.id, &ct, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "contact", ct));
}

/* ---- rules and splits ------------------------------------------------- */

void web_demand_rules_get(WebCtx *c)
{
    StoreErr e = {0};
    json_t *r = NULL;
    if (store_demand_rules_get(c->db, &c->actor, &r, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "rules", r));
}

void web_demand_rules_put(WebCtx *c)
{
    StoreErr e = {0};
    const char *text = NULL;
    size_t len = 0;
    if (web_parse_demand_rules(c->body, &text, &len, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    TDiags d = {0};
    DemandRules *rules = NULL;
    int rc = demand_rules_parse(text, len, "rules", &rules, &d);
    demand_rules_free(rules);
    if (rc != T_OK) {
        json_t *errs = json_array();
        for (int i = 0; i < d.len && i < DEMAND_RULE_ERRORS_MAX; i++)
            if (d.items[i].level == DIAG_ERROR)
                json_array_append_new(errs, json_pack("{s:i, s:i, s:s}", "line",
                                                      d.items[i].line, "column",
                                                      d.items[i].col, "message",
                                                      d.items[i].message));
        char msg[512];
        diag_message(&d, "rules", msg, sizeof msg);
        diags_free(&d);
        if (rc != T_EINPUT && rc != T_EUSAGE) {
            json_decref(errs);
            web_error(c, 500, "internal", NULL, "out of memory");
            return;
        }
        /* the message is the client's text quoted: make it valid UTF-8 */
        web_json(c, 400,
                 json_pack("{s:{s:s, s:s%, s:s, s:o}}", "error", "code",
                           "bad_field", "message", msg, strlen(msg), "field",
                           "text", "errors", errs ? errs : json_array()));
        if (c->resp->status == 500)
            web_error(c, 400, "bad_field", "text",
                      "rules: the rules have errors");
        return;
    }
    diags_free(&d);
    json_t *r = NULL;
    if (store_demand_rules_set(c->db, &c->actor, text, &e) != STORE_OK ||
        store_demand_rules_get(c->db, &c->actor, &r, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "rules", r));
}

void web_demand_splits(WebCtx *c)
{
    StoreErr e = {0};
    int days[DEMAND_SPLITS_MAX], n = 0;
    if (!have_id(c, "contact log"))
        return;
    if (web_parse_demand_splits(c->body, days, &n, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    json_t *clean = json_array();
    for (int i = 0; i < n; i++) {
        char buf[32];
        demand_day_format(days[i], buf);
        json_array_append_new(clean, json_string(buf));
    }
    json_t *log = NULL;
    if (!clean ||
        store_demand_splits_set(c->db, &c->actor, c->m.id, clean, &e) !=
            STORE_OK ||
        store_demand_log_get(c->db, &c->actor, c->m.id, &log, &e) != STORE_OK) {
        json_decref(clean);
        if (!e.rc)
            web_error(c, 500, "internal", NULL, "out of memory");
        else
            web_store_error(c, &e);
        return;
    }
    json_decref(clean);
    web_json(c, 200, json_pack("{s:o}", "log", log));
}

/* ---- measures and the report ------------------------------------------ */

void web_demand_measures(WebCtx *c)
{
    if (!have_id(c, "contact log"))
        return;
    Study s;
    if (!study_load(c, c->m.id, &s))
        return;
    json_t *j = demand_report_json(s.study);
    if (j) {
        json_object_set_new(j, "log_id", json_integer(c->m.id));
        json_object_set_new(j, "name",
                            json_incref(json_object_get(s.info, "name")));
    }
    study_free(&s);
    web_json(c, 200, j);
}

void web_demand_report(WebCtx *c)
{
    if (!have_id(c, "contact log"))
        return;
    Study s;
    if (!study_load(c, c->m.id, &s))
        return;
    TBuf out = {0};
    int rc = demand_report_html(s.study, &out);
    study_free(&s);
    if (rc != T_OK) {
        tbuf_free(&out);
        web_error(c, 500, "internal", NULL, "the report failed");
        return;
    }
    WebResp *r = c->resp;
    /* the report's inline SVG and <style>, but no script of any kind */
    for (int i = 0; i < r->nheaders; i++)
        if (!strcmp(r->headers[i].name, "Content-Security-Policy")) {
            free(r->headers[i].value);
            r->headers[i] = r->headers[--r->nheaders];
            break;
        }
    web_header(r, "Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    r->status = 200;
    r->ctype = "text/html; charset=utf-8";
    r->body.len = 0;
    tbuf_append(&r->body, out.data ? out.data : "", out.len);
    tbuf_free(&out);
}
