/*
 * test_compile.c - unit tests of the XMILE reader and the model compiler,
 * through sd_model_from_xmile on small documents built here: what the
 * reader keeps, the exact text and place of every error it or the compiler
 * reports (unknown names with suggestions, arity, loops, missing specs,
 * malformed XML, bad flows, duplicates), and --set via sd_model_set.
 *
 * u_xmile() puts the first variable of the body on line 8 of the file.
 */
#include "unit.h"

#include "sd/sd_int.h"

#define ERR_MAX 4096

/* Fails unless the variables give exactly the diagnostics want. */
#define assert_errors(vars, want)                                              \
    do {                                                                       \
        char out_[ERR_MAX];                                                    \
        int rc_ = u_errors(vars, out_, sizeof out_);                           \
        assert_int_equal(rc_, T_EINPUT);                                       \
        assert_string_equal(out_, want);                                       \
    } while (0)

#define assert_errors_text(xml, want)                                          \
    do {                                                                       \
        char out_[ERR_MAX];                                                    \
        int rc_ = u_errors_text(xml, out_, sizeof out_);                       \
        assert_int_equal(rc_, T_EINPUT);                                       \
        assert_string_equal(out_, want);                                       \
    } while (0)

/* ---- what the reader keeps --------------------------------------------- */

static void test_xmile_reads_model(void **state)
{
    (void)state;
    static const char xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<xmile version=\"1.0\" "
        "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\" "
        "xmlns:isee=\"http://iseesystems.com/XMILE\">\n"
        "<header><name>Tiny</name></header>\n"
        "<sim_specs method=\"RK4\" time_units=\"Months\">\n"
        "<start>2</start><stop>12</stop><dt reciprocal=\"true\">4</dt>\n"
        "<save_step>0.5</save_step>\n"
        "</sim_specs>\n"
        "<behavior><stock><non_negative/></stock></behavior>\n"
        "<model><variables>\n"
        "<stock name=\"Cash\\nBalance\">\n"
        "  <eqn>100</eqn>\n"
        "  <inflow>income</inflow><outflow>\"spending\"</outflow>\n"
        "  <units>dollars</units><doc>Money held.</doc>\n"
        "</stock>\n"
        "<flow name=\"income\"><eqn>10</eqn><isee:extra>x</isee:extra></flow>\n"
        "<flow name=\"spending\"><eqn>Cash_Balance * 0.1</eqn></flow>\n"
        "<aux name=\"free\"><eqn>1</eqn><non_negative>false</non_negative>"
        "</aux>\n"
        "</variables></model>\n"
        "</xmile>\n";
    TDiags d = {0};
    SdModel *m = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), "tiny.xmile", &m, &d);
    char msg[ERR_MAX];
    u_format(&d, msg, sizeof msg);
    diags_free(&d);
    assert_string_equal(msg, "");
    assert_int_equal(rc, T_OK);
    assert_non_null(m);
    assert_string_equal(m->file, "tiny.xmile");
    assert_string_equal(m->name, "Tiny");
    assert_close(m->start, 2);
    assert_close(m->stop, 12);
    assert_close(m->dt, 0.25); /* reciprocal */
    assert_close(m->saveper, 0.5);
    assert_int_equal(m->method, SD_RK4);
    assert_string_equal(m->time_units, "Months");
    assert_int_equal(m->nvars, 4);

    SdVar *s = &m->vars[0];
    assert_string_equal(s->name, "Cash Balance"); /* \n read as a space */
    assert_string_equal(s->ident, "cash_balance");
    assert_int_equal(s->kind, SD_STOCK);
    assert_string_equal(s->eqn, "100");
    assert_int_equal(s->decl_line, 10);
    assert_int_equal(s->line, 11);
    assert_int_equal(s->col, 8);
    assert_int_equal(s->n_inflows, 1);
    assert_string_equal(s->inflows[0], "income");
    assert_int_equal(s->n_outflows, 1);
    assert_string_equal(s->outflows[0], "\"spending\"");
    assert_string_equal(s->units, "dollars");
    assert_string_equal(s->doc, "Money held.");
    assert_true(s->non_negative); /* from <behavior> */
    assert_int_equal(m->vars[1].kind, SD_FLOW);
    assert_false(m->vars[1].non_negative); /* flows not in <behavior> */
    assert_int_equal(m->vars[3].kind, SD_AUX);
    assert_false(m->vars[3].non_negative);

    /* Found by any spelling. */
    assert_ptr_equal(sd_model_find(m, "CASH BALANCE"), s);
    assert_ptr_equal(sd_model_find(m, "cash_balance"), s);
    assert_ptr_equal(sd_model_find(m, "\"Cash Balance\""), s);
    assert_null(sd_model_find(m, "cash"));
    sd_model_free(m);
    sd_model_free(NULL); /* a no-op */
}

static void test_xmile_defaults(void **state)
{
    (void)state;
    char *xml = u_xmile(0, 5, 0.5, NULL, "<aux name=\"a\"><eqn>1</eqn></aux>");
    TDiags d = {0};
    SdModel *m = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), NULL, &m, &d);
    free(xml);
    assert_int_equal(rc, T_OK);
    assert_int_equal(d.len, 0);
    assert_string_equal(m->file, "<model>");
    assert_null(m->name);
    assert_close(m->saveper, 0.5); /* dt when not given */
    assert_int_equal(m->method, SD_EULER);
    sd_model_free(m);
    diags_free(&d);
}

static void test_xmile_nonneg_flags(void **state)
{
    (void)state;
    /* Per variable, <non_negative/> on a stock and <non_negative> or
     * <uniflow> on a flow; false turns a behavior default off. */
    static const char vars[] =
        "<stock name=\"a\"><eqn>1</eqn><non_negative/></stock>\n"
        "<stock name=\"b\"><eqn>1</eqn></stock>\n"
        "<flow name=\"f\"><eqn>1</eqn><uniflow/></flow>\n"
        "<flow name=\"g\"><eqn>1</eqn><non_negative>false</non_negative>"
        "</flow>\n";
    char *xml = u_xmile(0, 1, 1, NULL, vars);
    TDiags d = {0};
    SdModel *m = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d);
    free(xml);
    assert_int_equal(rc, T_OK);
    assert_true(m->vars[0].non_negative);
    assert_false(m->vars[1].non_negative);
    assert_true(m->vars[2].non_negative);
    assert_false(m->vars[3].non_negative);
    sd_model_free(m);
    diags_free(&d);
}

static void test_error_place_after_entity(void **state)
{
    (void)state;
    assert_errors("<aux name=\"a\"><eqn>1</eqn></aux>\n"
                  "<aux name=\"y\"><eqn>a &lt; 2 +</eqn></aux>",
                  "t.xmile:9:30: expected a number, a name or '(', found "
                  "end of equation\n"
                  "  <aux name=\"y\"><eqn>a &lt; 2 +</eqn></aux>\n"
                  "                               ^\n");
}

/* ---- name errors -------------------------------------------------------- */

static void test_unknown_variable_suggestion(void **state)
{
    (void)state;
    assert_errors("<aux name=\"birth rate\"><eqn>0.1</eqn></aux>\n"
                  "<aux name=\"births\"><eqn>brith_rate * 100</eqn></aux>",
                  "t.xmile:9:25: unknown variable 'brith_rate'; did you mean "
                  "'birth rate'?\n"
                  "  <aux name=\"births\"><eqn>brith_rate * 100</eqn></aux>\n"
                  "                          ^\n");
}

static void test_unknown_variable_no_suggestion(void **state)
{
    (void)state;
    assert_errors("<aux name=\"births\"><eqn>100 * zzz</eqn></aux>",
                  "t.xmile:8:31: unknown variable 'zzz'\n"
                  "  <aux name=\"births\"><eqn>100 * zzz</eqn></aux>\n"
                  "                                ^\n");
}

static void test_unknown_variables_all_reported(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(u_errors("<aux name=\"a\"><eqn>nope1</eqn></aux>\n"
                              "<aux name=\"b\"><eqn>1 + nope2</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:20: unknown variable 'nope1'\n"));
    assert_non_null(strstr(out, "t.xmile:9:24: unknown variable 'nope2'\n"));
}

static void test_parse_errors_all_reported(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(u_errors("<aux name=\"a\"><eqn>(1</eqn></aux>\n"
                              "<aux name=\"b\"><eqn>2 +</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out,
                        "t.xmile:8:22: expected ')', found end of equation\n"
                        "  <aux name=\"a\"><eqn>(1</eqn></aux>\n"
                        "                       ^\n"
                        "t.xmile:9:23: expected a number, a name or '(', "
                        "found end of equation\n"
                        "  <aux name=\"b\"><eqn>2 +</eqn></aux>\n"
                        "                        ^\n");
}

static void test_unknown_function_suggestion(void **state)
{
    (void)state;
    assert_errors("<aux name=\"x\"><eqn>1</eqn></aux>\n"
                  "<aux name=\"y\"><eqn>SMOTH1(x, 2)</eqn></aux>",
                  "t.xmile:9:20: unknown function 'SMOTH1'; did you mean "
                  "'smth1'?\n"
                  "  <aux name=\"y\"><eqn>SMOTH1(x, 2)</eqn></aux>\n"
                  "                     ^\n");
    assert_errors("<aux name=\"y\"><eqn>2 * FOOBAR(1)</eqn></aux>",
                  "t.xmile:8:24: unknown function 'FOOBAR'\n"
                  "  <aux name=\"y\"><eqn>2 * FOOBAR(1)</eqn></aux>\n"
                  "                         ^\n");
}

static void test_wrong_arity(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(
        u_errors("<aux name=\"y\"><eqn>ABS(1, 2)</eqn></aux>", out, sizeof out),
        T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:20: 'ABS' takes 1 argument, "
                                "not 2\n"));
    assert_int_equal(
        u_errors("<aux name=\"y\"><eqn>Smth1(3)</eqn></aux>", out, sizeof out),
        T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:20: 'Smth1' takes 2 to 3 "
                                "arguments, not 1\n"));
    assert_int_equal(
        u_errors("<aux name=\"y\"><eqn>1 + pi(2)</eqn></aux>", out, sizeof out),
        T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:24: 'pi' takes 0 arguments, "
                                "not 1\n"));
    assert_int_equal(
        u_errors("<aux name=\"y\"><eqn>STEP(1)</eqn></aux>", out, sizeof out),
        T_EINPUT);
    assert_non_null(strstr(out, "'STEP' takes 2 arguments, not 1\n"));
}

static void test_graphical_function_misuse(void **state)
{
    (void)state;
    static const char gf[] =
        "<gf name=\"g\"><xscale min=\"0\" max=\"1\"/><ypts>0,1</ypts></gf>\n";
    char vars[1024];
    char out[ERR_MAX];
    snprintf(vars, sizeof vars, "%s<aux name=\"y\"><eqn>g(1, 2)</eqn></aux>",
             gf);
    assert_int_equal(u_errors(vars, out, sizeof out), T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:9:20: graphical function 'g' takes "
                                "1 argument, not 2\n"));
    snprintf(vars, sizeof vars, "%s<aux name=\"y\"><eqn>g + 1</eqn></aux>", gf);
    assert_int_equal(u_errors(vars, out, sizeof out), T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:9:20: graphical function 'g' needs "
                                "an argument: 'g(x)'\n"));
    snprintf(vars, sizeof vars,
             "%s<aux name=\"a\"><eqn>1</eqn></aux>\n"
             "<aux name=\"y\"><eqn>LOOKUP(a, 1)</eqn></aux>",
             gf);
    assert_int_equal(u_errors(vars, out, sizeof out), T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:10:27: the first argument of "
                                "'lookup' must name a graphical function\n"));
    assert_int_equal(u_errors("<aux name=\"a\"><eqn>1</eqn></aux>\n"
                              "<aux name=\"y\"><eqn>a(3)</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:9:20: 'a' is a variable, not a "
                                "function; only graphical functions can be "
                                "called\n"));
}

static void test_delayn_order_errors(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(u_errors("<aux name=\"n\"><eqn>TIME</eqn></aux>\n"
                              "<aux name=\"y\"><eqn>DELAYN(1, 2, n)"
                              "</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:9:33: the order of 'DELAYN' must "
                                "be a constant\n"));
    assert_int_equal(u_errors("<aux name=\"y\"><eqn>SMTHN(1, 2, 0)"
                              "</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:32: the order of 'SMTHN' must be "
                                "between 1 and 1000, not 0\n"));
    /* A constant variable is a constant. */
    SdResults *r = u_run(0, 1, 1, NULL,
                         "<aux name=\"n\"><eqn>2 + 1</eqn></aux>\n"
                         "<aux name=\"y\"><eqn>SMTHN(5, 2, n)</eqn></aux>");
    assert_non_null(r);
    assert_close(u_get(r, "y", 0), 5);
    sd_results_free(r);
}

static void test_delayn_order_error_place(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(u_errors("<aux name=\"y\"><eqn>DELAYN(1, 2, TIME)"
                              "</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_non_null(strstr(out, "t.xmile:8:33: the order of 'DELAYN' must "
                                "be a constant\n"));
}

/* ---- loops ------------------------------------------------------------ */

static void test_algebraic_loop(void **state)
{
    (void)state;
    assert_errors("<aux name=\"a\"><eqn>b + 1</eqn></aux>\n"
                  "<aux name=\"b\"><eqn>a * 2</eqn></aux>",
                  "t.xmile:8: algebraic loop among variables: 'a' -> 'b' -> "
                  "'a'\n");
}

static void test_algebraic_loop_through_flow(void **state)
{
    (void)state;
    assert_errors("<stock name=\"S\"><eqn>1</eqn><inflow>f</inflow></stock>\n"
                  "<flow name=\"f\"><eqn>g * S</eqn></flow>\n"
                  "<aux name=\"g\"><eqn>f / 2</eqn></aux>",
                  "t.xmile:9: algebraic loop among variables: 'f' -> 'g' -> "
                  "'f'\n");
}

static void test_circular_initial_values(void **state)
{
    (void)state;
    assert_errors("<stock name=\"S\"><eqn>T</eqn></stock>\n"
                  "<stock name=\"T\"><eqn>2 * S</eqn></stock>",
                  "t.xmile:8: circular initial values among variables: 'S' "
                  "-> 'T' -> 'S'\n");
    /* The cycle is named from where it closes, not from where the search
     * began. */
    assert_errors("<aux name=\"start\"><eqn>S</eqn></aux>\n"
                  "<stock name=\"S\"><eqn>T</eqn></stock>\n"
                  "<stock name=\"T\"><eqn>S</eqn></stock>",
                  "t.xmile:9: circular initial values among variables: 'S' "
                  "-> 'T' -> 'S'\n");
    /* A variable that needs itself. */
    assert_errors("<stock name=\"S\"><eqn>S + 1</eqn></stock>",
                  "t.xmile:8: circular initial values among variables: 'S' "
                  "-> 'S'\n");
}

static void test_loop_through_stock_is_fine(void **state)
{
    (void)state;
    SdResults *r = u_run(0, 2, 1, NULL,
                         "<stock name=\"S\"><eqn>10</eqn>"
                         "<inflow>f</inflow></stock>\n"
                         "<flow name=\"f\"><eqn>S * 0.5</eqn></flow>");
    assert_non_null(r);
    assert_close(u_at(r, "S", 2), 22.5);
    sd_results_free(r);
    /* A loop through a DELAY is broken by the delay. */
    r = u_run(0, 2, 1, NULL,
              "<aux name=\"a\"><eqn>DELAY(b, 1, 0) + 1</eqn></aux>\n"
              "<aux name=\"b\"><eqn>a</eqn></aux>");
    assert_non_null(r);
    assert_close(u_at(r, "a", 0), 1);
    assert_close(u_at(r, "a", 1), 2);
    assert_close(u_at(r, "a", 2), 3);
    sd_results_free(r);
}

/* ---- specs and XML ---------------------------------------------------- */

static void test_missing_sim_specs(void **state)
{
    (void)state;
    assert_errors_text("<xmile><model><variables>"
                       "<aux name=\"a\"><eqn>1</eqn></aux>"
                       "</variables></model></xmile>",
                       "t.xmile: missing <sim_specs>: the model needs start, "
                       "stop and dt\n");
    assert_errors_text("<xmile><sim_specs><start>0</start></sim_specs>"
                       "<model/></xmile>",
                       "t.xmile: <sim_specs> needs both <start> and <stop>\n");
    assert_errors_text("<?xml version=\"1.0\"?>\n<notxmile/>\n",
                       "t.xmile:1: not an XMILE model (no <model> or "
                       "<sim_specs>)\n");
}

static void test_bad_sim_specs(void **state)
{
    (void)state;
    assert_errors_text("<xmile>\n<sim_specs>\n<start>abc</start>"
                       "<stop>1</stop>\n</sim_specs>\n<model/>\n</xmile>",
                       "t.xmile:3: start time 'abc' is not a number\n");
    assert_errors_text("<xmile><sim_specs><start>0</start><stop>1</stop>"
                       "<dt>0</dt></sim_specs><model/></xmile>",
                       "t.xmile: dt must be positive, not 0\n");
    assert_errors_text("<xmile><sim_specs><start>5</start><stop>1</stop>"
                       "</sim_specs><model/></xmile>",
                       "t.xmile: stop time 1 is before start time 5\n");
    assert_errors_text("<xmile>\n<sim_specs method=\"leapfrog\"><start>0"
                       "</start><stop>1</stop></sim_specs><model/></xmile>",
                       "t.xmile:2: unknown integration method 'leapfrog'\n");
    assert_errors_text("<xmile><sim_specs><start>0</start><stop>1</stop>"
                       "<save_step>-1</save_step></sim_specs><model/></xmile>",
                       "t.xmile: save interval must be positive, not -1\n");
}

static void test_malformed_xml(void **state)
{
    (void)state;
    assert_errors_text("<xmile>\n<sim_specs>\n  <start>0</stop>\n",
                       "t.xmile:3:13: malformed XML: mismatched tag\n");
    assert_errors_text("<xmile>\n<sim_specs>",
                       "t.xmile:2:12: malformed XML: no element found\n");
    assert_errors_text("<xmile>\n<model><variables>\n"
                       "<aux name=\"a\"><eqn>a < b</eqn></aux>\n",
                       "t.xmile:3:23: malformed XML: not well-formed "
                       "(invalid token)\n");
}

static void test_unsupported_features(void **state)
{
    (void)state;
    char out[ERR_MAX];
    assert_int_equal(u_errors("<aux name=\"a\"><dimensions><dim name=\"d\"/>"
                              "</dimensions><eqn>1</eqn></aux>",
                              out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.xmile:8:15: 'a' has unknown dimension 'd'\n"
                             "  <aux name=\"a\"><dimensions><dim name=\"d\"/>"
                             "</dimensions><eqn>1</eqn></aux>\n"
                             "                ^\n");
    assert_int_equal(u_errors("<module name=\"m\"/>", out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.xmile:8: module 'm' instantiates model 'm', "
                             "which the file does not define\n");
}

/* ---- variables -------------------------------------------------------- */

static void test_stock_with_unknown_inflow(void **state)
{
    (void)state;
    assert_errors("<stock name=\"S\"><eqn>1</eqn><inflow>grwth</inflow>"
                  "</stock>\n"
                  "<flow name=\"growth\"><eqn>1</eqn></flow>",
                  "t.xmile:8: stock 'S' has inflow 'grwth', which is not a "
                  "variable; did you mean 'growth'?\n");
    assert_errors("<stock name=\"S\"><eqn>1</eqn><outflow>qqq</outflow>"
                  "</stock>",
                  "t.xmile:8: stock 'S' has outflow 'qqq', which is not a "
                  "variable\n");
    assert_errors("<stock name=\"S\"><eqn>1</eqn><outflow>T</outflow>"
                  "</stock>\n"
                  "<stock name=\"T\"><eqn>1</eqn></stock>",
                  "t.xmile:8: stock 'S' has outflow 'T', which is a stock\n");
}

static void test_duplicate_variable(void **state)
{
    (void)state;
    assert_errors("<aux name=\"Heat Loss\"><eqn>1</eqn></aux>\n"
                  "<aux name=\"a\"><eqn>2</eqn></aux>\n"
                  "<aux name=\"heat_loss\"><eqn>3</eqn></aux>",
                  "t.xmile:10: duplicate variable 'heat_loss' (first defined "
                  "on line 8)\n");
}

static void test_missing_equation(void **state)
{
    (void)state;
    assert_errors("<aux name=\"a\"></aux>",
                  "t.xmile:8: variable 'a' has no equation\n");
    assert_errors("<stock name=\"S\"><inflow>f</inflow></stock>\n"
                  "<flow name=\"f\"><eqn>1</eqn></flow>",
                  "t.xmile:8: stock 'S' has no equation\n");
    assert_errors("<aux><eqn>1</eqn></aux>",
                  "t.xmile:8: <aux> without a name\n");
}

/* The first diagnostic of the variables is want. */
#define assert_first_error(vars, want)                                         \
    do {                                                                       \
        char out_[ERR_MAX];                                                    \
        assert_int_equal(u_errors(vars, out_, sizeof out_), T_EINPUT);         \
        assert_true(strlen(out_) >= strlen(want));                             \
        out_[strlen(want)] = 0;                                                \
        assert_string_equal(out_, want);                                       \
    } while (0)

static void test_graphical_function_errors(void **state)
{
    (void)state;
    assert_first_error(
        "<gf name=\"g\"><xpts>0,1,2</xpts><ypts>0,1</ypts></gf>",
        "t.xmile:8: graphical function of 'g' has 3 x values and 2 "
        "y values\n");
    assert_first_error(
        "<gf name=\"g\"><xpts>0,2,1</xpts><ypts>0,1,2</ypts></gf>",
        "t.xmile:8: graphical function of 'g': x values must ascend "
        "(1 after 2)\n");
    assert_first_error("<gf name=\"g\"><ypts>0,1</ypts></gf>",
                       "t.xmile:8: graphical function of 'g' needs <xpts> or "
                       "<xscale>\n");
    assert_first_error("<gf name=\"g\"><xscale min=\"0\" max=\"1\"/>"
                       "<ypts>0,x</ypts></gf>",
                       "t.xmile:8: graphical function of 'g': bad number in "
                       "<ypts>\n");
    assert_first_error(
        "<gf name=\"g\" type=\"wavy\"><xscale min=\"0\" max=\"1\"/>"
        "<ypts>0,1</ypts></gf>",
        "t.xmile:8: unknown graphical function type 'wavy'\n");
}

static void test_bad_graph_no_follow_on_error(void **state)
{
    (void)state;
    assert_errors("<gf name=\"g\"><ypts>0,1</ypts></gf>",
                  "t.xmile:8: graphical function of 'g' needs <xpts> or "
                  "<xscale>\n");
}

/* ---- the program ------------------------------------------------------ */

static void test_program_outputs(void **state)
{
    (void)state;
    char *xml = u_xmile(0, 1, 1, NULL,
                        "<stock name=\"Pop\"><eqn>1</eqn>"
                        "<inflow>births</inflow></stock>\n"
                        "<flow name=\"births\"><eqn>SMTH1(Pop, 2)</eqn>"
                        "</flow>\n"
                        "<gf name=\"table\"><xscale min=\"0\" max=\"1\"/>"
                        "<ypts>0,1</ypts></gf>\n"
                        "<aux name=\"Birth\\nRate\"><eqn>table(0.5)</eqn>"
                        "</aux>");
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    assert_int_equal(sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d),
                     T_OK);
    free(xml);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    sd_model_free(m);
    assert_int_equal(d.len, 0);
    /* The bare graphical function and the hidden SMTH1 stock are not
     * reported. */
    assert_int_equal(sd_program_nvars(p), 3);
    assert_string_equal(sd_program_var_name(p, 0), "Pop");
    assert_string_equal(sd_program_var_name(p, 1), "births");
    assert_string_equal(sd_program_var_name(p, 2), "Birth Rate");
    assert_null(sd_program_var_name(p, 3));
    assert_null(sd_program_var_name(p, -1));
    TBuf dis = {0};
    sd_program_disasm(p, &dis);
    const char *t = tbuf_cstr(&dis);
    assert_non_null(strstr(t, "init:\n"));
    assert_non_null(strstr(t, "flow:\n"));
    assert_non_null(strstr(t, "post:\n"));
    assert_non_null(strstr(t, "LOOKUP"));
    tbuf_free(&dis);
    sd_program_free(p);
    sd_program_free(NULL); /* a no-op */
    diags_free(&d);
}

/* ---- --set ------------------------------------------------------------ */

static const char set_vars[] =
    "<stock name=\"Pop\"><eqn>100</eqn><inflow>births</inflow></stock>\n"
    "<flow name=\"births\"><eqn>Pop * \"Birth Rate\"</eqn></flow>\n"
    "<aux name=\"Birth Rate\"><eqn>0.1</eqn></aux>\n"
    "<aux name=\"effect\"><eqn>TIME</eqn><gf><xscale min=\"0\" max=\"2\"/>"
    "<ypts>0,10,20</ypts></gf></aux>";

/* Loads set_vars, applies one --set, and runs; NULL on failure. */
static SdResults *run_with_set(const char *name, double value, char *msg,
                               size_t n)
{
    char *xml = u_xmile(0, 2, 1, NULL, set_vars);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d);
    free(xml);
    if (rc == T_OK)
        rc = sd_model_set(m, name, value, &d);
    if (rc == T_OK)
        rc = sd_compile(m, &p, &d);
    if (rc == T_OK)
        rc = sd_run(p, NULL, &r, &d);
    sd_model_free(m);
    sd_program_free(p);
    u_format(&d, msg, n);
    diags_free(&d);
    return r;
}

static void test_set_constant(void **state)
{
    (void)state;
    char msg[ERR_MAX];
    SdResults *r = run_with_set("birth_rate", 0.5, msg, sizeof msg);
    assert_non_null(r);
    assert_string_equal(msg, "");
    assert_close(u_at(r, "Birth Rate", 0), 0.5);
    assert_close(u_at(r, "Pop", 1), 150);
    assert_close(u_at(r, "Pop", 2), 225);
    sd_results_free(r);

    /* A stock's initial value. */
    r = run_with_set("POP", 10, msg, sizeof msg);
    assert_non_null(r);
    assert_close(u_at(r, "Pop", 0), 10);
    assert_close(u_at(r, "Pop", 1), 11);
    sd_results_free(r);

    /* An auxiliary with a graph becomes the constant itself. */
    r = run_with_set("effect", 7, msg, sizeof msg);
    assert_non_null(r);
    assert_close(u_at(r, "effect", 0), 7);
    assert_close(u_at(r, "effect", 2), 7);
    sd_results_free(r);

    /* Without --set the graph applies to TIME. */
    char *xml = u_xmile(0, 2, 1, NULL, set_vars);
    r = u_run_text(xml, NULL);
    free(xml);
    assert_non_null(r);
    assert_close(u_at(r, "effect", 1), 10);
    assert_close(u_at(r, "Pop", 1), 110);
    sd_results_free(r);

    /* Values keep full precision. */
    r = run_with_set("Birth Rate", 0.1234567890123456789, msg, sizeof msg);
    assert_non_null(r);
    assert_close_tol(u_at(r, "Birth Rate", 0), 0.1234567890123456789, 0, 0);
    sd_results_free(r);
}

static void test_set_unknown_variable(void **state)
{
    (void)state;
    char msg[ERR_MAX];
    SdResults *r = run_with_set("nope", 1, msg, sizeof msg);
    assert_null(r);
    assert_string_equal(msg, "unknown variable 'nope'\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmile_reads_model),
        cmocka_unit_test(test_xmile_defaults),
        cmocka_unit_test(test_xmile_nonneg_flags),
        cmocka_unit_test(test_error_place_after_entity),
        cmocka_unit_test(test_unknown_variable_suggestion),
        cmocka_unit_test(test_unknown_variable_no_suggestion),
        cmocka_unit_test(test_unknown_variables_all_reported),
        cmocka_unit_test(test_parse_errors_all_reported),
        cmocka_unit_test(test_unknown_function_suggestion),
        cmocka_unit_test(test_wrong_arity),
        cmocka_unit_test(test_graphical_function_misuse),
        cmocka_unit_test(test_delayn_order_errors),
        cmocka_unit_test(test_delayn_order_error_place),
        cmocka_unit_test(test_algebraic_loop),
        cmocka_unit_test(test_algebraic_loop_through_flow),
        cmocka_unit_test(test_circular_initial_values),
        cmocka_unit_test(test_loop_through_stock_is_fine),
        cmocka_unit_test(test_missing_sim_specs),
        cmocka_unit_test(test_bad_sim_specs),
        cmocka_unit_test(test_malformed_xml),
        cmocka_unit_test(test_unsupported_features),
        cmocka_unit_test(test_stock_with_unknown_inflow),
        cmocka_unit_test(test_duplicate_variable),
        cmocka_unit_test(test_missing_equation),
        cmocka_unit_test(test_graphical_function_errors),
        cmocka_unit_test(test_bad_graph_no_follow_on_error),
        cmocka_unit_test(test_program_outputs),
        cmocka_unit_test(test_set_constant),
        cmocka_unit_test(test_set_unknown_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
