/*
 * fuzz_request.c - libFuzzer target for what the server does with a
 * request before it reaches the database: URL routing and the parsing
 * and checking of request bodies and query arguments (src/web/router.c,
 * src/web/body.c). The input is "METHOD PATH?QUERY\nBODY": the method and
 * path go through web_route, the query's values through the query
 * parsers, and the body through web_parse_body and then every request
 * parser of the API, so each field check sees arbitrary JSON.
 *
 * Ownership: everything made for one input is freed before the function
 * returns.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits the query "a=1&b=2" and hands each value to the parsers. */
static void query(char *q)
{
    const char *theme = NULL, *sort = NULL, *status = NULL, *text = NULL,
               *hidden = NULL, *num = NULL;
    for (char *p = q; p && *p;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        const char *v = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        if (!strcmp(p, "theme"))
            theme = v;
        else if (!strcmp(p, "sort"))
            sort = v;
        else if (!strcmp(p, "status"))
            status = v;
        else if (!strcmp(p, "q"))
            text = v;
        else if (!strcmp(p, "hidden"))
            hidden = v;
        else
            num = v;
        p = amp ? amp + 1 : NULL;
    }
    StoreItemQuery iq;
    StoreErr e = {0};
    web_parse_items_query(theme, sort, status, text, hidden, &iq, &e);
    long long n;
    web_parse_count(num, "max", 0, 10000, 200, &n, &e);
    web_parse_count(num, "before", 1, 999999999999999999LL, 0, &n, &e);
}

/* Every request parser on one JSON object. */
static void bodies(json_t *b)
{
    StoreErr e = {0};
    WebSignup su;
    web_parse_signup(b, true, &su, &e);
    web_parse_signup(b, false, &su, &e);
    WebWsNew wn;
    web_parse_ws_new(b, &wn, &e);
    StoreWsEdit we;
    web_parse_ws_edit(b, &we, &e);
    const char *s1 = NULL, *s2 = NULL;
    web_parse_me_edit(b, &s1, &s2, &e);
    int role = 0, imp = 0, unc = 0, k = 0;
    web_parse_role(b, true, &role, &e);
    web_parse_role(b, false, &role, &e);
    StoreItemEdit ie;
    web_parse_item(b, true, &ie, &e);
    web_parse_item(b, false, &ie, &e);
    long long id = 0;
    web_parse_id(b, "into", false, &id, &e);
    web_parse_id(b, "theme_id", true, &id, &e);
    web_parse_id(b, "event_id", false, &id, &e);
    web_parse_rating(b, &imp, &unc, &e);
    StoreEvidence ev;
    web_parse_evidence(b, &ev, &e);
    WebTheme th;
    if (web_parse_theme(b, true, &th, &e) == STORE_OK)
        free(th.items);
    if (web_parse_theme(b, false, &th, &e) == STORE_OK)
        free(th.items);
    StoreLinkEdit le;
    web_parse_link(b, true, &le, &e);
    web_parse_link(b, false, &le, &e);
    web_parse_note(b, "note", STORE_NOTE_MAX, &s1, &e);
    web_parse_k(b, &k, &e);
    StoreFramingAxis axes[2];
    web_parse_axes(b, axes, &e);
    WebCard card;
    if (web_parse_card(b, &card, &e) == STORE_OK)
        free(card.items);
    StoreFramingMove fm;
    web_parse_move(b, true, &fm, &e);
    web_parse_move(b, false, &fm, &e);
    StoreFramingIndicator fi;
    web_parse_indicator(b, true, &fi, &e);
    web_parse_indicator(b, false, &fi, &e);
    WebDemandLog dl;
    web_parse_demand_log(b, &dl, &e);
    web_parse_demand_code(b, &s1, &s2, &e);
    size_t rlen;
    web_parse_demand_rules(b, &s1, &rlen, &e);
    int days[DEMAND_SPLITS_MAX];
    web_parse_demand_splits(b, days, &k, &e);
    StoreScenario sc;
    web_parse_scenario(b, true, &sc, &e);
    web_parse_scenario(b, false, &sc, &e);
    for (int kind = WEB_MODEL_RUN; kind <= WEB_MODEL_ENSEMBLE; kind++) {
        Arena a;
        arena_init(&a);
        WebModelReq mr;
        web_parse_model_req(b, kind, &a, &mr, &e);
        arena_free(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - (const char *)data) : size;
    char *line = malloc(head + 1);
    if (!line)
        return 0;
    memcpy(line, data, head);
    line[head] = '\0';
    char *sp = strchr(line, ' ');
    const char *method = line, *path = "/";
    if (sp) {
        *sp = '\0';
        path = sp + 1;
    }
    char *q = strchr(sp ? sp + 1 : line, '?');
    if (q)
        *q++ = '\0';
    const WebRoute *r = NULL;
    WebMatch m;
    char allow[64];
    if (web_route(method, path, &r, &m, allow, sizeof allow) == 0 &&
        (!r || !r->fn))
        abort(); /* a match always has a handler */
    if (q)
        query(q);
    /* the request line as the map's Accept-Encoding and If-None-Match */
    (void)web_accepts_gzip(path);
    (void)web_etag_matches(line, "\"m0-1-2-3\"");

    const char *body = nl ? nl + 1 : "";
    size_t blen = nl ? size - head - 1 : 0;
    for (int optional = 0; optional < 2; optional++) {
        json_t *b = NULL;
        StoreErr e = {0};
        if (web_parse_body(body, blen, optional, &b, &e) == STORE_OK) {
            if (!json_is_object(b))
                abort();
            bodies(b);
        } else if (!e.message[0] || strcmp(e.code, "bad_json")) {
            abort(); /* every refusal says why, as bad_json */
        }
        json_decref(b);
    }
    free(line);
    return 0;
}
