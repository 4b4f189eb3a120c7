/*
 * test_ltm.c - loop dominance (Loops That Matter) on textbook models whose
 * dominant loops are known, and the program structure it stands on.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map/map.h"
#include "sd/sd.h"

/* Logistic growth written with two loops: births (reinforcing) and
 * crowding deaths (balancing). Analytically the balancing loop takes over
 * at the inflection point, where Population = capacity / 2. */
static const char logistic[] =
    "<xmile><sim_specs><start>0</start><stop>40</stop><dt>0.125</dt>"
    "</sim_specs><model><variables>\n"
    "<stock name=\"Population\"><eqn>1</eqn><inflow>births</inflow>"
    "<outflow>deaths</outflow></stock>\n"
    "<flow name=\"births\"><eqn>growth_rate * Population</eqn></flow>\n"
    "<flow name=\"deaths\"><eqn>growth_rate * Population * Population / "
    "capacity</eqn></flow>\n"
    "<aux name=\"growth rate\"><eqn>0.3</eqn></aux>\n"
    "<aux name=\"capacity\"><eqn>1000</eqn></aux>\n"
    "</variables></model></xmile>\n";

typedef struct Fixture {
    SdModel *m;
    SdProgram *p;
    MapGraph *g;
    MapLoops *l;
    SdLtm *t;
    TDiags d;
} Fixture;

static void fixture_load(Fixture *f, const char *xml)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(
        sd_model_from_xmile(xml, strlen(xml), "t.xmile", &f->m, &f->d), T_OK);
    assert_int_equal(sd_compile(f->m, &f->p, &f->d), T_OK);
    assert_int_equal(map_graph_from_program(f->p, &f->g), T_OK);
    MapLoopOpts o = {100, 10};
    assert_int_equal(map_loops_find(f->g, &o, &f->l), T_OK);
    const int *nodes[100];
    int lens[100];
    for (int i = 0; i < f->l->listed; i++) {
        nodes[i] = f->l->loops[i].nodes;
        lens[i] = f->l->loops[i].length;
    }
    assert_int_equal(
        sd_ltm(f->p, NULL, f->l->listed, nodes, lens, &f->t, &f->d), T_OK);
}

static void fixture_free(Fixture *f)
{
    sd_ltm_free(f->t);
    map_loops_free(f->l);
    map_graph_free(f->g);
    sd_program_free(f->p);
    sd_model_free(f->m);
    diags_free(&f->d);
}

/* The loop through the named flow. */
static int loop_through(const Fixture *f, const char *name)
{
    for (int i = 0; i < f->l->listed; i++)
        for (int k = 0; k < f->l->loops[i].length; k++)
            if (!strcmp(f->g->names[f->l->loops[i].nodes[k]], name))
                return i;
    return -1;
}

static void test_logistic_switch_at_inflection(void **state)
{
    (void)state;
    Fixture f;
    fixture_load(&f, logistic);
    assert_int_equal(f.l->count, 2);
    int births = loop_through(&f, "births"),
        deaths = loop_through(&f, "deaths");
    assert_true(births >= 0 && deaths >= 0 && births != deaths);
    /* The analytic inflection: P(t) = K / (1 + (K/P0 - 1) e^{-rt}) = K/2
     * at t* = ln(K/P0 - 1) / r. */
    double tstar = log(1000.0 / 1 - 1) / 0.3;
    double dt = 0.125, switch_t = NAN;
    for (int r = 1; r < f.t->nrows; r++) {
        const double *rel = f.t->relative + (size_t)r * f.t->nloops;
        /* reinforcing scores positive, balancing negative */
        assert_true(rel[births] >= 0);
        assert_true(rel[deaths] <= 0);
        assert_true(fabs(fabs(rel[births]) + fabs(rel[deaths]) - 1) < 1e-9);
        if (isnan(switch_t) && fabs(rel[deaths]) > fabs(rel[births]))
            switch_t = f.t->time[r];
    }
    /* Euler lags the analytic curve a little; within a time unit, and the
     * switch happens where the simulated Population crosses K/2 to within
     * one step. */
    assert_true(fabs(switch_t - tstar) < 1.0);
    SdResults *res = NULL;
    assert_int_equal(sd_run(f.p, NULL, &res, &f.d), T_OK);
    int pc = sd_results_find(res, "Population");
    int row = (int)round(switch_t / dt);
    assert_true(res->data[(size_t)row * res->ncols + pc] >= 500);
    assert_true(res->data[(size_t)(row - 2) * res->ncols + pc] < 500);
    sd_results_free(res);
    fixture_free(&f);
}

/* Exponential decay alone: one balancing loop with relative score -1
 * at every step after the first. */
static void test_single_loop_scores_minus_one(void **state)
{
    (void)state;
    static const char decay[] =
        "<xmile><sim_specs><start>0</start><stop>5</stop><dt>1</dt>"
        "</sim_specs><model><variables>\n"
        "<stock name=\"S\"><eqn>100</eqn><outflow>out</outflow></stock>\n"
        "<flow name=\"out\"><eqn>S / 4</eqn></flow>\n"
        "</variables></model></xmile>\n";
    Fixture f;
    fixture_load(&f, decay);
    assert_int_equal(f.l->listed, 1);
    assert_int_equal(f.t->nrows, 6);
    assert_true(f.t->relative[0] == 0); /* nothing changed at the start */
    for (int r = 1; r < f.t->nrows; r++) {
        assert_true(fabs(f.t->relative[r] + 1) < 1e-12);
        /* link S->out scores 1, out->S scores -1: the loop scores -1 */
        assert_true(fabs(f.t->score[r] + 1) < 1e-12);
    }
    fixture_free(&f);
}

/* A link into an equation with IF THEN ELSE: its code jumps, and the
 * jumps must land inside its own code (World3 once crashed here). Same
 * scores as the plain decay. */
static void test_link_into_if_then_else(void **state)
{
    (void)state;
    static const char decay_if[] =
        "<xmile><sim_specs><start>0</start><stop>5</stop><dt>1</dt>"
        "</sim_specs><model><variables>\n"
        "<aux name=\"quarter\"><eqn>4</eqn></aux>\n"
        "<stock name=\"S\"><eqn>100</eqn><outflow>out</outflow></stock>\n"
        "<aux name=\"other\"><eqn>IF TIME > 2 THEN S * 2 ELSE S</eqn></aux>\n"
        "<flow name=\"out\"><eqn>IF S > 0 THEN S / quarter ELSE 0</eqn>"
        "</flow>\n"
        "</variables></model></xmile>\n";
    Fixture f;
    fixture_load(&f, decay_if);
    assert_int_equal(f.l->listed, 1);
    for (int r = 1; r < f.t->nrows; r++)
        assert_true(fabs(f.t->score[r] + 1) < 1e-12);
    fixture_free(&f);
}

/* Stateful builtins are lowered into hidden stocks that take part in the
 * structure: a loop through SMTH1 passes its hidden stock. */
static void test_structure_through_smooth(void **state)
{
    (void)state;
    static const char smooth[] =
        "<xmile><sim_specs><start>0</start><stop>10</stop><dt>0.5</dt>"
        "</sim_specs><model><variables>\n"
        "<stock name=\"S\"><eqn>10</eqn><inflow>f</inflow></stock>\n"
        "<flow name=\"f\"><eqn>0.1 * perceived</eqn></flow>\n"
        "<aux name=\"perceived\"><eqn>SMTH1(S, 2)</eqn></aux>\n"
        "</variables></model></xmile>\n";
    Fixture f;
    fixture_load(&f, smooth);
    /* The smooth's own balancing loop (its hidden stock adjusting to its
     * input) and the loop through it, shortest first. */
    assert_int_equal(f.l->count, 2);
    assert_int_equal(f.l->loops[0].length, 1);
    assert_true(sd_program_node(f.p, f.l->loops[0].nodes[0])->hidden);
    assert_int_equal(f.l->loops[1].length, 4);
    int hidden = 0;
    for (int k = 0; k < 4; k++)
        hidden += sd_program_node(f.p, f.l->loops[1].nodes[k])->hidden;
    assert_int_equal(hidden, 1);
    for (int r = 2; r < f.t->nrows; r++) {
        const double *rel = f.t->relative + (size_t)r * f.t->nloops;
        assert_true(rel[0] < 0); /* the smoothing: balancing */
        assert_true(rel[1] > 0); /* growth through perception: reinforcing */
        assert_true(fabs(-rel[0] + rel[1] - 1) < 1e-9);
    }
    fixture_free(&f);
}

static void test_bad_loop_refused(void **state)
{
    (void)state;
    Fixture f;
    fixture_load(&f, logistic);
    int bogus[2] = {0, 1}; /* TIME and DT: no link */
    const int *loops[1] = {bogus};
    int lens[1] = {2};
    SdLtm *t = NULL;
    assert_int_equal(sd_ltm(f.p, NULL, 1, loops, lens, &t, &f.d), T_EUSAGE);
    assert_null(t);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_switch_at_inflection),
        cmocka_unit_test(test_single_loop_scores_minus_one),
        cmocka_unit_test(test_link_into_if_then_else),
        cmocka_unit_test(test_structure_through_smooth),
        cmocka_unit_test(test_bad_loop_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
