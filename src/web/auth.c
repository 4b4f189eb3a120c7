/*
 * auth.c - accounts, sessions and CSRF. Passwords are hashed with
 * argon2id (libsodium's crypto_pwhash_str, interactive limits); session
 * tokens are 256 random bits, sent once in an HttpOnly cookie and stored
 * only as a hash. CSRF is a double submit: the X-CSRF-Token header must
 * equal the territory_csrf cookie and, when signed in, the session's own
 * token; an Origin that is not the Host is refused the same way.
 */
#include "web_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SESSION_COOKIE "territory_session"
#define CSRF_COOKIE "territory_csrf"

void web_token_new(char out[WEB_TOKEN_LEN])
{
    unsigned char raw[WEB_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, WEB_TOKEN_LEN, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void web_token_hash(const char *token, char out[WEB_HASH_LEN])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token),
                       NULL, 0);
    sodium_bin2hex(out, WEB_HASH_LEN, h, sizeof h);
}

/* Whether s looks like one of our tokens (base64url of 32 bytes). */
static bool token_ok(const char *s)
{
    return s && strlen(s) == WEB_TOKEN_LEN - 1 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") == WEB_TOKEN_LEN - 1;
}

/* Constant-time equality of two strings. */
static bool same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

void web_session_load(WebCtx *c)
{
    c->uid = 0;
    c->csrf[0] = c->session[0] = '\0';
    const char *tok = web_arg(c, WEB_COOKIE, SESSION_COOKIE);
    if (!token_ok(tok))
        return;
    char hash[WEB_HASH_LEN];
    web_token_hash(tok, hash);
    StoreErr e = {0};
    long long uid = 0;
    if (store_session_find(c->db, hash, &uid, c->csrf, sizeof c->csrf, &e) ==
        STORE_OK) {
        c->uid = uid;
        snprintf(c->session, sizeof c->session, "%s", hash);
    } else {
        c->csrf[0] = '\0';
    }
}

/* Whether the Origin header, when there is one, names the Host. */
static bool origin_ok(const WebCtx *c)
{
    const char *origin = web_arg(c, WEB_HEADER, "Origin");
    if (!origin)
        return true;
    const char *host = web_arg(c, WEB_HEADER, "Host");
    if (!host || !host[0])
        return false;
    const char *rest = !strncmp(origin, "http://", 7)    ? origin + 7
                       : !strncmp(origin, "https://", 8) ? origin + 8
                                                         : NULL;
    return rest && !strcmp(rest, host);
}

bool web_csrf_ok(WebCtx *c)
{
    if (!origin_ok(c))
        return false;
    const char *hdr = web_arg(c, WEB_HEADER, "X-CSRF-Token");
    const char *cookie = web_arg(c, WEB_COOKIE, CSRF_COOKIE);
    if (!hdr || !cookie || !hdr[0] || !same(hdr, cookie))
        return false;
    return !c->uid || same(hdr, c->csrf);
}

/* Starts a session for uid: cookies and {user, csrf_token}. */
static void start_session(WebCtx *c, long long uid, int status)
{
    char token[WEB_TOKEN_LEN], csrf[WEB_TOKEN_LEN], hash[WEB_HASH_LEN];
    web_token_new(token);
    web_token_new(csrf);
    web_token_hash(token, hash);
    StoreErr e = {0};
    json_t *user = NULL;
    if (c->session[0])
        store_session_delete(c->db, c->session, &e); /* the one replaced */
    if (store_session_add(c->db, hash, uid, csrf, &e) != STORE_OK ||
        store_user_get(c->db, uid, &user, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_cookie(c, SESSION_COOKIE, token, true, "Lax", STORE_SESSION_SECONDS);
    web_cookie(c, CSRF_COOKIE, csrf, false, "Strict", -1);
    web_json(c, status,
             json_pack("{s:o, s:s}", "user", user, "csrf_token", csrf));
    sodium_memzero(token, sizeof token);
}

void web_signup(WebCtx *c)
{
    WebSignup s;
    StoreErr e = {0};
    if (web_parse_signup(c->body, true, &s, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, s.password, strlen(s.password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        web_error(c, 500, "internal", NULL,
                  "out of memory hashing the password");
        return;
    }
    long long uid = 0;
    if (store_user_add(c->db, s.email, hash, s.display_name, &uid, &e) !=
        STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    start_session(c, uid, 201);
}

void web_signin(WebCtx *c)
{
    WebSignup s;
    StoreErr e = {0};
    if (web_parse_signup(c->body, false, &s, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    char hash[crypto_pwhash_STRBYTES + 8];
    long long uid = 0;
    int rc = store_user_by_email(c->db, s.email, &uid, hash, sizeof hash, &e);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
        web_store_error(c, &e);
        return;
    }
    /* an unknown address costs the same time as a wrong password */
    const char *h = rc == STORE_OK ? hash : c->conf->dummy_hash;
    bool ok = crypto_pwhash_str_verify(h, s.password, strlen(s.password)) == 0;
    if (rc != STORE_OK || !ok) {
        web_error(c, 401, "unauthenticated", NULL,
                  "wrong e-mail address or password");
        return;
    }
    start_session(c, uid, 200);
}

void web_signout(WebCtx *c)
{
    StoreErr e = {0};
    if (c->session[0] &&
        store_session_delete(c->db, c->session, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_cookie(c, SESSION_COOKIE, "", true, "Lax", 0);
    web_no_content(c);
}

void web_me(WebCtx *c)
{
    const char *cookie = web_arg(c, WEB_COOKIE, CSRF_COOKIE);
    if (!c->uid) {
        char tok[WEB_TOKEN_LEN];
        if (token_ok(cookie)) {
            snprintf(tok, sizeof tok, "%s", cookie);
        } else {
            web_token_new(tok);
            web_cookie(c, CSRF_COOKIE, tok, false, "Strict", -1);
        }
        web_json(c, 401,
                 json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "code",
                           "unauthenticated", "message", "not signed in",
                           "field", "csrf_token", tok));
        return;
    }
    StoreErr e = {0};
    json_t *user = NULL, *ws = NULL;
    if (store_user_get(c->db, c->uid, &user, &e) != STORE_OK ||
        store_ws_list(c->db, c->uid, &ws, &e) != STORE_OK) {
        json_decref(user);
        web_store_error(c, &e);
        return;
    }
    if (!cookie || strcmp(cookie, c->csrf))
        web_cookie(c, CSRF_COOKIE, c->csrf, false, "Strict", -1);
    web_json(c, 200,
             json_pack("{s:o, s:s, s:o}", "user", user, "csrf_token", c->csrf,
                       "workspaces", ws));
}
