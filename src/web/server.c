/*
 * server.c - libmicrohttpd glue: the listening socket (made here, so a
 * port in use is a clear error), the daemon with its internal thread pool
 * (epoll where available), the per-request state that collects a body up
 * to WEB_BODY_MAX (the rest is read and dropped, then answered 413), the
 * pool of SQLite connections (one per worker, handed out per request),
 * and the translation of a WebResp into a libmicrohttpd response.
 */
#include "web_int.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web/assets.h"

#define POOL_MAX 64       /* database connections at most */
#define CONN_LIMIT 1000   /* connections at once */
#define CONN_TIMEOUT 120  /* seconds an idle connection is kept */
#define CONN_MEMORY 65536 /* bytes per connection for its headers */

/* Database connections, one per worker thread, lent per request. */
typedef struct Pool {
    pthread_mutex_t lock;     /* guards free_ */
    pthread_cond_t ready;     /* signalled when one comes back */
    StoreDb *all[POOL_MAX];   /* every connection */
    StoreDb *free_[POOL_MAX]; /* those not lent */
    int n;                    /* connections made */
    int nfree;                /* connections not lent */
} Pool;

struct WebServer {
    struct MHD_Daemon *daemon;               /* the HTTP server */
    int port;                                /* where it listens */
    Pool pool;                               /* database connections */
    WebConf conf;                            /* what handlers read */
    char dummy_hash[crypto_pwhash_STRBYTES]; /* see WebConf */
};

/* One request's state, from its first callback to its completion. */
typedef struct Req {
    TBuf body;      /* the body so far */
    bool too_large; /* over WEB_BODY_MAX: the rest is dropped */
} Req;

static StoreDb *pool_take(Pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->nfree == 0)
        pthread_cond_wait(&p->ready, &p->lock);
    StoreDb *db = p->free_[--p->nfree];
    pthread_mutex_unlock(&p->lock);
    return db;
}

static void pool_give(Pool *p, StoreDb *db)
{
    pthread_mutex_lock(&p->lock);
    p->free_[p->nfree++] = db;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* ---- requests --------------------------------------------------------- */

static const char *lookup(void *ctx, int kind, const char *key)
{
    enum MHD_ValueKind k = kind == WEB_COOKIE  ? MHD_COOKIE_KIND
                           : kind == WEB_QUERY ? MHD_GET_ARGUMENT_KIND
                                               : MHD_HEADER_KIND;
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, k, key);
}

/* Queues resp; libmicrohttpd leaves the body out for HEAD itself. */
static enum MHD_Result answer(struct MHD_Connection *conn, WebResp *resp)
{
    struct MHD_Response *r;
    if (resp->body.len == 0) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
                                            MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->body = (TBuf){0}; /* the response frees it */
    }
    if (!r)
        return MHD_NO;
    if (resp->ctype)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name,
                                resp->headers[i].value);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    WebServer *s = cls;
    Req *rq = *req_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large) {
            if (rq->body.len + *upload_size > WEB_BODY_MAX ||
                tbuf_append(&rq->body, upload, *upload_size) != T_OK) {
                rq->too_large = true;
                tbuf_free(&rq->body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    WebReq req = {
        .method = strcmp(method, "HEAD") ? method : "GET",
        .path = url,
        .body = rq->body.len ? tbuf_cstr(&rq->body) : NULL,
        .body_len = rq->body.len,
        .too_large = rq->too_large,
        .lookup = lookup,
        .lookup_ctx = conn,
    };
    WebResp resp = {.status = 500};
    StoreDb *db = pool_take(&s->pool);
    web_handle(&s->conf, db, &req, &resp);
    pool_give(&s->pool, db);
    enum MHD_Result rc = answer(conn, &resp);
    web_resp_free(&resp);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode why)
{
    Req *rq = *req_cls;
    if (rq) {
        tbuf_free(&rq->body);
        free(rq);
        *req_cls = NULL;
    }
}

/* ---- start and stop --------------------------------------------------- */

/* A listening socket on host:port; -1 with err set. */
static int listen_on(const char *host, int port, int *bound, char *err,
                     size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int g = getaddrinfo(host, service, &hints, &res);
    if (g != 0) {
        snprintf(err, cap, "cannot listen on '%s': %s", host, gai_strerror(g));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
            listen(fd, 128) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, cap, "cannot listen on %s:%d: %s", host, port,
                 strerror(saved));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *bound = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        char sv[16];
        long v = 0;
        if (getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, sv, sizeof sv,
                        NI_NUMERICSERV) == 0 &&
            str_to_int(sv, 1, 65535, &v))
            *bound = (int)v;
    }
    return fd;
}

static void pool_close(Pool *p)
{
    for (int i = 0; i < p->n; i++)
        store_close(p->all[i]);
    p->n = p->nfree = 0;
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
}

int web_server_start(const WebOpts *o, WebServer **out, char *err, size_t cap)
{
    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(err, cap, "cannot initialise libsodium");
        return T_EINTERNAL;
    }
    json_object_seed(0); /* before any thread makes an object */
    WebServer *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, cap, "out of memory");
        return T_EINTERNAL;
    }
    pthread_mutex_init(&s->pool.lock, NULL);
    pthread_cond_init(&s->pool.ready, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads > 0 ? o->threads : (int)(cpus > 0 ? cpus : 1) * 2;
    if (threads < 4)
        threads = 4;
    if (threads > POOL_MAX - 1)
        threads = POOL_MAX - 1;

    /* the first connection creates, migrates and seeds; the others only
     * open */
    const WebAsset *seed = web_asset_find("@starter.json");
    StoreOpenOpts first = {.create = true,
                           .seed = seed ? (const char *)seed->data : NULL,
                           .seed_len = seed ? seed->len : 0};
    StoreErr e = {0};
    for (int i = 0; i < threads + 1; i++) {
        StoreOpenOpts rest = {.create = false};
        if (store_open(o->db_path, i == 0 ? &first : &rest, &s->pool.all[i],
                       &e) != STORE_OK) {
            snprintf(err, cap, "%s", e.message);
            pool_close(&s->pool);
            free(s);
            return T_EINPUT;
        }
        s->pool.free_[i] = s->pool.all[i];
        s->pool.n = s->pool.nfree = i + 1;
    }

    /* a password hash to check when the e-mail is unknown */
    if (crypto_pwhash_str(s->dummy_hash, "territory", 9,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        snprintf(err, cap, "out of memory");
        pool_close(&s->pool);
        free(s);
        return T_EINTERNAL;
    }
    s->conf.dummy_hash = s->dummy_hash;
    s->conf.secure_cookies = o->secure_cookies;

    int fd = listen_on(o->host, o->port, &s->port, err, cap);
    if (fd < 0) {
        pool_close(&s->pool);
        free(s);
        return T_EINPUT;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, cap, "cannot start the HTTP server on %s:%d", o->host,
                 s->port);
        close(fd);
        pool_close(&s->pool);
        free(s);
        return T_EINTERNAL;
    }
    *out = s;
    return T_OK;
}

int web_server_port(const WebServer *s)
{
    return s->port;
}

void web_server_stop(WebServer *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* closes the listening socket too */
    pool_close(&s->pool);
    sodium_memzero(s->dummy_hash, sizeof s->dummy_hash);
    free(s);
}
