/*
 * static.c - the browser app's files, served from the table compiled into
 * the binary (web_assets[], from web/assets.txt): exact paths only, so no
 * request can reach the file system; `/` is the app's index.html. Each
 * file has a strong ETag, and If-None-Match gets a 304. Also the headers
 * every answer carries: a Content-Security-Policy that allows no inline
 * script, nosniff, and a same-origin referrer policy.
 */
#include "web_int.h"

#include <string.h>

#include "web/assets.h"

void web_common_headers(WebResp *resp)
{
    web_header(resp, "Content-Security-Policy",
               "default-src 'self'; img-src 'self' data: blob:; "
               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
               "form-action 'self'");
    web_header(resp, "X-Content-Type-Options", "nosniff");
    web_header(resp, "Referrer-Policy", "same-origin");
    web_header(resp, "X-Frame-Options", "DENY");
}

bool web_etag_matches(const char *list, const char *etag)
{
    if (!list)
        return false;
    if (!strcmp(list, "*"))
        return true;
    size_t n = strlen(etag);
    for (const char *p = list; (p = strstr(p, etag)) != NULL; p += n) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return true;
    }
    return false;
}

void web_static(const WebReq *req, WebResp *resp)
{
    const WebAsset *a = web_asset_find(req->path);
    if (!a && !strcmp(req->path, "/"))
        a = web_asset_find("/index.html");
    if (!a) {
        resp->status = 404;
        resp->ctype = "text/plain; charset=utf-8";
        tbuf_puts(&resp->body, "not found\n");
        return;
    }
    web_header(resp, "ETag", "%s", a->etag);
    web_header(resp, "Cache-Control", "no-cache");
    const char *inm =
        req->lookup ? req->lookup(req->lookup_ctx, WEB_HEADER, "If-None-Match")
                    : NULL;
    if (web_etag_matches(inm, a->etag)) {
        resp->status = 304;
        resp->ctype = NULL;
        return;
    }
    resp->status = 200;
    resp->ctype = a->mime;
    tbuf_append(&resp->body, (const char *)a->data, a->len);
}
