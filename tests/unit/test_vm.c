/*
 * test_vm.c - the VM's superinstructions and its remembered lookup
 * segments (src/sd/vm.c): random programs of the shapes the compiler
 * emits (loads, constants, the fused operand forms, lookups, comparisons,
 * IF with its jumps) run plain and after sd_code_fuse, and must leave
 * every slot bit for bit the same; lookups that remember their segment
 * must give what a fresh search gives, wherever the input moves.
 */
#include "unit.h"

#include "sd/sd_int.h"

#define NSLOTS 16
#define NCONSTS 8
#define MAXCODE 4096

typedef struct Gen {
    uint64_t x;             /* random state */
    SdIns code[MAXCODE];    /* the program */
    int n;                  /* its length */
    double consts[NCONSTS]; /* its constants */
} Gen;

static int rnd(Gen *g, int n)
{
    g->x = g->x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((g->x >> 33) % (uint64_t)n);
}

static void put(Gen *g, int op, int a)
{
    g->code[g->n].op = op;
    g->code[g->n].a = a;
    g->n++;
}

/* An expression: leaves it one value on the stack. */
static void expr(Gen *g, int depth)
{
    static const int bin[] = {SD_I_ADD, SD_I_SUB, SD_I_MUL, SD_I_DIV,
                              SD_I_GE,  SD_I_GT,  SD_I_LE,  SD_I_LT};
    static const int by_slot[] = {SD_I_LOADC_ADD, SD_I_LOADC_SUB,
                                  SD_I_LOADC_MUL, SD_I_LOADC_DIV};
    static const int by_const[] = {SD_I_KADD, SD_I_KSUB, SD_I_KMUL, SD_I_KDIV};
    int k = depth > 3 ? rnd(g, 2) : rnd(g, 8);
    switch (k) {
    case 0:
        put(g, SD_I_LOAD, rnd(g, NSLOTS));
        return;
    case 1:
        put(g, SD_I_CONST, rnd(g, NCONSTS));
        return;
    case 2:
        expr(g, depth + 1);
        put(g, by_slot[rnd(g, 4)], rnd(g, NSLOTS));
        return;
    case 3:
        expr(g, depth + 1);
        put(g, by_const[rnd(g, 4)], rnd(g, NCONSTS));
        return;
    case 4:
    case 5:
        expr(g, depth + 1);
        expr(g, depth + 1);
        put(g, bin[rnd(g, 8)], 0);
        return;
    case 6:
        expr(g, depth + 1);
        put(g, SD_I_LOOKUP, rnd(g, 2));
        return;
    default: { /* IF c THEN a ELSE b, as compile.c lays it out */
        expr(g, depth + 1);
        int jz = g->n;
        put(g, SD_I_JZ, 0);
        expr(g, depth + 1);
        int jmp = g->n;
        put(g, SD_I_JMP, 0);
        g->code[jz].a = g->n;
        expr(g, depth + 1);
        g->code[jmp].a = g->n;
        return;
    }
    }
}

static void run(const SdIns *code, const double *consts, const SdGraph *graphs,
                int *gseg, double *slots)
{
    double stack[256];
    SdVm vm = {.slots = slots,
               .consts = consts,
               .graphs = graphs,
               .stack = stack,
               .dt = 1,
               .gseg = gseg};
    sd_vm_exec(&vm, code);
}

static void test_fused_programs_same_bits(void **state)
{
    (void)state;
    double gx[] = {-1, 0, 0.5, 2, 2, 5}, gy[] = {3, 1, -2, 4, 0, 7};
    SdGraph graphs[2] = {{SD_GF_CONTINUOUS, 6, gx, gy},
                         {SD_GF_EXTRAPOLATE, 6, gx, gy}};
    Gen g = {.x = 12345};
    int fused_seen = 0;
    for (int prog = 0; prog < 3000; prog++) {
        g.n = 0;
        for (int i = 0; i < NCONSTS; i++)
            g.consts[i] = (rnd(&g, 9) - 4) * 0.75;
        int stmts = 1 + rnd(&g, 12);
        for (int st = 0; st < stmts && g.n < MAXCODE - 200; st++) {
            expr(&g, 0);
            put(&g, SD_I_STORE, SD_SLOT_FIRST + rnd(&g, NSLOTS - 4));
        }
        put(&g, SD_I_END, 0);
        SdIns fused[MAXCODE];
        memcpy(fused, g.code, sizeof(SdIns) * (size_t)g.n);
        sd_code_fuse(fused, g.n);
        for (int i = 0; i < g.n; i++)
            fused_seen += fused[i].op != g.code[i].op;
        double a[NSLOTS], b[NSLOTS];
        for (int i = 0; i < NSLOTS; i++)
            a[i] = b[i] = (rnd(&g, 13) - 6) * 0.5;
        int seg[2] = {0, 0};
        for (int rep = 0; rep < 3; rep++) { /* slots change between runs */
            run(g.code, g.consts, graphs, NULL, a);
            run(fused, g.consts, graphs, seg, b);
            assert_memory_equal(a, b, sizeof a);
        }
    }
    assert_true(fused_seen > 1000); /* the shapes did get fused */
}

/* A run of fused words never contains a jump target, and sd_op_len says
 * how far each superinstruction reaches. */
static void test_no_fusion_across_targets(void **state)
{
    (void)state;
    /* LOAD 4; LOAD 5; GE; JZ 7; LOAD 4; JMP 8; LOAD 5; STORE 6; END */
    SdIns code[] = {{SD_I_LOAD, 4}, {SD_I_LOAD, 5},  {SD_I_GE, 0},
                    {SD_I_JZ, 6},   {SD_I_LOAD, 4},  {SD_I_JMP, 7},
                    {SD_I_LOAD, 5}, {SD_I_STORE, 6}, {SD_I_END, 0}};
    sd_code_fuse(code, 9);
    assert_int_equal(code[0].op, SD_I_J_GE);
    assert_int_equal(sd_op_len(code[0].op), 4);
    assert_int_equal(code[4].op, SD_I_LOAD_JMP);
    /* The STORE is where the JMP lands: LOAD 5; STORE 6 stays apart. */
    assert_int_equal(code[6].op, SD_I_LOAD);
    assert_int_equal(code[7].op, SD_I_STORE);
    assert_int_equal(sd_op_len(SD_I_LOAD), 1);
}

static void test_lookup_segment_remembered(void **state)
{
    (void)state;
    double gx[] = {0, 1, 1, 2, 4, 8}, gy[] = {-0.0, 5, 2, 2, -1, 3};
    SdGraph kinds[3] = {{SD_GF_CONTINUOUS, 6, gx, gy},
                        {SD_GF_EXTRAPOLATE, 6, gx, gy},
                        {SD_GF_DISCRETE, 6, gx, gy}};
    SdIns code[] = {{SD_I_LOAD, SD_SLOT_FIRST},
                    {SD_I_LOOKUP, 0},
                    {SD_I_STORE, SD_SLOT_FIRST + 1},
                    {SD_I_END, 0}};
    for (int kind = 0; kind < 3; kind++) {
        code[1].a = kind;
        int seg[3] = {sd_graph_seg_init(&kinds[0]),
                      sd_graph_seg_init(&kinds[1]),
                      sd_graph_seg_init(&kinds[2])};
        /* Inputs that walk up, jump, sit on points and leave the ends. */
        double xs[] = {0.5, 0.7, 1,   1.5, 3,   0,   -1, 9,    8, 7.9,
                       2,   2,   0.2, NAN, 1.0, 4.0, 0,  -0.0, 6, 1e300};
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double slots[8] = {0};
            slots[SD_SLOT_FIRST] = xs[i];
            run(code, NULL, kinds, seg, slots);
            double want = sd_graph_eval(&kinds[kind], xs[i]);
            assert_memory_equal(&slots[SD_SLOT_FIRST + 1], &want, sizeof want);
        }
    }
    /* x values out of order: never remembered. */
    double bx[] = {0, 2, 1}, by[] = {0, 1, 2};
    SdGraph bad = {SD_GF_CONTINUOUS, 3, bx, by};
    assert_int_equal(sd_graph_seg_init(&bad), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_programs_same_bits),
        cmocka_unit_test(test_no_fusion_across_targets),
        cmocka_unit_test(test_lookup_segment_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
