/*
 * cache.c - the server's in-memory caches, shared by its worker threads:
 *
 * - each workspace's map as serialized JSON, keyed by the workspace's
 *   version (its first and last event ids, store_ws_version): a GET reads
 *   the version (one indexed query) and, when it matches, answers with
 *   the ready bytes, shared with libmicrohttpd by reference (WebShared);
 *   bounded by a count and a byte total, least recently used out first;
 * - each workspace's near-duplicate index (the map module's TF-IDF
 *   index of its open, visible items, with their titles), brought up to
 *   date on use from the items the events since its version name, so a
 *   write's near-duplicate check tokenizes only what changed; bounded by
 *   a count, least recently used out first.
 *
 * Both are checked against the database on every use, so a change made
 * by another process (the command line) is seen too; permissions are the
 * dispatcher's, before any of this. Neither cache ever answers for a
 * version other than the one just read.
 *
 * Ownership: the WebCache owns its entries; a WebShared is reference
 * counted (the cache holds one reference, each answer being sent
 * another) and freed by the last web_shared_release.
 */
#include "web_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "map/map.h"

#define TOUCHED_MAX 256 /* changed items applied one by one; more: rebuild */

struct WebShared {
    atomic_int refs; /* references: the cache's and each answer's */
    size_t len;      /* bytes of data */
    char data[];     /* the body, NUL-terminated */
};

typedef struct MapEntry {
    long long ws_id;    /* the workspace, 0 for a free slot */
    StoreWsVersion v;   /* the version its map is of */
    WebShared *body;    /* the map's JSON (one reference) */
    WebShared *gz;      /* the same gzipped, or NULL until asked for */
    unsigned long used; /* tick of the last use, for LRU */
} MapEntry;

typedef struct Title {
    long long id; /* the item */
    char *title;  /* its title (owned) */
} Title;

typedef struct TextEntry {
    long long ws_id;    /* the workspace, 0 for a free slot */
    StoreWsVersion v;   /* the version the index is of */
    MapTextIndex *ix;   /* its open, visible items */
    VEC(Title) titles;  /* their titles, by id */
    unsigned long used; /* tick of the last use, for LRU */
} TextEntry;

struct WebCache {
    pthread_mutex_t map_lock;  /* guards maps, map_bytes, map_tick */
    MapEntry *maps;            /* max_maps slots */
    int max_maps;              /* slots */
    size_t map_bytes;          /* bytes of the cached maps */
    size_t max_bytes;          /* their cap */
    unsigned long map_tick;    /* use counter */
    pthread_mutex_t text_lock; /* guards texts and text_tick (held while
                                  an index is brought up to date and
                                  queried) */
    TextEntry *texts;          /* max_texts slots */
    int max_texts;             /* slots */
    unsigned long text_tick;   /* use counter */
    char boot[20];             /* random, in every ETag: a restarted
                                  server never matches an old one */
};

/* ---- shared bodies ---------------------------------------------------- */

WebShared *web_shared_new(const char *data, size_t len)
{
    WebShared *s = malloc(sizeof *s + len + 1);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->len = len;
    memcpy(s->data, data, len);
    s->data[len] = '\0';
    return s;
}

const char *web_shared_data(const WebShared *s)
{
    return s->data;
}

size_t web_shared_len(const WebShared *s)
{
    return s->len;
}

static WebShared *shared_ref(WebShared *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

void web_shared_release(WebShared *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

/* ---- the cache -------------------------------------------------------- */

WebCache *web_cache_new(int max_maps, size_t max_bytes, int max_texts)
{
    WebCache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->maps = calloc((size_t)max_maps + 1, sizeof *c->maps);
    c->texts = calloc((size_t)max_texts + 1, sizeof *c->texts);
    if (!c->maps || !c->texts) {
        free(c->maps);
        free(c->texts);
        free(c);
        return NULL;
    }
    c->max_maps = max_maps;
    c->max_bytes = max_bytes;
    c->max_texts = max_texts;
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(c->boot, sizeof c->boot, r, sizeof r);
    pthread_mutex_init(&c->map_lock, NULL);
    pthread_mutex_init(&c->text_lock, NULL);
    return c;
}

static void text_clear(TextEntry *t)
{
    map_text_index_free(t->ix);
    for (int i = 0; i < t->titles.len; i++)
        free(t->titles.items[i].title);
    vec_free(&t->titles);
    memset(t, 0, sizeof *t);
}

static void map_clear(WebCache *c, MapEntry *m)
{
    if (m->body) {
        c->map_bytes -= m->body->len;
        web_shared_release(m->body);
    }
    if (m->gz) {
        c->map_bytes -= m->gz->len;
        web_shared_release(m->gz);
    }
    memset(m, 0, sizeof *m);
}

void web_cache_free(WebCache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->max_maps; i++)
        map_clear(c, &c->maps[i]);
    for (int i = 0; i < c->max_texts; i++)
        text_clear(&c->texts[i]);
    free(c->maps);
    free(c->texts);
    pthread_mutex_destroy(&c->map_lock);
    pthread_mutex_destroy(&c->text_lock);
    free(c);
}

void web_cache_etag(const WebCache *c, long long ws_id, const StoreWsVersion *v,
                    char *out, size_t cap)
{
    snprintf(out, cap, "\"m%s-%lld-%lld-%lld\"", c ? c->boot : "0", ws_id,
             v->first, v->last);
}

void web_cache_forget(WebCache *c, long long ws_id)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->map_lock);
    for (int i = 0; i < c->max_maps; i++)
        if (c->maps[i].ws_id == ws_id)
            map_clear(c, &c->maps[i]);
    pthread_mutex_unlock(&c->map_lock);
    pthread_mutex_lock(&c->text_lock);
    for (int i = 0; i < c->max_texts; i++)
        if (c->texts[i].ws_id == ws_id)
            text_clear(&c->texts[i]);
    pthread_mutex_unlock(&c->text_lock);
}

void web_cache_forget_all(WebCache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->map_lock);
    for (int i = 0; i < c->max_maps; i++)
        map_clear(c, &c->maps[i]);
    pthread_mutex_unlock(&c->map_lock);
    pthread_mutex_lock(&c->text_lock);
    for (int i = 0; i < c->max_texts; i++)
        text_clear(&c->texts[i]);
    pthread_mutex_unlock(&c->text_lock);
}

/* ---- maps ------------------------------------------------------------- */

static bool same_version(const StoreWsVersion *a, const StoreWsVersion *b)
{
    return a->first == b->first && a->last == b->last;
}

WebShared *web_cache_map_get(WebCache *c, long long ws_id,
                             const StoreWsVersion *v, bool gzip)
{
    WebShared *out = NULL;
    pthread_mutex_lock(&c->map_lock);
    for (int i = 0; i < c->max_maps; i++) {
        MapEntry *m = &c->maps[i];
        if (m->ws_id == ws_id && m->body && same_version(&m->v, v)) {
            m->used = ++c->map_tick;
            WebShared *b = gzip ? m->gz : m->body;
            out = b ? shared_ref(b) : NULL;
            break;
        }
    }
    pthread_mutex_unlock(&c->map_lock);
    return out;
}

void web_cache_map_put(WebCache *c, long long ws_id, const StoreWsVersion *v,
                       WebShared *body)
{
    if (body->len > c->max_bytes)
        return;
    pthread_mutex_lock(&c->map_lock);
    MapEntry *slot = NULL;
    for (int i = 0; i < c->max_maps && !slot; i++)
        if (c->maps[i].ws_id == ws_id)
            slot = &c->maps[i];
    if (slot && slot->v.first == v->first && slot->v.last > v->last) {
        /* a newer map is there already (built by another request) */
        pthread_mutex_unlock(&c->map_lock);
        return;
    }
    if (slot)
        map_clear(c, slot);
    /* room: a free slot, then the least recently used out until the
     * bytes fit */
    for (;;) {
        MapEntry *lru = NULL;
        for (int i = 0; i < c->max_maps; i++) {
            MapEntry *m = &c->maps[i];
            if (!m->ws_id) {
                if (!slot)
                    slot = m;
            } else if (!lru || m->used < lru->used) {
                lru = m;
            }
        }
        if (slot && c->map_bytes + body->len <= c->max_bytes)
            break;
        if (!lru)
            break;
        map_clear(c, lru);
    }
    if (slot && c->map_bytes + body->len <= c->max_bytes) {
        slot->ws_id = ws_id;
        slot->v = *v;
        slot->body = shared_ref(body);
        slot->used = ++c->map_tick;
        c->map_bytes += body->len;
    }
    pthread_mutex_unlock(&c->map_lock);
}

void web_cache_map_put_gzip(WebCache *c, long long ws_id,
                            const StoreWsVersion *v, WebShared *gz)
{
    pthread_mutex_lock(&c->map_lock);
    for (int i = 0; i < c->max_maps; i++) {
        MapEntry *m = &c->maps[i];
        if (m->ws_id == ws_id && m->body && !m->gz && same_version(&m->v, v) &&
            c->map_bytes + gz->len <= c->max_bytes) {
            m->gz = shared_ref(gz);
            c->map_bytes += gz->len;
            break;
        }
    }
    pthread_mutex_unlock(&c->map_lock);
}

WebShared *web_gzip(const char *data, size_t len)
{
    z_stream z = {0};
    /* 15 + 16: a gzip wrapper; level 6, zlib's default */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)len);
    WebShared *s = malloc(sizeof *s + cap + 1);
    if (!s) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)s->data;
    z.avail_out = (uInt)cap;
    int rc = len > UINT32_MAX / 2 ? Z_STREAM_ERROR : deflate(&z, Z_FINISH);
    size_t out = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->len = out;
    s->data[out] = '\0';
    return s;
}

bool web_accepts_gzip(const char *accept)
{
    /* Accept-Encoding: a list of coding[;q=VALUE]; gzip is taken unless
     * its q is 0 */
    for (const char *p = accept; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t;,");
        bool gz = n == 4 && !strncasecmp(p, "gzip", 4);
        const char *end = p + strcspn(p, ",");
        if (gz) {
            const char *q = p + n;
            q += strspn(q, " \t");
            if (*q == ';') {
                q++;
                q += strspn(q, " \t");
                if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                    char *stop = NULL;
                    double w = strtod(q + 2, &stop);
                    return !(stop != q + 2 && w <= 0);
                }
            }
            return true;
        }
        p = end;
    }
    return false;
}

/* ---- near-duplicates -------------------------------------------------- */

/* Index of the title of id in t->titles, or where it would go (*found
 * false). */
static int title_find(const TextEntry *t, long long id, bool *found)
{
    int lo = 0, hi = t->titles.len;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        long long v = t->titles.items[mid].id;
        if (v == id) {
            *found = true;
            return mid;
        }
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Drops item id from the entry (index and titles), when it is there. */
static void text_drop(TextEntry *t, long long id)
{
    bool found;
    int k = title_find(t, id, &found);
    if (!found)
        return;
    (void)map_text_index_remove(t->ix, id);
    free(t->titles.items[k].title);
    memmove(&t->titles.items[k], &t->titles.items[k + 1],
            sizeof(Title) * (size_t)(t->titles.len - k - 1));
    t->titles.len--;
}

/* Adds item id (not in the entry) with its title and body. */
static int text_add(TextEntry *t, long long id, const char *title,
                    const char *body, TBuf *doc)
{
    doc->len = 0;
    bool found;
    int k = title_find(t, id, &found);
    Title tt = {id, NULL};
    size_t n = strlen(title);
    tt.title = malloc(n + 1);
    if (!tt.title || tbuf_printf(doc, "%s\n%s", title, body) != T_OK ||
        vec_push(&t->titles, tt)) {
        free(tt.title);
        return -1;
    }
    memcpy(tt.title, title, n + 1);
    memmove(&t->titles.items[k + 1], &t->titles.items[k],
            sizeof(Title) * (size_t)(t->titles.len - 1 - k));
    t->titles.items[k] = tt;
    if (map_text_index_add(t->ix, id, tbuf_cstr(doc)) != 0) {
        memmove(&t->titles.items[k], &t->titles.items[k + 1],
                sizeof(Title) * (size_t)(t->titles.len - k - 1));
        t->titles.len--;
        free(tt.title);
        return -1;
    }
    return 0;
}

/* Fills t from scratch with workspace ws_id's open, visible items. */
static int text_rebuild(TextEntry *t, StoreDb *db, long long ws_id,
                        const StoreWsVersion *v, StoreErr *e)
{
    text_clear(t);
    StoreActor a = {.ws_id = ws_id};
    json_t *texts = NULL;
    if (store_item_texts(db, &a, &texts, e) != STORE_OK)
        return -1;
    t->ix = map_text_index_new();
    int rc = t->ix ? 0 : -1;
    TBuf doc = {0};
    size_t i;
    json_t *it;
    json_array_foreach(texts, i, it)
    {
        if (rc)
            break;
        rc = text_add(t, json_integer_value(json_array_get(it, 0)),
                      json_string_value(json_array_get(it, 1)),
                      json_string_value(json_array_get(it, 2)), &doc);
    }
    tbuf_free(&doc);
    json_decref(texts);
    if (rc) {
        text_clear(t);
        web_field_err(e, "internal", NULL, "out of memory");
        return -1;
    }
    t->ws_id = ws_id;
    t->v = *v;
    return 0;
}

/* Brings t (of ws_id at t->v) to v: every item the events since name is
 * read again. -1 on failure (the caller clears the entry). */
static int text_update(TextEntry *t, StoreDb *db, long long ws_id,
                       const StoreWsVersion *v, bool *rebuild, StoreErr *e)
{
    long long ids[TOUCHED_MAX];
    int n = 0;
    *rebuild = false;
    if (store_items_touched(db, ws_id, t->v.last, v->last, ids, TOUCHED_MAX, &n,
                            e) != STORE_OK)
        return -1;
    if (n < 0) {
        *rebuild = true;
        return 0;
    }
    TBuf title = {0}, body = {0}, doc = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        bool live = false;
        title.len = body.len = 0;
        text_drop(t, ids[i]);
        if (store_item_text(db, ws_id, ids[i], &live, &title, &body, e) !=
            STORE_OK)
            rc = -1;
        else if (live && text_add(t, ids[i], tbuf_cstr(&title),
                                  tbuf_cstr(&body), &doc) != 0) {
            web_field_err(e, "internal", NULL, "out of memory");
            rc = -1;
        }
    }
    tbuf_free(&title);
    tbuf_free(&body);
    tbuf_free(&doc);
    if (rc == 0)
        t->v = *v;
    return rc;
}

/* The entry of ws_id, up to date with the database; NULL with e set. */
static TextEntry *text_entry(WebCache *c, StoreDb *db, long long ws_id,
                             StoreErr *e)
{
    StoreWsVersion v;
    /* the version first: what is read after it is at least as new */
    if (store_ws_version(db, ws_id, &v, e) != STORE_OK)
        return NULL;
    TextEntry *t = NULL, *lru = NULL, *free_ = NULL;
    for (int i = 0; i < c->max_texts && !t; i++) {
        TextEntry *x = &c->texts[i];
        if (x->ws_id == ws_id)
            t = x;
        else if (!x->ws_id && !free_)
            free_ = x;
        else if (x->ws_id && (!lru || x->used < lru->used))
            lru = x;
    }
    bool rebuild = !t || t->v.first != v.first;
    if (!t)
        t = free_ ? free_ : lru;
    if (!rebuild && t->v.last != v.last &&
        text_update(t, db, ws_id, &v, &rebuild, e) != 0) {
        text_clear(t);
        return NULL;
    }
    if (rebuild && text_rebuild(t, db, ws_id, &v, e) != 0)
        return NULL;
    t->used = ++c->text_tick;
    return t;
}

json_t *web_cache_similar(WebCache *c, StoreDb *db, long long ws_id,
                          const char *text, long long exclude, StoreErr *e)
{
    pthread_mutex_lock(&c->text_lock);
    json_t *out = NULL;
    TextEntry *t = text_entry(c, db, ws_id, e);
    if (t) {
        MapSimilar best[WEB_SIMILAR_MAX];
        int n = map_text_similar(t->ix, text, exclude, WEB_SIMILAR_MIN, best,
                                 WEB_SIMILAR_MAX);
        out = n < 0 ? NULL : json_array();
        for (int i = 0; out && i < n; i++) {
            bool found;
            int k = title_find(t, best[i].id, &found);
            if (found)
                json_array_append_new(out,
                                      json_pack("{s:I, s:s, s:f}", "id",
                                                (json_int_t)best[i].id, "title",
                                                t->titles.items[k].title,
                                                "score", best[i].score));
        }
        if (!out)
            web_field_err(e, "internal", NULL, "out of memory");
    }
    pthread_mutex_unlock(&c->text_lock);
    return out;
}
