/*
 * loops.c - every elementary cycle of a causal graph, by Johnson's
 * algorithm (1975) run iteratively on one strongly connected component at
 * a time, as networkx's simple_cycles does: find the cycles through the
 * component's lowest node, remove that node, split what is left into
 * components again. Parallel links of different polarity make distinct
 * loops; a node sequence stands for the product of its links' variants.
 *
 * All loops are counted; the shortest max_listed are kept (ties broken by
 * node sequence, so output never depends on search order). A time budget
 * turns the count into a lower bound instead of a hang.
 */
#include "map_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the kept loops: a max-heap of the shortest ----------------------- */

typedef struct Kept {
    int len;    /* nodes */
    int *nodes; /* node sequence */
    int var;    /* which combination of parallel variants */
} Kept;

typedef struct Search {
    const MapGraph *g;
    const Adj *a;
    int max_listed;  /* heap capacity */
    Kept *heap;      /* worst at the top */
    int nheap;       /* entries */
    long long count; /* loops counted */
    long long *through;
    bool stopped; /* budget ran out */
    struct timespec t0;
    double budget;
    long long ticks;
} Search;

/* Orders loops: shorter first, then by node sequence, then variant. */
static int kept_cmp(const Kept *x, const Kept *y)
{
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    for (int i = 0; i < x->len; i++)
        if (x->nodes[i] != y->nodes[i])
            return x->nodes[i] < y->nodes[i] ? -1 : 1;
    return x->var < y->var ? -1 : x->var > y->var;
}

static void heap_sift_down(Kept *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && kept_cmp(&h[l], &h[m]) > 0)
            m = l;
        if (r < n && kept_cmp(&h[r], &h[m]) > 0)
            m = r;
        if (m == i)
            return;
        Kept t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void keep(Search *s, const int *path, int len, int var)
{
    if (s->max_listed <= 0)
        return;
    Kept k = {len, (int *)path, var};
    if (s->nheap == s->max_listed) {
        if (kept_cmp(&k, &s->heap[0]) >= 0)
            return;
        free(s->heap[0].nodes);
        s->heap[0] = s->heap[--s->nheap];
        heap_sift_down(s->heap, s->nheap, 0);
    }
    int *copy = malloc(sizeof(int) * (size_t)len);
    if (!copy)
        return;
    memcpy(copy, path, sizeof(int) * (size_t)len);
    k.nodes = copy;
    int i = s->nheap++;
    s->heap[i] = k;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (kept_cmp(&s->heap[i], &s->heap[p]) <= 0)
            break;
        Kept t = s->heap[i];
        s->heap[i] = s->heap[p];
        s->heap[p] = t;
        i = p;
    }
}

/* The pair index of (u, v): successors are ascending, so bsearch. */
static int pair_of(const Adj *a, int u, int v)
{
    int lo = a->start[u], hi = a->start[u + 1] - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (a->to[mid] == v)
            return mid;
        if (a->to[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* A cycle found as a node path: count its variants (parallel links) and
 * keep them. after[i] is one past the pair from path[i] to the next (the
 * search's cursor at that depth), so no pair is looked up again. */
static void found(Search *s, const int *path, const int *after, int len)
{
    long long mult = 1;
    const int *vs = s->a->vstart;
    for (int i = 0; i < len; i++) {
        long long nv = vs[after[i]] - vs[after[i] - 1];
        if (nv != 1)
            mult = mult > (1LL << 40) / nv ? (1LL << 40) : mult * nv;
    }
    s->count += mult;
    for (int i = 0; i < len; i++)
        s->through[path[i]] += mult;
    for (long long v = 0; v < mult && v < s->max_listed; v++)
        keep(s, path, len, (int)v);
}

static bool out_of_time(Search *s)
{
    if (s->budget <= 0 || (++s->ticks & 0xFFFF))
        return false;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double el = (double)(t.tv_sec - s->t0.tv_sec) +
                (double)(t.tv_nsec - s->t0.tv_nsec) * 1e-9;
    if (el > s->budget)
        s->stopped = true;
    return s->stopped;
}

/* Johnson's circuit search from start within the nodes where comp[] ==
 * cid. blocked, closed and the B lists are per node. */
typedef struct Work {
    bool *blocked;
    bool *closed;
    int **B; /* nodes to unblock when this one is */
    int *nB;
    int *capB;
    int *path;
    int *stack_node;
    int *stack_edge;
    int *unblock;
} Work;

/* Unblocks u and, transitively, what waits on it. A node is unmarked
 * when pushed, so each is pushed once and the stack holds at most n. */
static void unblock(Work *w, int u)
{
    int top = 0;
    w->blocked[u] = false;
    w->unblock[top++] = u;
    while (top) {
        int n = w->unblock[--top];
        for (int i = 0; i < w->nB[n]; i++) {
            int b = w->B[n][i];
            if (w->blocked[b]) {
                w->blocked[b] = false;
                w->unblock[top++] = b;
            }
        }
        w->nB[n] = 0;
    }
}

static int add_B(Work *w, int to, int from)
{
    for (int i = 0; i < w->nB[to]; i++) /* B is a set */
        if (w->B[to][i] == from)
            return T_OK;
    if (w->nB[to] == w->capB[to]) {
        int cap = w->capB[to] ? w->capB[to] * 2 : 4;
        int *p = realloc(w->B[to], sizeof(int) * (size_t)cap);
        if (!p)
            return T_EINTERNAL;
        w->B[to] = p;
        w->capB[to] = cap;
    }
    w->B[to][w->nB[to]++] = from;
    return T_OK;
}

static int circuits(Search *s, Work *w, const int *comp, int cid, int start)
{
    const Adj *a = s->a;
    int depth = 0;
    w->path[0] = start;
    w->stack_node[0] = start;
    w->stack_edge[0] = a->start[start];
    w->blocked[start] = true;
    w->closed[start] = false;
    depth = 1;
    while (depth > 0) {
        if (out_of_time(s))
            return T_OK;
        int v = w->stack_node[depth - 1];
        if (w->stack_edge[depth - 1] < a->start[v + 1]) {
            int x = a->to[w->stack_edge[depth - 1]++];
            if (comp[x] != cid)
                continue;
            if (x == start && depth == 1) {
                continue; /* a self-loop: counted before the search */
            } else if (x == start) {
                found(s, w->path, w->stack_edge, depth);
                for (int i = 0; i < depth; i++)
                    w->closed[w->path[i]] = true;
            } else if (!w->blocked[x]) {
                w->path[depth] = x;
                w->stack_node[depth] = x;
                w->stack_edge[depth] = a->start[x];
                w->closed[x] = false;
                w->blocked[x] = true;
                depth++;
            }
            continue;
        }
        /* v's successors are exhausted. */
        if (w->closed[v]) {
            unblock(w, v);
        } else {
            for (int e = a->start[v]; e < a->start[v + 1]; e++)
                if (comp[a->to[e]] == cid && add_B(w, a->to[e], v))
                    return T_EINTERNAL;
        }
        depth--;
    }
    return T_OK;
}

static int loop_cmp_kept(const void *x, const void *y)
{
    return kept_cmp(x, y);
}

int map_loops_find(const MapGraph *g, const MapLoopOpts *o, MapLoops **out)
{
    *out = NULL;
    int n = g->nnodes;
    Adj a;
    if (map_adj_build(g, &a))
        return T_EINTERNAL;
    Search s = {.g = g, .a = &a};
    s.max_listed = o && o->max_listed > 0 ? o->max_listed : 0;
    s.budget = o ? o->budget_seconds : 0;
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    s.heap = calloc((size_t)s.max_listed + 1, sizeof(Kept));
    s.through = calloc((size_t)n + 1, sizeof(long long));
    bool *in = calloc((size_t)n + 1, sizeof(bool));
    int *comp = malloc(sizeof(int) * (size_t)(n + 1));
    int *cnt = calloc((size_t)n + 2, sizeof(int));
    /* Components waiting to be searched, as runs of node ids in pending[]
     * (each run ascending), with their starts and sizes in runs[]. At most
     * n nodes wait at once: a run is replaced by its own sub-runs. */
    int *pending = malloc(sizeof(int) * (size_t)(n + 1));
    int *runs = malloc(sizeof(int) * 2 * (size_t)(n + 1));
    Tarjan t = {0};
    Work w = {0};
    w.blocked = calloc((size_t)n + 1, sizeof(bool));
    w.closed = calloc((size_t)n + 1, sizeof(bool));
    w.B = calloc((size_t)n + 1, sizeof(int *));
    w.nB = calloc((size_t)n + 1, sizeof(int));
    w.capB = calloc((size_t)n + 1, sizeof(int));
    w.path = malloc(sizeof(int) * (size_t)(n + 1));
    w.stack_node = malloc(sizeof(int) * (size_t)(n + 1));
    w.stack_edge = malloc(sizeof(int) * (size_t)(n + 1));
    w.unblock = malloc(sizeof(int) * (size_t)(n + 1));
    int rc = T_OK;
    if (!s.heap || !s.through || !in || !comp || !cnt || !pending || !runs ||
        map_tarjan_init(&t, n) || !w.blocked || !w.closed || !w.B || !w.nB ||
        !w.capB || !w.path || !w.stack_node || !w.stack_edge || !w.unblock) {
        rc = T_EINTERNAL;
        goto done;
    }
    /* Self-loops first: a node linked to itself is a loop of length 1.
     * The search below skips them: at other nodes they lead back onto the
     * path (blocked), at its start circuits() passes them over. */
    for (int v = 0; v < n; v++) {
        int after = pair_of(&a, v, v) + 1;
        if (after > 0)
            found(&s, &v, &after, 1);
    }
    /* The whole graph is the first run. */
    int nruns = 0;
    for (int v = 0; v < n; v++)
        pending[v] = v;
    if (n > 0) {
        runs[0] = 0;
        runs[1] = n;
        nruns = 1;
    }
    int next_id = 0;
    bool first = true;
    while (nruns > 0 && !s.stopped) {
        nruns--;
        int off = runs[2 * nruns], k = runs[2 * nruns + 1];
        int *nodes = pending + off;
        if (!first && k >= 2) {
            /* Search the cycles through the lowest node of this
             * component, which then leaves it. */
            int cid = next_id++;
            for (int i = 0; i < k; i++)
                comp[nodes[i]] = -2 - cid;
            rc = circuits(&s, &w, comp, -2 - cid, nodes[0]);
            if (rc)
                goto done;
            for (int i = 0; i < k; i++) {
                w.blocked[nodes[i]] = false;
                w.closed[nodes[i]] = false;
                w.nB[nodes[i]] = 0;
            }
            nodes++;
            off++;
            k--;
        }
        first = false;
        /* Split the rest into components; queue those of two or more. */
        for (int i = 0; i < k; i++)
            in[nodes[i]] = true;
        int nc = map_scc(&a, &t, nodes, k, in, comp);
        for (int i = 0; i < k; i++)
            in[nodes[i]] = false;
        /* Counting sort by component keeps each run ascending. */
        memset(cnt, 0, sizeof(int) * (size_t)(nc + 1));
        for (int i = 0; i < k; i++)
            cnt[comp[nodes[i]] + 1]++;
        for (int c = 0; c < nc; c++)
            cnt[c + 1] += cnt[c];
        int *tmp = w.path; /* scratch: circuits() is not running */
        for (int i = 0; i < k; i++)
            tmp[cnt[comp[nodes[i]]]++] = nodes[i];
        memcpy(nodes, tmp, sizeof(int) * (size_t)k);
        int pos = 0;
        for (int c = 0; c < nc; c++) {
            int size = cnt[c] - pos;
            if (size >= 2) {
                runs[2 * nruns] = off + pos;
                runs[2 * nruns + 1] = size;
                nruns++;
            }
            pos = cnt[c];
        }
    }
done:;
    MapLoops *res = rc == T_OK ? calloc(1, sizeof *res) : NULL;
    if (res) {
        res->count = s.count;
        res->exact = !s.stopped;
        res->through = s.through;
        s.through = NULL;
        qsort(s.heap, (size_t)s.nheap, sizeof(Kept), loop_cmp_kept);
        res->loops = calloc((size_t)s.nheap + 1, sizeof(MapLoop));
        if (!res->loops)
            rc = T_EINTERNAL;
        for (int i = 0; res->loops && i < s.nheap; i++) {
            Kept *k = &s.heap[i];
            MapLoop *l = &res->loops[i];
            l->length = k->len;
            l->nodes = k->nodes;
            k->nodes = NULL;
            /* Decode the variant number into one link per pair. */
            int var = k->var;
            int pol = 1;
            bool delay = false;
            for (int j = 0; j < k->len; j++) {
                int p = pair_of(&a, l->nodes[j], l->nodes[(j + 1) % k->len]);
                int nv = a.vstart[p + 1] - a.vstart[p];
                const MapLink *link =
                    &g->links[a.vlink[a.vstart[p] + var % nv]];
                var /= nv;
                pol *= link->polarity;
                delay |= link->delay;
            }
            l->polarity = pol > 0 ? MAP_POS : pol < 0 ? MAP_NEG : MAP_UNKNOWN;
            l->delay = delay;
            res->listed++;
        }
    }
    for (int i = 0; s.heap && i < s.nheap; i++)
        free(s.heap[i].nodes);
    free(s.heap);
    free(s.through);
    free(in);
    free(comp);
    free(cnt);
    free(pending);
    free(runs);
    map_tarjan_free(&t);
    for (int v = 0; w.B && v < n; v++)
        free(w.B[v]);
    free(w.B);
    free(w.nB);
    free(w.capB);
    free(w.blocked);
    free(w.closed);
    free(w.path);
    free(w.stack_node);
    free(w.stack_edge);
    free(w.unblock);
    map_adj_free(&a);
    if (rc) {
        map_loops_free(res);
        return rc;
    }
    *out = res;
    return T_OK;
}

void map_loops_free(MapLoops *l)
{
    if (!l)
        return;
    for (int i = 0; l->loops && i < l->listed; i++)
        free(l->loops[i].nodes);
    free(l->loops);
    free(l->through);
    free(l);
}
