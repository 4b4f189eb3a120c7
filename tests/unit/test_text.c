/*
 * test_text.c - unit tests of the text index (src/map/text.c): the
 * tokenizer and stemmer through map_text_terms; near-duplicates (a
 * reworded issue is found, unrelated ones are not, every starter title
 * finds its own item); the API's edges (exclude, max, ties, lazy IDF,
 * caps); and theme suggestions on the starter workspace, scored against
 * its hand-made themes with the adjusted Rand index and compared with the
 * index's distribution under random relabelling (a permutation test).
 */
#include "unit.h"

#include <errno.h>
#include <jansson.h>

#include "map/map.h"

#define STARTER "workspaces/starter.json"
#define API_MIN_SCORE 0.35 /* what GET /similar uses (docs/http-api.md) */

/* ---- helpers ---------------------------------------------------------- */

/* The terms of text, one per line, in a caller's buffer. */
static void terms(const char *text, char *out, size_t n)
{
    TBuf b = {0};
    assert_int_equal(map_text_terms(text, &b), T_OK);
    snprintf(out, n, "%s", tbuf_cstr(&b));
    tbuf_free(&b);
}

#define assert_terms(text, want)                                               \
    do {                                                                       \
        char got_[1024];                                                       \
        terms(text, got_, sizeof got_);                                        \
        assert_string_equal(got_, want);                                       \
    } while (0)

/* The starter workspace's items: id, theme and "title\nbody". */
typedef struct Starter {
    json_t *root;       /* the document */
    int n;              /* items */
    const char **id;    /* item ids */
    const char **theme; /* theme ids */
    const char **title; /* titles */
    char **text;        /* title and body joined */
} Starter;

static void starter_load(Starter *s)
{
    json_error_t je;
    memset(s, 0, sizeof *s);
    s->root = json_load_file(STARTER, 0, &je);
    if (!s->root)
        print_error("%s:%d: %s\n", STARTER, je.line, je.text);
    assert_non_null(s->root);
    json_t *items = json_object_get(s->root, "items");
    s->n = (int)json_array_size(items);
    assert_true(s->n > 0);
    s->id = calloc((size_t)s->n, sizeof *s->id);
    s->theme = calloc((size_t)s->n, sizeof *s->theme);
    s->title = calloc((size_t)s->n, sizeof *s->title);
    s->text = calloc((size_t)s->n, sizeof *s->text);
    assert_true(s->id && s->theme && s->title && s->text);
    for (int i = 0; i < s->n; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        s->id[i] = json_string_value(json_object_get(it, "id"));
        s->theme[i] = json_string_value(json_object_get(it, "theme"));
        s->title[i] = json_string_value(json_object_get(it, "title"));
        const char *body = json_string_value(json_object_get(it, "body"));
        assert_true(s->id[i] && s->theme[i] && s->title[i]);
        TBuf b = {0};
        tbuf_printf(&b, "%s\n%s", s->title[i], body ? body : "");
        s->text[i] = b.data;
    }
}

static void starter_free(Starter *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->text[i]);
    free(s->text);
    free(s->title);
    free(s->theme);
    free(s->id);
    json_decref(s->root);
}

/* An index of the starter items, each under its position as id. */
static MapTextIndex *starter_index(const Starter *s)
{
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    for (int i = 0; i < s->n; i++)
        assert_int_equal(map_text_index_add(ix, i, s->text[i]), 0);
    return ix;
}

static int starter_find(const Starter *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->id[i], id))
            return i;
    fail_msg("no item '%s' in the starter workspace", id);
    return -1;
}

/* ---- tokenizer and stemmer -------------------------------------------- */

static void test_terms_basic(void **state)
{
    (void)state;
    /* Lower case, stop words gone, one-letter words gone. */
    assert_terms("The Demand for SERVICES keeps a rising",
                 "demand\nservic\nkeep\nris\n");
    /* Every form of a word meets its stem. */
    assert_terms("rise rises rising", "ris\nris\nris\n");
    assert_terms("policies policy", "policy\npolicy\n");
    assert_terms("studied study studies", "study\nstudy\nstudy\n");
    assert_terms("planned planning plan", "plan\nplan\nplan\n");
    assert_terms("processes process", "process\nprocess\n");
    /* Conservative: no undoubling of l/s/z, no cut of -us/-is/-ss, short
     * words left alone. */
    assert_terms("falling fall", "fall\nfall\n");
    assert_terms("focus crisis business", "focus\ncrisis\nbusiness\n");
    assert_terms("sing bed red", "sing\nbed\nred\n");
    /* Digits are word characters. */
    assert_terms("21st century 1990s", "21st\ncentury\n1990\n");
}

static void test_terms_punctuation(void **state)
{
    (void)state;
    /* Possessive 's dropped, straight or curly; contractions joined (and
     * then stop words). */
    assert_terms("the council's plan", "council\nplan\n");
    assert_terms("people\xe2\x80\x99s circumstances", "peopl\ncircumstanc\n");
    assert_terms("don't can\xe2\x80\x99t won't", "");
    /* Hyphens, slashes, curly quotes and dashes separate words. */
    assert_terms("community-led \xe2\x80\x98local\xe2\x80\x99 and/or "
                 "care\xe2\x80\x94homes",
                 "community\nled\nlocal\ncar\nhom\n");
    /* Non-ASCII letters are word characters, folded to lower case. */
    assert_terms("Caf\xc3\xa9 \xc3\x89LAN na\xc3\xafve",
                 "caf\xc3\xa9\n\xc3\xa9lan\nna\xc3\xafv\n");
    assert_terms("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
                 "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0\n");
    /* An invalid byte separates words; every term is valid UTF-8. */
    assert_terms("care\xff\xfehomes \xc3", "car\nhom\n");
    assert_terms("", "");
    assert_terms("  ,;: !!! ", "");
}

static void test_terms_caps(void **state)
{
    (void)state;
    /* A long word is cut at TEXT_WORD_MAX (64) bytes, at a character. */
    char word[301];
    memset(word, 'q', 300);
    word[300] = 0;
    char got[1024];
    terms(word, got, sizeof got);
    assert_int_equal(strlen(got), 64 + 1);
    TBuf b = {0};
    for (int i = 0; i < 200; i++)
        tbuf_puts(&b, "\xc3\xa9");
    terms(tbuf_cstr(&b), got, sizeof got);
    tbuf_free(&b);
    assert_int_equal(strlen(got), 64 + 1);
    assert_int_equal(str_utf8_count(got, strlen(got)), 32 + 1);
    assert_int_equal(map_text_terms(NULL, NULL), T_EUSAGE);
}

/* ---- near-duplicates -------------------------------------------------- */

/* A reworded issue is found, and first, among the starter's 54 items (so
 * the IDF is that of a real list); an unrelated one finds nothing. */
static void test_similar_reworded(void **state)
{
    (void)state;
    Starter s;
    starter_load(&s);
    MapTextIndex *ix = starter_index(&s);
    const long long adult = 1000;
    assert_int_equal(
        map_text_index_add(ix, adult,
                           "Demand for adult social care keeps rising"),
        0);
    MapSimilar out[5];
    int n = map_text_similar(ix, "rising demand for adult social care", -1,
                             API_MIN_SCORE, out, 5);
    assert_true(n >= 1);
    assert_int_equal(out[0].id, adult);
    /* Five of its six terms are shared: far above the API's threshold. */
    assert_true(out[0].score >= 0.8);
    /* The starter's "Demand for services keeps rising" shares only
     * "demand", "keeps" and "rising": related, yet not flagged. */
    assert_int_equal(n, 1);

    const char *unrelated[] = {
        "The weather was sunny at the seaside",
        "Install the printer driver on the laptop",
        "Football results from the weekend",
        "Recipe: bake the bread for forty minutes",
    };
    for (size_t i = 0; i < sizeof unrelated / sizeof *unrelated; i++) {
        n = map_text_similar(ix, unrelated[i], -1, API_MIN_SCORE, out, 5);
        if (n)
            print_error("'%s' flagged %lld (%.3f)\n", unrelated[i], out[0].id,
                        out[0].score);
        assert_int_equal(n, 0);
    }
    map_text_index_free(ix);
    starter_free(&s);
}

/* Rewordings of starter titles, typed as a new issue would be, find the
 * item they reword first and above the API's threshold; the last shares
 * only one word with its item, so it need only rank first. */
static void test_similar_paraphrase(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Spending per need is falling", "falling-spend"},
        {"Targets set from the top", "targets"},
        {"More and more demand for services", "rising-demand"},
        {"Officers need to let go of control", "let-it-go"},
        {"Breaking down silos between agencies", "silos"},
        {"Housing is unaffordable and neighbourhoods change", "housing"},
        {"Political and economic uncertainty is increasing", "uncertainty"},
        {"Failure demand from not getting things right the first time",
         "failure-demand"},
        {"Councils outsource work to charities and the private sector",
         "outsourcing"},
        {"Digital systems to cut the cost of contact", "digital"},
        {"Leaders share what they learn", "shared-learning"},
        {"Targets imposed from above", "targets"},
    };
    const size_t ncases = sizeof cases / sizeof *cases;
    Starter s;
    starter_load(&s);
    MapTextIndex *ix = starter_index(&s);
    for (size_t c = 0; c < ncases; c++) {
        MapSimilar out[3];
        double min = c + 1 < ncases ? API_MIN_SCORE : 0.0;
        int n = map_text_similar(ix, cases[c][0], -1, min, out, 3);
        int want = starter_find(&s, cases[c][1]);
        if (n < 1 || out[0].id != want)
            print_error("'%s': got %s (%.3f), want %s\n", cases[c][0],
                        n ? s.id[out[0].id] : "nothing", n ? out[0].score : 0,
                        cases[c][1]);
        assert_true(n >= 1);
        assert_int_equal(out[0].id, want);
    }
    map_text_index_free(ix);
    starter_free(&s);
}

/* Each starter title, as a query, ranks its own item first: the item holds
 * every word of the title, so anything else winning would mean the
 * weighting is wrong. A very generic title can lose to an item that uses
 * its words more, so at least 90% must, not all. */
static void test_similar_titles_find_items(void **state)
{
    (void)state;
    Starter s;
    starter_load(&s);
    MapTextIndex *ix = starter_index(&s);
    int own = 0;
    for (int i = 0; i < s.n; i++) {
        MapSimilar out[1];
        int n = map_text_similar(ix, s.title[i], -1, 0.0, out, 1);
        if (n == 1 && out[0].id == i)
            own++;
        else
            print_error("'%s' ranks '%s' first\n", s.title[i],
                        n ? s.id[out[0].id] : "nothing");
    }
    assert_true(own * 10 >= s.n * 9);
    map_text_index_free(ix);
    starter_free(&s);
}

static void test_similar_api(void **state)
{
    (void)state;
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    MapSimilar out[8];
    /* Empty index, empty query. */
    assert_int_equal(map_text_similar(ix, "care", -1, 0, out, 8), 0);
    assert_int_equal(map_text_index_add(ix, 7, "adult social care homes"), 0);
    assert_int_equal(map_text_index_add(ix, 3, "adult social care homes"), 0);
    assert_int_equal(map_text_index_add(ix, 5, "children's social care"), 0);
    assert_int_equal(map_text_index_add(ix, 9, "potholes in the roads"), 0);
    assert_int_equal(map_text_index_add(ix, 11, "the and of"), 0);
    assert_int_equal(map_text_similar(ix, "", -1, 0.1, out, 8), 0);
    assert_int_equal(map_text_similar(ix, "the of", -1, 0.1, out, 8), 0);
    assert_int_equal(map_text_similar(ix, NULL, -1, 0.1, out, 8), 0);
    assert_int_equal(map_text_similar(ix, "care", -1, 0.1, out, 0), 0);

    /* Identical documents tie, broken by id; the same text scores 1. */
    int n = map_text_similar(ix, "Adult social care homes", -1, 0.1, out, 8);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].id, 3);
    assert_int_equal(out[1].id, 7);
    assert_int_equal(out[2].id, 5);
    assert_close_tol(out[0].score, 1, 1e-12, 1e-12);
    assert_true(out[0].score == out[1].score);
    assert_true(out[2].score > 0.1 && out[2].score < out[1].score);
    /* exclude_id and max. */
    n = map_text_similar(ix, "adult social care homes", 3, 0.1, out, 8);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].id, 7);
    n = map_text_similar(ix, "adult social care homes", -1, 0.1, out, 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].id, 3);
    /* min_score 0 lists every document, the unrelated ones at 0. */
    n = map_text_similar(ix, "adult social care homes", -1, 0, out, 8);
    assert_int_equal(n, 5);
    assert_true(out[3].score == 0 && out[4].score == 0);
    assert_int_equal(out[3].id, 9);
    assert_int_equal(out[4].id, 11);
    /* Words no document has lower the score. */
    MapSimilar more[1];
    assert_int_equal(map_text_similar(ix, "adult social care homes closing", -1,
                                      0.1, more, 1),
                     1);
    assert_true(more[0].score < 1 - 1e-9);

    /* IDF is recomputed after an add: "homes" becomes common, so the
     * children's care item moves closer to the adult care query. */
    double before = -1, after = -1;
    for (int i = 0; i < n; i++)
        if (out[i].id == 5)
            before = out[i].score;
    assert_true(before > 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(map_text_index_add(ix, 100 + i, "homes"), 0);
    n = map_text_similar(ix, "adult social care homes", -1, 0.1, out, 8);
    for (int i = 0; i < n; i++)
        if (out[i].id == 5)
            after = out[i].score;
    assert_true(after > before);

    errno = 0;
    assert_int_equal(map_text_index_add(ix, 1, NULL), -1);
    assert_int_equal(errno, EINVAL);
    map_text_index_free(ix);
    map_text_index_free(NULL);
}

static bool valid_utf8(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += (size_t)str_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD)
            return false;
    }
    return true;
}

/* Only the first MAP_TEXT_DOC_MAX bytes are indexed, cut at a character:
 * a word past the cap is not found, and a cut inside a two-byte character
 * leaves no invalid byte behind. */
static void test_similar_cap(void **state)
{
    (void)state;
    TBuf b = {0};
    tbuf_puts(&b, "x");
    while (b.len < MAP_TEXT_DOC_MAX + 10)
        tbuf_puts(&b, " \xc3\xa9t\xc3\xa9");
    tbuf_puts(&b, " zebra");
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    assert_int_equal(map_text_index_add(ix, 1, tbuf_cstr(&b)), 0);
    MapSimilar out[1];
    assert_int_equal(map_text_similar(ix, "zebra", -1, 0.01, out, 1), 0);
    assert_int_equal(map_text_similar(ix, "\xc3\xa9t\xc3\xa9", -1, 0.5, out, 1),
                     1);
    MapThemeSuggestion *sg = NULL;
    assert_int_equal(map_text_suggest_themes(ix, 0, &sg), 1);
    assert_true(sg[0].nterms >= 1);
    for (int j = 0; j < sg[0].nterms; j++)
        assert_true(valid_utf8(sg[0].terms[j]));
    map_theme_suggestions_free(sg, 1);
    map_text_index_free(ix);
    tbuf_free(&b);
}

/* ---- theme suggestions ------------------------------------------------ */

/* Labels 0..k-1 from strings, in order of first appearance. */
static int label_of(const char **names, int *nnames, const char *s)
{
    for (int i = 0; i < *nnames; i++)
        if (!strcmp(names[i], s))
            return i;
    names[*nnames] = s;
    return (*nnames)++;
}

static double pairs(double n)
{
    return n * (n - 1) / 2;
}

/* Hubert and Arabie's adjusted Rand index of two labellings of n items. */
static double ari(const int *a, const int *b, int n)
{
    enum { MAXL = 80 };
    double ct[MAXL][MAXL] = {{0}}, ra[MAXL] = {0}, rb[MAXL] = {0};
    for (int i = 0; i < n; i++) {
        assert_true(a[i] >= 0 && a[i] < MAXL && b[i] >= 0 && b[i] < MAXL);
        ct[a[i]][b[i]]++;
        ra[a[i]]++;
        rb[b[i]]++;
    }
    double sij = 0, sa = 0, sb = 0;
    for (int i = 0; i < MAXL; i++) {
        sa += pairs(ra[i]);
        sb += pairs(rb[i]);
        for (int j = 0; j < MAXL; j++)
            sij += pairs(ct[i][j]);
    }
    double expect = sa * sb / pairs(n), max = (sa + sb) / 2;
    return (sij - expect) / (max - expect);
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The adjusted Rand index a labelling with the same group sizes reaches
 * by chance at the 99.9th percentile: 10,000 random relabellings (Fisher-
 * Yates with a fixed seed, so the threshold is the same every run). */
static double chance_ari(const int *sugg, const int *hand, int n)
{
    enum { PERMS = 10000 };
    int *p = malloc(sizeof(int) * (size_t)n);
    double *v = malloc(sizeof(double) * PERMS);
    assert_true(p && v);
    memcpy(p, sugg, sizeof(int) * (size_t)n);
    uint64_t seed = 12345;
    for (int r = 0; r < PERMS; r++) {
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(mix(&seed) % (uint64_t)(i + 1));
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        v[r] = ari(p, hand, n);
    }
    qsort(v, PERMS, sizeof *v, cmp_double);
    double q = v[PERMS - PERMS / 1000];
    free(p);
    free(v);
    return q;
}

/* Checks the shape of a suggestion list over ids 0..n-1 (every id once,
 * ids ascending in each group, largest group first, names and at most
 * five terms) and writes each id's group into label[]. */
static void check_suggestions(const MapThemeSuggestion *sg, int ns, int n,
                              int *label)
{
    for (int i = 0; i < n; i++)
        label[i] = -1;
    for (int g = 0; g < ns; g++) {
        assert_non_null(sg[g].name);
        assert_true(sg[g].name[0] != 0);
        assert_true(sg[g].nterms >= 0 && sg[g].nterms <= 5);
        assert_true(sg[g].nitems >= 1);
        if (g > 0)
            assert_true(sg[g].nitems <= sg[g - 1].nitems);
        for (int j = 0; j < sg[g].nitems; j++) {
            long long id = sg[g].items[j];
            assert_true(id >= 0 && id < n);
            assert_int_equal(label[id], -1);
            label[id] = g;
            if (j > 0)
                assert_true(sg[g].items[j - 1] < id);
        }
    }
    for (int i = 0; i < n; i++)
        assert_true(label[i] >= 0);
}

/* The suggestions group the starter items much as its authors did: the
 * adjusted Rand index against the seven hand-made themes must beat what
 * the same group sizes reach by chance at the 99.9th percentile (about
 * 0.1 here), for k = 7 and for the automatic k. Word overlap cannot
 * recover themes made by meaning, so agreement far from 1 is expected;
 * chance level is what the test rules out. */
static void test_themes_starter(void **state)
{
    (void)state;
    Starter s;
    starter_load(&s);
    MapTextIndex *ix = starter_index(&s);
    const char *names[80];
    int nnames = 0;
    int *hand = malloc(sizeof(int) * (size_t)s.n);
    int *sugg = malloc(sizeof(int) * (size_t)s.n);
    assert_true(hand && sugg);
    for (int i = 0; i < s.n; i++)
        hand[i] = label_of(names, &nnames, s.theme[i]);

    int ks[] = {7, 0};
    for (int t = 0; t < 2; t++) {
        MapThemeSuggestion *sg = NULL;
        int ns = map_text_suggest_themes(ix, ks[t], &sg);
        if (ks[t] > 0)
            assert_int_equal(ns, ks[t]);
        else /* about sqrt(n/2), 2..12 */
            assert_int_equal(ns, (int)lround(sqrt(s.n / 2.0)));
        check_suggestions(sg, ns, s.n, sugg);
        double got = ari(sugg, hand, s.n), chance = chance_ari(sugg, hand, s.n);
        print_message("k=%d: %d groups, ARI %.3f (chance 99.9%%: %.3f)\n",
                      ks[t], ns, got, chance);
        for (int g = 0; g < ns; g++) {
            print_message("  %s:", sg[g].name);
            for (int j = 0; j < sg[g].nitems; j++)
                print_message(" %s", s.id[sg[g].items[j]]);
            print_message("\n");
        }
        assert_true(got > chance);
        map_theme_suggestions_free(sg, ns);
    }
    free(hand);
    free(sugg);
    map_text_index_free(ix);
    starter_free(&s);
}

/* The same documents added in another order give the same suggestions. */
static void test_themes_deterministic(void **state)
{
    (void)state;
    Starter s;
    starter_load(&s);
    MapTextIndex *a = starter_index(&s);
    MapTextIndex *b = map_text_index_new();
    assert_non_null(b);
    for (int i = 0; i < s.n; i++) {
        int j = (i * 17 + 5) % s.n; /* 17 is prime to 54: a permutation */
        assert_int_equal(map_text_index_add(b, j, s.text[j]), 0);
    }
    MapThemeSuggestion *sa = NULL, *sb = NULL;
    int na = map_text_suggest_themes(a, 6, &sa);
    int nb = map_text_suggest_themes(b, 6, &sb);
    assert_int_equal(na, 6);
    assert_int_equal(nb, na);
    for (int g = 0; g < na; g++) {
        assert_string_equal(sa[g].name, sb[g].name);
        assert_int_equal(sa[g].nitems, sb[g].nitems);
        assert_memory_equal(sa[g].items, sb[g].items,
                            sizeof(long long) * (size_t)sa[g].nitems);
        assert_int_equal(sa[g].nterms, sb[g].nterms);
        for (int j = 0; j < sa[g].nterms; j++)
            assert_string_equal(sa[g].terms[j], sb[g].terms[j]);
    }
    /* And again from the same index: nothing carried over. */
    MapThemeSuggestion *sc = NULL;
    assert_int_equal(map_text_suggest_themes(a, 6, &sc), na);
    for (int g = 0; g < na; g++)
        assert_string_equal(sa[g].name, sc[g].name);
    map_theme_suggestions_free(sa, na);
    map_theme_suggestions_free(sb, nb);
    map_theme_suggestions_free(sc, na);
    map_text_index_free(a);
    map_text_index_free(b);
    starter_free(&s);
}

/* Clear clusters are found exactly, named from their words, and the
 * edges behave: empty index, one document, k above n, documents with no
 * indexable words. */
static void test_themes_small(void **state)
{
    (void)state;
    MapThemeSuggestion *sg = NULL;
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    assert_int_equal(map_text_suggest_themes(ix, 3, &sg), 0);
    assert_null(sg);

    assert_int_equal(map_text_index_add(ix, 0, "housing costs rising"), 0);
    int n = map_text_suggest_themes(ix, 3, &sg);
    assert_int_equal(n, 1);
    assert_int_equal(sg[0].nitems, 1);
    assert_int_equal(sg[0].items[0], 0);
    map_theme_suggestions_free(sg, n);

    const char *docs[] = {
        "housing costs and rents rising",
        "rents and housing costs",
        "housing shortage, rents too high",
        "bus routes cut",
        "bus timetable and routes",
        "fewer bus routes in villages",
        "and the of",
        "it is what it is",
    };
    for (int i = 1; i < 9; i++)
        assert_int_equal(map_text_index_add(ix, i, docs[i - 1]), 0);
    n = map_text_suggest_themes(ix, 2, &sg);
    assert_int_equal(n, 3); /* two clusters and the wordless pair */
    int label[9];
    check_suggestions(sg, n, 9, label);
    /* Housing: 0..3; buses: 4..6; the stop-word-only documents 7, 8. */
    assert_int_equal(sg[0].nitems, 4);
    assert_int_equal(sg[0].items[0], 0);
    assert_int_equal(sg[0].items[3], 3);
    assert_int_equal(sg[1].nitems, 3);
    assert_int_equal(sg[1].items[0], 4);
    assert_int_equal(sg[2].nitems, 2);
    assert_int_equal(sg[2].items[0], 7);
    assert_int_equal(sg[2].nterms, 0);
    assert_string_equal(sg[2].name, "Other items");
    /* Names come from the shared words, as they were written. */
    assert_true(sg[0].nterms >= 2 && sg[1].nterms >= 2);
    assert_true(!strcmp(sg[0].terms[0], "housing") ||
                !strcmp(sg[0].terms[0], "rents") ||
                !strcmp(sg[0].terms[0], "costs"));
    assert_true(!strcmp(sg[1].terms[0], "bus") ||
                !strcmp(sg[1].terms[0], "routes"));
    /* "Housing, rents, costs": the first term capitalised. */
    for (int g = 0; g < 2; g++) {
        assert_int_equal(sg[g].name[0], sg[g].terms[0][0] - 'a' + 'A');
        assert_true(!strncmp(sg[g].name + 1, sg[g].terms[0] + 1,
                             strlen(sg[g].terms[0]) - 1));
    }
    map_theme_suggestions_free(sg, n);

    /* k above the number of documents: at most one group each. */
    n = map_text_suggest_themes(ix, 50, &sg);
    assert_true(n >= 2 && n <= 7 + 1);
    check_suggestions(sg, n, 9, label);
    map_theme_suggestions_free(sg, n);
    map_theme_suggestions_free(NULL, 0);
    map_text_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_basic),
        cmocka_unit_test(test_terms_punctuation),
        cmocka_unit_test(test_terms_caps),
        cmocka_unit_test(test_similar_reworded),
        cmocka_unit_test(test_similar_paraphrase),
        cmocka_unit_test(test_similar_titles_find_items),
        cmocka_unit_test(test_similar_api),
        cmocka_unit_test(test_similar_cap),
        cmocka_unit_test(test_themes_starter),
        cmocka_unit_test(test_themes_deterministic),
        cmocka_unit_test(test_themes_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
