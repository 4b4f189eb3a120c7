/*
 * test_lex.c - unit tests of the equation lexer: numbers in every form,
 * bare and quoted names with escapes, keywords in any case, operators,
 * { comments } and the errors for an unterminated quote or comment and an
 * unexpected character, with the byte span of each token.
 */
#include "unit.h"

#include "sd/sd_int.h"

/* Lexes text into toks (at most n, ending with TK_EOF or TK_ERROR) and
 * returns how many were written. */
static int lex_all(const char *text, SdTok *toks, int n)
{
    SdLexer lx;
    sd_lex_init(&lx, text, strlen(text));
    int k = 0;
    while (k < n) {
        SdTok t = sd_lex_next(&lx);
        toks[k++] = t;
        if (t == TK_EOF || t == TK_ERROR)
            break;
    }
    return k;
}

#define assert_tokens(text, ...)                                               \
    do {                                                                       \
        static const SdTok want_[] = {__VA_ARGS__};                            \
        SdTok got_[64];                                                        \
        int n_ = lex_all(text, got_, 64);                                      \
        int nw_ = (int)(sizeof want_ / sizeof want_[0]);                       \
        for (int i_ = 0; i_ < n_ && i_ < nw_; i_++)                            \
            if (got_[i_] != want_[i_]) {                                       \
                print_error("token %d of \"%s\": got %s, want %s\n", i_, text, \
                            sd_tok_name(got_[i_]), sd_tok_name(want_[i_]));    \
                fail();                                                        \
            }                                                                  \
        assert_int_equal(n_, nw_);                                             \
    } while (0)

/* The value of a text that is one number token and nothing else. */
static double lex_number(const char *text)
{
    SdLexer lx;
    sd_lex_init(&lx, text, strlen(text));
    if (sd_lex_next(&lx) != TK_NUM)
        return NAN;
    double v = lx.num;
    if (lx.start != 0 || lx.end != strlen(text) || sd_lex_next(&lx) != TK_EOF)
        return NAN;
    return v;
}

static void test_lex_numbers(void **state)
{
    (void)state;
    assert_close(lex_number("0"), 0);
    assert_close(lex_number("42"), 42);
    assert_close(lex_number("3.25"), 3.25);
    assert_close(lex_number(".5"), 0.5);
    assert_close(lex_number("5."), 5);
    assert_close(lex_number("1e-3"), 1e-3);
    assert_close(lex_number("1.5E+2"), 150);
    assert_close(lex_number("2e3"), 2000);
    assert_close(lex_number("6.02E23"), 6.02e23);
    assert_close(lex_number("007"), 7);
}

static void test_lex_number_edges(void **state)
{
    (void)state;
    /* A sign is an operator, not part of the number. */
    assert_tokens("-1", TK_MINUS, TK_NUM, TK_EOF);
    assert_tokens("1-1", TK_NUM, TK_MINUS, TK_NUM, TK_EOF);
    /* An exponent needs digits; without them 'e' starts a name. */
    assert_tokens("1e", TK_NUM, TK_NAME, TK_EOF);
    assert_tokens("2e+x", TK_NUM, TK_NAME, TK_PLUS, TK_NAME, TK_EOF);
    /* A lone dot is not a number. */
    assert_tokens(".", TK_ERROR);
    /* 1e-3x: the number ends before the x. */
    SdLexer lx;
    const char *t = "1e-3x";
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NUM);
    assert_close(lx.num, 1e-3);
    assert_int_equal(lx.end, 4);
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(lx.start, 4);
}

static void test_lex_names(void **state)
{
    (void)state;
    const char *t = "birth_rate  $x Größe _a1";
    SdLexer lx;
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(lx.start, 0);
    assert_int_equal(lx.end, 10);
    assert_false(lx.quoted);
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(lx.start, 12);
    assert_int_equal(lx.end, 14);
    assert_int_equal(sd_lex_next(&lx), TK_NAME); /* UTF-8 letters */
    assert_int_equal(lx.start, 15);
    assert_int_equal(lx.end, 15 + strlen("Größe"));
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(sd_lex_next(&lx), TK_EOF);
    /* A digit cannot start a name. */
    assert_tokens("2abc", TK_NUM, TK_NAME, TK_EOF);
}

static void test_lex_quoted_names(void **state)
{
    (void)state;
    const char *t = "\"Heat Loss\" * \"say \\\"hi\\\"\" + \"back\\\\\"";
    SdLexer lx;
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_true(lx.quoted);
    assert_int_equal(lx.start, 0);
    assert_int_equal(lx.end, 11);
    assert_int_equal(sd_lex_next(&lx), TK_STAR);
    assert_false(lx.quoted);
    /* "say \"hi\"" is one name: the escaped quotes do not end it. */
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_true(lx.quoted);
    assert_int_equal(lx.start, 14);
    assert_int_equal(lx.end, 14 + strlen("\"say \\\"hi\\\"\""));
    assert_int_equal(sd_lex_next(&lx), TK_PLUS);
    /* "back\\": an escaped backslash before the closing quote. */
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_true(lx.quoted);
    assert_int_equal(lx.end, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_EOF);
    /* Keywords inside quotes are names. */
    assert_tokens("\"if\" \"and\"", TK_NAME, TK_NAME, TK_EOF);
}

static void test_lex_keywords_any_case(void **state)
{
    (void)state;
    assert_tokens("if IF If iF", TK_IF, TK_IF, TK_IF, TK_IF, TK_EOF);
    assert_tokens("then THEN else Else", TK_THEN, TK_THEN, TK_ELSE, TK_ELSE,
                  TK_EOF);
    assert_tokens("and AND or Or not NOT mod MoD", TK_AND, TK_AND, TK_OR, TK_OR,
                  TK_NOT, TK_NOT, TK_MOD, TK_MOD, TK_EOF);
    /* Only whole words: these are names. */
    assert_tokens("iff android order nothing modulo", TK_NAME, TK_NAME, TK_NAME,
                  TK_NAME, TK_NAME, TK_EOF);
    assert_tokens("if_then_else", TK_NAME, TK_EOF);
}

static void test_lex_operators(void **state)
{
    (void)state;
    assert_tokens("( ) , [ ] + - * / ^", TK_LP, TK_RP, TK_COMMA, TK_LBRACK,
                  TK_RBRACK, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_CARET,
                  TK_EOF);
    assert_tokens("a<>b", TK_NAME, TK_NE, TK_NAME, TK_EOF);
    assert_tokens("a<=b", TK_NAME, TK_LE, TK_NAME, TK_EOF);
    assert_tokens("a>=b", TK_NAME, TK_GE, TK_NAME, TK_EOF);
    assert_tokens("a<b", TK_NAME, TK_LT, TK_NAME, TK_EOF);
    assert_tokens("a>b", TK_NAME, TK_GT, TK_NAME, TK_EOF);
    assert_tokens("a=b", TK_NAME, TK_EQ, TK_NAME, TK_EOF);
    assert_tokens("a==b", TK_NAME, TK_EQ, TK_NAME, TK_EOF);
    assert_tokens("a!=b", TK_NAME, TK_NE, TK_NAME, TK_EOF);
    assert_tokens("!a", TK_NOT, TK_NAME, TK_EOF);
    assert_tokens("a&&b||c", TK_NAME, TK_AND, TK_NAME, TK_OR, TK_NAME, TK_EOF);
    /* "< =" with a space is two tokens. */
    assert_tokens("a< =b", TK_NAME, TK_LT, TK_EQ, TK_NAME, TK_EOF);
    /* "> <" is not "<>". */
    assert_tokens("><", TK_GT, TK_LT, TK_EOF);

    /* == spans two bytes. */
    SdLexer lx;
    sd_lex_init(&lx, "==", 2);
    assert_int_equal(sd_lex_next(&lx), TK_EQ);
    assert_int_equal(lx.start, 0);
    assert_int_equal(lx.end, 2);
}

static void test_lex_whitespace_and_comments(void **state)
{
    (void)state;
    assert_tokens("", TK_EOF);
    assert_tokens(" \t\r\n\f\v ", TK_EOF);
    assert_tokens("{ a comment }", TK_EOF);
    assert_tokens("a { b * c } + {x}{y} d", TK_NAME, TK_PLUS, TK_NAME, TK_EOF);
    assert_tokens("{multi\nline}\n1", TK_NUM, TK_EOF);

    SdLexer lx;
    const char *t = "{c} 12";
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NUM);
    assert_int_equal(lx.start, 4);
    assert_int_equal(lx.end, 6);
    /* EOF is sticky. */
    assert_int_equal(sd_lex_next(&lx), TK_EOF);
    assert_int_equal(sd_lex_next(&lx), TK_EOF);
}

static void test_lex_errors(void **state)
{
    (void)state;
    SdLexer lx;
    const char *t = "a + \"unterminated";
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NAME);
    assert_int_equal(sd_lex_next(&lx), TK_PLUS);
    assert_int_equal(sd_lex_next(&lx), TK_ERROR);
    assert_string_equal(lx.err, "unterminated quoted name");
    assert_int_equal(lx.start, 4); /* at the opening quote */

    /* An escaped quote at the end does not close the name. */
    t = "\"abc\\\"";
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_ERROR);
    assert_string_equal(lx.err, "unterminated quoted name");

    t = "1 + { never closed";
    sd_lex_init(&lx, t, strlen(t));
    assert_int_equal(sd_lex_next(&lx), TK_NUM);
    assert_int_equal(sd_lex_next(&lx), TK_PLUS);
    assert_int_equal(sd_lex_next(&lx), TK_ERROR);
    assert_string_equal(lx.err, "unterminated comment");
    assert_int_equal(lx.start, 4);

    static const char *bad[] = {"a # b", "a ; b", "a & b",
                                "a | b", "a ? b", "a ~ b", "a % b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sd_lex_init(&lx, bad[i], strlen(bad[i]));
        assert_int_equal(sd_lex_next(&lx), TK_NAME);
        assert_int_equal(sd_lex_next(&lx), TK_ERROR);
        assert_string_equal(lx.err, "unexpected character");
        assert_int_equal(lx.start, 2);
    }
}

static void test_lex_tok_names(void **state)
{
    (void)state;
    assert_string_equal(sd_tok_name(TK_EOF), "end of equation");
    assert_string_equal(sd_tok_name(TK_RP), "')'");
    assert_string_equal(sd_tok_name(TK_NE), "'<>'");
    assert_string_equal(sd_tok_name(TK_GE), "'>='");
    assert_string_equal(sd_tok_name(TK_ELSE), "'else'");
    assert_string_equal(sd_tok_name(TK_ERROR), "invalid token");
    assert_string_equal(sd_tok_name((SdTok)999), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_numbers),
        cmocka_unit_test(test_lex_number_edges),
        cmocka_unit_test(test_lex_names),
        cmocka_unit_test(test_lex_quoted_names),
        cmocka_unit_test(test_lex_keywords_any_case),
        cmocka_unit_test(test_lex_operators),
        cmocka_unit_test(test_lex_whitespace_and_comments),
        cmocka_unit_test(test_lex_errors),
        cmocka_unit_test(test_lex_tok_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
