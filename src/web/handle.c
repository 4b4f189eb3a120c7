/*
 * handle.c - the dispatcher and the answers: every request goes through
 * web_handle in this order, so that what the contract says comes first
 * does: the CSRF check of a write (before anything else is looked at),
 * the route (404, 405), the body's size (413), the session (401), the
 * membership (404 for a non-member, exactly as for a workspace that does
 * not exist) and the role (403), the body's JSON (400), then the handler.
 * Also the helpers that make answers: JSON, errors, cookies.
 */
#include "web_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void web_resp_free(WebResp *r)
{
    tbuf_free(&r->body);
    web_shared_release(r->shared);
    r->shared = NULL;
    for (int i = 0; i < r->nheaders; i++)
        free(r->headers[i].value);
    r->nheaders = 0;
}

void web_header(WebResp *r, const char *name, const char *fmt, ...)
{
    if (r->nheaders >= WEB_HEADERS_MAX)
        return;
    TBuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = tbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc != T_OK) {
        tbuf_free(&b);
        return;
    }
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = (char *)tbuf_cstr(&b);
    r->nheaders++;
}

void web_header_set(WebResp *r, const char *name, const char *fmt, ...)
{
    TBuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = tbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc != T_OK) {
        tbuf_free(&b);
        return;
    }
    for (int i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name)) {
            free(r->headers[i].value);
            r->headers[i].value = (char *)tbuf_cstr(&b);
            return;
        }
    if (r->nheaders >= WEB_HEADERS_MAX) {
        tbuf_free(&b);
        return;
    }
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = (char *)tbuf_cstr(&b);
    r->nheaders++;
}

const char *web_arg(const WebCtx *c, int kind, const char *key)
{
    return c->req->lookup ? c->req->lookup(c->req->lookup_ctx, kind, key)
                          : NULL;
}

/* A JSON string of s with any invalid UTF-8 replaced, so that a message
 * quoting what a client sent is always valid JSON. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    TBuf b = {0};
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = str_utf8_decode(s + i, n - i, &cp);
        char enc[4];
        tbuf_append(&b, enc, (size_t)str_utf8_encode(cp, enc));
        i += (size_t)k;
    }
    j = json_string(tbuf_cstr(&b));
    tbuf_free(&b);
    return j ? j : json_string("?");
}

void web_json(WebCtx *c, int status, json_t *j)
{
    WebResp *r = c->resp;
    r->body.len = 0;
    web_shared_release(r->shared);
    r->shared = NULL;
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        r->status = 500;
        r->ctype = "application/json";
        tbuf_puts(&r->body, "{\"error\":{\"code\":\"internal\",\"message\":"
                            "\"out of memory\",\"field\":null}}");
        return;
    }
    r->status = status;
    r->ctype = "application/json";
    tbuf_puts(&r->body, text);
    free(text);
}

void web_no_content(WebCtx *c)
{
    c->resp->status = 204;
    c->resp->ctype = NULL;
    c->resp->body.len = 0;
}

/* The error object, for web_error and for answers that add to it. */
static json_t *error_json(const char *code, const char *field, const char *msg)
{
    return json_pack("{s:{s:s, s:o, s:o}}", "error", "code", code, "message",
                     safe_string(msg), "field",
                     field && field[0] ? safe_string(field) : json_null());
}

void web_error(WebCtx *c, int status, const char *code, const char *field,
               const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    web_json(c, status, error_json(code, field, msg));
}

int web_status_of(int rc)
{
    switch (rc) {
    case STORE_OK:
        return 200;
    case STORE_EINPUT:
        return 400;
    case STORE_ENOTFOUND:
        return 404;
    case STORE_ECONFLICT:
    case STORE_ELOCKED:
        return 409;
    case STORE_EFORBIDDEN:
        return 403;
    case STORE_EAUTH:
        return 401;
    default:
        return 500;
    }
}

void web_store_error(WebCtx *c, const StoreErr *e)
{
    int status = web_status_of(e->rc);
    const char *code = e->code[0] ? e->code : "internal";
    if (status == 500) {
        /* the details are the server's, not the client's business */
        web_error(c, 500, "internal", NULL,
                  "the server failed; try again in a moment");
        return;
    }
    web_error(c, status, code, e->field, "%s", e->message);
}

void web_cookie(WebCtx *c, const char *name, const char *value, bool http_only,
                const char *same_site, long max_age)
{
    const char *proto = web_arg(c, WEB_HEADER, "X-Forwarded-Proto");
    bool secure = c->conf->secure_cookies || (proto && !strcmp(proto, "https"));
    char age[48] = "";
    if (max_age >= 0)
        snprintf(age, sizeof age, "; Max-Age=%ld", max_age);
    web_header(c->resp, "Set-Cookie", "%s=%s; Path=/; SameSite=%s%s%s%s", name,
               value, same_site, http_only ? "; HttpOnly" : "",
               secure ? "; Secure" : "", age);
}

/* ---- the dispatcher --------------------------------------------------- */

static const char *role_article(int role)
{
    return role == STORE_OWNER         ? "an owner"
           : role == STORE_FACILITATOR ? "a facilitator"
           : role == STORE_CONTRIBUTOR ? "a contributor"
                                       : "a viewer";
}

/* Resolves the workspace of a /api/w/:slug route and checks the role. */
static bool load_actor(WebCtx *c)
{
    StoreErr e = {0};
    int rc;
    if (c->route->flags & WEB_R_FEED) {
        const char *tok = web_arg(c, WEB_QUERY, "token");
        rc = store_actor_by_feed(c->db, c->m.slug, tok ? tok : "", &c->actor,
                                 &e);
    } else {
        rc = store_actor(c->db, c->m.slug, c->uid, &c->actor, &e);
    }
    if (rc != STORE_OK) {
        web_store_error(c, &e);
        return false;
    }
    if (c->actor.role < c->route->min_role) {
        web_error(c, 403, "forbidden", NULL,
                  "this needs %s of the workspace; you are %s",
                  role_article(c->route->min_role),
                  role_article(c->actor.role));
        return false;
    }
    return true;
}

/* snap: a read transaction is open on db (web_handle), ended here before
 * a grouped write's handler, which writes on the group's connection. */
static void dispatch(const WebConf *conf, StoreDb *db, const WebReq *req,
                     WebResp *resp, bool *snap)
{
    WebCtx c = {.conf = conf, .db = db, .req = req, .resp = resp};
    web_common_headers(resp);
    bool write = strcmp(req->method, "GET") != 0;
    bool api = !strncmp(req->path, "/api/", 5) || !strcmp(req->path, "/api");
    if (api)
        web_header(resp, "Cache-Control", "no-store");
    if (api || write)
        web_session_load(&c);
    if (write && !web_csrf_ok(&c)) {
        web_error(&c, 403, "csrf", NULL,
                  "missing or wrong CSRF token: send the X-CSRF-Token "
                  "header with the territory_csrf cookie's value");
        return;
    }
    if (!api) {
        if (write) {
            web_header(resp, "Allow", "GET, HEAD");
            web_error(&c, 405, "method", NULL, "%s is not allowed here",
                      req->method);
            return;
        }
        web_static(req, resp);
        return;
    }
    char allow[64];
    int found =
        web_route(req->method, req->path, &c.route, &c.m, allow, sizeof allow);
    if (found == 404) {
        web_error(&c, 404, "not_found", NULL, "no such endpoint");
        return;
    }
    if (found == 405) {
        web_header(resp, "Allow", "%s", allow);
        web_error(&c, 405, "method", NULL, "%s is not allowed here (only %s)",
                  req->method, allow);
        return;
    }
    if (req->too_large) {
        web_error(&c, 413, "too_large", NULL,
                  "the request body is over %zu bytes", WEB_BODY_MAX);
        return;
    }
    if ((c.route->flags & WEB_R_AUTH) && !c.uid) {
        web_error(&c, 401, "unauthenticated", NULL, "sign in first");
        return;
    }
    if (c.route->min_role && !load_actor(&c))
        return;
    if (c.route->flags & (WEB_R_BODY | WEB_R_OPTBODY)) {
        StoreErr e = {0};
        if (web_parse_body(req->body ? req->body : "", req->body_len,
                           (c.route->flags & WEB_R_OPTBODY) != 0, &c.body,
                           &e) != STORE_OK) {
            web_store_error(&c, &e);
            return;
        }
    }
    if ((c.route->flags & WEB_R_GROUP) && conf->group) {
        if (*snap)
            store_read_end(db);
        *snap = false;
        web_group_run(conf->group, &c);
    } else {
        c.route->fn(&c);
    }
    tbuf_free(&c.after_text);
    json_decref(c.body);
}

void web_handle(const WebConf *conf, StoreDb *db, const WebReq *req,
                WebResp *resp)
{
    /* a read-only GET (WEB_R_SNAPSHOT) reads in one transaction: the WAL
     * read lock is taken once for the session, the membership and the
     * handler, not once per query; so do a grouped write's session and
     * membership (up to its handler) */
    bool snap = false;
    const WebRoute *r = NULL;
    WebMatch m;
    if (!strncmp(req->path, "/api/", 5) &&
        web_route(req->method, req->path, &r, &m, NULL, 0) == 0 &&
        ((r->flags & WEB_R_SNAPSHOT) ||
         ((r->flags & WEB_R_GROUP) && conf->group))) {
        StoreErr e = {0};
        snap = store_read_begin(db, &e) == STORE_OK;
    }
    dispatch(conf, db, req, resp, &snap);
    if (snap)
        store_read_end(db);
}
