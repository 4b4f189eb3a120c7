/*
 * body.c - request bodies and query arguments: JSON parsed with jansson
 * (a malformed body is reported with its line and column), then each
 * request's fields checked for type, range and length and turned into
 * the store's typed requests. Nothing here touches the database, so the
 * fuzz target runs every parser on arbitrary input.
 */
#include "web_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int web_field_err(StoreErr *e, const char *code, const char *field,
                  const char *fmt, ...)
{
    int rc = strcmp(code, "internal") ? STORE_EINPUT : STORE_EINTERNAL;
    if (!e)
        return rc;
    e->rc = rc;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return rc;
}

static int missing(StoreErr *e, const char *key)
{
    return web_field_err(e, "missing_field", key, "missing '%s'", key);
}

/* ---- the JSON ---------------------------------------------------------- */

int web_parse_body(const char *text, size_t len, bool optional, json_t **out,
                   StoreErr *e)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len) {
        if (optional) {
            *out = json_object();
            return *out ? STORE_OK
                        : web_field_err(e, "internal", NULL, "out of memory");
        }
        return web_field_err(e, "bad_json", NULL,
                             "the request needs a JSON object as its body");
    }
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j)
        return web_field_err(e, "bad_json", NULL,
                             "malformed JSON at line %d, column %d: %s",
                             je.line, je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return web_field_err(e, "bad_json", NULL,
                             "the body must be a JSON object");
    }
    *out = j;
    return STORE_OK;
}

/* ---- fields ----------------------------------------------------------- */

/* A text field of min..max characters: *out NULL when absent (and not
 * required); null counts as absent when nullable. */
static int text_field(json_t *b, const char *key, bool required, bool nullable,
                      int min, int max, const char **out, StoreErr *e)
{
    *out = NULL;
    json_t *v = json_object_get(b, key);
    if (!v || (nullable && json_is_null(v)))
        return required ? missing(e, key) : STORE_OK;
    if (!json_is_string(v))
        return web_field_err(e, "bad_field", key, "'%s' must be a string", key);
    const char *s = json_string_value(v);
    if (!store_text_ok(s, min, max)) {
        if (min > 0)
            return web_field_err(e, "bad_field", key,
                                 "'%s' must be %d to %d characters", key, min,
                                 max);
        return web_field_err(e, "bad_field", key,
                             "'%s' must be at most %d characters", key, max);
    }
    *out = s;
    return STORE_OK;
}

/* An integer field in [lo, hi]. */
static int int_field(json_t *b, const char *key, bool required, long long lo,
                     long long hi, bool *present, long long *out, StoreErr *e)
{
    json_t *v = json_object_get(b, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return required ? missing(e, key) : STORE_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo ||
        json_integer_value(v) > hi)
        return web_field_err(e, "bad_field", key,
                             "'%s' must be a whole number from %lld to %lld",
                             key, lo, hi);
    *out = json_integer_value(v);
    return STORE_OK;
}

/* A true/false field: -1 when absent. */
static int bool_field(json_t *b, const char *key, int *out, StoreErr *e)
{
    json_t *v = json_object_get(b, key);
    *out = -1;
    if (!v)
        return STORE_OK;
    if (!json_is_boolean(v))
        return web_field_err(e, "bad_field", key, "'%s' must be true or false",
                             key);
    *out = json_is_true(v);
    return STORE_OK;
}

int web_parse_id(json_t *b, const char *key, bool nullable, long long *id,
                 StoreErr *e)
{
    json_t *v = json_object_get(b, key);
    *id = 0;
    if (!v)
        return missing(e, key);
    if (nullable && json_is_null(v))
        return STORE_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return web_field_err(e, "bad_field", key,
                             nullable ? "'%s' must be an id (a positive whole "
                                        "number) or null"
                                      : "'%s' must be an id (a positive whole "
                                        "number)",
                             key);
    *id = json_integer_value(v);
    return STORE_OK;
}

/* ---- requests --------------------------------------------------------- */

int web_parse_signup(json_t *b, bool signup, WebSignup *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc =
        text_field(b, "email", true, false, 3, STORE_EMAIL_MAX, &out->email, e);
    if (rc == STORE_OK && signup &&
        (!strchr(out->email, '@') || strpbrk(out->email, " \t\r\n<>,;") ||
         strlen(out->email) > STORE_EMAIL_MAX))
        rc = web_field_err(e, "bad_field", "email",
                           "'email' must be an e-mail address");
    if (rc == STORE_OK) {
        json_t *v = json_object_get(b, "password");
        if (!v)
            rc = missing(e, "password");
        else if (!json_is_string(v))
            rc = web_field_err(e, "bad_field", "password",
                               "'password' must be a string");
        else if (signup && !store_text_ok(json_string_value(v), 8, 1024))
            rc = web_field_err(e, "bad_field", "password",
                               "'password' must be 8 to 1024 characters");
        else
            out->password = json_string_value(v);
    }
    if (rc == STORE_OK && signup)
        rc = text_field(b, "display_name", true, false, 1, STORE_DISPLAY_MAX,
                        &out->display_name, e);
    return rc;
}

int web_parse_ws_new(json_t *b, WebWsNew *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc =
        text_field(b, "name", true, false, 1, STORE_NAME_MAX, &out->name, e);
    if (rc == STORE_OK)
        rc = text_field(b, "slug", false, true, 1, STORE_SLUG_MAX, &out->slug,
                        e);
    if (rc == STORE_OK && out->slug && !store_slug_ok(out->slug))
        rc = web_field_err(e, "bad_field", "slug",
                           "'slug' must be 1 to %d of a-z, 0-9 and '-', not "
                           "starting or ending with '-'",
                           STORE_SLUG_MAX);
    if (rc == STORE_OK)
        rc = text_field(b, "description", false, true, 0, STORE_DESC_MAX,
                        &out->description, e);
    return rc;
}

int web_parse_ws_edit(json_t *b, StoreWsEdit *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc =
        text_field(b, "name", false, false, 1, STORE_NAME_MAX, &out->name, e);
    if (rc == STORE_OK)
        rc = text_field(b, "description", false, false, 0, STORE_DESC_MAX,
                        &out->description, e);
    if (rc == STORE_OK)
        rc = bool_field(b, "locked", &out->locked, e);
    return rc;
}

int web_parse_me_edit(json_t *b, const char **display_name, const char **digest,
                      StoreErr *e)
{
    int rc = text_field(b, "display_name", false, false, 1, STORE_DISPLAY_MAX,
                        display_name, e);
    if (rc == STORE_OK)
        rc = text_field(b, "digest", false, false, 1, 16, digest, e);
    if (rc == STORE_OK && *digest && strcmp(*digest, "none") &&
        strcmp(*digest, "meeting") && strcmp(*digest, "daily") &&
        strcmp(*digest, "weekly"))
        rc = web_field_err(e, "bad_field", "digest",
                           "'digest' must be none, meeting, daily or weekly");
    return rc;
}

int web_parse_role(json_t *b, bool invite, int *role, StoreErr *e)
{
    const char *s = NULL;
    int rc = text_field(b, "role", true, false, 1, 32, &s, e);
    if (rc != STORE_OK)
        return rc;
    *role = store_role_parse(s);
    if (!*role)
        return web_field_err(
            e, "bad_field", "role",
            "'role' must be viewer, contributor, facilitator%s",
            invite ? "" : " or owner");
    if (invite && *role > STORE_FACILITATOR)
        return web_field_err(
            e, "bad_field", "role",
            "invites are for viewers, contributors and "
            "facilitators: make an owner from the members list");
    return STORE_OK;
}

int web_parse_item(json_t *b, bool create, StoreItemEdit *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc = text_field(b, "title", create, false, 1, STORE_TITLE_MAX,
                        &out->title, e);
    if (rc == STORE_OK)
        rc = text_field(b, "body", false, create, 0, STORE_BODY_MAX, &out->body,
                        e);
    if (rc == STORE_OK && json_object_get(b, "theme_id")) {
        out->set_theme = true;
        rc = web_parse_id(b, "theme_id", true, &out->theme_id, e);
    }
    return rc;
}

int web_parse_rating(json_t *b, int *importance, int *uncertainty, StoreErr *e)
{
    long long i = 0, u = 0;
    int rc = int_field(b, "importance", true, 1, 5, NULL, &i, e);
    if (rc == STORE_OK)
        rc = int_field(b, "uncertainty", true, 1, 5, NULL, &u, e);
    *importance = (int)i;
    *uncertainty = (int)u;
    return rc;
}

int web_parse_evidence(json_t *b, StoreEvidence *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc = text_field(b, "kind", true, false, 1, 16, &out->kind, e);
    if (rc == STORE_OK && strcmp(out->kind, "story") &&
        strcmp(out->kind, "quote") && strcmp(out->kind, "figure"))
        rc = web_field_err(e, "bad_field", "kind",
                           "'kind' must be story, quote or figure");
    if (rc == STORE_OK)
        rc = text_field(b, "text", true, false, 1, STORE_EVIDENCE_MAX,
                        &out->text, e);
    if (rc == STORE_OK)
        rc = text_field(b, "source", false, true, 1, STORE_SOURCE_MAX,
                        &out->source, e);
    json_t *v = json_object_get(b, "value");
    if (rc == STORE_OK && v && !json_is_null(v)) {
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            rc = web_field_err(e, "bad_field", "value",
                               "'value' must be a number");
        out->has_value = true;
        out->value = json_number_value(v);
    }
    if (rc == STORE_OK && !strcmp(out->kind, "figure")) {
        if (!out->has_value)
            rc = web_field_err(e, "missing_field", "value",
                               "a figure needs a 'value'");
        else if (!out->source)
            rc = web_field_err(e, "missing_field", "source",
                               "a figure needs a 'source'");
    }
    return rc;
}

int web_parse_theme(json_t *b, bool create, WebTheme *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    int rc =
        text_field(b, "name", create, false, 1, STORE_THEME_MAX, &out->name, e);
    if (rc == STORE_OK)
        rc = text_field(b, "color", false, create, 7, 7, &out->color, e);
    if (rc == STORE_OK && out->color && !store_color_ok(out->color))
        rc = web_field_err(e, "bad_field", "color",
                           "'color' must be a colour written #rrggbb");
    json_t *items = json_object_get(b, "items");
    if (rc != STORE_OK || !create || !items || json_is_null(items))
        return rc;
    if (!json_is_array(items) || json_array_size(items) > 100000)
        return web_field_err(e, "bad_field", "items",
                             "'items' must be a list of item ids");
    size_t n = json_array_size(items);
    out->items = malloc(sizeof *out->items * (n + 1));
    if (!out->items)
        return web_field_err(e, "internal", NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(items, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            char field[32];
            snprintf(field, sizeof field, "items[%zu]", i);
            free(out->items);
            out->items = NULL;
            return web_field_err(e, "bad_field", field,
                                 "'%s' must be an item id", field);
        }
        out->items[i] = json_integer_value(v);
    }
    out->nitems = (int)n;
    return STORE_OK;
}

/* "+" or "-" (a typographic minus is taken as "-"). */
static int polarity(json_t *b, bool required, const char **out, StoreErr *e)
{
    json_t *v = json_object_get(b, "polarity");
    *out = NULL;
    if (!v)
        return required ? missing(e, "polarity") : STORE_OK;
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "+"))
        *out = "+";
    else if (s && (!strcmp(s, "-") || !strcmp(s, "\xE2\x88\x92")))
        *out = "-";
    else
        return web_field_err(e, "bad_field", "polarity",
                             "'polarity' must be \"+\" or \"-\"");
    return STORE_OK;
}

int web_parse_link(json_t *b, bool create, StoreLinkEdit *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    out->delay = -1;
    int rc = STORE_OK;
    if (create) {
        rc = web_parse_id(b, "from", false, &out->from, e);
        if (rc == STORE_OK)
            rc = web_parse_id(b, "to", false, &out->to, e);
    }
    if (rc == STORE_OK)
        rc = polarity(b, create, &out->polarity, e);
    if (rc == STORE_OK)
        rc = bool_field(b, "delay", &out->delay, e);
    if (rc == STORE_OK)
        rc = text_field(b, "note", false, create, 0, STORE_NOTE_MAX, &out->note,
                        e);
    return rc;
}

int web_parse_note(json_t *b, const char *key, int max, const char **out,
                   StoreErr *e)
{
    return text_field(b, key, false, true, 0, max, out, e);
}

int web_parse_k(json_t *b, int *k, StoreErr *e)
{
    long long v = 0;
    json_t *j = json_object_get(b, "k");
    *k = 0;
    if (!j || json_is_null(j))
        return STORE_OK;
    int rc = int_field(b, "k", false, 0, 50, NULL, &v, e);
    *k = (int)v;
    return rc;
}

/* ---- query arguments -------------------------------------------------- */

int web_parse_count(const char *s, const char *name, long long lo, long long hi,
                    long long dflt, long long *out, StoreErr *e)
{
    *out = dflt;
    if (!s)
        return STORE_OK;
    long v = 0;
    if (!str_to_int(s, (long)lo, (long)hi, &v))
        return web_field_err(e, "bad_field", name,
                             "'%s' must be a whole number from %lld to %lld",
                             name, lo, hi);
    *out = v;
    return STORE_OK;
}

int web_parse_items_query(const char *theme, const char *sort,
                          const char *status, const char *q, const char *hidden,
                          StoreItemQuery *out, StoreErr *e)
{
    static const char *const sorts[] = {"recent", "oldest", "title",
                                        "importance", "uncertainty"};
    static const char *const statuses[] = {"open", "merged", "all"};
    memset(out, 0, sizeof *out);
    if (theme && !strcmp(theme, "none")) {
        out->theme = -1;
    } else if (theme) {
        long long v;
        int rc =
            web_parse_count(theme, "theme", 1, 999999999999999999LL, 0, &v, e);
        if (rc != STORE_OK)
            return web_field_err(e, "bad_field", "theme",
                                 "'theme' must be a theme id or none");
        out->theme = v;
    }
    if (sort) {
        out->sort = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(sort, sorts[i]))
                out->sort = i;
        if (out->sort < 0)
            return web_field_err(e, "bad_field", "sort",
                                 "'sort' must be recent, oldest, title, "
                                 "importance or uncertainty");
    }
    if (status) {
        out->status = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(status, statuses[i]))
                out->status = i;
        if (out->status < 0)
            return web_field_err(e, "bad_field", "status",
                                 "'status' must be open, merged or all");
    }
    if (q && !store_text_ok(q, 0, 1000))
        return web_field_err(e, "bad_field", "q",
                             "'q' must be at most 1000 characters of text");
    out->q = q;
    out->hidden = hidden && !strcmp(hidden, "1");
    return STORE_OK;
}
