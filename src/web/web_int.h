/*
 * web_int.h - what the server's files share: the request and response as
 * the handlers see them (no libmicrohttpd types), the route table, the
 * request-body parsers (pure functions from JSON to the store's typed
 * edits, so they can be fuzzed without a server), and the handlers.
 *
 * Ownership: a WebResp owns its body and header values until
 * web_resp_free(); a WebCtx borrows everything but its parsed body
 * (json_decref'd by the dispatcher).
 */
#ifndef TERRITORY_WEB_INT_H
#define TERRITORY_WEB_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"
#include "demand/demand.h"
#include "store/store.h"
#include "web/web.h"

#define WEB_BODY_MAX ((size_t)1 << 20) /* request bodies over this: 413 */
#define WEB_HEADERS_MAX 12             /* response headers a handler sets */
#define WEB_TOKEN_BYTES 32             /* session and CSRF tokens: 256 bits */
#define WEB_TOKEN_LEN 44               /* base64url of 32 bytes, and a NUL */
#define WEB_HASH_LEN 65                /* hex of a 32-byte hash, and a NUL */
#define WEB_SIMILAR_MIN 0.35           /* near-duplicate threshold */
#define WEB_SIMILAR_MAX 5              /* near-duplicates listed */
#define WEB_FEED_ENTRIES 50            /* events in the Atom feed */
#define WEB_LOOPS_BUDGET 2.0           /* seconds a loop count may take */

/* ---- requests and responses ------------------------------------------- */

typedef enum WebKind {
    WEB_HEADER = 0, /* a request header */
    WEB_COOKIE = 1, /* a cookie */
    WEB_QUERY = 2   /* a query-string argument (decoded) */
} WebKind;

/* Looks up a header, cookie or query argument (kind: a WebKind) of a
 * request; NULL when it is absent. */
typedef const char *WebLookup(void *ctx, int kind, const char *key);

typedef struct WebReq {
    const char *method; /* GET (also for HEAD), POST, PUT, PATCH, DELETE */
    const char *path;   /* decoded path, without the query */
    const char *body;   /* the body (NUL-terminated), or NULL */
    size_t body_len;    /* its length */
    bool too_large;     /* the body was over WEB_BODY_MAX (and dropped) */
    WebLookup *lookup;  /* finds headers, cookies and query arguments */
    void *lookup_ctx;   /* passed to lookup */
} WebReq;

typedef struct WebHeader {
    const char *name; /* a literal */
    char *value;      /* owned */
} WebHeader;

/* A body shared by reference (the cached map): immutable, reference
 * counted, freed by the last web_shared_release (cache.c). */
typedef struct WebShared WebShared;
WebShared *web_shared_new(const char *data, size_t len); /* one reference */
const char *web_shared_data(const WebShared *s);
size_t web_shared_len(const WebShared *s);
void web_shared_release(WebShared *s); /* NULL is a no-op */

typedef struct WebResp {
    int status;        /* HTTP status */
    const char *ctype; /* Content-Type (a literal) */
    TBuf body;         /* the body */
    WebShared *shared; /* or the body by reference (one reference, the
                          answer's), sent instead of body when set */
    WebHeader headers[WEB_HEADERS_MAX]; /* more headers */
    int nheaders;                       /* how many */
} WebResp;

void web_resp_free(WebResp *r);
/* Adds a header (value copied); dropped when the table is full. */
void web_header(WebResp *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets a header: replaces the value of the first of that name, or adds. */
void web_header_set(WebResp *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether an If-None-Match list (NULL: none) holds etag, or is "*". */
bool web_etag_matches(const char *list, const char *etag);

/* ---- the caches (cache.c) --------------------------------------------- */

#define WEB_CACHE_MAPS 64                  /* workspaces' maps kept */
#define WEB_CACHE_BYTES ((size_t)64 << 20) /* bytes of maps kept */
#define WEB_CACHE_TEXTS 16                 /* near-duplicate indexes kept */

typedef struct WebCache WebCache;
/* NULL when out of memory. */
WebCache *web_cache_new(int max_maps, size_t max_bytes, int max_texts);
void web_cache_free(WebCache *c); /* NULL is a no-op */
/* The ETag of workspace ws_id's map at version v (quoted). */
void web_cache_etag(const WebCache *c, long long ws_id, const StoreWsVersion *v,
                    char *out, size_t cap);
/* The cached map of ws_id at exactly version v (a reference the caller
 * releases), or NULL. */
WebShared *web_cache_map_get(WebCache *c, long long ws_id,
                             const StoreWsVersion *v, bool gzip);
/* Keeps body (another reference) as ws_id's map at version v, unless a
 * newer one is there or it is over the byte cap. */
void web_cache_map_put(WebCache *c, long long ws_id, const StoreWsVersion *v,
                       WebShared *body);
/* Keeps gz (another reference) as the gzipped form of ws_id's map at
 * version v, when that map is still kept and has none. */
void web_cache_map_put_gzip(WebCache *c, long long ws_id,
                            const StoreWsVersion *v, WebShared *gz);
/* data gzipped (one reference), or NULL when out of memory. */
WebShared *web_gzip(const char *data, size_t len);
/* Whether an Accept-Encoding header (NULL: none) takes gzip. */
bool web_accepts_gzip(const char *accept);
/* Drops everything cached of ws_id (its workspace was deleted). */
void web_cache_forget(WebCache *c, long long ws_id);
/* Drops everything (a group's batch failed after the caches saw it). */
void web_cache_forget_all(WebCache *c);

/* ---- group commit (group.c) ------------------------------------------- */

#define WEB_GROUP_MAX 128 /* requests in one batch at most */

typedef struct WebGroup WebGroup;
/* The group over connection db (owned from now on, even on failure:
 * NULL when out of memory, db closed). */
WebGroup *web_group_new(StoreDb *db, WebCache *cache);
void web_group_free(WebGroup *g); /* NULL is a no-op */
/* Runs c's handler in the group's open batch (or a new one) and returns
 * once the batch is committed; c's answer is then a 500 if it was not. */
struct WebCtx;
void web_group_run(WebGroup *g, struct WebCtx *c);
/* [{id, title, score}] of workspace ws_id's open, visible items most like
 * text (threshold WEB_SIMILAR_MIN, at most WEB_SIMILAR_MAX), but exclude;
 * from the kept index, brought up to date with the database first. NULL
 * with e set on failure. */
json_t *web_cache_similar(WebCache *c, StoreDb *db, long long ws_id,
                          const char *text, long long exclude, StoreErr *e);

/* ---- routes ----------------------------------------------------------- */

enum {
    WEB_R_AUTH = 1,      /* needs a signed-in user */
    WEB_R_BODY = 2,      /* needs a JSON object body */
    WEB_R_OPTBODY = 4,   /* takes an optional JSON object body */
    WEB_R_FEED = 8,      /* signed in by the feed token instead */
    WEB_R_GROUP = 32,    /* a light write: committed with others that
                            arrive together (group.c) */
    WEB_R_SNAPSHOT = 16, /* a GET that only reads: the session, the
                            membership and the handler read in one
                            read transaction (one WAL snapshot) */
};

typedef struct WebMatch {
    char slug[80];   /* the :slug segment ("" when too long) */
    long long id;    /* the :id segment, -1 when it is not an id */
    char token[160]; /* the :token segment ("" when too long) */
} WebMatch;

typedef struct WebCtx WebCtx;
typedef void WebHandler(WebCtx *c);

typedef struct WebRoute {
    const char *method;  /* GET, POST, PUT, PATCH or DELETE */
    const char *pattern; /* /api/w/:slug/items/:id ... */
    WebHandler *fn;      /* what answers it */
    int min_role;        /* for /api/w/:slug/...: the least role, else 0 */
    unsigned flags;      /* WEB_R_* */
} WebRoute;

/* Finds the route for method and path: 0 with *route and m filled, 404
 * when no route has that path, 405 when none takes that method (allow
 * then lists the methods that it takes, "GET, POST"). */
int web_route(const char *method, const char *path, const WebRoute **route,
              WebMatch *m, char *allow, size_t cap);

/* ---- the context of one request --------------------------------------- */

typedef struct WebConf {
    bool secure_cookies;    /* cookies always get Secure */
    WebCache *cache;        /* the caches (thread-safe), or NULL: none */
    WebGroup *group;        /* group commit of WEB_R_GROUP routes, or NULL:
                               each request commits alone */
    const char *dummy_hash; /* a password hash to verify against when the
                               e-mail is unknown (same time either way) */
} WebConf;

struct WebCtx {
    const WebConf *conf;          /* the server's settings */
    StoreDb *db;                  /* this worker's connection */
    const WebReq *req;            /* the request */
    WebResp *resp;                /* the answer being made */
    const WebRoute *route;        /* the route matched */
    WebMatch m;                   /* its parameters */
    long long uid;                /* the signed-in user, 0 when none */
    char csrf[WEB_TOKEN_LEN + 8]; /* the session's CSRF token */
    char session[WEB_HASH_LEN];   /* hash of the session token */
    StoreActor actor;             /* the membership, for /api/w/:slug routes */
    json_t *body;                 /* the parsed body (an object), or NULL */
    WebHandler *after;  /* set by a WEB_R_GROUP handler: runs once its batch
                           is committed, outside the group's lock, on this
                           request's own connection (and not at all when
                           the commit failed) */
    long long after_id; /* for after: the row written */
    TBuf after_text;    /* for after: a text (freed by the dispatcher) */
};

/* Answers the request (the dispatcher: CSRF, routing, limits, sessions,
 * roles, then the handler). */
void web_handle(const WebConf *conf, StoreDb *db, const WebReq *req,
                WebResp *resp);

/* A header, cookie or query argument of the request, or NULL. */
const char *web_arg(const WebCtx *c, int kind, const char *key);

/* Answers with JSON (stolen; NULL is answered 500). */
void web_json(WebCtx *c, int status, json_t *j);
/* Answers 204. */
void web_no_content(WebCtx *c);
/* Answers with an error {"error": {"code", "message", "field"}}. */
void web_error(WebCtx *c, int status, const char *code, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Answers a store failure with its status (400, 404, 409 ...). */
void web_store_error(WebCtx *c, const StoreErr *e);
/* The HTTP status of a store result. */
int web_status_of(int store_rc);
/* Sets a cookie (with Secure when the request came through TLS or the
 * server says so). max_age < 0: a session cookie; 0: delete it. */
void web_cookie(WebCtx *c, const char *name, const char *value, bool http_only,
                const char *same_site, long max_age);

/* ---- request bodies --------------------------------------------------- */

/* Sets e (code, field, message) and returns STORE_EINPUT (or
 * STORE_EINTERNAL for the code "internal"). */
int web_field_err(StoreErr *e, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parses a request body as JSON: a malformed one is EINPUT with code
 * bad_json and "malformed JSON at line L, column C: ...". An empty body
 * is {} when optional, else an error. A body that is not an object is
 * bad_json too. */
int web_parse_body(const char *text, size_t len, bool optional, json_t **out,
                   StoreErr *e);

/* Each parser checks one request's fields (types, ranges, lengths) and
 * fills the store's typed request; strings point into the JSON. EINPUT
 * with code missing_field or bad_field and the field's name. */
typedef struct WebSignup {
    const char *email;        /* the account's e-mail address */
    const char *password;     /* at least 8 characters */
    const char *display_name; /* how others see them */
} WebSignup;
int web_parse_signup(json_t *b, bool signup, WebSignup *out, StoreErr *e);

typedef struct WebWsNew {
    const char *name;        /* the workspace's name */
    const char *slug;        /* or NULL: made from the name */
    const char *description; /* or NULL */
} WebWsNew;
int web_parse_ws_new(json_t *b, WebWsNew *out, StoreErr *e);
int web_parse_ws_edit(json_t *b, StoreWsEdit *out, StoreErr *e);
int web_parse_me_edit(json_t *b, const char **display_name, const char **digest,
                      StoreErr *e);
/* {role}: any role (members), or up to facilitator (invites). */
int web_parse_role(json_t *b, bool invite, int *role, StoreErr *e);
/* An item; create requires the title. */
int web_parse_item(json_t *b, bool create, StoreItemEdit *out, StoreErr *e);
/* A positive id in field key (required); null allowed when nullable (0). */
int web_parse_id(json_t *b, const char *key, bool nullable, long long *id,
                 StoreErr *e);
int web_parse_rating(json_t *b, int *importance, int *uncertainty, StoreErr *e);
int web_parse_evidence(json_t *b, StoreEvidence *out, StoreErr *e);
typedef struct WebTheme {
    const char *name;  /* the theme's name, or NULL (edit) */
    const char *color; /* #rrggbb, or NULL */
    long long *items;  /* items to assign (create), malloc'd, or NULL */
    int nitems;        /* how many */
} WebTheme;
/* Theme create or edit; free out->items. */
int web_parse_theme(json_t *b, bool create, WebTheme *out, StoreErr *e);
int web_parse_link(json_t *b, bool create, StoreLinkEdit *out, StoreErr *e);
/* An optional text field (note), NULL when absent. */
int web_parse_note(json_t *b, const char *key, int max, const char **out,
                   StoreErr *e);
/* {k?}: 0 (automatic) when absent. */
int web_parse_k(json_t *b, int *k, StoreErr *e);

/* Query arguments (NULL when absent). */
int web_parse_items_query(const char *theme, const char *sort,
                          const char *status, const char *q, const char *hidden,
                          StoreItemQuery *out, StoreErr *e);
/* A whole decimal number in [lo, hi] for a query argument, else EINPUT
 * naming it; dflt when absent. */
int web_parse_count(const char *s, const char *name, long long lo, long long hi,
                    long long dflt, long long *out, StoreErr *e);

/* ---- handlers --------------------------------------------------------- */

/* auth.c */
void web_signup(WebCtx *c);
void web_signin(WebCtx *c);
void web_signout(WebCtx *c);
void web_me(WebCtx *c);
/* Reads the session cookie into c (uid, csrf, session). */
void web_session_load(WebCtx *c);
/* Whether a write carries a valid CSRF token (and a same-origin Origin). */
bool web_csrf_ok(WebCtx *c);
/* A new random token (base64url, WEB_TOKEN_BYTES of randomness). */
void web_token_new(char out[WEB_TOKEN_LEN]);
/* The hex hash of a token, for lookups. */
void web_token_hash(const char *token, char out[WEB_HASH_LEN]);

/* api_ws.c */
void web_ws_list(WebCtx *c);
void web_ws_create(WebCtx *c);
void web_ws_import(WebCtx *c);
void web_ws_get(WebCtx *c);
void web_ws_edit(WebCtx *c);
void web_ws_delete(WebCtx *c);
void web_me_edit(WebCtx *c);
void web_members(WebCtx *c);
void web_member_edit(WebCtx *c);
void web_member_remove(WebCtx *c);
void web_invite_make(WebCtx *c);
void web_invite_accept(WebCtx *c);
void web_meeting_end(WebCtx *c);

/* api_items.c */
void web_items_list(WebCtx *c);
void web_item_add(WebCtx *c);
void web_item_get(WebCtx *c);
void web_item_edit(WebCtx *c);
void web_item_delete(WebCtx *c);
void web_item_merge(WebCtx *c);
void web_item_rate(WebCtx *c);
void web_item_evidence(WebCtx *c);
void web_item_hide(WebCtx *c);
void web_item_restore(WebCtx *c);
void web_item_rollback(WebCtx *c);
void web_item_theme(WebCtx *c);
void web_similar(WebCtx *c);
void web_themes_list(WebCtx *c);
void web_theme_add(WebCtx *c);
void web_theme_edit(WebCtx *c);
void web_theme_delete(WebCtx *c);
void web_themes_suggest(WebCtx *c);

/* api_map.c */
void web_links_list(WebCtx *c);
void web_link_add(WebCtx *c);
void web_link_edit(WebCtx *c);
void web_link_delete(WebCtx *c);
void web_link_hide(WebCtx *c);
void web_link_restore(WebCtx *c);
void web_link_rollback(WebCtx *c);
void web_map(WebCtx *c);
void web_loops(WebCtx *c);
void web_events(WebCtx *c);
void web_feed(WebCtx *c);
void web_export_json(WebCtx *c);
void web_export_graphml(WebCtx *c);
void web_export_dot(WebCtx *c);
void web_export_csv(WebCtx *c);

/* api_framing.c: scenario framing (grid, axes, cards, moves, indicators) */
typedef struct WebCard {
    StoreFramingCard card; /* the edit */
    long long *items;      /* card.items, malloc'd: the caller frees it */
} WebCard;
/* {x: {item, low, high}, y: {...}} into out[0] (x) and out[1] (y). */
int web_parse_axes(json_t *b, StoreFramingAxis out[2], StoreErr *e);
/* {name?, narrative?, items?: [ID]}; free out->items. */
int web_parse_card(json_t *b, WebCard *out, StoreErr *e);
/* {text, cards?: [1..4]}; text required on create. */
int web_parse_move(json_t *b, bool create, StoreFramingMove *out, StoreErr *e);
/* {text, card, item?}; text and card required on create. */
int web_parse_indicator(json_t *b, bool create, StoreFramingIndicator *out,
                        StoreErr *e);
void web_grid(WebCtx *c);
void web_framing_get(WebCtx *c);
void web_framing_axes(WebCtx *c);
void web_framing_axes_clear(WebCtx *c);
void web_framing_card(WebCtx *c);
void web_framing_move_add(WebCtx *c);
void web_framing_move_edit(WebCtx *c);
void web_framing_move_delete(WebCtx *c);
void web_framing_indicator_add(WebCtx *c);
void web_framing_indicator_edit(WebCtx *c);
void web_framing_indicator_delete(WebCtx *c);

/* api_demand.c: the demand study */
typedef struct WebDemandLog {
    const char *name; /* the log's name */
    const char *csv;  /* its text */
    size_t csv_len;   /* its length */
    json_t *map_json; /* the map object, or NULL */
    DemandMap map;    /* the map for the engine (borrows from the body) */
} WebDemandLog;
int web_parse_demand_log(json_t *b, WebDemandLog *out, StoreErr *e);
/* {demand, type?}: *demand NULL for null (clear the coding). */
int web_parse_demand_code(json_t *b, const char **demand, const char **type,
                          StoreErr *e);
int web_parse_demand_rules(json_t *b, const char **text, size_t *len,
                           StoreErr *e);
/* {splits: [YYYY-MM-DD ...]} into days (DEMAND_SPLITS_MAX of them). */
int web_parse_demand_splits(json_t *b, int *days, int *n, StoreErr *e);
void web_demand_logs(WebCtx *c);
void web_demand_log_add(WebCtx *c);
void web_demand_log_get(WebCtx *c);
void web_demand_log_delete(WebCtx *c);
void web_demand_contacts(WebCtx *c);
void web_demand_code(WebCtx *c);
void web_demand_rules_get(WebCtx *c);
void web_demand_rules_put(WebCtx *c);
void web_demand_splits(WebCtx *c);
void web_demand_measures(WebCtx *c);
void web_demand_report(WebCtx *c);

/* api_models.c: the model library, its computations, saved scenarios. */
#define WEB_MODELS_RUNS 5000        /* ensemble runs per request */
#define WEB_MODELS_ENSEMBLE_VARS 20 /* variables an ensemble summarises */
#define WEB_MODELS_VARY 50          /* parameters an ensemble varies */
#define WEB_MODELS_SCENARIOS 20     /* scenarios one compare runs */
#define WEB_MODELS_STEPS 1000000L   /* time steps of one run */
#define WEB_MODELS_WORK 3e8         /* ensemble runs x steps x variables */
#define WEB_MODELS_THREADS 2        /* an ensemble's worker threads */
enum { WEB_MODEL_RUN = 0, WEB_MODEL_COMPARE = 1, WEB_MODEL_ENSEMBLE = 2 };
struct SdScenario;
struct SdVary;
typedef struct WebModelReq {
    struct SdScenario *scen; /* run/ensemble: one ("run", the set); compare:
                                the scenarios */
    int nscen;               /* how many */
    const char **vars;       /* variables to report, or NULL for all */
    int nvars;               /* how many */
    bool baseline;           /* compare: run the model as it is first */
    long runs;               /* ensemble: how many runs */
    unsigned long long seed; /* ensemble: the sampling seed */
    struct SdVary *vary;     /* ensemble: the varied parameters */
    int nvary;               /* how many */
} WebModelReq;
/* A run, compare or ensemble body (kind: WEB_MODEL_*); everything is in
 * a or points into b. Variable names are checked later, by the model. */
int web_parse_model_req(json_t *b, int kind, Arena *a, WebModelReq *out,
                        StoreErr *e);
/* A saved scenario {model, name, description?, set, graphs?}; create
 * requires model, name and set. */
int web_parse_scenario(json_t *b, bool create, StoreScenario *out, StoreErr *e);
void web_models_list(WebCtx *c);
void web_model_get(WebCtx *c);
void web_model_run(WebCtx *c);
void web_model_compare(WebCtx *c);
void web_model_ensemble(WebCtx *c);
void web_model_dominance(WebCtx *c);
void web_scenarios_list(WebCtx *c);
void web_scenario_add(WebCtx *c);
void web_scenario_edit(WebCtx *c);
void web_scenario_delete(WebCtx *c);

/* static.c: the browser app's files (GET of a path outside /api/). */
void web_static(const WebReq *req, WebResp *resp);
/* The headers every answer gets (security policy). */
void web_common_headers(WebResp *resp);

#endif
