/*
 * test_map.c - unit tests of the causal-map module: graphs built by hand,
 * from a workspace export document and from XMILE models; every
 * elementary loop (count, length, polarity, delay, listing order, the time
 * budget) checked against closed forms for complete graphs and against a
 * brute-force enumeration written here; and the leverage measures
 * (degrees, components, betweenness) against values worked out by hand.
 */
#include "unit.h"

#include <time.h>

#include "map/map.h"

/* ---- helpers ---------------------------------------------------------- */

/* A graph of n nodes with ids "n0", "n1", ... and no links. */
static MapGraph *graph_n(int n)
{
    MapGraph *g = map_graph_new();
    assert_non_null(g);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "n%d", i);
        assert_int_equal(map_graph_add_node(g, id, NULL), i);
    }
    return g;
}

static void link_(MapGraph *g, int from, int to, MapPolarity pol, bool delay)
{
    assert_int_equal(map_graph_add_link(g, from, to, pol, delay), T_OK);
}

/* A cycle through nodes[0..k) in that order, every link + and undelayed. */
static void cycle(MapGraph *g, const int *nodes, int k)
{
    for (int i = 0; i < k; i++)
        link_(g, nodes[i], nodes[(i + 1) % k], MAP_POS, false);
}

static MapLoops *find(const MapGraph *g, int max_listed, double budget)
{
    MapLoopOpts o = {.max_listed = max_listed, .budget_seconds = budget};
    MapLoops *l = NULL;
    assert_int_equal(map_loops_find(g, &o, &l), T_OK);
    assert_non_null(l);
    return l;
}

/* Fails unless loop i lists exactly these nodes. */
static void assert_loop(const MapLoops *l, int i, const int *nodes, int k)
{
    assert_true(i < l->listed);
    if (l->loops[i].length != k)
        print_error("loop %d: length %d, want %d\n", i, l->loops[i].length, k);
    assert_int_equal(l->loops[i].length, k);
    for (int j = 0; j < k; j++)
        assert_int_equal(l->loops[i].nodes[j], nodes[j]);
}

static long long choose(int n, int k)
{
    long long r = 1;
    for (int i = 1; i <= k; i++)
        r = r * (n - k + i) / i;
    return r;
}

static long long fact(int n)
{
    long long r = 1;
    for (int i = 2; i <= n; i++)
        r *= i;
    return r;
}

/* The complete directed graph on n nodes, without self-loops, links added
 * in (from, to) order. */
static MapGraph *complete(int n)
{
    MapGraph *g = graph_n(n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j)
                link_(g, i, j, MAP_POS, false);
    return g;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A fixed 64-bit LCG (Knuth's MMIX constants): the same graph on every
 * platform. */
static uint64_t lcg_next(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* ---- brute force: elementary cycles by plain recursion ---------------- */

/* Distinct link variants per (from, to) pair, as a bit set over
 * (polarity, delay): bit (polarity + 1) * 2 + delay. */
typedef struct Brute {
    int n;
    unsigned char *var; /* n * n variant sets */
    int **succ;         /* distinct successors of each node, ascending */
    int *nsucc;
    int *path;
    bool *on;
    /* Every cycle found: its nodes, and per cycle the number of variant
     * combinations that are +, - and ?. */
    int ncyc, cap;
    int **cyc;
    int *len;
    long long (*pol)[3];
} Brute;

static int bit(MapPolarity p, bool delay)
{
    return (p + 1) * 2 + (delay ? 1 : 0);
}

static Brute *brute_new(const MapGraph *g)
{
    Brute *b = calloc(1, sizeof *b);
    int n = g->nnodes;
    b->n = n;
    b->var = calloc((size_t)n * (size_t)n, 1);
    b->succ = calloc((size_t)n, sizeof(int *));
    b->nsucc = calloc((size_t)n, sizeof(int));
    b->path = calloc((size_t)n, sizeof(int));
    b->on = calloc((size_t)n, sizeof(bool));
    for (int i = 0; i < g->nlinks; i++) {
        const MapLink *l = &g->links[i];
        b->var[(size_t)l->from * (size_t)n + (size_t)l->to] |=
            (unsigned char)(1u << bit(l->polarity, l->delay));
    }
    for (int u = 0; u < n; u++) {
        b->succ[u] = calloc((size_t)n + 1, sizeof(int));
        for (int v = 0; v < n; v++)
            if (b->var[(size_t)u * (size_t)n + (size_t)v])
                b->succ[u][b->nsucc[u]++] = v;
    }
    return b;
}

static void brute_free(Brute *b)
{
    for (int u = 0; u < b->n; u++)
        free(b->succ[u]);
    for (int i = 0; i < b->ncyc; i++)
        free(b->cyc[i]);
    free(b->cyc);
    free(b->len);
    free(b->pol);
    free(b->succ);
    free(b->nsucc);
    free(b->var);
    free(b->path);
    free(b->on);
    free(b);
}

/* Records path[0..k) as a cycle, with its polarity tally. */
static void brute_record(Brute *b, int k)
{
    if (b->ncyc == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->cyc = realloc(b->cyc, sizeof(int *) * (size_t)b->cap);
        b->len = realloc(b->len, sizeof(int) * (size_t)b->cap);
        b->pol = realloc(b->pol, sizeof b->pol[0] * (size_t)b->cap);
        assert_non_null(b->cyc);
        assert_non_null(b->len);
        assert_non_null(b->pol);
    }
    long long pos = 1, neg = 0, unk = 0; /* the empty product is + */
    for (int i = 0; i < k; i++) {
        int u = b->path[i], v = b->path[(i + 1) % k];
        unsigned m = b->var[(size_t)u * (size_t)b->n + (size_t)v];
        long long p = 0, q = 0, z = 0; /* this pair's +, -, ? variants */
        for (int d = 0; d < 2; d++) {
            q += (m >> bit(MAP_NEG, d)) & 1;
            z += (m >> bit(MAP_UNKNOWN, d)) & 1;
            p += (m >> bit(MAP_POS, d)) & 1;
        }
        long long np = pos * p + neg * q, nn = pos * q + neg * p;
        long long nu = unk * (p + q + z) + (pos + neg) * z;
        pos = np;
        neg = nn;
        unk = nu;
    }
    int *c = malloc(sizeof(int) * (size_t)k);
    assert_non_null(c);
    memcpy(c, b->path, sizeof(int) * (size_t)k);
    b->cyc[b->ncyc] = c;
    b->len[b->ncyc] = k;
    b->pol[b->ncyc][0] = pos;
    b->pol[b->ncyc][1] = neg;
    b->pol[b->ncyc][2] = unk;
    b->ncyc++;
}

/* Every simple path from s over nodes above s; a link back to s closes a
 * cycle, found once because s is its lowest node. */
static void brute_dfs(Brute *b, int s, int v, int depth)
{
    for (int i = 0; i < b->nsucc[v]; i++) {
        int w = b->succ[v][i];
        if (w == s && depth > 1)
            brute_record(b, depth);
        if (w <= s || b->on[w])
            continue;
        b->on[w] = true;
        b->path[depth] = w;
        brute_dfs(b, s, w, depth + 1);
        b->on[w] = false;
    }
}

static void brute_run(Brute *b)
{
    for (int s = 0; s < b->n; s++) {
        b->path[0] = s;
        if (b->var[(size_t)s * (size_t)b->n + (size_t)s])
            brute_record(b, 1); /* a self-loop */
        b->on[s] = true;
        brute_dfs(b, s, s, 1);
        b->on[s] = false;
    }
}

static long long brute_mult(const Brute *b, int i)
{
    return b->pol[i][0] + b->pol[i][1] + b->pol[i][2];
}

/* A cycle to sort, with the enumeration it belongs to (qsort has no
 * context argument in C11). */
typedef struct BruteRef {
    const Brute *b;
    int i;
} BruteRef;

/* Orders cycles as the engine lists loops: length, then nodes. */
static int brute_cmp(const void *x, const void *y)
{
    const BruteRef *r = x, *q = y;
    const Brute *b = r->b;
    int i = r->i, j = q->i;
    if (b->len[i] != b->len[j])
        return b->len[i] < b->len[j] ? -1 : 1;
    for (int k = 0; k < b->len[i]; k++)
        if (b->cyc[i][k] != b->cyc[j][k])
            return b->cyc[i][k] < b->cyc[j][k] ? -1 : 1;
    return 0;
}

/* Checks count, through and the listed loops (node sequences, and the
 * polarities of each sequence's variants) against the brute force. The
 * engine must have been asked to list at most max_listed. */
static void check_against_brute(const MapGraph *g, const MapLoops *l,
                                int max_listed)
{
    Brute *b = brute_new(g);
    brute_run(b);
    long long count = 0;
    long long *through = calloc((size_t)g->nnodes + 1, sizeof(long long));
    for (int i = 0; i < b->ncyc; i++) {
        count += brute_mult(b, i);
        for (int k = 0; k < b->len[i]; k++)
            through[b->cyc[i][k]] += brute_mult(b, i);
    }
    if (l->count != count)
        print_error("count %lld, brute force %lld\n", l->count, count);
    assert_true(l->exact);
    assert_true(l->count == count);
    for (int v = 0; v < g->nnodes; v++)
        assert_true(l->through[v] == through[v]);
    BruteRef *ord = malloc(sizeof *ord * ((size_t)b->ncyc + 1));
    assert_non_null(ord);
    for (int i = 0; i < b->ncyc; i++)
        ord[i] = (BruteRef){b, i};
    qsort(ord, (size_t)b->ncyc, sizeof *ord, brute_cmp);
    int want_listed = count < max_listed ? (int)count : max_listed;
    assert_int_equal(l->listed, want_listed);
    int j = 0;
    for (int i = 0; i < b->ncyc && j < l->listed; i++) {
        int c = ord[i].i;
        long long tally[3] = {0, 0, 0};
        long long m = brute_mult(b, c);
        for (long long v = 0; v < m && j < l->listed; v++, j++) {
            assert_loop(l, j, b->cyc[c], b->len[c]);
            MapPolarity p = l->loops[j].polarity;
            tally[p == MAP_POS ? 0 : p == MAP_NEG ? 1 : 2]++;
        }
        if (m == tally[0] + tally[1] + tally[2]) /* all listed */
            for (int k = 0; k < 3; k++)
                assert_true(tally[k] == b->pol[c][k]);
    }
    free(ord);
    free(through);
    brute_free(b);
}

/* A random graph: nlinks links between random nodes (self-loops and
 * parallel links included when allow_self), polarities mostly + and -,
 * some ?, one in eight delayed. */
static MapGraph *random_graph(uint64_t seed, int n, int nlinks, bool allow_self)
{
    MapGraph *g = graph_n(n);
    uint64_t x = seed;
    for (int i = 0; i < nlinks; i++) {
        int u = (int)(lcg_next(&x) % (uint64_t)n);
        int v = (int)(lcg_next(&x) % (uint64_t)n);
        if (u == v && !allow_self) {
            i--;
            continue;
        }
        uint64_t r = lcg_next(&x) % 10;
        MapPolarity p = r < 5 ? MAP_POS : r < 9 ? MAP_NEG : MAP_UNKNOWN;
        link_(g, u, v, p, lcg_next(&x) % 8 == 0);
    }
    return g;
}

/* ---- building graphs -------------------------------------------------- */

static void test_graph_build_and_find(void **state)
{
    (void)state;
    MapGraph *g = map_graph_new();
    assert_non_null(g);
    assert_int_equal(map_graph_add_node(g, "a", "Alpha"), 0);
    assert_int_equal(map_graph_add_node(g, "b", NULL), 1);
    assert_string_equal(g->names[0], "Alpha");
    assert_string_equal(g->names[1], "b"); /* no name: the id */
    assert_int_equal(map_graph_find(g, "b"), 1);
    assert_int_equal(map_graph_find(g, "c"), -1);
    assert_int_equal(map_graph_add_link(g, 0, 2, MAP_POS, false), T_EUSAGE);
    assert_int_equal(map_graph_add_link(g, -1, 0, MAP_POS, false), T_EUSAGE);
    assert_int_equal(g->nlinks, 0);
    /* Past the first allocation of each array. */
    for (int i = 2; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "x%d", i);
        assert_int_equal(map_graph_add_node(g, id, id), i);
        link_(g, i - 1, i, MAP_NEG, i % 2);
    }
    assert_int_equal(g->nnodes, 200);
    assert_int_equal(g->nlinks, 198);
    assert_int_equal(g->links[197].from, 198);
    assert_int_equal(g->links[197].to, 199);
    assert_int_equal(map_graph_find(g, "x150"), 150);
    map_graph_free(g);
    map_graph_free(NULL);
    map_loops_free(NULL);
    map_leverage_free(NULL);
}

static void test_empty_graph(void **state)
{
    (void)state;
    MapGraph *g = map_graph_new();
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 0);
    assert_true(l->exact);
    assert_int_equal(l->listed, 0);
    map_loops_free(l);
    MapLeverage *lev = NULL;
    assert_int_equal(map_leverage(g, &lev), T_OK);
    assert_non_null(lev);
    map_leverage_free(lev);
    /* No options: count everything, list nothing. */
    link_(g, map_graph_add_node(g, "a", NULL), 0, MAP_POS, false);
    l = NULL;
    assert_int_equal(map_loops_find(g, NULL, &l), T_OK);
    assert_true(l->count == 1);
    assert_int_equal(l->listed, 0);
    map_loops_free(l);
    map_graph_free(g);
}

/* ---- loops ------------------------------------------------------------ */

static void test_single_cycle(void **state)
{
    (void)state;
    /* 2 -> 0 -> 3 -> 1 -> 2 over 5 nodes (4 is outside), one - link. */
    MapGraph *g = graph_n(5);
    link_(g, 2, 0, MAP_POS, false);
    link_(g, 0, 3, MAP_NEG, false);
    link_(g, 3, 1, MAP_POS, false);
    link_(g, 1, 2, MAP_POS, false);
    link_(g, 4, 2, MAP_NEG, false); /* feeds the loop, not part of it */
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 1);
    assert_true(l->exact);
    assert_int_equal(l->listed, 1);
    static const int want[] = {0, 3, 1, 2}; /* from the lowest node */
    assert_loop(l, 0, want, 4);
    assert_int_equal(l->loops[0].polarity, MAP_NEG);
    assert_false(l->loops[0].delay);
    static const long long through[] = {1, 1, 1, 1, 0};
    for (int v = 0; v < 5; v++)
        assert_true(l->through[v] == through[v]);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_cycle_polarity_and_delay(void **state)
{
    (void)state;
    /* A 5-cycle with 0..5 of its links negative: R when even, B when odd;
     * and with a delay on link d (none when d == 5). */
    for (int nneg = 0; nneg <= 5; nneg++)
        for (int d = 0; d <= 5; d++) {
            MapGraph *g = graph_n(5);
            for (int i = 0; i < 5; i++)
                link_(g, i, (i + 1) % 5, i < nneg ? MAP_NEG : MAP_POS, i == d);
            MapLoops *l = find(g, 10, 0);
            assert_true(l->count == 1);
            assert_int_equal(l->loops[0].length, 5);
            assert_int_equal(l->loops[0].polarity,
                             nneg % 2 ? MAP_NEG : MAP_POS);
            assert_int_equal(l->loops[0].delay, d < 5);
            map_loops_free(l);
            map_graph_free(g);
        }
}

static void test_unknown_polarity(void **state)
{
    (void)state;
    /* One ? link makes the loop ?, whatever the others are. */
    for (int at = 0; at < 3; at++) {
        MapGraph *g = graph_n(3);
        for (int i = 0; i < 3; i++)
            link_(g, i, (i + 1) % 3, i == at ? MAP_UNKNOWN : MAP_NEG, false);
        MapLoops *l = find(g, 10, 0);
        assert_true(l->count == 1);
        assert_int_equal(l->loops[0].polarity, MAP_UNKNOWN);
        map_loops_free(l);
        map_graph_free(g);
    }
}

static void test_two_cycles_sharing_a_node(void **state)
{
    (void)state;
    /* 0 -> 1 -> 2 -> 0 and 2 -> 3 -> 4 -> 2: a figure eight on node 2. */
    MapGraph *g = graph_n(5);
    static const int a[] = {0, 1, 2}, b[] = {2, 3, 4};
    cycle(g, b, 3);
    cycle(g, a, 3);
    link_(g, 3, 4, MAP_NEG, true); /* a second, different 3 -> 4 */
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 3);
    assert_int_equal(l->listed, 3);
    assert_loop(l, 0, a, 3);
    assert_loop(l, 1, b, 3);
    assert_loop(l, 2, b, 3);
    assert_int_equal(l->loops[0].polarity, MAP_POS);
    /* The variants of 2 -> 3 -> 4: ordered by link polarity, - first. */
    assert_int_equal(l->loops[1].polarity, MAP_NEG);
    assert_true(l->loops[1].delay);
    assert_int_equal(l->loops[2].polarity, MAP_POS);
    assert_false(l->loops[2].delay);
    static const long long through[] = {1, 1, 3, 2, 2};
    for (int v = 0; v < 5; v++)
        assert_true(l->through[v] == through[v]);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_dag_has_no_loops(void **state)
{
    (void)state;
    /* Every link from a lower node to a higher one. */
    MapGraph *g = graph_n(30);
    for (int i = 0; i < 30; i++)
        for (int j = i + 1; j < 30; j += 1 + i % 3)
            link_(g, i, j, (i + j) % 2 ? MAP_POS : MAP_NEG, false);
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 0);
    assert_true(l->exact);
    assert_int_equal(l->listed, 0);
    for (int v = 0; v < 30; v++)
        assert_true(l->through[v] == 0);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_self_loops(void **state)
{
    (void)state;
    /* 1 -> 1 (-), 0 -> 1 -> 0, and 2 -> 2 (delayed) off on its own. */
    MapGraph *g = graph_n(3);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 1, 0, MAP_POS, false);
    link_(g, 1, 1, MAP_NEG, false);
    link_(g, 2, 2, MAP_POS, true);
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 3);
    assert_int_equal(l->listed, 3);
    static const int one[] = {1}, two[] = {2}, pair[] = {0, 1};
    assert_loop(l, 0, one, 1);
    assert_int_equal(l->loops[0].polarity, MAP_NEG);
    assert_false(l->loops[0].delay);
    assert_loop(l, 1, two, 1);
    assert_int_equal(l->loops[1].polarity, MAP_POS);
    assert_true(l->loops[1].delay);
    assert_loop(l, 2, pair, 2);
    assert_true(l->through[0] == 1);
    assert_true(l->through[1] == 2);
    assert_true(l->through[2] == 1);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_parallel_links(void **state)
{
    (void)state;
    /* Two a -> b links of the same polarity: one loop. */
    MapGraph *g = graph_n(2);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 1, 0, MAP_POS, false);
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 1);
    assert_int_equal(l->listed, 1);
    assert_int_equal(l->loops[0].polarity, MAP_POS);
    map_loops_free(l);
    map_graph_free(g);

    /* a -> b both + and -, b -> a +: two loops, one R and one B. */
    g = graph_n(2);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 0, 1, MAP_NEG, false);
    link_(g, 1, 0, MAP_POS, false);
    l = find(g, 10, 0);
    assert_true(l->count == 2);
    assert_int_equal(l->listed, 2);
    assert_int_equal(l->loops[0].polarity + l->loops[1].polarity, 0);
    assert_true(l->loops[0].polarity != MAP_UNKNOWN);
    assert_true(l->through[0] == 2 && l->through[1] == 2);
    map_loops_free(l);
    /* Listing one of them still counts both. */
    l = find(g, 1, 0);
    assert_true(l->count == 2);
    assert_int_equal(l->listed, 1);
    map_loops_free(l);
    map_graph_free(g);

    /* Variants multiply: 2 kinds of a -> b times 3 kinds of b -> a. */
    g = graph_n(2);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 0, 1, MAP_NEG, false);
    link_(g, 1, 0, MAP_POS, false);
    link_(g, 1, 0, MAP_NEG, false);
    link_(g, 1, 0, MAP_UNKNOWN, false);
    l = find(g, 10, 0);
    assert_true(l->count == 6);
    int tally[3] = {0, 0, 0};
    for (int i = 0; i < l->listed; i++)
        tally[l->loops[i].polarity + 1]++;
    assert_int_equal(tally[0], 2); /* B: +- and -+ */
    assert_int_equal(tally[1], 2); /* ?: +? and -? */
    assert_int_equal(tally[2], 2); /* R: ++ and -- */
    map_loops_free(l);
    map_graph_free(g);
}

static void test_complete_graphs(void **state)
{
    (void)state;
    for (int n = 3; n <= 7; n++) {
        long long want = 0, through = 0;
        for (int k = 2; k <= n; k++) {
            want += choose(n, k) * fact(k - 1);
            through += choose(n - 1, k - 1) * fact(k - 1);
        }
        MapGraph *g = complete(n);
        MapLoops *l = find(g, 5, 0);
        if (l->count != want)
            print_error("K_%d: %lld loops, want %lld\n", n, l->count, want);
        assert_true(l->count == want);
        assert_true(l->exact);
        for (int v = 0; v < n; v++)
            assert_true(l->through[v] == through);
        /* The shortest are the 2-cycles 0-1, 0-2, ... */
        assert_int_equal(l->listed, 5);
        int p[2] = {0, 1};
        for (int i = 0; i < 5 && i < n * (n - 1) / 2; i++) {
            assert_loop(l, i, p, 2);
            if (++p[1] == n) {
                p[0]++;
                p[1] = p[0] + 1;
            }
        }
        map_loops_free(l);
        map_graph_free(g);
    }
}

static void test_max_listed_shortest_first(void **state)
{
    (void)state;
    /* K_5 has 10 2-cycles, 20 3-cycles, 30 4-cycles and 24 5-cycles. */
    MapGraph *g = complete(5);
    MapLoops *l = find(g, 12, 0);
    assert_true(l->count == 84);
    assert_true(l->exact);
    assert_int_equal(l->listed, 12);
    for (int i = 0; i < 10; i++)
        assert_int_equal(l->loops[i].length, 2);
    static const int first3[] = {0, 1, 2}, second3[] = {0, 1, 3};
    assert_loop(l, 10, first3, 3);
    assert_loop(l, 11, second3, 3);
    map_loops_free(l);
    /* Listing more than there are lists them all, in order. */
    l = find(g, 1000, 0);
    assert_int_equal(l->listed, 84);
    for (int i = 1; i < l->listed; i++) {
        const MapLoop *x = &l->loops[i - 1], *y = &l->loops[i];
        assert_true(x->length <= y->length);
        if (x->length == y->length)
            assert_true(memcmp(x->nodes, y->nodes,
                               sizeof(int) * (size_t)x->length) != 0);
    }
    assert_int_equal(l->loops[83].length, 5);
    map_loops_free(l);
    /* Listing none still counts. */
    l = find(g, 0, 0);
    assert_true(l->count == 84);
    assert_int_equal(l->listed, 0);
    map_loops_free(l);
    map_graph_free(g);
}

/* The same links added in another order give the same listed loops. */
static void test_deterministic_order(void **state)
{
    (void)state;
    MapGraph *a = random_graph(7, 24, 71, true);
    MapGraph *b = graph_n(24);
    for (int i = a->nlinks - 1; i >= 0; i--) /* reversed */
        link_(b, a->links[i].from, a->links[i].to, a->links[i].polarity,
              a->links[i].delay);
    MapGraph *c = graph_n(24);
    for (int i = 0; i < a->nlinks; i++) /* every 7th first, interleaved */
        link_(c, a->links[(i * 7) % a->nlinks].from,
              a->links[(i * 7) % a->nlinks].to,
              a->links[(i * 7) % a->nlinks].polarity,
              a->links[(i * 7) % a->nlinks].delay);
    assert_int_equal(a->nlinks % 7 != 0, 1); /* so c is a permutation */
    MapLoops *la = find(a, 40, 0), *lb = find(b, 40, 0), *lc = find(c, 40, 0);
    assert_true(la->count > 40);
    const MapLoops *other[] = {lb, lc};
    for (int k = 0; k < 2; k++) {
        const MapLoops *lo = other[k];
        assert_true(lo->count == la->count);
        assert_int_equal(lo->listed, la->listed);
        for (int v = 0; v < 24; v++)
            assert_true(lo->through[v] == la->through[v]);
        for (int i = 0; i < la->listed; i++) {
            assert_loop(lo, i, la->loops[i].nodes, la->loops[i].length);
            assert_int_equal(lo->loops[i].polarity, la->loops[i].polarity);
            assert_int_equal(lo->loops[i].delay, la->loops[i].delay);
        }
    }
    /* Run twice on one graph: the same again. */
    MapLoops *l2 = find(a, 40, 0);
    for (int i = 0; i < la->listed; i++) {
        assert_loop(l2, i, la->loops[i].nodes, la->loops[i].length);
        assert_int_equal(l2->loops[i].polarity, la->loops[i].polarity);
    }
    map_loops_free(l2);
    map_loops_free(la);
    map_loops_free(lb);
    map_loops_free(lc);
    map_graph_free(a);
    map_graph_free(b);
    map_graph_free(c);
}

static void test_budget_stops_count(void **state)
{
    (void)state;
    /* K_12 has sum C(12,k)(k-1)! ~ 1.1e9 loops: far too many for 0.2 s. */
    MapGraph *g = complete(12);
    double t0 = now();
    MapLoops *l = find(g, 20, 0.2);
    double el = now() - t0;
    assert_false(l->exact);
    assert_true(l->count > 0);
    assert_true(el < 3.0); /* generous: sanitizer builds are slow */
    /* The shortest of those found (not necessarily of all). */
    assert_int_equal(l->listed, 20);
    for (int i = 1; i < l->listed; i++)
        assert_true(l->loops[i - 1].length <= l->loops[i].length);
    map_loops_free(l);
    /* A budget that is not reached changes nothing. */
    MapGraph *small = complete(5);
    l = find(small, 0, 10);
    assert_true(l->exact);
    assert_true(l->count == 84);
    map_loops_free(l);
    map_graph_free(small);
    map_graph_free(g);
}

static void test_random_against_brute_force(void **state)
{
    (void)state;
    /* Small graphs with parallel and mixed-polarity links. */
    for (uint64_t seed = 1; seed <= 200; seed++) {
        int n = 6 + (int)(seed % 10);
        MapGraph *g = random_graph(seed, n, n * 2, false);
        MapLoops *l = find(g, 10000, 0);
        check_against_brute(g, l, 10000);
        map_loops_free(l);
        /* Listing a few: the same first ones. */
        l = find(g, 7, 0);
        check_against_brute(g, l, 7);
        map_loops_free(l);
        map_graph_free(g);
    }
    /* 60 nodes, 140 links: 2,726 loops. */
    MapGraph *g = random_graph(2024, 60, 140, false);
    MapLoops *l = find(g, 500, 0);
    assert_true(l->count > 1000);
    check_against_brute(g, l, 500);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_large_sparse_against_brute_force(void **state)
{
    (void)state;
    /* 2,000 nodes, 2,350 links: average out-degree 1.175, a few hundred
     * loops (at 1.3 they run to millions). */
    MapGraph *g = random_graph(5, 2000, 2350, false);
    MapLoops *l = find(g, 300, 0);
    assert_true(l->count > 500);
    check_against_brute(g, l, 300);
    map_loops_free(l);
    map_graph_free(g);
}

/* A node with a self-loop that is also the lowest node of a larger
 * strongly connected component: its self-loop counts once. */
static void test_self_loop_at_component_root(void **state)
{
    (void)state;
    MapGraph *g = graph_n(2);
    link_(g, 0, 0, MAP_NEG, false);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 1, 0, MAP_POS, false);
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 2);
    assert_int_equal(l->listed, 2);
    static const int self[] = {0}, pair[] = {0, 1};
    assert_loop(l, 0, self, 1);
    assert_loop(l, 1, pair, 2);
    assert_true(l->through[0] == 2);
    assert_true(l->through[1] == 1);
    map_loops_free(l);
    map_graph_free(g);
    /* Random graphs with self-loops, against the brute force. */
    for (uint64_t seed = 1; seed <= 100; seed++) {
        int n = 6 + (int)(seed % 10);
        g = random_graph(seed, n, n * 2, true);
        l = find(g, 10000, 0);
        check_against_brute(g, l, 10000);
        map_loops_free(l);
        map_graph_free(g);
    }
}

/* ---- leverage --------------------------------------------------------- */

static MapLeverage *leverage(const MapGraph *g)
{
    MapLeverage *l = NULL;
    assert_int_equal(map_leverage(g, &l), T_OK);
    assert_non_null(l);
    return l;
}

static void test_degrees_and_components(void **state)
{
    (void)state;
    /* {0, 3} and {2, 4} are cycles, 1 and 5 stand alone; 0 -> 1 twice. */
    MapGraph *g = graph_n(6);
    link_(g, 0, 3, MAP_POS, false);
    link_(g, 3, 0, MAP_NEG, false);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 0, 1, MAP_NEG, true); /* parallel: one distinct link */
    link_(g, 1, 4, MAP_POS, false);
    link_(g, 4, 2, MAP_POS, false);
    link_(g, 2, 4, MAP_POS, false);
    link_(g, 5, 5, MAP_POS, false); /* self-loop: in and out */
    MapLeverage *l = leverage(g);
    static const int in[] = {1, 1, 1, 1, 2, 1};
    static const int out[] = {2, 1, 1, 1, 1, 1};
    static const int comp[] = {0, 1, 2, 0, 2, 3};
    for (int v = 0; v < 6; v++) {
        assert_int_equal(l->in_degree[v], in[v]);
        assert_int_equal(l->out_degree[v], out[v]);
        assert_int_equal(l->component[v], comp[v]);
    }
    map_leverage_free(l);
    map_graph_free(g);
}

static void test_betweenness(void **state)
{
    (void)state;
    /* A path a -> b -> c: only b is between. */
    MapGraph *g = graph_n(3);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 1, 2, MAP_POS, false);
    MapLeverage *l = leverage(g);
    assert_close(l->betweenness[0], 0);
    assert_close(l->betweenness[1], 1);
    assert_close(l->betweenness[2], 0);
    assert_int_equal(l->component[0], 0);
    assert_int_equal(l->component[1], 1);
    assert_int_equal(l->component[2], 2);
    map_leverage_free(l);
    map_graph_free(g);

    /* A directed cycle of n: every node (n - 1)(n - 2) / 2. */
    for (int n = 3; n <= 8; n++) {
        g = graph_n(n);
        for (int i = 0; i < n; i++)
            link_(g, i, (i + 1) % n, MAP_POS, false);
        l = leverage(g);
        for (int v = 0; v < n; v++) {
            assert_close(l->betweenness[v], (n - 1) * (n - 2) / 2.0);
            assert_int_equal(l->component[v], 0);
        }
        map_leverage_free(l);
        map_graph_free(g);
    }

    /* A diamond 0 -> {1, 2} -> 3: two shortest paths share 0 -> 3. */
    g = graph_n(4);
    link_(g, 0, 1, MAP_POS, false);
    link_(g, 0, 2, MAP_POS, false);
    link_(g, 1, 3, MAP_POS, false);
    link_(g, 2, 3, MAP_POS, false);
    link_(g, 2, 3, MAP_NEG, false); /* parallel: still one path */
    l = leverage(g);
    assert_close(l->betweenness[0], 0);
    assert_close(l->betweenness[1], 0.5);
    assert_close(l->betweenness[2], 0.5);
    assert_close(l->betweenness[3], 0);
    map_leverage_free(l);
    map_graph_free(g);

    /* A star through hub 0: k spokes in and out give k(k-1). */
    g = graph_n(6);
    for (int i = 1; i < 6; i++) {
        link_(g, i, 0, MAP_POS, false);
        link_(g, 0, i, MAP_POS, false);
    }
    l = leverage(g);
    assert_close(l->betweenness[0], 20);
    for (int i = 1; i < 6; i++)
        assert_close(l->betweenness[i], 0);
    map_leverage_free(l);
    map_graph_free(g);
}

/* ---- map_graph_from_json ---------------------------------------------- */

/* Loads a document that must fail and returns the formatted diagnostics
 * in out. */
static void json_errors(const char *doc, char *out, size_t n)
{
    TDiags d = {0};
    MapGraph *g = (MapGraph *)1;
    int rc = map_graph_from_json(doc, strlen(doc), "t.json", &g, &d);
    u_format(&d, out, n);
    diags_free(&d);
    if (rc == T_OK)
        map_graph_free(g);
    assert_int_equal(rc, T_EINPUT);
    assert_null(g);
}

static void test_json_good_document(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"items\": [\n"
        "  {\"id\": \"a\", \"title\": \"Alpha\"},\n"
        "  {\"id\": 2},\n"
        "  {\"id\": \"c\", \"name\": \"See\"},\n"
        "  {\"id\": \"d\"}\n"
        "],\n"
        "\"links\": [\n"
        "  {\"from\": \"a\", \"to\": 2, \"polarity\": \"+\"},\n"
        "  {\"from\": \"2\", \"to\": \"c\", \"polarity\": \"-\"},\n"
        "  {\"from\": \"c\", \"to\": \"a\", \"polarity\": \"\xe2\x88\x92\","
        " \"delay\": true},\n"
        "  {\"from\": \"a\", \"to\": \"d\", \"polarity\": \"?\","
        " \"delay\": false},\n"
        "  {\"from\": \"d\", \"to\": \"a\"}\n"
        "],\n"
        "\"other\": 1}\n";
    TDiags d = {0};
    MapGraph *g = NULL;
    assert_int_equal(map_graph_from_json(doc, strlen(doc), "t.json", &g, &d),
                     T_OK);
    assert_int_equal(d.len, 0);
    assert_non_null(g);
    assert_int_equal(g->nnodes, 4);
    static const char *ids[] = {"a", "2", "c", "d"};
    static const char *names[] = {"Alpha", "2", "See", "d"};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(g->ids[i], ids[i]);
        assert_string_equal(g->names[i], names[i]);
    }
    assert_int_equal(g->nlinks, 5);
    static const MapLink want[] = {{0, 1, MAP_POS, false},
                                   {1, 2, MAP_NEG, false},
                                   {2, 0, MAP_NEG, true},
                                   {0, 3, MAP_UNKNOWN, false},
                                   {3, 0, MAP_UNKNOWN, false}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(g->links[i].from, want[i].from);
        assert_int_equal(g->links[i].to, want[i].to);
        assert_int_equal(g->links[i].polarity, want[i].polarity);
        assert_int_equal(g->links[i].delay, want[i].delay);
    }
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 2);
    static const int ad[] = {0, 3}, a2c[] = {0, 1, 2};
    assert_loop(l, 0, ad, 2);
    assert_int_equal(l->loops[0].polarity, MAP_UNKNOWN);
    assert_false(l->loops[0].delay);
    assert_loop(l, 1, a2c, 3);
    assert_int_equal(l->loops[1].polarity, MAP_POS); /* two negatives */
    assert_true(l->loops[1].delay);
    map_loops_free(l);
    map_graph_free(g);
    diags_free(&d);
}

static void test_json_empty_and_alternatives(void **state)
{
    (void)state;
    static const char empty[] = "{\"items\": [], \"links\": []}";
    TDiags d = {0};
    MapGraph *g = NULL;
    assert_int_equal(
        map_graph_from_json(empty, strlen(empty), "t.json", &g, &d), T_OK);
    assert_int_equal(g->nnodes, 0);
    assert_int_equal(g->nlinks, 0);
    map_graph_free(g);
    /* The polarity's other spellings, and the length bound on the text. */
    static const char alt[] =
        "{\"items\": [{\"id\": 1}, {\"id\": -5}],"
        " \"links\": [{\"from\": 1, \"to\": -5, \"polarity\": 1},"
        " {\"from\": -5, \"to\": 1, \"polarity\": \"negative\"},"
        " {\"from\": 1, \"to\": 1, \"polarity\": null},"
        " {\"from\": 1, \"to\": 1, \"polarity\": 0}]}GARBAGE";
    g = NULL;
    assert_int_equal(map_graph_from_json(alt, strlen(alt) - strlen("GARBAGE"),
                                         "t.json", &g, &d),
                     T_OK);
    assert_int_equal(d.len, 0);
    assert_string_equal(g->ids[1], "-5");
    assert_int_equal(g->links[0].polarity, MAP_POS);
    assert_int_equal(g->links[1].polarity, MAP_NEG);
    assert_int_equal(g->links[2].polarity, MAP_UNKNOWN);
    assert_int_equal(g->links[3].polarity, MAP_UNKNOWN);
    map_graph_free(g);
    diags_free(&d);
}

static void test_json_malformed(void **state)
{
    (void)state;
    char msg[1024];
    json_errors("{\"items\": [\n  {\"id\": \"a\",}\n], \"links\": []}", msg,
                sizeof msg);
    /* The line is shown with a caret under the spot. */
    assert_string_equal(msg,
                        "t.json:2:14: malformed JSON: string or '}' expected "
                        "near '}'\n"
                        "    {\"id\": \"a\",}\n"
                        "               ^\n");
    json_errors("", msg, sizeof msg);
    assert_string_equal(
        msg, "t.json:1: malformed JSON: '[' or '{' expected near end of "
             "file\n");
    json_errors("{\"items\": [], \"links\": [], \"items\": []}", msg,
                sizeof msg);
    assert_string_equal(msg, "t.json:1:34: malformed JSON: duplicate object "
                             "key near '\"items\"'\n"
                             "  {\"items\": [], \"links\": [], \"items\": []}\n"
                             "                                   ^\n");
}

static void test_json_bad_fields(void **state)
{
    (void)state;
    char msg[2048];
    json_errors("[1, 2]", msg, sizeof msg);
    assert_string_equal(msg, "t.json: the document must be a JSON object with "
                             "'items' and 'links'\n");
    json_errors("{\"items\": {}, \"links\": []}", msg, sizeof msg);
    assert_string_equal(msg, "t.json: items: expected an array\n");
    json_errors("{\"items\": []}", msg, sizeof msg);
    assert_string_equal(msg, "t.json: links: expected an array\n");
    json_errors("{\"items\": [{\"id\": \"a\"}, {\"id\": \"a\"}],"
                " \"links\": []}",
                msg, sizeof msg);
    assert_string_equal(msg, "t.json: items[1].id: duplicate id 'a'\n");
    /* 7 and "7" are the same id. */
    json_errors("{\"items\": [{\"id\": 7}, {\"id\": \"7\"}], \"links\": []}",
                msg, sizeof msg);
    assert_string_equal(msg, "t.json: items[1].id: duplicate id '7'\n");
    json_errors("{\"items\": [{\"id\": \"a\"}],"
                " \"links\": [{\"from\": \"a\", \"to\": \"zz\"}]}",
                msg, sizeof msg);
    assert_string_equal(msg, "t.json: links[0].to: unknown item 'zz'\n");
    json_errors("{\"items\": [{\"id\": \"a\"}],"
                " \"links\": [{\"from\": \"a\", \"to\": \"a\","
                " \"polarity\": \"plus\"}]}",
                msg, sizeof msg);
    assert_string_equal(
        msg, "t.json: links[0].polarity: expected \"+\", \"-\" or \"?\"\n");
    json_errors("{\"items\": [{\"id\": \"a\"}],"
                " \"links\": [{\"from\": \"a\", \"to\": \"a\","
                " \"polarity\": 2}]}",
                msg, sizeof msg);
    assert_string_equal(
        msg, "t.json: links[0].polarity: expected \"+\", \"-\" or \"?\"\n");
    json_errors("{\"items\": [{\"id\": \"a\"}],"
                " \"links\": [{\"from\": \"a\", \"to\": \"a\","
                " \"delay\": \"yes\"}]}",
                msg, sizeof msg);
    assert_string_equal(msg,
                        "t.json: links[0].delay: expected true or false\n");
    /* Every problem is reported, not only the first. */
    json_errors("{\"items\": [{\"id\": \"a\"}, 3, {\"id\": 1.5},"
                " {\"id\": \"\"}, {\"id\": \"b\", \"title\": 4}],"
                " \"links\": [{\"from\": \"q\", \"to\": \"a\"}, [],"
                " {\"to\": \"a\"}, {\"from\": \"a\"},"
                " {\"from\": \"a\", \"to\": \"a\", \"delay\": 1}]}",
                msg, sizeof msg);
    assert_string_equal(msg, "t.json: items[1]: expected an object\n"
                             "t.json: items[2].id: expected a string or an "
                             "integer\n"
                             "t.json: items[3].id: expected a string or an "
                             "integer\n"
                             "t.json: items[4].title: expected a string\n"
                             "t.json: links[0].from: unknown item 'q'\n"
                             "t.json: links[1]: expected an object\n"
                             "t.json: links[2].from: expected an item id\n"
                             "t.json: links[3].to: expected an item id\n"
                             "t.json: links[4].delay: expected true or "
                             "false\n");
}

/* Ids longer than the limit are refused by name, never cut short (two
 * ids differing after the limit must not collide). */
static void test_json_long_ids(void **state)
{
    (void)state;
    char a[301], b[301];
    memset(a, 'a', 300);
    a[300] = 0;
    memcpy(b, a, sizeof a);
    b[299] = 'b';
    TBuf doc = {0};
    tbuf_printf(&doc,
                "{\"items\": [{\"id\": \"%s\"}, {\"id\": \"%s\"}],"
                " \"links\": [{\"from\": \"%s\", \"to\": \"%s\"}]}",
                a, b, a, b);
    TDiags d = {0};
    MapGraph *g = NULL;
    int rc = map_graph_from_json(tbuf_cstr(&doc), doc.len, "t.json", &g, &d);
    tbuf_free(&doc);
    assert_int_equal(rc, T_EINPUT);
    assert_null(g);
    assert_int_equal(d.len, 3);
    assert_string_equal(d.items[0].message,
                        "items[0].id: longer than 255 bytes");
    assert_string_equal(d.items[1].message,
                        "items[1].id: longer than 255 bytes");
    assert_string_equal(d.items[2].message,
                        "links[0].from: longer than 255 bytes");
    diags_free(&d);
}

/* ---- graphs of models ------------------------------------------------- */

/* The causal graph of a model made of the given variables (time 0..10). */
static MapGraph *model_graph(const char *vars)
{
    char *xml = u_xmile(0, 10, 1, NULL, vars);
    TDiags d = {0};
    SdModel *m = NULL;
    MapGraph *g = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    assert_int_equal(map_graph_from_model(m, &g, &d), T_OK);
    sd_model_free(m);
    diags_free(&d);
    free(xml);
    return g;
}

/* The link between two nodes named by id, or -1. */
static int link_index(const MapGraph *g, const char *from, const char *to)
{
    int f = map_graph_find(g, from), t = map_graph_find(g, to);
    for (int i = 0; f >= 0 && t >= 0 && i < g->nlinks; i++)
        if (g->links[i].from == f && g->links[i].to == t)
            return i;
    return -1;
}

static bool has_link(const MapGraph *g, const char *from, const char *to)
{
    return link_index(g, from, to) >= 0;
}

/* The link, which must exist. */
static MapLink model_link(const MapGraph *g, const char *from, const char *to)
{
    int i = link_index(g, from, to);
    if (i < 0)
        print_error("no link %s -> %s\n", from, to);
    assert_true(i >= 0);
    return g->links[i];
}

static void test_model_stock_flows(void **state)
{
    (void)state;
    MapGraph *g = model_graph(
        "<stock name=\"Stock\"><eqn>init</eqn><inflow>in flow</inflow>"
        "<outflow>out_flow</outflow></stock>\n"
        "<flow name=\"in flow\"><eqn>2</eqn></flow>\n"
        "<flow name=\"out flow\"><eqn>3</eqn></flow>\n"
        "<aux name=\"init\"><eqn>10</eqn></aux>");
    assert_int_equal(g->nnodes, 4);
    assert_string_equal(g->names[map_graph_find(g, "in_flow")], "in flow");
    MapLink in = model_link(g, "in_flow", "stock");
    MapLink out = model_link(g, "out_flow", "stock");
    assert_int_equal(in.polarity, MAP_POS);
    assert_int_equal(out.polarity, MAP_NEG);
    assert_false(in.delay);
    assert_false(out.delay);
    /* The initial value is not a causal link. */
    assert_false(has_link(g, "init", "stock"));
    assert_int_equal(g->nlinks, 2);
    map_graph_free(g);
}

static void test_model_balancing_outflow(void **state)
{
    (void)state;
    MapGraph *g =
        model_graph("<stock name=\"S\"><eqn>100</eqn><outflow>drain</outflow>"
                    "<non_negative/></stock>\n"
                    "<flow name=\"drain\"><eqn>S * k</eqn></flow>\n"
                    "<aux name=\"k\"><eqn>0.1</eqn></aux>");
    assert_int_equal(model_link(g, "s", "drain").polarity, MAP_POS);
    assert_int_equal(model_link(g, "k", "drain").polarity, MAP_POS);
    assert_int_equal(model_link(g, "drain", "s").polarity, MAP_NEG);
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 1);
    assert_int_equal(l->loops[0].length, 2);
    assert_int_equal(l->loops[0].polarity, MAP_NEG);
    assert_false(l->loops[0].delay);
    map_loops_free(l);
    map_graph_free(g);

    /* The same as an inflow: reinforcing. */
    g = model_graph("<stock name=\"S\"><eqn>100</eqn><inflow>grow</inflow>"
                    "<non_negative/></stock>\n"
                    "<flow name=\"grow\"><eqn>k * S</eqn></flow>\n"
                    "<aux name=\"k\"><eqn>0.1</eqn></aux>");
    l = find(g, 10, 0);
    assert_true(l->count == 1);
    assert_int_equal(l->loops[0].polarity, MAP_POS);
    map_loops_free(l);
    map_graph_free(g);
}

static void test_model_graphical_functions(void **state)
{
    (void)state;
    MapGraph *g = model_graph(
        "<aux name=\"x\"><eqn>TIME</eqn></aux>\n"
        /* An own graphical function that only falls (flat steps too). */
        "<aux name=\"effect\"><eqn>x</eqn><gf><xscale min=\"0\" max=\"3\"/>"
        "<ypts>1,0.5,0.5,0</ypts></gf></aux>\n"
        /* A bare graphical function, called by name and with LOOKUP. */
        "<gf name=\"table\"><xscale min=\"0\" max=\"2\"/>"
        "<ypts>4,2,1</ypts></gf>\n"
        "<aux name=\"by name\"><eqn>table(x)</eqn></aux>\n"
        "<aux name=\"by lookup\"><eqn>LOOKUP(table, x)</eqn></aux>\n"
        /* Rising, and neither. */
        "<aux name=\"up\"><eqn>x</eqn><gf><xscale min=\"0\" max=\"2\"/>"
        "<ypts>0,1,3</ypts></gf></aux>\n"
        "<aux name=\"bump\"><eqn>x</eqn><gf><xscale min=\"0\" max=\"2\"/>"
        "<ypts>0,1,0</ypts></gf></aux>\n"
        /* A product with a positive constant keeps the sign. */
        "<aux name=\"scaled\"><eqn>effect * 2</eqn></aux>");
    assert_int_equal(map_graph_find(g, "table"), -1); /* not a factor */
    assert_int_equal(g->nnodes, 7);
    assert_int_equal(model_link(g, "x", "effect").polarity, MAP_NEG);
    assert_int_equal(model_link(g, "x", "by_name").polarity, MAP_NEG);
    assert_true(has_link(g, "x", "by_lookup"));
    assert_int_equal(model_link(g, "x", "up").polarity, MAP_POS);
    assert_int_equal(model_link(g, "x", "bump").polarity, MAP_UNKNOWN);
    assert_int_equal(model_link(g, "effect", "scaled").polarity, MAP_POS);
    /* No link names the bare function. */
    for (int i = 0; i < g->nlinks; i++) {
        assert_true(g->links[i].from >= 0 && g->links[i].from < g->nnodes);
        assert_true(g->links[i].to >= 0 && g->links[i].to < g->nnodes);
    }
    map_graph_free(g);
}

static void test_model_unknown_sign(void **state)
{
    (void)state;
    MapGraph *g =
        model_graph("<aux name=\"x\"><eqn>3</eqn></aux>\n"
                    "<aux name=\"m\"><eqn>TIME - 5</eqn></aux>\n"
                    "<aux name=\"y\"><eqn>x * m</eqn></aux>\n"
                    "<aux name=\"z\"><eqn>x / (1 + EXP(m))</eqn></aux>\n"
                    "<aux name=\"w\"><eqn>-x + 2 * x - m</eqn></aux>\n"
                    "<aux name=\"v\"><eqn>IF m > 0 THEN x ELSE 0</eqn></aux>");
    /* m runs from -5 to 5: its sign is not known, so neither is x's
     * effect on y; x is 3, so m's effect on y is +. */
    assert_int_equal(model_link(g, "x", "y").polarity, MAP_UNKNOWN);
    assert_int_equal(model_link(g, "m", "y").polarity, MAP_POS);
    /* 1 + EXP(m) is positive whatever m is. */
    assert_int_equal(model_link(g, "x", "z").polarity, MAP_POS);
    assert_int_equal(model_link(g, "m", "z").polarity, MAP_NEG);
    /* -x + 2x: a + and a - term: not provable. */
    assert_int_equal(model_link(g, "x", "w").polarity, MAP_UNKNOWN);
    assert_int_equal(model_link(g, "m", "w").polarity, MAP_NEG);
    assert_int_equal(model_link(g, "m", "v").polarity, MAP_UNKNOWN);
    assert_int_equal(model_link(g, "x", "v").polarity, MAP_POS);
    assert_false(has_link(g, "y", "x"));
    map_graph_free(g);
}

static void test_model_delays(void **state)
{
    (void)state;
    MapGraph *g = model_graph(
        "<stock name=\"S\"><eqn>10</eqn><inflow>f</inflow></stock>\n"
        "<flow name=\"f\"><eqn>(goal - perceived) / 4</eqn></flow>\n"
        "<aux name=\"goal\"><eqn>50</eqn></aux>\n"
        "<aux name=\"perceived\"><eqn>SMTH1(S, t)</eqn></aux>\n"
        "<aux name=\"t\"><eqn>3</eqn></aux>\n"
        "<aux name=\"direct\"><eqn>S + goal</eqn></aux>");
    MapLink sm = model_link(g, "s", "perceived");
    assert_int_equal(sm.polarity, MAP_POS);
    assert_true(sm.delay);
    /* The averaging time is read too, with an unknown sign. */
    assert_int_equal(model_link(g, "t", "perceived").polarity, MAP_UNKNOWN);
    assert_false(model_link(g, "s", "direct").delay);
    assert_int_equal(model_link(g, "perceived", "f").polarity, MAP_NEG);
    assert_false(model_link(g, "perceived", "f").delay);
    assert_int_equal(model_link(g, "goal", "f").polarity, MAP_POS);
    /* S -> perceived -> f -> S: balancing, with a delay. */
    MapLoops *l = find(g, 10, 0);
    assert_true(l->count == 1);
    assert_int_equal(l->loops[0].length, 3);
    assert_int_equal(l->loops[0].polarity, MAP_NEG);
    assert_true(l->loops[0].delay);
    map_loops_free(l);
    map_graph_free(g);
}

/* An equation that does not parse fails the graph, with its message. */
static void test_model_bad_equation(void **state)
{
    (void)state;
    char *xml = u_xmile(0, 10, 1, NULL,
                        "<aux name=\"x\"><eqn>1 +</eqn></aux>\n"
                        "<aux name=\"y\"><eqn>x</eqn></aux>");
    TDiags d = {0};
    SdModel *m = NULL;
    MapGraph *g = (MapGraph *)1;
    int rc = sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d);
    free(xml);
    if (rc == T_OK)
        rc = map_graph_from_model(m, &g, &d);
    else
        g = NULL;
    sd_model_free(m);
    assert_int_equal(rc, T_EINPUT);
    assert_null(g);
    assert_true(d.errors > 0);
    diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_build_and_find),
        cmocka_unit_test(test_empty_graph),
        cmocka_unit_test(test_single_cycle),
        cmocka_unit_test(test_cycle_polarity_and_delay),
        cmocka_unit_test(test_unknown_polarity),
        cmocka_unit_test(test_two_cycles_sharing_a_node),
        cmocka_unit_test(test_dag_has_no_loops),
        cmocka_unit_test(test_self_loops),
        cmocka_unit_test(test_parallel_links),
        cmocka_unit_test(test_complete_graphs),
        cmocka_unit_test(test_max_listed_shortest_first),
        cmocka_unit_test(test_deterministic_order),
        cmocka_unit_test(test_budget_stops_count),
        cmocka_unit_test(test_random_against_brute_force),
        cmocka_unit_test(test_large_sparse_against_brute_force),
        cmocka_unit_test(test_self_loop_at_component_root),
        cmocka_unit_test(test_degrees_and_components),
        cmocka_unit_test(test_betweenness),
        cmocka_unit_test(test_json_good_document),
        cmocka_unit_test(test_json_empty_and_alternatives),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_json_bad_fields),
        cmocka_unit_test(test_json_long_ids),
        cmocka_unit_test(test_model_stock_flows),
        cmocka_unit_test(test_model_balancing_outflow),
        cmocka_unit_test(test_model_graphical_functions),
        cmocka_unit_test(test_model_unknown_sign),
        cmocka_unit_test(test_model_delays),
        cmocka_unit_test(test_model_bad_equation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
