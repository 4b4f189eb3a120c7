/*
 * test_text_index.c - unit tests of the text index kept up to date
 * (src/map/text.c: map_text_index_remove, and similarity's own postings
 * kept on add): after adds, edits (remove, then add), merges and deletes
 * (removes) and restores (adds again), in a seeded random order, the
 * near-duplicates of many queries are exactly those of an index built
 * afresh from the documents left, and what a threshold keeps is what
 * scoring every document keeps above it; and the edges of remove.
 */
#include "unit.h"

#include <errno.h>
#include <math.h>

#include "map/map.h"

#define NDOCS 240   /* documents the random walk uses */
#define NQUERIES 40 /* queries compared after each step */
#define MAX_HITS 12 /* near-duplicates asked for */
#define MIN_SCORE 0.2

static const char *const WORDS[] = {
    "demand",   "budget", "care",        "housing", "prevention", "staff",
    "locality", "trust",  "referral",    "waiting", "council",    "health",
    "youth",    "data",   "partnership", "culture", "failure",    "value",
    "rising",   "rises",  "the",         "and",     "repairs",    "calls"};
#define NWORDS ((int)(sizeof WORDS / sizeof *WORDS))

/* splitmix64, so the walk is the same on every run */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A text of 2 to 1 + most words from WORDS. */
static void make_text(uint64_t *rng, char *out, size_t cap, int most)
{
    int n = 2 + (int)(next(rng) % (uint64_t)most);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i ? " " : "",
                 WORDS[next(rng) % NWORDS]);
    }
}

typedef struct Docs {
    char text[NDOCS][128]; /* each document's current text */
    bool live[NDOCS];      /* whether it is in the index */
} Docs;

/* The index of the live documents, built afresh in id order. */
static MapTextIndex *fresh(const Docs *d)
{
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    for (int i = 0; i < NDOCS; i++)
        if (d->live[i])
            assert_int_equal(map_text_index_add(ix, i + 1, d->text[i]), 0);
    return ix;
}

/* The kept index answers every query as the fresh one does. */
static void same_answers(MapTextIndex *kept, const Docs *d, uint64_t seed)
{
    MapTextIndex *ref = fresh(d);
    assert_int_equal(map_text_index_count(kept), map_text_index_count(ref));
    uint64_t rng = seed;
    for (int q = 0; q < NQUERIES; q++) {
        char text[256];
        /* long queries too: their common words weigh little */
        make_text(&rng, text, sizeof text, q % 2 ? 6 : 16);
        long long exclude = q % 3 == 0 ? (long long)(next(&rng) % NDOCS) : -1;
        MapSimilar a[MAX_HITS], b[MAX_HITS];
        int na = map_text_similar(kept, text, exclude, MIN_SCORE, a, MAX_HITS);
        int nb = map_text_similar(ref, text, exclude, MIN_SCORE, b, MAX_HITS);
        assert_int_equal(na, nb);
        for (int i = 0; i < na; i++) {
            assert_int_equal(a[i].id, b[i].id);
            assert_true(fabs(a[i].score - b[i].score) < 1e-12);
        }
        /* the threshold passes over documents without weighing them all:
         * what it keeps is what scoring every document (threshold 0,
         * nothing passed over) and cutting at the threshold keeps */
        static MapSimilar all[NDOCS], cut[NDOCS];
        int n0 = map_text_similar(kept, text, exclude, 0, all, NDOCS);
        int nc = map_text_similar(kept, text, exclude, MIN_SCORE, cut, NDOCS);
        int k = 0;
        while (k < n0 && all[k].score >= MIN_SCORE)
            k++;
        assert_int_equal(nc, k);
        for (int i = 0; i < nc; i++) {
            assert_int_equal(cut[i].id, all[i].id);
            assert_true(cut[i].score == all[i].score);
        }
    }
    map_text_index_free(ref);
}

static void test_kept_matches_rebuild(void **state)
{
    static Docs d;
    memset(&d, 0, sizeof d);
    uint64_t rng = 42;
    MapTextIndex *kept = map_text_index_new();
    assert_non_null(kept);
    /* adds */
    for (int i = 0; i < NDOCS / 2; i++) {
        make_text(&rng, d.text[i], sizeof d.text[i], 6);
        d.live[i] = true;
        assert_int_equal(map_text_index_add(kept, i + 1, d.text[i]), 0);
    }
    same_answers(kept, &d, 1);
    /* a random walk of adds, edits, removes and restores, compared after
     * every step */
    for (int step = 0; step < 150; step++) {
        int i = (int)(next(&rng) % NDOCS);
        int op = (int)(next(&rng) % 4);
        if (!d.live[i]) { /* add (new, or restored with its text) */
            if (!d.text[i][0] || op == 0)
                make_text(&rng, d.text[i], sizeof d.text[i], 6);
            assert_int_equal(map_text_index_add(kept, i + 1, d.text[i]), 0);
            d.live[i] = true;
        } else if (op < 2) { /* edit: remove, then add the new text */
            assert_int_equal(map_text_index_remove(kept, i + 1), 0);
            make_text(&rng, d.text[i], sizeof d.text[i], 6);
            assert_int_equal(map_text_index_add(kept, i + 1, d.text[i]), 0);
        } else { /* delete, merge away or hide: remove */
            assert_int_equal(map_text_index_remove(kept, i + 1), 0);
            d.live[i] = false;
        }
        /* queries in between, so the postings are used half-updated */
        if (step % 3 == 0) {
            MapSimilar tmp[2];
            assert_true(map_text_similar(kept, d.text[i], -1, 0.1, tmp, 2) >=
                        0);
        }
        same_answers(kept, &d, 100 + (uint64_t)step);
    }
    map_text_index_free(kept);
}

static void test_remove_edges(void **state)
{
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    errno = 0;
    assert_int_equal(map_text_index_remove(ix, 7), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(map_text_index_remove(NULL, 7), -1);
    assert_int_equal(map_text_index_add(ix, 7, "waiting lists rise"), 0);
    assert_int_equal(map_text_index_add(ix, 8, "waiting lists rising"), 0);
    assert_int_equal(map_text_index_count(ix), 2);
    MapSimilar s[4];
    assert_int_equal(map_text_similar(ix, "waiting lists", -1, 0.1, s, 4), 2);
    assert_int_equal(map_text_index_remove(ix, 7), 0);
    assert_int_equal(map_text_index_count(ix), 1);
    assert_int_equal(map_text_similar(ix, "waiting lists", -1, 0.1, s, 4), 1);
    assert_int_equal(s[0].id, 8);
    /* the last one out: nothing left to find, and no crash */
    assert_int_equal(map_text_index_remove(ix, 8), 0);
    assert_int_equal(map_text_index_count(ix), 0);
    assert_int_equal(map_text_similar(ix, "waiting lists", -1, 0.1, s, 4), 0);
    assert_int_equal(map_text_index_remove(ix, 8), -1);
    /* and it fills again */
    assert_int_equal(map_text_index_add(ix, 9, "housing repairs"), 0);
    assert_int_equal(map_text_similar(ix, "repairs", -1, 0.1, s, 4), 1);
    assert_int_equal(s[0].id, 9);
    map_text_index_free(ix);
}

/* A threshold of 0 lists unrelated documents too (score 0), as before the
 * postings were kept. */
static void test_zero_threshold(void **state)
{
    MapTextIndex *ix = map_text_index_new();
    assert_non_null(ix);
    assert_int_equal(map_text_index_add(ix, 1, "housing repairs"), 0);
    assert_int_equal(map_text_index_add(ix, 2, "youth services"), 0);
    MapSimilar s[4];
    int n = map_text_similar(ix, "repairs", -1, 0, s, 4);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].id, 1);
    assert_true(s[0].score > 0);
    assert_int_equal(s[1].id, 2);
    assert_true(s[1].score == 0);
    map_text_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_matches_rebuild),
        cmocka_unit_test(test_remove_edges),
        cmocka_unit_test(test_zero_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
