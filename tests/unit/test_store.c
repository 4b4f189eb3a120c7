/*
 * test_store.c - unit tests of the store (src/store): opening, migrating
 * and seeding a database; accounts, sessions and the first account's
 * claim on unowned workspaces; roles and the last owner; items with the
 * rules that depend on the data (authorship, the lock, themes of the same
 * workspace); merging, hiding, rollback and the event log written with
 * each change; the workspace document's checks (every problem with its
 * field path, nothing imported when there is one) and its round trip.
 *
 * Each test gets a fresh database in a temp folder, removed by its
 * teardown, so a failing assertion leaks nothing.
 */
#include "unit.h"

#include <sqlite3.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"

typedef struct S {
    char dir[256];  /* temp folder */
    char path[300]; /* dir/t.db */
    StoreDb *db;    /* open on path */
    json_t *j;      /* a JSON value a test holds (freed by teardown) */
    StoreIssues is; /* problems a test collects */
} S;

static const char DOC[] =
    "{\"format\":\"territory-workspace\",\"version\":1,"
    "\"slug\":\"doc\",\"name\":\"A document\",\"description\":\"d\","
    "\"themes\":[{\"id\":\"t1\",\"name\":\"Money\",\"color\":\"#D95F02\"}],"
    "\"items\":["
    "{\"id\":\"a\",\"title\":\"Demand rises\",\"body\":\"b\",\"theme\":\"t1\","
    " \"source\":{\"document\":\"x.txt\",\"quote\":\"q\"},"
    " \"evidence\":[{\"kind\":\"figure\",\"text\":\"calls\",\"source\":\"log\","
    "  \"value\":12.5}]},"
    "{\"id\":\"b\",\"title\":\"Spending falls\"},"
    "{\"id\":\"c\",\"title\":\"Demand grows\",\"status\":\"merged\","
    " \"merged_into\":\"a\"},"
    "{\"id\":7,\"title\":\"An integer id\",\"importance\":3.5,\"ratings\":2}],"
    "\"links\":[{\"from\":\"a\",\"to\":\"b\",\"polarity\":\"+\",\"delay\":true,"
    " \"note\":\"n\"},{\"from\":\"b\",\"to\":\"a\",\"polarity\":\"-\"},"
    " {\"from\":7,\"to\":\"a\",\"polarity\":\"+\"}]}";

static int setup(void **state)
{
    S *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/territory-store.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        free(s);
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s/t.db", s->dir);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    S *s = *state;
    store_close(s->db);
    json_decref(s->j);
    store_issues_free(&s->is);
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s%s", s->path, ext[i]);
        unlink(p);
    }
    rmdir(s->dir);
    free(s);
    return 0;
}

/* Opens s->path, creating it, seeded with seed (NULL for none). */
static StoreDb *open_db(S *s, const char *seed)
{
    StoreOpenOpts o = {
        .create = true, .seed = seed, .seed_len = seed ? strlen(seed) : 0};
    StoreErr e = {0};
    int rc = store_open(s->path, &o, &s->db, &e);
    if (rc != STORE_OK)
        fail_msg("store_open: %s", e.message);
    return s->db;
}

#define OK(call)                                                               \
    do {                                                                       \
        StoreErr e_ = {0};                                                     \
        StoreErr *err = &e_;                                                   \
        int rc_ = (call);                                                      \
        if (rc_ != STORE_OK)                                                   \
            fail_msg("%s: rc %d %s %s: %s", #call, rc_, e_.code, e_.field,     \
                     e_.message);                                              \
    } while (0)

/* Fails unless call fails with rc, code and (when not NULL) field. */
#define FAILS(call, want_rc, want_code, want_field)                            \
    do {                                                                       \
        StoreErr e_ = {0};                                                     \
        StoreErr *err = &e_;                                                   \
        int rc_ = (call);                                                      \
        if (rc_ != (want_rc) || strcmp(e_.code, (want_code)) ||                \
            ((want_field) &&                                                   \
             strcmp(e_.field, (want_field) ? want_field : "")))                \
            fail_msg("%s: rc %d code '%s' field '%s' (%s)", #call, rc_,        \
                     e_.code, e_.field, e_.message);                           \
        assert_true(e_.message[0] != '\0');                                    \
    } while (0)

/* A user with a fake hash; returns the id. */
static long long user(StoreDb *db, const char *email)
{
    long long uid = 0;
    OK(store_user_add(db, email, "$argon2id$fake", email, &uid, err));
    return uid;
}

static StoreActor actor(StoreDb *db, const char *slug, long long uid)
{
    StoreActor a;
    OK(store_actor(db, slug, uid, &a, err));
    return a;
}

/* The number of events of action in the actor's workspace. */
static int count_events(StoreDb *db, const StoreActor *a, const char *action)
{
    json_t *ev = NULL;
    OK(store_events(db, a, 0, 500, &ev, err));
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        n += !strcmp(json_string_value(json_object_get(e, "action")), action);
    }
    json_decref(ev);
    return n;
}

/* ---- opening ---------------------------------------------------------- */

static void test_open_migrate_seed(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, DOC);
    json_t *slugs = NULL;
    OK(store_ws_slugs(db, &slugs, err));
    assert_int_equal(json_array_size(slugs), 1);
    assert_string_equal(json_string_value(json_array_get(slugs, 0)), "doc");
    json_decref(slugs);
    store_close(db);
    s->db = NULL;

    /* reopening neither seeds again nor loses anything */
    db = open_db(s, DOC);
    OK(store_ws_slugs(db, &slugs, err));
    assert_int_equal(json_array_size(slugs), 1);
    json_decref(slugs);
    store_close(db);
    s->db = NULL;

    /* the schema version, and WAL */
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(s->path, &h), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), store_schema_version());
    sqlite3_finalize(st);
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* a database from a newer program is refused, not guessed at */
    sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL);
    sqlite3_close(h);
    StoreOpenOpts o = {.create = false};
    StoreErr e = {0};
    assert_int_equal(store_open(s->path, &o, &s->db, &e), STORE_EINTERNAL);
    assert_null(s->db);
    assert_non_null(strstr(e.message, "newer"));
}

static void test_open_missing_and_bad_seed(void **state)
{
    S *s = *state;
    StoreOpenOpts o = {.create = false};
    StoreErr e = {0};
    assert_int_not_equal(store_open(s->path, &o, &s->db, &e), STORE_OK);
    assert_null(s->db);
    assert_non_null(strstr(e.message, "cannot open database"));
    /* a seed that is not valid is an error that names the problem, and
     * leaves no half-made database behind to be taken as seeded */
    o = (StoreOpenOpts){
        .create = true, .seed = "{\"format\":1}", .seed_len = 12};
    assert_int_not_equal(store_open(s->path, &o, &s->db, &e), STORE_OK);
    assert_non_null(strstr(e.message, "starter workspace is not valid"));
    o = (StoreOpenOpts){.create = true, .seed = DOC, .seed_len = strlen(DOC)};
    assert_int_equal(store_open(s->path, &o, &s->db, &e), STORE_OK);
    json_t *slugs = NULL;
    OK(store_ws_slugs(s->db, &slugs, err));
    assert_int_equal(json_array_size(slugs), 1);
    json_decref(slugs);
}

/* ---- accounts --------------------------------------------------------- */

static void test_users_sessions_claim(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, DOC);
    long long first = user(db, "First@example.org");
    long long uid = 0;
    FAILS(store_user_add(db, "first@EXAMPLE.org", "h", "Again", &uid, err),
          STORE_ECONFLICT, "conflict", "email");
    long long second = user(db, "second@example.org");

    /* the first account owns the seeded workspace, the second does not */
    StoreActor a = actor(db, "doc", first);
    assert_int_equal(a.role, STORE_OWNER);
    StoreActor b;
    FAILS(store_actor(db, "doc", second, &b, err), STORE_ENOTFOUND, "not_found",
          NULL);
    /* and not being a member looks exactly like no workspace at all */
    StoreErr e1 = {0}, e2 = {0};
    store_actor(db, "doc", second, &b, &e1);
    store_actor(db, "nothing", second, &b, &e2);
    assert_string_equal(e1.code, e2.code);

    char hash[128];
    OK(store_user_by_email(db, "FIRST@example.org", &uid, hash, sizeof hash,
                           err));
    assert_int_equal(uid, first);
    assert_string_equal(hash, "$argon2id$fake");

    OK(store_session_add(db, "h1", first, "csrf-1", err));
    char csrf[64];
    OK(store_session_find(db, "h1", &uid, csrf, sizeof csrf, err));
    assert_int_equal(uid, first);
    assert_string_equal(csrf, "csrf-1");
    OK(store_session_delete(db, "h1", err));
    FAILS(store_session_find(db, "h1", &uid, csrf, sizeof csrf, err),
          STORE_EAUTH, "unauthenticated", NULL);

    /* an import after the first account belongs to it (claim_first) */
    char slug[80];
    OK(store_doc_import(db, DOC, strlen(DOC), 0, true, "second-copy", slug,
                        sizeof slug, &s->is, err));
    assert_string_equal(slug, "second-copy");
    assert_int_equal(actor(db, "second-copy", first).role, STORE_OWNER);
}

static void test_roles_and_last_owner(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, NULL);
    long long o = user(db, "o@x.org"), f = user(db, "f@x.org");
    char slug[80];
    OK(store_ws_create(db, o, "Hello, World!", NULL, NULL, slug, sizeof slug,
                       err));
    assert_string_equal(slug, "hello-world");
    OK(store_ws_create(db, o, "Hello world", NULL, NULL, slug, sizeof slug,
                       err));
    assert_string_equal(slug, "hello-world-2");
    FAILS(store_ws_create(db, o, "x", "hello-world", NULL, slug, sizeof slug,
                          err),
          STORE_ECONFLICT, "conflict", "slug");

    StoreActor a = actor(db, "hello-world", o);
    OK(store_invite_add(db, &a, STORE_FACILITATOR, "inv", err));
    FAILS(store_invite_add(db, &a, STORE_OWNER, "inv2", err), STORE_EINPUT,
          "bad_field", "role");
    OK(store_invite_accept(db, "inv", f, slug, sizeof slug, err));
    assert_string_equal(slug, "hello-world");
    assert_int_equal(actor(db, "hello-world", f).role, STORE_FACILITATOR);
    /* a second, lower invite keeps the higher role */
    OK(store_invite_add(db, &a, STORE_VIEWER, "inv3", err));
    OK(store_invite_accept(db, "inv3", f, slug, sizeof slug, err));
    assert_int_equal(actor(db, "hello-world", f).role, STORE_FACILITATOR);
    FAILS(store_invite_accept(db, "nope", f, slug, sizeof slug, err),
          STORE_ENOTFOUND, "not_found", NULL);

    /* the last owner cannot step down or leave; with two, one can */
    json_t *m = NULL;
    FAILS(store_member_role(db, &a, o, STORE_VIEWER, &m, err), STORE_ECONFLICT,
          "conflict", NULL);
    FAILS(store_member_remove(db, &a, o, err), STORE_ECONFLICT, "conflict",
          NULL);
    OK(store_member_role(db, &a, f, STORE_OWNER, &s->j, err));
    assert_string_equal(json_string_value(json_object_get(s->j, "role")),
                        "owner");
    OK(store_member_role(db, &a, o, STORE_VIEWER, &m, err));
    json_decref(m);
    FAILS(store_member_role(db, &a, 999, STORE_VIEWER, &m, err),
          STORE_ENOTFOUND, "not_found", NULL);
    assert_int_equal(count_events(db, &a, "member.role"), 2);
    assert_int_equal(count_events(db, &a, "member.join"), 2);
}

/* ---- items ------------------------------------------------------------ */

/* A workspace "w" owned by o, with c a contributor and f a facilitator. */
static void three(StoreDb *db, long long *o, long long *f, long long *c)
{
    char slug[80];
    *o = user(db, "o@x.org");
    *f = user(db, "f@x.org");
    *c = user(db, "c@x.org");
    OK(store_ws_create(db, *o, "W", "w", "", slug, sizeof slug, err));
    StoreActor a = actor(db, "w", *o);
    OK(store_invite_add(db, &a, STORE_FACILITATOR, "if", err));
    OK(store_invite_add(db, &a, STORE_CONTRIBUTOR, "ic", err));
    OK(store_invite_accept(db, "if", *f, slug, sizeof slug, err));
    OK(store_invite_accept(db, "ic", *c, slug, sizeof slug, err));
}

static long long add(StoreDb *db, const StoreActor *a, const char *title)
{
    StoreItemEdit e = {.title = title};
    long long id = 0;
    OK(store_item_add(db, a, &e, &id, err));
    return id;
}

static void test_item_rules(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, NULL);
    long long o, f, c;
    three(db, &o, &f, &c);
    StoreActor ac = actor(db, "w", c), af = actor(db, "w", f);
    long long mine = add(db, &ac, "mine");
    long long theirs = add(db, &af, "theirs");

    StoreItemEdit ed = {.title = "renamed"};
    OK(store_item_edit(db, &ac, mine, &ed, err));
    FAILS(store_item_edit(db, &ac, theirs, &ed, err), STORE_EFORBIDDEN,
          "forbidden", NULL);
    OK(store_item_edit(db, &af, mine, &ed, err));
    FAILS(store_item_edit(db, &ac, 99999, &ed, err), STORE_ENOTFOUND,
          "not_found", NULL);
    /* a theme of another workspace is not one of this */
    StoreItemEdit th = {.set_theme = true, .theme_id = 12345};
    FAILS(store_item_edit(db, &ac, mine, &th, err), STORE_EINPUT, "bad_field",
          "theme_id");

    /* the lock: contributors stop, facilitators go on */
    StoreWsEdit lock = {.locked = 1};
    OK(store_ws_edit(db, &af, &lock, err));
    FAILS(store_item_edit(db, &ac, mine, &ed, err), STORE_ELOCKED, "locked",
          NULL);
    StoreItemEdit more = {.title = "late"};
    long long id = 0;
    FAILS(store_item_add(db, &ac, &more, &id, err), STORE_ELOCKED, "locked",
          NULL);
    add(db, &af, "facilitator's, locked");
    lock.locked = 0;
    OK(store_ws_edit(db, &af, &lock, err));
    assert_int_equal(count_events(db, &af, "workspace.lock"), 1);
    assert_int_equal(count_events(db, &af, "workspace.unlock"), 1);

    /* ratings: one per member, means over members */
    OK(store_item_rate(db, &ac, mine, 4, 2, err));
    OK(store_item_rate(db, &af, mine, 1, 5, err));
    OK(store_item_rate(db, &af, mine, 2, 2, err));
    OK(store_item_get(db, &ac, mine, true, &s->j, err));
    assert_int_equal(json_integer_value(json_object_get(s->j, "ratings")), 2);
    assert_close(json_number_value(json_object_get(s->j, "importance")), 3);
    assert_close(json_number_value(json_object_get(s->j, "uncertainty")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(s->j, "my_rating"), "importance")),
                     4);
    assert_string_equal(json_string_value(json_object_get(s->j, "title")),
                        "renamed");
}

static void test_merge_hide_rollback(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, NULL);
    long long o, f, c;
    three(db, &o, &f, &c);
    StoreActor ac = actor(db, "w", c), af = actor(db, "w", f);
    StoreActor ao = actor(db, "w", o);
    ao.role = STORE_VIEWER; /* to see what a viewer sees */
    long long a = add(db, &ac, "Too few social workers zq7x");
    long long b = add(db, &ac, "Shortage of social workers");
    long long x = add(db, &ac, "Caseloads");
    long long l1 = 0, l2 = 0, l3 = 0;
    StoreLinkEdit le = {.from = a, .to = x, .polarity = "+", .delay = -1};
    OK(store_link_add(db, &ac, &le, &l1, err));
    le = (StoreLinkEdit){.from = b, .to = x, .polarity = "+", .delay = -1};
    OK(store_link_add(db, &ac, &le, &l2, err));
    le = (StoreLinkEdit){.from = a, .to = b, .polarity = "-", .delay = -1};
    OK(store_link_add(db, &ac, &le, &l3, err));
    FAILS(store_link_add(db, &ac, &le, &l3, err), STORE_ECONFLICT, "conflict",
          NULL);
    le = (StoreLinkEdit){.from = a, .to = a, .polarity = "-", .delay = -1};
    FAILS(store_link_add(db, &ac, &le, &l3, err), STORE_EINPUT, "bad_field",
          "to");

    FAILS(store_item_merge(db, &af, a, a, err), STORE_EINPUT, "bad_field",
          "into");
    OK(store_item_merge(db, &af, a, b, err));
    json_t *links = NULL;
    OK(store_links_list(db, &af, false, &links, err));
    assert_int_equal(json_array_size(links), 1); /* b -> x; a->x, b->b gone */
    json_decref(links);
    FAILS(store_item_merge(db, &af, x, a, err), STORE_EINPUT, "bad_field",
          "into");

    /* rollback: the state just after an event of the item */
    long long y = add(db, &ac, "version one");
    StoreItemEdit ed = {.title = "version two"};
    OK(store_item_edit(db, &ac, y, &ed, err));
    json_t *ev = NULL;
    OK(store_events(db, &af, 0, 10, &ev, err));
    long long e_edit = 0, e_add = 0;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *act = json_string_value(json_object_get(e, "action"));
        long long t = json_integer_value(json_object_get(e, "target_id"));
        if (t == y && !strcmp(act, "item.edit"))
            e_edit = json_integer_value(json_object_get(e, "id"));
        if (t == y && !strcmp(act, "item.add"))
            e_add = json_integer_value(json_object_get(e, "id"));
    }
    json_decref(ev);
    assert_true(e_add > 0 && e_edit > e_add);
    OK(store_item_rollback(db, &af, y, e_add, err));
    OK(store_item_get(db, &af, y, false, &s->j, err));
    assert_string_equal(json_string_value(json_object_get(s->j, "title")),
                        "version one");
    FAILS(store_item_rollback(db, &af, x, e_add, err), STORE_EINPUT,
          "bad_field", "event_id");

    /* hiding: a viewer loses the item and the texts of its events */
    OK(store_item_hide(db, &af, b, true, err));
    json_t *item = NULL;
    FAILS(store_item_get(db, &ao, b, false, &item, err), STORE_ENOTFOUND,
          "not_found", NULL);
    OK(store_events(db, &ao, 0, 100, &ev, err));
    char *text = json_dumps(ev, 0);
    assert_null(strstr(text, "Shortage"));
    free(text);
    json_decref(ev);
    OK(store_events(db, &af, 0, 100, &ev, err));
    text = json_dumps(ev, 0);
    assert_non_null(strstr(text, "Shortage"));
    free(text);
    json_decref(ev);
}

/* ---- the workspace document ------------------------------------------- */

static void test_doc_problems(void **state)
{
    S *s = *state;
    static const char bad[] =
        "{\"format\":\"territory-workspace\",\"version\":2,\"name\":\"\","
        "\"slug\":\"Bad Slug\",\"themes\":[{\"id\":\"t\",\"name\":\"T\","
        "\"color\":\"red\"},{\"id\":\"t\",\"name\":\"Again\"}],"
        "\"items\":[{\"id\":\"a\",\"title\":\"A\",\"theme\":\"demnd\"},"
        "{\"id\":\"a\",\"title\":5},{\"title\":\"no id\"},"
        "{\"id\":\"m\",\"title\":\"M\",\"merged_into\":\"m\","
        " \"evidence\":[{\"kind\":\"figure\",\"text\":\"f\"}]}],"
        "\"links\":[{\"from\":\"a\",\"to\":\"zz\",\"polarity\":\"+\"},"
        "{\"from\":\"a\",\"to\":\"m\",\"polarity\":\"x\",\"delay\":3}]}";
    assert_int_equal(store_doc_check(bad, strlen(bad), &s->is), STORE_EINPUT);
    static const char *const want[][2] = {
        {"version", "must be 1"},
        {"slug", "must be"},
        {"name", "must be 1 to"},
        {"themes[0].color", "#rrggbb"},
        {"themes[1].id", "a second theme"},
        {"items[1].id", "a second item"},
        {"items[2].id", "missing"},
        {"items[0].theme", "unknown theme 'demnd'"},
        {"items[1].title", "must be a string"},
        {"items[3].merged_into", "itself"},
        {"items[3].evidence[0].value", "needs a value"},
        {"items[3].evidence[0].source", "needs a source"},
        {"links[0].to", "unknown item 'zz'"},
        {"links[1].polarity", "must be"},
        {"links[1].delay", "true or false"},
    };
    size_t n = sizeof want / sizeof *want;
    for (size_t k = 0; k < n; k++) {
        bool found = false;
        for (int i = 0; i < s->is.len; i++)
            found |= !strcmp(s->is.items[i].field, want[k][0]) &&
                     strstr(s->is.items[i].message, want[k][1]);
        if (!found) {
            for (int i = 0; i < s->is.len; i++)
                print_error("%s: %s\n", s->is.items[i].field,
                            s->is.items[i].message);
            fail_msg("no problem '%s: ...%s...'", want[k][0], want[k][1]);
        }
    }
    assert_int_equal(s->is.len, (int)n);

    /* malformed JSON: line and column */
    store_issues_free(&s->is);
    assert_int_equal(store_doc_check("{\n  \"a\": ]", 10, &s->is),
                     STORE_EINPUT);
    assert_int_equal(s->is.len, 1);
    assert_non_null(strstr(s->is.items[0].message, "line 2, column"));

    /* nothing is imported when there is a problem */
    store_issues_free(&s->is);
    StoreDb *db = open_db(s, NULL);
    char slug[80];
    FAILS(store_doc_import(db, bad, strlen(bad), 0, false, NULL, slug,
                           sizeof slug, &s->is, err),
          STORE_EINPUT, "bad_field", "version");
    json_t *slugs = NULL;
    OK(store_ws_slugs(db, &slugs, err));
    assert_int_equal(json_array_size(slugs), 0);
    json_decref(slugs);
}

static void test_doc_round_trip(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, DOC);
    long long uid = user(db, "o@x.org");
    StoreActor a = actor(db, "doc", uid);
    OK(store_doc_export(db, &a, true, false, &s->j, err));
    /* ids are strings; references resolve inside the document */
    json_t *items = json_object_get(s->j, "items");
    assert_int_equal(json_array_size(items), 4);
    assert_int_equal(json_array_size(json_object_get(s->j, "links")), 3);
    json_t *t0 = json_array_get(json_object_get(s->j, "themes"), 0);
    assert_string_equal(json_string_value(json_object_get(t0, "color")),
                        "#d95f02");
    json_t *ia = json_array_get(items, 0), *ic = json_array_get(items, 2);
    assert_true(json_is_string(json_object_get(ia, "id")));
    assert_true(
        json_equal(json_object_get(ia, "theme"), json_object_get(t0, "id")));
    assert_true(json_equal(json_object_get(ic, "merged_into"),
                           json_object_get(ia, "id")));
    assert_string_equal(json_string_value(json_object_get(ic, "status")),
                        "merged");
    json_t *ev0 = json_array_get(json_object_get(ia, "evidence"), 0);
    assert_close(json_number_value(json_object_get(ev0, "value")), 12.5);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ia, "source"), "quote")),
                        "q");
    /* the export imports again, as an equal copy */
    json_object_set_new(s->j, "slug", json_string("copy"));
    char *text = json_dumps(s->j, 0);
    char slug[80];
    StoreErr e = {0};
    int rc = store_doc_import(db, text, strlen(text), uid, false, NULL, slug,
                              sizeof slug, &s->is, &e);
    free(text);
    assert_int_equal(rc, STORE_OK);
    StoreActor b = actor(db, "copy", uid);
    json_t *again = NULL;
    OK(store_doc_export(db, &b, true, false, &again, err));
    json_t *i2 = json_object_get(again, "items");
    assert_int_equal(json_array_size(i2), 4);
    for (size_t i = 0; i < 4; i++)
        assert_true(
            json_equal(json_object_get(json_array_get(items, i), "title"),
                       json_object_get(json_array_get(i2, i), "title")));
    assert_int_equal(json_array_size(json_object_get(again, "links")), 3);
    json_decref(again);
    /* the slug is taken now */
    text = json_dumps(s->j, 0);
    rc = store_doc_import(db, text, strlen(text), uid, false, NULL, slug,
                          sizeof slug, &s->is, &e);
    free(text);
    assert_int_equal(rc, STORE_ECONFLICT);
}

/* The statement cache hands out a spare when the cached statement is
 * busy: two reads of the same SQL open at once both work, and every
 * statement goes back (the map, read many times, stays right). */
static void test_statement_cache(void **state)
{
    S *s = *state;
    StoreDb *db = open_db(s, DOC);
    StoreErr e = {0};
    const char *sql = "SELECT id FROM items ORDER BY id";
    sqlite3_stmt *one = db_query(db, &e, sql, "");
    assert_non_null(one);
    assert_int_equal(sqlite3_step(one), SQLITE_ROW);
    sqlite3_stmt *two = db_query(db, &e, sql, "");
    assert_non_null(two);
    assert_ptr_not_equal(one, two);
    int n = 0;
    while (sqlite3_step(two) == SQLITE_ROW)
        n++;
    assert_int_equal(n, 4);
    assert_int_equal(sqlite3_step(one), SQLITE_ROW); /* undisturbed */
    db_done(db, two);
    db_done(db, one);
    /* the cached one is free again and comes back reset */
    sqlite3_stmt *three = db_query(db, &e, sql, "");
    assert_ptr_equal(three, one);
    db_done(db, three);

    long long uid = user(db, "o@x.org");
    StoreActor a = actor(db, "doc", uid);
    for (int i = 0; i < 200; i++) {
        json_t *m = NULL;
        OK(store_map(db, &a, &m, err));
        assert_int_equal(json_array_size(json_object_get(m, "nodes")), 3);
        assert_int_equal(json_array_size(json_object_get(m, "edges")), 3);
        json_decref(m);
    }
}

/* Summaries clip texts at whole characters, so they stay valid UTF-8
 * however small the buffer. */
static void test_clip(void **state)
{
    (void)state;
    char out[16];
    store_clip(out, sizeof out, "short", 100);
    assert_string_equal(out, "short");
    store_clip(out, sizeof out, "abcdefghij", 4);
    assert_string_equal(out, "abcd...");
    /* "é" is two bytes: 16 bytes hold 6 of them, the dots and the NUL */
    store_clip(
        out, sizeof out,
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
        100);
    assert_string_equal(out,
                        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
    assert_true(store_text_ok(out, 1, 100));
    /* a four-byte character never splits either */
    char tiny[7];
    store_clip(tiny, sizeof tiny, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 100);
    assert_string_equal(tiny, "...");
    assert_true(store_text_ok("\xf0\x9f\x98\x80", 1, 1));
    assert_false(store_text_ok("\xff", 0, 10));
    assert_false(store_text_ok("ab", 3, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrate_seed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_missing_and_bad_seed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_users_sessions_claim, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_last_owner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_item_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_hide_rollback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_doc_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_round_trip, setup, teardown),
        cmocka_unit_test(test_clip),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
