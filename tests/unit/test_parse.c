/*
 * test_parse.c - unit tests of the equation parser: operator precedence
 * and associativity (shown as fully parenthesised trees), IF THEN ELSE,
 * function calls in any case, the canonical form of names, and the exact
 * text and place (line:col and caret) of every parse error.
 */
#include "unit.h"

#include "sd/sd_int.h"

/* ---- trees as text ---------------------------------------------------- */

static void show(TBuf *b, const SdExpr *e)
{
    static const char *ops[] = {"+",  "-", "*",  "/", "^",  "mod", "=",
                                "<>", "<", "<=", ">", ">=", "and", "or"};
    switch (e->kind) {
    case SD_E_NUM:
        tbuf_printf(b, "%g", e->num);
        return;
    case SD_E_VAR:
        tbuf_puts(b, e->name);
        return;
    case SD_E_CALL:
        tbuf_printf(b, "%s(", e->name);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                tbuf_puts(b, ", ");
            show(b, e->args[i]);
        }
        tbuf_putc(b, ')');
        return;
    case SD_E_NEG:
        tbuf_puts(b, "(-");
        show(b, e->args[0]);
        tbuf_putc(b, ')');
        return;
    case SD_E_NOT:
        tbuf_puts(b, "(not ");
        show(b, e->args[0]);
        tbuf_putc(b, ')');
        return;
    case SD_E_BIN:
        tbuf_putc(b, '(');
        show(b, e->args[0]);
        tbuf_printf(b, " %s ", ops[e->op]);
        show(b, e->args[1]);
        tbuf_putc(b, ')');
        return;
    case SD_E_IF:
        tbuf_puts(b, "(if ");
        show(b, e->args[0]);
        tbuf_puts(b, " then ");
        show(b, e->args[1]);
        tbuf_puts(b, " else ");
        show(b, e->args[2]);
        tbuf_putc(b, ')');
        return;
    }
}

/* Parses text and writes its tree (or "error: " and the messages) into
 * out. */
static void parse_show(const char *text, char *out, size_t n)
{
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdExpr *e = NULL;
    int rc = sd_parse_expr(&a, text, NULL, &e, &d);
    if (rc == T_OK && e) {
        TBuf b = {0};
        show(&b, e);
        snprintf(out, n, "%s", tbuf_cstr(&b));
        tbuf_free(&b);
    } else {
        snprintf(out, n, "error: %s", d.len ? d.items[0].message : "?");
    }
    diags_free(&d);
    arena_free(&a);
}

#define assert_tree(text, want)                                                \
    do {                                                                       \
        char got_[1024];                                                       \
        parse_show(text, got_, sizeof got_);                                   \
        assert_string_equal(got_, want);                                       \
    } while (0)

/* ---- precedence ------------------------------------------------------- */

static void test_parse_unary_minus_and_power(void **state)
{
    (void)state;
    assert_tree("-2^2", "(-(2 ^ 2))");     /* = -4 */
    assert_tree("2^3^2", "(2 ^ (3 ^ 2))"); /* right-assoc: 512 */
    assert_tree("30^-1", "(30 ^ (-1))");
    assert_tree("2^-3^2", "(2 ^ (-(3 ^ 2)))");
    assert_tree("-a^b", "(-(a ^ b))");
    assert_tree("--a", "(-(-a))");
    assert_tree("+a", "a");
    assert_tree("(-2)^2", "((-2) ^ 2)");
    assert_tree("a * -b", "(a * (-b))");
}

static void test_parse_arithmetic(void **state)
{
    (void)state;
    assert_tree("1 + 2 * 3", "(1 + (2 * 3))");
    assert_tree("(1 + 2) * 3", "((1 + 2) * 3)");
    assert_tree("1 - 2 - 3", "((1 - 2) - 3)");
    assert_tree("8 / 4 / 2", "((8 / 4) / 2)");
    assert_tree("a mod b * c", "((a mod b) * c)");
    assert_tree("a + b MOD c", "(a + (b mod c))");
    assert_tree("2 * a ^ 2", "(2 * (a ^ 2))");
    assert_tree("1e-3 * .5 + 1.5E+2", "((0.001 * 0.5) + 150)");
}

static void test_parse_logic_and_comparison(void **state)
{
    (void)state;
    assert_tree("a or b and c", "(a or (b and c))");
    assert_tree("a and b or c", "((a and b) or c)");
    assert_tree("a OR b OR c", "((a or b) or c)");
    assert_tree("a + b < c * d", "((a + b) < (c * d))");
    assert_tree("a < b = c <> d", "(((a < b) = c) <> d)");
    assert_tree("a = b and c <> d or e >= f",
                "(((a = b) and (c <> d)) or (e >= f))");
    assert_tree("a <= b", "(a <= b)");
    assert_tree("a > b", "(a > b)");
    assert_tree("a == b", "(a = b)");
    assert_tree("not a and b", "((not a) and b)");
    assert_tree("NOT (a or b)", "(not (a or b))");
}

static void test_parse_if_then_else(void **state)
{
    (void)state;
    assert_tree("IF a THEN 1 ELSE 2", "(if a then 1 else 2)");
    assert_tree("if a > 0 then b / a else 0",
                "(if (a > 0) then (b / a) else 0)");
    assert_tree("IF a THEN IF b THEN 1 ELSE 2 ELSE 3",
                "(if a then (if b then 1 else 2) else 3)");
    assert_tree("if a then 1 else if b then 2 else 3",
                "(if a then 1 else (if b then 2 else 3))");
    assert_tree("1 + (IF c THEN 2 ELSE 3) * 4",
                "(1 + ((if c then 2 else 3) * 4))");
    /* The else branch runs to the end of the expression. */
    assert_tree("1 + IF c THEN 2 ELSE 3 + 4",
                "(1 + (if c then 2 else (3 + 4)))");
    assert_tree("If a And b Then x Else y", "(if (a and b) then x else y)");
}

static void test_parse_calls(void **state)
{
    (void)state;
    assert_tree("MAX(a, b)", "max(a, b)");
    assert_tree("Max(a,b)", "max(a, b)");
    assert_tree("max(a, b)", "max(a, b)");
    assert_tree("SMTH1(x, 2, 0)", "smth1(x, 2, 0)");
    assert_tree("pi()", "pi()");
    assert_tree("ABS(-x) + Sqrt(y)", "(abs((-x)) + sqrt(y))");
    assert_tree("min(max(a, 1), 2 * b)", "min(max(a, 1), (2 * b))");
    assert_tree("Delay_Fixed(a, b, c)", "delay_fixed(a, b, c)");
    /* A quoted name before '(' is a variable, not a call. */
    assert_tree("\"f\"(1)",
                "error: expected an operator or end of equation, found '('");
}

static void test_parse_names(void **state)
{
    (void)state;
    assert_tree("Heat_Loss", "heat_loss");
    assert_tree("\"Heat Loss\" * 2", "(heat_loss * 2)");
    assert_tree("\"heat  loss\" + HEAT__LOSS", "(heat_loss + heat_loss)");
    assert_tree("a {a comment} + b", "(a + b)");
    assert_tree("ÉNERGIE", "énergie");
    /* Keywords in quotes are names. */
    assert_tree("\"if\" + \"AND\"", "(if + and)");
}

static void test_parse_fields(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdExpr *e = NULL;
    assert_int_equal(sd_parse_expr(&a, "x + \"Birth Rate\"", NULL, &e, &d),
                     T_OK);
    assert_int_equal(d.len, 0);
    assert_non_null(e);
    assert_int_equal(e->kind, SD_E_BIN);
    assert_int_equal(e->op, SD_OP_ADD);
    assert_int_equal(e->off, 2);
    const SdExpr *r = e->args[1];
    assert_int_equal(r->kind, SD_E_VAR);
    assert_string_equal(r->text, "\"Birth Rate\""); /* as written */
    assert_string_equal(r->name, "birth_rate");     /* canonical */
    assert_int_equal(r->off, 4);
    diags_free(&d);
    arena_free(&a);
}

/* ---- canonical names -------------------------------------------------- */

static void assert_canon(const char *name, const char *want)
{
    char *c = sd_canon_name(NULL, name, strlen(name));
    assert_non_null(c);
    int same = strcmp(c, want) == 0;
    if (!same)
        print_error("canon(\"%s\") = \"%s\", want \"%s\"\n", name, c, want);
    free(c);
    assert_true(same);
}

static void test_canon_equivalences(void **state)
{
    (void)state;
    assert_canon("Heat Loss", "heat_loss");
    assert_canon("heat_loss", "heat_loss");
    assert_canon("HEAT__LOSS", "heat_loss");
    assert_canon("  Heat   Loss  ", "heat_loss");
    assert_canon("\"Heat Loss\"", "heat_loss");
    assert_canon("Heat\\nLoss", "heat_loss"); /* XMILE's \n escape */
    assert_canon("Heat\nLoss", "heat_loss");  /* a real line break */
    assert_canon("Heat \\n Loss", "heat_loss");
    assert_canon("Heat\t_ Loss", "heat_loss");
    assert_canon("a1 b2", "a1_b2");
    assert_canon("", "");
}

static void test_canon_escapes(void **state)
{
    (void)state;
    assert_canon("\"say \\\"hi\\\"\"", "say_\"hi\"");
    assert_canon("\"back\\\\slash\"", "back\\slash");
}

static void test_canon_unicode(void **state)
{
    (void)state;
    assert_canon("ÉNERGIE Totale", "énergie_totale");
    assert_canon("Größe", "größe");
    assert_canon("ØRE", "øre");
    assert_canon("ΣΥΝΟΛΟ", "συνολο");
    assert_canon("Ωμέγα", "ωμέγα");
    assert_canon("ЖИЗНЬ Ёлки", "жизнь_ёлки");
    assert_canon("ŁÓDŹ", "łódź");
    assert_canon("中文 名", "中文_名");
}

static void test_canon_into_arena(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    /* len limits what is read. */
    char *c = sd_canon_name(&a, "Birth Rate and more", 10);
    assert_string_equal(c, "birth_rate");
    arena_free(&a);
}

/* ---- errors ----------------------------------------------------------- */

/* The equation sits on line 2 of a file, after "  <eqn>" (column 8). */
static int parse_error(const char *text, char *out, size_t n, int *nerr)
{
    char src[2048];
    snprintf(src, sizeof src, "<aux name=\"x\">\n  <eqn>%s</eqn>\n</aux>\n",
             text);
    SdSrcLoc loc = {.file = "m.xmile",
                    .src = src,
                    .src_len = strlen(src),
                    .line = 2,
                    .col = 8};
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdExpr *e = (SdExpr *)&loc; /* must be reset to NULL */
    int rc = sd_parse_expr(&a, text, &loc, &e, &d);
    if (e)
        rc = -1;
    u_format(&d, out, n);
    *nerr = d.errors;
    diags_free(&d);
    arena_free(&a);
    return rc;
}

/* Checks the first line of the message and that the caret below the
 * context line sits at the column the message names. */
static void check_error(const char *text, const char *want)
{
    char out[4096];
    int nerr = 0;
    int rc = parse_error(text, out, sizeof out, &nerr);
    if (rc != T_EINPUT)
        print_error("\"%s\": rc %d\n", text, rc);
    assert_int_equal(rc, T_EINPUT);
    assert_int_equal(nerr, 1); /* one error per equation */
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    char first[512];
    snprintf(first, sizeof first, "%.*s", (int)(nl - out), out);
    char wantline[512];
    snprintf(wantline, sizeof wantline, "m.xmile:%s", want);
    assert_string_equal(first, wantline);
    /* "m.xmile:LINE:COL: ..." */
    int line = 0, col = 0;
    assert_int_equal(sscanf(want, "%d:%d:", &line, &col), 2);
    const char *ctx = nl + 1;
    const char *caret = strchr(ctx, '\n');
    assert_non_null(caret);
    caret++;
    const char *hat = strchr(caret, '^');
    assert_non_null(hat);
    assert_int_equal(hat - caret, 2 + col - 1);
}

static void test_parse_error_messages(void **state)
{
    (void)state;
    check_error("(a + b", "2:14: expected ')', found end of equation");
    check_error("a +", "2:11: expected a number, a name or '(', found end of "
                       "equation");
    check_error("a b", "2:10: expected an operator or end of equation, "
                       "found 'b'");
    check_error("1)", "2:9: expected an operator or end of equation, "
                      "found ')'");
    check_error("max(1, 2", "2:16: expected ',' or ')' in the arguments, "
                            "found end of equation");
    check_error("max(1 2)",
                "2:14: expected ',' or ')' in the arguments, found '2'");
    check_error("IF a THEN b", "2:19: expected 'else', found end of equation");
    check_error("IF a ELSE b", "2:13: expected 'then', found 'ELSE'");
    check_error("a + * b", "2:12: expected a number, a name or '(', found '*'");
    check_error("   ", "2:8: empty equation");
    check_error("{only a comment}", "2:8: empty equation");
    check_error("x[1", "2:11: expected ',' or ']' in the subscripts, found "
                       "end of equation");
    check_error("a + \"open", "2:12: unterminated quoted name");
    check_error("a # b", "2:10: unexpected character");
    check_error("1 + {open", "2:12: unterminated comment");
    check_error("\"\" + 1", "2:8: empty name");
    check_error("max(1,)", "2:14: expected a number, a name or '(', found ')'");
}

static void test_parse_error_full_text(void **state)
{
    (void)state;
    char out[4096];
    int nerr;
    assert_int_equal(parse_error("(a + b", out, sizeof out, &nerr), T_EINPUT);
    assert_string_equal(out,
                        "m.xmile:2:14: expected ')', found end of equation\n"
                        "    <eqn>(a + b</eqn>\n"
                        "               ^\n");
}

static void test_parse_error_columns_in_characters(void **state)
{
    (void)state;
    /* "Größe" is 7 bytes but 5 characters: the '*' is column 8 + 8. */
    check_error("Größe + * 2",
                "2:16: expected a number, a name or '(', found '*'");
}

static void test_parse_error_multiline_equation(void **state)
{
    (void)state;
    char out[4096];
    int nerr;
    /* The equation continues on line 3: the error is placed there. */
    assert_int_equal(parse_error("a +\n  * b", out, sizeof out, &nerr),
                     T_EINPUT);
    assert_string_equal(out, "m.xmile:3:3: expected a number, a name or "
                             "'(', found '*'\n"
                             "    * b</eqn>\n"
                             "    ^\n");
}

static void test_parse_error_long_token_truncated(void **state)
{
    (void)state;
    char text[200];
    char name[61];
    memset(name, 'n', 60);
    name[60] = 0;
    snprintf(text, sizeof text, "a %s", name);
    char want[300];
    snprintf(want, sizeof want,
             "2:10: expected an operator or end of equation, found '%.40s'",
             name);
    check_error(text, want);
}

static void test_parse_error_truncation_keeps_utf8(void **state)
{
    (void)state;
    char out[4096];
    int nerr;
    assert_int_equal(parse_error("1 a23456789012345678901234567890123456789"
                                 "\xC3\xA9\xC3\xA9",
                                 out, sizeof out, &nerr),
                     T_EINPUT);
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_memory_equal(out,
                        "m.xmile:2:10: expected an operator or end of "
                        "equation, found "
                        "'a23456789012345678901234567890123456789'\n",
                        (size_t)(nl - out) + 1);
}

static void test_parse_error_caret_without_source(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdExpr *e;
    SdSrcLoc loc = {.file = "m", .line = 4, .col = 10};
    assert_int_equal(sd_parse_expr(&a, "a + * b", &loc, &e, &d), T_EINPUT);
    char out[1024];
    u_format(&d, out, sizeof out);
    diags_free(&d);
    arena_free(&a);
    const char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_memory_equal(out, "m:4:14: ", 8);
    /* The character above the caret is the '*'. */
    const char *ctx = nl + 1;
    const char *caret = strchr(ctx, '\n') + 1;
    const char *hat = strchr(caret, '^');
    assert_non_null(hat);
    assert_int_equal(ctx[hat - caret], '*');
}

static void test_parse_error_nesting_limit(void **state)
{
    (void)state;
    char text[2000];
    size_t k = 0;
    for (int i = 0; i < 500; i++)
        text[k++] = '(';
    text[k++] = '1';
    for (int i = 0; i < 500; i++)
        text[k++] = ')';
    text[k] = 0;
    char out[8192];
    int nerr;
    assert_int_equal(parse_error(text, out, sizeof out, &nerr), T_EINPUT);
    assert_non_null(strstr(out, ": equation nested too deeply\n"));
    assert_int_equal(nerr, 1);

    k = 0;
    for (int i = 0; i < 500; i++)
        text[k++] = '-';
    text[k++] = '1';
    text[k] = 0;
    assert_int_equal(parse_error(text, out, sizeof out, &nerr), T_EINPUT);
    assert_non_null(strstr(out, ": equation nested too deeply\n"));

    /* Moderate nesting is fine. */
    assert_tree("((((((((((1))))))))))", "1");
}

static void test_parse_error_without_file_line(void **state)
{
    (void)state;
    /* With no place in a file (as for a --set value), the column counts
     * from the start of the equation and the equation is the context. */
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdExpr *e;
    assert_int_equal(sd_parse_expr(&a, "1 + + )", NULL, &e, &d), T_EINPUT);
    assert_null(e);
    char out[1024];
    u_format(&d, out, sizeof out);
    assert_string_equal(out, "expected a number, a name or '(', found ')'\n"
                             "  1 + + )\n"
                             "        ^\n");
    diags_free(&d);
    arena_free(&a);
}

/* ---- values end to end ------------------------------------------------ */

static void test_parse_values(void **state)
{
    (void)state;
    assert_close(u_eval("-2^2"), -4);
    assert_close(u_eval("2^3^2"), 512);
    assert_close(u_eval("30^-1"), 1.0 / 30);
    assert_close(u_eval("(-2)^2"), 4);
    assert_close(u_eval("1 + 2 * 3 - 4 / 2"), 5);
    assert_close(u_eval("0 or 1 and 0"), 0);
    assert_close(u_eval("1 or 1 and 0"), 1);
    assert_close(u_eval("2 < 3 = 1"), 1);
    assert_close(u_eval("3 <> 3"), 0);
    assert_close(u_eval("not 0"), 1);
    assert_close(u_eval("not 2"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_unary_minus_and_power),
        cmocka_unit_test(test_parse_arithmetic),
        cmocka_unit_test(test_parse_logic_and_comparison),
        cmocka_unit_test(test_parse_if_then_else),
        cmocka_unit_test(test_parse_calls),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_canon_equivalences),
        cmocka_unit_test(test_canon_escapes),
        cmocka_unit_test(test_canon_unicode),
        cmocka_unit_test(test_canon_into_arena),
        cmocka_unit_test(test_parse_error_messages),
        cmocka_unit_test(test_parse_error_full_text),
        cmocka_unit_test(test_parse_error_columns_in_characters),
        cmocka_unit_test(test_parse_error_multiline_equation),
        cmocka_unit_test(test_parse_error_long_token_truncated),
        cmocka_unit_test(test_parse_error_truncation_keeps_utf8),
        cmocka_unit_test(test_parse_error_caret_without_source),
        cmocka_unit_test(test_parse_error_nesting_limit),
        cmocka_unit_test(test_parse_error_without_file_line),
        cmocka_unit_test(test_parse_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
