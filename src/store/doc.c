/*
 * doc.c - the workspace document (docs/http-api.md, "The workspace
 * document"): checking one, importing it as a new workspace, and
 * exporting a workspace as one. The check reports every problem with the
 * path of its field (`items[4].theme: unknown theme 'demnd'`) and the
 * import writes nothing unless there are none. Ids inside a document are
 * its own (strings; integers are taken too and read as their decimal
 * text); an import makes new database ids and uses the document's only
 * to resolve theme, merged_into, from and to. An export writes database
 * ids as strings.
 */
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC_FORMAT "territory-workspace"
#define DOC_VERSION 1
#define DOC_ID_MAX 200 /* bytes of a document id */

/* ---- problems --------------------------------------------------------- */

void store_issue_add(StoreIssues *is, const char *field, const char *fmt, ...)
{
    if (is->len >= STORE_ISSUES_MAX) {
        is->dropped++;
        return;
    }
    if (is->len == is->cap) {
        int cap = is->cap ? is->cap * 2 : 8;
        StoreIssue *p = realloc(is->items, sizeof *p * (size_t)cap);
        if (!p) {
            is->dropped++;
            return;
        }
        is->items = p;
        is->cap = cap;
    }
    StoreIssue *x = &is->items[is->len++];
    snprintf(x->field, sizeof x->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
}

/* ---- the index of a document's ids ------------------------------------ */

typedef struct DocIndex {
    Arena arena;  /* the id texts */
    THash themes; /* document id -> index in "themes" */
    THash items;  /* document id -> index in "items" */
    THash pairs;  /* "from\x1fto" -> link index, for duplicates */
} DocIndex;

static void index_free(DocIndex *ix)
{
    thash_free(&ix->themes);
    thash_free(&ix->items);
    thash_free(&ix->pairs);
    arena_free(&ix->arena);
}

/* A document id as text (a string, or an integer in decimal), in the
 * arena; NULL when v is neither or is empty or too long. */
static const char *id_text(DocIndex *ix, json_t *v)
{
    if (json_is_integer(v))
        return arena_printf(&ix->arena, "%lld",
                            (long long)json_integer_value(v));
    const char *s = json_string_value(v);
    if (!s || !s[0] || strlen(s) > DOC_ID_MAX)
        return NULL;
    return s;
}

/* A short, printable copy of a document value for a message. */
static void shown(json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (s)
        store_clip(out, cap, s, 40);
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        snprintf(out, cap, "%s", "?");
}

static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    default:
        return "null";
    }
}

/* ---- field checks ----------------------------------------------------- */

/* A text field: required or optional (null or absent allowed), min..max
 * characters. */
static void check_text(StoreIssues *is, json_t *obj, const char *key,
                       const char *path, bool required, int min, int max)
{
    char field[128];
    snprintf(field, sizeof field, "%s%s%s", path, path[0] ? "." : "", key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            store_issue_add(is, field, "missing");
        return;
    }
    if (!json_is_string(v)) {
        store_issue_add(is, field, "must be a string, not %s", type_name(v));
        return;
    }
    if (!store_text_ok(json_string_value(v), min, max))
        store_issue_add(is, field, "must be %d to %d characters of UTF-8 text",
                        min, max);
}

/* An optional number (or null). */
static void check_number(StoreIssues *is, json_t *obj, const char *key,
                         const char *path)
{
    json_t *v = json_object_get(obj, key);
    if (v && !json_is_null(v) && !json_is_number(v)) {
        char field[128];
        snprintf(field, sizeof field, "%s.%s", path, key);
        store_issue_add(is, field, "must be a number or null, not %s",
                        type_name(v));
    }
}

/* An optional true/false (or null). */
static void check_bool(StoreIssues *is, json_t *obj, const char *key,
                       const char *path)
{
    json_t *v = json_object_get(obj, key);
    if (v && !json_is_null(v) && !json_is_boolean(v)) {
        char field[128];
        snprintf(field, sizeof field, "%s.%s", path, key);
        store_issue_add(is, field, "must be true or false, not %s",
                        type_name(v));
    }
}

/* An optional array (or null): the array, or NULL. */
static json_t *opt_array(StoreIssues *is, json_t *obj, const char *key,
                         const char *path, size_t max)
{
    char field[128];
    snprintf(field, sizeof field, "%s%s%s", path, path[0] ? "." : "", key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_array(v)) {
        store_issue_add(is, field, "must be an array, not %s", type_name(v));
        return NULL;
    }
    if (json_array_size(v) > max) {
        store_issue_add(is, field, "has %zu entries; at most %zu are taken",
                        json_array_size(v), max);
        return NULL;
    }
    return v;
}

/* Resolves a reference to a theme or item: NULL or null is "none"
 * (returns -1 with no issue); an unknown id is an issue. */
static int resolve(StoreIssues *is, DocIndex *ix, THash *h, json_t *v,
                   const char *field, const char *kind)
{
    if (!v || json_is_null(v))
        return -1;
    const char *id = id_text(ix, v);
    int at = -1;
    char what[64];
    shown(v, what, sizeof what);
    if (!id)
        store_issue_add(is, field, "must be the id of %s (a string)", kind);
    else if (!thash_get(h, id, &at))
        store_issue_add(is, field, "unknown %s '%s'", kind, what);
    return at;
}

/* The index in "items" of the document item v names, or -1 (a
 * StoreDocRef for the framing, framing.c). */
static int item_ref(void *ctx, json_t *v)
{
    DocIndex *ix = ctx;
    const char *id = v ? id_text(ix, v) : NULL;
    int at = -1;
    if (id && !thash_get(&ix->items, id, &at))
        at = -1;
    return at;
}

/* ---- the check -------------------------------------------------------- */

static void check_themes(StoreIssues *is, DocIndex *ix, json_t *themes)
{
    size_t i;
    json_t *t;
    json_array_foreach(themes, i, t)
    {
        char path[64], field[96];
        snprintf(path, sizeof path, "themes[%zu]", i);
        if (!json_is_object(t)) {
            store_issue_add(is, path, "must be an object, not %s",
                            type_name(t));
            continue;
        }
        snprintf(field, sizeof field, "%s.id", path);
        const char *id = id_text(ix, json_object_get(t, "id"));
        int dummy;
        if (!id)
            store_issue_add(is, field,
                            "missing, or not a string of 1 to %d bytes",
                            DOC_ID_MAX);
        else if (thash_get(&ix->themes, id, &dummy))
            store_issue_add(is, field, "a second theme with the id '%s'", id);
        else if (thash_put(&ix->themes, id, (int)i) != 0)
            store_issue_add(is, field, "out of memory");
        check_text(is, t, "name", path, true, 1, STORE_THEME_MAX);
        json_t *c = json_object_get(t, "color");
        snprintf(field, sizeof field, "%s.color", path);
        if (c && !json_is_null(c) && !store_color_ok(json_string_value(c)))
            store_issue_add(is, field, "must be a colour written #rrggbb");
    }
}

static void check_evidence(StoreIssues *is, json_t *list, const char *path)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        char p[96], field[128];
        snprintf(p, sizeof p, "%s.evidence[%zu]", path, i);
        if (!json_is_object(e)) {
            store_issue_add(is, p, "must be an object, not %s", type_name(e));
            continue;
        }
        const char *kind = json_string_value(json_object_get(e, "kind"));
        snprintf(field, sizeof field, "%s.kind", p);
        if (!kind || (strcmp(kind, "story") && strcmp(kind, "quote") &&
                      strcmp(kind, "figure")))
            store_issue_add(is, field, "must be story, quote or figure");
        check_text(is, e, "text", p, true, 1, STORE_EVIDENCE_MAX);
        check_text(is, e, "source", p, false, 0, STORE_SOURCE_MAX);
        json_t *v = json_object_get(e, "value");
        snprintf(field, sizeof field, "%s.value", p);
        if (v && !json_is_null(v) && !json_is_number(v))
            store_issue_add(is, field, "must be a number");
        if (kind && !strcmp(kind, "figure")) {
            if (!json_is_number(v))
                store_issue_add(is, field, "a figure needs a value");
            if (!json_is_string(json_object_get(e, "source"))) {
                snprintf(field, sizeof field, "%s.source", p);
                store_issue_add(is, field, "a figure needs a source");
            }
        }
    }
}

static void check_item(StoreIssues *is, DocIndex *ix, json_t *it, size_t i)
{
    char path[64], field[96];
    snprintf(path, sizeof path, "items[%zu]", i);
    if (!json_is_object(it)) {
        store_issue_add(is, path, "must be an object, not %s", type_name(it));
        return;
    }
    check_text(is, it, "title", path, true, 1, STORE_TITLE_MAX);
    check_text(is, it, "body", path, false, 0, STORE_BODY_MAX);
    snprintf(field, sizeof field, "%s.theme", path);
    resolve(is, ix, &ix->themes, json_object_get(it, "theme"), field, "theme");
    json_t *st = json_object_get(it, "status");
    const char *status = json_string_value(st);
    snprintf(field, sizeof field, "%s.status", path);
    if (st && !json_is_null(st) &&
        (!status || (strcmp(status, "open") && strcmp(status, "merged") &&
                     strcmp(status, "deleted"))))
        store_issue_add(is, field, "must be open, merged or deleted");
    snprintf(field, sizeof field, "%s.merged_into", path);
    int into = resolve(is, ix, &ix->items, json_object_get(it, "merged_into"),
                       field, "item");
    if (into == (int)i)
        store_issue_add(is, field, "an item cannot be merged into itself");
    check_bool(is, it, "hidden", path);
    json_t *src = json_object_get(it, "source");
    snprintf(field, sizeof field, "%s.source", path);
    if (src && !json_is_null(src)) {
        if (!json_is_object(src)) {
            store_issue_add(is, field, "must be an object {document, quote}");
        } else {
            check_text(is, src, "document", field, false, 0, STORE_SOURCE_MAX);
            check_text(is, src, "quote", field, false, 0, STORE_EVIDENCE_MAX);
        }
    }
    json_t *ev = opt_array(is, it, "evidence", path, STORE_DOC_EVIDENCE_MAX);
    if (ev)
        check_evidence(is, ev, path);
    check_number(is, it, "importance", path);
    check_number(is, it, "uncertainty", path);
    check_number(is, it, "ratings", path);
}

static void check_link(StoreIssues *is, DocIndex *ix, json_t *l, size_t i)
{
    char path[64], field[96];
    snprintf(path, sizeof path, "links[%zu]", i);
    if (!json_is_object(l)) {
        store_issue_add(is, path, "must be an object, not %s", type_name(l));
        return;
    }
    int ends[2];
    static const char *const keys[] = {"from", "to"};
    for (int k = 0; k < 2; k++) {
        snprintf(field, sizeof field, "%s.%s", path, keys[k]);
        json_t *v = json_object_get(l, keys[k]);
        if (!v || json_is_null(v)) {
            store_issue_add(is, field, "missing");
            ends[k] = -1;
        } else {
            ends[k] = resolve(is, ix, &ix->items, v, field, "item");
        }
    }
    if (ends[0] >= 0 && ends[0] == ends[1]) {
        snprintf(field, sizeof field, "%s.to", path);
        store_issue_add(is, field, "a link joins two different items");
    } else if (ends[0] >= 0 && ends[1] >= 0) {
        const char *key =
            arena_printf(&ix->arena, "%d\x1f%d", ends[0], ends[1]);
        int first;
        snprintf(field, sizeof field, "%s.to", path);
        if (key && thash_get(&ix->pairs, key, &first))
            store_issue_add(is, field,
                            "a second link between the same items (the "
                            "first is links[%d])",
                            first);
        else if (key)
            thash_put(&ix->pairs, key, (int)i);
    }
    const char *pol = json_string_value(json_object_get(l, "polarity"));
    snprintf(field, sizeof field, "%s.polarity", path);
    if (!pol)
        store_issue_add(is, field, "missing: \"+\" or \"-\"");
    else if (strcmp(pol, "+") && strcmp(pol, "-") &&
             strcmp(pol, "\xE2\x88\x92"))
        store_issue_add(is, field, "must be \"+\" or \"-\"");
    check_bool(is, l, "delay", path);
    check_bool(is, l, "hidden", path);
    check_text(is, l, "note", path, false, 0, STORE_NOTE_MAX);
}

/* Checks a parsed document, filling ix (ids to indices) as it goes. */
static void check_doc(json_t *root, DocIndex *ix, StoreIssues *is)
{
    if (!json_is_object(root)) {
        store_issue_add(is, "", "a workspace document is a JSON object, not %s",
                        type_name(root));
        return;
    }
    const char *format = json_string_value(json_object_get(root, "format"));
    if (!format) {
        store_issue_add(is, "format",
                        "missing: not a workspace document (want "
                        "\"format\": \"" DOC_FORMAT "\")");
    } else if (strcmp(format, DOC_FORMAT)) {
        char what[64];
        shown(json_object_get(root, "format"), what, sizeof what);
        store_issue_add(
            is, "format",
            "'%s' is not a workspace document (want '" DOC_FORMAT "')", what);
        return; /* something else entirely: the rest would be noise */
    }
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != DOC_VERSION)
        store_issue_add(is, "version",
                        "must be %d (the version this program reads)",
                        DOC_VERSION);
    json_t *slug = json_object_get(root, "slug");
    if (slug && !json_is_null(slug) && !store_slug_ok(json_string_value(slug)))
        store_issue_add(is, "slug",
                        "must be 1 to %d of a-z, 0-9 and '-', not starting or "
                        "ending with '-'",
                        STORE_SLUG_MAX);
    check_text(is, root, "name", "", true, 1, STORE_NAME_MAX);
    check_text(is, root, "description", "", false, 0, STORE_DESC_MAX);

    json_t *themes = opt_array(is, root, "themes", "", STORE_DOC_THEMES_MAX);
    json_t *items = opt_array(is, root, "items", "", STORE_DOC_ITEMS_MAX);
    json_t *links = opt_array(is, root, "links", "", STORE_DOC_LINKS_MAX);
    if (themes)
        check_themes(is, ix, themes);
    /* ids first, so that merged_into may point forwards */
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (!json_is_object(it))
            continue;
        char field[64];
        snprintf(field, sizeof field, "items[%zu].id", i);
        const char *id = id_text(ix, json_object_get(it, "id"));
        int dummy;
        if (!id)
            store_issue_add(is, field,
                            "missing, or not a string of 1 to %d bytes",
                            DOC_ID_MAX);
        else if (thash_get(&ix->items, id, &dummy))
            store_issue_add(is, field, "a second item with the id '%s'", id);
        else if (thash_put(&ix->items, id, (int)i) != 0)
            store_issue_add(is, field, "out of memory");
    }
    json_array_foreach(items, i, it)
    {
        check_item(is, ix, it, i);
    }
    json_array_foreach(links, i, it)
    {
        check_link(is, ix, it, i);
    }
    char sfield[128], smsg[384];
    if (store_scenarios_doc_check(root, sfield, sizeof sfield, smsg,
                                  sizeof smsg) != STORE_OK)
        store_issue_add(is, sfield, "%s", smsg);
    store_framing_doc_check(json_object_get(root, "framing"), item_ref, ix, is);
}

/* Parses text into *root; a JSON error is one issue with its place. */
static int parse_doc(const char *text, size_t len, json_t **root,
                     StoreIssues *is)
{
    json_error_t je;
    *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root) {
        store_issue_add(is, "", "malformed JSON at line %d, column %d: %s",
                        je.line, je.column, je.text);
        return STORE_EINPUT;
    }
    return STORE_OK;
}

int store_doc_check(const char *text, size_t len, StoreIssues *is)
{
    json_t *root = NULL;
    if (parse_doc(text, len, &root, is) != STORE_OK)
        return STORE_EINPUT;
    DocIndex ix = {0};
    arena_init(&ix.arena);
    check_doc(root, &ix, is);
    index_free(&ix);
    json_decref(root);
    return is->len || is->dropped ? STORE_EINPUT : STORE_OK;
}

/* ---- import ----------------------------------------------------------- */

/* The string value of key in obj, or dflt (null and absent alike). */
static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

static int import_items(StoreDb *db, DocIndex *ix, json_t *items,
                        const long long *theme_ids, long long *item_ids,
                        long long ws, const char *at, StoreErr *err)
{
    size_t i;
    json_t *it;
    int rc = STORE_OK;
    json_array_foreach(items, i, it)
    {
        if (rc != STORE_OK)
            break;
        int t = -1;
        const char *tid = id_text(ix, json_object_get(it, "theme"));
        if (tid)
            thash_get(&ix->themes, tid, &t);
        json_t *src = json_object_get(it, "source");
        const char *status = str_or(it, "status", "open");
        rc = db_exec(db, err, NULL,
                     "INSERT INTO items (ws_id, title, body, theme_id, status,"
                     " hidden, source_document, source_quote, created_at,"
                     " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                     " ?9, ?9)",
                     "ittItittt", ws, str_or(it, "title", ""),
                     str_or(it, "body", ""), t >= 0 ? theme_ids[t] : 0, status,
                     (long long)json_is_true(json_object_get(it, "hidden")),
                     json_is_object(src) ? str_or(src, "document", "") : NULL,
                     json_is_object(src) ? str_or(src, "quote", "") : NULL, at);
        item_ids[i] = sqlite3_last_insert_rowid(db->h);
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(it, "evidence"), k, e)
        {
            if (rc != STORE_OK)
                break;
            sqlite3_stmt *st = db_query(
                db, err,
                "INSERT INTO evidence (item_id, kind, text, source, value,"
                " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                "itttnt", item_ids[i], str_or(e, "kind", "story"),
                str_or(e, "text", ""), str_or(e, "source", NULL), at);
            if (st && json_is_number(json_object_get(e, "value")))
                sqlite3_bind_double(
                    st, 5, json_number_value(json_object_get(e, "value")));
            if (!st || db_step(db, st, err) != SQLITE_DONE)
                rc = st ? err_db(err, db, "import evidence") : STORE_EINTERNAL;
            db_done(db, st);
        }
    }
    /* merged_into once every item has its id */
    json_array_foreach(items, i, it)
    {
        if (rc != STORE_OK)
            break;
        int m = -1;
        const char *mid = id_text(ix, json_object_get(it, "merged_into"));
        if (mid && thash_get(&ix->items, mid, &m))
            rc = db_exec(db, err, NULL,
                         "UPDATE items SET merged_into = ?1, status ="
                         " CASE WHEN status = 'open' THEN 'merged' ELSE"
                         " status END WHERE id = ?2",
                         "ii", item_ids[m], item_ids[i]);
    }
    return rc;
}

static int import_doc(StoreDb *db, json_t *root, DocIndex *ix, long long owner,
                      const char *slug, char *slug_out, size_t cap,
                      StoreErr *err)
{
    char at[STORE_TIME_LEN];
    store_now(at);
    long long ws = 0;
    int rc = store_ws_insert(db, owner, str_or(root, "name", ""), slug,
                             str_or(root, "description", ""), at, slug_out, cap,
                             &ws, err);
    json_t *themes = json_object_get(root, "themes");
    json_t *items = json_object_get(root, "items");
    json_t *links = json_object_get(root, "links");
    size_t nt = json_array_size(themes), ni = json_array_size(items);
    long long *theme_ids = calloc(nt + 1, sizeof *theme_ids);
    long long *item_ids = calloc(ni + 1, sizeof *item_ids);
    if (rc == STORE_OK && (!theme_ids || !item_ids))
        rc = err_nomem(err);
    static const char *const palette[] = {"#e69f00", "#56b4e9", "#009e73",
                                          "#f0e442", "#0072b2", "#d55e00",
                                          "#cc79a7", "#999999"};
    size_t i;
    json_t *t;
    json_array_foreach(themes, i, t)
    {
        if (rc != STORE_OK)
            break;
        char col[8];
        snprintf(col, sizeof col, "%s", str_or(t, "color", palette[i % 8]));
        for (char *p = col; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        rc = db_exec(db, err, NULL,
                     "INSERT INTO themes (ws_id, name, color, created_at)"
                     " VALUES (?1, ?2, ?3, ?4)",
                     "ittt", ws, str_or(t, "name", ""), col, at);
        theme_ids[i] = sqlite3_last_insert_rowid(db->h);
    }
    if (rc == STORE_OK)
        rc = import_items(db, ix, items, theme_ids, item_ids, ws, at, err);
    json_array_foreach(links, i, t)
    {
        if (rc != STORE_OK)
            break;
        int f = -1, to = -1;
        thash_get(&ix->items, id_text(ix, json_object_get(t, "from")), &f);
        thash_get(&ix->items, id_text(ix, json_object_get(t, "to")), &to);
        const char *pol = str_or(t, "polarity", "+");
        rc =
            db_exec(db, err, NULL,
                    "INSERT INTO links (ws_id, from_id, to_id, polarity,"
                    " delay, note, hidden, created_at, updated_at) VALUES"
                    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                    "iiitit"
                    "it",
                    ws, item_ids[f], item_ids[to], strcmp(pol, "+") ? "-" : "+",
                    (long long)json_is_true(json_object_get(t, "delay")),
                    str_or(t, "note", ""),
                    (long long)json_is_true(json_object_get(t, "hidden")), at);
    }
    if (rc == STORE_OK)
        rc = store_scenarios_doc_import(db, root, ws, at, err);
    if (rc == STORE_OK)
        rc = store_framing_doc_import(db, json_object_get(root, "framing"),
                                      item_ref, ix, item_ids, ws, at, err);
    free(theme_ids);
    free(item_ids);
    return rc;
}

int store_doc_import(StoreDb *db, const char *text, size_t len, long long owner,
                     bool claim_first, const char *slug_override,
                     char *slug_out, size_t cap, StoreIssues *is, StoreErr *err)
{
    json_t *root = NULL;
    DocIndex ix = {0};
    arena_init(&ix.arena);
    int rc = parse_doc(text, len, &root, is);
    if (rc == STORE_OK) {
        check_doc(root, &ix, is);
        if (is->len || is->dropped)
            rc = STORE_EINPUT;
    }
    if (rc == STORE_EINPUT) {
        err_set(err, STORE_EINPUT, "bad_field",
                is->len ? is->items[0].field : NULL, "%s%s%s",
                is->len && is->items[0].field[0] ? is->items[0].field : "",
                is->len && is->items[0].field[0] ? ": " : "",
                is->len ? is->items[0].message : "not a workspace document");
        index_free(&ix);
        json_decref(root);
        return rc;
    }
    /* the caller's transaction (seeding in store_open), or our own */
    bool own = sqlite3_get_autocommit(db->h) != 0;
    if (own)
        rc = db_begin(db, err);
    if (rc == STORE_OK && !owner && claim_first)
        rc = db_int(db, err, &owner, 0, "SELECT min(id) FROM users", "");
    const char *slug = slug_override
                           ? slug_override
                           : json_string_value(json_object_get(root, "slug"));
    if (rc == STORE_OK)
        rc = import_doc(db, root, &ix, owner, slug, slug_out, cap, err);
    if (own)
        rc = db_end(db, rc, err);
    index_free(&ix);
    json_decref(root);
    return rc;
}

/* ---- export ----------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Whether id is in the sorted set. */
static bool in_set(const long long *set, int n, long long id)
{
    return id && bsearch(&id, set, (size_t)n, sizeof *set, cmp_ll) != NULL;
}

static json_t *id_json(long long id)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", id);
    return json_string(s);
}

static int export_evidence(StoreDb *db, long long item, json_t *out,
                           StoreErr *err)
{
    sqlite3_stmt *st = db_query(db, err,
                                "SELECT kind, text, source, value FROM"
                                " evidence WHERE item_id = ?1 ORDER BY id",
                                "i", item);
    if (!st)
        return STORE_EINTERNAL;
    int s;
    while ((s = db_step(db, st, err)) == SQLITE_ROW) {
        json_t *e = json_pack("{s:s, s:s}", "kind", col_text(st, 0), "text",
                              col_text(st, 1));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            json_object_set_new(e, "source", json_string(col_text(st, 2)));
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            json_object_set_new(e, "value",
                                json_real(sqlite3_column_double(st, 3)));
        json_array_append_new(out, e);
    }
    db_done(db, st);
    return s == SQLITE_DONE ? STORE_OK : STORE_EINTERNAL;
}

int store_doc_export(StoreDb *db, const StoreActor *a, bool include_hidden,
                     bool map_only, json_t **doc, StoreErr *err)
{
    *doc = NULL;
    json_t *root = NULL, *themes = json_array(), *items = json_array(),
           *links = json_array();
    VEC(long long) set = {0};
    int rc = themes && items && links ? STORE_OK : err_nomem(err);
    sqlite3_stmt *st =
        rc ? NULL
           : db_query(db, err,
                      "SELECT slug, name, description FROM workspaces WHERE"
                      " id = ?1",
                      "i", a->ws_id);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    if (st && db_step(db, st, err) == SQLITE_ROW)
        root =
            json_pack("{s:s, s:i, s:s, s:s, s:s}", "format", DOC_FORMAT,
                      "version", DOC_VERSION, "slug", col_text(st, 0), "name",
                      col_text(st, 1), "description", col_text(st, 2));
    db_done(db, st);
    if (rc == STORE_OK && !root)
        rc = err_missing(err, "workspace", a->ws_id);

    /* themes */
    st = rc ? NULL
            : db_query(db, err,
                       "SELECT id, name, color FROM themes WHERE ws_id = ?1"
                       " ORDER BY id",
                       "i", a->ws_id);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    int s = SQLITE_DONE;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW)
        json_array_append_new(
            themes, json_pack("{s:o, s:s, s:s}", "id",
                              id_json(sqlite3_column_int64(st, 0)), "name",
                              col_text(st, 1), "color", col_text(st, 2)));
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;

    /* the items exported, first as a set (merged_into and links must
     * point inside the document) */
    long long hid = include_hidden ? 1 : 0, only_open = map_only ? 1 : 0;
    st = rc ? NULL
            : db_query(db, err,
                       "SELECT id FROM items WHERE ws_id = ?1 AND"
                       " (hidden = 0 OR ?2) AND (status = 'open' OR ?3 = 0)"
                       " ORDER BY id",
                       "iii", a->ws_id, hid, only_open);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW)
        if (vec_push(&set, sqlite3_column_int64(st, 0)))
            rc = err_nomem(err);
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;

    st = rc ? NULL
            : db_query(db, err,
                       "SELECT i.id, i.title, i.body, i.theme_id, i.status,"
                       " i.merged_into, i.hidden, i.source_document,"
                       " i.source_quote,"
                       " (SELECT avg(importance) FROM ratings r WHERE"
                       "  r.item_id = i.id),"
                       " (SELECT avg(uncertainty) FROM ratings r WHERE"
                       "  r.item_id = i.id),"
                       " (SELECT count(*) FROM ratings r WHERE"
                       "  r.item_id = i.id)"
                       " FROM items i WHERE i.ws_id = ?1 AND"
                       " (i.hidden = 0 OR ?2) AND (i.status = 'open' OR"
                       " ?3 = 0) ORDER BY i.id",
                       "iii", a->ws_id, hid, only_open);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    while (st && rc == STORE_OK && (s = db_step(db, st, err)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        long long into = sqlite3_column_int64(st, 5);
        json_t *o = json_pack(
            "{s:o, s:s, s:s, s:o, s:s, s:o}", "id", id_json(id), "title",
            col_text(st, 1), "body", col_text(st, 2), "theme",
            sqlite3_column_type(st, 3) == SQLITE_NULL
                ? json_null()
                : id_json(sqlite3_column_int64(st, 3)),
            "status", col_text(st, 4), "merged_into",
            in_set(set.items, set.len, into) ? id_json(into) : json_null());
        if (!o) {
            rc = err_nomem(err);
            break;
        }
        if (sqlite3_column_int(st, 6))
            json_object_set_new(o, "hidden", json_true());
        if (sqlite3_column_type(st, 7) != SQLITE_NULL)
            json_object_set_new(o, "source",
                                json_pack("{s:s, s:s}", "document",
                                          col_text(st, 7), "quote",
                                          col_text(st, 8)));
        json_t *ev = json_array();
        if (!map_only)
            rc = export_evidence(db, id, ev, err);
        json_object_set_new(o, "evidence", ev);
        json_object_set_new(o, "importance", col_json(st, 9));
        json_object_set_new(o, "uncertainty", col_json(st, 10));
        json_object_set_new(o, "ratings",
                            json_integer(sqlite3_column_int64(st, 11)));
        json_array_append_new(items, o);
    }
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;

    st = rc ? NULL
            : db_query(db, err,
                       "SELECT from_id, to_id, polarity, delay, note, hidden"
                       " FROM links WHERE ws_id = ?1 AND deleted = 0 AND"
                       " (hidden = 0 OR ?2) ORDER BY id",
                       "ii", a->ws_id, hid);
    if (rc == STORE_OK && !st)
        rc = STORE_EINTERNAL;
    while (st && (s = db_step(db, st, err)) == SQLITE_ROW) {
        long long f = sqlite3_column_int64(st, 0),
                  t = sqlite3_column_int64(st, 1);
        if (!in_set(set.items, set.len, f) || !in_set(set.items, set.len, t))
            continue;
        json_t *o =
            json_pack("{s:o, s:o, s:s, s:b, s:s}", "from", id_json(f), "to",
                      id_json(t), "polarity", col_text(st, 2), "delay",
                      sqlite3_column_int(st, 3), "note", col_text(st, 4));
        if (o && sqlite3_column_int(st, 5))
            json_object_set_new(o, "hidden", json_true());
        json_array_append_new(links, o);
    }
    db_done(db, st);
    if (rc == STORE_OK && s != SQLITE_DONE)
        rc = STORE_EINTERNAL;
    json_t *framing = NULL; /* the scenario framing, framing.c */
    if (rc == STORE_OK && !map_only)
        rc = store_framing_doc_export(db, a, set.items, set.len, &framing, err);
    if (framing)
        json_object_set_new(root, "framing", framing);
    vec_free(&set);

    if (rc == STORE_OK) {
        json_object_set_new(root, "themes", themes);
        json_object_set_new(root, "items", items);
        json_object_set_new(root, "links", links);
        if (!map_only &&
            store_scenarios_doc_export(db, a, root, err) != STORE_OK) {
            json_decref(root);
            return STORE_EINTERNAL;
        }
        *doc = root;
        return STORE_OK;
    }
    json_decref(root);
    json_decref(themes);
    json_decref(items);
    json_decref(links);
    return rc;
}
