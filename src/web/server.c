/*
 * server.c - libmicrohttpd glue: the listening socket (made here, so a
 * port in use is a clear error), the daemon with its internal thread pool
 * (epoll where available), the per-request state that collects a body up
 * to WEB_BODY_MAX (the rest is read and dropped, then answered 413), the
 * pool of SQLite connections (one per worker, handed out per request),
 * and the translation of a WebResp into a libmicrohttpd response.
 *
 * libmicrohttpd is loaded (dlopen) when the server starts, not linked:
 * with the TLS libraries it needs it cost every other command, a model
 * run too, several milliseconds of loading before main.
 */
#include "web_int.h"

#include <dlfcn.h>
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

/* Worker threads by default at least: a grouped writer waits in its
 * thread for its batch's commit, so the threads bound a batch (group.c). */
#define THREADS_MIN 32
/* Bytes per connection for its headers; libmicrohttpd clears the pool for
 * every request, so more costs time. */
#define CONN_MEMORY 32768
#define POOL_MAX 64      /* database connections at most */
#define CONN_LIMIT 1000  /* connections at once */
#define CONN_TIMEOUT 120 /* seconds an idle connection is kept */

/* Database connections, one per worker thread, lent per request. */
typedef struct Pool {
    pthread_mutex_t lock;     /* guards free_ */
    pthread_cond_t ready;     /* signalled when one comes back */
    StoreDb *all[POOL_MAX];   /* every connection */
    StoreDb *free_[POOL_MAX]; /* those not lent */
    int n;                    /* connections made */
    int nfree;                /* connections not lent */
} Pool;

/* The libmicrohttpd functions the server calls. */
typedef struct Mhd {
    void *lib; /* from dlopen */
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t,
                                       MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *,
                                       ...);  /* MHD_start_daemon */
    void (*stop_daemon)(struct MHD_Daemon *); /* MHD_stop_daemon */
    enum MHD_Result (*is_feature_supported)(
        enum MHD_FEATURE); /* MHD_is_feature_supported */
    const char *(*lookup_connection_value)(
        struct MHD_Connection *, enum MHD_ValueKind,
        const char *); /* MHD_lookup_connection_value */
    struct MHD_Response *(*create_response_from_buffer)(
        size_t, void *,
        enum MHD_ResponseMemoryMode); /* MHD_create_response_from_buffer */
    struct MHD_Response *(*create_response_from_buffer_with_free_callback_cls)(
        size_t, void *, MHD_ContentReaderFreeCallback,
        void *); /* MHD_create_response_from_buffer_with_free_callback_cls */
    enum MHD_Result (*add_response_header)(
        struct MHD_Response *, const char *,
        const char *); /* MHD_add_response_header */
    enum MHD_Result (*queue_response)(
        struct MHD_Connection *, unsigned int,
        struct MHD_Response *);                      /* MHD_queue_response */
    void (*destroy_response)(struct MHD_Response *); /* MHD_destroy_response */
} Mhd;

/* Loads libmicrohttpd; false with a message in err when it cannot. */
static bool mhd_load(Mhd *m, char *err, size_t cap)
{
    *m = (Mhd){0};
    m->lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!m->lib) {
        snprintf(err, cap,
                 "cannot load libmicrohttpd (%s); install Debian's "
                 "libmicrohttpd12",
                 dlerror());
        return false;
    }
    /* POSIX guarantees a function's address survives the void *. */
#define MHD_SYM(field, name)                                                   \
    *(void **)&m->field = dlsym(m->lib, name);                                 \
    if (!m->field) {                                                           \
        snprintf(err, cap, "libmicrohttpd has no '%s'", name);                 \
        dlclose(m->lib);                                                       \
        m->lib = NULL;                                                         \
        return false;                                                          \
    }
    MHD_SYM(start_daemon, "MHD_start_daemon")
    MHD_SYM(stop_daemon, "MHD_stop_daemon")
    MHD_SYM(is_feature_supported, "MHD_is_feature_supported")
    MHD_SYM(lookup_connection_value, "MHD_lookup_connection_value")
    MHD_SYM(create_response_from_buffer, "MHD_create_response_from_buffer")
    MHD_SYM(create_response_from_buffer_with_free_callback_cls,
            "MHD_create_response_from_buffer_with_free_callback_cls")
    MHD_SYM(add_response_header, "MHD_add_response_header")
    MHD_SYM(queue_response, "MHD_queue_response")
    MHD_SYM(destroy_response, "MHD_destroy_response")
#undef MHD_SYM
    return true;
}

struct WebServer {
    Mhd mhd;                                 /* libmicrohttpd */
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

/* What a request's header lookups need. */
typedef struct Conn {
    const Mhd *mhd;              /* libmicrohttpd */
    struct MHD_Connection *conn; /* the request's connection */
} Conn;

static const char *lookup(void *ctx, int kind, const char *key)
{
    const Conn *c = ctx;
    enum MHD_ValueKind k = kind == WEB_COOKIE  ? MHD_COOKIE_KIND
                           : kind == WEB_QUERY ? MHD_GET_ARGUMENT_KIND
                                               : MHD_HEADER_KIND;
    return c->mhd->lookup_connection_value(c->conn, k, key);
}

/* Gives back an answer's reference to a shared body once it is sent. */
static void shared_done(void *cls)
{
    web_shared_release(cls);
}

/* Queues resp; libmicrohttpd leaves the body out for HEAD itself. */
static enum MHD_Result answer(const Mhd *m, struct MHD_Connection *conn,
                              WebResp *resp)
{
    struct MHD_Response *r;
    if (resp->shared) {
        /* by reference: the bytes stay the cache's, not copied */
        r = m->create_response_from_buffer_with_free_callback_cls(
            web_shared_len(resp->shared), (void *)web_shared_data(resp->shared),
            shared_done, resp->shared);
        if (r)
            resp->shared = NULL; /* the response releases it */
    } else if (resp->body.len == 0) {
        r = m->create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        r = m->create_response_from_buffer(resp->body.len, resp->body.data,
                                           MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->body = (TBuf){0}; /* the response frees it */
    }
    if (!r)
        return MHD_NO;
    if (resp->ctype)
        m->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
    for (int i = 0; i < resp->nheaders; i++)
        m->add_response_header(r, resp->headers[i].name,
                               resp->headers[i].value);
    enum MHD_Result rc = m->queue_response(conn, (unsigned)resp->status, r);
    m->destroy_response(r);
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
    Conn lc = {&s->mhd, conn};
    WebReq req = {
        .method = strcmp(method, "HEAD") ? method : "GET",
        .path = url,
        .body = rq->body.len ? tbuf_cstr(&rq->body) : NULL,
        .body_len = rq->body.len,
        .too_large = rq->too_large,
        .lookup = lookup,
        .lookup_ctx = &lc,
    };
    WebResp resp = {.status = 500};
    StoreDb *db = pool_take(&s->pool);
    web_handle(&s->conf, db, &req, &resp);
    pool_give(&s->pool, db);
    enum MHD_Result rc = answer(&s->mhd, conn, &resp);
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
    if (!mhd_load(&s->mhd, err, cap)) {
        free(s);
        return T_EINTERNAL;
    }
    pthread_mutex_init(&s->pool.lock, NULL);
    pthread_cond_init(&s->pool.ready, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads > 0 ? o->threads : (int)(cpus > 0 ? cpus : 1) * 2;
    if (o->threads <= 0 && threads < THREADS_MIN)
        threads = THREADS_MIN;
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
    s->conf.cache =
        web_cache_new(WEB_CACHE_MAPS, WEB_CACHE_BYTES, WEB_CACHE_TEXTS);
    StoreDb *gdb = NULL;
    StoreOpenOpts rest = {.create = false};
    if (s->conf.cache && store_open(o->db_path, &rest, &gdb, &e) == STORE_OK)
        s->conf.group = web_group_new(gdb, s->conf.cache);
    if (!s->conf.cache || !s->conf.group) {
        snprintf(err, cap, "%s",
                 s->conf.cache && !gdb ? e.message : "out of memory");
        web_cache_free(s->conf.cache);
        pool_close(&s->pool);
        free(s);
        return T_EINTERNAL;
    }
    s->conf.secure_cookies = o->secure_cookies;

    int fd = listen_on(o->host, o->port, &s->port, err, cap);
    if (fd < 0) {
        web_group_free(s->conf.group);
        web_cache_free(s->conf.cache);
        pool_close(&s->pool);
        free(s);
        return T_EINPUT;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    if (s->mhd.is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    s->daemon = s->mhd.start_daemon(
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
        web_group_free(s->conf.group);
        web_cache_free(s->conf.cache);
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
        s->mhd.stop_daemon(s->daemon); /* closes the listening socket too */
    pool_close(&s->pool);
    web_group_free(s->conf.group);
    web_cache_free(s->conf.cache);
    sodium_memzero(s->dummy_hash, sizeof s->dummy_hash);
    dlclose(s->mhd.lib); /* its threads ended with the daemon */
    free(s);
}
