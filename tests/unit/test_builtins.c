/*
 * test_builtins.c - unit tests of every builtin function: one small model
 * each, run with sd_run, checked against values worked out by hand here
 * (closed forms, or a plain recurrence written out in the test for the
 * smoothing and delay chains). Also graphical functions of each kind,
 * non-negative stocks, uniflows and IF THEN ELSE.
 */
#include "unit.h"

#include "sd/sd_int.h"

#define TOL 1e-12 /* relative; the absolute floor is U_ABS */

static void assert_eval(const char *eqn, double want)
{
    double got = u_eval(eqn);
    if (!(fabs(got - want) <= fmax(U_ABS, TOL * fabs(want))))
        print_error("%s = %.17g, want %.17g\n", eqn, got, want);
    assert_close_tol(got, want, TOL, U_ABS);
}

/* Time of row i. */
static double row_time(const SdResults *r, int i)
{
    return r->data[(size_t)i * (size_t)r->ncols];
}

/* ---- math ------------------------------------------------------------- */

static void test_abs_sqrt_exp_ln(void **state)
{
    (void)state;
    assert_eval("ABS(-3.5)", 3.5);
    assert_eval("abs(2)", 2);
    assert_eval("ABS(0)", 0);
    assert_eval("SQRT(16)", 4);
    assert_eval("SQRT(2)", 1.4142135623730951);
    assert_eval("EXP(0)", 1);
    assert_eval("EXP(1)", 2.718281828459045);
    assert_eval("Exp(-2)", 0.1353352832366127);
    assert_eval("LN(EXP(2))", 2);
    assert_eval("LN(10)", 2.302585092994046);
    assert_eval("LN(1)", 0);
}

static void test_logs(void **state)
{
    (void)state;
    assert_eval("LOG10(1000)", 3);
    assert_eval("LOG10(2)", 0.3010299956639812);
    assert_eval("LOG(100)", 2); /* one argument: base 10 */
    assert_eval("LOG(8, 2)", 3);
    assert_eval("LOG(81, 3)", 4);
    assert_eval("LOG(2, 4)", 0.5);
}

static void test_int_round_sign(void **state)
{
    (void)state;
    assert_eval("INT(2.7)", 2);
    assert_eval("INT(-2.5)", -3); /* the integer not above */
    assert_eval("INT(5)", 5);
    assert_eval("INTEGER(7.9)", 7);
    assert_eval("ROUND(2.5)", 3);
    assert_eval("ROUND(2.4)", 2);
    assert_eval("ROUND(-2.5)", -3);
    assert_eval("ROUND(-2.4)", -2);
    assert_eval("SIGN(-2)", -1);
    assert_eval("SIGN(0)", 0);
    assert_eval("SIGN(3)", 1);
}

static void test_min_max(void **state)
{
    (void)state;
    assert_eval("MIN(3, 1)", 1);
    assert_eval("MIN(3, 1, 2)", 1);
    assert_eval("MIN(-1, -5)", -5);
    assert_eval("MAX(3, 7, 2)", 7);
    assert_eval("MAX(-1, -5)", -1);
    assert_eval("max(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)", 10);
}

static void test_trig(void **state)
{
    (void)state;
    const double pi = 3.141592653589793;
    assert_eval("SIN(0)", 0);
    assert_eval("SIN(PI / 2)", 1);
    assert_eval("SIN(1)", 0.8414709848078965);
    assert_eval("COS(PI)", -1);
    assert_eval("COS(1)", 0.5403023058681398);
    assert_eval("TAN(PI / 4)", 1);
    assert_eval("TAN(1)", 1.5574077246549023);
    assert_eval("ARCSIN(1)", pi / 2);
    assert_eval("ARCSIN(0.5)", pi / 6);
    assert_eval("ARCCOS(0)", pi / 2);
    assert_eval("ARCCOS(1)", 0);
    assert_eval("ARCCOS(-1)", pi);
    assert_eval("ARCTAN(1)", pi / 4);
    assert_eval("ARCTAN(-1)", -pi / 4);
    assert_eval("SINH(1)", 1.1752011936438014);
    assert_eval("COSH(1)", 1.5430806348152437);
    assert_eval("COSH(0)", 1);
    assert_eval("TANH(0.5)", 0.46211715726000974);
    assert_eval("TANH(0)", 0);
}

static void test_pi(void **state)
{
    (void)state;
    assert_eval("PI", 3.141592653589793);
    assert_eval("pi()", 3.141592653589793);
    assert_eval("2 * Pi", 6.283185307179586);
}

static void test_safediv(void **state)
{
    (void)state;
    assert_eval("SAFEDIV(6, 3)", 2);
    assert_eval("SAFEDIV(6, 0)", 0);
    assert_eval("SAFEDIV(6, 0, 9)", 9);
    assert_eval("SAFEDIV(6, 2, 9)", 3);
    assert_eval("SAFEDIV(-1, 4, 9)", -0.25);
    assert_eval("XIDZ(1, 0, 5)", 5);
    assert_eval("XIDZ(1, 2, 5)", 0.5);
    assert_eval("ZIDZ(1, 0)", 0);
    assert_eval("ZIDZ(3, 4)", 0.75);
}

static void test_mod_floored(void **state)
{
    (void)state;
    assert_eval("-10 mod 3", 2);
    assert_eval("10 MOD 3", 1);
    assert_eval("10 mod -3", -2);
    assert_eval("-10 mod -3", -1);
    assert_eval("7.5 mod 2", 1.5);
    assert_eval("-0.5 mod 2", 1.5);
    assert_eval("9 mod 3", 0);
    assert_eval("2 + 7 mod 4 * 2", 8); /* mod binds like '*' */
}

static void test_mod_function_form(void **state)
{
    (void)state;
    assert_eval("MOD(-10, 3)", 2);
    assert_eval("mod(7.5, 2)", 1.5);
}

/* ---- clock ------------------------------------------------------------ */

static void test_time_dt_start_stop(void **state)
{
    (void)state;
    SdResults *r = u_run(2, 4, 0.25, NULL,
                         "<aux name=\"t\"><eqn>TIME</eqn></aux>\n"
                         "<aux name=\"t2\"><eqn>time()</eqn></aux>\n"
                         "<aux name=\"step\"><eqn>DT</eqn></aux>\n"
                         "<aux name=\"first\"><eqn>STARTTIME</eqn></aux>\n"
                         "<aux name=\"last\"><eqn>StopTime</eqn></aux>\n"
                         "<aux name=\"elapsed\"><eqn>TIME - STARTTIME</eqn>"
                         "</aux>");
    assert_non_null(r);
    assert_int_equal(r->nrows, 9);
    for (int i = 0; i < r->nrows; i++) {
        double t = 2 + 0.25 * i;
        assert_close(row_time(r, i), t);
        assert_close(u_get(r, "t", i), t);
        assert_close(u_get(r, "t2", i), t);
        assert_close(u_get(r, "step", i), 0.25);
        assert_close(u_get(r, "first", i), 2);
        assert_close(u_get(r, "last", i), 4);
        assert_close(u_get(r, "elapsed", i), t - 2);
    }
    sd_results_free(r);
}

/* ---- STEP, RAMP, PULSE ------------------------------------------------ */

static void test_step(void **state)
{
    (void)state;
    SdResults *r = u_run_eqn(0, 5, 0.5, "STEP(10, 2)", NULL);
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        assert_close(u_get(r, "y", i), t >= 2 ? 10 : 0);
    }
    sd_results_free(r);
    /* A step at a time between two steps takes effect at the nearer. */
    r = u_run_eqn(0, 3, 1, "STEP(-4, 1.2)", NULL);
    assert_non_null(r);
    assert_close(u_at(r, "y", 0), 0);
    assert_close(u_at(r, "y", 1), -4);
    assert_close(u_at(r, "y", 3), -4);
    sd_results_free(r);
}

static void test_ramp(void **state)
{
    (void)state;
    SdResults *r = u_run_eqn(0, 5, 0.5, "RAMP(2, 1)", NULL);
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        assert_close(u_get(r, "y", i), t > 1 ? 2 * (t - 1) : 0);
    }
    sd_results_free(r);
    /* With an end time the ramp levels off there. */
    r = u_run_eqn(0, 5, 0.5, "RAMP(2, 1, 3)", NULL);
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        double want = t <= 1 ? 0 : t < 3 ? 2 * (t - 1) : 4;
        assert_close(u_get(r, "y", i), want);
    }
    sd_results_free(r);
}

static void test_pulse_single(void **state)
{
    (void)state;
    /* Volume 10 over one dt of 0.5: height 20 at t = 1 only. */
    SdResults *r = u_run(0, 5, 0.5, NULL,
                         "<aux name=\"y\"><eqn>PULSE(10, 1)</eqn></aux>\n"
                         "<stock name=\"S\"><eqn>0</eqn><inflow>f</inflow>"
                         "</stock>\n"
                         "<flow name=\"f\"><eqn>y</eqn></flow>");
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        assert_close(u_get(r, "y", i), fabs(t - 1) < 1e-9 ? 20 : 0);
        /* The stock receives exactly the volume. */
        assert_close(u_get(r, "S", i), t > 1 + 1e-9 ? 10 : 0);
    }
    sd_results_free(r);
    /* One argument: a pulse at the start time. */
    r = u_run_eqn(3, 5, 0.25, "PULSE(2)", NULL);
    assert_non_null(r);
    assert_close(u_at(r, "y", 3), 8);
    assert_close(u_at(r, "y", 3.25), 0);
    assert_close(u_at(r, "y", 5), 0);
    sd_results_free(r);
}

static void test_pulse_repeated(void **state)
{
    (void)state;
    SdResults *r = u_run_eqn(0, 6, 0.5, "PULSE(10, 1, 1.5)", NULL);
    assert_non_null(r);
    int pulses = 0;
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        bool at = fabs(t - 1) < 1e-9 || fabs(t - 2.5) < 1e-9 ||
                  fabs(t - 4) < 1e-9 || fabs(t - 5.5) < 1e-9;
        assert_close(u_get(r, "y", i), at ? 20 : 0);
        pulses += at;
    }
    assert_int_equal(pulses, 4);
    sd_results_free(r);
}

/* ---- INIT and PREVIOUS ------------------------------------------------ */

static void test_init(void **state)
{
    (void)state;
    SdResults *r = u_run(3, 6, 1, NULL,
                         "<aux name=\"x\"><eqn>TIME * 2 + 1</eqn></aux>\n"
                         "<aux name=\"y\"><eqn>INIT(x)</eqn></aux>\n"
                         "<stock name=\"S\"><eqn>5</eqn><inflow>f</inflow>"
                         "</stock>\n"
                         "<flow name=\"f\"><eqn>1</eqn></flow>\n"
                         "<aux name=\"s0\"><eqn>INITIAL(S)</eqn></aux>");
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        assert_close(u_get(r, "y", i), 7);
        assert_close(u_get(r, "s0", i), 5);
        assert_close(u_get(r, "S", i), 5 + i);
    }
    sd_results_free(r);
}

static void test_previous(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 4, 1, NULL,
                         "<aux name=\"x\"><eqn>TIME ^ 2</eqn></aux>\n"
                         "<aux name=\"p\"><eqn>PREVIOUS(x, -1)</eqn></aux>\n"
                         "<aux name=\"q\"><eqn>PREVIOUS(x + 3)</eqn></aux>\n"
                         "<aux name=\"pp\"><eqn>PREVIOUS(p, -2)</eqn></aux>");
    assert_non_null(r);
    static const double p[] = {-1, 0, 1, 4, 9};
    static const double q[] = {3, 3, 4, 7, 12};
    static const double pp[] = {-2, -1, 0, 1, 4};
    for (int i = 0; i < 5; i++) {
        assert_close(u_at(r, "p", i), p[i]);
        assert_close(u_at(r, "q", i), q[i]);
        assert_close(u_at(r, "pp", i), pp[i]);
    }
    sd_results_free(r);
}

/* ---- DELAY ------------------------------------------------------------ */

static void test_delay_fixed(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 6, 0.5, NULL,
                         "<aux name=\"x\"><eqn>3 + 10 * TIME</eqn></aux>\n"
                         "<aux name=\"with init\"><eqn>DELAY(x, 2, -5)</eqn>"
                         "</aux>\n"
                         "<aux name=\"without\"><eqn>DELAY(x, 1.5)</eqn>"
                         "</aux>");
    assert_non_null(r);
    for (int i = 0; i < r->nrows; i++) {
        double t = row_time(r, i);
        assert_close(u_get(r, "with init", i),
                     t < 2 - 1e-9 ? -5 : 3 + 10 * (t - 2));
        /* Without an initial value: the input's initial value. */
        assert_close(u_get(r, "without", i),
                     t < 1.5 - 1e-9 ? 3 : 3 + 10 * (t - 1.5));
    }
    sd_results_free(r);
}

static void test_delay_of_stock(void **state)
{
    (void)state;
    /* A stock doubling each step, seen two steps late. */
    SdResults *r = u_run(0, 5, 1, NULL,
                         "<stock name=\"S\"><eqn>1</eqn><inflow>f</inflow>"
                         "</stock>\n"
                         "<flow name=\"f\"><eqn>S</eqn></flow>\n"
                         "<aux name=\"y\"><eqn>DELAY(S, 2, 0)</eqn></aux>");
    assert_non_null(r);
    static const double y[] = {0, 0, 1, 2, 4, 8};
    for (int i = 0; i < 6; i++) {
        assert_close(u_at(r, "S", i), ldexp(1, i));
        assert_close(u_at(r, "y", i), y[i]);
    }
    sd_results_free(r);
}

/* ---- delay and smoothing chains --------------------------------------- */

/* The input the chain tests use: 4, then 10 from t = 1 (STEP rule). */
static double chain_input(double t, double dt)
{
    return 4 + (t + dt / 2 > 1 ? 6 : 0);
}

/* Euler on an n-stage chain, each stage first order with time T/n; the
 * output is the last stage's value (for a material delay, its outflow,
 * which obeys the same equation). want[k] is the output at step k. */
static void chain_ref(int n, double T, double dt, double init, int steps,
                      double *want)
{
    double x[16];
    for (int k = 0; k < n; k++)
        x[k] = init;
    for (int s = 0; s <= steps; s++) {
        want[s] = x[n - 1];
        double in = chain_input(s * dt, dt);
        double rate[16];
        for (int k = 0; k < n; k++)
            rate[k] = ((k ? x[k - 1] : in) - x[k]) / (T / n);
        for (int k = 0; k < n; k++)
            x[k] += dt * rate[k];
    }
}

/* Runs y = eqn over 0..8 with dt 0.25 and compares every row with the
 * chain reference. */
static void check_chain(const char *eqn, int n, double T, double init)
{
    enum { STEPS = 32 };
    double want[STEPS + 1];
    chain_ref(n, T, 0.25, init, STEPS, want);
    SdResults *r = u_run_eqn(0, 8, 0.25, eqn,
                             "<aux name=\"input\"><eqn>4 + STEP(6, 1)</eqn>"
                             "</aux>\n");
    assert_non_null(r);
    assert_int_equal(r->nrows, STEPS + 1);
    for (int s = 0; s <= STEPS; s++) {
        double got = u_get(r, "y", s);
        if (!(fabs(got - want[s]) <= fmax(1e-12, 1e-10 * fabs(want[s]))))
            print_error("%s at t=%g: got %.17g, want %.17g\n", eqn, s * 0.25,
                        got, want[s]);
        assert_close_tol(got, want[s], 1e-10, 1e-12);
    }
    /* The chain moves towards the new input and stays below it. */
    assert_true(want[STEPS] > 4 && want[STEPS] < 10);
    sd_results_free(r);
}

static void test_delay1(void **state)
{
    (void)state;
    /* Closed form first: input 10, time 2, dt 1, empty at the start. */
    SdResults *r = u_run_eqn(0, 4, 1, "DELAY1(10, 2, 0)", NULL);
    assert_non_null(r);
    for (int i = 0; i <= 4; i++)
        assert_close(u_at(r, "y", i), 10 * (1 - pow(0.5, i)));
    sd_results_free(r);
    check_chain("DELAY1(input, 2, 1)", 1, 2, 1);
    check_chain("DELAY1(input, 2)", 1, 2, 4); /* starts at the input */
}

static void test_delay3(void **state)
{
    (void)state;
    check_chain("DELAY3(input, 3, 0)", 3, 3, 0);
    check_chain("DELAY3(input, 3)", 3, 3, 4);
}

static void test_delayn(void **state)
{
    (void)state;
    check_chain("DELAYN(input, 2, 2, 1)", 2, 2, 1);
    check_chain("DELAYN(input, 4, 5)", 5, 4, 4);
    check_chain("DELAYN(input, 3, 1, 0)", 1, 3, 0);
}

static void test_smth1(void **state)
{
    (void)state;
    /* Closed form: towards 10 from 2 with time 4, dt 1. */
    SdResults *r = u_run_eqn(0, 5, 1, "SMTH1(10, 4, 2)", NULL);
    assert_non_null(r);
    for (int i = 0; i <= 5; i++)
        assert_close(u_at(r, "y", i), 10 - 8 * pow(0.75, i));
    sd_results_free(r);
    check_chain("SMTH1(input, 2, 1)", 1, 2, 1);
    check_chain("SMTH1(input, 0.5)", 1, 0.5, 4);
}

static void test_smth3(void **state)
{
    (void)state;
    check_chain("SMTH3(input, 3, 0)", 3, 3, 0);
    check_chain("SMTH3(input, 1.5)", 3, 1.5, 4);
}

static void test_smthn(void **state)
{
    (void)state;
    check_chain("SMTHN(input, 2, 4, 8)", 4, 2, 8);
    check_chain("SMTHN(input, 3, 2)", 2, 3, 4);
}

/* ---- TREND and FORECAST ----------------------------------------------- */

/* Euler reference: input 100 + 10 t; average starts at
 * input / (1 + itrend * avg). */
static void trend_ref(double avg, double itrend, double horizon, double dt,
                      int steps, double *trend, double *forecast)
{
    double in0 = 100;
    double s = in0 / (1 + itrend * avg);
    for (int k = 0; k <= steps; k++) {
        double in = 100 + 10 * k * dt;
        double den = s * avg;
        trend[k] = den == 0 ? 0 : (in - s) / den;
        forecast[k] = in * (1 + trend[k] * horizon);
        s += dt * (in - s) / avg;
    }
}

static void test_trend_forecast(void **state)
{
    (void)state;
    enum { STEPS = 20 };
    double tr[STEPS + 1], fc[STEPS + 1], tr0[STEPS + 1], fc0[STEPS + 1];
    trend_ref(2, 0.05, 3, 0.5, STEPS, tr, fc);
    trend_ref(2, 0, 3, 0.5, STEPS, tr0, fc0);
    SdResults *r = u_run(0, 10, 0.5, NULL,
                         "<aux name=\"input\"><eqn>100 + 10 * TIME</eqn>"
                         "</aux>\n"
                         "<aux name=\"tr\"><eqn>TREND(input, 2, 0.05)</eqn>"
                         "</aux>\n"
                         "<aux name=\"tr0\"><eqn>TREND(input, 2)</eqn></aux>\n"
                         "<aux name=\"fc\"><eqn>FORECAST(input, 2, 3, 0.05)"
                         "</eqn></aux>\n"
                         "<aux name=\"fc0\"><eqn>FORECAST(input, 2, 3)</eqn>"
                         "</aux>");
    assert_non_null(r);
    assert_int_equal(r->nrows, STEPS + 1);
    /* The initial trend is the one given. */
    assert_close_tol(u_get(r, "tr", 0), 0.05, 1e-12, 1e-12);
    assert_close_tol(u_get(r, "tr0", 0), 0, 1e-12, 1e-12);
    for (int k = 0; k <= STEPS; k++) {
        assert_close_tol(u_get(r, "tr", k), tr[k], 1e-10, 1e-12);
        assert_close_tol(u_get(r, "tr0", k), tr0[k], 1e-10, 1e-12);
        assert_close_tol(u_get(r, "fc", k), fc[k], 1e-10, 1e-12);
        assert_close_tol(u_get(r, "fc0", k), fc0[k], 1e-10, 1e-12);
    }
    sd_results_free(r);
}

/* ---- graphical functions ---------------------------------------------- */

/* x runs from -1 to 3 in steps of 0.5 as TIME runs from 0 to 4. */
static void check_graph(const char *gf_attrs, const char *points,
                        const double *want)
{
    char vars[2048];
    snprintf(vars, sizeof vars,
             "<gf name=\"g\" %s>%s</gf>\n"
             "<aux name=\"x\"><eqn>TIME - 1</eqn></aux>\n"
             "<aux name=\"by name\"><eqn>g(x)</eqn></aux>\n"
             "<aux name=\"by lookup\"><eqn>LOOKUP(g, x)</eqn></aux>\n"
             "<aux name=\"own\"><eqn>x</eqn><gf %s>%s</gf></aux>",
             gf_attrs, points, gf_attrs, points);
    SdResults *r = u_run(0, 4, 0.5, NULL, vars);
    assert_non_null(r);
    assert_int_equal(r->nrows, 9);
    for (int i = 0; i < 9; i++) {
        if (!(fabs(u_get(r, "by name", i) - want[i]) <= 1e-12))
            print_error("gf %s at x=%g: got %.17g, want %.17g\n", gf_attrs,
                        i * 0.5 - 1, u_get(r, "by name", i), want[i]);
        assert_close(u_get(r, "by name", i), want[i]);
        assert_close(u_get(r, "by lookup", i), want[i]);
        assert_close(u_get(r, "own", i), want[i]);
    }
    /* A bare graphical function is not a column of its own. */
    assert_int_equal(sd_results_find(r, "g"), -1);
    sd_results_free(r);
}

static const char xy_pts[] = "<xpts>0,1,2</xpts><ypts>0,10,40</ypts>";
static const char scale_pts[] =
    "<xscale min=\"0\" max=\"2\"/><ypts>0,10,40</ypts>";

static void test_graph_continuous(void **state)
{
    (void)state;
    /* x:        -1  -.5  0   .5  1   1.5  2   2.5  3 */
    static const double want[] = {0, 0, 0, 5, 10, 25, 40, 40, 40};
    check_graph("", xy_pts, want);
    check_graph("type=\"continuous\"", scale_pts, want);
}

static void test_graph_extrapolate(void **state)
{
    (void)state;
    static const double want[] = {-10, -5, 0, 5, 10, 25, 40, 55, 70};
    check_graph("type=\"extrapolate\"", xy_pts, want);
    check_graph("type=\"extrapolate\"", scale_pts, want);
}

static void test_graph_discrete(void **state)
{
    (void)state;
    static const double want[] = {0, 0, 0, 0, 10, 10, 40, 40, 40};
    check_graph("type=\"discrete\"", xy_pts, want);
    check_graph("discrete=\"true\"", scale_pts, want);
}

static void test_graph_separators_and_uneven_x(void **state)
{
    (void)state;
    static const double want[] = {1,   1, 1 + 2.0 / 3, 1 + 4.0 / 3, 3, 3.5, 4,
                                  4.5, 5};
    check_graph("",
                "<xpts sep=\";\">-0.5;1;3</xpts>"
                "<ypts sep=\";\">1;3;5</ypts>",
                want);
}

static void test_graph_eval_direct(void **state)
{
    (void)state;
    double xs[] = {0, 1, 1, 2}; /* a vertical jump at x = 1 */
    double ys[] = {0, 1, 5, 6};
    SdGraph g = {SD_GF_CONTINUOUS, 4, xs, ys};
    assert_close(sd_graph_eval(&g, 0.5), 0.5);
    assert_close(sd_graph_eval(&g, 1.5), 5.5);
    assert_true(isnan(sd_graph_eval(&g, NAN)));
    double one_x[] = {3}, one_y[] = {7};
    SdGraph one = {SD_GF_EXTRAPOLATE, 1, one_x, one_y};
    assert_close(sd_graph_eval(&one, -100), 7);
    assert_close(sd_graph_eval(&one, 100), 7);
}

/* ---- stocks and flows ------------------------------------------------- */

static void test_nonnegative_stock_clamps(void **state)
{
    (void)state;
    static const char vars[] =
        "<stock name=\"S\"><eqn>5</eqn><outflow>f</outflow>%s</stock>\n"
        "<flow name=\"f\"><eqn>3</eqn></flow>";
    char buf[512];
    snprintf(buf, sizeof buf, vars, "<non_negative/>");
    SdResults *r = u_run(0, 4, 1, NULL, buf);
    assert_non_null(r);
    static const double clamped[] = {5, 2, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        assert_close(u_at(r, "S", i), clamped[i]);
    sd_results_free(r);
    snprintf(buf, sizeof buf, vars, "");
    r = u_run(0, 4, 1, NULL, buf);
    assert_non_null(r);
    static const double free_[] = {5, 2, -1, -4, -7};
    for (int i = 0; i < 5; i++)
        assert_close(u_at(r, "S", i), free_[i]);
    sd_results_free(r);
}

static void test_uniflow_clamps(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 4, 1, NULL,
                         "<stock name=\"S\"><eqn>0</eqn><inflow>f</inflow>"
                         "<inflow>g</inflow></stock>\n"
                         "<flow name=\"f\"><eqn>2 - TIME</eqn><non_negative/>"
                         "</flow>\n"
                         "<flow name=\"g\"><eqn>2 - TIME</eqn></flow>");
    assert_non_null(r);
    static const double f[] = {2, 1, 0, 0, 0};
    static const double g[] = {2, 1, 0, -1, -2};
    static const double s[] = {0, 4, 6, 6, 5};
    for (int i = 0; i < 5; i++) {
        assert_close(u_at(r, "f", i), f[i]);
        assert_close(u_at(r, "g", i), g[i]);
        assert_close(u_at(r, "S", i), s[i]);
    }
    sd_results_free(r);
}

static void test_stock_flows_in_and_out(void **state)
{
    (void)state;
    /* Outflow only, and two of each. */
    SdResults *r = u_run(0, 2, 1, NULL,
                         "<stock name=\"A\"><eqn>10</eqn><outflow>o1</outflow>"
                         "</stock>\n"
                         "<stock name=\"B\"><eqn>0</eqn><inflow>i1</inflow>"
                         "<inflow>i2</inflow><outflow>o1</outflow>"
                         "<outflow>o2</outflow></stock>\n"
                         "<flow name=\"o1\"><eqn>1</eqn></flow>\n"
                         "<flow name=\"o2\"><eqn>2</eqn></flow>\n"
                         "<flow name=\"i1\"><eqn>4</eqn></flow>\n"
                         "<flow name=\"i2\"><eqn>8</eqn></flow>");
    assert_non_null(r);
    assert_close(u_at(r, "A", 2), 8);
    assert_close(u_at(r, "B", 2), 18);
    sd_results_free(r);
}

/* ---- IF THEN ELSE ----------------------------------------------------- */

static void test_if_then_else(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 4, 1, NULL,
                         "<aux name=\"x\"><eqn>TIME - 2</eqn></aux>\n"
                         "<aux name=\"guarded\"><eqn>IF x = 0 THEN 0 ELSE "
                         "1 / x</eqn></aux>\n"
                         "<aux name=\"nested\"><eqn>IF x &lt; 0 THEN -1 ELSE "
                         "IF x = 0 THEN 0 ELSE 1</eqn></aux>\n"
                         "<aux name=\"inside\"><eqn>10 + (IF x &gt; 0 THEN x "
                         "ELSE 2 * x) * (IF x &lt; 1 THEN 3 ELSE 5)</eqn>"
                         "</aux>\n"
                         "<aux name=\"fn\"><eqn>IF_THEN_ELSE(x &gt;= 1, "
                         "100, SQRT(-1))</eqn></aux>");
    assert_non_null(r);
    for (int i = 0; i <= 4; i++) {
        double x = i - 2;
        assert_close(u_at(r, "guarded", i), x == 0 ? 0 : 1 / x);
        assert_close(u_at(r, "nested", i), x < 0 ? -1 : x == 0 ? 0 : 1);
        assert_close(u_at(r, "inside", i),
                     10 + (x > 0 ? x : 2 * x) * (x < 1 ? 3 : 5));
        if (x >= 1)
            assert_close(u_at(r, "fn", i), 100);
        else
            assert_true(isnan(u_at(r, "fn", i)));
    }
    sd_results_free(r);
}

static void test_if_evaluates_one_branch(void **state)
{
    (void)state;
    /* The condition jumps over the branch not taken: the code has a
     * conditional jump and a jump, and a NaN or a division by zero in
     * the other branch never reaches the value. */
    assert_eval("IF 1 THEN 5 ELSE SQRT(-1)", 5);
    assert_eval("IF 0 THEN 1 / 0 ELSE 7", 7);
    assert_eval("IF 0 THEN LN(-1) ELSE IF 1 THEN 8 ELSE 1 / 0", 8);
    char *xml = u_xmile(0, 1, 1, NULL,
                        "<aux name=\"c\"><eqn>TIME</eqn></aux>\n"
                        "<aux name=\"y\"><eqn>IF c THEN 1 / c ELSE 0</eqn>"
                        "</aux>");
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t", &m, &d), T_OK);
    free(xml);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    sd_model_free(m);
    TBuf dis = {0};
    sd_program_disasm(p, &dis);
    bool jz = strstr(tbuf_cstr(&dis), " JZ ") != NULL;
    bool jmp = strstr(tbuf_cstr(&dis), " JMP ") != NULL;
    tbuf_free(&dis);
    SdResults *r = NULL;
    assert_int_equal(sd_run(p, NULL, &r, &d), T_OK);
    sd_program_free(p);
    diags_free(&d);
    assert_true(jz);
    assert_true(jmp);
    assert_close(u_at(r, "y", 0), 0);
    assert_close(u_at(r, "y", 1), 1);
    sd_results_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abs_sqrt_exp_ln),
        cmocka_unit_test(test_logs),
        cmocka_unit_test(test_int_round_sign),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_trig),
        cmocka_unit_test(test_pi),
        cmocka_unit_test(test_safediv),
        cmocka_unit_test(test_mod_floored),
        cmocka_unit_test(test_mod_function_form),
        cmocka_unit_test(test_time_dt_start_stop),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_ramp),
        cmocka_unit_test(test_pulse_single),
        cmocka_unit_test(test_pulse_repeated),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_previous),
        cmocka_unit_test(test_delay_fixed),
        cmocka_unit_test(test_delay_of_stock),
        cmocka_unit_test(test_delay1),
        cmocka_unit_test(test_delay3),
        cmocka_unit_test(test_delayn),
        cmocka_unit_test(test_smth1),
        cmocka_unit_test(test_smth3),
        cmocka_unit_test(test_smthn),
        cmocka_unit_test(test_trend_forecast),
        cmocka_unit_test(test_graph_continuous),
        cmocka_unit_test(test_graph_extrapolate),
        cmocka_unit_test(test_graph_discrete),
        cmocka_unit_test(test_graph_separators_and_uneven_x),
        cmocka_unit_test(test_graph_eval_direct),
        cmocka_unit_test(test_nonnegative_stock_clamps),
        cmocka_unit_test(test_uniflow_clamps),
        cmocka_unit_test(test_stock_flows_in_and_out),
        cmocka_unit_test(test_if_then_else),
        cmocka_unit_test(test_if_evaluates_one_branch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
