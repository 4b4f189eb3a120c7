/*
 * test_random.c - the random-number builtins (src/sd/random.c and the
 * RANDOM opcode): reproducible per run seed, one draw per call per step
 * (so Runge-Kutta stages agree), bounds kept, sample moments of 20,000
 * draws near the closed forms, ensembles giving each run its own stream,
 * and .mdl and XMILE models that call them.
 */
#include "unit.h"

#include "map/map.h"
#include "sd/sd_int.h"

#define NDRAW 20000 /* draws per statistical check */
#define NSE 5.0     /* allowed distance, in standard errors */

static SdProgram *compile_mdl(const char *text)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    int rc = sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d);
    if (rc == T_OK)
        rc = sd_compile(m, &p, &d);
    if (rc != T_OK) {
        char msg[4096];
        u_format(&d, msg, sizeof msg);
        print_error("model failed:\n%s", msg);
    }
    sd_model_free(m);
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    return p;
}

static SdResults *run_mdl(const char *text, const SdRunOpts *o)
{
    SdProgram *p = compile_mdl(text);
    TDiags d = {0};
    SdResults *r = NULL;
    assert_int_equal(sd_run(p, o, &r, &d), T_OK);
    sd_program_free(p);
    diags_free(&d);
    return r;
}

static SdResults *run_xmile(const char *vars, const char *method, double stop,
                            uint64_t seed)
{
    char *xml = u_xmile(0, stop, 1, method, vars);
    SdRunOpts o = {.seed = seed};
    SdResults *r = u_run_text(xml, &o);
    free(xml);
    assert_non_null(r);
    return r;
}

/* Whether columns a and b of r hold the same numbers, bit for bit. */
static bool same_column(const SdResults *r1, const SdResults *r2,
                        const char *name)
{
    int c1 = sd_results_find(r1, name), c2 = sd_results_find(r2, name);
    assert_true(c1 > 0 && c2 > 0);
    assert_int_equal(r1->nrows, r2->nrows);
    for (int i = 0; i < r1->nrows; i++)
        if (memcmp(&r1->data[(size_t)i * (size_t)r1->ncols + (size_t)c1],
                   &r2->data[(size_t)i * (size_t)r2->ncols + (size_t)c2],
                   sizeof(double)))
            return false;
    return true;
}

static void test_seed_reproduces(void **state)
{
    (void)state;
    const char *vars = "<aux name=\"x\"><eqn>NORMAL(0, 1)</eqn></aux>\n"
                       "<aux name=\"y\"><eqn>NORMAL(0, 1, 5)</eqn></aux>\n"
                       "<aux name=\"z\"><eqn>NORMAL(0, 1, 6)</eqn></aux>\n";
    SdResults *a = run_xmile(vars, NULL, 50, 0);
    SdResults *b = run_xmile(vars, NULL, 50, 0);
    SdResults *c = run_xmile(vars, NULL, 50, 7);
    assert_true(same_column(a, b, "x"));
    assert_true(same_column(a, b, "y"));
    assert_false(same_column(a, c, "x"));
    assert_false(same_column(a, c, "y"));
    /* the seed argument gives another stream; so does another call */
    int y = sd_results_find(a, "y"), z = sd_results_find(a, "z");
    int x = sd_results_find(a, "x");
    int differ_yz = 0, differ_xy = 0, differ_t = 0;
    for (int i = 0; i < a->nrows; i++) {
        const double *row = &a->data[(size_t)i * (size_t)a->ncols];
        differ_yz += row[y] != row[z];
        differ_xy += row[x] != row[y];
        differ_t += i > 0 && row[x] != row[x - a->ncols];
    }
    assert_int_equal(differ_yz, a->nrows);
    assert_int_equal(differ_xy, a->nrows);
    assert_int_equal(differ_t, a->nrows - 1); /* a new draw each step */
    sd_results_free(a);
    sd_results_free(b);
    sd_results_free(c);
}

/* A stock fed by a random flow: under RK4 the four stages must see one
 * draw, so each step adds exactly dt times the flow's saved value. */
static void test_constant_within_step(void **state)
{
    (void)state;
    const char *vars =
        "<stock name=\"s\"><eqn>0</eqn><inflow>f</inflow></stock>\n"
        "<flow name=\"f\"><eqn>RANDOM(0, 1) + 0 * s</eqn></flow>\n";
    const char *methods[] = {"euler", "rk2", "rk4"};
    for (size_t k = 0; k < 3; k++) {
        SdResults *r = run_xmile(vars, methods[k], 200, 3);
        for (int i = 1; i < r->nrows; i++) {
            double f = u_get(r, "f", i - 1);
            double ds = u_get(r, "s", i) - u_get(r, "s", i - 1);
            assert_close_tol(ds, f, 1e-12,
                             1e-12 * (1 + fabs(u_get(r, "s", i))));
        }
        sd_results_free(r);
    }
}

static const char *mdl_all = "u = RANDOM UNIFORM(2, 3, 0) ~~|\n"
                             "n = RANDOM NORMAL(-0.5, 1.5, 0, 1, 0) ~~|\n"
                             "e = RANDOM EXPONENTIAL(0.5, 4, 0, 1, 0) ~~|\n"
                             "p = RANDOM POISSON(1, 8, 3, 0, 1, 0) ~~|\n"
                             "t = RANDOM TRIANGULAR(1, 9, 0, 2, 10, 0) ~~|\n"
                             "z = RANDOM 0 1() ~~|\n"
                             "INITIAL TIME = 0 ~~|\n"
                             "FINAL TIME = 19999 ~~|\n"
                             "TIME STEP = 1 ~~|\n"
                             "SAVEPER = 1 ~~|\n";

static void test_bounds(void **state)
{
    (void)state;
    SdResults *r = run_mdl(mdl_all, NULL);
    assert_int_equal(r->nrows, NDRAW);
    for (int i = 0; i < r->nrows; i++) {
        double u = u_get(r, "u", i), n = u_get(r, "n", i);
        double e = u_get(r, "e", i), p = u_get(r, "p", i);
        double t = u_get(r, "t", i), z = u_get(r, "z", i);
        assert_true(u >= 2 && u < 3);
        assert_true(n >= -0.5 && n <= 1.5);
        assert_true(e >= 0.5 && e <= 4);
        assert_true(p >= 1 && p <= 8 && p == floor(p));
        assert_true(t >= 1 && t <= 9);
        assert_true(z >= 0 && z < 1);
    }
    sd_results_free(r);
}

/* Sample mean and variance of NDRAW draws of kind at one call site. */
static void moments(int kind, const double *args, double *mean, double *var)
{
    double s = 0, s2 = 0;
    for (long k = 0; k < NDRAW; k++) {
        double x = sd_random_draw(kind, 17, 42, k, args);
        s += x;
        s2 += x * x;
    }
    *mean = s / NDRAW;
    *var = (s2 - s * s / NDRAW) / (NDRAW - 1);
}

/* Each check: |sample mean - mean| within NSE standard errors of the mean
 * (sd / sqrt(n)); |sample variance - variance| within NSE standard errors
 * of the variance, sqrt((mu4 - var^2) / n) with mu4 the fourth central
 * moment. A correct generator fails one of these about once in 1.7
 * million runs; they are deterministic here (fixed seed). */
static void check_moments(int kind, const double *args, double mean, double var,
                          double mu4)
{
    double m, v;
    moments(kind, args, &m, &v);
    assert_true(fabs(m - mean) <= NSE * sqrt(var / NDRAW));
    if (mu4 > 0)
        assert_true(fabs(v - var) <= NSE * sqrt((mu4 - var * var) / NDRAW));
}

static void test_statistics(void **state)
{
    (void)state;
    /* uniform on [0, 1): var 1/12, mu4 1/80 */
    check_moments(SD_RAND_UNIFORM, (double[]){0, 1, 0}, 0.5, 1.0 / 12,
                  1.0 / 80);
    /* normal(3, 2), untruncated: var 4, mu4 3 * 16 */
    check_moments(SD_RAND_NORMAL, (double[]){-INFINITY, INFINITY, 3, 2, 0}, 3,
                  4, 48);
    /* exponential, shift 1 stretch 2: mean 3, var 4, mu4 9 * 16 */
    check_moments(SD_RAND_EXPONENTIAL, (double[]){-INFINITY, INFINITY, 1, 2, 0},
                  3, 4, 144);
    /* Poisson by inversion (mean 3) and by rejection (mean 40): var
     * lambda, mu4 lambda (1 + 3 lambda) */
    check_moments(SD_RAND_POISSON, (double[]){-INFINITY, INFINITY, 3, 0, 1, 0},
                  3, 3, 3 * (1 + 9));
    check_moments(SD_RAND_POISSON, (double[]){-INFINITY, INFINITY, 40, 0, 1, 0},
                  40, 40, 40 * (1 + 120));
    /* triangular(0, 2, 10): mean 4, var (0 + 4 + 100 - 0 - 0 - 20) / 18;
     * its mu4 is not needed for the mean */
    check_moments(SD_RAND_TRIANGULAR,
                  (double[]){-INFINITY, INFINITY, 0, 2, 10, 0}, 4, 84.0 / 18,
                  0);
    /* lognormal with mean 2 and sd 0.5 (of the value) */
    check_moments(SD_RAND_LOGNORMAL, (double[]){0, 0, 2, 0.5, 0}, 2, 0.25, 0);
    /* normal(0, 1) truncated to [-0.5, 1.5]: mean (phi(a) - phi(b)) / Z */
    double a = -0.5, b = 1.5;
    double pa = exp(-a * a / 2) / sqrt(2 * M_PI);
    double pb = exp(-b * b / 2) / sqrt(2 * M_PI);
    double z = 0.5 * erfc(-b / M_SQRT2) - 0.5 * erfc(-a / M_SQRT2);
    double tm = (pa - pb) / z;
    double tv = 1 + (a * pa - b * pb) / z - tm * tm;
    check_moments(SD_RAND_NORMAL, (double[]){a, b, 0, 1, 0}, tm, tv, 0);
    /* a truncation far out in the upper tail stays inside it */
    for (long k = 0; k < 1000; k++) {
        double x = sd_random_draw(SD_RAND_NORMAL, 3, 1, k,
                                  (double[]){9, 9.5, 0, 1, 0});
        assert_true(x >= 9 && x <= 9.5);
    }
}

static void test_mdl_and_xmile_run(void **state)
{
    (void)state;
    /* the .mdl's statistics through the whole engine */
    SdResults *r = run_mdl(mdl_all, NULL);
    double s = 0;
    for (int i = 0; i < r->nrows; i++)
        s += u_get(r, "z", i);
    assert_true(fabs(s / r->nrows - 0.5) <= NSE * sqrt(1.0 / 12 / r->nrows));
    sd_results_free(r);

    const char *vars = "<aux name=\"u\"><eqn>RANDOM(5, 6)</eqn></aux>\n"
                       "<aux name=\"n\"><eqn>NORMAL(10, 1, 3)</eqn></aux>\n"
                       "<aux name=\"l\"><eqn>LOGNORMAL(2, 0.5)</eqn></aux>\n"
                       "<aux name=\"e\"><eqn>EXPRND(4)</eqn></aux>\n"
                       "<aux name=\"p\"><eqn>POISSON(2.5, 9)</eqn></aux>\n";
    r = run_xmile(vars, NULL, NDRAW - 1, 0);
    double su = 0, sn = 0, se = 0, sp = 0;
    for (int i = 0; i < r->nrows; i++) {
        double u = u_get(r, "u", i), p = u_get(r, "p", i);
        assert_true(u >= 5 && u < 6);
        assert_true(u_get(r, "l", i) > 0 && u_get(r, "e", i) >= 0);
        assert_true(p >= 0 && p == floor(p));
        su += u;
        sn += u_get(r, "n", i);
        se += u_get(r, "e", i);
        sp += p;
    }
    double n = r->nrows;
    assert_true(fabs(su / n - 5.5) <= NSE * sqrt(1.0 / 12 / n));
    assert_true(fabs(sn / n - 10) <= NSE * sqrt(1 / n));
    assert_true(fabs(se / n - 4) <= NSE * sqrt(16 / n));
    assert_true(fabs(sp / n - 2.5) <= NSE * sqrt(2.5 / n));
    sd_results_free(r);

    /* wrong argument counts are named */
    char msg[1024];
    assert_int_not_equal(
        u_errors("<aux name=\"x\"><eqn>NORMAL(1)</eqn></aux>", msg, sizeof msg),
        T_OK);
    assert_non_null(strstr(msg, "'NORMAL' takes 2 to 3 arguments, not 1"));
}

/* Writing XMILE keeps Vensim's calls in its namespace: read back, the
 * same numbers. */
static void test_convert_round_trip(void **state)
{
    (void)state;
    TDiags d = {0};
    SdModel *m = NULL, *m2 = NULL;
    assert_int_equal(
        sd_model_from_mdl(mdl_all, strlen(mdl_all), "t.mdl", &m, &d), T_OK);
    TBuf x = {0};
    assert_int_equal(sd_model_to_xmile(m, &x, &d), T_OK);
    assert_int_equal(sd_model_from_xmile(x.data, x.len, "t.xmile", &m2, &d),
                     T_OK);
    SdProgram *p1 = NULL, *p2 = NULL;
    assert_int_equal(sd_compile(m, &p1, &d), T_OK);
    assert_int_equal(sd_compile(m2, &p2, &d), T_OK);
    SdResults *r1 = NULL, *r2 = NULL;
    assert_int_equal(sd_run(p1, NULL, &r1, &d), T_OK);
    assert_int_equal(sd_run(p2, NULL, &r2, &d), T_OK);
    const char *names[] = {"u", "n", "e", "p", "t", "z"};
    for (int i = 0; i < 6; i++)
        assert_true(same_column(r1, r2, names[i]));
    sd_results_free(r1);
    sd_results_free(r2);
    sd_program_free(p1);
    sd_program_free(p2);
    sd_model_free(m);
    sd_model_free(m2);
    tbuf_free(&x);
    diags_free(&d);
}

static void test_ensemble_streams(void **state)
{
    (void)state;
    char *xml = u_xmile(0, 10, 1, NULL,
                        "<aux name=\"c\"><eqn>1</eqn></aux>\n"
                        "<aux name=\"x\"><eqn>c * NORMAL(0, 1)</eqn></aux>\n");
    TDiags d = {0};
    SdModel *m = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    free(xml);
    SdVary vary = {.name = "c", .dist = SD_DIST_UNIFORM, .p = {1, 1.000001}};
    const char *names[] = {"x"};
    SdEnsembleOpts o = {.runs = 200,
                        .seed = 11,
                        .threads = 2,
                        .vary = &vary,
                        .nvary = 1,
                        .names = names,
                        .nnames = 1};
    SdEnsemble *e1 = NULL, *e2 = NULL, *e3 = NULL;
    assert_int_equal(sd_ensemble_run(m, &o, &e1, &d), T_OK);
    assert_int_equal(sd_ensemble_run(m, &o, &e2, &d), T_OK);
    o.seed = 12;
    assert_int_equal(sd_ensemble_run(m, &o, &e3, &d), T_OK);
    size_t nq = (size_t)e1->nvars * (size_t)e1->nrows * SD_ENSEMBLE_NQ;
    assert_memory_equal(e1->q, e2->q, nq * sizeof(double));
    assert_memory_not_equal(e1->q, e3->q, nq * sizeof(double));
    /* the runs differ: x's 5th and 95th percentiles are apart by about
     * 3.3 standard deviations at every time */
    for (int t = 0; t < e1->nrows; t++) {
        const double *q = e1->q + (size_t)t * SD_ENSEMBLE_NQ;
        assert_true(q[SD_ENSEMBLE_NQ - 1] - q[0] > 2.5);
    }
    assert_int_equal(sd_ensemble_run_seed(5, 0), sd_ensemble_run_seed(5, 0));
    assert_true(sd_ensemble_run_seed(5, 0) != sd_ensemble_run_seed(5, 1));
    sd_ensemble_free(e1);
    sd_ensemble_free(e2);
    sd_ensemble_free(e3);
    sd_model_free(m);
    diags_free(&d);
}

/* Loop dominance re-evaluates equations that draw, over the previous
 * step's values: with the previous step's draws too. */
static void test_ltm_runs(void **state)
{
    (void)state;
    char *xml = u_xmile(
        0, 20, 1, NULL,
        "<stock name=\"s\"><eqn>10</eqn><inflow>f</inflow></stock>\n"
        "<flow name=\"f\"><eqn>s * 0.1 * RANDOM(0.5, 1.5)</eqn></flow>\n");
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    free(xml);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    SdLtmLoops *loops = NULL;
    assert_int_equal(sd_ltm_discover(p, NULL, NULL, &loops, &d), T_OK);
    assert_int_equal(loops->nloops, 1);
    SdLtm *t = NULL;
    assert_int_equal(sd_ltm(p, NULL, 1, loops->nodes, loops->lens, &t, &d),
                     T_OK);
    SdResults *r = NULL;
    assert_int_equal(sd_run(p, NULL, &r, &d), T_OK);
    assert_int_equal(t->nrows, r->nrows);
    /* f = 0.1 s R: with only s moved, f would have changed by
     * 0.1 R_prev (s - s_prev), R_prev = f_prev / (0.1 s_prev), the
     * previous step's draw; f -> s scores 1 */
    for (int i = 1; i < r->nrows; i++) {
        double s0 = u_get(r, "s", i - 1), s1 = u_get(r, "s", i);
        double f0 = u_get(r, "f", i - 1), f1 = u_get(r, "f", i);
        double want = fabs(f0 * (s1 - s0) / s0 / (f1 - f0));
        assert_close_tol(t->score[i], want, 1e-9, 0);
    }
    sd_results_free(r);
    sd_ltm_free(t);
    sd_ltm_loops_free(loops);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
}

/* The causal map: a draw's bounds have no provable polarity, and what is
 * added to a draw keeps its own. */
static void test_map_polarity(void **state)
{
    (void)state;
    char *xml = u_xmile(0, 1, 1, NULL,
                        "<aux name=\"c\"><eqn>2</eqn></aux>\n"
                        "<aux name=\"x\"><eqn>RANDOM(0, c)</eqn></aux>\n"
                        "<aux name=\"y\"><eqn>c + NORMAL(0, 1)</eqn></aux>\n");
    TDiags d = {0};
    SdModel *m = NULL;
    MapGraph *g = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    free(xml);
    assert_int_equal(map_graph_from_model(m, &g, &d), T_OK);
    int c = map_graph_find(g, "c"), x = map_graph_find(g, "x");
    int y = map_graph_find(g, "y");
    int seen = 0;
    for (int i = 0; i < g->nlinks; i++) {
        const MapLink *l = &g->links[i];
        if (l->from == c && l->to == x) {
            assert_int_equal(l->polarity, MAP_UNKNOWN);
            seen++;
        }
        if (l->from == c && l->to == y) {
            assert_int_equal(l->polarity, MAP_POS);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    map_graph_free(g);
    sd_model_free(m);
    diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_reproduces),
        cmocka_unit_test(test_constant_within_step),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_mdl_and_xmile_run),
        cmocka_unit_test(test_convert_round_trip),
        cmocka_unit_test(test_ensemble_streams),
        cmocka_unit_test(test_ltm_runs),
        cmocka_unit_test(test_map_polarity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
