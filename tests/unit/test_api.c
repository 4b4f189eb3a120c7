/*
 * test_api.c - the public C API in include/territory.h, used as an
 * embedding program would: open, inspect, override, simulate, read the
 * table, and get errors as text.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "territory.h"

static const char decay[] =
    "<xmile><sim_specs method=\"Euler\"><start>0</start><stop>2</stop>"
    "<dt>1</dt></sim_specs><model><variables>\n"
    "<stock name=\"Level\"><eqn>100</eqn><outflow>drain</outflow></stock>\n"
    "<flow name=\"drain\"><eqn>Level * rate</eqn></flow>\n"
    "<aux name=\"rate\"><eqn>0.5</eqn></aux>\n"
    "</variables></model></xmile>\n";

static void test_open_simulate_read(void **state)
{
    (void)state;
    TerritoryModel *m = NULL;
    char *err = NULL;
    assert_int_equal(
        territory_model_from_xmile(decay, strlen(decay), "d.xmile", &m, &err),
        0);
    assert_null(err);
    assert_int_equal(territory_model_nvars(m), 3);
    assert_string_equal(territory_model_var(m, 0), "Level");
    assert_null(territory_model_var(m, 3));

    TerritoryTable *t = NULL;
    assert_int_equal(territory_simulate(m, NULL, &t, &err), 0);
    assert_int_equal(territory_table_ncols(t), 4);
    assert_int_equal(territory_table_nrows(t), 3);
    assert_string_equal(territory_table_name(t, 0), "Time");
    int level = territory_table_find(t, "LEVEL");
    assert_int_equal(level, 1);
    /* 100, 50, 25: Euler with rate 0.5 and dt 1 */
    assert_true(fabs(territory_table_value(t, 2, level) - 25) < 1e-12);
    assert_true(isnan(territory_table_value(t, 3, level)));
    assert_null(territory_table_name(t, 9));
    territory_table_free(t);

    /* An override recompiles; only chosen variables are saved. */
    assert_int_equal(territory_model_set(m, "rate", 0.25, &err), 0);
    const char *vars[] = {"drain"};
    TerritoryRunOptions o = {TERRITORY_METHOD_RK4, vars, 1};
    assert_int_equal(territory_simulate(m, &o, &t, &err), 0);
    assert_int_equal(territory_table_ncols(t), 2);
    assert_string_equal(territory_table_name(t, 1), "drain");
    /* RK4 on dL/dt = -L/4: drain = L(0) e^{-t/4} / 4 within RK4 error */
    assert_true(fabs(territory_table_value(t, 2, 1) - 25 * exp(-0.5)) < 1e-3);
    territory_table_free(t);
    territory_model_free(m);
}

static void test_errors_as_text(void **state)
{
    (void)state;
    static const char bad[] =
        "<xmile><sim_specs><start>0</start><stop>1</stop></sim_specs>\n"
        "<model><variables><aux name=\"a\"><eqn>b + 1</eqn></aux>"
        "</variables></model></xmile>";
    TerritoryModel *m = NULL;
    char *err = NULL;
    assert_int_equal(
        territory_model_from_xmile(bad, strlen(bad), "bad.xmile", &m, &err), 1);
    assert_null(m);
    assert_non_null(err);
    assert_non_null(strstr(err, "bad.xmile:2:38: unknown variable 'b'"));
    free(err);

    assert_int_equal(territory_model_open("/nonexistent/x.xmile", &m, &err), 1);
    assert_non_null(strstr(err, "cannot read"));
    free(err);

    assert_int_equal(
        territory_model_from_xmile(decay, strlen(decay), "d", &m, NULL), 0);
    assert_int_equal(territory_model_set(m, "nosuch", 1, &err), 1);
    assert_non_null(strstr(err, "unknown variable 'nosuch'"));
    free(err);
    assert_int_equal(territory_model_set(m, "rate", NAN, &err), 1);
    free(err);
    const char *vars[] = {"drian"};
    TerritoryRunOptions o = {TERRITORY_METHOD_MODEL, vars, 1};
    TerritoryTable *t = NULL;
    assert_int_equal(territory_simulate(m, &o, &t, &err), 1);
    assert_null(t);
    assert_non_null(strstr(err, "unknown variable 'drian'"));
    free(err);
    TerritoryRunOptions bad_method = {(TerritoryMethod)9, NULL, 0};
    assert_int_equal(territory_simulate(m, &bad_method, &t, &err), 2);
    free(err);
    assert_int_equal(territory_simulate(NULL, NULL, &t, &err), 2);
    free(err);
    territory_model_free(m);
    territory_model_free(NULL);
    territory_table_free(NULL);
    assert_string_equal(territory_version(), TERRITORY_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_simulate_read),
        cmocka_unit_test(test_errors_as_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
