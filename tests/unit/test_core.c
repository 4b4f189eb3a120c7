/*
 * test_core.c - unit tests of the core layer: arena, TBuf and its caps,
 * diagnostics and their caret display, number parsing, UTF-8 decoding and
 * case folding, edit distance and the string hash table.
 */
#include "unit.h"

#include <errno.h>
#include <unistd.h>

/* ---- arena ------------------------------------------------------------ */

static void test_arena_alloc_zeroed_aligned(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    for (size_t n = 1; n < 200; n += 7) {
        unsigned char *p = arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, n);
    }
    assert_non_null(arena_alloc(&a, 0));
    arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
}

static void test_arena_big_blocks_and_reuse(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    char *small = arena_strdup(&a, "before");
    /* Bigger than a block: must still be usable in full. */
    unsigned char *big = arena_alloc(&a, 200000);
    assert_non_null(big);
    memset(big, 1, 200000);
    char *after = arena_strdup(&a, "after");
    assert_string_equal(small, "before");
    assert_string_equal(after, "after");
    assert_true(a.used >= 200000);
    /* Many small blocks across several arena blocks. */
    for (int i = 0; i < 10000; i++) {
        int *p = arena_alloc(&a, sizeof(int) * 4);
        assert_non_null(p);
        p[3] = i;
    }
    arena_free(&a);
    /* The arena is reusable after arena_free. */
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_free(&a);
}

static void test_arena_strings(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    assert_string_equal(arena_strndup(&a, "", 0), "");
    assert_null(arena_strdup(&a, NULL));
    assert_string_equal(arena_printf(&a, "%s-%d-%.2f", "x", 42, 1.5),
                        "x-42-1.50");
    char longfmt[3000];
    memset(longfmt, 'q', sizeof longfmt - 1);
    longfmt[sizeof longfmt - 1] = 0;
    char *p = arena_printf(&a, "<%s>", longfmt);
    assert_int_equal(strlen(p), sizeof longfmt + 1);
    assert_int_equal(p[0], '<');
    assert_int_equal(p[sizeof longfmt], '>');
    arena_free(&a);
}

/* ---- TBuf ------------------------------------------------------------- */

static void test_tbuf_append_and_printf(void **state)
{
    (void)state;
    TBuf b = {0};
    assert_string_equal(tbuf_cstr(&b), ""); /* never NULL, even empty */
    assert_int_equal(tbuf_puts(&b, "abc"), T_OK);
    assert_int_equal(tbuf_putc(&b, '-'), T_OK);
    assert_int_equal(tbuf_append(&b, "xyz", 2), T_OK);
    assert_int_equal(tbuf_printf(&b, "[%d]", 7), T_OK);
    assert_string_equal(tbuf_cstr(&b), "abc-xy[7]");
    assert_int_equal(b.len, 9);
    /* Growth across many doublings keeps the content. */
    for (int i = 0; i < 5000; i++)
        assert_int_equal(tbuf_printf(&b, "%04d", i % 10000), T_OK);
    assert_int_equal(b.len, 9 + 5000 * 4);
    assert_memory_equal(b.data + 9, "0000000100020003", 16);
    assert_true(b.cap > b.len);
    tbuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    tbuf_free(&b); /* twice is harmless */
}

static void test_tbuf_caps(void **state)
{
    (void)state;
    TBuf b = {0};
    tbuf_puts(&b, "keep");
    /* Past TBUF_MAX the buffer refuses to grow and is left as it was. */
    assert_int_equal(tbuf_reserve(&b, TBUF_MAX), T_EINTERNAL);
    assert_int_equal(tbuf_reserve(&b, TBUF_MAX - 4), T_EINTERNAL);
    assert_int_equal(tbuf_reserve(&b, (size_t)-1), T_EINTERNAL);
    assert_int_equal(tbuf_append(&b, "x", TBUF_MAX), T_EINTERNAL);
    assert_string_equal(tbuf_cstr(&b), "keep");
    assert_int_equal(b.len, 4);
    assert_int_equal(tbuf_reserve(&b, 100), T_OK);
    assert_true(b.cap >= 105);
    tbuf_free(&b);
}

static void test_tbuf_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/territory-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "line one\nline two\n";
    assert_int_equal(write(fd, text, sizeof text - 1),
                     (ssize_t)(sizeof text - 1));
    close(fd);

    TBuf b = {0};
    int rc = tbuf_read_file(&b, path, 1000);
    int rc_small;
    int err_small;
    TBuf s = {0};
    rc_small = tbuf_read_file(&s, path, 5);
    err_small = errno;
    unlink(path);
    TBuf none = {0};
    int rc_none = tbuf_read_file(&none, path, 1000);

    assert_int_equal(rc, T_OK);
    assert_string_equal(tbuf_cstr(&b), text);
    assert_int_equal(rc_small, T_EINPUT); /* over the cap */
    assert_int_equal(err_small, EFBIG);
    assert_int_equal(rc_none, T_EINPUT); /* no such file */
    tbuf_free(&b);
    tbuf_free(&s);
    tbuf_free(&none);

    /* Exactly at the cap is fine; a big file comes back whole. */
    memcpy(path + sizeof path - 7, "XXXXXX", 6);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    static char big[300001];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 23);
    assert_int_equal(write(fd, big, sizeof big - 1),
                     (ssize_t)(sizeof big - 1));
    close(fd);
    TBuf at = {0}, whole = {0}, over = {0};
    int rc_at = tbuf_read_file(&at, path, sizeof big - 1);
    int rc_whole = tbuf_read_file(&whole, path, 1 << 20);
    int rc_over = tbuf_read_file(&over, path, sizeof big - 2);
    unlink(path);
    assert_int_equal(rc_at, T_OK);
    assert_int_equal(rc_whole, T_OK);
    assert_int_equal(rc_over, T_EINPUT);
    assert_int_equal(whole.len, sizeof big - 1);
    assert_memory_equal(whole.data, big, sizeof big - 1);
    assert_int_equal(whole.data[whole.len], 0);
    assert_int_equal(at.len, sizeof big - 1);

    /* A file whose size stat does not tell (procfs) is read to its end. */
    TBuf proc = {0};
    assert_int_equal(tbuf_read_file(&proc, "/proc/self/status", 1 << 20),
                     T_OK);
    assert_non_null(strstr(tbuf_cstr(&proc), "VmRSS"));
    tbuf_free(&at);
    tbuf_free(&whole);
    tbuf_free(&over);
    tbuf_free(&proc);
}

static void test_vec_push(void **state)
{
    (void)state;
    VEC(int) v = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(vec_push(&v, i * 3), 0);
    assert_int_equal(v.len, 1000);
    assert_int_equal(v.items[999], 2997);
    vec_free(&v);
    assert_null(v.items);
    assert_int_equal(v.len, 0);
}

/* ---- diagnostics ------------------------------------------------------ */

static void test_diags_format_caret(void **state)
{
    (void)state;
    TDiags d = {0};
    diags_add(&d, DIAG_ERROR, "m.xmile", 3, 7, "  <eqn>a + * b</eqn>",
              "expected %s, found '%s'", "a number", "*");
    TBuf out = {0};
    assert_int_equal(diags_format(&d, &out), T_OK);
    assert_string_equal(tbuf_cstr(&out),
                        "m.xmile:3:7: expected a number, found '*'\n"
                        "    <eqn>a + * b</eqn>\n"
                        "        ^\n");
    assert_int_equal(d.len, 1);
    assert_int_equal(d.errors, 1);
    tbuf_free(&out);
    diags_free(&d);
    assert_int_equal(d.len, 0);
    assert_null(d.items);
}

static void test_diags_format_tabs_and_utf8(void **state)
{
    (void)state;
    TDiags d = {0};
    /* A tab is kept so the caret lines up; a two-byte character counts as
     * one column. */
    diags_add(&d, DIAG_ERROR, "f", 1, 4, "\té\tab", "here"); /* at a */
    TBuf out = {0};
    diags_format(&d, &out);
    assert_string_equal(tbuf_cstr(&out), "f:1:4: here\n"
                                         "  \té\tab\n"
                                         "  \t \t^\n");
    tbuf_free(&out);
    diags_free(&d);
}

static void test_diags_format_partial_places(void **state)
{
    (void)state;
    TDiags d = {0};
    diags_add(&d, DIAG_ERROR, "f.xmile", 4, 0, NULL, "no column");
    diags_add(&d, DIAG_ERROR, "f.xmile", 0, 0, NULL, "no line");
    diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, "no place");
    diags_add(&d, DIAG_WARNING, "f.xmile", 2, 3, NULL, "careful");
    /* A context with no column shows no caret. */
    diags_add(&d, DIAG_ERROR, "f.xmile", 5, 0, "ctx line", "line only");
    /* Only the first line of a context is shown. */
    diags_add(&d, DIAG_ERROR, "g", 1, 2, "ab\ncd", "two lines");
    TBuf out = {0};
    diags_format(&d, &out);
    assert_string_equal(tbuf_cstr(&out), "f.xmile:4: no column\n"
                                         "f.xmile: no line\n"
                                         "no place\n"
                                         "f.xmile:2:3: warning: careful\n"
                                         "f.xmile:5: line only\n"
                                         "g:1:2: two lines\n"
                                         "  ab\n"
                                         "   ^\n");
    assert_int_equal(d.len, 6);
    assert_int_equal(d.errors, 5); /* the warning is not an error */
    tbuf_free(&out);
    diags_free(&d);
}

static void test_diags_format_long_line_window(void **state)
{
    (void)state;
    /* A long source line is cut to a window around the column, and the
     * caret still sits under the character the column names. */
    char ctx[301];
    for (int i = 0; i < 300; i++)
        ctx[i] = (char)('a' + i % 26);
    ctx[300] = 0;
    ctx[199] = 'X';
    TDiags d = {0};
    diags_add(&d, DIAG_ERROR, "f", 1, 200, ctx, "far");
    diags_add(&d, DIAG_ERROR, "f", 1, 3, ctx, "near");
    TBuf out = {0};
    diags_format(&d, &out);
    diags_free(&d);
    char text[4096];
    snprintf(text, sizeof text, "%s", tbuf_cstr(&out));
    tbuf_free(&out);

    const char *l1 = strchr(text, '\n') + 1; /* context */
    const char *l2 = strchr(l1, '\n') + 1;   /* caret */
    const char *l3 = strchr(l2, '\n') + 1;   /* second message */
    assert_memory_equal(text, "f:1:200: far\n", 13);
    assert_memory_equal(l1, "  ...", 5); /* cut on the left */
    assert_true(l2 - l1 < 200);          /* and short */
    const char *hat = strchr(l2, '^');
    assert_true(hat < l3);
    assert_int_equal(l1[hat - l2], 'X');
    /* Near the start: not cut on the left, cut on the right. */
    assert_memory_equal(l3, "f:1:3: near\n  abcdef", 20);
    const char *l4 = strchr(l3, '\n') + 1;
    const char *l5 = strchr(l4, '\n') + 1;
    assert_memory_equal(l5 - 4, "...\n", 4);
    assert_string_equal(l5, "    ^\n");
}

static void test_diags_cap(void **state)
{
    (void)state;
    TDiags d = {0};
    for (int i = 0; i < DIAGS_MAX + 5; i++)
        diags_add(&d, DIAG_ERROR, NULL, i + 1, 0, NULL, "error %d", i);
    assert_int_equal(d.len, DIAGS_MAX);
    assert_int_equal(d.errors, DIAGS_MAX + 5); /* still counted */
    assert_string_equal(d.items[DIAGS_MAX - 1].message, "error 999");
    diags_free(&d);
}

/* ---- numbers ---------------------------------------------------------- */

static void test_str_to_double(void **state)
{
    (void)state;
    double v = -1;
    assert_true(str_to_double("1.5", &v));
    assert_close(v, 1.5);
    assert_true(str_to_double("  -2e-3  ", &v));
    assert_close(v, -2e-3);
    assert_true(str_to_double(".25", &v));
    assert_close(v, 0.25);
    assert_true(str_to_double("1E+2\n", &v));
    assert_close(v, 100);
    assert_true(str_to_double("\t7", &v));
    assert_close(v, 7);

    v = 42;
    assert_false(str_to_double("", &v));
    assert_false(str_to_double("   ", &v));
    assert_false(str_to_double(NULL, &v));
    assert_false(str_to_double("abc", &v));
    assert_false(str_to_double("1.5x", &v));
    assert_false(str_to_double("1.5 2", &v));
    assert_false(str_to_double("1,5", &v));
    assert_false(str_to_double("--1", &v));
    assert_close(v, 42); /* untouched on failure */
}

static void test_str_to_int(void **state)
{
    (void)state;
    long v = -1;
    assert_true(str_to_int("42", 0, 100, &v));
    assert_int_equal(v, 42);
    assert_true(str_to_int(" -7 ", -10, 10, &v));
    assert_int_equal(v, -7);
    assert_true(str_to_int("100", 0, 100, &v)); /* bounds inclusive */
    assert_int_equal(v, 100);

    v = 5;
    assert_false(str_to_int("101", 0, 100, &v));
    assert_false(str_to_int("-1", 0, 100, &v));
    assert_false(str_to_int("", 0, 100, &v));
    assert_false(str_to_int(NULL, 0, 100, &v));
    assert_false(str_to_int("12abc", 0, 100, &v));
    assert_false(str_to_int("1.5", 0, 100, &v));
    assert_false(str_to_int("x1", 0, 100, &v));
    assert_false(str_to_int("99999999999999999999999", 0, 100, &v));
    assert_int_equal(v, 5);
}

/* ---- UTF-8 and case folding ------------------------------------------- */

static void test_utf8_decode(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(str_utf8_decode("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(str_utf8_decode("\xC3\xA9", 2, &cp), 2); /* é */
    assert_int_equal(cp, 0xE9);
    assert_int_equal(str_utf8_decode("\xE2\x82\xAC", 3, &cp), 3); /* € */
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(str_utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(str_utf8_decode("", 0, &cp), 0);

    /* Invalid input decodes one byte at a time as U+FFFD. */
    static const char *bad[] = {
        "\xFF",             /* never valid */
        "\x80",             /* continuation byte alone */
        "\xC0\x80",         /* overlong NUL */
        "\xE0\x80\xAF",     /* overlong '/' */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xC3(",            /* bad continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cp = 0;
        assert_int_equal(str_utf8_decode(bad[i], strlen(bad[i]), &cp), 1);
        assert_int_equal(cp, 0xFFFD);
    }
    /* Truncated: the length given is shorter than the sequence. */
    assert_int_equal(str_utf8_decode("\xE2\x82\xAC", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
}

static void test_utf8_encode_roundtrip(void **state)
{
    (void)state;
    static const uint32_t cps[] = {0x24,    0x7F,    0x80,    0xE9,
                                   0x7FF,   0x800,   0x20AC,  0xFFFF,
                                   0x10000, 0x1F600, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        int n = str_utf8_encode(cps[i], buf);
        uint32_t back;
        assert_int_equal(str_utf8_decode(buf, (size_t)n, &back), n);
        assert_int_equal(back, cps[i]);
    }
}

static void test_utf8_count(void **state)
{
    (void)state;
    assert_int_equal(str_utf8_count("abc", 3), 3);
    assert_int_equal(str_utf8_count("h\xC3\xA9llo", 6), 5);
    assert_int_equal(str_utf8_count("\xE2\x82\xAC\xF0\x9F\x98\x80", 7), 2);
    assert_int_equal(str_utf8_count("\xFF\xFE", 2), 2);
    assert_int_equal(str_utf8_count("", 0), 0);
}

static void test_fold_case(void **state)
{
    (void)state;
    /* ASCII */
    assert_int_equal(str_fold_case('A'), 'a');
    assert_int_equal(str_fold_case('Z'), 'z');
    assert_int_equal(str_fold_case('a'), 'a');
    assert_int_equal(str_fold_case('_'), '_');
    assert_int_equal(str_fold_case('@'), '@');
    assert_int_equal(str_fold_case('['), '[');
    /* Latin-1 */
    assert_int_equal(str_fold_case(0xC0), 0xE0); /* À */
    assert_int_equal(str_fold_case(0xC9), 0xE9); /* É */
    assert_int_equal(str_fold_case(0xD6), 0xF6); /* Ö */
    assert_int_equal(str_fold_case(0xD8), 0xF8); /* Ø */
    assert_int_equal(str_fold_case(0xDE), 0xFE); /* Þ */
    assert_int_equal(str_fold_case(0xD7), 0xD7); /* × is not a letter */
    assert_int_equal(str_fold_case(0xF7), 0xF7); /* ÷ */
    assert_int_equal(str_fold_case(0xDF), 0xDF); /* ß has no capital here */
    assert_int_equal(str_fold_case(0xE9), 0xE9);
    assert_int_equal(str_fold_case(0xB5), 0xB5);
    /* Latin Extended-A */
    assert_int_equal(str_fold_case(0x100), 0x101); /* Ā */
    assert_int_equal(str_fold_case(0x101), 0x101);
    assert_int_equal(str_fold_case(0x141), 0x142); /* Ł */
    assert_int_equal(str_fold_case(0x142), 0x142);
    assert_int_equal(str_fold_case(0x152), 0x153); /* Œ */
    assert_int_equal(str_fold_case(0x17D), 0x17E); /* Ž */
    assert_int_equal(str_fold_case(0x17E), 0x17E);
    /* Greek */
    assert_int_equal(str_fold_case(0x391), 0x3B1); /* Α */
    assert_int_equal(str_fold_case(0x3A3), 0x3C3); /* Σ */
    assert_int_equal(str_fold_case(0x3A9), 0x3C9); /* Ω */
    assert_int_equal(str_fold_case(0x3C9), 0x3C9);
    /* Cyrillic */
    assert_int_equal(str_fold_case(0x410), 0x430); /* А */
    assert_int_equal(str_fold_case(0x416), 0x436); /* Ж */
    assert_int_equal(str_fold_case(0x42F), 0x44F); /* Я */
    assert_int_equal(str_fold_case(0x401), 0x451); /* Ё */
    assert_int_equal(str_fold_case(0x406), 0x456); /* І */
    assert_int_equal(str_fold_case(0x436), 0x436);
    /* Outside the folded scripts: unchanged */
    assert_int_equal(str_fold_case(0x20AC), 0x20AC);
    assert_int_equal(str_fold_case(0x4E2D), 0x4E2D);
}

static void test_fold_case_y_diaeresis(void **state)
{
    (void)state;
    assert_int_equal(str_fold_case(0x178), 0xFF);
}

static void test_fold_case_greek_tonos(void **state)
{
    (void)state;
    assert_int_equal(str_fold_case(0x386), 0x3AC); /* Ά */
    assert_int_equal(str_fold_case(0x388), 0x3AD); /* Έ */
    assert_int_equal(str_fold_case(0x38C), 0x3CC); /* Ό */
    assert_int_equal(str_fold_case(0x38F), 0x3CE); /* Ώ */
}

/* ---- edit distance ---------------------------------------------------- */

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(str_edit_distance("kitten", "sitting", 5), 3);
    assert_int_equal(str_edit_distance("abc", "abc", 0), 0);
    assert_int_equal(str_edit_distance("", "abc", 5), 3);
    assert_int_equal(str_edit_distance("abc", "", 5), 3);
    assert_int_equal(str_edit_distance("birth_rate", "brith_rate", 3), 2);
    assert_int_equal(str_edit_distance("flaw", "lawn", 3), 2);
    assert_int_equal(str_edit_distance("smoth1", "smth1", 2), 1);
    /* Capped at max + 1, whether by length or by content. */
    assert_int_equal(str_edit_distance("abc", "xyz", 1), 2);
    assert_int_equal(str_edit_distance("a", "abcdefgh", 2), 3);
    assert_int_equal(str_edit_distance("kitten", "sitting", 2), 3);
    /* Symmetric. */
    assert_int_equal(str_edit_distance("sitting", "kitten", 5), 3);
}

/* ---- hash ------------------------------------------------------------- */

static void test_hash_put_get(void **state)
{
    (void)state;
    THash h = {0};
    int v = -1;
    assert_false(thash_get(&h, "missing", &v)); /* empty table */
    assert_int_equal(thash_put(&h, "alpha", 1), T_OK);
    assert_int_equal(thash_put(&h, "beta", 2), T_OK);
    assert_true(thash_get(&h, "alpha", &v));
    assert_int_equal(v, 1);
    assert_true(thash_get(&h, "beta", NULL)); /* value pointer optional */
    assert_false(thash_get(&h, "gamma", &v));
    assert_false(thash_get(&h, "Alpha", &v));           /* keys are exact */
    assert_int_equal(thash_put(&h, "alpha", 10), T_OK); /* replaces */
    assert_true(thash_get(&h, "alpha", &v));
    assert_int_equal(v, 10);
    assert_int_equal(h.len, 2);
    thash_free(&h);
    assert_int_equal(h.len, 0);
    assert_false(thash_get(&h, "alpha", &v));
}

static void test_hash_grows(void **state)
{
    (void)state;
    enum { N = 5000 };
    char(*keys)[16] = malloc(sizeof(*keys) * N);
    assert_non_null(keys);
    THash h = {0};
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "key%d", i);
        assert_int_equal(thash_put(&h, keys[i], i * 2), T_OK);
    }
    assert_int_equal(h.len, N);
    assert_true(h.cap >= N);
    assert_int_equal(h.cap & (h.cap - 1), 0); /* power of two */
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int v;
        if (!thash_get(&h, keys[i], &v) || v != i * 2)
            bad++;
    }
    assert_false(thash_get(&h, "key5000", NULL));
    thash_free(&h);
    free(keys);
    assert_int_equal(bad, 0);
}

static void test_hash_str(void **state)
{
    (void)state;
    /* FNV-1a: the empty string hashes to the offset basis. */
    assert_int_equal(thash_str(""), 2166136261u);
    assert_int_equal(thash_str("a"), 0xe40c292cu);
    assert_true(thash_str("ab") != thash_str("ba"));
}

static void test_xml_escape(void **state)
{
    (void)state;
    TBuf b = {0};
    assert_int_equal(
        tbuf_put_xml_escaped(&b, "<img src=x onerror=\"alert(1)\">&'\x01\tok"),
        T_OK);
    assert_string_equal(tbuf_cstr(&b), "&lt;img src=x onerror=&quot;alert(1)"
                                       "&quot;&gt;&amp;&#39;\tok");
    tbuf_free(&b);
}

/* Decodes standard base64 (no line breaks) into out; returns its length,
 * or -1 on a character outside the alphabet. */
static int b64_decode(const char *s, size_t n, char *out)
{
    static const char *alpha =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int len = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *p = strchr(alpha, s[i]);
        if (!p || !s[i])
            return -1;
        v = (v << 6) | (unsigned)(p - alpha);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (char)((v >> bits) & 0xff);
        }
    }
    out[len] = 0;
    return len;
}

/* Joins the base64 lines of the part whose Content-Type line names type,
 * and decodes them. */
static void mail_part(const char *msg, const char *type, char *out)
{
    const char *p = strstr(msg, type);
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    char joined[4096];
    size_t n = 0;
    while (*p && *p != '\r' && strncmp(p, "\r\n--", 4)) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        memcpy(joined + n, p, (size_t)(e - p));
        n += (size_t)(e - p);
        p = e + 2;
        if (!strncmp(p, "\r\n", 2) || !strncmp(p, "--", 2))
            break;
    }
    assert_true(b64_decode(joined, n, out) >= 0);
}

static void test_mail_write(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    memcpy(text, "Caf\xc3\xa9 ", 6);
    TMail m = {
        .from_name = "Territory",
        .from_addr = "territory@example.org",
        .to_name = "Zo\xc3\xab \"Q\" Smith",
        .to_addr = "zoe@example.org",
        .subject = "What changed in \xe2\x80\x9cReform\xe2\x80\x9d\r\nBcc: x",
        .text = text,
        .html = "<p>&lt;img src=x&gt;</p>",
        .date = 1795000000,
        .id_seed = "ws1/user2",
    };
    TBuf b = {0};
    assert_int_equal(mail_write(&m, &b), T_OK);
    const char *msg = tbuf_cstr(&b);
    /* Headers: no raw line break from the subject, encoded non-ASCII. */
    assert_non_null(strstr(msg, "From: \"Territory\" <territory@example.org>"
                                "\r\n"));
    assert_non_null(strstr(msg, "To: =?UTF-8?B?"));
    assert_null(strstr(msg, "\r\nBcc:"));
    assert_non_null(strstr(msg, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(msg, "Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"));
    assert_non_null(strstr(msg, "MIME-Version: 1.0\r\n"));
    /* Every line is short and ends in CRLF. */
    for (const char *p = msg; *p;) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        assert_true(e - p <= 78);
        assert_null(memchr(p, '\n', (size_t)(e - p)));
        p = e + 2;
    }
    char out[4096];
    mail_part(msg, "Content-Type: text/plain", out);
    assert_string_equal(out, text);
    mail_part(msg, "Content-Type: text/html", out);
    assert_string_equal(out, "<p>&lt;img src=x&gt;</p>");
    /* The same message written twice is the same bytes. */
    TBuf b2 = {0};
    assert_int_equal(mail_write(&m, &b2), T_OK);
    assert_string_equal(tbuf_cstr(&b2), msg);
    tbuf_free(&b2);
    tbuf_free(&b);

    const char *bad[] = {"no-at", "a@b@c", "a b@c", "x@y>\r\nBcc: z@q",
                         "",      "@x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        TMail mb = m;
        mb.to_addr = bad[i];
        TBuf bb = {0};
        assert_int_equal(mail_write(&mb, &bb), T_EINPUT);
        tbuf_free(&bb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc_zeroed_aligned),
        cmocka_unit_test(test_arena_big_blocks_and_reuse),
        cmocka_unit_test(test_arena_strings),
        cmocka_unit_test(test_tbuf_append_and_printf),
        cmocka_unit_test(test_tbuf_caps),
        cmocka_unit_test(test_tbuf_read_file),
        cmocka_unit_test(test_vec_push),
        cmocka_unit_test(test_diags_format_caret),
        cmocka_unit_test(test_diags_format_tabs_and_utf8),
        cmocka_unit_test(test_diags_format_partial_places),
        cmocka_unit_test(test_diags_format_long_line_window),
        cmocka_unit_test(test_diags_cap),
        cmocka_unit_test(test_str_to_double),
        cmocka_unit_test(test_str_to_int),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_encode_roundtrip),
        cmocka_unit_test(test_utf8_count),
        cmocka_unit_test(test_fold_case),
        cmocka_unit_test(test_fold_case_y_diaeresis),
        cmocka_unit_test(test_fold_case_greek_tonos),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_hash_put_get),
        cmocka_unit_test(test_hash_grows),
        cmocka_unit_test(test_hash_str),
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_mail_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
