/*
 * test_graph_read.c - the single-pass map reader (map_graph_from_json)
 * against jansson's tree reader (map_graph_from_json_tree), which it falls
 * back on: for every document, valid or not, the two must give the same
 * result: the same nodes, names and links, or the same messages. Covers
 * escapes, UTF-8, integer ids, names, every polarity form, nested unknown
 * fields, repeated keys, links before items, numbers at the edges, and
 * thousands of random corruptions of a valid document.
 */
#include "unit.h"

#include "map/map.h"

/* Reads text both ways and fails the test where they differ. */
static void same_both_ways(const char *text, size_t len)
{
    TDiags d1 = {0}, d2 = {0};
    MapGraph *g1 = NULL, *g2 = NULL;
    int rc1 = map_graph_from_json(text, len, "t.json", &g1, &d1);
    int rc2 = map_graph_from_json_tree(text, len, "t.json", &g2, &d2);
    TBuf m1 = {0}, m2 = {0};
    diags_format(&d1, &m1);
    diags_format(&d2, &m2);
    if (rc1 != rc2 || strcmp(tbuf_cstr(&m1), tbuf_cstr(&m2)) != 0)
        fail_msg("'%.*s': rc %d '%s' against %d '%s'", (int)len, text, rc1,
                 tbuf_cstr(&m1), rc2, tbuf_cstr(&m2));
    if (rc1 == T_OK) {
        assert_int_equal(g1->nnodes, g2->nnodes);
        assert_int_equal(g1->nlinks, g2->nlinks);
        for (int i = 0; i < g1->nnodes; i++) {
            assert_string_equal(g1->ids[i], g2->ids[i]);
            assert_string_equal(g1->names[i], g2->names[i]);
        }
        for (int i = 0; i < g1->nlinks; i++) {
            assert_int_equal(g1->links[i].from, g2->links[i].from);
            assert_int_equal(g1->links[i].to, g2->links[i].to);
            assert_int_equal(g1->links[i].polarity, g2->links[i].polarity);
            assert_int_equal(g1->links[i].delay, g2->links[i].delay);
        }
    }
    tbuf_free(&m1);
    tbuf_free(&m2);
    map_graph_free(g1);
    map_graph_free(g2);
    diags_free(&d1);
    diags_free(&d2);
}

static void same(const char *text)
{
    same_both_ways(text, strlen(text));
}

static void test_valid_documents(void **state)
{
    (void)state;
    same("{\"items\": [], \"links\": []}");
    same("{\"items\":[{\"id\":\"a\",\"title\":\"A\"},{\"id\":\"b\"}],"
         "\"links\":[{\"from\":\"a\",\"to\":\"b\",\"polarity\":\"+\"},"
         "{\"from\":\"b\",\"to\":\"a\",\"polarity\":\"-\",\"delay\":true}]}");
    /* Integer ids, names, every polarity form, unknown fields. */
    same("{\"version\": 3, \"workspace\": {\"slug\": \"x\", \"tags\": [1, 2.5,"
         " -0, 1e-3, true, null, {\"deep\": [[[]]]}]},\n"
         " \"items\": [{\"id\": 7, \"name\": \"seven\", \"notes\": [\"n\"]},\n"
         "  {\"id\": -3, \"title\": \"minus\", \"name\": 5},\n"
         "  {\"id\": \"x\", \"title\": \"\"}],\n"
         " \"themes\": [],\n"
         " \"links\": [{\"from\": 7, \"to\": -3, \"polarity\": 1},\n"
         "  {\"from\": \"-3\", \"to\": \"7\", \"polarity\": -1},\n"
         "  {\"from\": \"x\", \"to\": 7, \"polarity\": 0, \"delay\": false},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": null},\n"
         "  {\"from\": 7, \"to\": \"x\"},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": \"positive\"},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": \"opposite\"},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": \"\\u2212\"},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": \"\xe2\x88\x92\"},\n"
         "  {\"from\": 7, \"to\": \"x\", \"polarity\": \"?\", \"w\": {}}]}\n");
    /* Escapes and UTF-8 in titles and ids. */
    same("{\"items\": [{\"id\": \"caf\xc3\xa9\", \"title\": \"a \\\"quote\\\""
         " \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \xf0\x9f\x98\x80\"},"
         "{\"id\": \"\\u0041\", \"title\": \"\\u20ac\"}],"
         " \"links\": [{\"from\": \"caf\\u00e9\", \"to\": \"A\"}]}");
}

static void test_invalid_documents(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "[]",
        "{",
        "{\"items\": []}",
        "{\"links\": []}",
        "{\"links\": [], \"items\": []}",
        "{\"items\": [], \"links\": [], \"items\": []}",
        "{\"items\": [{\"id\": \"a\", \"id\": \"b\"}], \"links\": []}",
        "{\"items\": [{\"id\": \"a\"}, {\"id\": \"a\"}], \"links\": []}",
        "{\"items\": [{\"id\": \"\"}], \"links\": []}",
        "{\"items\": [{\"id\": 1.5}], \"links\": []}",
        "{\"items\": [{\"id\": 12345678901234567890}], \"links\": []}",
        "{\"items\": [{\"title\": \"t\"}], \"links\": []}",
        "{\"items\": [{\"id\": \"a\", \"title\": 3}], \"links\": []}",
        "{\"items\": [{\"id\": \"a\", \"name\": 3}], \"links\": []}",
        "{\"items\": [3], \"links\": []}",
        "{\"items\": {}, \"links\": []}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\"}]}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\", "
        "\"to\": \"b\"}]}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\", "
        "\"to\": \"a\", \"polarity\": 2}]}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\", "
        "\"to\": \"a\", \"polarity\": \"up\"}]}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\", "
        "\"to\": \"a\", \"delay\": null}]}",
        "{\"items\": [{\"id\": \"a\"}], \"links\": [{\"from\": \"a\", "
        "\"to\": \"a\", \"delay\": 1}]}",
        "{\"items\": [], \"links\": []} x",
        "{\"items\": [], \"links\": [],}",
        "{\"items\": [,], \"links\": []}",
        "{\"items\": [], \"links\": [], \"x\": 01}",
        "{\"items\": [], \"links\": [], \"x\": 1e999}",
        "{\"items\": [], \"links\": [], \"x\": 1e-999}",
        "{\"items\": [], \"links\": [], \"x\": -}",
        "{\"items\": [], \"links\": [], \"x\": tru}",
        "{\"items\": [], \"links\": [], \"x\": \"\\u0000\"}",
        "{\"items\": [], \"links\": [], \"x\": \"\\ud800\"}",
        "{\"items\": [], \"links\": [], \"x\": \"\\udc00\"}",
        "{\"items\": [], \"links\": [], \"x\": \"\\x\"}",
        "{\"items\": [], \"links\": [], \"x\": \"\xc3\"}",
        "{\"items\": [], \"links\": [], \"x\": \"\xed\xa0\x80\"}",
        "{\"items\": [], \"links\": [], \"x\": \"a\tb\"}",
        "{\"items\": [], \"links\": [], \"x\": {\"k\": 1, \"k\": 2}}",
        "{\"items\": [], \"links\": [], \"\\u0078\": 1, \"x\": 2}",
        "\xef\xbb\xbf{\"items\": [], \"links\": []}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        same(bad[i]);
    /* An id of 255 bytes is fine, 256 is too long. */
    char doc[1024];
    for (int n = 254; n <= 257; n++) {
        char id[260];
        memset(id, 'x', (size_t)n);
        id[n] = 0;
        snprintf(doc, sizeof doc,
                 "{\"items\": [{\"id\": \"%s\"}], \"links\": [{\"from\": "
                 "\"%s\", \"to\": \"%s\"}]}",
                 id, id, id);
        same(doc);
    }
    /* Deep nesting, past the single pass's limit and jansson's. */
    TBuf deep = {0};
    tbuf_puts(&deep, "{\"items\": [], \"links\": [], \"x\": ");
    for (int i = 0; i < 3000; i++)
        tbuf_putc(&deep, '[');
    for (int i = 0; i < 3000; i++)
        tbuf_putc(&deep, ']');
    tbuf_putc(&deep, '}');
    same(tbuf_cstr(&deep));
    tbuf_free(&deep);
}

/* A document like the bench's: a few hundred items and links. */
static void make_doc(TBuf *b, uint64_t seed)
{
    tbuf_puts(b, "{\"items\": [\n");
    int n = 200;
    for (int i = 0; i < n; i++)
        tbuf_printf(b, "{\"id\": \"n%d\", \"title\": \"n%d \\u00e9\"}%s\n", i,
                    i, i + 1 < n ? "," : "");
    tbuf_puts(b, "],\n\"links\": [\n");
    uint64_t x = seed;
    for (int i = 0; i < 300; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int f = (int)((x >> 33) % (uint64_t)n), t = (int)((x >> 13) % 200);
        tbuf_printf(b,
                    "{\"from\": \"n%d\", \"to\": \"n%d\", \"polarity\": "
                    "\"%s\"%s}%s\n",
                    f, t, (x >> 7) & 1 ? "+" : "-",
                    (x >> 9) & 1 ? ", \"delay\": true" : "",
                    i + 1 < 300 ? "," : "");
    }
    tbuf_puts(b, "]}\n");
}

static void test_random_corruptions(void **state)
{
    (void)state;
    TBuf b = {0};
    make_doc(&b, 42);
    same_both_ways(b.data, b.len);
    static const char pick[] = "{}[],:\"\\ 0a-.eu\x80\xc3";
    uint64_t x = 7;
    char *copy = malloc(b.len + 1);
    assert_non_null(copy);
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, b.data, b.len + 1);
        size_t len = b.len;
        int flips = 1 + round % 3;
        for (int k = 0; k < flips; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)((x >> 20) % len);
            copy[at] = pick[(x >> 50) % (sizeof pick - 1)];
        }
        if (round % 10 == 0)
            len = (size_t)((x >> 24) % len); /* cut short */
        same_both_ways(copy, len);
    }
    free(copy);
    tbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_documents),
        cmocka_unit_test(test_invalid_documents),
        cmocka_unit_test(test_random_corruptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
