/*
 * test_ltm_find.c - strongest-path loop discovery (sd_ltm_discover): on
 * models small enough to score every loop it must find the loop that
 * dominates at each saved time; on generated models with very many loops
 * it must finish within its bounds and find the loop known to dominate;
 * the same program gives the same loops.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/map.h"
#include "sd/sd.h"

/* Three-party arms race (Eberlein and Schoenberg 2020, figure 1): each
 * party adjusts its arms to a target set by the other two, so there are
 * three adjustment loops, three pairwise loops and two loops through all
 * three; which dominates changes over the run. */
static const char arms[] =
    "<xmile><sim_specs><start>0</start><stop>100</stop><dt>0.25</dt>"
    "<save_step>1</save_step></sim_specs><model><variables>\n"
    "<stock name=\"A\"><eqn>50</eqn><inflow>ca</inflow></stock>\n"
    "<stock name=\"B\"><eqn>100</eqn><inflow>cb</inflow></stock>\n"
    "<stock name=\"C\"><eqn>150</eqn><inflow>cc</inflow></stock>\n"
    "<flow name=\"ca\"><eqn>(ta - A) / 5</eqn></flow>\n"
    "<flow name=\"cb\"><eqn>(tb - B) / 5</eqn></flow>\n"
    "<flow name=\"cc\"><eqn>(tc - C) / 5</eqn></flow>\n"
    "<aux name=\"ta\"><eqn>0.5 * B + 0.5 * 0.9 * C</eqn></aux>\n"
    "<aux name=\"tb\"><eqn>0.5 * A + 0.5 * 1.1 * C</eqn></aux>\n"
    "<aux name=\"tc\"><eqn>0.5 * 1.1 * A + 0.5 * 0.9 * B</eqn></aux>\n"
    "</variables></model></xmile>\n";

/* Logistic growth: births (R) dominates, then crowding deaths (B). */
static const char logistic[] =
    "<xmile><sim_specs><start>0</start><stop>40</stop><dt>0.125</dt>"
    "</sim_specs><model><variables>\n"
    "<stock name=\"Population\"><eqn>1</eqn><inflow>births</inflow>"
    "<outflow>deaths</outflow></stock>\n"
    "<flow name=\"births\"><eqn>0.3 * Population</eqn></flow>\n"
    "<flow name=\"deaths\"><eqn>0.3 * Population * Population / 1000</eqn>"
    "</flow>\n"
    "</variables></model></xmile>\n";

typedef struct Model {
    SdModel *m;
    SdProgram *p;
    TDiags d;
} Model;

static void model_load(Model *f, const char *xml, size_t len)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(sd_model_from_xmile(xml, len, "t.xmile", &f->m, &f->d),
                     T_OK);
    assert_int_equal(sd_compile(f->m, &f->p, &f->d), T_OK);
}

static void model_free(Model *f)
{
    sd_program_free(f->p);
    sd_model_free(f->m);
    diags_free(&f->d);
}

static bool has_loop(const SdLtmLoops *l, const int *nodes, int len)
{
    for (int i = 0; i < l->nloops; i++)
        if (l->lens[i] == len &&
            !memcmp(l->nodes[i], nodes, sizeof(int) * (size_t)len))
            return true;
    return false;
}

/* Index of the loop with the largest |relative score| at row r, or -1. */
static int top_loop(const SdLtm *t, int r)
{
    int b = -1;
    double bv = 0;
    for (int i = 0; i < t->nloops; i++) {
        double v = fabs(t->relative[(size_t)r * (size_t)t->nloops + i]);
        if (v > bv) {
            bv = v;
            b = i;
        }
    }
    return b;
}

/* Scores every loop of the program, then checks that discovery found the
 * loop on top at each saved time; returns how many rows had one. */
static int check_dominant_found(SdProgram *p, TDiags *d)
{
    MapGraph *g = NULL;
    MapLoops *all = NULL;
    assert_int_equal(map_graph_from_program(p, &g), T_OK);
    MapLoopOpts o = {1000, 10};
    assert_int_equal(map_loops_find(g, &o, &all), T_OK);
    assert_true(all->exact && all->count == all->listed);
    const int **nodes = calloc((size_t)all->listed + 1, sizeof(int *));
    int *lens = calloc((size_t)all->listed + 1, sizeof(int));
    assert_non_null(nodes);
    assert_non_null(lens);
    for (int i = 0; i < all->listed; i++) {
        nodes[i] = all->loops[i].nodes;
        lens[i] = all->loops[i].length;
    }
    SdLtm *t = NULL;
    assert_int_equal(sd_ltm(p, NULL, all->listed, nodes, lens, &t, d), T_OK);
    SdLtmLoops *found = NULL;
    assert_int_equal(sd_ltm_discover(p, NULL, NULL, &found, d), T_OK);
    assert_true(found->complete);
    assert_true(found->nloops <= all->listed);
    int rows = 0;
    for (int r = 1; r < t->nrows; r++) {
        int b = top_loop(t, r);
        if (b < 0)
            continue;
        rows++;
        if (!has_loop(found, nodes[b], lens[b]))
            fail_msg("the loop on top at time %g (%d long) was not found",
                     t->time[r], lens[b]);
    }
    sd_ltm_loops_free(found);
    sd_ltm_free(t);
    free(nodes);
    free(lens);
    map_loops_free(all);
    map_graph_free(g);
    return rows;
}

static void test_arms_race_dominant_loops_found(void **state)
{
    (void)state;
    Model f;
    model_load(&f, arms, strlen(arms));
    /* Several loops take the top place over the run. */
    MapGraph *g = NULL;
    MapLoops *all = NULL;
    assert_int_equal(map_graph_from_program(f.p, &g), T_OK);
    MapLoopOpts o = {100, 10};
    assert_int_equal(map_loops_find(g, &o, &all), T_OK);
    assert_int_equal(all->count, 8);
    map_loops_free(all);
    map_graph_free(g);
    assert_int_equal(check_dominant_found(f.p, &f.d), 100);
    /* Three loops are on top at some time (an adjustment loop, a pairwise
     * loop, then a three-party loop for good): keeping only three, the
     * weakest are dropped, and those three stay, the last one found only
     * late in the run. */
    SdLtmFindOpts fo = {.max_loops = 3};
    SdLtmLoops *found = NULL;
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &found, &f.d), T_OK);
    assert_int_equal(found->nloops, 3);
    assert_false(found->complete);
    SdLtm *t = NULL;
    assert_int_equal(
        sd_ltm(f.p, NULL, found->nloops, found->nodes, found->lens, &t, &f.d),
        T_OK);
    int seen[3] = {0};
    for (int r = 1; r < t->nrows; r++)
        seen[top_loop(t, r)] = 1;
    assert_int_equal(seen[0] + seen[1] + seen[2], 3);
    assert_int_equal(found->lens[2], 9); /* A, B, C, their targets, flows */
    sd_ltm_free(t);
    sd_ltm_loops_free(found);
    model_free(&f);
}

static void test_logistic_both_loops_found(void **state)
{
    (void)state;
    Model f;
    model_load(&f, logistic, strlen(logistic));
    assert_true(check_dominant_found(f.p, &f.d) > 300);
    SdLtmLoops *found = NULL;
    assert_int_equal(sd_ltm_discover(f.p, NULL, NULL, &found, &f.d), T_OK);
    assert_int_equal(found->nloops, 2); /* births and deaths */
    assert_int_equal(found->ntimes, 320);
    sd_ltm_loops_free(found);
    model_free(&f);
}

/* The library's models: every loop that dominates is found. */
static void test_library_models(void **state)
{
    (void)state;
    static const char *const files[] = {"models/demand-spend.xmile",
                                        "models/failure-demand.xmile",
                                        "models/restructure-vs-culture.xmile"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        Model f = {0};
        assert_int_equal(sd_model_load(files[k], &f.m, &f.d), T_OK);
        assert_int_equal(sd_compile(f.m, &f.p, &f.d), T_OK);
        assert_true(check_dominant_found(f.p, &f.d) > 0);
        model_free(&f);
    }
}

/* A stock feeding `layers` layers of `width` auxiliaries, each reading
 * every auxiliary of the layer before with weight 1, except the last of
 * each layer, weighted `heavy`; the inflow reads the last layer the same
 * way. width^layers loops, and the one through the heavy auxiliary of
 * every layer carries most of the change at every step. */
static char *parallel_model(int layers, int width, double heavy)
{
    TBuf b = {0};
    double total = width - 1 + heavy;
    tbuf_puts(&b, "<xmile><sim_specs><start>0</start><stop>20</stop>"
                  "<dt>0.5</dt></sim_specs><model><variables>\n"
                  "<stock name=\"S\"><eqn>1</eqn><inflow>grow</inflow>"
                  "</stock>\n");
    for (int l = 1; l <= layers; l++)
        for (int j = 0; j < width; j++) {
            double w = j == width - 1 ? heavy : 1;
            tbuf_printf(&b, "<aux name=\"x%d_%d\"><eqn>", l, j);
            if (l == 1)
                tbuf_printf(&b, "S * %g", w);
            else
                for (int i = 0; i < width; i++)
                    tbuf_printf(&b, "%s%g * x%d_%d / %g", i ? " + " : "",
                                i == width - 1 ? heavy : 1, l - 1, i, total);
            tbuf_puts(&b, "</eqn></aux>\n");
        }
    tbuf_puts(&b, "<flow name=\"grow\"><eqn>0.05 * (");
    for (int i = 0; i < width; i++)
        tbuf_printf(&b, "%s%g * x%d_%d", i ? " + " : "",
                    i == width - 1 ? heavy : 1, layers, i);
    tbuf_printf(&b, ") / %g</eqn></flow>\n</variables></model></xmile>\n",
                total);
    return b.data;
}

static void test_many_parallel_paths(void **state)
{
    (void)state;
    enum { LAYERS = 6, WIDTH = 8 };
    char *xml = parallel_model(LAYERS, WIDTH, 30);
    Model f;
    model_load(&f, xml, strlen(xml));
    free(xml);
    /* 8^6 = 262,144 loops: far more than anyone would score. */
    MapGraph *g = NULL;
    MapLoops *all = NULL;
    assert_int_equal(map_graph_from_program(f.p, &g), T_OK);
    MapLoopOpts o = {10, 10};
    assert_int_equal(map_loops_find(g, &o, &all), T_OK);
    assert_true(all->count == 262144 || !all->exact);
    map_loops_free(all);
    map_graph_free(g);

    SdLtmLoops *found = NULL;
    assert_int_equal(sd_ltm_discover(f.p, NULL, NULL, &found, &f.d), T_OK);
    assert_true(found->nloops >= 1 && found->nloops < 1000);
    /* The heavy loop: S, then x1_7 ... x6_7, then grow. */
    int heavy[LAYERS + 2];
    int n = 0;
    heavy[n++] = sd_program_find(f.p, "S");
    for (int l = 1; l <= LAYERS; l++) {
        char name[32];
        snprintf(name, sizeof name, "x%d_%d", l, WIDTH - 1);
        heavy[n++] = sd_program_find(f.p, name);
    }
    heavy[n++] = sd_program_find(f.p, "grow");
    /* sd_program_find numbers reported variables; map them to nodes. */
    for (int k = 0; k < n; k++) {
        const char *name = sd_program_var_name(f.p, heavy[k]);
        int node = -1;
        for (int v = 0; v < sd_program_nnodes(f.p) && node < 0; v++)
            if (!strcmp(sd_program_node(f.p, v)->name, name))
                node = v;
        assert_true(node >= 0);
        heavy[k] = node;
    }
    /* Rotated to start at its lowest node, as discovery stores loops. */
    int m = 0, rot[LAYERS + 2];
    for (int k = 1; k < n; k++)
        if (heavy[k] < heavy[m])
            m = k;
    for (int k = 0; k < n; k++)
        rot[k] = heavy[(m + k) % n];
    assert_true(has_loop(found, rot, n));
    /* Scored among the loops found, it dominates at every step. */
    SdLtm *t = NULL;
    assert_int_equal(
        sd_ltm(f.p, NULL, found->nloops, found->nodes, found->lens, &t, &f.d),
        T_OK);
    int idx = -1;
    for (int i = 0; i < found->nloops; i++)
        if (found->lens[i] == n &&
            !memcmp(found->nodes[i], rot, sizeof(int) * (size_t)n))
            idx = i;
    for (int r = 1; r < t->nrows; r++)
        assert_int_equal(top_loop(t, r), idx);
    sd_ltm_free(t);
    sd_ltm_loops_free(found);
    model_free(&f);
}

/* Every stock's flow reads every stock: more elementary cycles than could
 * ever be listed. Discovery stops at its bounds and says so. */
static char *dense_model(int n)
{
    TBuf b = {0};
    tbuf_puts(&b, "<xmile><sim_specs><start>0</start><stop>10</stop>"
                  "<dt>1</dt></sim_specs><model><variables>\n");
    for (int i = 0; i < n; i++) {
        tbuf_printf(&b,
                    "<stock name=\"s%d\"><eqn>%d</eqn><inflow>f%d</inflow>"
                    "</stock>\n<flow name=\"f%d\"><eqn>0",
                    i, i + 1, i, i);
        for (int j = 0; j < n; j++)
            tbuf_printf(&b, " + %g * s%d", (i * 7 + j * 3) % 5 / 100.0, j);
        tbuf_puts(&b, "</eqn></flow>\n");
    }
    tbuf_puts(&b, "</variables></model></xmile>\n");
    return b.data;
}

static void test_dense_model_is_bounded(void **state)
{
    (void)state;
    char *xml = dense_model(40);
    Model f;
    model_load(&f, xml, strlen(xml));
    free(xml);
    SdLtmFindOpts fo = {.max_work = 2000000};
    SdLtmLoops *found = NULL;
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &found, &f.d), T_OK);
    assert_true(found->nloops > 40); /* more than the stocks' own loops */
    assert_int_equal(found->ntimes, 10);
    sd_ltm_loops_free(found);
    /* A cap on the loops kept is a cap, and is reported. */
    fo.max_loops = 25;
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &found, &f.d), T_OK);
    assert_int_equal(found->nloops, 25);
    assert_false(found->complete);
    sd_ltm_loops_free(found);
    /* So is a cap on the times searched. */
    fo = (SdLtmFindOpts){.max_times = 3, .max_work = 200000};
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &found, &f.d), T_OK);
    assert_int_equal(found->ntimes, 3);
    sd_ltm_loops_free(found);
    model_free(&f);
}

/* The same program gives the same loops in the same order, shortest
 * first, each starting at its lowest node. */
static void test_deterministic(void **state)
{
    (void)state;
    char *xml = dense_model(12);
    Model f;
    model_load(&f, xml, strlen(xml));
    free(xml);
    SdLtmFindOpts fo = {.max_work = 1000000};
    SdLtmLoops *a = NULL, *b = NULL;
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &a, &f.d), T_OK);
    assert_int_equal(sd_ltm_discover(f.p, NULL, &fo, &b, &f.d), T_OK);
    assert_true(a->nloops > 12);
    assert_int_equal(a->nloops, b->nloops);
    for (int i = 0; i < a->nloops; i++) {
        assert_int_equal(a->lens[i], b->lens[i]);
        assert_memory_equal(a->nodes[i], b->nodes[i],
                            sizeof(int) * (size_t)a->lens[i]);
        for (int k = 1; k < a->lens[i]; k++)
            assert_true(a->nodes[i][k] > a->nodes[i][0]);
        if (i > 0)
            assert_true(a->lens[i] >= a->lens[i - 1]);
    }
    sd_ltm_loops_free(a);
    sd_ltm_loops_free(b);
    model_free(&f);
}

/* sd_ltm_pick keeps every loop that is ever on top, then the strongest
 * of the rest, in index order. */
static void test_pick(void **state)
{
    (void)state;
    double time[3] = {0, 1, 2};
    double rel[3 * 4] = {
        0,    0,   0,    0,   /* nothing yet */
        0.1,  0.5, -0.3, 0.1, /* loop 1 on top */
        -0.6, 0.2, -0.1, 0.1, /* loop 0 on top */
    };
    SdLtm t = {
        .nloops = 4, .nrows = 3, .time = time, .relative = rel, .score = rel};
    int keep[4];
    assert_int_equal(sd_ltm_pick(&t, 1, keep), 2);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 1);
    assert_int_equal(sd_ltm_pick(&t, 3, keep), 3);
    assert_int_equal(keep[2], 2); /* peak 0.3 beats loop 3's 0.1 */
    assert_int_equal(sd_ltm_pick(&t, 10, keep), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arms_race_dominant_loops_found),
        cmocka_unit_test(test_logistic_both_loops_found),
        cmocka_unit_test(test_library_models),
        cmocka_unit_test(test_many_parallel_paths),
        cmocka_unit_test(test_dense_model_is_bounded),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_pick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
