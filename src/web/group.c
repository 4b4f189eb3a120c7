/*
 * group.c - group commit for the light workspace writes (routes flagged
 * WEB_R_GROUP: items, links, themes). With synchronous=FULL every commit
 * waits for the disk (an fdatasync of the WAL), so one commit per request
 * caps writes at the disk's syncs per second. Here the writes of requests
 * that arrive together share one transaction and one sync:
 *
 * - one connection is the group's; a request takes the group's lock, and
 *   when no batch is open it becomes the batch's leader and opens one
 *   (store_group_begin: BEGIN IMMEDIATE);
 * - it runs its handler on that connection, where the store's own
 *   transaction becomes a savepoint (a failing request undoes only its
 *   own writes); its answer is made but not yet sent;
 * - a follower then waits for the batch's end; the leader waits (the lock
 *   released) while other writers are queued for the lock and the batch
 *   is under WEB_GROUP_MAX, then commits (one sync) and wakes them;
 * - every member's answer is sent only after that commit returned: when
 *   it failed, each member answers 500 instead, and the caches are
 *   dropped (they may have seen the batch's writes);
 * - a handler may leave the rest of its work (WebCtx.after: an item
 *   add's near-duplicate check and answer) to run after the commit,
 *   outside the lock, so that reads do not hold up the next batch.
 *
 * So no write is acknowledged before it is durable, and a batch holds as
 * many requests as arrive during one sync. Other writers (sign-in, the
 * demand study, the command line) use their own connections and wait
 * for SQLite's write lock as before.
 *
 * Ownership: a WebGroup owns its connection (closed by web_group_free).
 */
#include "web_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define GROUP_RING                                                             \
    256 /* batch results remembered (a member reads its                        \
           own long before 256 more batches end) */

struct WebGroup {
    pthread_mutex_t lock;  /* held while a member runs, and to commit */
    pthread_cond_t joined; /* a member's handler has run */
    pthread_cond_t ended;  /* a batch was committed or failed */
    StoreDb *db;           /* the group's connection */
    WebCache *cache;       /* dropped when a batch fails */
    atomic_int queued;     /* writers waiting for the lock */
    bool open;             /* a batch's transaction is open */
    unsigned long batch;   /* the open (or last) batch's number */
    int members;           /* requests in the open batch */
    unsigned long ended_n; /* the last batch that ended */
    unsigned long ring_batch[GROUP_RING]; /* which batch each result is */
    bool ring_ok[GROUP_RING];             /* whether it committed */
};

WebGroup *web_group_new(StoreDb *db, WebCache *cache)
{
    WebGroup *g = calloc(1, sizeof *g);
    if (!g) {
        store_close(db);
        return NULL;
    }
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->joined, NULL);
    pthread_cond_init(&g->ended, NULL);
    atomic_init(&g->queued, 0);
    g->db = db;
    g->cache = cache;
    return g;
}

void web_group_free(WebGroup *g)
{
    if (!g)
        return;
    store_close(g->db);
    pthread_cond_destroy(&g->joined);
    pthread_cond_destroy(&g->ended);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void web_group_run(WebGroup *g, WebCtx *c)
{
    atomic_fetch_add(&g->queued, 1);
    pthread_mutex_lock(&g->lock);
    atomic_fetch_sub(&g->queued, 1);
    bool leader = !g->open;
    if (leader) {
        StoreErr e = {0};
        if (store_group_begin(g->db, &e) != STORE_OK) {
            pthread_mutex_unlock(&g->lock);
            web_store_error(c, &e);
            return;
        }
        g->open = true;
        g->batch++;
        g->members = 0;
    }
    unsigned long mine = g->batch;
    StoreDb *own = c->db;
    c->db = g->db;
    c->route->fn(c);
    c->db = own;
    g->members++;
    if (leader) {
        /* let the writers already waiting join, then commit once */
        while (atomic_load(&g->queued) > 0 && g->members < WEB_GROUP_MAX)
            pthread_cond_wait(&g->joined, &g->lock);
        StoreErr e = {0};
        bool ok = store_group_commit(g->db, &e) == STORE_OK;
        g->open = false;
        g->ring_batch[mine % GROUP_RING] = mine;
        g->ring_ok[mine % GROUP_RING] = ok;
        g->ended_n = mine;
        pthread_cond_broadcast(&g->ended);
    } else {
        pthread_cond_signal(&g->joined);
        while (g->ended_n < mine)
            pthread_cond_wait(&g->ended, &g->lock);
    }
    bool ok = g->ring_batch[mine % GROUP_RING] == mine &&
              g->ring_ok[mine % GROUP_RING];
    pthread_mutex_unlock(&g->lock);
    if (ok && c->after) {
        /* what only reads (the near-duplicate check, the answer) runs in
         * parallel with the next batch, on committed data, in one read
         * transaction */
        StoreErr e = {0};
        bool snap = store_read_begin(c->db, &e) == STORE_OK;
        c->after(c);
        if (snap)
            store_read_end(c->db);
    } else if (!ok) {
        web_cache_forget_all(g->cache);
        web_resp_free(c->resp);
        web_common_headers(c->resp);
        web_header(c->resp, "Cache-Control", "no-store");
        web_error(c, 500, "internal", NULL,
                  "the server failed; try again in a moment");
    }
}
