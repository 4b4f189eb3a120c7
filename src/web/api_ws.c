/*
 * api_ws.c - the API's workspaces: the caller's list, creating and
 * importing one, reading and editing it, one's own membership (display
 * name, digest), members and roles, invites, and meetings.
 */
#include "web_int.h"

#include <stdio.h>
#include <string.h>

/* Answers {workspace} as the actor sees it. */
static void answer_ws(WebCtx *c, const StoreActor *a, int status)
{
    StoreErr e = {0};
    json_t *ws = NULL;
    if (store_ws_get(c->db, a, &ws, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, status, json_pack("{s:o}", "workspace", ws));
}

/* Answers {workspace} for slug as the signed-in user sees it. */
static void answer_slug(WebCtx *c, const char *slug, int status)
{
    StoreActor a;
    StoreErr e = {0};
    if (store_actor(c->db, slug, c->uid, &a, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_ws(c, &a, status);
}

void web_ws_list(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    if (store_ws_list(c->db, c->uid, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "workspaces", list));
}

void web_ws_create(WebCtx *c)
{
    WebWsNew w;
    StoreErr e = {0};
    char slug[STORE_SLUG_MAX + 8];
    if (web_parse_ws_new(c->body, &w, &e) != STORE_OK ||
        store_ws_create(c->db, c->uid, w.name, w.slug, w.description, slug,
                        sizeof slug, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_slug(c, slug, 201);
}

void web_ws_import(WebCtx *c)
{
    StoreErr e = {0};
    StoreIssues is = {0};
    char slug[STORE_SLUG_MAX + 8];
    int rc = store_doc_import(c->db, c->req->body, c->req->body_len, c->uid,
                              false, NULL, slug, sizeof slug, &is, &e);
    if (rc == STORE_EINPUT && is.len > 0) {
        /* every problem, the first one as the error's field */
        json_t *problems = json_array();
        for (int i = 0; i < is.len; i++)
            json_array_append_new(
                problems, json_pack("{s:s, s:s}", "field", is.items[i].field,
                                    "message", is.items[i].message));
        int more = is.len - 1 + is.dropped;
        char msg[700];
        snprintf(msg, sizeof msg, "%.200s%s%.380s", is.items[0].field,
                 is.items[0].field[0] ? ": " : "", is.items[0].message);
        if (more > 0) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, " (and %d more problem%s)", more,
                     more == 1 ? "" : "s");
        }
        json_t *err = json_pack(
            "{s:{s:s, s:s, s:o, s:o}}", "error", "code", "bad_field", "message",
            msg, "field",
            is.items[0].field[0] ? json_string(is.items[0].field) : json_null(),
            "problems", problems);
        store_issues_free(&is);
        web_json(c, 400, err);
        return;
    }
    store_issues_free(&is);
    if (rc != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_slug(c, slug, 201);
}

void web_ws_get(WebCtx *c)
{
    answer_ws(c, &c->actor, 200);
}

void web_ws_edit(WebCtx *c)
{
    StoreWsEdit w;
    StoreErr e = {0};
    if (web_parse_ws_edit(c->body, &w, &e) != STORE_OK ||
        store_ws_edit(c->db, &c->actor, &w, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_ws(c, &c->actor, 200);
}

void web_ws_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (store_ws_delete(c->db, &c->actor, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    /* its id may be given to a new workspace */
    web_cache_forget(c->conf->cache, c->actor.ws_id);
    web_no_content(c);
}

void web_me_edit(WebCtx *c)
{
    const char *name = NULL, *digest = NULL;
    StoreErr e = {0};
    if (web_parse_me_edit(c->body, &name, &digest, &e) != STORE_OK ||
        store_me_edit(c->db, &c->actor, name, digest, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_ws(c, &c->actor, 200);
}

void web_members(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    if (store_members(c->db, &c->actor, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "members", list));
}

/* Answers 404 when the :id segment is not an id; true when it is. */
static bool have_id(WebCtx *c, const char *kind)
{
    if (c->m.id > 0)
        return true;
    web_error(c, 404, "not_found", NULL, "no such %s in this workspace", kind);
    return false;
}

void web_member_edit(WebCtx *c)
{
    int role = 0;
    StoreErr e = {0};
    json_t *m = NULL;
    if (!have_id(c, "member"))
        return;
    if (web_parse_role(c->body, false, &role, &e) != STORE_OK ||
        store_member_role(c->db, &c->actor, c->m.id, role, &m, &e) !=
            STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "member", m));
}

void web_member_remove(WebCtx *c)
{
    StoreErr e = {0};
    if (!have_id(c, "member"))
        return;
    if (store_member_remove(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}

void web_invite_make(WebCtx *c)
{
    int role = 0;
    StoreErr e = {0};
    char token[WEB_TOKEN_LEN], hash[WEB_HASH_LEN];
    if (web_parse_role(c->body, true, &role, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_token_new(token);
    web_token_hash(token, hash);
    if (store_invite_add(c->db, &c->actor, role, hash, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    char url[WEB_TOKEN_LEN + 16];
    snprintf(url, sizeof url, "/#/join/%s", token);
    web_json(c, 201,
             json_pack("{s:s, s:s, s:s}", "token", token, "url", url, "role",
                       store_role_name(role)));
}

void web_invite_accept(WebCtx *c)
{
    StoreErr e = {0};
    char hash[WEB_HASH_LEN], slug[STORE_SLUG_MAX + 8];
    if (!c->m.token[0]) {
        web_error(c, 404, "not_found", NULL,
                  "no such invite (it may have expired)");
        return;
    }
    web_token_hash(c->m.token, hash);
    if (store_invite_accept(c->db, hash, c->uid, slug, sizeof slug, &e) !=
        STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    answer_slug(c, slug, 200);
}

void web_meeting_end(WebCtx *c)
{
    const char *note = NULL;
    StoreErr e = {0};
    json_t *m = NULL;
    if (web_parse_note(c->body, "note", STORE_NOTE_MAX, &note, &e) !=
            STORE_OK ||
        store_meeting_end(c->db, &c->actor, note, &m, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 201, json_pack("{s:o}", "meeting", m));
}
