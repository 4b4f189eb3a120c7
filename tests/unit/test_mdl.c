/*
 * test_mdl.c - unit tests of the Vensim .mdl reader (mdl.c), the Vensim
 * mode of the lexer and the Vensim builtins of the compiler: what the
 * reader keeps (stocks and their flows, lookups in every written form,
 * time controls, units, comments, macros, the sketch), the syntax cases
 * (continuations, quoted names, :AND:/:OR:/:NOT:/:NA:, group headings,
 * odd quotes in comments), each builtin against values worked out here
 * step by step, and the exact text and place of every error.
 *
 * mdl() puts the body first, so the first line of a body is line 1 of the
 * file; the time controls follow it.
 */
#include "unit.h"

#include <unistd.h>

#include "sd/sd_int.h"

#define ERR_MAX 4096

/* A model: the body, then the time controls (start, stop, dt). */
static char *mdl_at(const char *body, double start, double stop, double dt)
{
    TBuf b = {0};
    tbuf_printf(
        &b,
        "%s\n"
        "********************************************************\n"
        "\t.Control\n"
        "********************************************************~\n"
        "\t\tSimulation Control Parameters\n"
        "\t|\n\n"
        "FINAL TIME  = %.17g\n\t~\tMonth\n\t~\tThe final time.\n\t|\n\n"
        "INITIAL TIME  = %.17g\n\t~\tMonth\n\t~\tThe start.\n\t|\n\n"
        "SAVEPER  = \n        TIME STEP\n\t~\tMonth [0,?]\n\t~\t\t|\n\n"
        "TIME STEP  = %.17g\n\t~\tMonth [0,?]\n\t~\t\t|\n\n"
        "\\\\\\---/// Sketch information - do not modify anything\n"
        "V300  Do not put anything below this section\n"
        "*View 1\n"
        "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|"
        "-1--1--1|72,72,100,0\n"
        "///---\\\\\\\n",
        body, stop, start, dt);
    return b.data;
}

static char *mdl(const char *body)
{
    return mdl_at(body, 0, 10, 1);
}

/* Loads, compiles and runs .mdl text; NULL (diagnostics printed) when a
 * stage fails. */
static SdResults *run_text(const char *text)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int rc = sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_model_free(m);
    }
    if (rc == T_OK) {
        rc = sd_run(p, NULL, &r, &d);
        sd_program_free(p);
    }
    if (rc != T_OK) {
        char msg[ERR_MAX];
        u_format(&d, msg, sizeof msg);
        print_error("model failed:\n%s", msg);
    }
    diags_free(&d);
    return r;
}

static SdResults *run_body(const char *body, double start, double stop,
                           double dt)
{
    char *text = mdl_at(body, start, stop, dt);
    SdResults *r = run_text(text);
    free(text);
    return r;
}

/* The diagnostics of loading and compiling (not running) text. */
static int errors_text(const char *text, char *out, size_t n)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    int rc = sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_program_free(p);
    }
    sd_model_free(m);
    u_format(&d, out, n);
    diags_free(&d);
    return rc;
}

/* Fails unless the body gives exactly the formatted diagnostics want. */
#define assert_mdl_errors(body, want)                                          \
    do {                                                                       \
        char out_[ERR_MAX];                                                    \
        char *text_ = mdl(body);                                               \
        int rc_ = errors_text(text_, out_, sizeof out_);                       \
        free(text_);                                                           \
        assert_int_equal(rc_, T_EINPUT);                                       \
        assert_string_equal(out_, want);                                       \
    } while (0)

/* Loads a model that must load. */
static SdModel *load(const char *body)
{
    char *text = mdl(body);
    TDiags d = {0};
    SdModel *m = NULL;
    int rc = sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d);
    free(text);
    if (rc != T_OK) {
        char msg[ERR_MAX];
        u_format(&d, msg, sizeof msg);
        print_error("load failed:\n%s", msg);
    }
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    return m;
}

/* ---- what the reader keeps --------------------------------------------- */

static void test_mdl_reads_stocks_and_flows(void **state)
{
    (void)state;
    SdModel *m = load("{UTF-8}\n"
                      "births = population * 0.1\n"
                      "\t~\tpeople/Year\n"
                      "\t~\tBorn each year.\n"
                      "\t|\n"
                      "deaths = population / 50 ~ people/Year ~|\n"
                      "population = INTEG(births - deaths, 100)\n"
                      "\t~\tpeople [0,?]\n"
                      "\t~\tEveryone. \\\n"
                      "\t\tTwo lines.\n"
                      "\t|\n"
                      "growth = INTEG(population * 0.01, 0) ~~|\n");
    assert_true(m->vensim);
    assert_int_equal(m->method, SD_EULER);
    assert_close(m->start, 0);
    assert_close(m->stop, 10);
    assert_close(m->dt, 1);
    assert_close(m->saveper, 1); /* SAVEPER = TIME STEP */
    SdVar *p = sd_model_find(m, "Population");
    assert_non_null(p);
    assert_int_equal(p->kind, SD_STOCK);
    assert_string_equal(p->eqn, "100");
    assert_null(p->rate); /* a sum of flows: inflows and outflows instead */
    assert_int_equal(p->n_inflows, 1);
    assert_int_equal(p->n_outflows, 1);
    assert_string_equal(p->inflows[0], "births");
    assert_string_equal(p->outflows[0], "deaths");
    assert_string_equal(p->units, "people [0,?]");
    assert_int_equal(p->decl_line, 7);
    assert_int_equal(p->line, 7);
    assert_int_equal(p->col, 37);
    assert_int_equal(sd_model_find(m, "births")->kind, SD_FLOW);
    assert_string_equal(sd_model_find(m, "births")->doc, "Born each year.");
    assert_string_equal(sd_model_find(m, "deaths")->units, "people/Year");
    /* A rate that reads a stock stays an expression. */
    SdVar *g = sd_model_find(m, "growth");
    assert_int_equal(g->kind, SD_STOCK);
    assert_string_equal(g->rate, "population * 0.01");
    assert_int_equal(g->rate_line, 12);
    assert_int_equal(g->rate_col, 16);
    /* The time controls are variables too. */
    assert_non_null(sd_model_find(m, "TIME STEP"));
    assert_string_equal(sd_model_find(m, "saveper")->eqn, "TIME STEP");
    sd_model_free(m);
}

static void test_mdl_runs_population(void **state)
{
    (void)state;
    SdResults *r = run_body("births = population * 0.1 ~~|\n"
                            "deaths = population / 50 ~~|\n"
                            "population = INTEG(births - deaths, 100) ~~|\n"
                            "growth = INTEG(population * 0.01, 0) ~~|\n",
                            0, 10, 0.5);
    assert_non_null(r);
    double pop = 100, growth = 0;
    for (int k = 0; k <= 20; k++) {
        double t = 0.5 * k;
        assert_close(u_at(r, "population", t), pop);
        assert_close(u_at(r, "growth", t), growth);
        assert_close(u_at(r, "births", t), pop * 0.1);
        growth += 0.5 * pop * 0.01;
        pop += 0.5 * (pop * 0.1 - pop / 50);
    }
    assert_close(u_at(r, "FINAL TIME", 3), 10);
    assert_close(u_at(r, "TIME STEP", 3), 0.5);
    sd_results_free(r);
}

static void test_mdl_lookups(void **state)
{
    (void)state;
    SdModel *m = load("ranged(\n"
                      "\t[(0,0)-(10,10)],(0,0),(4,2),(10,5))\n"
                      "\t~\t~\t|\n"
                      "bare((0,1),(1,3)) ~~|\n"
                      "flat(0, 2, 4, 10, 20, 0) ~~|\n"
                      "refs([(0,0)-(2,10),(1,5),(1.5,2)],(0,10),(2,0)) ~~|\n"
                      "spaced(( 0 , - 1 ) , ( + 2 ,- 3 )) ~~|\n"
                      "with = WITH LOOKUP(Time, ((0,0),(10,20))) ~~|\n");
    SdVar *v = sd_model_find(m, "ranged");
    assert_non_null(v->gf);
    assert_null(v->eqn);
    assert_int_equal(v->gf->n, 3);
    assert_int_equal(v->gf->type, SD_GF_CONTINUOUS);
    assert_close(v->gf->x[1], 4);
    assert_close(v->gf->y[2], 5);
    v = sd_model_find(m, "flat");
    assert_int_equal(v->gf->n, 3);
    assert_close(v->gf->x[2], 4);
    assert_close(v->gf->y[0], 10);
    assert_close(v->gf->y[2], 0);
    v = sd_model_find(m, "refs");
    assert_int_equal(v->gf->n, 2);
    assert_close(v->gf->y[0], 10);
    v = sd_model_find(m, "spaced");
    assert_close(v->gf->y[0], -1);
    assert_close(v->gf->x[1], 2);
    assert_close(v->gf->y[1], -3);
    v = sd_model_find(m, "with");
    assert_string_equal(v->eqn, "Time");
    assert_int_equal(v->gf->n, 2);
    sd_model_free(m);

    SdResults *r = run_body("ranged([(0,0)-(10,10)],(0,0),(4,2),(10,5)) ~~|\n"
                            "flat(0, 2, 4, 10, 20, 0) ~~|\n"
                            "a = ranged(Time) ~~|\n"
                            "b = flat(Time) ~~|\n"
                            "c = WITH LOOKUP(Time, ((0,0),(4,20))) ~~|\n",
                            0, 12, 1);
    assert_non_null(r);
    assert_close(u_at(r, "a", 2), 1);
    assert_close(u_at(r, "a", 7), 3.5);
    assert_close(u_at(r, "a", 12), 5); /* clamped past the end */
    assert_close(u_at(r, "b", 3), 10);
    assert_close(u_at(r, "b", 5), 0);
    assert_close(u_at(r, "c", 3), 15);
    assert_close(u_at(r, "c", 9), 20);
    assert_int_equal(sd_results_find(r, "ranged"), -1); /* a function */
    sd_results_free(r);
}

static void test_mdl_sketch(void **state)
{
    (void)state;
    static const char text[] =
        "x = 1 ~~|\n"
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\n"
        "\\\\\\---/// Sketch information - do not modify anything\n"
        "V300  Do not put anything below this section\n"
        "*View 1\n"
        "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255\n"
        "10,1,Stock A,435,153,40,20,3,3,0,0,0,0,0,0\n"
        "12,2,48,268,150,10,8,0,3,0,0,-1,0,0,0\n"
        "1,3,2,1,100,0,0,22,0,0,0,-1--1--1,,1|(304,150)|\n"
        "11,4,48,336,150,6,8,34,3,0,0,1,0,0,0\n"
        "*Second view\n"
        "10,1,\"Flow, with comma\",10,20,5,6,8,3,0,0,0,0,0,0\n"
        "///---\\\\\\\n"
        ":L<%^E!@\n"
        "9:Current\n";
    TDiags d = {0};
    SdModel *m = NULL;
    assert_int_equal(sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d),
                     T_OK);
    assert_int_equal(m->nviews, 2);
    const SdView *v = &m->views[0];
    assert_string_equal(v->name, "View 1");
    assert_int_equal(v->nelems, 3);
    assert_int_equal(v->elems[0].type, 10);
    assert_string_equal(v->elems[0].name, "Stock A");
    assert_int_equal(v->elems[0].x, 435);
    assert_int_equal(v->elems[0].y, 153);
    assert_int_equal(v->elems[0].w, 40);
    assert_int_equal(v->elems[0].h, 20);
    assert_int_equal(v->elems[2].type, 11);
    assert_null(v->elems[2].name);
    assert_int_equal(v->narrows, 1);
    assert_int_equal(v->arrows[0].id, 3);
    assert_int_equal(v->arrows[0].from, 2);
    assert_int_equal(v->arrows[0].to, 1);
    v = &m->views[1];
    assert_string_equal(v->name, "Second view");
    assert_int_equal(v->nelems, 1);
    assert_string_equal(v->elems[0].name, "Flow, with comma");
    assert_int_equal(v->narrows, 0);
    sd_model_free(m);
    diags_free(&d);
}

/* ---- syntax ------------------------------------------------------------ */

static void test_mdl_syntax(void **state)
{
    (void)state;
    SdResults *r =
        run_body("{UTF-8}\n"
                 "{ a comment between equations }\n"
                 "Long name that goes on\\\n"
                 "\t\tand on = 3 ~~|\n"
                 "broken = Long name that goes on \\\n"
                 "\t\tand on * 2\n"
                 "\t~\tunits\n"
                 "\t~\tA comment with \"an odd number of quotes.\n"
                 "\t|\n"
                 "\"Flow*with, |odd| chars\" = 5 ~~|\n"
                 "\"say \\\"hi\\\"\" = \"Flow*with, |odd| chars\" + 1 ~~|\n"
                 "fixed == 7 ~~|\n"
                 "logic = IF THEN ELSE(1 :AND: 0 :OR: :NOT: 0, 1, 0) ~~|\n"
                 "missing = :NA: ~~|\n"
                 "is na = IF THEN ELSE(missing = :na:, 1, 0) ~~|\n"
                 "caps = aBs(-2) + ABS(-2) + abs(-2) ~~|\n"
                 "power law = -2^2 ~ ~ :SUPPLEMENTARY |\n"
                 "mod = 4 ~~|\n"
                 "uses mod = mod * 2 ~~|\n"
                 "two lines = broken\n"
                 "\t+ 1 ~~|\n",
                 0, 2, 1);
    assert_non_null(r);
    assert_close(u_at(r, "broken", 0), 6);
    assert_close(u_at(r, "Long name that goes on and on", 1), 3);
    assert_close(u_at(r, "say \\\"hi\\\"", 0), 6);
    assert_close(u_at(r, "fixed", 0), 7);
    assert_close(u_at(r, "logic", 0), 1);
    assert_close(u_at(r, "is na", 0), 1);
    assert_close(u_at(r, "missing", 0), SD_VENSIM_NA);
    assert_close(u_at(r, "caps", 0), 6);
    assert_close(u_at(r, "power law", 0), -4);
    assert_close(u_at(r, "uses mod", 0), 8);
    assert_close(u_at(r, "two lines", 2), 7);
    sd_results_free(r);
}

static void test_mdl_lexer_vensim_mode(void **state)
{
    (void)state;
    SdLexer lx;
    const char *s = "IF THEN ELSE( a  b\n c :and: d, :NOT: e)";
    sd_lex_init(&lx, s, strlen(s));
    lx.vensim = true;
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(lx.end - lx.start, 12); /* IF THEN ELSE */
    assert_int_equal(sd_lex_next(&lx), TK_LP);
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_memory_equal(s + lx.start, "a  b\n c", lx.end - lx.start);
    assert_int_equal(sd_lex_next(&lx), TK_AND);
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(sd_lex_next(&lx), TK_COMMA);
    assert_int_equal(sd_lex_next(&lx), TK_NOT);
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(sd_lex_next(&lx), TK_RP);
    assert_int_equal(sd_lex_next(&lx), TK_EOF);
    /* The same text in XMILE mode has keywords and one-word names. */
    sd_lex_init(&lx, s, strlen(s));
    assert_int_equal(sd_lex_next(&lx), TK_IF);
    assert_int_equal(sd_lex_next(&lx), TK_THEN);
}

/* ---- builtins ------------------------------------------------------------ */

static void test_mdl_math_builtins(void **state)
{
    (void)state;
    SdResults *r = run_body("i1 = INTEGER(-2.5) ~~|\n"
                            "i2 = INTEGER(2.5) ~~|\n"
                            "m1 = MODULO(-7, 3) ~~|\n"
                            "m2 = MODULO(7, -3) ~~|\n"
                            "p = POWER(2, 10) ~~|\n"
                            "q1 = QUANTUM(7.9, 2) ~~|\n"
                            "q2 = QUANTUM(-7.9, 2) ~~|\n"
                            "q3 = QUANTUM(7.9, 0) ~~|\n"
                            "g = GAME(3) ~~|\n"
                            "x = XIDZ(1, 0, 7) ~~|\n"
                            "z = ZIDZ(1, 0) ~~|\n"
                            "z2 = ZIDZ(1, 4) ~~|\n"
                            "lg = LOG(8, 2) ~~|\n"
                            "l = LN(EXP(2)) ~~|\n"
                            "mx = MAX(1, 3) + MIN(1, 3) ~~|\n"
                            "s = SQRT(16) + ARCTAN(0) ~~|\n",
                            0, 1, 1);
    assert_non_null(r);
    assert_close(u_at(r, "i1", 0), -2); /* toward zero, not a floor */
    assert_close(u_at(r, "i2", 0), 2);
    assert_close(u_at(r, "m1", 0), -1); /* the dividend's sign */
    assert_close(u_at(r, "m2", 0), 1);
    assert_close(u_at(r, "p", 0), 1024);
    assert_close(u_at(r, "q1", 0), 6);
    assert_close(u_at(r, "q2", 0), -6);
    assert_close(u_at(r, "q3", 0), 7.9);
    assert_close(u_at(r, "g", 0), 3);
    assert_close(u_at(r, "x", 0), 7);
    assert_close(u_at(r, "z", 0), 0);
    assert_close(u_at(r, "z2", 0), 0.25);
    assert_close(u_at(r, "lg", 0), 3);
    assert_close(u_at(r, "l", 0), 2);
    assert_close(u_at(r, "mx", 0), 4);
    assert_close(u_at(r, "s", 0), 4);
    sd_results_free(r);
}

static void test_mdl_time_builtins(void **state)
{
    (void)state;
    SdResults *r = run_body("p = PULSE(3, 2) ~~|\n"
                            "p0 = PULSE(2, 0) ~~|\n"
                            "pt = PULSE TRAIN(1, 1, 3, 8) ~~|\n"
                            "st = STEP(5, 2) ~~|\n"
                            "rp = RAMP(2, 3, 6) ~~|\n"
                            "ite = IF THEN ELSE(Time > 4, 1, -1) ~~|\n",
                            0, 10, 0.5);
    assert_non_null(r);
    for (int k = 0; k <= 20; k++) {
        double t = 0.5 * k;
        assert_close(u_at(r, "p", t), t >= 3 && t < 5 ? 1 : 0);
        assert_close(u_at(r, "p0", t), t == 2 ? 1 : 0); /* one step */
        bool on = (t >= 1 && t < 2) || (t >= 4 && t < 5) || (t >= 7 && t < 8);
        assert_close(u_at(r, "pt", t), on ? 1 : 0);
        assert_close(u_at(r, "st", t), t >= 2 ? 5 : 0);
        assert_close(u_at(r, "rp", t), t <= 3 ? 0 : t >= 6 ? 6 : 2 * (t - 3));
        assert_close(u_at(r, "ite", t), t > 4 ? 1 : -1);
    }
    sd_results_free(r);
}

static void test_mdl_smooths(void **state)
{
    (void)state;
    SdResults *r = run_body("in = STEP(10, 2) ~~|\n"
                            "s1 = SMOOTH(in, 4) ~~|\n"
                            "si = SMOOTHI(in, 4, 5) ~~|\n"
                            "s3 = SMOOTH3(in, 6) ~~|\n"
                            "s3i = SMOOTH3I(in, 6, 3) ~~|\n"
                            "sn = SMOOTH N(in, 4, 1, 2) ~~|\n",
                            0, 12, 0.5);
    assert_non_null(r);
    const double dt = 0.5;
    double s1 = 0, si = 5, s3[3] = {0, 0, 0}, s3i[3] = {3, 3, 3};
    double sn[2] = {1, 1};
    for (int k = 0; k <= 24; k++) {
        double t = dt * k, in = t >= 2 ? 10 : 0;
        assert_close(u_at(r, "s1", t), s1);
        assert_close(u_at(r, "si", t), si);
        assert_close(u_at(r, "s3", t), s3[2]);
        assert_close(u_at(r, "s3i", t), s3i[2]);
        assert_close(u_at(r, "sn", t), sn[1]);
        s1 += dt * (in - s1) / 4;
        si += dt * (in - si) / 4;
        double r3[3], r3i[3], rn[2];
        for (int j = 0; j < 3; j++) {
            r3[j] = ((j ? s3[j - 1] : in) - s3[j]) / 2;
            r3i[j] = ((j ? s3i[j - 1] : in) - s3i[j]) / 2;
        }
        for (int j = 0; j < 2; j++)
            rn[j] = ((j ? sn[j - 1] : in) - sn[j]) / 2;
        for (int j = 0; j < 3; j++) {
            s3[j] += dt * r3[j];
            s3i[j] += dt * r3i[j];
        }
        for (int j = 0; j < 2; j++)
            sn[j] += dt * rn[j];
    }
    sd_results_free(r);
}

static void test_mdl_material_delays(void **state)
{
    (void)state;
    SdResults *r = run_body("in = 1 + STEP(4, 2) ~~|\n"
                            "dtime = 4 + STEP(2, 6) ~~|\n"
                            "d1 = DELAY1(in, 4) ~~|\n"
                            "d1i = DELAY1I(in, 4, 3) ~~|\n"
                            "d3i = DELAY3I(in, 6, 2) ~~|\n"
                            "dn = DELAY N(in, dtime, 1, 2) ~~|\n",
                            0, 14, 1);
    assert_non_null(r);
    double d1 = 4, d1i = 12, d3i[3] = {4, 4, 4};
    /* DELAY N: each stage divides by the delay time it was entered with
     * (stage k by the delay time of k steps before). */
    double dn[2] = {4 * 1 / 2.0, 4 * 1 / 2.0}, told = 4;
    for (int k = 0; k <= 14; k++) {
        double t = k, in = t >= 2 ? 5 : 1, tnow = t >= 6 ? 6 : 4;
        double prev = k == 0 ? 4 : told;
        assert_close(u_at(r, "d1", t), d1 / 4);
        assert_close(u_at(r, "d1i", t), d1i / 4);
        assert_close(u_at(r, "d3i", t), d3i[2] / 2);
        assert_close(u_at(r, "dn", t), dn[1] / (prev / 2));
        double o1 = d1 / 4, o1i = d1i / 4;
        d1 += in - o1;
        d1i += in - o1i;
        double o3[3];
        for (int j = 0; j < 3; j++)
            o3[j] = d3i[j] / 2;
        for (int j = 0; j < 3; j++)
            d3i[j] += (j ? o3[j - 1] : in) - o3[j];
        double on[2] = {dn[0] / (tnow / 2), dn[1] / (prev / 2)};
        dn[0] += in - on[0];
        dn[1] += on[0] - on[1];
        told = tnow;
    }
    sd_results_free(r);
}

static void test_mdl_delay_n_order_limit(void **state)
{
    (void)state;
    /* A stage shorter than the time step lowers the order: with a delay
     * of 1.25 and dt 0.5, order 3 runs as order 2. */
    SdResults *r = run_body("in = STEP(1, 1) ~~|\n"
                            "three = DELAY N(in, 1.25, 0, 3) ~~|\n"
                            "two = DELAY N(in, 1.25, 0, 2) ~~|\n",
                            0, 6, 0.5);
    assert_non_null(r);
    for (int k = 0; k <= 12; k++)
        assert_close(u_at(r, "three", 0.5 * k), u_at(r, "two", 0.5 * k));
    assert_true(u_at(r, "two", 3) > 0.5); /* it does move */
    sd_results_free(r);
}

static void test_mdl_delay_fixed(void **state)
{
    (void)state;
    SdResults *r = run_body("sq = Time * Time ~~|\n"
                            "f12 = DELAY FIXED(sq, 1.2, -4) ~~|\n"
                            "f15 = DELAY FIXED(sq, 1.5, 20) ~~|\n"
                            "f0 = DELAY FIXED(sq, 0, 9) ~~|\n"
                            "fv = DELAY FIXED(sq, 2 + Time, 7) ~~|\n",
                            0, 8, 1);
    assert_non_null(r);
    for (int k = 0; k <= 8; k++) {
        double t = k;
        /* whole steps: 1.2 -> 1, 1.5 -> 2, 0 -> 1 (at least one); the
         * delay time is the one at the start */
        assert_close(u_at(r, "f12", t), t >= 1 ? (t - 1) * (t - 1) : -4);
        assert_close(u_at(r, "f15", t), t >= 2 ? (t - 2) * (t - 2) : 20);
        assert_close(u_at(r, "f0", t), t >= 1 ? (t - 1) * (t - 1) : 9);
        assert_close(u_at(r, "fv", t), t >= 2 ? (t - 2) * (t - 2) : 7);
    }
    sd_results_free(r);
}

static void test_mdl_sample_and_initials(void **state)
{
    (void)state;
    SdResults *r =
        run_body("s = SAMPLE IF TRUE(Time >= 3 :AND: Time <= 5, Time * 10, "
                 "-1) ~~|\n"
                 "s0 = SAMPLE IF TRUE(Time < 1, Time + 2, 99) ~~|\n"
                 "ai = ACTIVE INITIAL(Time * 2 + 1, 100) ~~|\n"
                 "stock = INTEG(1, ai) ~~|\n"
                 "first = INITIAL(Time + 4) ~~|\n"
                 "tr = TREND(Time + 1, 2, 0) ~~|\n",
                 0, 8, 1);
    assert_non_null(r);
    double avg = 1; /* TREND's average starts at input / (1 + 0) */
    for (int k = 0; k <= 8; k++) {
        double t = k;
        assert_close(u_at(r, "s", t), t < 3 ? -1 : t <= 5 ? 10 * t : 50);
        assert_close(u_at(r, "s0", t), 2); /* true at the start only */
        assert_close(u_at(r, "ai", t), 2 * t + 1);
        assert_close(u_at(r, "stock", t), 100 + t);
        assert_close(u_at(r, "first", t), 4);
        double in = t + 1;
        assert_close(u_at(r, "tr", t), (in - avg) / (avg * 2));
        avg += (in - avg) / 2;
    }
    sd_results_free(r);
}

/* ---- macros -------------------------------------------------------------- */

static void test_mdl_macros(void **state)
{
    (void)state;
    SdResults *r =
        run_body("out = SCALE(input, 3) + SCALE(SCALE(2, 2), input) ~~|\n"
                 ":MACRO: SCALE(x, k)\n"
                 "SCALE = x * inner ~~|\n"
                 "inner = k ~~|\n"
                 ":END OF MACRO:\n"
                 ":MACRO: ACC(rate)\n"
                 "ACC = INTEG(rate, 10) ~~|\n"
                 ":END OF MACRO:\n"
                 ":MACRO: TWICE(x)\n"
                 "TWICE = SCALE(x, 2) ~~|\n"
                 ":END OF MACRO:\n"
                 "input = 5 ~~|\n"
                 "acc = ACC(input) ~~|\n"
                 "tw = TWICE(Time) ~~|\n",
                 0, 4, 1);
    assert_non_null(r);
    assert_close(u_at(r, "out", 0), 5 * 3 + (2 * 2) * 5);
    for (int k = 0; k <= 4; k++) {
        assert_close(u_at(r, "acc", k), 10 + 5 * k);
        assert_close(u_at(r, "tw", k), 2 * k);
    }
    /* The macros' insides are hidden. */
    assert_int_equal(sd_results_find(r, "inner"), -1);
    assert_int_equal(r->ncols, 1 + 4 + 4); /* Time, 4 variables, controls */
    sd_results_free(r);
}

/* ---- loading files ---------------------------------------------------------
 */

static void test_mdl_load_dispatch(void **state)
{
    (void)state;
    char *text = mdl("x = 2 ~~|\n");
    char path[64];
    static const char *const suffixes[] = {".mdl", ".txt"};
    for (int i = 0; i < 2; i++) {
        /* by extension, and by content ({UTF-8}, the sketch separator) */
        snprintf(path, sizeof path, "/tmp/territory-mdl-XXXXXX%s", suffixes[i]);
        int fd = mkstemps(path, 4);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        TDiags d = {0};
        SdModel *m = NULL;
        int rc = sd_model_load(path, &m, &d);
        unlink(path);
        assert_int_equal(rc, T_OK);
        assert_true(m->vensim);
        assert_string_equal(sd_model_find(m, "x")->eqn, "2");
        sd_model_free(m);
        diags_free(&d);
    }
    free(text);
}

/* ---- errors with their place -----------------------------------------------
 */

static void test_mdl_error_arrays(void **state)
{
    (void)state;
    /* a subscript that is neither a range nor an element */
    assert_mdl_errors("dim: a, b ~~|\n"
                      "x[dim, q] = 1 ~~|\n",
                      "t.mdl:2:2: 'q' is neither a range nor an element of "
                      "one (subscript 2 of 'x')\n"
                      "  x[dim, q] = 1 ~~|\n"
                      "   ^\n");
    /* an element the reference's dimension does not have */
    assert_mdl_errors("dim: a, b ~~|\n"
                      "y[dim] = 1 ~~|\n"
                      "x = y[c] + 1 ~~|\n",
                      "t.mdl:3:7: 'c' is not an element of dimension 'dim' "
                      "(subscript 1 of 'y')\n"
                      "  x = y[c] + 1 ~~|\n"
                      "        ^\n");
    /* subscripts on a scalar, and a range that does not vary */
    assert_mdl_errors("y = 1 ~~|\n"
                      "x = y[a] + 1 ~~|\n",
                      "t.mdl:2:5: 'y' is not an array; it takes no subscripts\n"
                      "  x = y[a] + 1 ~~|\n"
                      "      ^\n");
    assert_mdl_errors("dim: a, b ~~|\n"
                      "y[dim] = 1 ~~|\n"
                      "x = y[dim] ~~|\n",
                      "t.mdl:3:7: dimension 'dim' does not vary in this "
                      "equation, so 'y[dim]' names no single element; use an "
                      "element, or an array function\n"
                      "  x = y[dim] ~~|\n"
                      "        ^\n");
    /* a range that includes itself, an element twice */
    assert_mdl_errors("d: a, e ~~|\n"
                      "e: b, d ~~|\n",
                      "t.mdl:1:1: range 'd' includes itself\n"
                      "  d: a, e ~~|\n"
                      "  ^\n");
    assert_mdl_errors("dim: a, b ~~|\n"
                      "x[a] = 1 ~~|\n"
                      "x[dim] = 2 ~~|\n",
                      "t.mdl:3:2: element x[a] is defined twice (first on "
                      "line 2)\n"
                      "  x[dim] = 2 ~~|\n"
                      "   ^\n");
}

static void test_mdl_error_data(void **state)
{
    (void)state;
    assert_mdl_errors(
        "a := 2 * GET XLS DATA('d.xls', 's', 'A', 'B2') ~~|\n"
        "b = GET DIRECT CONSTANTS('d.csv', ',') ~~|\n"
        "c ~~|\n"
        "d = 1 + RANDOM BETA(0, 1, 2, 2, 0, 1, 0) ~~|\n"
        "e:RAW: = 3 ~~|\n"
        "f:HOLD BACKWARD: 3 ~~|\n",
        "t.mdl:1:10: 'GET XLS DATA' is not supported yet (it is read only as "
        "the whole equation of a variable)\n"
        "  a := 2 * GET XLS DATA('d.xls', 's', 'A', 'B2') ~~|\n"
        "           ^\n"
        "t.mdl:2:5: 'GET DIRECT CONSTANTS' takes 3 arguments (file, sheet or "
        "delimiter, first cell), not 2\n"
        "  b = GET DIRECT CONSTANTS('d.csv', ',') ~~|\n"
        "      ^\n"
        "t.mdl:4:9: 'RANDOM BETA' is not supported yet (it is a random "
        "distribution not written yet)\n"
        "  d = 1 + RANDOM BETA(0, 1, 2, 2, 0, 1, 0) ~~|\n"
        "          ^\n"
        "t.mdl:6:18: expected ':=' after ':HOLD BACKWARD:'\n"
        "  f:HOLD BACKWARD: 3 ~~|\n"
        "                   ^\n");
    /* The files are looked for once the model reads without errors. */
    assert_mdl_errors(
        "a := GET XLS DATA('d.xls', 's', 'A', 'B2') ~~|\n"
        "b[r] = GET DIRECT CONSTANTS('no such.csv', ',', 'B2') ~~|\n"
        "r: x, y ~~|\n"
        "INITIAL TIME = 0 ~~|\n"
        "FINAL TIME = 1 ~~|\n",
        "t.mdl:1:19: cannot read 'd.xls' (d.xls): No such file or directory\n"
        "  a := GET XLS DATA('d.xls', 's', 'A', 'B2') ~~|\n"
        "                    ^\n"
        "t.mdl:2:29: cannot read 'no such.csv' (no such.csv): No such file or "
        "directory\n"
        "  b[r] = GET DIRECT CONSTANTS('no such.csv', ',', 'B2') ~~|\n"
        "                              ^\n");
}

static void test_mdl_error_structure(void **state)
{
    (void)state;
    assert_mdl_errors("s = INTEG(1) ~~|\n"
                      "t = INTEG(1, 2) + 3 ~~|\n"
                      "u = WITH LOOKUP(Time) ~~|\n"
                      "= 4 ~~|\n"
                      "v + 4 ~~|\n",
                      "t.mdl:1:5: 'INTEG' takes 2 arguments (rate, initial "
                      "value), not 1\n"
                      "  s = INTEG(1) ~~|\n"
                      "      ^\n"
                      "t.mdl:2:17: 'INTEG' must be the whole equation\n"
                      "  t = INTEG(1, 2) + 3 ~~|\n"
                      "                  ^\n"
                      "t.mdl:3:5: 'WITH LOOKUP' takes 2 arguments (input, "
                      "table), not 1\n"
                      "  u = WITH LOOKUP(Time) ~~|\n"
                      "      ^\n"
                      "t.mdl:4:1: expected a variable name, found '='\n"
                      "  = 4 ~~|\n"
                      "  ^\n"
                      "t.mdl:5:3: expected '=' after 'v', found '+'\n"
                      "  v + 4 ~~|\n"
                      "    ^\n");
}

static void test_mdl_error_tables(void **state)
{
    (void)state;
    assert_mdl_errors("t1((0,0),(1)) ~~|\n"
                      "t3(1, 2, 3) ~~|\n"
                      "x = WITH LOOKUP(Time, ((0,0),(1,x))) ~~|\n",
                      "t.mdl:1:12: lookup table of 't1': expected ',', found "
                      "')'\n"
                      "  t1((0,0),(1)) ~~|\n"
                      "             ^\n"
                      "t.mdl:2:3: lookup table of 't3' lists 3 numbers; x and "
                      "y values need an even count\n"
                      "  t3(1, 2, 3) ~~|\n"
                      "    ^\n"
                      "t.mdl:3:33: lookup table of 'x': expected a number, "
                      "found 'x'\n"
                      "  x = WITH LOOKUP(Time, ((0,0),(1,x))) ~~|\n"
                      "                                  ^\n");
}

static void test_mdl_error_text(void **state)
{
    (void)state;
    char out[ERR_MAX];
    static const char unterminated[] = "x = \"never closed ~~|\n";
    assert_int_equal(errors_text(unterminated, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl:1:5: unterminated quoted name\n"
                             "  x = \"never closed ~~|\n"
                             "      ^\n");
    static const char unended[] = "INITIAL TIME = 0 ~~|\n"
                                  "FINAL TIME = 1 ~~|\n"
                                  "x = 1 ~ units\n";
    assert_int_equal(errors_text(unended, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl:3:1: equation does not end with '|'\n"
                             "  x = 1 ~ units\n"
                             "  ^\n");
}

static void test_mdl_error_compile_places(void **state)
{
    (void)state;
    /* Parse and name errors in a rate on a continued line, and in a
     * Vensim-only builtin with a did-you-mean. */
    assert_mdl_errors("s = INTEG(\n"
                      "\ta +\\\n"
                      "\t\t* b, 0) ~~|\n"
                      "a = SMOOTH3X(1, 2) ~~|\n"
                      "b = PULSE(1, 2, 3) ~~|\n",
                      "t.mdl:3:3: expected a number, a name or '(', found "
                      "'*'\n"
                      "  \t\t* b, 0) ~~|\n"
                      "  \t\t^\n"
                      "t.mdl:4:5: unknown function 'SMOOTH3X'; did you mean "
                      "'smooth3'?\n"
                      "  a = SMOOTH3X(1, 2) ~~|\n"
                      "      ^\n"
                      "t.mdl:5:5: 'PULSE' takes 2 arguments, not 3\n"
                      "  b = PULSE(1, 2, 3) ~~|\n"
                      "      ^\n");
}

static void test_mdl_error_controls(void **state)
{
    (void)state;
    char out[ERR_MAX];
    /* A control that is not a number is a PySD-style dynamic control,
     * computed during the run (test_mdl_dynamic_time). */
    static const char nan_stop[] = "INITIAL TIME = 0 ~~|\n"
                                   "FINAL TIME = 0/0 ~~|\n";
    assert_int_equal(errors_text(nan_stop, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl:2:14: FINAL TIME is not a number\n"
                             "  FINAL TIME = 0/0 ~~|\n"
                             "               ^\n");
    static const char missing[] = "x = 1 ~~|\nINITIAL TIME = 0 ~~|\n";
    assert_int_equal(errors_text(missing, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl: the model has no FINAL TIME\n");
    static const char bad[] = "INITIAL TIME = 5 ~~|\n"
                              "FINAL TIME = INITIAL TIME - 1 ~~|\n"
                              "TIME STEP = 0 ~~|\n";
    assert_int_equal(errors_text(bad, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl: TIME STEP must be positive, not 0\n"
                             "t.mdl: FINAL TIME 4 is before INITIAL TIME 5\n"
                             "t.mdl: SAVEPER must be positive, not 0\n");
    /* Arithmetic on the controls is fine. */
    static const char ok[] = "INITIAL TIME = 2 ~~|\n"
                             "FINAL TIME = INITIAL TIME + 6 ~~|\n"
                             "TIME STEP = 1/4 ~~|\n"
                             "SAVEPER = TIME STEP * 2 ~~|\n";
    TDiags d = {0};
    SdModel *m = NULL;
    assert_int_equal(sd_model_from_mdl(ok, strlen(ok), "t.mdl", &m, &d), T_OK);
    assert_close(m->start, 2);
    assert_close(m->stop, 8);
    assert_close(m->dt, 0.25);
    assert_close(m->saveper, 0.5);
    sd_model_free(m);
    diags_free(&d);
}

/* Time controls computed during the run, as PySD allows: the step, the
 * save interval and the end change with Time; rows worked by hand. */
static void test_mdl_dynamic_time(void **state)
{
    (void)state;
    static const char text[] =
        "s = INTEG(1, 0) ~~|\n"
        "INITIAL TIME = 0 ~~|\n"
        "FINAL TIME = IF THEN ELSE(Time >= 2, 3, 10) ~~|\n"
        "TIME STEP = IF THEN ELSE(Time < 1, 0.5, 1) ~~|\n"
        "SAVEPER = IF THEN ELSE(Time < 2, TIME STEP, 2) ~~|\n";
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    assert_int_equal(sd_model_from_mdl(text, strlen(text), "t.mdl", &m, &d),
                     T_OK);
    assert_true(m->dynamic_time);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    assert_int_equal(sd_run(p, NULL, &r, &d), T_OK);
    /* t=0 and 0.5 (step and save 0.5); t=1 (step and save 1); t=2 (save
     * every 2, so the next is 4); t=3 reaches FINAL TIME, not a save time */
    static const double times[] = {0, 0.5, 1, 2};
    assert_int_equal(r->nrows, 4);
    int si = sd_results_find(r, "s");
    assert_true(si > 0);
    for (int i = 0; i < 4; i++) {
        assert_close(r->data[i * r->ncols], times[i]);
        assert_close(r->data[i * r->ncols + si], times[i]);
    }
    sd_results_free(r);
    r = NULL;
    /* written as XMILE (territory convert) and read back: the same rows */
    TBuf x = {0};
    assert_int_equal(sd_model_to_xmile(m, &x, &d), T_OK);
    assert_non_null(strstr(tbuf_cstr(&x), "tt:dynamic_time=\"true\""));
    SdModel *m2 = NULL;
    SdProgram *p2 = NULL;
    assert_int_equal(
        sd_model_from_xmile(tbuf_cstr(&x), x.len, "t.xmile", &m2, &d), T_OK);
    tbuf_free(&x);
    assert_true(m2->dynamic_time);
    assert_int_equal(sd_compile(m2, &p2, &d), T_OK);
    assert_int_equal(sd_run(p2, NULL, &r, &d), T_OK);
    assert_int_equal(r->nrows, 4);
    for (int i = 0; i < 4; i++)
        assert_close(r->data[i * r->ncols], times[i]);
    sd_results_free(r);
    r = NULL;
    sd_program_free(p2);
    sd_model_free(m2);
    /* the other methods assume a fixed step */
    SdRunOpts o = {.method = SD_RK4, .method_given = true};
    assert_int_equal(sd_run(p, &o, &r, &d), T_EUSAGE);
    assert_null(r);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    /* a step that stops being positive ends the run with a message */
    static const char zero[] = "INITIAL TIME = 0 ~~|\n"
                               "FINAL TIME = 5 ~~|\n"
                               "TIME STEP = IF THEN ELSE(Time < 2, 1, 0) ~~|\n"
                               "SAVEPER = 1 ~~|\n";
    d = (TDiags){0};
    assert_int_equal(sd_model_from_mdl(zero, strlen(zero), "t.mdl", &m, &d),
                     T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    assert_int_equal(sd_run(p, NULL, &r, &d), T_EINPUT);
    TBuf msg = {0};
    diags_format(&d, &msg);
    assert_non_null(strstr(tbuf_cstr(&msg), "TIME STEP must be positive "
                                            "during the run"));
    tbuf_free(&msg);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    /* DELAY FIXED keeps its history per step: a step that changes stops
     * the run rather than give wrong numbers */
    static const char delay[] =
        "x = DELAY FIXED(Time, 1, 0) ~~|\n"
        "INITIAL TIME = 0 ~~|\n"
        "FINAL TIME = 5 ~~|\n"
        "TIME STEP = IF THEN ELSE(Time < 2, 1, 0.5) ~~|\n";
    d = (TDiags){0};
    assert_int_equal(sd_model_from_mdl(delay, strlen(delay), "t.mdl", &m, &d),
                     T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    assert_int_equal(sd_run(p, NULL, &r, &d), T_EINPUT);
    msg = (TBuf){0};
    diags_format(&d, &msg);
    assert_non_null(strstr(tbuf_cstr(&msg), "DELAY and DELAY FIXED cannot "
                                            "follow a TIME STEP that changes"));
    tbuf_free(&msg);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
}

static void test_mdl_error_macros(void **state)
{
    (void)state;
    assert_mdl_errors(":MACRO: M(a, b)\n"
                      "M = a + b ~~|\n"
                      ":END OF MACRO:\n"
                      "x = 1 + M(2) ~~|\n"
                      "y = 1 ~~|\n"
                      "y = 2 ~~|\n",
                      "t.mdl:4:9: macro 'M' takes 2 arguments, not 1\n"
                      "  x = 1 + M(2) ~~|\n"
                      "          ^\n"
                      "t.mdl:6: duplicate variable 'y' (first defined on "
                      "line 5)\n");
    assert_mdl_errors(":MACRO: LOOP(a)\n"
                      "LOOP = LOOP(a) ~~|\n"
                      ":END OF MACRO:\n"
                      "x = LOOP(1) ~~|\n",
                      "t.mdl:2:8: more than 10000 macro calls (does macro "
                      "'LOOP' call itself?)\n"
                      "  LOOP = LOOP(a) ~~|\n"
                      "         ^\n");
    assert_mdl_errors(":MACRO: M(a : out)\n"
                      "M = a ~~|\n"
                      ":END OF MACRO:\n"
                      ":MACRO: N(a)\n"
                      "other = a ~~|\n",
                      "t.mdl:1:13: macros with more than one output are not "
                      "supported yet (macro 'M')\n"
                      "  :MACRO: M(a : out)\n"
                      "              ^\n"
                      "t.mdl:4:1: macro 'N' has no ':END OF MACRO:'\n"
                      "  :MACRO: N(a)\n"
                      "  ^\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mdl_reads_stocks_and_flows),
        cmocka_unit_test(test_mdl_runs_population),
        cmocka_unit_test(test_mdl_lookups),
        cmocka_unit_test(test_mdl_sketch),
        cmocka_unit_test(test_mdl_syntax),
        cmocka_unit_test(test_mdl_lexer_vensim_mode),
        cmocka_unit_test(test_mdl_math_builtins),
        cmocka_unit_test(test_mdl_time_builtins),
        cmocka_unit_test(test_mdl_smooths),
        cmocka_unit_test(test_mdl_material_delays),
        cmocka_unit_test(test_mdl_delay_n_order_limit),
        cmocka_unit_test(test_mdl_delay_fixed),
        cmocka_unit_test(test_mdl_sample_and_initials),
        cmocka_unit_test(test_mdl_macros),
        cmocka_unit_test(test_mdl_load_dispatch),
        cmocka_unit_test(test_mdl_error_arrays),
        cmocka_unit_test(test_mdl_error_data),
        cmocka_unit_test(test_mdl_error_structure),
        cmocka_unit_test(test_mdl_error_tables),
        cmocka_unit_test(test_mdl_error_text),
        cmocka_unit_test(test_mdl_error_compile_places),
        cmocka_unit_test(test_mdl_error_controls),
        cmocka_unit_test(test_mdl_dynamic_time),
        cmocka_unit_test(test_mdl_error_macros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
