/*
 * test_persist.c - crash safety of the server's database: writer
 * processes add items as fast as they can and record every id the
 * server acknowledged (201); the server is killed with SIGKILL in the
 * middle of that loop, then restarted on the same database. Every
 * acknowledged item must be there, with its title, and the database
 * must pass `PRAGMA integrity_check`, both as the crash left it (a copy)
 * and after the restart. Repeated a few rounds, with one and with two
 * writers.
 */
#include "api.h"

#include <sqlite3.h>

#define ROUNDS 3
#define MAX_WRITERS 2
#define WAIT_ACK_MS 30000 /* for the first acknowledged writes */

typedef struct P {
    ApiCtx ctx;
    ApiUser writer[MAX_WRITERS]; /* clones of the owner's session */
    int nwriters;
} P;

static int setup(void **state)
{
    P *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    *state = p;
    if (api_server_init(&p->ctx.srv) != 0) {
        print_error("%s\n", p->ctx.srv.err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    P *p = *state;
    for (int i = 0; i < p->nwriters; i++)
        api_user_free(&p->writer[i]);
    int rc = api_ctx_free(&p->ctx);
    free(p);
    return rc;
}

/* Counts the lines of a file (0 when it is missing). */
static int count_lines(const char *path)
{
    TBuf b = {0};
    int n = 0;
    if (api_read_file(&b, path, (size_t)16 << 20) == 0)
        for (size_t i = 0; i < b.len; i++)
            n += b.data[i] == '\n';
    tbuf_free(&b);
    return n;
}

/* The writer: runs in a child process, so it uses curl directly (a
 * cmocka assertion here would unwind into the parent's test runner).
 * Adds items "round R writer W item I" until the server goes away and
 * appends "ID I\n" to ack for each 201, in one write(2) once the answer
 * is in. Exits 0 when the server went away, 3 on any other answer. */
static void writer_run(ApiUser *u, const char *slug, int round, int w,
                       const char *ack)
{
    int fd = open(ack, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        _exit(4);
    char url[256], hdr[200], body[160], line[64];
    snprintf(url, sizeof url, "%s/api/w/%s/items", u->srv->base, slug);
    snprintf(hdr, sizeof hdr, "X-CSRF-Token: %s", u->csrf);
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    TBuf resp = {0}, head = {0};
    CURL *c = u->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    for (int i = 0; i < 1000000; i++) {
        snprintf(body, sizeof body,
                 "{\"title\":\"round %d writer %d item %d\"}", round, w, i);
        resp.len = 0;
        head.len = 0;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK)
            _exit(0); /* the server is gone: the expected end */
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 201) {
            dprintf(2, "writer %d: item %d got status %ld: %.300s\n", w, i,
                    status, resp.len ? tbuf_cstr(&resp) : "");
            _exit(3);
        }
        json_t *j = json_loadb(resp.data, resp.len, 0, NULL);
        json_t *id = json_object_get(json_object_get(j, "item"), "id");
        if (!json_is_integer(id))
            _exit(5);
        int n = snprintf(line, sizeof line, "%lld %d\n",
                         (long long)json_integer_value(id), i);
        json_decref(j);
        if (write(fd, line, (size_t)n) != n)
            _exit(4);
    }
    _exit(0);
}

/* PRAGMA integrity_check on a database file: "ok" or what it said into
 * out. */
static void integrity(const char *db, char *out, size_t n)
{
    sqlite3 *h = NULL;
    snprintf(out, n, "cannot open");
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(out, n, "cannot open '%s': %s", db,
                 h ? sqlite3_errmsg(h) : "out of memory");
        sqlite3_close(h);
        return;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) ==
        SQLITE_OK) {
        out[0] = '\0';
        while (sqlite3_step(st) == SQLITE_ROW) {
            size_t k = strlen(out);
            snprintf(out + k, n - k, "%s%s", k ? "; " : "",
                     (const char *)sqlite3_column_text(st, 0));
        }
    } else {
        snprintf(out, n, "%s", sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* Copies a file if it exists; 0, or -1 when it exists and cannot be. */
static int copy_file(const char *from, const char *to)
{
    TBuf b = {0};
    if (tbuf_read_file(&b, from, (size_t)1 << 30) != T_OK) {
        tbuf_free(&b);
        return errno == ENOENT ? 0 : -1;
    }
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc =
        fd >= 0 && (b.len == 0 || write(fd, b.data, b.len) == (ssize_t)b.len)
            ? 0
            : -1;
    if (fd >= 0)
        close(fd);
    tbuf_free(&b);
    return rc;
}

/* Checks the database as the crash left it, on a copy (opening the
 * real file would recover it before the server gets the chance). */
static void check_crash_copy(const ApiServer *s, int round)
{
    char from[420], to[440], out[512];
    static const char *const ext[] = {"", "-wal", "-journal"};
    char copy[400];
    snprintf(copy, sizeof copy, "%s/crash%d.db", s->dir, round);
    for (size_t i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s%s", s->db, ext[i]);
        snprintf(to, sizeof to, "%s%s", copy, ext[i]);
        assert_int_equal(copy_file(from, to), 0);
    }
    integrity(copy, out, sizeof out);
    for (size_t i = 0; i < 3; i++) {
        snprintf(to, sizeof to, "%s%s", copy, ext[i]);
        remove(to);
    }
    snprintf(to, sizeof to, "%s-shm", copy);
    remove(to);
    if (strcmp(out, "ok") != 0)
        fail_msg("round %d: the crashed database: integrity_check says '%s'",
                 round, out);
}

/* Checks every acknowledged item of one writer's file after a restart;
 * returns how many there were. */
static int check_acked(ApiUser *o, const char *ack, int round, int w)
{
    TBuf b = {0};
    if (api_read_file(&b, ack, (size_t)16 << 20) != 0) {
        tbuf_free(&b);
        return 0;
    }
    int n = 0;
    for (char *p = b.data; p && *p;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break; /* a torn last line cannot be: write(2) of one line */
        *nl = '\0';
        char *end = NULL;
        long long id = strtoll(p, &end, 10);
        long i = strtol(end, NULL, 10);
        char want[96];
        snprintf(want, sizeof want, "round %d writer %d item %ld", round, w, i);
        const ApiResp *r =
            api_req(o, "GET", NULL, "/api/w/crash/items/%lld", id);
        if (r->status != 200 ||
            !json_is_string(api_at(r->json, "item.title")) ||
            strcmp(json_string_value(api_at(r->json, "item.title")), want) !=
                0) {
            tbuf_free(&b);
            API_FAIL(r, "round %d: acknowledged item %lld ('%s') lost\n", round,
                     id, want);
        }
        n++;
        p = nl + 1;
    }
    tbuf_free(&b);
    return n;
}

static void test_kill_mid_write(void **state)
{
    P *p = *state;
    ApiServer *s = &p->ctx.srv;
    if (api_server_start(s) != 0) {
        api_server_dump(s);
        fail_msg("%s", s->err);
    }
    ApiUser *o = api_ctx_user(&p->ctx, "owner");
    API_STATUS(
        api_json(o, "POST",
                 json_pack("{s:s, s:s}", "name", "Crash", "slug", "crash"),
                 "/api/workspaces"),
        201);

    int total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int nw = round == 0 ? 1 : 2;
        char ack[MAX_WRITERS][400];
        pid_t kid[MAX_WRITERS];
        for (int w = 0; w < nw; w++) {
            snprintf(ack[w], sizeof ack[w], "%s/acked.%d.%d", s->dir, round, w);
            api_user_clone(&p->writer[w], o);
            p->nwriters = w + 1;
            fflush(NULL);
            kid[w] = fork();
            assert_true(kid[w] >= 0);
            if (kid[w] == 0)
                writer_run(&p->writer[w], "crash", round, w, ack[w]);
        }
        for (int w = 0; w < nw; w++)
            api_user_free(&p->writer[w]);
        p->nwriters = 0;

        /* let them get going, then pull the plug mid-loop at a point
         * that differs from round to round */
        int want = 15 + 20 * round;
        long t0 = api_now_ms();
        int got = 0;
        while ((got = count_lines(ack[0])) < want &&
               api_now_ms() - t0 < WAIT_ACK_MS && api_server_alive(s))
            api_sleep_ms(2);
        api_sleep_ms(round * 3);
        int alive = api_server_alive(s);
        api_server_kill(s);

        int bad = 0;
        for (int w = 0; w < nw; w++) {
            int st = 0;
            waitpid(kid[w], &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                bad = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (!alive || got < want || bad) {
            api_server_dump(s);
            fail_msg("round %d: server alive %d, %d of %d writes "
                     "acknowledged, a writer exited with %d",
                     round, alive, got, want, bad);
        }

        check_crash_copy(s, round);
        if (api_server_start(s) != 0) {
            api_server_dump(s);
            fail_msg("round %d: restart: %s", round, s->err);
        }
        /* the account and its session outlived the crash */
        API_STATUS(api_req(o, "GET", NULL, "/api/me"), 200);
        int acked = 0;
        for (int w = 0; w < nw; w++)
            acked += check_acked(o, ack[w], round, w);
        total += acked;
        const ApiResp *r =
            api_req(o, "GET", NULL, "/api/w/crash/items?status=all");
        API_STATUS(r, 200);
        int nitems = (int)json_array_size(API_ARR(r, "items"));
        /* every acknowledged one, at most one unacknowledged in flight
         * per writer per round */
        if (nitems < total || nitems > total + 2 * (round + 1))
            API_FAIL(r, "round %d: %d items, %d acknowledged\n", round, nitems,
                     total);
        r = api_req(o, "GET", NULL, "/api/w/crash");
        API_STATUS(r, 200);
        assert_int_equal(API_INT(r, "workspace.counts.items"), nitems);
        print_message("round %d: %d acknowledged writes survived\n", round,
                      acked);
    }
    /* a clean stop, and the file is sound */
    if (api_server_stop(s) != 0) {
        api_server_dump(s);
        fail_msg("%s", s->err);
    }
    char out[512];
    integrity(s->db, out, sizeof out);
    assert_string_equal(out, "ok");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_mid_write, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
