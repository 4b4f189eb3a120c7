/*
 * api.h - helpers shared by the HTTP API tests (docs/http-api.md): a
 * server started from $TERRITORY on an ephemeral loopback port in its own
 * temp folder, a libcurl client per "user" with its own cookie jar and
 * CSRF token, small JSON accessors, and the checks every response must
 * pass whatever the test (never 500, errors shaped as the contract says,
 * JSON where JSON is due, no e-mail address of another user, no HTML
 * built from the hostile title).
 *
 * Header-only (static functions) because the Makefile builds each
 * tests/api/test_*.c into its own binary with nothing else.
 *
 * Ownership: an ApiServer owns its temp folder and its process
 * (api_server_free() kills what is left and removes the folder); an
 * ApiUser owns its curl handle and its last response, which stays valid
 * until its next request, so a failing assertion leaks nothing as long as
 * the test's state is freed by a teardown.
 */
#ifndef TERRITORY_TEST_API_H
#define TERRITORY_TEST_API_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/core.h"

#define API_BODY_MAX ((size_t)32 << 20) /* cap on a response body */
#define API_HEAD_MAX ((size_t)64 << 10) /* cap on a response's headers */
#define API_START_MS 10000              /* how long the server may take */
#define API_STOP_MS 10000               /* ... and to stop on SIGTERM */
#define API_MAX_USERS 12                /* users one ApiCtx can hold */
#define API_XSS "<img src=x onerror=alert(1)>" /* the hostile title */

/* ---- small utilities -------------------------------------------------- */

/* Sleeps ms milliseconds (nanosleep restarts after a signal). */
static inline void api_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static inline long api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies src into dst of size n, always NUL-terminated (truncates). */
static inline void api_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Case-insensitive strstr, for header names and attribute lists. */
static inline const char *api_stristr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* Reads at most max bytes of a file into b (NUL-terminated); 0 or -1. */
static inline int api_read_file(TBuf *b, const char *path, size_t max)
{
    b->len = 0;
    int rc = tbuf_read_file(b, path, max);
    tbuf_cstr(b);
    return rc == T_OK ? 0 : -1;
}

/* Removes a folder and the files in it (the tests make flat folders). */
static inline void api_rmtree(const char *dir)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            remove(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Makes a fresh temp folder under $TMPDIR into dir; 0 or -1. */
static inline int api_mkdtemp(char *dir, size_t n, const char *stem)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/%s.XXXXXX", tmp && tmp[0] ? tmp : "/tmp", stem);
    return mkdtemp(dir) ? 0 : -1;
}

/* ---- the server ------------------------------------------------------- */

typedef struct ApiServer {
    char dir[256];    /* temp folder: the database and the logs */
    char db[320];     /* dir/t.db */
    char base[80];    /* http://127.0.0.1:PORT, no trailing slash */
    char host[64];    /* 127.0.0.1:PORT, for Origin checks */
    int port;         /* read from the server's first line */
    pid_t pid;        /* the running server, 0 when none */
    int starts;       /* how many times it was started (names the logs) */
    const char *flag; /* one more argument to serve (a literal), or NULL */
    char err[512];    /* why start or stop failed */
} ApiServer;

/* The server binary: $TERRITORY, else build/territory. */
static inline const char *api_server_bin(void)
{
    const char *t = getenv("TERRITORY");
    return t && t[0] ? t : "build/territory";
}

/* Makes the temp folder; the server is started by api_server_start(). */
static inline int api_server_init(ApiServer *s)
{
    memset(s, 0, sizeof *s);
    if (api_mkdtemp(s->dir, sizeof s->dir, "territory-api") != 0) {
        snprintf(s->err, sizeof s->err, "cannot make a temp folder: %s",
                 strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    snprintf(s->db, sizeof s->db, "%s/t.db", s->dir);
    return 0;
}

/* Prints the tail of the server's standard error (for failures). */
static inline void api_server_dump(const ApiServer *s)
{
    char path[400];
    TBuf b = {0};
    snprintf(path, sizeof path, "%s/stderr.log", s->dir);
    if (api_read_file(&b, path, (size_t)64 << 20) == 0 && b.len > 0) {
        size_t from = b.len > 3000 ? b.len - 3000 : 0;
        print_message("--- server stderr (last %zu bytes) ---\n%s\n---\n",
                      b.len - from, b.data + from);
    }
    tbuf_free(&b);
}

/* Parses "territory: listening on http://HOST:PORT/\n" exactly. */
static inline int parse_listen_line(ApiServer *s, const char *line, size_t len)
{
    static const char pre[] = "territory: listening on http://";
    if (len < sizeof pre || strncmp(line, pre, sizeof pre - 1) != 0)
        return -1;
    const char *h = line + sizeof pre - 1;
    const char *colon = memchr(h, ':', len - (size_t)(h - line));
    if (!colon || (size_t)(colon - h) >= sizeof s->host - 8)
        return -1;
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || port <= 0 || port > 65535 || end[0] != '/' || end[1] != '\n')
        return -1;
    if ((size_t)(end + 2 - line) != len)
        return -1; /* anything after the line: more than one line */
    s->port = (int)port;
    snprintf(s->host, sizeof s->host, "%.*s:%ld", (int)(colon - h), h, port);
    snprintf(s->base, sizeof s->base, "http://%s", s->host);
    return 0;
}

/* Starts `$TERRITORY serve --db DIR/t.db --host 127.0.0.1 --port 0` with
 * its output in files (a pipe could fill and stall it) and waits up to
 * API_START_MS for its one line. 0, or -1 with s->err set. */
static inline int api_server_start(ApiServer *s)
{
    char out[400], errlog[400];
    s->starts++;
    snprintf(out, sizeof out, "%s/stdout.%d.log", s->dir, s->starts);
    snprintf(errlog, sizeof errlog, "%s/stderr.log", s->dir);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int fe = open(errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fo < 0 || fe < 0) {
        snprintf(s->err, sizeof s->err, "cannot open the server logs: %s",
                 strerror(errno));
        if (fo >= 0)
            close(fo);
        if (fe >= 0)
            close(fe);
        return -1;
    }
    const char *bin = api_server_bin();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        execl(bin, bin, "serve", "--db", s->db, "--host", "127.0.0.1", "--port",
              "0", s->flag, (char *)NULL);
        dprintf(2, "api.h: cannot run '%s': %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fo);
    close(fe);
    if (pid < 0) {
        snprintf(s->err, sizeof s->err, "fork: %s", strerror(errno));
        return -1;
    }
    s->pid = pid;
    long t0 = api_now_ms();
    TBuf b = {0};
    for (;;) {
        if (api_read_file(&b, out, 4096) == 0) {
            char *nl = memchr(b.data, '\n', b.len);
            if (nl) {
                /* give a second line, if any, a moment to show up */
                api_sleep_ms(50);
                api_read_file(&b, out, 4096);
                int rc = parse_listen_line(s, b.data, b.len);
                if (rc != 0)
                    snprintf(s->err, sizeof s->err,
                             "'%s' printed %zu bytes, not exactly one line "
                             "'territory: listening on http://HOST:PORT/': "
                             "'%.200s'",
                             bin, b.len, b.data);
                tbuf_free(&b);
                return rc;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            snprintf(s->err, sizeof s->err,
                     "'%s serve' exited (status %d) before listening", bin,
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            tbuf_free(&b);
            return -1;
        }
        if (api_now_ms() - t0 > API_START_MS) {
            snprintf(s->err, sizeof s->err,
                     "'%s serve' printed no complete line in %d ms", bin,
                     API_START_MS);
            tbuf_free(&b);
            return -1;
        }
        api_sleep_ms(20);
    }
}

/* Waits up to ms for the server to end; its wait status, or -1. */
static inline int wait_server(ApiServer *s, long ms)
{
    long t0 = api_now_ms();
    for (;;) {
        int st;
        pid_t p = waitpid(s->pid, &st, WNOHANG);
        if (p == s->pid) {
            s->pid = 0;
            return st;
        }
        if (p < 0) {
            s->pid = 0;
            return -1;
        }
        if (api_now_ms() - t0 > ms)
            return -1;
        api_sleep_ms(10);
    }
}

/* Stops the server with sig (SIGTERM or SIGINT: the contract says either
 * stops it cleanly):
 * 0 when it exited with status 0 within API_STOP_MS (under ASan a leak
 * or a sanitizer report makes that status non-zero), -1 with s->err. */
static inline int api_server_stop_with(ApiServer *s, int sig)
{
    if (s->pid <= 0)
        return 0;
    kill(s->pid, sig);
    int st = wait_server(s, API_STOP_MS);
    if (st == -1 && s->pid > 0) {
        kill(s->pid, SIGKILL);
        wait_server(s, API_STOP_MS);
        snprintf(s->err, sizeof s->err,
                 "server did not stop within %d ms of signal %d", API_STOP_MS,
                 sig);
        return -1;
    }
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(s->err, sizeof s->err,
                 "server stopped by signal %d with %s %d, not exit status 0",
                 sig, st != -1 && WIFSIGNALED(st) ? "signal" : "status",
                 st == -1          ? -1
                 : WIFSIGNALED(st) ? WTERMSIG(st)
                                   : WEXITSTATUS(st));
        return -1;
    }
    return 0;
}

static inline int api_server_stop(ApiServer *s)
{
    return api_server_stop_with(s, SIGTERM);
}

/* Kills the server with SIGKILL (the crash test) and reaps it. */
static inline void api_server_kill(ApiServer *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    wait_server(s, API_STOP_MS);
}

/* Kills what is left and removes the temp folder. */
static inline void api_server_free(ApiServer *s)
{
    api_server_kill(s);
    api_rmtree(s->dir);
    s->dir[0] = '\0';
}

/* Whether the server process is still running. */
static inline int api_server_alive(ApiServer *s)
{
    int st;
    if (s->pid <= 0)
        return 0;
    if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
        s->pid = 0;
        return 0;
    }
    return 1;
}

/* ---- JSON accessors --------------------------------------------------- */

/* The value at a dotted path ("item.id", "items.0.title"), or NULL. */
static inline json_t *api_at(json_t *root, const char *path)
{
    char key[128];
    json_t *v = root;
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        path += n + (path[n] == '.');
        if (json_is_array(v)) {
            char *end = NULL;
            unsigned long i = strtoul(key, &end, 10);
            v = *end ? NULL : json_array_get(v, i);
        } else {
            v = json_object_get(v, key);
        }
    }
    return v;
}

/* ---- the client ------------------------------------------------------- */

typedef struct ApiResp {
    long status;     /* HTTP status; 0 when no answer came */
    TBuf body;       /* NUL-terminated body */
    TBuf head;       /* the final response's header block */
    char ctype[128]; /* Content-Type, "" when none */
    json_t *json;    /* the body parsed, or NULL */
    char method[8];  /* the request, for messages */
    char path[512];
    char cerr[CURL_ERROR_SIZE]; /* curl's error when status is 0 */
} ApiResp;

struct ApiCtx;

typedef struct ApiUser {
    CURL *curl;               /* own handle, own cookie jar */
    const ApiServer *srv;     /* where requests go */
    const struct ApiCtx *ctx; /* for the privacy check; may be NULL */
    char email[128];          /* "" for an anonymous client */
    char password[64];
    char name[64];  /* display name */
    char csrf[128]; /* sent as X-CSRF-Token on writes */
    long long id;   /* user id, 0 before sign-up */
    ApiResp r;      /* the last response */
    TBuf req;       /* the body api_json() sends */
    TBuf scratch;   /* for a test to build a body in */
} ApiUser;

typedef struct ApiCtx {
    ApiServer srv;
    ApiUser users[API_MAX_USERS];
    int nusers;
} ApiCtx;

/* Options of one request beyond method, path and body. */
typedef struct ApiOpt {
    int no_csrf;        /* send no X-CSRF-Token header */
    const char *csrf;   /* send this token instead of the user's */
    const char *origin; /* an Origin header */
    const char *header; /* one more raw header line */
    const char *ctype;  /* Content-Type, default application/json */
    size_t body_len;    /* body length when the body has NUL bytes */
    int any_shape;      /* a refusal from below the API (414, 431) may
                         * come in any shape: check only for 5xx */
} ApiOpt;

static inline size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    TBuf *b = ud;
    size_t len = size * n;
    if (b->len + len > API_BODY_MAX || tbuf_append(b, p, len) != T_OK)
        return 0; /* over the cap: curl stops with a write error */
    return len;
}

static inline size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    TBuf *b = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
        b->len = 0; /* a new response (after 100 Continue): start over */
    if (b->len + len > API_HEAD_MAX || tbuf_append(b, p, len) != T_OK)
        return 0;
    return len;
}

static inline void api_resp_clear(ApiResp *r)
{
    json_decref(r->json);
    r->json = NULL;
    r->body.len = 0;
    r->head.len = 0;
    r->status = 0;
    r->ctype[0] = '\0';
    r->cerr[0] = '\0';
}

/* Makes a client for srv with an empty cookie jar; the user's name and
 * credentials are set by api_user_signup() or by hand. */
static inline void api_user_init(ApiUser *u, const ApiServer *srv)
{
    memset(u, 0, sizeof *u);
    u->srv = srv;
    u->curl = curl_easy_init();
    assert_non_null(u->curl);
    curl_easy_setopt(u->curl, CURLOPT_COOKIEFILE, ""); /* cookie engine */
    curl_easy_setopt(u->curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(u->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(u->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(u->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(u->curl, CURLOPT_HEADERFUNCTION, on_header);
}

static inline void api_user_free(ApiUser *u)
{
    if (u->curl)
        curl_easy_cleanup(u->curl);
    u->curl = NULL;
    api_resp_clear(&u->r);
    tbuf_free(&u->r.body);
    tbuf_free(&u->r.head);
    tbuf_free(&u->req);
    tbuf_free(&u->scratch);
}

/* Prints a request and its answer (for failures). */
static inline void api_resp_dump(const ApiResp *r)
{
    print_message("%s %s -> %ld (%s)%s%s\n%.2000s\n", r->method, r->path,
                  r->status, r->ctype, r->cerr[0] ? " curl: " : "", r->cerr,
                  r->body.data ? r->body.data : "");
}

#define API_FAIL(r, ...)                                                       \
    do {                                                                       \
        print_error(__VA_ARGS__);                                              \
        api_resp_dump(r);                                                      \
        fail();                                                                \
    } while (0)

static inline int is_api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0;
}

/* Paths under /api/ whose answer is not JSON (the feed and the exports,
 * the JSON export excepted). */
static inline int is_document_path(const char *path)
{
    char p[512];
    api_copy(p, sizeof p, path);
    p[strcspn(p, "?")] = '\0';
    size_t n = strlen(p);
    static const char *const ends[] = {"/feed.atom", "/export.graphml",
                                       "/export.dot", "/items.csv"};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t m = strlen(ends[i]);
        if (n >= m && strcmp(p + n - m, ends[i]) == 0)
            return 1;
    }
    return 0;
}

/* Checks what holds for every answer, whatever the request. */
static inline void check_invariants(ApiUser *u, int any_shape)
{
    ApiResp *r = &u->r;
    if (r->status == 0)
        API_FAIL(r, "no HTTP answer (server alive: %d)\n",
                 api_server_alive((ApiServer *)u->srv));
    if (r->status >= 500)
        API_FAIL(r, "status %ld: a server fault for a client's request\n",
                 r->status);
    if (r->status == 204 && r->body.len != 0)
        API_FAIL(r, "204 with a body\n");
    /* no e-mail address but the caller's own, ever */
    if (u->ctx && r->body.len) {
        for (int i = 0; i < u->ctx->nusers; i++) {
            const char *e = u->ctx->users[i].email;
            if (e[0] && strcmp(e, u->email) != 0 && strstr(r->body.data, e))
                API_FAIL(r, "another user's e-mail '%s' in the answer\n", e);
        }
    }
    /* user text is never returned inside HTML */
    if (api_stristr(r->ctype, "html") && strstr(r->body.data, API_XSS))
        API_FAIL(r, "the hostile title inside an HTML answer\n");
    if (any_shape || !is_api_path(r->path) || r->status == 204 ||
        (r->status < 400 && is_document_path(r->path)))
        return;
    if (strncasecmp(r->ctype, "application/json", 16) != 0)
        API_FAIL(r, "Content-Type '%s', not application/json\n", r->ctype);
    if (!r->json)
        API_FAIL(r, "the body is not JSON\n");
    if (r->status >= 400) {
        json_t *code = api_at(r->json, "error.code");
        json_t *msg = api_at(r->json, "error.message");
        json_t *field = api_at(r->json, "error.field");
        if (!json_is_string(code) || !json_is_string(msg))
            API_FAIL(r, "an error without error.code and error.message\n");
        if (field && !json_is_string(field) && !json_is_null(field))
            API_FAIL(r, "error.field is neither a string nor null\n");
        /* git-style messages: lower-case start (acronyms aside), no
         * full stop at the end */
        const char *m = json_string_value(msg);
        size_t n = strlen(m);
        if (n == 0 || m[n - 1] == '.' ||
            (isupper((unsigned char)m[0]) && !isupper((unsigned char)m[1])))
            API_FAIL(r, "error message '%s' is not git-style\n", m);
    }
}

/* Sends one request and keeps the answer in u->r (valid until the next
 * request). path is relative to the server; body may be NULL. Checks the
 * invariants of every answer. */
static inline const ApiResp *api_send(ApiUser *u, const char *method,
                                      const char *path, const char *body,
                                      const ApiOpt *opt)
{
    static const ApiOpt none = {0};
    if (!opt)
        opt = &none;
    ApiResp *r = &u->r;
    api_resp_clear(r);
    api_copy(r->method, sizeof r->method, method);
    api_copy(r->path, sizeof r->path, path);

    /* the URL is built in the body buffer, which fills only later (curl
     * copies the URL when it is set) */
    tbuf_printf(&r->body, "%s%s", u->srv->base, path);
    CURL *c = u->curl;
    curl_easy_setopt(c, CURLOPT_URL, tbuf_cstr(&r->body));
    r->body.len = 0;
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->head);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->cerr);

    struct curl_slist *h = NULL;
    char line[512];
    int is_write = strcmp(method, "GET") != 0;
    if (is_write && !opt->no_csrf) {
        snprintf(line, sizeof line, "X-CSRF-Token: %s",
                 opt->csrf ? opt->csrf : u->csrf);
        h = curl_slist_append(h, line);
    }
    if (opt->origin) {
        snprintf(line, sizeof line, "Origin: %s", opt->origin);
        h = curl_slist_append(h, line);
    }
    if (opt->header)
        h = curl_slist_append(h, opt->header);
    if (body) {
        snprintf(line, sizeof line, "Content-Type: %s",
                 opt->ctype ? opt->ctype : "application/json");
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);

    if (!is_write) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    } else if (body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(
            c, CURLOPT_POSTFIELDSIZE_LARGE,
            (curl_off_t)(body ? (opt->body_len ? opt->body_len : strlen(body))
                              : 0));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    tbuf_cstr(&r->body);
    tbuf_cstr(&r->head);
    if (rc == CURLE_OK || r->head.len) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        api_copy(r->ctype, sizeof r->ctype, ct);
    }
    if (rc != CURLE_OK && !r->cerr[0])
        api_copy(r->cerr, sizeof r->cerr, curl_easy_strerror(rc));
    if (r->body.len)
        r->json = json_loadb(r->body.data, r->body.len,
                             JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    check_invariants(u, opt->any_shape);
    return r;
}

/* A request with a printf-style path. */
__attribute__((format(printf, 4, 5))) static inline const ApiResp *
api_req(ApiUser *u, const char *method, const char *body, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return api_send(u, method, path, body, NULL);
}

/* A request whose body is a JSON value (stolen: decref'd here). */
__attribute__((format(printf, 4, 5))) static inline const ApiResp *
api_json(ApiUser *u, const char *method, json_t *body, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    assert_non_null(body); /* json_pack failed: a bug in the test */
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    assert_non_null(text);
    /* kept in u, so that a failing check of the answer leaks nothing */
    u->req.len = 0;
    tbuf_puts(&u->req, text);
    free(text);
    return api_send(u, method, path, tbuf_cstr(&u->req), NULL);
}

/* ---- assertions on answers -------------------------------------------- */

/* Fails unless the answer has this status. */
#define API_STATUS(r, want)                                                    \
    do {                                                                       \
        const ApiResp *r_ = (r);                                               \
        if (r_->status != (want))                                              \
            API_FAIL(r_, "%s:%d: status %ld, want %d\n", __FILE__, __LINE__,   \
                     r_->status, (int)(want));                                 \
    } while (0)

/* Fails unless the answer is an error with this status and code, and,
 * when fld is not NULL, this error.field. */
#define API_ERROR(r, want, code, fld)                                          \
    do {                                                                       \
        const ApiResp *e_ = (r);                                               \
        API_STATUS(e_, want);                                                  \
        const char *c_ = json_string_value(api_at(e_->json, "error.code"));    \
        if (!c_ || strcmp(c_, (code)) != 0)                                    \
            API_FAIL(e_, "%s:%d: error.code '%s', want '%s'\n", __FILE__,      \
                     __LINE__, c_ ? c_ : "(none)", (code));                    \
        const char *f_ = (fld);                                                \
        const char *g_ = json_string_value(api_at(e_->json, "error.field"));   \
        if (f_ && (!g_ || strcmp(g_, f_) != 0))                                \
            API_FAIL(e_, "%s:%d: error.field '%s', want '%s'\n", __FILE__,     \
                     __LINE__, g_ ? g_ : "(none)", f_);                        \
    } while (0)

/* The integer at path in the answer; fails when it is not one. */
#define API_INT(r, path) api_int_at((r), (path), __FILE__, __LINE__)
static inline long long api_int_at(const ApiResp *r, const char *path,
                                   const char *file, int line)
{
    json_t *v = api_at(r->json, path);
    if (!json_is_integer(v))
        API_FAIL(r, "%s:%d: '%s' is not an integer\n", file, line, path);
    return json_integer_value(v);
}

/* The string at path in the answer; fails when it is not one. */
#define API_STR(r, path) api_str_at((r), (path), __FILE__, __LINE__)
static inline const char *api_str_at(const ApiResp *r, const char *path,
                                     const char *file, int line)
{
    json_t *v = api_at(r->json, path);
    if (!json_is_string(v))
        API_FAIL(r, "%s:%d: '%s' is not a string\n", file, line, path);
    return json_string_value(v);
}

/* The array at path in the answer; fails when it is not one. */
#define API_ARR(r, path) api_arr_at((r), (path), __FILE__, __LINE__)
static inline json_t *api_arr_at(const ApiResp *r, const char *path,
                                 const char *file, int line)
{
    json_t *v = api_at(r->json, path);
    if (!json_is_array(v))
        API_FAIL(r, "%s:%d: '%s' is not an array\n", file, line, path);
    return v;
}

/* The element of array arr whose "id" is id, or NULL. */
static inline json_t *api_find_id(json_t *arr, long long id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        json_t *x = json_object_get(v, "id");
        if (json_is_integer(x) && json_integer_value(x) == id)
            return v;
    }
    return NULL;
}

/* Whether s is an RFC 3339 UTC time: YYYY-MM-DDTHH:MM:SS[.fff]Z. */
static inline int api_is_time(const char *s)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd";
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof pat - 1; i++) {
        if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
            return 0;
    }
    s += sizeof pat - 1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return strcmp(s, "Z") == 0;
}

/* ---- cookies ---------------------------------------------------------- */

/* The value of cookie name in u's jar into out (n bytes); 0 or -1. */
static inline int api_cookie(ApiUser *u, const char *name, char *out, size_t n)
{
    struct curl_slist *list = NULL;
    int rc = -1;
    curl_easy_getinfo(u->curl, CURLINFO_COOKIELIST, &list);
    for (struct curl_slist *l = list; l; l = l->next) {
        /* domain \t tailmatch \t path \t secure \t expires \t name \t value */
        const char *f = l->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            if (f)
                f++;
        }
        if (!f)
            continue;
        size_t k = strcspn(f, "\t");
        if (k == strlen(name) && strncmp(f, name, k) == 0 && f[k] == '\t') {
            api_copy(out, n, f + k + 1);
            rc = 0;
        }
    }
    curl_slist_free_all(list);
    return rc;
}

/* Puts cookie name=value for the server's host into u's jar. */
static inline void api_set_cookie(ApiUser *u, const char *name,
                                  const char *value)
{
    char line[600];
    snprintf(line, sizeof line, "127.0.0.1\tFALSE\t/\tFALSE\t0\t%s\t%s", name,
             value);
    curl_easy_setopt(u->curl, CURLOPT_COOKIELIST, line);
}

/* The Set-Cookie header of the last answer for cookie name (its whole
 * line from the name on) into out; 0 or -1 when there is none. */
static inline int api_set_cookie_header(const ApiResp *r, const char *name,
                                        char *out, size_t n)
{
    const char *p = r->head.data ? r->head.data : "";
    char want[128];
    snprintf(want, sizeof want, "%s=", name);
    while ((p = api_stristr(p, "\nset-cookie:")) != NULL) {
        p += 12;
        while (*p == ' ')
            p++;
        if (strncmp(p, want, strlen(want)) == 0) {
            size_t k = strcspn(p, "\r\n");
            snprintf(out, n, "%.*s", (int)k, p);
            return 0;
        }
    }
    return -1;
}

/* Whether a Set-Cookie line has attribute attr (";"-separated, any case;
 * "Path=/" matches the whole attribute). */
static inline int api_cookie_has(const char *line, const char *attr)
{
    const char *p = strchr(line, ';');
    size_t n = strlen(attr);
    while (p) {
        p++;
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, ";");
        while (k > 0 && p[k - 1] == ' ')
            k--;
        if (k == n && strncasecmp(p, attr, n) == 0)
            return 1;
        p = strchr(p, ';');
    }
    return 0;
}

/* Makes dst a second client of src's session: same cookies, token and
 * identity, its own handle (to tamper with without harming src). */
static inline void api_user_clone(ApiUser *dst, ApiUser *src)
{
    api_user_init(dst, src->srv);
    struct curl_slist *list = NULL;
    curl_easy_getinfo(src->curl, CURLINFO_COOKIELIST, &list);
    for (struct curl_slist *l = list; l; l = l->next)
        curl_easy_setopt(dst->curl, CURLOPT_COOKIELIST, l->data);
    curl_slist_free_all(list);
    dst->ctx = src->ctx;
    dst->id = src->id;
    api_copy(dst->email, sizeof dst->email, src->email);
    api_copy(dst->password, sizeof dst->password, src->password);
    api_copy(dst->name, sizeof dst->name, src->name);
    api_copy(dst->csrf, sizeof dst->csrf, src->csrf);
}

/* ---- accounts --------------------------------------------------------- */

/* Takes the CSRF token from GET /api/me (the body of its 401 carries one
 * too) into u->csrf. */
static inline void api_fetch_csrf(ApiUser *u)
{
    const ApiResp *r = api_req(u, "GET", NULL, "/api/me");
    json_t *t = api_at(r->json, "csrf_token");
    if (!json_is_string(t))
        t = api_at(r->json, "error.csrf_token");
    if (!json_is_string(t))
        API_FAIL(r, "GET /api/me gave no csrf_token\n");
    api_copy(u->csrf, sizeof u->csrf, json_string_value(t));
}

/* Signs up a new account (email from tag), keeping the new CSRF token
 * and the user id; the answer is in u->r. */
static inline const ApiResp *api_signup(ApiUser *u, const char *tag)
{
    snprintf(u->email, sizeof u->email, "%s@example.org", tag);
    snprintf(u->password, sizeof u->password, "pw-%s-long-enough", tag);
    snprintf(u->name, sizeof u->name, "%c%s Tester", toupper(tag[0]), tag + 1);
    api_fetch_csrf(u);
    const ApiResp *r =
        api_json(u, "POST",
                 json_pack("{s:s, s:s, s:s}", "email", u->email, "password",
                           u->password, "display_name", u->name),
                 "/api/signup");
    API_STATUS(r, 201);
    api_copy(u->csrf, sizeof u->csrf, API_STR(r, "csrf_token"));
    u->id = API_INT(r, "user.id");
    return r;
}

/* Signs in with u's credentials, keeping the new CSRF token. */
static inline const ApiResp *api_signin(ApiUser *u)
{
    api_fetch_csrf(u);
    const ApiResp *r = api_json(
        u, "POST",
        json_pack("{s:s, s:s}", "email", u->email, "password", u->password),
        "/api/signin");
    API_STATUS(r, 200);
    api_copy(u->csrf, sizeof u->csrf, API_STR(r, "csrf_token"));
    return r;
}

/* Adds a signed-up user to ctx (checked for privacy from then on). */
static inline ApiUser *api_ctx_user(ApiCtx *ctx, const char *tag)
{
    assert_true(ctx->nusers < API_MAX_USERS);
    ApiUser *u = &ctx->users[ctx->nusers];
    api_user_init(u, &ctx->srv);
    ctx->nusers++;
    api_signup(u, tag);
    u->ctx = ctx;
    return u;
}

/* Starts a server on a fresh database and signs up one user per tag, in
 * order (the first owns the starter workspace); a group setup's whole work.
 * -1, with the server's output printed, when the server does not start. */
static inline int api_ctx_start(ApiCtx *ctx, const char *const *tags, int n)
{
    if (api_server_init(&ctx->srv) != 0 || api_server_start(&ctx->srv) != 0) {
        print_error("%s\n", ctx->srv.err);
        api_server_dump(&ctx->srv);
        api_server_free(&ctx->srv);
        return -1;
    }
    for (int i = 0; i < n; i++)
        api_ctx_user(ctx, tags[i]);
    return 0;
}

/* Frees every user and the server; 0 when the server stopped cleanly. */
static inline int api_ctx_free(ApiCtx *ctx)
{
    for (int i = 0; i < ctx->nusers; i++)
        api_user_free(&ctx->users[i]);
    ctx->nusers = 0;
    int rc = api_server_stop(&ctx->srv);
    if (rc != 0) {
        print_error("%s\n", ctx->srv.err);
        api_server_dump(&ctx->srv);
    }
    api_server_free(&ctx->srv);
    return rc;
}

#endif
