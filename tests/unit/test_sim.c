/*
 * test_sim.c - unit tests of the simulation loop: Euler, RK2 and RK4
 * against closed-form solutions, the save interval, dt given as a
 * reciprocal, runs that do not start at zero, the columns of the results
 * and finding them by any spelling, and the limits that refuse a run.
 */
#include "unit.h"

#include "sd/sd_int.h"

/* dS/dt = -k S, S(0) = 100, k = 0.1. */
static const char decay_vars[] =
    "<stock name=\"S\"><eqn>100</eqn><outflow>decay</outflow></stock>\n"
    "<flow name=\"decay\"><eqn>k * S</eqn></flow>\n"
    "<aux name=\"k\"><eqn>0.1</eqn></aux>";

#define K 0.1
#define DT 0.25
#define STOP 10.0
#define NSTEPS 40

/* Runs the decay model with the given method; NULL on failure. */
static SdResults *run_decay(SdMethod method)
{
    char *xml = u_xmile(0, STOP, DT, NULL, decay_vars);
    SdRunOpts o = {.method = method, .method_given = true};
    SdResults *r = u_run_text(xml, &o);
    free(xml);
    return r;
}

/* Largest relative error of S against exp(-k t) over the run. */
static double max_rel_error(const SdResults *r)
{
    double worst = 0;
    for (int i = 0; i < r->nrows; i++) {
        double t = r->data[(size_t)i * (size_t)r->ncols];
        double want = 100 * exp(-K * t);
        double e = fabs(u_get(r, "S", i) - want) / want;
        if (e > worst)
            worst = e;
    }
    return worst;
}

static void test_euler_exact_recurrence(void **state)
{
    (void)state;
    SdResults *r = run_decay(SD_EULER);
    assert_non_null(r);
    assert_int_equal(r->nrows, NSTEPS + 1);
    for (int n = 0; n <= NSTEPS; n++) {
        assert_close(r->data[(size_t)n * (size_t)r->ncols], n * DT);
        /* Euler: exactly (1 - k dt)^n, up to rounding. */
        assert_close_tol(u_get(r, "S", n), 100 * pow(1 - K * DT, n), 1e-12,
                         1e-12);
        assert_close_tol(u_get(r, "decay", n), K * 100 * pow(1 - K * DT, n),
                         1e-12, 1e-12);
    }
    /* And about 1% away from the true solution at t = 10. */
    double e = max_rel_error(r);
    assert_true(e > 5e-3 && e < 2e-2);
    sd_results_free(r);
}

static void test_rk2_and_rk4_accuracy(void **state)
{
    (void)state;
    const double h = K * DT;
    SdResults *euler = run_decay(SD_EULER);
    SdResults *rk2 = run_decay(SD_RK2);
    SdResults *rk4 = run_decay(SD_RK4);
    assert_non_null(euler);
    assert_non_null(rk2);
    assert_non_null(rk4);
    for (int n = 0; n <= NSTEPS; n++) {
        /* Each method's growth factor per step, applied n times. */
        assert_close_tol(u_get(rk2, "S", n), 100 * pow(1 - h + h * h / 2, n),
                         1e-12, 1e-12);
        assert_close_tol(
            u_get(rk4, "S", n),
            100 *
                pow(1 - h + h * h / 2 - h * h * h / 6 + h * h * h * h / 24, n),
            1e-12, 1e-12);
    }
    double e_euler = max_rel_error(euler);
    double e_rk2 = max_rel_error(rk2);
    double e_rk4 = max_rel_error(rk4);
    assert_true(e_rk2 < 2e-4);
    assert_true(e_rk4 < 1e-8);
    assert_true(e_rk2 < e_euler / 50);
    assert_true(e_rk4 < e_euler * 1e-5);
    assert_true(e_rk4 < e_rk2 * 1e-3);
    /* Flows are reported at the saved stock values. */
    assert_close_tol(u_get(rk4, "decay", NSTEPS), K * u_get(rk4, "S", NSTEPS),
                     1e-12, 1e-12);
    sd_results_free(euler);
    sd_results_free(rk2);
    sd_results_free(rk4);
}

static void test_rk_stages_advance_time(void **state)
{
    (void)state;
    /* dA/dt = t and dB/dt = t^2 from 0: A = t^2 / 2, B = t^3 / 3. Heun is
     * exact for A, RK4 (Simpson's rule here) for both; Euler lags. */
    static const char vars[] =
        "<stock name=\"A\"><eqn>0</eqn><inflow>fa</inflow></stock>\n"
        "<flow name=\"fa\"><eqn>TIME</eqn></flow>\n"
        "<stock name=\"B\"><eqn>0</eqn><inflow>fb</inflow></stock>\n"
        "<flow name=\"fb\"><eqn>TIME * TIME</eqn></flow>";
    char *xml = u_xmile(0, 3, 0.5, NULL, vars);
    SdRunOpts eo = {.method = SD_EULER, .method_given = true};
    SdRunOpts ho = {.method = SD_RK2, .method_given = true};
    SdRunOpts ko = {.method = SD_RK4, .method_given = true};
    SdResults *e = u_run_text(xml, &eo);
    SdResults *h = u_run_text(xml, &ho);
    SdResults *k = u_run_text(xml, &ko);
    free(xml);
    assert_non_null(e);
    assert_non_null(h);
    assert_non_null(k);
    for (int i = 0; i <= 6; i++) {
        double t = i * 0.5;
        assert_close_tol(u_get(e, "A", i), t * (t - 0.5) / 2, 1e-12, 1e-12);
        assert_close_tol(u_get(h, "A", i), t * t / 2, 1e-12, 1e-12);
        assert_close_tol(u_get(k, "A", i), t * t / 2, 1e-12, 1e-12);
        assert_close_tol(u_get(k, "B", i), t * t * t / 3, 1e-12, 1e-12);
    }
    sd_results_free(e);
    sd_results_free(h);
    sd_results_free(k);
}

static void test_method_from_model(void **state)
{
    (void)state;
    /* Without run options the model's own method applies; options
     * override it. */
    char *xml = u_xmile(0, STOP, DT, "RK4", decay_vars);
    SdResults *own = u_run_text(xml, NULL);
    SdRunOpts o = {.method = SD_EULER, .method_given = true};
    SdResults *over = u_run_text(xml, &o);
    SdRunOpts notgiven = {.method = SD_EULER, .method_given = false};
    SdResults *kept = u_run_text(xml, &notgiven);
    free(xml);
    assert_non_null(own);
    assert_non_null(over);
    assert_non_null(kept);
    assert_true(max_rel_error(own) < 1e-8);
    assert_true(max_rel_error(kept) < 1e-8);
    assert_close_tol(u_get(over, "S", NSTEPS), 100 * pow(1 - K * DT, NSTEPS),
                     1e-12, 1e-12);
    sd_results_free(own);
    sd_results_free(over);
    sd_results_free(kept);
}

/* ---- time axis -------------------------------------------------------- */

static void test_dt_reciprocal(void **state)
{
    (void)state;
    static const char xml[] =
        "<xmile><sim_specs><start>0</start><stop>2</stop>"
        "<dt reciprocal=\"true\">4</dt></sim_specs>\n"
        "<model><variables><aux name=\"t\"><eqn>TIME</eqn></aux>"
        "<aux name=\"d\"><eqn>DT</eqn></aux></variables></model></xmile>";
    SdResults *r = u_run_text(xml, NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 9);
    for (int i = 0; i < 9; i++) {
        assert_close(u_get(r, "t", i), i * 0.25);
        assert_close(u_get(r, "d", i), 0.25);
    }
    sd_results_free(r);
}

static void test_save_interval(void **state)
{
    (void)state;
    /* save_step 1 with dt 0.25: every 4th step is saved, and the values
     * are those of the full run at those times. */
    char *base = u_xmile(0, STOP, DT, NULL, decay_vars);
    TBuf b = {0};
    const char *cut = strstr(base, "</sim_specs>");
    assert_non_null(cut);
    tbuf_append(&b, base, (size_t)(cut - base));
    tbuf_puts(&b, "<save_step>1</save_step>");
    tbuf_puts(&b, cut);
    free(base);
    SdResults *r = u_run_text(tbuf_cstr(&b), NULL);
    tbuf_free(&b);
    assert_non_null(r);
    assert_int_equal(r->nrows, 11);
    for (int i = 0; i <= 10; i++) {
        assert_close(r->data[(size_t)i * (size_t)r->ncols], i);
        assert_close_tol(u_get(r, "S", i), 100 * pow(1 - K * DT, 4 * i), 1e-12,
                         1e-12);
    }
    sd_results_free(r);

    /* The attribute form on <sim_specs>. */
    static const char xml[] =
        "<xmile><sim_specs save_interval=\"0.5\"><start>0</start>"
        "<stop>2</stop><dt>0.125</dt></sim_specs>\n"
        "<model><variables><aux name=\"t\"><eqn>TIME</eqn></aux>"
        "</variables></model></xmile>";
    r = u_run_text(xml, NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 5);
    for (int i = 0; i < 5; i++)
        assert_close(u_get(r, "t", i), i * 0.5);
    sd_results_free(r);
}

static void test_nonzero_start(void **state)
{
    (void)state;
    char *xml = u_xmile(5, 8, 0.5, NULL, decay_vars);
    SdResults *r = u_run_text(xml, NULL);
    free(xml);
    assert_non_null(r);
    assert_int_equal(r->nrows, 7);
    for (int i = 0; i < 7; i++) {
        assert_close(r->data[(size_t)i * (size_t)r->ncols], 5 + 0.5 * i);
        assert_close_tol(u_get(r, "S", i), 100 * pow(1 - K * 0.5, i), 1e-12,
                         1e-12);
    }
    sd_results_free(r);
    /* A negative start. */
    r = u_run_eqn(-2, 1, 1, "TIME * 10", NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 4);
    assert_close(u_get(r, "y", 0), -20);
    assert_close(u_get(r, "y", 3), 10);
    sd_results_free(r);
}

static void test_steps_not_dividing_span(void **state)
{
    (void)state;
    /* 1 / 0.1 is 9.999... in floating point: still ten steps. */
    SdResults *r = u_run_eqn(0, 1, 0.1, "TIME", NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 11);
    assert_close(u_get(r, "y", 10), 1);
    sd_results_free(r);
    /* 0.3 does not divide 1: the run stops at the last whole step. */
    r = u_run_eqn(0, 1, 0.3, "TIME", NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 4);
    assert_close(u_get(r, "y", 3), 0.9);
    sd_results_free(r);
    /* Start equal to stop: one row. */
    r = u_run_eqn(4, 4, 1, "TIME", NULL);
    assert_non_null(r);
    assert_int_equal(r->nrows, 1);
    assert_close(u_get(r, "y", 0), 4);
    sd_results_free(r);
}

/* ---- results ---------------------------------------------------------- */

static void test_columns_order_and_names(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 1, 1, NULL,
                         "<aux name=\"zeta\"><eqn>1</eqn></aux>\n"
                         "<stock name=\"Birth\\nRate\"><eqn>SMTH1(zeta, 2)"
                         "</eqn><inflow>alpha</inflow></stock>\n"
                         "<gf name=\"table\"><xscale min=\"0\" max=\"1\"/>"
                         "<ypts>0,1</ypts></gf>\n"
                         "<flow name=\"alpha\"><eqn>table(0.5) + "
                         "DELAY1(zeta, 1)</eqn></flow>");
    assert_non_null(r);
    /* Time, then the variables in file order; hidden stocks of SMTH1 and
     * DELAY1 and the bare graphical function are not columns. */
    assert_int_equal(r->ncols, 4);
    assert_string_equal(r->names[0], "Time");
    assert_string_equal(r->names[1], "zeta");
    assert_string_equal(r->names[2], "Birth Rate");
    assert_string_equal(r->names[3], "alpha");
    assert_int_equal(r->nrows, 2);
    assert_close(u_get(r, "alpha", 0), 1.5);
    assert_close(u_get(r, "Birth Rate", 1), 2.5);
    sd_results_free(r);
}

static void test_results_find_any_spelling(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 1, 1, NULL,
                         "<aux name=\"Birth Rate\"><eqn>1</eqn></aux>\n"
                         "<aux name=\"Größe\"><eqn>2</eqn></aux>");
    assert_non_null(r);
    assert_int_equal(sd_results_find(r, "Time"), 0);
    assert_int_equal(sd_results_find(r, "TIME"), 0);
    assert_int_equal(sd_results_find(r, "Birth Rate"), 1);
    assert_int_equal(sd_results_find(r, "birth_rate"), 1);
    assert_int_equal(sd_results_find(r, "BIRTH__RATE"), 1);
    assert_int_equal(sd_results_find(r, "\"birth rate\""), 1);
    assert_int_equal(sd_results_find(r, "Birth\\nRate"), 1);
    assert_int_equal(sd_results_find(r, "GRÖSSE"), -1); /* no ß -> ss */
    assert_int_equal(sd_results_find(r, "GRÖßE"), 2);
    assert_int_equal(sd_results_find(r, "birth"), -1);
    assert_int_equal(sd_results_find(r, ""), -1);
    sd_results_free(r);
    sd_results_free(NULL); /* a no-op */
}

/* ---- limits ----------------------------------------------------------- */

/* Compiles the decay model with other specs; NULL on failure. */
static SdProgram *compile_decay(double start, double stop, double dt)
{
    char *xml = u_xmile(start, stop, dt, NULL, decay_vars);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    if (sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d) == T_OK)
        sd_compile(m, &p, &d);
    sd_model_free(m);
    free(xml);
    diags_free(&d);
    return p;
}

static void test_too_many_steps_refused(void **state)
{
    (void)state;
    SdProgram *p = compile_decay(0, STOP, DT);
    assert_non_null(p);
    TDiags d = {0};
    SdResults *r = (SdResults *)p; /* must be reset to NULL */
    SdRunOpts o = {.max_steps = 10};
    int rc = sd_run(p, &o, &r, &d);
    char msg[1024];
    u_format(&d, msg, sizeof msg);
    diags_free(&d);
    assert_int_equal(rc, T_EINPUT);
    assert_null(r);
    assert_string_equal(msg, "the run would take 40 steps, more than the "
                             "limit of 10\n");
    /* Exactly at the limit is allowed. */
    o.max_steps = NSTEPS;
    rc = sd_run(p, &o, &r, &d);
    sd_program_free(p);
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    assert_non_null(r);
    assert_int_equal(r->nrows, NSTEPS + 1);
    sd_results_free(r);
}

static void test_too_many_rows_refused(void **state)
{
    (void)state;
    /* A billion steps, each saved: refused before anything is
     * allocated or run. */
    SdProgram *p = compile_decay(0, 1e9, 1);
    assert_non_null(p);
    TDiags d = {0};
    SdResults *r = NULL;
    int rc = sd_run(p, NULL, &r, &d);
    char msg[1024];
    u_format(&d, msg, sizeof msg);
    diags_free(&d);
    sd_program_free(p);
    assert_int_equal(rc, T_EINPUT);
    assert_null(r);
    assert_string_equal(msg, "the run would save 1000000001 rows of 4 values, "
                             "too many; raise the save interval\n");
}

static void test_bad_specs_refused(void **state)
{
    (void)state;
    SdProgram *p = compile_decay(0, STOP, DT);
    assert_non_null(p);
    p->dt = 0; /* as a caller with its own program might */
    TDiags d = {0};
    SdResults *r = NULL;
    int rc = sd_run(p, NULL, &r, &d);
    char msg[1024];
    u_format(&d, msg, sizeof msg);
    diags_free(&d);
    p->dt = DT;
    p->stop = -1;
    TDiags d2 = {0};
    int rc2 = sd_run(p, NULL, &r, &d2);
    char msg2[1024];
    u_format(&d2, msg2, sizeof msg2);
    diags_free(&d2);
    sd_program_free(p);
    assert_int_equal(rc, T_EINPUT);
    assert_string_equal(msg, "bad simulation specs: start 0, stop 10, dt 0\n");
    assert_int_equal(rc2, T_EINPUT);
    assert_string_equal(msg2,
                        "bad simulation specs: start 0, stop -1, dt 0.25\n");
    assert_null(r);
}

static void test_program_runs_twice(void **state)
{
    (void)state;
    /* A program holds no run state: a second run gives the same table. */
    SdProgram *p = compile_decay(0, STOP, DT);
    assert_non_null(p);
    TDiags d = {0};
    SdResults *a = NULL, *b = NULL;
    assert_int_equal(sd_run(p, NULL, &a, &d), T_OK);
    assert_int_equal(sd_run(p, NULL, &b, &d), T_OK);
    sd_program_free(p);
    diags_free(&d);
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->ncols, b->ncols);
    assert_memory_equal(a->data, b->data,
                        sizeof(double) * (size_t)a->nrows * (size_t)a->ncols);
    sd_results_free(a);
    sd_results_free(b);
}

/* Rows handed to on_row one by one, as a stored run holds them. */
typedef struct Rows {
    TBuf got;  /* every row's doubles, one after another */
    int calls; /* rows seen */
    int stop;  /* return nonzero at this row (0: never) */
    int ncols; /* the columns the rows have */
} Rows;

static int take_row(void *ud, const SdResults *cols, const double *row)
{
    Rows *w = ud;
    w->ncols = cols->ncols;
    assert_string_equal(cols->names[0], "Time");
    tbuf_append(&w->got, (const char *)row,
                sizeof(double) * (size_t)cols->ncols);
    return ++w->calls == w->stop;
}

static void test_rows_streamed(void **state)
{
    (void)state;
    SdProgram *p = compile_decay(0, STOP, DT);
    assert_non_null(p);
    TDiags d = {0};
    SdResults *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(sd_run(p, NULL, &a, &d), T_OK);
    Rows w = {0};
    SdRunOpts o = {.on_row = take_row, .row_ud = &w};
    assert_int_equal(sd_run(p, &o, &b, &d), T_OK);
    /* The same rows, none stored; the names still come back. */
    assert_int_equal(w.calls, a->nrows);
    assert_int_equal(b->nrows, a->nrows);
    assert_null(b->data);
    assert_int_equal(w.ncols, a->ncols);
    assert_int_equal(w.got.len,
                     sizeof(double) * (size_t)a->nrows * (size_t)a->ncols);
    assert_memory_equal(w.got.data, a->data, w.got.len);
    assert_int_equal(sd_results_find(b, "S"), sd_results_find(a, "S"));
    /* A nonzero return ends the run at that row. */
    Rows w3 = {.stop = 3};
    o.row_ud = &w3;
    assert_int_equal(sd_run(p, &o, &c, &d), T_OK);
    assert_int_equal(w3.calls, 3);
    assert_int_equal(c->nrows, 3);
    tbuf_free(&w.got);
    tbuf_free(&w3.got);
    sd_results_free(a);
    sd_results_free(b);
    sd_results_free(c);
    sd_program_free(p);
    diags_free(&d);
}

/* Only the chosen variables are saved, in the order asked; a variable
 * number the program does not have is refused. */
static void test_save_chosen_vars(void **state)
{
    (void)state;
    static const char vars[] = "<aux name=\"a\"><eqn>TIME</eqn></aux>\n"
                               "<aux name=\"b\"><eqn>2 * TIME</eqn></aux>\n"
                               "<aux name=\"c\"><eqn>3 * TIME</eqn></aux>";
    char *xml = u_xmile(0, 2, 1, NULL, vars);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    int pick[2] = {sd_program_find(p, "C"), sd_program_find(p, "a")};
    assert_int_equal(pick[0], 2);
    assert_int_equal(pick[1], 0);
    assert_int_equal(sd_program_find(p, "nosuch"), -1);
    SdRunOpts o = {.vars = pick, .nvars = 2};
    assert_int_equal(sd_run(p, &o, &r, &d), T_OK);
    assert_int_equal(r->ncols, 3);
    assert_string_equal(r->names[0], "Time");
    assert_string_equal(r->names[1], "c");
    assert_string_equal(r->names[2], "a");
    assert_int_equal(r->nrows, 3);
    assert_close_tol(r->data[2 * 3 + 1], 6, 1e-12, 1e-12);
    assert_close_tol(r->data[2 * 3 + 2], 2, 1e-12, 1e-12);
    sd_results_free(r);
    r = NULL;
    int bad[1] = {7};
    SdRunOpts ob = {.vars = bad, .nvars = 1};
    assert_int_equal(sd_run(p, &ob, &r, &d), T_EUSAGE);
    assert_null(r);
    assert_int_equal(d.errors, 1);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    free(xml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_euler_exact_recurrence),
        cmocka_unit_test(test_rk2_and_rk4_accuracy),
        cmocka_unit_test(test_rk_stages_advance_time),
        cmocka_unit_test(test_method_from_model),
        cmocka_unit_test(test_dt_reciprocal),
        cmocka_unit_test(test_save_interval),
        cmocka_unit_test(test_nonzero_start),
        cmocka_unit_test(test_steps_not_dividing_span),
        cmocka_unit_test(test_columns_order_and_names),
        cmocka_unit_test(test_results_find_any_spelling),
        cmocka_unit_test(test_too_many_steps_refused),
        cmocka_unit_test(test_too_many_rows_refused),
        cmocka_unit_test(test_bad_specs_refused),
        cmocka_unit_test(test_program_runs_twice),
        cmocka_unit_test(test_rows_streamed),
        cmocka_unit_test(test_save_chosen_vars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
