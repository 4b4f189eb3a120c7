/*
 * test_ensemble.c - sensitivity runs and scenarios: the --vary parser and
 * its messages, the distributions' quantile functions checked against
 * their own CDFs, the Latin hypercube's one-sample-per-stratum property,
 * reproducibility by seed whatever the thread count, percentiles checked
 * against a sort of the drawn samples, and scenario files (parsing, field
 * paths in errors, values and graphical functions applied to a model).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sd/sd.h"

/* A stock fed at a constant rate: Level(t) = 10 + rate * t; and an aux
 * that reads rate through a graphical function. */
static const char model[] =
    "<xmile><sim_specs><start>0</start><stop>4</stop><dt>0.5</dt>"
    "<save_step>1</save_step></sim_specs><model><variables>\n"
    "<stock name=\"Level\"><eqn>10</eqn><inflow>fill</inflow></stock>\n"
    "<flow name=\"fill\"><eqn>rate</eqn></flow>\n"
    "<aux name=\"rate\"><eqn>2</eqn></aux>\n"
    "<aux name=\"effect\"><eqn>rate</eqn><gf><xscale min=\"0\" max=\"4\"/>"
    "<ypts>0,1,2</ypts></gf></aux>\n"
    "</variables></model></xmile>\n";

static SdModel *load(void)
{
    SdModel *m = NULL;
    TDiags d = {0};
    assert_int_equal(
        sd_model_from_xmile(model, strlen(model), "t.xmile", &m, &d), T_OK);
    diags_free(&d);
    return m;
}

static void test_vary_parse(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdVary v;
    assert_int_equal(
        sd_vary_parse(&a, " birth rate = uniform(0.02, 0.04) ", &v, &d), T_OK);
    assert_string_equal(v.name, "birth rate");
    assert_int_equal(v.dist, SD_DIST_UNIFORM);
    assert_true(v.p[0] == 0.02 && v.p[1] == 0.04);
    assert_int_equal(sd_vary_parse(&a, "x=Triangular(1,2,5)", &v, &d), T_OK);
    assert_int_equal(v.dist, SD_DIST_TRIANGULAR);
    assert_true(v.p[2] == 5);
    assert_int_equal(sd_vary_parse(&a, "x=lognormal(0,0.5)", &v, &d), T_OK);
    assert_int_equal(sd_vary_parse(&a, "x=normal(10,2)", &v, &d), T_OK);
    assert_int_equal(d.len, 0);

    static const struct {
        const char *spec; /* bad input */
        int col;          /* where the message points */
        const char *msg;  /* the message */
    } bad[] = {
        {"x=unifrom(1,2)", 3,
         "unknown distribution 'unifrom' (uniform, normal, triangular, "
         "lognormal)"},
        {"x=uniform(1)", 12, "uniform takes 2 arguments (low, high), got 1"},
        {"x=uniform(2,1)", 3, "uniform: low must be less than high"},
        {"x=normal(1,0)", 3, "normal: the spread must be greater than 0"},
        {"x=triangular(1,7,5)", 3,
         "triangular: need low <= mode <= high and low < high"},
        {"x=uniform(1,b)", 13, "expected a number"},
        {"x=uniform(1,2) junk", 16, "unexpected text after ')'"},
        {"x=uniform 1,2", 11, "expected '(' after 'uniform'"},
        {"=uniform(1,2)", 1, "missing variable name before '='"},
        {"x=uniform(1,2,3,4)", 17, "uniform takes 2 arguments (low, high)"},
        {"x", 2,
         "expected NAME=DISTRIBUTION(ARGS), e.g. 'birth rate=uniform(0.02, "
         "0.04)'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TDiags e = {0};
        assert_int_equal(sd_vary_parse(&a, bad[i].spec, &v, &e), T_EINPUT);
        assert_int_equal(e.len, 1);
        assert_string_equal(e.items[0].message, bad[i].msg);
        assert_int_equal(e.items[0].col, bad[i].col);
        assert_string_equal(e.items[0].file, "--vary");
        diags_free(&e);
    }
    diags_free(&d);
    arena_free(&a);
}

/* Each quantile function is the inverse of its distribution's CDF. */
static void test_quantiles(void **state)
{
    (void)state;
    SdVary n = {.dist = SD_DIST_NORMAL, .p = {3, 2}};
    SdVary t = {.dist = SD_DIST_TRIANGULAR, .p = {1, 2, 5}};
    SdVary l = {.dist = SD_DIST_LOGNORMAL, .p = {0.5, 0.25}};
    SdVary u = {.dist = SD_DIST_UNIFORM, .p = {-1, 3}};
    for (int i = 1; i < 1000; i++) {
        double p = i / 1000.0;
        if (i < 10) /* the far tail too */
            p = pow(10, -3 - i);
        double x = sd_vary_quantile(&n, p);
        double cdf = 0.5 * erfc(-(x - 3) / 2 / sqrt(2));
        assert_true(fabs(cdf - p) <= 1e-12 * fmax(p, 1e-3));
        x = sd_vary_quantile(&t, p);
        cdf = x <= 2 ? (x - 1) * (x - 1) / ((5 - 1) * (2 - 1))
                     : 1 - (5 - x) * (5 - x) / ((5 - 1) * (5 - 2));
        assert_true(fabs(cdf - p) <= 1e-12);
        x = sd_vary_quantile(&l, p);
        cdf = 0.5 * erfc(-(log(x) - 0.5) / 0.25 / sqrt(2));
        assert_true(fabs(cdf - p) <= 1e-12 * fmax(p, 1e-3));
        assert_true(fabs(sd_vary_quantile(&u, p) - (-1 + 4 * p)) < 1e-12);
    }
    /* The median of the normal is its mean, exactly enough. */
    assert_true(fabs(sd_vary_quantile(&n, 0.5) - 3) < 1e-14);
}

/* Each distribution's mean and variance, integrated over its quantile
 * function on a fine grid of probabilities, against their closed forms. */
static void test_moments(void **state)
{
    (void)state;
    static const struct {
        SdVary v;         /* the distribution */
        double mean, var; /* its moments, in closed form */
    } c[] = {
        {{.dist = SD_DIST_UNIFORM, .p = {2, 8}}, 5, 36.0 / 12},
        {{.dist = SD_DIST_NORMAL, .p = {-3, 1.5}}, -3, 2.25},
        {{.dist = SD_DIST_TRIANGULAR, .p = {1, 2, 6}},
         3,
         (1 + 4 + 36 - 2 - 6 - 12) / 18.0},
        {{.dist = SD_DIST_LOGNORMAL, .p = {0.2, 0.4}},
         1.3231298123374369,  /* exp(0.2 + 0.4^2 / 2) */
         0.3037607103477868}, /* (exp(0.16) - 1) exp(0.4 + 0.16) */
    };
    const int n = 200000;
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        double sum = 0, sum2 = 0;
        for (int i = 0; i < n; i++) {
            double x = sd_vary_quantile(&c[k].v, (i + 0.5) / n);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / n, var = sum2 / n - mean * mean;
        assert_true(fabs(mean - c[k].mean) < 1e-3 * fmax(1, fabs(c[k].mean)));
        assert_true(fabs(var - c[k].var) < 2e-3 * c[k].var);
    }
    assert_true(fabs(exp(0.2 + 0.08) - 1.3231298123374369) < 1e-12);
    assert_true(fabs((exp(0.16) - 1) * exp(0.56) - 0.3037607103477868) < 1e-12);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The type-7 percentile of sorted x (the definition, written out). */
static double pct(const double *x, long n, double p)
{
    double h = (double)(n - 1) * p / 100;
    long k = (long)floor(h);
    return k + 1 < n ? x[k] + (h - (double)k) * (x[k + 1] - x[k]) : x[k];
}

static void test_ensemble_lhs(void **state)
{
    (void)state;
    SdModel *m = load();
    const long N = 997;
    SdVary vary[2] = {
        {.name = "rate", .dist = SD_DIST_UNIFORM, .p = {1, 3}},
        {.name = "Level", .dist = SD_DIST_NORMAL, .p = {10, 1}},
    };
    const char *names[] = {"Level", "rate"};
    SdEnsembleOpts o = {.runs = N,
                        .seed = 7,
                        .threads = 1,
                        .vary = vary,
                        .nvary = 2,
                        .names = names,
                        .nnames = 2};
    TDiags d = {0};
    SdEnsemble *e1 = NULL, *e2 = NULL, *e3 = NULL;
    assert_int_equal(sd_ensemble_run(m, &o, &e1, &d), T_OK);
    o.threads = 2; /* the same numbers, whatever the threads */
    assert_int_equal(sd_ensemble_run(m, &o, &e2, &d), T_OK);
    o.seed = 8;
    assert_int_equal(sd_ensemble_run(m, &o, &e3, &d), T_OK);
    assert_int_equal(d.len, 0);
    assert_int_equal(e1->nrows, 5);
    assert_int_equal(e1->nvars, 2);
    assert_string_equal(e1->names[0], "Level");
    size_t nq = (size_t)e1->nvars * (size_t)e1->nrows * SD_ENSEMBLE_NQ;
    assert_memory_equal(e1->q, e2->q, nq * sizeof(double));
    assert_memory_equal(e1->samples, e2->samples,
                        (size_t)N * 2 * sizeof(double));
    assert_memory_not_equal(e1->samples, e3->samples,
                            (size_t)N * 2 * sizeof(double));

    /* Latin hypercube: one sample of each parameter in each of the N
     * equal-probability strata. */
    char *seen = calloc((size_t)N, 1);
    for (long i = 0; i < N; i++) {
        double u = (e1->samples[i * 2] - 1) / 2;
        long s = (long)floor(u * (double)N);
        assert_true(s >= 0 && s < N && !seen[s]);
        seen[s] = 1;
    }
    memset(seen, 0, (size_t)N);
    for (long i = 0; i < N; i++) {
        double z = e1->samples[i * 2 + 1] - 10;
        double u = 0.5 * erfc(-z / sqrt(2));
        long s = (long)floor(u * (double)N);
        assert_true(s >= 0 && s < N && !seen[s]);
        seen[s] = 1;
    }
    free(seen);

    /* Level(t) = initial + rate * t, so at t = 4 its percentiles are those
     * of the drawn initial + 4 * rate; rate's are those of the draws. */
    double *lv = malloc(sizeof(double) * (size_t)N);
    double *rt = malloc(sizeof(double) * (size_t)N);
    for (long i = 0; i < N; i++) {
        rt[i] = e1->samples[i * 2];
        lv[i] = e1->samples[i * 2 + 1] + 4 * rt[i];
    }
    qsort(lv, (size_t)N, sizeof(double), cmp_double);
    qsort(rt, (size_t)N, sizeof(double), cmp_double);
    for (int k = 0; k < SD_ENSEMBLE_NQ; k++) {
        double want = pct(lv, N, sd_ensemble_pct[k]);
        double got = e1->q[(0 * 5 + 4) * SD_ENSEMBLE_NQ + (size_t)k];
        assert_true(fabs(got - want) <= 1e-5 * fabs(want));
        want = pct(rt, N, sd_ensemble_pct[k]);
        got = e1->q[(1 * 5 + 4) * SD_ENSEMBLE_NQ + (size_t)k];
        assert_true(fabs(got - want) <= 1e-6 * fabs(want));
    }
    /* The median of a uniform(1, 3) by LHS is 2 within a stratum. */
    assert_true(fabs(e1->q[(1 * 5 + 0) * SD_ENSEMBLE_NQ + 2] - 2) < 2.0 / N);
    /* At t = 0 the level is the drawn initial value: mean about 10. */
    assert_true(fabs(e1->mean[0] - 10) < 0.01);
    free(lv);
    free(rt);
    sd_ensemble_free(e1);
    sd_ensemble_free(e2);
    sd_ensemble_free(e3);
    diags_free(&d);
    sd_model_free(m);
}

static void test_ensemble_errors(void **state)
{
    (void)state;
    SdModel *m = load();
    SdVary vary[2] = {
        {.name = "rte", .dist = SD_DIST_UNIFORM, .p = {1, 3}},
        {.name = "rate", .dist = SD_DIST_UNIFORM, .p = {1, 3}},
    };
    SdEnsembleOpts o = {.runs = 10, .vary = vary, .nvary = 2};
    TDiags d = {0};
    SdEnsemble *e = NULL;
    assert_int_equal(sd_ensemble_run(m, &o, &e, &d), T_EINPUT);
    assert_null(e);
    assert_int_equal(d.len, 1);
    assert_string_equal(d.items[0].message, "--vary: unknown variable 'rte'");
    diags_free(&d);
    vary[0].name = "RATE";
    assert_int_equal(sd_ensemble_run(m, &o, &e, &d), T_EINPUT);
    assert_string_equal(d.items[0].message, "--vary: 'rate' is varied twice");
    diags_free(&d);
    const char *names[] = {"nothing"};
    o.nvary = 1;
    o.names = names;
    o.nnames = 1;
    vary[0].name = "rate";
    assert_int_equal(sd_ensemble_run(m, &o, &e, &d), T_EINPUT);
    assert_string_equal(d.items[0].message, "no variable 'nothing' to report");
    diags_free(&d);
    o.runs = 0;
    assert_int_equal(sd_ensemble_run(m, &o, &e, &d), T_EINPUT);
    diags_free(&d);
    sd_model_free(m);
}

static double final_value(SdModel *m, const char *name)
{
    SdProgram *p = NULL;
    SdResults *r = NULL;
    TDiags d = {0};
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    assert_int_equal(sd_run(p, NULL, &r, &d), T_OK);
    int c = sd_results_find(r, name);
    assert_true(c > 0);
    double v = r->data[(size_t)(r->nrows - 1) * (size_t)r->ncols + (size_t)c];
    sd_results_free(r);
    sd_program_free(p);
    diags_free(&d);
    return v;
}

static void test_scenarios(void **state)
{
    (void)state;
    static const char file[] =
        "{\"scenarios\": [\n"
        "  {\"name\": \"fast\", \"description\": \"twice the rate\",\n"
        "   \"set\": {\"rate\": 4}},\n"
        "  {\"name\": \"flat effect\", \"graphs\": {\"effect\": [[0, 5], "
        "[4, 5]]}}\n"
        "]}\n";
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdScenario *s = NULL;
    int n = 0;
    assert_int_equal(
        sd_scenarios_parse(&a, file, strlen(file), "s.json", &s, &n, &d), T_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].name, "fast");
    assert_string_equal(s[0].description, "twice the rate");
    assert_int_equal(s[0].nset, 1);
    assert_int_equal(s[1].ngraphs, 1);

    SdModel *m = load();
    assert_true(fabs(final_value(m, "Level") - 18) < 1e-9);
    assert_true(fabs(final_value(m, "effect") - 1) < 1e-9); /* gf(2) = 1 */
    assert_int_equal(sd_scenario_apply(m, &s[0], &d), T_OK);
    assert_true(fabs(final_value(m, "Level") - 26) < 1e-9);
    assert_true(fabs(final_value(m, "effect") - 2) < 1e-9); /* gf(4) = 2 */
    sd_model_free(m);
    m = load();
    assert_int_equal(sd_scenario_apply(m, &s[1], &d), T_OK);
    assert_true(fabs(final_value(m, "effect") - 5) < 1e-9);
    assert_int_equal(d.len, 0);
    sd_model_free(m);

    /* A single scenario object is a file too. */
    static const char one[] = "{\"name\": \"slow\", \"set\": {\"rate\": 1}}";
    assert_int_equal(
        sd_scenarios_parse(&a, one, strlen(one), "o.json", &s, &n, &d), T_OK);
    assert_int_equal(n, 1);
    m = load();
    assert_int_equal(sd_scenario_apply(m, &s[0], &d), T_OK);
    assert_true(fabs(final_value(m, "Level") - 14) < 1e-9);
    sd_model_free(m);

    /* Errors: every one, with its field path, and nothing returned. */
    static const char bad[] =
        "{\"scenarios\": [\n"
        "  {\"name\": \"a\", \"set\": {\"rate\": \"fast\"}, \"sett\": 1},\n"
        "  {\"name\": \"a\", \"graphs\": {\"effect\": [[0, 1], [0, 2]]}},\n"
        "  {\"set\": {}}\n"
        "]}\n";
    assert_int_equal(
        sd_scenarios_parse(&a, bad, strlen(bad), "b.json", &s, &n, &d),
        T_EINPUT);
    assert_null(s);
    assert_int_equal(n, 0);
    static const char *want[] = {
        "scenarios[0].sett: unknown field (name, description, set, graphs)",
        "scenarios[0].set.rate: not a number",
        "scenarios[1].graphs.effect[1]: x values must increase",
        "scenarios[1].name: 'a' is used twice",
        "scenarios[2].name: missing or not a non-empty string",
    };
    assert_int_equal(d.len, 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(d.items[i].message, want[i]);
        assert_string_equal(d.items[i].file, "b.json");
    }
    diags_free(&d);

    static const char broken[] = "{\"name\": \"x\",\n \"set\": {1: 2}}";
    assert_int_equal(
        sd_scenarios_parse(&a, broken, strlen(broken), "c.json", &s, &n, &d),
        T_EINPUT);
    assert_int_equal(d.items[0].line, 2);
    assert_true(d.items[0].col > 0);
    assert_non_null(strstr(d.items[0].message, "malformed JSON"));
    diags_free(&d);

    /* Applying names a variable the model lacks, or one with no graph. */
    static const char wrong[] =
        "{\"name\": \"w\", \"set\": {\"rat\": 1}, \"graphs\": {\"rate\": "
        "[[0, 1]]}}";
    assert_int_equal(
        sd_scenarios_parse(&a, wrong, strlen(wrong), "w.json", &s, &n, &d),
        T_OK);
    m = load();
    assert_int_equal(sd_scenario_apply(m, &s[0], &d), T_EINPUT);
    assert_int_equal(d.len, 2);
    assert_string_equal(d.items[0].message, "unknown variable 'rat'");
    assert_string_equal(d.items[1].message,
                        "scenario 'w': 'rate' has no graphical function to "
                        "replace");
    sd_model_free(m);
    diags_free(&d);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vary_parse),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_ensemble_lhs),
        cmocka_unit_test(test_ensemble_errors),
        cmocka_unit_test(test_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
