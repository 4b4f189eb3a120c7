/*
 * store.h - the shared workspace's database: accounts and sessions,
 * workspaces and their members, invites and meetings, the list of items
 * (issues / factors) with their themes, ratings and evidence, the causal
 * links between them, and the append-only log of events that the history,
 * the Atom feed and rollback are read from. Also the workspace document
 * (docs/http-api.md, "The workspace document"): its validation, import
 * and export.
 *
 * One StoreDb is one SQLite connection (WAL, synchronous=FULL, foreign
 * keys on, a busy timeout); use it from one thread at a time. Every write
 * is one transaction that also appends its event, so the log never
 * disagrees with the data. Every statement is prepared; no SQL is built
 * from user text. Permissions that depend on the data (authorship, the
 * lock, the last owner) are checked inside the write's transaction; the
 * caller checks a member's minimum role for an endpoint.
 *
 * Errors: every function that can fail returns a StoreRc and fills a
 * StoreErr (code as in the HTTP contract, the field at fault, a git-style
 * message); nothing here prints or exits.
 *
 * Ownership: a StoreDb is closed with store_close(); a json_t handed out
 * through an out-parameter belongs to the caller (json_decref); a
 * StoreIssues owns its entries until store_issues_free().
 */
#ifndef TERRITORY_STORE_H
#define TERRITORY_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

/* ---- results and errors ----------------------------------------------- */

typedef enum StoreRc {
    STORE_OK = 0,         /* done */
    STORE_EINPUT = 1,     /* a field is bad (code bad_field / missing_field) */
    STORE_ENOTFOUND = 2,  /* no such thing, or not visible to the caller */
    STORE_ECONFLICT = 3,  /* taken already (e-mail, slug, link pair) */
    STORE_ELOCKED = 4,    /* the list is locked */
    STORE_EFORBIDDEN = 5, /* the caller's role does not allow it */
    STORE_EAUTH = 6,      /* wrong credentials, or no session */
    STORE_EINTERNAL = 7   /* the database failed, or out of memory */
} StoreRc;

typedef struct StoreErr {
    int rc;            /* a StoreRc, STORE_OK when nothing failed */
    char code[24];     /* the contract's code: bad_field, not_found ... */
    char field[128];   /* the request field at fault, "" when none */
    char message[512]; /* git-style: lower case, no full stop */
} StoreErr;

/* One problem found in a workspace document. */
typedef struct StoreIssue {
    char field[128];   /* its JSON path: items[4].theme, or "" */
    char message[384]; /* what is wrong there */
} StoreIssue;

typedef struct StoreIssues {
    StoreIssue *items; /* in document order */
    int len;           /* how many were kept */
    int cap;           /* allocated */
    int dropped;       /* how many more there were past STORE_ISSUES_MAX */
} StoreIssues;

#define STORE_ISSUES_MAX 200 /* problems kept per document */

void store_issues_free(StoreIssues *is);

/* ---- limits (characters, not bytes, for texts) ------------------------ */

#define STORE_TITLE_MAX 500           /* an item's title */
#define STORE_BODY_MAX 20000          /* an item's body */
#define STORE_NAME_MAX 200            /* a workspace's name */
#define STORE_DESC_MAX 5000           /* a workspace's description */
#define STORE_SLUG_MAX 64             /* a slug, [a-z0-9-] */
#define STORE_THEME_MAX 100           /* a theme's name */
#define STORE_NOTE_MAX 2000           /* a link's or meeting's note */
#define STORE_EVIDENCE_MAX 5000       /* evidence text */
#define STORE_SOURCE_MAX 1000         /* evidence source, source document */
#define STORE_DISPLAY_MAX 100         /* a display name */
#define STORE_EMAIL_MAX 254           /* an e-mail address, bytes */
#define STORE_DOC_ITEMS_MAX 100000    /* items in one workspace document */
#define STORE_DOC_LINKS_MAX 200000    /* links in one workspace document */
#define STORE_DOC_THEMES_MAX 1000     /* themes in one workspace document */
#define STORE_DOC_EVIDENCE_MAX 1000   /* evidence per item in a document */
#define STORE_SESSION_SECONDS 2592000 /* a session lives 30 days */
#define STORE_INVITE_SECONDS 2592000  /* so does an invite */

/* Whether s is valid UTF-8 of min..max characters (code points). */
bool store_text_ok(const char *s, int min, int max);
/* Whether s is a slug: 1..64 of [a-z0-9-], not starting or ending in -. */
bool store_slug_ok(const char *s);
/* Whether s is a colour #rrggbb (either case). */
bool store_color_ok(const char *s);

/* ---- roles ------------------------------------------------------------ */

typedef enum StoreRole {
    STORE_ROLE_NONE = 0,   /* not a member */
    STORE_VIEWER = 1,      /* reads */
    STORE_CONTRIBUTOR = 2, /* adds, and edits what they added */
    STORE_FACILITATOR = 3, /* edits anything, moderates, invites */
    STORE_OWNER = 4        /* manages members, deletes the workspace */
} StoreRole;

const char *store_role_name(int role); /* "viewer" ..., "" for none */
int store_role_parse(const char *s);   /* STORE_ROLE_NONE when unknown */

/* Who is acting in which workspace (from store_actor()). */
typedef struct StoreActor {
    long long user_id;             /* the member, 0 for the command line */
    long long ws_id;               /* the workspace */
    int role;                      /* their StoreRole */
    char slug[STORE_SLUG_MAX + 8]; /* the workspace's slug */
} StoreActor;

/* ---- the connection --------------------------------------------------- */

typedef struct StoreDb StoreDb;

typedef struct StoreOpenOpts {
    bool create;      /* make the file when it is missing */
    const char *seed; /* a workspace document to import into a new
                         database (the starter), or NULL */
    size_t seed_len;  /* its length */
} StoreOpenOpts;

/* Opens (and, with o->create, creates) the database at path, runs the
 * forward migrations, and seeds a new database with o->seed, all in one
 * transaction. *out is NULL on failure. */
int store_open(const char *path, const StoreOpenOpts *o, StoreDb **out,
               StoreErr *err);
void store_close(StoreDb *db); /* NULL is a no-op */
/* The schema version this program writes (PRAGMA user_version). */
int store_schema_version(void);

/* ---- accounts and sessions -------------------------------------------- */

/* Adds an account (pwhash from crypto_pwhash_str); ECONFLICT when the
 * e-mail address is taken. The first account on a server becomes the
 * owner of every workspace that has none. */
int store_user_add(StoreDb *db, const char *email, const char *pwhash,
                   const char *display_name, long long *uid, StoreErr *err);
/* The account with this e-mail (any case); ENOTFOUND when none. */
int store_user_by_email(StoreDb *db, const char *email, long long *uid,
                        char *pwhash, size_t cap, StoreErr *err);
/* {id, email, display_name} of an account. */
int store_user_get(StoreDb *db, long long uid, json_t **user, StoreErr *err);

/* Sessions are found by a hash of their token; the token itself is never
 * stored. csrf is the session's CSRF token. */
int store_session_add(StoreDb *db, const char *token_hash, long long uid,
                      const char *csrf, StoreErr *err);
/* EAUTH when there is no such session or it has expired. */
int store_session_find(StoreDb *db, const char *token_hash, long long *uid,
                       char *csrf, size_t cap, StoreErr *err);
int store_session_delete(StoreDb *db, const char *token_hash, StoreErr *err);

/* ---- workspaces and members ------------------------------------------- */

/* The caller's workspaces: [{slug, name, role, locked}]. */
int store_ws_list(StoreDb *db, long long uid, json_t **list, StoreErr *err);
/* Every workspace's slug, in slug order (for the command line). */
int store_ws_slugs(StoreDb *db, json_t **list, StoreErr *err);
/* Makes a workspace owned by uid (uid 0: none). slug NULL: made from the
 * name, with -2, -3 ... when taken; a given slug that is taken is
 * ECONFLICT. The slug used goes to slug_out. */
int store_ws_create(StoreDb *db, long long uid, const char *name,
                    const char *slug, const char *description, char *slug_out,
                    size_t cap, StoreErr *err);
/* Resolves uid's membership of the workspace slug. A workspace that does
 * not exist and one the user is not a member of give the same
 * ENOTFOUND. */
int store_actor(StoreDb *db, const char *slug, long long uid, StoreActor *a,
                StoreErr *err);
/* The member whose feed token this is, in workspace slug. */
int store_actor_by_feed(StoreDb *db, const char *slug, const char *token,
                        StoreActor *a, StoreErr *err);
/* The command line's actor: every right, in workspace slug. */
int store_actor_admin(StoreDb *db, const char *slug, StoreActor *a,
                      StoreErr *err);

/* {slug, name, description, locked, role, display_name, digest, feed_url,
 * counts: {items, links, themes, members}} as the actor sees it. */
int store_ws_get(StoreDb *db, const StoreActor *a, json_t **ws, StoreErr *err);

typedef struct StoreWsEdit {
    const char *name;        /* new name, or NULL */
    const char *description; /* new description, or NULL */
    int locked;              /* 0 or 1, or -1 to leave it */
} StoreWsEdit;
int store_ws_edit(StoreDb *db, const StoreActor *a, const StoreWsEdit *e,
                  StoreErr *err);
int store_ws_delete(StoreDb *db, const StoreActor *a, StoreErr *err);
/* The actor's own display name (NULL: keep) and digest frequency (none,
 * meeting, daily, weekly; NULL: keep). */
int store_me_edit(StoreDb *db, const StoreActor *a, const char *display_name,
                  const char *digest, StoreErr *err);
/* [{user_id, display_name, role}] by role, then name. */
int store_members(StoreDb *db, const StoreActor *a, json_t **list,
                  StoreErr *err);
/* Changes a member's role (owner only); the last owner cannot step down.
 * *member is {user_id, display_name, role}. */
int store_member_role(StoreDb *db, const StoreActor *a, long long uid, int role,
                      json_t **member, StoreErr *err);
int store_member_remove(StoreDb *db, const StoreActor *a, long long uid,
                        StoreErr *err);
/* An invite to join with role (at most facilitator), found later by the
 * hash of its token. */
int store_invite_add(StoreDb *db, const StoreActor *a, int role,
                     const char *token_hash, StoreErr *err);
/* Joins uid to the invite's workspace (a member keeps the higher role);
 * the workspace's slug goes to slug_out. */
int store_invite_accept(StoreDb *db, const char *token_hash, long long uid,
                        char *slug_out, size_t cap, StoreErr *err);
/* Marks the end of a meeting; *meeting is {id, at}. */
int store_meeting_end(StoreDb *db, const StoreActor *a, const char *note,
                      json_t **meeting, StoreErr *err);

/* ---- items ------------------------------------------------------------ */

typedef enum StoreSort {
    STORE_SORT_RECENT = 0, /* newest first */
    STORE_SORT_OLDEST,     /* oldest first */
    STORE_SORT_TITLE,      /* by title, ignoring case */
    STORE_SORT_IMPORTANCE, /* highest mean importance first, unrated last */
    STORE_SORT_UNCERTAINTY /* highest mean uncertainty first */
} StoreSort;

typedef enum StoreStatus {
    STORE_STATUS_OPEN = 0, /* open items only */
    STORE_STATUS_MERGED,   /* merged items only */
    STORE_STATUS_ALL       /* every item, deleted ones too */
} StoreStatus;

typedef struct StoreItemQuery {
    long long theme; /* 0: any; -1: unthemed; else that theme's id */
    int sort;        /* a StoreSort */
    int status;      /* a StoreStatus */
    const char *q;   /* a text the title or body contains, or NULL */
    bool hidden;     /* include hidden items (facilitators) */
} StoreItemQuery;

/* The items as the actor may see them: [{item}] (see docs/http-api.md). */
int store_items_list(StoreDb *db, const StoreActor *a, const StoreItemQuery *q,
                     json_t **list, StoreErr *err);
/* One item; full adds evidence and source. Hidden items are ENOTFOUND
 * below facilitator. */
int store_item_get(StoreDb *db, const StoreActor *a, long long id, bool full,
                   json_t **item, StoreErr *err);

typedef struct StoreItemEdit {
    const char *title;  /* new title, or NULL */
    const char *body;   /* new body, or NULL */
    bool set_theme;     /* whether theme_id is given */
    long long theme_id; /* the theme, 0 for none */
} StoreItemEdit;

int store_item_add(StoreDb *db, const StoreActor *a, const StoreItemEdit *e,
                   long long *id, StoreErr *err);
int store_item_edit(StoreDb *db, const StoreActor *a, long long id,
                    const StoreItemEdit *e, StoreErr *err);
/* Status deleted; the links to and from it are hidden. */
int store_item_delete(StoreDb *db, const StoreActor *a, long long id,
                      StoreErr *err);
/* Merges id into `into`: id's links move to `into` (duplicates and self
 * links dropped), id gets status merged. */
int store_item_merge(StoreDb *db, const StoreActor *a, long long id,
                     long long into, StoreErr *err);
/* The actor's rating of an item (1..5 each), replacing an earlier one. */
int store_item_rate(StoreDb *db, const StoreActor *a, long long id,
                    int importance, int uncertainty, StoreErr *err);
int store_item_hide(StoreDb *db, const StoreActor *a, long long id, bool hide,
                    StoreErr *err);
/* Gives the item the state it had just after event_id (an event on it). */
int store_item_rollback(StoreDb *db, const StoreActor *a, long long id,
                        long long event_id, StoreErr *err);

typedef struct StoreEvidence {
    const char *kind;   /* story, quote or figure */
    const char *text;   /* what it says */
    const char *source; /* where it comes from, or NULL */
    bool has_value;     /* whether value is given (figures need one) */
    double value;       /* the figure */
} StoreEvidence;
/* *ev is {id, kind, text, source, value, author, created_at}. */
int store_evidence_add(StoreDb *db, const StoreActor *a, long long item,
                       const StoreEvidence *e, json_t **ev, StoreErr *err);

/* The open items the actor may see, for text similarity:
 * [[id, title, body] ...] by id. */
int store_item_texts(StoreDb *db, const StoreActor *a, json_t **list,
                     StoreErr *err);

/* ---- themes ----------------------------------------------------------- */

/* [{id, name, color, items}] by name. */
int store_themes_list(StoreDb *db, const StoreActor *a, json_t **list,
                      StoreErr *err);
int store_theme_get(StoreDb *db, const StoreActor *a, long long id,
                    json_t **theme, StoreErr *err);
/* color NULL: the next colour of a palette. items (n of them) are
 * assigned to the new theme; an unknown one is EINPUT on items[i]. */
int store_theme_add(StoreDb *db, const StoreActor *a, const char *name,
                    const char *color, const long long *items, int n,
                    long long *id, StoreErr *err);
int store_theme_edit(StoreDb *db, const StoreActor *a, long long id,
                     const char *name, const char *color, StoreErr *err);
/* Its items become unthemed. */
int store_theme_delete(StoreDb *db, const StoreActor *a, long long id,
                       StoreErr *err);
/* Assigns one item to a theme (0: none): its author or a facilitator. */
int store_item_set_theme(StoreDb *db, const StoreActor *a, long long id,
                         long long theme_id, StoreErr *err);

/* ---- links ------------------------------------------------------------ */

typedef struct StoreLinkEdit {
    long long from;       /* cause item (add only) */
    long long to;         /* effect item (add only) */
    const char *polarity; /* "+" or "-", or NULL to keep */
    int delay;            /* 0 or 1, or -1 to keep */
    const char *note;     /* new note, or NULL */
} StoreLinkEdit;

/* [{link}] among the visible items; hidden ones too when hidden. */
int store_links_list(StoreDb *db, const StoreActor *a, bool hidden,
                     json_t **list, StoreErr *err);
int store_link_get(StoreDb *db, const StoreActor *a, long long id,
                   json_t **link, StoreErr *err);
int store_link_add(StoreDb *db, const StoreActor *a, const StoreLinkEdit *e,
                   long long *id, StoreErr *err);
int store_link_edit(StoreDb *db, const StoreActor *a, long long id,
                    const StoreLinkEdit *e, StoreErr *err);
int store_link_delete(StoreDb *db, const StoreActor *a, long long id,
                      StoreErr *err);
int store_link_hide(StoreDb *db, const StoreActor *a, long long id, bool hide,
                    StoreErr *err);
int store_link_rollback(StoreDb *db, const StoreActor *a, long long id,
                        long long event_id, StoreErr *err);

/* The map: {nodes: [{id, title, theme_id, color, importance,
 * uncertainty}], edges: [{id, from, to, polarity, delay}]} of the open,
 * visible items and the links between them. */
int store_map(StoreDb *db, const StoreActor *a, json_t **map, StoreErr *err);

/* ---- events ----------------------------------------------------------- */

/* The newest events first: ids below before (0: from the newest), at
 * most limit. [{id, at, actor, action, target_type, target_id, summary,
 * before, after}]; below facilitator, the texts of hidden contributions
 * are withheld. */
int store_events(StoreDb *db, const StoreActor *a, long long before, int limit,
                 json_t **list, StoreErr *err);

/* ---- the workspace document ------------------------------------------- */

/* Checks a document without a database: every problem goes to issues
 * with its field path. STORE_OK or STORE_EINPUT. */
int store_doc_check(const char *text, size_t len, StoreIssues *issues);
/* Imports a document as a new workspace owned by owner (0: none, or the
 * first account when there is one and claim_first). Nothing is imported
 * when there is any problem (EINPUT, issues filled) or the slug is taken
 * (ECONFLICT). slug_override replaces the document's slug when not
 * NULL. */
int store_doc_import(StoreDb *db, const char *text, size_t len, long long owner,
                     bool claim_first, const char *slug_override,
                     char *slug_out, size_t cap, StoreIssues *issues,
                     StoreErr *err);
/* The workspace as a document. include_hidden: hidden items and links
 * too (facilitators, the command line). map_only: only open items and
 * the links between them. */
int store_doc_export(StoreDb *db, const StoreActor *a, bool include_hidden,
                     bool map_only, json_t **doc, StoreErr *err);

/* ---- the e-mail digest (digest.c) ------------------------------------ */

/* A member who asked for a digest, and where their last one left off. */
typedef struct StoreDigestSub {
    long long ws_id;                              /* the workspace */
    long long user_id;                            /* the member */
    char slug[STORE_SLUG_MAX + 8];                /* the workspace's slug */
    char ws_name[4 * STORE_NAME_MAX + 4];         /* its name (UTF-8) */
    char email[STORE_EMAIL_MAX + 2];              /* the member's address */
    char display_name[4 * STORE_DISPLAY_MAX + 4]; /* their name here */
    char digest[16];                              /* meeting, daily or weekly */
    long long last_event;   /* the newest event last sent (0: none yet) */
    char last_at[24];       /* when it was sent, RFC 3339, or "" */
    char joined_at[24];     /* when the member joined */
    char last_meeting[24];  /* when the last meeting ended, or "" */
    long long newest_event; /* the workspace's newest event (0: none) */
} StoreDigestSub;

/* Every member whose digest is not none, by workspace slug and user id.
 * *out is malloc'd: the caller frees it. */
int store_digest_subs(StoreDb *db, StoreDigestSub **out, int *n, StoreErr *err);
/* Records a digest up to event_id as sent to uid at time at. */
int store_digest_mark(StoreDb *db, long long ws, long long uid,
                      long long event_id, const char *at, StoreErr *err);

/* ---- the demand study (demand.c) ------------------------------------- */

#define STORE_DEMAND_NAME_MAX 200  /* a contact log's name */
#define STORE_DEMAND_TYPE_MAX 200  /* a demand type a member codes */
#define STORE_DEMAND_SPLITS_MAX 64 /* split dates of one log */

/* One contact as the engine read it (texts borrowed). */
typedef struct StoreDemandContact {
    int line;                   /* the CSV line its record starts on */
    const char *ext_id;         /* the log's id ("line N" without one) */
    const char *received_at;    /* as written */
    const char *channel;        /* "" when empty */
    const char *service;        /* "" when empty */
    const char *words;          /* the customer's words */
    const char *demand;         /* "value", "failure" or "" as imported */
    const char *type;           /* as imported, "" when empty */
    const char *what_matters;   /* "" when empty */
    int first_contact;          /* 1, 0, or -1 not recorded */
    int handoffs;               /* -1 not recorded */
    const char *case_id;        /* "" when none */
    const char *case_closed_at; /* "" when none */
} StoreDemandContact;

/* A contact log to add: the CSV as uploaded and what was read from it. */
typedef struct StoreDemandLogNew {
    const char *name;                   /* 1..STORE_DEMAND_NAME_MAX chars */
    const char *csv;                    /* the original text */
    json_t *map;                        /* {column: header} or NULL */
    json_t *rejected;                   /* [{line, reason}] or NULL */
    int blank_rows;                     /* rows of empty fields skipped */
    const StoreDemandContact *contacts; /* the rows that loaded */
    int ncontacts;                      /* how many */
} StoreDemandLogNew;

/* Adds a log and its contacts (event demand.import). */
int store_demand_log_add(StoreDb *db, const StoreActor *a,
                         const StoreDemandLogNew *n, long long *id,
                         StoreErr *err);
/* The workspace's logs, newest first: [{id, name, contacts, coded,
 * rejected, author, created_at}]. */
int store_demand_logs(StoreDb *db, const StoreActor *a, json_t **list,
                      StoreErr *err);
/* One log: the list's fields plus map, rejected [{line, reason}],
 * blank_rows and splits [YYYY-MM-DD]. */
int store_demand_log_get(StoreDb *db, const StoreActor *a, long long id,
                         json_t **log, StoreErr *err);
/* The log's CSV (malloc'd, the caller frees it), for the engine. */
int store_demand_log_csv(StoreDb *db, const StoreActor *a, long long id,
                         char **csv, size_t *len, StoreErr *err);
/* Deletes a log with its contacts and coding (event demand.delete). */
int store_demand_log_delete(StoreDb *db, const StoreActor *a, long long id,
                            StoreErr *err);
/* Every contact of a log in line order: {id, line, ext_id, received_at,
 * channel, service, words, what_matters, first_contact, handoffs,
 * case_id, case_closed_at, imported: {demand, type}, coding: {demand,
 * type, by, at} or null}. */
int store_demand_contacts(StoreDb *db, const StoreActor *a, long long log_id,
                          json_t **list, StoreErr *err);
/* One contact of a log, as in store_demand_contacts. */
int store_demand_contact_get(StoreDb *db, const StoreActor *a, long long log_id,
                             long long id, json_t **contact, StoreErr *err);
/* Codes a contact: demand "value" or "failure" with a type (may be ""),
 * or demand NULL to clear the coding back to the import (event
 * demand.code). */
int store_demand_code(StoreDb *db, const StoreActor *a, long long log_id,
                      long long id, const char *demand, const char *type,
                      StoreErr *err);
/* The workspace's rules: {text, author, updated_at} ("" and nulls when
 * never written). */
int store_demand_rules_get(StoreDb *db, const StoreActor *a, json_t **rules,
                           StoreErr *err);
/* Replaces the rules text (the caller has checked it; event
 * demand.rules). */
int store_demand_rules_set(StoreDb *db, const StoreActor *a, const char *text,
                           StoreErr *err);
/* Replaces a log's split dates (an array of YYYY-MM-DD strings the caller
 * has checked; event demand.splits). */
int store_demand_splits_set(StoreDb *db, const StoreActor *a, long long log_id,
                            json_t *splits, StoreErr *err);

/* ---- saved quantitative scenarios (scenarios.c) ---------------------- */

#define STORE_SCEN_NAME_MAX 100      /* a scenario's name */
#define STORE_SCEN_DESC_MAX 2000     /* its description */
#define STORE_SCEN_VAR_MAX 200       /* a variable name in set or graphs */
#define STORE_SCEN_SET_MAX 1000      /* values in one scenario's set */
#define STORE_SCEN_GRAPHS_MAX 100    /* graphs in one scenario */
#define STORE_SCEN_POINTS_MAX 1000   /* points in one graph */
#define STORE_DOC_SCENARIOS_MAX 1000 /* scenarios in one document */

/* A scenario to save or edit; JSON values are borrowed. NULL: keep (edit)
 * or none (add). */
typedef struct StoreScenario {
    const char *model;       /* the library model's name (add only) */
    const char *name;        /* unique per model in the workspace */
    const char *description; /* or NULL */
    json_t *set;             /* {variable: number}, or NULL */
    json_t *graphs;          /* {variable: [[x, y] ...]}, or NULL */
} StoreScenario;

/* Whether s can name a model of the library: 1..64 of [a-z0-9_-]. */
bool store_model_name_ok(const char *s);
/* Checks a scenario's set and graphs (types, finite numbers, increasing
 * x, caps); false with the field (under path) and a message when bad. */
bool store_scenario_spec_ok(json_t *set, json_t *graphs, const char *path,
                            char *field, size_t fcap, char *msg, size_t mcap);
/* [{id, model, name, description, set, graphs?, author_id, author,
 * created_at, updated_at}] by model and name; model NULL: every model. */
int store_scenarios_list(StoreDb *db, const StoreActor *a, const char *model,
                         json_t **list, StoreErr *err);
int store_scenario_get(StoreDb *db, const StoreActor *a, long long id,
                       json_t **sc, StoreErr *err);
/* ECONFLICT when the name is taken for that model. */
int store_scenario_add(StoreDb *db, const StoreActor *a, const StoreScenario *s,
                       long long *id, StoreErr *err);
/* Its author or a facilitator (EFORBIDDEN otherwise). */
int store_scenario_edit(StoreDb *db, const StoreActor *a, long long id,
                        const StoreScenario *s, StoreErr *err);
int store_scenario_delete(StoreDb *db, const StoreActor *a, long long id,
                          StoreErr *err);
/* The document's optional "scenarios" array: its check (EINPUT with the
 * first problem's field and message), its import into workspace ws in
 * the caller's transaction, and its export into root. */
int store_scenarios_doc_check(json_t *root, char *field, size_t fcap, char *msg,
                              size_t mcap);
int store_scenarios_doc_import(StoreDb *db, json_t *root, long long ws,
                               const char *at, StoreErr *err);
int store_scenarios_doc_export(StoreDb *db, const StoreActor *a, json_t *root,
                               StoreErr *err);

/* ---- scenario framing (framing.c) ------------------------------------ */

#define STORE_FRAMING_POLE_MAX 100       /* an axis pole's label */
#define STORE_FRAMING_NAME_MAX 200       /* a scenario card's name */
#define STORE_FRAMING_NARRATIVE_MAX 5000 /* a card's narrative */
#define STORE_FRAMING_CARD_ITEMS_MAX 200 /* items on one card */
#define STORE_FRAMING_TEXT_MAX 1000      /* a move's or indicator's text */
#define STORE_FRAMING_NOTES_MAX 1000     /* moves, indicators in a document */
#define STORE_GRID_INEVITABLE_IMPACT 4.0 /* inevitable: mean impact >= */
#define STORE_GRID_INEVITABLE_UNCERT 2.0 /* ... and mean uncertainty <= */
#define STORE_GRID_CRITICAL_IMPACT 3.5   /* critical: mean impact >= */
#define STORE_GRID_CRITICAL_UNCERT 3.5   /* ... and mean uncertainty >= */

/* One axis of the 2x2: an item and the labels of its two poles. */
typedef struct StoreFramingAxis {
    long long item;   /* the critical uncertainty (an open item) */
    const char *low;  /* its low pole, "funding falls" */
    const char *high; /* its high pole, "funding rises" */
} StoreFramingAxis;

/* An edit of one scenario card (quadrant 1..4). */
typedef struct StoreFramingCard {
    const char *name;       /* new name, or NULL to keep */
    const char *narrative;  /* new narrative, or NULL to keep */
    bool set_items;         /* whether items replaces the card's items */
    const long long *items; /* the items that matter most, in order */
    int nitems;             /* how many */
} StoreFramingCard;

/* A robust move: cards is a bit set, bit q-1 for quadrant q. */
typedef struct StoreFramingMove {
    const char *text; /* what to do, or NULL to keep (edit) */
    int cards;        /* 0..15, or -1 to keep (edit) */
} StoreFramingMove;

/* A leading indicator of one card, optionally about an item. */
typedef struct StoreFramingIndicator {
    const char *text; /* what to watch, or NULL to keep (edit) */
    int card;         /* the quadrant it signals, 1..4; 0 to keep */
    bool set_item;    /* whether item is given */
    long long item;   /* the item it watches, 0 for none */
} StoreFramingIndicator;

/* The impact/uncertainty grid of the open, visible items: {rule, items:
 * [{id, title, theme_id, raters, impact, uncertainty, spread: {impact,
 * uncertainty}, range: {impact: [min, max], uncertainty: [min, max]},
 * my_rating, inevitable, critical}]} by id (docs/http-api.md). */
int store_grid(StoreDb *db, const StoreActor *a, json_t **grid, StoreErr *err);
/* {axes, cards (all four), inevitables, moves, indicators}. */
int store_framing_get(StoreDb *db, const StoreActor *a, json_t **framing,
                      StoreErr *err);
/* Sets both axes (axes[0] x, axes[1] y), or clears them when axes is
 * NULL (event framing.axes). */
int store_framing_axes_set(StoreDb *db, const StoreActor *a,
                           const StoreFramingAxis *axes, StoreErr *err);
/* Edits the card of quadrant 1..4 (event framing.card). */
int store_framing_card_set(StoreDb *db, const StoreActor *a, int quadrant,
                           const StoreFramingCard *c, StoreErr *err);
/* Moves and indicators: contributors add; their author or a facilitator
 * edits and deletes (events framing.move.add|edit|delete,
 * framing.indicator.add|edit|delete). */
int store_framing_move_add(StoreDb *db, const StoreActor *a,
                           const StoreFramingMove *m, long long *id,
                           StoreErr *err);
int store_framing_move_edit(StoreDb *db, const StoreActor *a, long long id,
                            const StoreFramingMove *m, StoreErr *err);
int store_framing_move_delete(StoreDb *db, const StoreActor *a, long long id,
                              StoreErr *err);
int store_framing_indicator_add(StoreDb *db, const StoreActor *a,
                                const StoreFramingIndicator *in, long long *id,
                                StoreErr *err);
int store_framing_indicator_edit(StoreDb *db, const StoreActor *a, long long id,
                                 const StoreFramingIndicator *in,
                                 StoreErr *err);
int store_framing_indicator_delete(StoreDb *db, const StoreActor *a,
                                   long long id, StoreErr *err);

/* The workspace document's "framing" object (used by doc.c). A
 * StoreDocRef gives the index in "items" of the document item a value
 * names, or -1 when there is none. */
typedef int StoreDocRef(void *ctx, json_t *v);
/* Checks doc's "framing" (every problem to is, with its path). */
void store_framing_doc_check(json_t *framing, StoreDocRef *ref, void *ctx,
                             StoreIssues *is);
/* Imports a checked "framing" (NULL: none) into workspace ws; item_ids
 * maps document item indices to database ids. */
int store_framing_doc_import(StoreDb *db, json_t *framing, StoreDocRef *ref,
                             void *ctx, const long long *item_ids, long long ws,
                             const char *at, StoreErr *err);
/* The workspace's framing as a document object, with references only to
 * the exported items (set, sorted, n of them); NULL when there is none. */
int store_framing_doc_export(StoreDb *db, const StoreActor *a,
                             const long long *set, int n, json_t **framing,
                             StoreErr *err);

/* ---- what the server's caches key on (version.c) ---------------------- */

/* A workspace's version: every change writes an event in its own
 * transaction, so (first, last) changes whenever anything it shows does;
 * first tells a workspace from a deleted one whose id was reused. */
typedef struct StoreWsVersion {
    long long first; /* its first event's id, 0 when it has none */
    long long last;  /* its last event's id, 0 when it has none */
} StoreWsVersion;
int store_ws_version(StoreDb *db, long long ws_id, StoreWsVersion *v,
                     StoreErr *err);
/* The distinct items (item_a, item_b) that the workspace's events with
 * after < id <= upto name, ascending, into ids; *n is -1 when there are
 * more than max (the caller rebuilds instead). */
int store_items_touched(StoreDb *db, long long ws_id, long long after,
                        long long upto, long long *ids, int max, int *n,
                        StoreErr *err);
/* A read transaction (a deferred BEGIN): the reads until store_read_end
 * see one snapshot and take the WAL read lock once, not once each. No
 * write may be made in it. */
int store_read_begin(StoreDb *db, StoreErr *err);
void store_read_end(StoreDb *db);
/* Group commit: store_group_begin opens one transaction (BEGIN
 * IMMEDIATE) in which several requests write, each store call's own
 * transaction becoming a savepoint (undone alone when it fails);
 * store_group_commit commits them all with one sync, or rolls them all
 * back (EINTERNAL) when it cannot. Nothing is durable before it returns
 * STORE_OK. */
int store_group_begin(StoreDb *db, StoreErr *err);
int store_group_commit(StoreDb *db, StoreErr *err);
/* Item id's title and body appended to title and body, with *live true,
 * when it is an open, visible item of workspace ws_id; *live false (and
 * nothing appended) otherwise. */
int store_item_text(StoreDb *db, long long ws_id, long long id, bool *live,
                    TBuf *title, TBuf *body, StoreErr *err);

#endif
