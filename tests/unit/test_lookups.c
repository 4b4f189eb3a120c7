/*
 * test_lookups.c - unit tests of Vensim's lookup functions (LOOKUP
 * EXTRAPOLATE, LOOKUP FORWARD, LOOKUP BACKWARD, LOOKUP INVERT, LOOKUP
 * AREA): first the graph functions of vm.c on small tables, each value
 * worked out by hand in a comment (the ends, ties on a point, extrapolation,
 * inversion of rising, falling, flat and non-monotonic tables, areas across
 * segments, outside the points and backwards); then the same functions in
 * .mdl models run end to end, arrayed, their errors, a model written as
 * XMILE and read back to the same numbers, and the polarity the causal map
 * gives their links.
 */
#include "unit.h"

#include "map/map.h"
#include "sd/sd_int.h"

#define ERR_MAX 4096

/* A graph over the given points (continuous, as Vensim's lookups are). */
#define GRAPH(xs, ys)                                                          \
    ((SdGraph){SD_GF_CONTINUOUS, (int)(sizeof(xs) / sizeof(xs)[0]), (xs), (ys)})

/* ---- the graph functions ------------------------------------------------ */

static void test_extrapolate(void **state)
{
    (void)state;
    double xs[] = {0, 1, 3}, ys[] = {0, 2, 3};
    SdGraph g = GRAPH(xs, ys);
    /* left of 0 along the first segment, slope 2: -1 -> -2 */
    assert_close(sd_graph_extrapolate(&g, -1), -2);
    /* inside, as LOOKUP: 0.5 -> 1, 2 -> 2 + 1 * 0.5 */
    assert_close(sd_graph_extrapolate(&g, 0.5), 1);
    assert_close(sd_graph_extrapolate(&g, 2), 2.5);
    /* on the end points themselves */
    assert_close(sd_graph_extrapolate(&g, 0), 0);
    assert_close(sd_graph_extrapolate(&g, 3), 3);
    /* right of 3 along the last segment, slope 0.5: 5 -> 3 + 2 * 0.5 */
    assert_close(sd_graph_extrapolate(&g, 5), 4);
    /* the plain lookup of the same graph holds the ends */
    assert_close(sd_graph_eval(&g, 5), 3);
    assert_close(sd_graph_eval(&g, -1), 0);
    /* one point: nothing to extrapolate along */
    double x1[] = {2}, y1[] = {7};
    SdGraph one = GRAPH(x1, y1);
    assert_close(sd_graph_extrapolate(&one, 10), 7);
    assert_true(isnan(sd_graph_extrapolate(&g, NAN)));
}

static void test_forward_backward(void **state)
{
    (void)state;
    /* Vensim's reference example: LOOK((0,1),(1,1),(2,2)) */
    double vx[] = {0, 1, 2}, vy[] = {1, 1, 2};
    SdGraph v = GRAPH(vx, vy);
    assert_close(sd_graph_forward(&v, -1), 1);
    assert_close(sd_graph_forward(&v, 1.5), 2);
    assert_close(sd_graph_forward(&v, 2.5), 2);
    assert_close(sd_graph_backward(&v, -1), 1);
    assert_close(sd_graph_backward(&v, 1.5), 1);
    assert_close(sd_graph_backward(&v, 2.5), 2);

    double xs[] = {0, 1, 2}, ys[] = {10, 20, 30};
    SdGraph g = GRAPH(xs, ys);
    /* between 0 and 1: forward takes the point after, backward before */
    assert_close(sd_graph_forward(&g, 0.5), 20);
    assert_close(sd_graph_backward(&g, 0.5), 10);
    assert_close(sd_graph_forward(&g, 1.999), 30);
    assert_close(sd_graph_backward(&g, 1.999), 20);
    /* on a point both give that point's y */
    assert_close(sd_graph_forward(&g, 1), 20);
    assert_close(sd_graph_backward(&g, 1), 20);
    assert_close(sd_graph_forward(&g, 0), 10);
    assert_close(sd_graph_backward(&g, 2), 30);
    /* beyond the ends both hold the end values */
    assert_close(sd_graph_forward(&g, -3), 10);
    assert_close(sd_graph_backward(&g, -3), 10);
    assert_close(sd_graph_forward(&g, 9), 30);
    assert_close(sd_graph_backward(&g, 9), 30);
    assert_true(isnan(sd_graph_forward(&g, NAN)));
    assert_true(isnan(sd_graph_backward(&g, NAN)));
}

static void test_invert(void **state)
{
    (void)state;
    /* Vensim's reference example: LOOK((0,0),(1,1),(3,2)) */
    double xs[] = {0, 1, 3}, ys[] = {0, 1, 2};
    SdGraph g = GRAPH(xs, ys);
    assert_close(sd_graph_invert(&g, 0.5), 0.5);
    assert_close(sd_graph_invert(&g, 1.5), 2); /* 1 + 0.5 * 2 / 1 */
    assert_close(sd_graph_invert(&g, 0), 0);   /* the ends themselves */
    assert_close(sd_graph_invert(&g, 2), 3);
    /* outside the y values: Vensim's :NA: */
    assert_true(sd_graph_invert(&g, -1) == SD_VENSIM_NA);
    assert_true(sd_graph_invert(&g, 2.5) == SD_VENSIM_NA);

    /* falling: (0,4),(2,0); y 1 at x 2 * 3/4 */
    double dx[] = {0, 2}, dy[] = {4, 0};
    SdGraph d = GRAPH(dx, dy);
    assert_close(sd_graph_invert(&d, 1), 1.5);

    /* not monotonic: (0,0),(1,2),(2,0),(3,2) takes y 1 at 0.5, 1.5 and
     * 2.5; the smallest is the answer. y 2 first at x 1. */
    double px[] = {0, 1, 2, 3}, py[] = {0, 2, 0, 2};
    SdGraph p = GRAPH(px, py);
    assert_close(sd_graph_invert(&p, 1), 0.5);
    assert_close(sd_graph_invert(&p, 2), 1);

    /* flat stretches at y: the first x where the curve reaches it */
    double fx[] = {0, 1, 2, 3}, fy[] = {0, 1, 1, 2};
    SdGraph f = GRAPH(fx, fy);
    assert_close(sd_graph_invert(&f, 1), 1);
    double hx[] = {5, 6, 7}, hy[] = {1, 1, 2};
    SdGraph h = GRAPH(hx, hy);
    assert_close(sd_graph_invert(&h, 1), 5);
    assert_true(isnan(sd_graph_invert(&g, NAN)));
}

static void test_area(void **state)
{
    (void)state;
    double xs[] = {0, 1, 3}, ys[] = {0, 2, 3};
    SdGraph g = GRAPH(xs, ys);
    /* whole segments: a triangle 1 * 2 / 2, a trapezoid 2 * (2 + 3) / 2 */
    assert_close(sd_graph_area(&g, 0, 1), 1);
    assert_close(sd_graph_area(&g, 1, 3), 5);
    assert_close(sd_graph_area(&g, 0, 3), 6);
    /* across segments from mid-segment: y(0.5) = 1, y(2) = 2.5;
     * 0.5 * (1 + 2) / 2 + 1 * (2 + 2.5) / 2 = 0.75 + 2.25 */
    assert_close(sd_graph_area(&g, 0.5, 2), 3);
    /* backwards: the same area, negative */
    assert_close(sd_graph_area(&g, 2, 0.5), -3);
    /* outside the points the end values are held: right of 3 at 3,
     * left of 0 at 0; -1 .. 4 = 0 + 6 + 3 */
    assert_close(sd_graph_area(&g, 3, 5), 6);
    assert_close(sd_graph_area(&g, -2, 0), 0);
    assert_close(sd_graph_area(&g, -1, 4), 9);
    assert_close(sd_graph_area(&g, 1.5, 1.5), 0);

    double hx[] = {0, 1, 2}, hy[] = {10, 20, 30};
    SdGraph h = GRAPH(hx, hy);
    assert_close(sd_graph_area(&h, -1, 0), 10);  /* held at 10 */
    assert_close(sd_graph_area(&h, 0, -2), -20); /* backwards */
    assert_close(sd_graph_area(&h, 2.5, 3), 15); /* held at 30 */
    /* wholly inside one segment: y(0.25) = 12.5, y(0.75) = 17.5 */
    assert_close(sd_graph_area(&h, 0.25, 0.75), 7.5);
    assert_true(isnan(sd_graph_area(&h, NAN, 1)));
    assert_true(isnan(sd_graph_area(&h, 0, NAN)));
}

/* ---- in models ---------------------------------------------------------- */

/* A .mdl model: the body, then the time controls. */
static char *mdl_at(const char *body, double start, double stop, double dt)
{
    TBuf b = {0};
    tbuf_printf(&b,
                "%s\n"
                "FINAL TIME = %.17g ~~|\n"
                "INITIAL TIME = %.17g ~~|\n"
                "SAVEPER = TIME STEP ~~|\n"
                "TIME STEP = %.17g ~~|\n",
                body, stop, start, dt);
    return b.data;
}

/* Loads (and, when m is not NULL, keeps) a model; then compiles and runs
 * it. NULL when a stage fails, the diagnostics in err. */
static SdResults *run_model(SdModel *m, char *err, size_t n)
{
    TDiags d = {0};
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int rc = sd_compile(m, &p, &d);
    if (rc == T_OK)
        rc = sd_run(p, NULL, &r, &d);
    sd_program_free(p);
    u_format(&d, err, n);
    diags_free(&d);
    return rc == T_OK ? r : NULL;
}

static SdModel *load_mdl(const char *body, double stop, char *err, size_t n)
{
    char *text = mdl_at(body, 0, stop, 1);
    TDiags d = {0};
    SdModel *m = NULL;
    int rc = sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d);
    free(text);
    u_format(&d, err, n);
    diags_free(&d);
    if (rc != T_OK) {
        sd_model_free(m);
        return NULL;
    }
    return m;
}

static SdResults *run_mdl(const char *body, double stop)
{
    char err[ERR_MAX];
    SdModel *m = load_mdl(body, stop, err, sizeof err);
    SdResults *r = m ? run_model(m, err, sizeof err) : NULL;
    sd_model_free(m);
    if (!r)
        print_error("model failed:\n%s", err);
    return r;
}

/* The model every end-to-end test below runs: time goes 0..6 and each
 * function reads g, (0,0),(2,4),(4,2), from time - 1, so the first and
 * last rows fall outside the points. */
static const char *const MODEL = "g((0,0),(2,4),(4,2)) ~~|\n"
                                 "x = Time - 1 ~~|\n"
                                 "ex = LOOKUP EXTRAPOLATE(g, x) ~~|\n"
                                 "fw = LOOKUP FORWARD(g, x) ~~|\n"
                                 "bw = LOOKUP BACKWARD(g, x) ~~|\n"
                                 "inv = LOOKUP INVERT(g, x) ~~|\n"
                                 "ar = LOOKUP AREA(g, 0, x) ~~|\n";

/* g's values worked out by hand, time 0..6 (x = -1..5):
 *   ex:  slope 2 left of 0: -2; 0, 2, 4, 3, 2; slope -1 right of 4: 1
 *   fw:  0 (held), 0, 4, 4, 2, 2, 2 (held)
 *   bw:  0, 0, 0, 4, 4, 2, 2
 *   inv: y -1 is below 0: NA; 0 -> 0; 1 -> 0.5; 2 -> 1; 3 -> 1.5;
 *        4 -> 2; 5 is above 4: NA
 *   ar:  from 0 to x: -1 -> -(1 * 0); 0; 1 -> 1 * 2 / 2 = 1; 2 -> 4;
 *        3 -> 4 + (4 + 3) / 2 = 7.5; 4 -> 4 + 6 = 10; 5 -> 10 + 2 = 12 */
static const double WANT[][5] = {
    {-2, 0, 0, SD_VENSIM_NA, 0}, {0, 0, 0, 0, 0},
    {2, 4, 0, 0.5, 1},           {4, 4, 4, 1, 4},
    {3, 2, 4, 1.5, 7.5},         {2, 2, 2, 2, 10},
    {1, 2, 2, SD_VENSIM_NA, 12},
};

static void check_model(const SdResults *r)
{
    static const char *names[] = {"ex", "fw", "bw", "inv", "ar"};
    for (int t = 0; t <= 6; t++)
        for (int k = 0; k < 5; k++) {
            double got = u_at(r, names[k], t);
            if (!(fabs(got - WANT[t][k]) <= 1e-9 * fabs(WANT[t][k]) + 1e-12))
                print_error("%s at %d = %.17g, want %.17g\n", names[k], t, got,
                            WANT[t][k]);
            assert_close_tol(got, WANT[t][k], 1e-9, 1e-12);
        }
}

static void test_mdl_model(void **state)
{
    (void)state;
    SdResults *r = run_mdl(MODEL, 6);
    assert_non_null(r);
    check_model(r);
    sd_results_free(r);
}

static void test_mdl_arrayed(void **state)
{
    (void)state;
    /* one graph per element: h[a1] is twice h[a2]; each element of the
     * result reads its own */
    SdResults *r = run_mdl("d: a1, a2 ~~|\n"
                           "h[a1]((0,0),(2,4)) ~~|\n"
                           "h[a2]((0,0),(2,2)) ~~|\n"
                           "k[d] = LOOKUP INVERT(h[d], 1) ~~|\n"
                           "s[d] = LOOKUP AREA(h[d], 0, Time) ~~|\n"
                           "e[d] = LOOKUP EXTRAPOLATE(h[d], Time) ~~|\n",
                           3);
    assert_non_null(r);
    /* h[a1] is 1 at x 0.5, h[a2] at x 1 */
    assert_close(u_at(r, "k[a1]", 0), 0.5);
    assert_close(u_at(r, "k[a2]", 0), 1);
    /* area to 1: triangles 1 * 2 / 2 and 1 * 1 / 2; to 3: 4 + 1 * 4 and
     * 2 + 1 * 2, the end held */
    assert_close(u_at(r, "s[a1]", 1), 1);
    assert_close(u_at(r, "s[a2]", 1), 0.5);
    assert_close(u_at(r, "s[a1]", 3), 8);
    assert_close(u_at(r, "s[a2]", 3), 4);
    /* slopes 2 and 1 carried on to 3 */
    assert_close(u_at(r, "e[a1]", 3), 6);
    assert_close(u_at(r, "e[a2]", 3), 3);
    sd_results_free(r);
}

static void test_mdl_errors(void **state)
{
    (void)state;
    char err[ERR_MAX];
    SdModel *m = load_mdl("c = 2 ~~|\n"
                          "y = LOOKUP INVERT(c, 1) ~~|\n",
                          1, err, sizeof err);
    assert_non_null(m);
    assert_null(run_model(m, err, sizeof err));
    sd_model_free(m);
    assert_non_null(strstr(err, "the first argument of 'LOOKUP INVERT' must "
                                "name a graphical function"));
    m = load_mdl("g((0,0),(1,1)) ~~|\n"
                 "y = LOOKUP AREA(g, 1) ~~|\n",
                 1, err, sizeof err);
    assert_non_null(m);
    assert_null(run_model(m, err, sizeof err));
    sd_model_free(m);
    assert_non_null(strstr(err, "'LOOKUP AREA' takes 3 arguments, not 2"));
    m = load_mdl("g((0,0),(1,1)) ~~|\n"
                 "y = LOOKUP FORWARD(g) ~~|\n",
                 1, err, sizeof err);
    assert_non_null(m);
    assert_null(run_model(m, err, sizeof err));
    sd_model_free(m);
    assert_non_null(strstr(err, "'LOOKUP FORWARD' takes 2 arguments, not 1"));
}

/* `territory convert`: XMILE's only lookup function is LOOKUP, so the
 * writer keeps these under the `vensim` function namespace it declares
 * for a model read from .mdl; Territory reads them back to the same
 * numbers. */
static void test_convert_round_trip(void **state)
{
    (void)state;
    char err[ERR_MAX];
    SdModel *m = load_mdl(MODEL, 6, err, sizeof err);
    assert_non_null(m);
    TBuf out = {0};
    TDiags d = {0};
    assert_int_equal(sd_model_to_xmile(m, &out, &d), T_OK);
    sd_model_free(m);
    assert_non_null(strstr(out.data, "lookup_invert("));
    assert_non_null(strstr(out.data, "lookup_area("));
    assert_non_null(strstr(out.data, "vensim"));
    SdModel *back = NULL;
    int rc = sd_model_from_xmile(out.data, out.len, "t.xmile", &back, &d);
    u_format(&d, err, sizeof err);
    if (rc != T_OK)
        print_error("read back failed:\n%s\n%s", err, out.data);
    assert_int_equal(rc, T_OK);
    diags_free(&d);
    tbuf_free(&out);
    SdResults *r = run_model(back, err, sizeof err);
    sd_model_free(back);
    if (!r)
        print_error("read back failed:\n%s", err);
    assert_non_null(r);
    check_model(r);
    sd_results_free(r);
}

/* The polarity of the link from -> to in g, which must exist. */
static MapPolarity polarity(const MapGraph *g, const char *from, const char *to)
{
    int f = map_graph_find(g, from), t = map_graph_find(g, to);
    for (int i = 0; f >= 0 && t >= 0 && i < g->nlinks; i++)
        if (g->links[i].from == f && g->links[i].to == t)
            return g->links[i].polarity;
    print_error("no link %s -> %s\n", from, to);
    fail();
    return MAP_UNKNOWN;
}

static void test_map_polarity(void **state)
{
    (void)state;
    char err[ERR_MAX];
    /* falls only falls and is never negative; neg is never positive */
    SdModel *m = load_mdl("falls((0,4),(2,0)) ~~|\n"
                          "neg((0,-1),(1,-2)) ~~|\n"
                          "x = Time ~~|\n"
                          "y = Time * 2 ~~|\n"
                          "ex = LOOKUP EXTRAPOLATE(falls, x) ~~|\n"
                          "fw = LOOKUP FORWARD(falls, x) ~~|\n"
                          "bw = LOOKUP BACKWARD(falls, x) ~~|\n"
                          "inv = LOOKUP INVERT(falls, x) ~~|\n"
                          "ar = LOOKUP AREA(falls, x, y) ~~|\n"
                          "arn = LOOKUP AREA(neg, x, y) ~~|\n",
                          4, err, sizeof err);
    assert_non_null(m);
    MapGraph *g = NULL;
    TDiags d = {0};
    assert_int_equal(map_graph_from_model(m, &g, &d), T_OK);
    diags_free(&d);
    sd_model_free(m);
    /* the step and extrapolating lookups fall as falls does */
    assert_int_equal(polarity(g, "x", "ex"), MAP_NEG);
    assert_int_equal(polarity(g, "x", "fw"), MAP_NEG);
    assert_int_equal(polarity(g, "x", "bw"), MAP_NEG);
    /* INVERT jumps to :NA: outside the range: no provable sign */
    assert_int_equal(polarity(g, "x", "inv"), MAP_UNKNOWN);
    /* the area grows with its upper end by the (positive) curve, shrinks
     * with its lower end; the other way round under a negative curve */
    assert_int_equal(polarity(g, "x", "ar"), MAP_NEG);
    assert_int_equal(polarity(g, "y", "ar"), MAP_POS);
    assert_int_equal(polarity(g, "x", "arn"), MAP_POS);
    assert_int_equal(polarity(g, "y", "arn"), MAP_NEG);
    /* the lookups themselves are functions, not factors */
    assert_int_equal(map_graph_find(g, "falls"), -1);
    map_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extrapolate),
        cmocka_unit_test(test_forward_backward),
        cmocka_unit_test(test_invert),
        cmocka_unit_test(test_area),
        cmocka_unit_test(test_mdl_model),
        cmocka_unit_test(test_mdl_arrayed),
        cmocka_unit_test(test_mdl_errors),
        cmocka_unit_test(test_convert_round_trip),
        cmocka_unit_test(test_map_polarity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
