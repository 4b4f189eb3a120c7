/*
 * text.c - the text index behind near-duplicate checks and theme
 * suggestions: a tokenizer (UTF-8 safe, ASCII folded to lower case, English
 * stop words dropped, a light suffix stemmer), TF-IDF weights with smoothed
 * IDF recomputed lazily after documents are added, sparse document vectors
 * with an inverted index for cosine similarity, and spherical k-means
 * (seeded k-means++, several restarts, fixed seeds) for theme suggestions.
 *
 * Ownership: a MapTextIndex owns its terms (in an arena), its documents'
 * vectors and the postings built from them; nothing it returns borrows from
 * it (suggestions are the caller's, freed with map_theme_suggestions_free).
 *
 * Determinism: terms are numbered in order of first use and every sum runs
 * in a fixed order; clustering walks documents by (id, insertion order), so
 * results never depend on hash order or addresses.
 */
#include "map.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_WORD_MAX 64              /* bytes kept of one word; the rest cut */
#define TEXT_TERMS_MAX (1 << 26)      /* distinct terms in one index */
#define TEXT_FEATURES_MAX 20000       /* terms clustering looks at, by df */
#define TEXT_THEMES_MAX 64            /* k is capped here */
#define TEXT_THEME_TERMS 5            /* top terms kept per suggestion */
#define TEXT_REFINE_PASSES 30         /* first-variation passes per restart */
#define TEXT_KMEANS_ITERS 60          /* Lloyd iterations per restart */
#define TEXT_SEED 0x7465727269746fULL /* "territo": fixed k-means++ seed */

/* ---- stop words and stemming ------------------------------------------ */

/* Sorted (C locale) so bsearch can find a word; apostrophes are dropped
 * before the lookup, so contractions appear without them. */
static const char *const STOP[] = {
    "about",    "above",      "after",   "again",   "against",   "all",
    "already",  "also",       "am",      "an",      "and",       "any",
    "are",      "arent",      "as",      "at",      "be",        "because",
    "been",     "before",     "being",   "below",   "between",   "both",
    "but",      "by",         "can",     "cannot",  "cant",      "could",
    "couldnt",  "did",        "didnt",   "do",      "does",      "doesnt",
    "doing",    "dont",       "down",    "during",  "each",      "either",
    "else",     "etc",        "even",    "ever",    "every",     "few",
    "for",      "from",       "further", "get",     "gets",      "getting",
    "go",       "goes",       "going",   "gone",    "got",       "had",
    "hadnt",    "has",        "hasnt",   "have",    "havent",    "having",
    "he",       "her",        "here",    "hers",    "herself",   "him",
    "himself",  "his",        "how",     "however", "if",        "im",
    "in",       "into",       "is",      "isnt",    "it",        "its",
    "itself",   "ive",        "just",    "let",     "lets",      "made",
    "make",     "makes",      "making",  "many",    "may",       "me",
    "might",    "more",       "most",    "much",    "must",      "my",
    "myself",   "neither",    "no",      "nor",     "not",       "now",
    "of",       "off",        "often",   "on",      "once",      "only",
    "or",       "other",      "our",     "ours",    "ourselves", "out",
    "over",     "own",        "per",     "put",     "puts",      "rather",
    "said",     "same",       "say",     "says",    "shall",     "she",
    "should",   "shouldnt",   "so",      "some",    "still",     "such",
    "than",     "that",       "thats",   "the",     "their",     "theirs",
    "them",     "themselves", "then",    "there",   "theres",    "these",
    "they",     "theyre",     "this",    "those",   "through",   "to",
    "too",      "under",      "until",   "up",      "upon",      "us",
    "very",     "via",        "was",     "wasnt",   "we",        "were",
    "werent",   "weve",       "what",    "when",    "where",     "whether",
    "which",    "while",      "who",     "whom",    "whose",     "why",
    "will",     "with",       "within",  "without", "wont",      "would",
    "wouldnt",  "yet",        "you",     "your",    "youre",     "yours",
    "yourself", "yourselves",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_stop(const char *w)
{
    return bsearch(&w, STOP, sizeof STOP / sizeof STOP[0], sizeof STOP[0],
                   cmp_str) != NULL;
}

static bool ends(const char *w, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(w + n - k, suf, k) == 0;
}

static bool is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static bool has_vowel(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_vowel(w[i]))
            return true;
    return false;
}

/* A light suffix stemmer, conservative on purpose (the goal is to match
 * "rises", "rising" and "rise", not to reach a linguistic root): plurals
 * -ies/-sses/-s, then -ing/-ied/-ed when a vowel is left, a doubled final
 * consonant undone after them ("planned" -> "plan", but not "falling"),
 * and a final -e dropped so "rise" meets "rising". Words shorter than four
 * letters are left alone. Returns the stem's length; w is edited in place
 * and need not be NUL-terminated. */
static size_t stem(char *w, size_t n)
{
    if (n < 4 || (unsigned char)w[n - 1] >= 0x80)
        return n;
    if (n >= 5 && ends(w, n, "ies")) {
        n -= 2;
        w[n - 1] = 'y';
    } else if (ends(w, n, "sses")) {
        n -= 2;
    } else if (w[n - 1] == 's' && !strchr("sui", w[n - 2])) {
        n -= 1;
    }
    bool cut = false;
    if (n >= 6 && ends(w, n, "ing") && has_vowel(w, n - 3)) {
        n -= 3;
        cut = true;
    } else if (n >= 5 && ends(w, n, "ied")) {
        n -= 2;
        w[n - 1] = 'y';
    } else if (n >= 5 && ends(w, n, "ed") && has_vowel(w, n - 2)) {
        n -= 2;
        cut = true;
    }
    if (cut && n >= 4 && w[n - 1] == w[n - 2] && !is_vowel(w[n - 1]) &&
        !strchr("lsz", w[n - 1]) && w[n - 1] >= 'a' && w[n - 1] <= 'z')
        n -= 1;
    if (n >= 4 && w[n - 1] == 'e')
        n -= 1;
    return n;
}

/* ---- tokenizer -------------------------------------------------------- */

/* Code points that separate words: Latin-1 punctuation and symbols, the
 * general punctuation block (curly quotes, dashes, spaces), currency,
 * arrows and mathematical and technical symbols, box drawing and dingbats,
 * CJK and full-width punctuation, emoji, and U+FFFD (what an invalid byte
 * decodes as). Every other non-ASCII character is part of a word. */
static bool is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9');
    if (cp <= 0xBF)
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    if (cp == 0xD7 || cp == 0xF7)
        return false;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x20A0 && cp <= 0x20CF) ||
        (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFE10 && cp <= 0xFE6F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
        (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
        cp == 0xFFFD || cp == 0xFEFF)
        return false;
    return true;
}

static bool is_apostrophe(uint32_t cp)
{
    return cp == '\'' || cp == 0x2019 || cp == 0x2018;
}

/* One code point at s[i] (n bytes in all): its value and length. */
static int decode(const char *s, size_t n, size_t i, uint32_t *cp)
{
    if (i >= n) {
        *cp = 0;
        return 0;
    }
    if ((unsigned char)s[i] < 0x80) {
        *cp = (unsigned char)s[i];
        return 1;
    }
    return str_utf8_decode(s + i, n - i, cp);
}

/* A token: offsets of its stem and its surface form in Scratch.strs. */
typedef struct Tok {
    size_t stem; /* offset of the stem (NUL-terminated) */
    size_t surf; /* offset of the word as written, folded to lower case */
} Tok;

/* What tokenizing one text makes; reused across calls. */
typedef struct Scratch {
    TBuf strs;     /* every token's stem and surface, NUL-terminated */
    VEC(Tok) toks; /* the tokens in text order */
} Scratch;

static void scratch_free(Scratch *sc)
{
    tbuf_free(&sc->strs);
    vec_free(&sc->toks);
}

/* Records a finished word unless it is too short or a stop word. */
static int emit(Scratch *sc, char *word, size_t len, int chars)
{
    if (chars < 2)
        return 0;
    word[len] = 0;
    if (is_stop(word))
        return 0;
    Tok t;
    t.surf = sc->strs.len;
    if (tbuf_append(&sc->strs, word, len + 1))
        return -1;
    size_t sl = stem(word, len);
    t.stem = sc->strs.len;
    if (tbuf_append(&sc->strs, word, sl) || tbuf_putc(&sc->strs, 0))
        return -1;
    return vec_push(&sc->toks, t) ? -1 : 0;
}

/* Splits text (n bytes) into words: runs of ASCII letters and digits and
 * of non-ASCII word characters, folded to lower case. An apostrophe inside
 * a word joins it ("don't" -> "dont"), except a final "'s", which is
 * dropped ("council's" -> "council"). An invalid UTF-8 byte separates
 * words, so every token is valid UTF-8. */
static int tokenize(const char *s, size_t n, Scratch *sc)
{
    char word[TEXT_WORD_MAX + 1];
    size_t wl = 0;
    int chars = 0;
    sc->strs.len = 0;
    sc->toks.len = 0;
    for (size_t i = 0; i <= n;) {
        uint32_t cp = 0;
        int used = decode(s, n, i, &cp);
        bool w = i < n && is_word(cp);
        if (!w && chars > 0 && is_apostrophe(cp)) {
            uint32_t c2, c3;
            size_t j = i + (size_t)used;
            int u2 = decode(s, n, j, &c2);
            if (u2 > 0 && is_word(c2)) {
                decode(s, n, j + (size_t)u2, &c3);
                if ((c2 == 's' || c2 == 'S') &&
                    (j + (size_t)u2 >= n || !is_word(c3)))
                    i = j + (size_t)u2; /* possessive: the word ends */
                else {
                    i = j; /* contraction: the word goes on */
                    continue;
                }
                used = 0;
            }
        }
        if (w) {
            char enc[4];
            int k;
            if (cp < 0x80) {
                enc[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
                k = 1;
            } else {
                k = str_utf8_encode(str_fold_case(cp), enc);
            }
            if (wl + (size_t)k <= TEXT_WORD_MAX) {
                memcpy(word + wl, enc, (size_t)k);
                wl += (size_t)k;
            }
            chars++;
        } else if (chars > 0) {
            if (emit(sc, word, wl, chars))
                return -1;
            wl = 0;
            chars = 0;
        }
        if (i >= n)
            break;
        i += (size_t)used;
    }
    return 0;
}

/* The bytes of text that are indexed: at most MAP_TEXT_DOC_MAX, cut at a
 * character boundary. */
static size_t doc_len(const char *text)
{
    size_t n = strnlen(text, MAP_TEXT_DOC_MAX + 1);
    if (n > MAP_TEXT_DOC_MAX) {
        n = MAP_TEXT_DOC_MAX;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    return n;
}

int map_text_terms(const char *text, TBuf *out)
{
    if (!text || !out)
        return T_EUSAGE;
    Scratch sc = {0};
    int rc = tokenize(text, doc_len(text), &sc) ? T_EINTERNAL : T_OK;
    for (int i = 0; rc == T_OK && i < sc.toks.len; i++)
        if (tbuf_puts(out, sc.strs.data + sc.toks.items[i].stem) ||
            tbuf_putc(out, '\n'))
            rc = T_EINTERNAL;
    scratch_free(&sc);
    return rc;
}

/* ---- the index -------------------------------------------------------- */

typedef struct TextTerm {
    const char *stem; /* in the index's arena */
    int df;           /* documents that contain it */
    double ldf;       /* log(1 + df), for similarity's idf */
    int label;        /* index of its most used surface form, or -1 */
} TextTerm;

typedef struct TextSurface {
    const char *text; /* the word as written (lower case), in the arena */
    int term;         /* the term it stems to */
    long long count;  /* times it occurred */
} TextSurface;

typedef struct TextDoc {
    long long id; /* the caller's id */
    int n;        /* distinct terms */
    int *term;    /* their indices, in stem (byte) order */
    double *tf;   /* 1 + ln(count) of each */
    double *w;    /* unit-length TF-IDF weight of each, when not dirty */
} TextDoc;

typedef struct TextPost {
    int doc;   /* index into docs */
    double tf; /* 1 + ln(count) of the term in it */
} TextPost;

typedef struct TextPostList {
    TextPost *items; /* the documents with the term, by index */
    int len;         /* how many */
    int cap;         /* allocated */
} TextPostList;

struct MapTextIndex {
    Arena arena;            /* stems and surface forms */
    THash term_ix;          /* stem -> index into terms */
    VEC(TextTerm) terms;    /* numbered in order of first use */
    THash surf_ix;          /* surface form -> index into surfs */
    VEC(TextSurface) surfs; /* every surface form seen */
    VEC(TextDoc) docs;      /* in the order added */
    Scratch sc;             /* tokenizer scratch */
    bool dirty;             /* idf, weights and postings are stale */
    double *idf;            /* per term: ln((1 + N) / (1 + df)) + 1 */
    int *pstart;            /* postings: per term, offset into pdoc/pw; +1 */
    int *pdoc;              /* document index of each posting */
    double *pw;             /* the document's weight for the term */
    TextPostList *posts;    /* similarity's postings, per term */
    int nposts;             /* terms posts has room for */
    bool posts_stale;       /* a removal shifted indices: rebuild them */
};

MapTextIndex *map_text_index_new(void)
{
    MapTextIndex *ix = calloc(1, sizeof *ix);
    if (!ix) {
        errno = ENOMEM;
        return NULL;
    }
    arena_init(&ix->arena);
    return ix;
}

static void free_postings(MapTextIndex *ix)
{
    free(ix->idf);
    free(ix->pstart);
    free(ix->pdoc);
    free(ix->pw);
    ix->idf = NULL;
    ix->pstart = ix->pdoc = NULL;
    ix->pw = NULL;
}

static void posts_free(MapTextIndex *ix)
{
    for (int t = 0; t < ix->nposts; t++)
        free(ix->posts[t].items);
    free(ix->posts);
    ix->posts = NULL;
    ix->nposts = 0;
}

/* Room in posts for every term. */
static int posts_cover(MapTextIndex *ix)
{
    if (ix->nposts >= ix->terms.len)
        return 0;
    int n = ix->terms.len + ix->terms.len / 2 + 16;
    TextPostList *p = realloc(ix->posts, sizeof *p * (size_t)n);
    if (!p)
        return -1;
    memset(p + ix->nposts, 0, sizeof *p * (size_t)(n - ix->nposts));
    ix->posts = p;
    ix->nposts = n;
    return 0;
}

/* Adds document d's terms to the postings. */
static int posts_add(MapTextIndex *ix, int d)
{
    if (posts_cover(ix))
        return -1;
    const TextDoc *doc = &ix->docs.items[d];
    for (int r = 0; r < doc->n; r++) {
        TextPostList *pl = &ix->posts[doc->term[r]];
        TextPost p = {d, doc->tf[r]};
        if (vec_push(pl, p))
            return -1;
    }
    return 0;
}

/* Makes the postings again from the documents. */
static int posts_rebuild(MapTextIndex *ix)
{
    for (int t = 0; t < ix->nposts; t++)
        ix->posts[t].len = 0;
    for (int d = 0; d < ix->docs.len; d++)
        if (posts_add(ix, d))
            return -1;
    ix->posts_stale = false;
    return 0;
}

void map_text_index_free(MapTextIndex *ix)
{
    if (!ix)
        return;
    posts_free(ix);
    for (int i = 0; i < ix->docs.len; i++) {
        free(ix->docs.items[i].term);
        free(ix->docs.items[i].tf);
        free(ix->docs.items[i].w);
    }
    vec_free(&ix->docs);
    vec_free(&ix->terms);
    vec_free(&ix->surfs);
    thash_free(&ix->term_ix);
    thash_free(&ix->surf_ix);
    scratch_free(&ix->sc);
    free_postings(ix);
    arena_free(&ix->arena);
    free(ix);
}

/* Index of a stem's term, made when new; -1 when out of memory. */
static int intern_term(MapTextIndex *ix, const char *stem_text)
{
    int t;
    if (thash_get(&ix->term_ix, stem_text, &t))
        return t;
    if (ix->terms.len >= TEXT_TERMS_MAX)
        return -1;
    char *s = arena_strdup(&ix->arena, stem_text);
    TextTerm term = {s, 0, 0.0, -1};
    if (!s || vec_push(&ix->terms, term))
        return -1;
    if (thash_put(&ix->term_ix, s, ix->terms.len - 1)) {
        ix->terms.len--;
        return -1;
    }
    return ix->terms.len - 1;
}

static int count_surface(MapTextIndex *ix, const char *surf, int term)
{
    int k;
    if (thash_get(&ix->surf_ix, surf, &k)) {
        ix->surfs.items[k].count++;
        return 0;
    }
    char *s = arena_strdup(&ix->arena, surf);
    TextSurface sf = {s, term, 1};
    if (!s || vec_push(&ix->surfs, sf))
        return -1;
    if (thash_put(&ix->surf_ix, s, ix->surfs.len - 1)) {
        ix->surfs.len--;
        return -1;
    }
    return 0;
}

/* Tokens ordered by stem text, so equal stems are neighbours. */
static int cmp_tok(const void *a, const void *b, void *strs)
{
    const Tok *x = a, *y = b;
    int c = strcmp((const char *)strs + x->stem, (const char *)strs + y->stem);
    if (c)
        return c;
    return x->surf < y->surf ? -1 : x->surf > y->surf;
}

/* A small insertion-free sort with a context: qsort_r is not in C11, so
 * the tokens are sorted with a merge sort of our own (stable, O(n log n)). */
static void sort_toks(Tok *t, Tok *tmp, int n, const char *strs)
{
    if (n < 2)
        return;
    int h = n / 2;
    sort_toks(t, tmp, h, strs);
    sort_toks(t + h, tmp, n - h, strs);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_tok(&t[j], &t[i], (void *)strs) < 0 ? t[j++] : t[i++];
    while (i < h)
        tmp[k++] = t[i++];
    while (j < n)
        tmp[k++] = t[j++];
    memcpy(t, tmp, sizeof *t * (size_t)n);
}

/* Distinct stems of the scratch's tokens, sorted, with their counts:
 * fills first[] (index of the first token of each run) and returns the
 * number of runs, or -1 when out of memory. */
static int group_tokens(Scratch *sc, int **first)
{
    int n = sc->toks.len;
    *first = malloc(sizeof(int) * (size_t)(n + 1));
    Tok *tmp = malloc(sizeof(Tok) * (size_t)(n + 1));
    if (!*first || !tmp) {
        free(*first);
        free(tmp);
        *first = NULL;
        return -1;
    }
    sort_toks(sc->toks.items, tmp, n, sc->strs.data);
    free(tmp);
    int runs = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(sc->strs.data + sc->toks.items[i].stem,
                             sc->strs.data + sc->toks.items[i - 1].stem))
            (*first)[runs++] = i;
    (*first)[runs] = n;
    return runs;
}

int map_text_index_add(MapTextIndex *ix, long long id, const char *text)
{
    if (!ix || !text) {
        errno = EINVAL;
        return -1;
    }
    if (ix->docs.len >= MAP_TEXT_MAX_DOCS) {
        errno = E2BIG;
        return -1;
    }
    Scratch *sc = &ix->sc;
    int *first = NULL, runs = 0;
    TextDoc doc = {id, 0, NULL, NULL, NULL};
    if (tokenize(text, doc_len(text), sc))
        goto nomem;
    runs = group_tokens(sc, &first);
    if (runs < 0)
        goto nomem;
    doc.n = runs;
    doc.term = malloc(sizeof(int) * (size_t)(runs + 1));
    doc.tf = malloc(sizeof(double) * (size_t)(runs + 1));
    if (!doc.term || !doc.tf)
        goto nomem;
    /* Terms first: a failure here leaves unused terms (df 0), which
     * nothing counts. */
    for (int r = 0; r < runs; r++) {
        const Tok *t = &sc->toks.items[first[r]];
        int term = intern_term(ix, sc->strs.data + t->stem);
        if (term < 0)
            goto nomem;
        doc.term[r] = term;
    }
    /* tf from each run's length. The terms stay in stem order (not term
     * number, which depends on the order documents came in), so every sum
     * over a document runs in the same order whatever that was. */
    for (int r = 0; r < runs; r++)
        doc.tf[r] = (double)(first[r + 1] - first[r]);
    if (vec_push(&ix->docs, doc))
        goto nomem;
    for (int r = 0; r < runs; r++) {
        TextTerm *tt = &ix->terms.items[doc.term[r]];
        tt->df++;
        tt->ldf = log(1.0 + tt->df);
        doc.tf[r] = 1 + log(doc.tf[r]);
    }
    if (!ix->posts_stale && posts_add(ix, ix->docs.len - 1))
        ix->posts_stale = true; /* out of memory: the next query retries */
    /* Surface forms, for naming themes; a failure only loses a label. */
    for (int i = 0; i < sc->toks.len; i++) {
        const Tok *t = &sc->toks.items[i];
        int term;
        if (thash_get(&ix->term_ix, sc->strs.data + t->stem, &term))
            (void)count_surface(ix, sc->strs.data + t->surf, term);
    }
    free(first);
    ix->dirty = true;
    return 0;
nomem:
    free(doc.term);
    free(doc.tf);
    free(first);
    errno = ENOMEM;
    return -1;
}

int map_text_index_remove(MapTextIndex *ix, long long id)
{
    if (!ix) {
        errno = EINVAL;
        return -1;
    }
    int d = 0;
    while (d < ix->docs.len && ix->docs.items[d].id != id)
        d++;
    if (d == ix->docs.len) {
        errno = ENOENT;
        return -1;
    }
    TextDoc *doc = &ix->docs.items[d];
    for (int r = 0; r < doc->n; r++) {
        TextTerm *tt = &ix->terms.items[doc->term[r]];
        tt->df--;
        tt->ldf = log(1.0 + tt->df);
    }
    ix->posts_stale = true;
    free(doc->term);
    free(doc->tf);
    free(doc->w);
    /* the others keep their order: clustering walks them in it */
    memmove(doc, doc + 1, sizeof *doc * (size_t)(ix->docs.len - d - 1));
    ix->docs.len--;
    ix->dirty = true;
    return 0;
}

int map_text_index_count(const MapTextIndex *ix)
{
    return ix ? ix->docs.len : 0;
}

/* Recomputes idf, each document's unit weights and the postings when
 * documents were added or removed since the last time. */
static int refresh(MapTextIndex *ix)
{
    if (!ix->dirty)
        return 0;
    free_postings(ix);
    int nt = ix->terms.len, nd = ix->docs.len;
    ix->idf = malloc(sizeof(double) * (size_t)(nt + 1));
    ix->pstart = calloc((size_t)nt + 2, sizeof(int));
    size_t np = 0;
    for (int d = 0; d < nd; d++)
        np += (size_t)ix->docs.items[d].n;
    if (np > (size_t)1 << 30)
        goto fail;
    ix->pdoc = malloc(sizeof(int) * (np + 1));
    ix->pw = malloc(sizeof(double) * (np + 1));
    if (!ix->idf || !ix->pstart || !ix->pdoc || !ix->pw)
        goto fail;
    for (int t = 0; t < nt; t++)
        ix->idf[t] = log((1.0 + nd) / (1.0 + ix->terms.items[t].df)) + 1.0;
    for (int d = 0; d < nd; d++) {
        TextDoc *doc = &ix->docs.items[d];
        if (!doc->w) {
            doc->w = malloc(sizeof(double) * (size_t)(doc->n + 1));
            if (!doc->w)
                goto fail;
        }
        double norm = 0;
        for (int r = 0; r < doc->n; r++) {
            doc->w[r] = doc->tf[r] * ix->idf[doc->term[r]];
            norm += doc->w[r] * doc->w[r];
        }
        norm = sqrt(norm);
        for (int r = 0; r < doc->n; r++)
            doc->w[r] = norm > 0 ? doc->w[r] / norm : 0;
        for (int r = 0; r < doc->n; r++)
            ix->pstart[doc->term[r] + 2]++;
    }
    for (int t = 0; t < nt; t++)
        ix->pstart[t + 2] += ix->pstart[t + 1];
    for (int d = 0; d < nd; d++) {
        const TextDoc *doc = &ix->docs.items[d];
        for (int r = 0; r < doc->n; r++) {
            int p = ix->pstart[doc->term[r] + 1]++;
            ix->pdoc[p] = d;
            ix->pw[p] = doc->w[r];
        }
    }
    ix->dirty = false;
    return 0;
fail:
    free_postings(ix);
    return -1;
}

/* ---- similarity ------------------------------------------------------- */

typedef struct Cand {
    long long id; /* document id */
    double score; /* cosine */
} Cand;

static int cmp_cand(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Similarity reads its own postings (term -> documents with their tf),
 * kept up to date as documents are added, and weighs only the documents
 * that share a term with the query: idf comes from each term's cached
 * log(1 + df) and the document count, so neither an add nor a query
 * walks every document (a removal shifts the documents' indices, so the
 * postings are rebuilt at the next query). */
int map_text_similar(MapTextIndex *ix, const char *text, long long exclude_id,
                     double min_score, MapSimilar *out, int max)
{
    if (!ix || !text || !out || max <= 0 || ix->docs.len == 0)
        return 0;
    if (isnan(min_score))
        min_score = 0;
    if (ix->posts_stale && posts_rebuild(ix))
        return -1;
    Scratch sc = {0};
    int *first = NULL, *touched = NULL;
    double *acc = NULL, *sq = NULL;
    Cand *cand = NULL;
    int written = -1;
    if (tokenize(text, doc_len(text), &sc))
        goto done;
    int runs = group_tokens(&sc, &first);
    if (runs < 0)
        goto done;
    int nd = ix->docs.len;
    acc = calloc((size_t)nd + 1, sizeof(double));
    sq = calloc((size_t)nd + 1, sizeof(double));
    touched = malloc(sizeof(int) * ((size_t)nd + 1));
    cand = malloc(sizeof(Cand) * ((size_t)nd + 1));
    if (!acc || !sq || !touched || !cand)
        goto done;
    double lnd = log(1.0 + nd);
    int nt = 0;
    /* A word no document has still counts in the query's length, with the
     * idf of a term of df 0: a query of many new words is less similar. */
    double norm = 0;
    for (int r = 0; r < runs; r++) {
        const char *st = sc.strs.data + sc.toks.items[first[r]].stem;
        double tf = 1 + log((double)(first[r + 1] - first[r]));
        int t;
        bool known = thash_get(&ix->term_ix, st, &t) &&
                     ix->terms.items[t].df > 0 && t < ix->nposts;
        double idf = known ? lnd - ix->terms.items[t].ldf + 1.0 : lnd + 1.0;
        double w = tf * idf;
        norm += w * w;
        if (!known)
            continue;
        const TextPostList *pl = &ix->posts[t];
        for (int p = 0; p < pl->len; p++) {
            int d = pl->items[p].doc;
            if (acc[d] == 0) /* every weight is > 0: untouched till now */
                touched[nt++] = d;
            double x = pl->items[p].tf * idf;
            acc[d] += w * x;
            sq[d] += x * x;
        }
    }
    norm = sqrt(norm);
    int nc = 0;
    for (int k = 0; k < nt; k++) {
        const TextDoc *doc = &ix->docs.items[touched[k]];
        /* sq holds the part of the document's length on the query's
         * words, so acc / (sqrt(sq) * norm) bounds its score from above:
         * a document whose bound is under the threshold is passed over
         * without weighing all its words (what matches a common word
         * only) */
        if (min_score > 0 && norm > 0 &&
            acc[touched[k]] / (sqrt(sq[touched[k]]) * norm) <
                min_score * (1 - 1e-9))
            continue;
        double dn = 0;
        for (int r = 0; r < doc->n; r++) {
            double x =
                doc->tf[r] * (lnd - ix->terms.items[doc->term[r]].ldf + 1.0);
            dn += x * x;
        }
        dn = sqrt(dn);
        double s = norm > 0 && dn > 0 ? acc[touched[k]] / (dn * norm) : 0;
        s = s < 0 ? 0 : s > 1 ? 1 : s;
        if (doc->id == exclude_id || !(s >= min_score))
            continue;
        cand[nc++] = (Cand){doc->id, s};
    }
    if (0 >= min_score) /* a threshold of 0 takes the unrelated too */
        for (int d = 0; d < nd; d++)
            if (acc[d] == 0 && ix->docs.items[d].id != exclude_id)
                cand[nc++] = (Cand){ix->docs.items[d].id, 0};
    qsort(cand, (size_t)nc, sizeof *cand, cmp_cand);
    written = nc < max ? nc : max;
    for (int i = 0; i < written; i++)
        out[i] = (MapSimilar){cand[i].id, cand[i].score};
done:
    free(cand);
    free(touched);
    free(sq);
    free(acc);
    free(first);
    scratch_free(&sc);
    return written;
}

/* ---- theme suggestions: spherical k-means ----------------------------- */

/* splitmix64: a fixed, portable pseudo-random sequence for the seeding. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rand_unit(uint64_t *s)
{
    return (double)(next_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The documents as clustering sees them: unit vectors over the selected
 * features (compact indices), in (id, insertion) order. */
typedef struct KDoc {
    int doc;   /* index into ix->docs */
    int n;     /* features present */
    int *f;    /* feature indices */
    double *w; /* unit weights */
} KDoc;

typedef struct KMeans {
    int n;        /* documents */
    int nf;       /* features */
    int k;        /* clusters */
    KDoc *docs;   /* the documents */
    double *cent; /* k x nf centroids, unit length */
    int *assign;  /* cluster of each document */
    double *sim;  /* cosine of each document to its centroid */
    int *size;    /* members per cluster */
    double *sq;   /* per cluster: squared length of its sum vector */
} KMeans;

static double dot(const KDoc *d, const double *c)
{
    double s = 0;
    for (int i = 0; i < d->n; i++)
        s += d->w[i] * c[d->f[i]];
    return s;
}

/* Centroids from the current assignment, each scaled to unit length. */
static void update_centroids(KMeans *km)
{
    memset(km->cent, 0, sizeof(double) * (size_t)km->k * (size_t)km->nf);
    for (int i = 0; i < km->n; i++) {
        double *c = km->cent + (size_t)km->assign[i] * (size_t)km->nf;
        for (int j = 0; j < km->docs[i].n; j++)
            c[km->docs[i].f[j]] += km->docs[i].w[j];
    }
    for (int c = 0; c < km->k; c++) {
        double *v = km->cent + (size_t)c * (size_t)km->nf, norm = 0;
        for (int f = 0; f < km->nf; f++)
            norm += v[f] * v[f];
        norm = sqrt(norm);
        if (norm > 0)
            for (int f = 0; f < km->nf; f++)
                v[f] /= norm;
    }
}

/* Assigns each document to its most similar centroid (ties: the lower
 * cluster); returns how many moved. */
static int assign_all(KMeans *km)
{
    int moved = 0;
    memset(km->size, 0, sizeof(int) * (size_t)km->k);
    for (int i = 0; i < km->n; i++) {
        int best = 0;
        double bs = -1;
        for (int c = 0; c < km->k; c++) {
            double s = dot(&km->docs[i], km->cent + (size_t)c * (size_t)km->nf);
            if (s > bs) {
                bs = s;
                best = c;
            }
        }
        if (best != km->assign[i])
            moved++;
        km->assign[i] = best;
        km->sim[i] = bs;
        km->size[best]++;
    }
    return moved;
}

/* An empty cluster takes the document least like its own centroid, from
 * a cluster that can spare one. */
static bool fill_empty(KMeans *km)
{
    bool changed = false;
    for (int c = 0; c < km->k; c++) {
        if (km->size[c] > 0)
            continue;
        int worst = -1;
        for (int i = 0; i < km->n; i++)
            if (km->size[km->assign[i]] > 1 &&
                (worst < 0 || km->sim[i] < km->sim[worst]))
                worst = i;
        if (worst < 0)
            break;
        km->size[km->assign[worst]]--;
        km->assign[worst] = c;
        km->sim[worst] = 1;
        km->size[c] = 1;
        changed = true;
    }
    return changed;
}

/* k-means++ seeding: the first centre at random, each next one drawn with
 * probability proportional to 1 - cosine to the nearest centre so far. */
static void seed_centres(KMeans *km, uint64_t *rng, double *best)
{
    int first = (int)(next_rand(rng) % (uint64_t)km->n);
    for (int i = 0; i < km->n; i++) {
        km->assign[i] = 0;
        best[i] = -2;
    }
    int centre = first;
    for (int c = 0; c < km->k; c++) {
        double *v = km->cent + (size_t)c * (size_t)km->nf;
        memset(v, 0, sizeof(double) * (size_t)km->nf);
        for (int j = 0; j < km->docs[centre].n; j++)
            v[km->docs[centre].f[j]] = km->docs[centre].w[j];
        double total = 0;
        for (int i = 0; i < km->n; i++) {
            double s = dot(&km->docs[i], v);
            if (s > best[i]) {
                best[i] = s;
                km->assign[i] = c;
            }
            total += 1 - best[i] > 0 ? 1 - best[i] : 0;
        }
        if (c + 1 == km->k)
            break;
        /* The last document with any weight, should rounding carry r
         * past the end. */
        double r = rand_unit(rng) * total;
        centre = -1;
        for (int i = 0; i < km->n && total > 0; i++) {
            double wgt = 1 - best[i] > 0 ? 1 - best[i] : 0;
            if (wgt <= 0)
                continue;
            centre = i;
            if (r < wgt)
                break;
            r -= wgt;
        }
        if (centre < 0) /* every document sits on a centre */
            centre = (first + c + 1) % km->n;
    }
}

/* The sum vectors' squared length, summed in a fixed order. */
static double sq_len(const double *v, int nf)
{
    double s = 0;
    for (int f = 0; f < nf; f++)
        s += v[f] * v[f];
    return s;
}

/* Dhillon's "first variation" for spherical k-means: Lloyd's iterations
 * stop in poor local optima on short sparse texts, so each document in
 * turn moves to the cluster that raises the objective most, sum over
 * clusters of |sum of members|, while any move gains. A document moving
 * from A to B changes it by |s_A - x| - |s_A| + |s_B + x| - |s_B|, and
 * |s + x|^2 = |s|^2 + 2 s.x + 1 for a unit x, so each trial costs one
 * sparse dot product. Leaves cent as the unit centroids and sim set. */
static void refine(KMeans *km)
{
    size_t nf = (size_t)km->nf;
    memset(km->cent, 0, sizeof(double) * (size_t)km->k * nf);
    for (int i = 0; i < km->n; i++) {
        double *c = km->cent + (size_t)km->assign[i] * nf;
        for (int j = 0; j < km->docs[i].n; j++)
            c[km->docs[i].f[j]] += km->docs[i].w[j];
    }
    for (int c = 0; c < km->k; c++)
        km->sq[c] = sq_len(km->cent + (size_t)c * nf, km->nf);
    for (int pass = 0; pass < TEXT_REFINE_PASSES; pass++) {
        bool moved = false;
        for (int i = 0; i < km->n; i++) {
            const KDoc *x = &km->docs[i];
            int a = km->assign[i], to = -1;
            if (km->size[a] < 2)
                continue; /* never empty a cluster */
            double da = dot(x, km->cent + (size_t)a * nf);
            double gain_a =
                sqrt(fmax(0, km->sq[a] - 2 * da + 1)) - sqrt(km->sq[a]);
            double best = 1e-9; /* a move must gain more than rounding */
            double best_dot = 0;
            for (int c = 0; c < km->k; c++) {
                if (c == a)
                    continue;
                double db = dot(x, km->cent + (size_t)c * nf);
                double g =
                    gain_a + sqrt(km->sq[c] + 2 * db + 1) - sqrt(km->sq[c]);
                if (g > best) {
                    best = g;
                    best_dot = db;
                    to = c;
                }
            }
            if (to < 0)
                continue;
            double *sa = km->cent + (size_t)a * nf;
            double *sb = km->cent + (size_t)to * nf;
            for (int j = 0; j < x->n; j++) {
                sa[x->f[j]] -= x->w[j];
                sb[x->f[j]] += x->w[j];
            }
            /* |s - x|^2 and |s + x|^2 from the dots already taken; the
             * exact lengths are recomputed after each pass, so rounding
             * cannot build up. */
            km->sq[a] = fmax(0, km->sq[a] - 2 * da + 1);
            km->sq[to] += 2 * best_dot + 1;
            km->size[a]--;
            km->size[to]++;
            km->assign[i] = to;
            moved = true;
        }
        for (int c = 0; c < km->k; c++)
            km->sq[c] = sq_len(km->cent + (size_t)c * nf, km->nf);
        if (!moved)
            break;
    }
    for (int c = 0; c < km->k; c++) {
        double norm = sqrt(km->sq[c]);
        double *v = km->cent + (size_t)c * nf;
        if (norm > 0)
            for (size_t f = 0; f < nf; f++)
                v[f] /= norm;
    }
    for (int i = 0; i < km->n; i++)
        km->sim[i] = dot(&km->docs[i], km->cent + (size_t)km->assign[i] * nf);
}

/* One restart: seeding, Lloyd iterations until nothing moves, then the
 * first-variation refinement. Returns the objective (sum of cosines to
 * the centroids). */
static double run_kmeans(KMeans *km, uint64_t seed, double *scratch)
{
    uint64_t rng = seed;
    seed_centres(km, &rng, scratch);
    for (int i = 0; i < km->n; i++)
        km->assign[i] = -1;
    for (int it = 0; it < TEXT_KMEANS_ITERS; it++) {
        int moved = assign_all(km);
        bool filled = fill_empty(km);
        if (!moved && !filled && it > 0)
            break;
        update_centroids(km);
    }
    refine(km);
    double obj = 0;
    for (int i = 0; i < km->n; i++)
        obj += km->sim[i];
    return obj;
}

typedef struct DocOrder {
    long long id; /* the document's id */
    int idx;      /* its insertion index */
} DocOrder;

static int cmp_order(const void *a, const void *b)
{
    const DocOrder *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct FeatRank {
    int term; /* term index */
    int df;   /* its document frequency */
} FeatRank;

/* Features by df (most common first), then stem, so the cap keeps the
 * same terms whatever order they were met in. */
static int cmp_feat(const void *a, const void *b, const MapTextIndex *ix)
{
    const FeatRank *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return strcmp(ix->terms.items[x->term].stem, ix->terms.items[y->term].stem);
}

static void sort_feats(FeatRank *f, FeatRank *tmp, int n,
                       const MapTextIndex *ix)
{
    if (n < 2)
        return;
    int h = n / 2;
    sort_feats(f, tmp, h, ix);
    sort_feats(f + h, tmp, n - h, ix);
    int i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_feat(&f[j], &f[i], ix) < 0 ? f[j++] : f[i++];
    while (i < h)
        tmp[k++] = f[i++];
    while (j < n)
        tmp[k++] = f[j++];
    memcpy(f, tmp, sizeof *f * (size_t)n);
}

/* The label of each term: its most used surface form (ties: the first in
 * byte order). */
static void pick_labels(MapTextIndex *ix)
{
    for (int t = 0; t < ix->terms.len; t++)
        ix->terms.items[t].label = -1;
    for (int s = 0; s < ix->surfs.len; s++) {
        const TextSurface *sf = &ix->surfs.items[s];
        TextTerm *t = &ix->terms.items[sf->term];
        if (t->label < 0)
            t->label = s;
        else {
            const TextSurface *cur = &ix->surfs.items[t->label];
            if (sf->count > cur->count ||
                (sf->count == cur->count && strcmp(sf->text, cur->text) < 0))
                t->label = s;
        }
    }
}

static const char *term_label(const MapTextIndex *ix, int t)
{
    int l = ix->terms.items[t].label;
    return l >= 0 ? ix->surfs.items[l].text : ix->terms.items[t].stem;
}

void map_theme_suggestions_free(MapThemeSuggestion *s, int n)
{
    if (!s)
        return;
    for (int i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].items);
        for (int j = 0; j < s[i].nterms; j++)
            free(s[i].terms[j]);
        free(s[i].terms);
    }
    free(s);
}

static char *dup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

typedef struct TermScore {
    int f;        /* feature index */
    double score; /* mean weight inside minus mean weight outside */
    int in;       /* members that contain it */
} TermScore;

/* The suggestion's top terms: the features whose mean weight in the
 * cluster most exceeds their mean weight outside it, preferring terms two
 * or more members share; ties by label. */
static int top_terms(const MapTextIndex *ix, const KMeans *km, const int *feat,
                     int c, TermScore *ts, int *nts)
{
    int nf = km->nf;
    double *in = calloc((size_t)nf + 1, sizeof(double));
    double *out = calloc((size_t)nf + 1, sizeof(double));
    int *cnt = calloc((size_t)nf + 1, sizeof(int));
    if (!in || !out || !cnt) {
        free(in);
        free(out);
        free(cnt);
        return -1;
    }
    int nin = 0;
    for (int i = 0; i < km->n; i++) {
        bool mine = km->assign[i] == c;
        nin += mine;
        for (int j = 0; j < km->docs[i].n; j++) {
            (mine ? in : out)[km->docs[i].f[j]] += km->docs[i].w[j];
            if (mine)
                cnt[km->docs[i].f[j]]++;
        }
    }
    int nout = km->n - nin, need = nin >= 2 ? 2 : 1;
    *nts = 0;
    for (int f = 0; f < nf; f++) {
        if (cnt[f] == 0)
            continue;
        double s = in[f] / nin - (nout ? out[f] / nout : 0);
        if (s <= 0)
            continue;
        TermScore t = {f, s, cnt[f]};
        /* Insert in order: shared terms first, then by score, then label;
         * only the best TEXT_THEME_TERMS are kept. */
        int pos = *nts;
        while (pos > 0) {
            const TermScore *p = &ts[pos - 1];
            bool pa = p->in >= need, ta = t.in >= need;
            bool before = ta != pa ? ta
                          : t.score != p->score
                              ? t.score > p->score
                              : strcmp(term_label(ix, feat[t.f]),
                                       term_label(ix, feat[p->f])) < 0;
            if (!before)
                break;
            pos--;
        }
        if (pos >= TEXT_THEME_TERMS)
            continue;
        int last = *nts < TEXT_THEME_TERMS ? *nts : TEXT_THEME_TERMS - 1;
        memmove(ts + pos + 1, ts + pos, sizeof *ts * (size_t)(last - pos));
        ts[pos] = t;
        if (*nts < TEXT_THEME_TERMS)
            (*nts)++;
    }
    free(in);
    free(out);
    free(cnt);
    return 0;
}

/* A short name from the top terms: "Demand, spending, cost". */
static char *make_name(const MapTextIndex *ix, const int *feat,
                       const TermScore *ts, int nts)
{
    TBuf b = {0};
    if (nts == 0)
        tbuf_puts(&b, "Other items");
    for (int i = 0; i < nts && i < 3; i++) {
        if (i)
            tbuf_puts(&b, ", ");
        tbuf_puts(&b, term_label(ix, feat[ts[i].f]));
    }
    if (!b.data)
        return NULL;
    if (b.data[0] >= 'a' && b.data[0] <= 'z')
        b.data[0] = (char)(b.data[0] - 32);
    return b.data;
}

typedef struct Group {
    int cluster;     /* k-means cluster, or -1 for the empty documents */
    int size;        /* members */
    long long first; /* smallest member id, for ties */
} Group;

static int cmp_group(const void *a, const void *b)
{
    const Group *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

int map_text_suggest_themes(MapTextIndex *ix, int k, MapThemeSuggestion **out)
{
    *out = NULL;
    if (!ix || ix->docs.len == 0)
        return 0;
    if (refresh(ix))
        return -1;
    pick_labels(ix);
    int nd = ix->docs.len, nt = ix->terms.len, result = -1;
    DocOrder *ord = malloc(sizeof *ord * (size_t)nd);
    FeatRank *fr = malloc(sizeof *fr * ((size_t)nt + 1));
    FeatRank *ftmp = malloc(sizeof *ftmp * ((size_t)nt + 1));
    int *fmap = malloc(sizeof(int) * ((size_t)nt + 1));
    int *feat = NULL;
    KMeans km = {0};
    int *best_assign = NULL;
    double *scratch = NULL;
    Group *groups = NULL;
    MapThemeSuggestion *sug = NULL;
    long long *empty_ids = NULL;
    int nempty = 0, nfr = 0, ngroups = 0;
    if (!ord || !fr || !ftmp || !fmap)
        goto done;
    for (int d = 0; d < nd; d++)
        ord[d] = (DocOrder){ix->docs.items[d].id, d};
    qsort(ord, (size_t)nd, sizeof *ord, cmp_order);

    /* Features: terms in two or more documents (a word only one document
     * has cannot pull two together), the most common TEXT_FEATURES_MAX;
     * with too few documents for that, every term. */
    for (int t = 0; t < nt; t++)
        if (ix->terms.items[t].df >= (nd >= 4 ? 2 : 1))
            fr[nfr++] = (FeatRank){t, ix->terms.items[t].df};
    sort_feats(fr, ftmp, nfr, ix);
    if (nfr > TEXT_FEATURES_MAX)
        nfr = TEXT_FEATURES_MAX;
    feat = malloc(sizeof(int) * ((size_t)nfr + 1));
    if (!feat)
        goto done;
    for (int t = 0; t < nt; t++)
        fmap[t] = -1;
    for (int i = 0; i < nfr; i++) {
        feat[i] = fr[i].term;
        fmap[fr[i].term] = i;
    }

    /* Document vectors over the features, renormalised; documents with
     * none of them are set aside and grouped on their own. */
    km.docs = calloc((size_t)nd + 1, sizeof(KDoc));
    empty_ids = malloc(sizeof(long long) * ((size_t)nd + 1));
    if (!km.docs || !empty_ids)
        goto done;
    for (int o = 0; o < nd; o++) {
        const TextDoc *doc = &ix->docs.items[ord[o].idx];
        KDoc *kd = &km.docs[km.n];
        kd->doc = ord[o].idx;
        kd->f = malloc(sizeof(int) * ((size_t)doc->n + 1));
        kd->w = malloc(sizeof(double) * ((size_t)doc->n + 1));
        if (!kd->f || !kd->w) {
            free(kd->f);
            free(kd->w);
            kd->f = NULL;
            kd->w = NULL;
            goto done;
        }
        double norm = 0;
        for (int r = 0; r < doc->n; r++) {
            int f = fmap[doc->term[r]];
            if (f < 0)
                continue;
            kd->f[kd->n] = f;
            kd->w[kd->n] = doc->w[r];
            norm += doc->w[r] * doc->w[r];
            kd->n++;
        }
        if (norm <= 0) {
            free(kd->f);
            free(kd->w);
            kd->f = NULL;
            kd->w = NULL;
            kd->n = 0;
            empty_ids[nempty++] = doc->id;
            continue;
        }
        norm = sqrt(norm);
        for (int j = 0; j < kd->n; j++)
            kd->w[j] /= norm;
        km.n++;
    }

    km.nf = nfr;
    if (k <= 0) {
        k = (int)lround(sqrt(nd / 2.0));
        k = k < 2 ? 2 : k > 12 ? 12 : k;
    }
    if (k > TEXT_THEMES_MAX)
        k = TEXT_THEMES_MAX;
    if (k > km.n)
        k = km.n;
    km.k = k;
    if (km.n > 0) {
        km.cent = malloc(sizeof(double) * (size_t)k * ((size_t)nfr + 1));
        km.assign = malloc(sizeof(int) * (size_t)km.n);
        km.sim = malloc(sizeof(double) * (size_t)km.n);
        km.size = calloc((size_t)k, sizeof(int));
        km.sq = calloc((size_t)k, sizeof(double));
        best_assign = malloc(sizeof(int) * (size_t)km.n);
        scratch = malloc(sizeof(double) * (size_t)km.n);
        if (!km.cent || !km.assign || !km.sim || !km.size || !km.sq ||
            !best_assign || !scratch)
            goto done;
        /* Restarts: many for a workspace-sized list, where they are cheap
         * and a poor seeding shows most; fewer as the list grows. */
        int restarts = km.n <= 500     ? 32
                       : km.n <= 5000  ? 8
                       : km.n <= 20000 ? 4
                                       : 2;
        double best = -1;
        for (int r = 0; r < restarts; r++) {
            double obj = run_kmeans(&km, TEXT_SEED + (uint64_t)r, scratch);
            if (obj > best + 1e-12) {
                best = obj;
                memcpy(best_assign, km.assign, sizeof(int) * (size_t)km.n);
            }
        }
        memcpy(km.assign, best_assign, sizeof(int) * (size_t)km.n);
        memset(km.size, 0, sizeof(int) * (size_t)k);
        for (int i = 0; i < km.n; i++)
            km.size[km.assign[i]]++;
    }

    /* Groups: the non-empty clusters and the set-aside documents, largest
     * first (ties by smallest member id). */
    groups = malloc(sizeof *groups * ((size_t)k + 2));
    if (!groups)
        goto done;
    for (int c = 0; c < k; c++) {
        if (km.size[c] == 0)
            continue;
        long long first = 0;
        bool seen = false;
        for (int i = 0; i < km.n; i++)
            if (km.assign[i] == c) {
                long long id = ix->docs.items[km.docs[i].doc].id;
                if (!seen || id < first)
                    first = id;
                seen = true;
            }
        groups[ngroups++] = (Group){c, km.size[c], first};
    }
    if (nempty > 0)
        groups[ngroups++] = (Group){-1, nempty, empty_ids[0]};
    qsort(groups, (size_t)ngroups, sizeof *groups, cmp_group);

    sug = calloc((size_t)ngroups + 1, sizeof *sug);
    if (!sug)
        goto done;
    for (int g = 0; g < ngroups; g++) {
        MapThemeSuggestion *s = &sug[g];
        int c = groups[g].cluster;
        s->items = malloc(sizeof(long long) * (size_t)groups[g].size);
        if (!s->items)
            goto done;
        if (c < 0) {
            memcpy(s->items, empty_ids, sizeof(long long) * (size_t)nempty);
            s->nitems = nempty;
        } else {
            for (int i = 0; i < km.n; i++)
                if (km.assign[i] == c)
                    s->items[s->nitems++] = ix->docs.items[km.docs[i].doc].id;
        }
        qsort(s->items, (size_t)s->nitems, sizeof(long long), cmp_ll);
        TermScore ts[TEXT_THEME_TERMS];
        int nts = 0;
        if (c >= 0 && top_terms(ix, &km, feat, c, ts, &nts))
            goto done;
        s->terms = calloc((size_t)nts + 1, sizeof(char *));
        s->name = make_name(ix, feat, ts, nts);
        if (!s->terms || !s->name)
            goto done;
        for (int j = 0; j < nts; j++, s->nterms++)
            if (!(s->terms[j] = dup(term_label(ix, feat[ts[j].f]))))
                goto done;
    }
    *out = sug;
    sug = NULL;
    result = ngroups;
done:
    map_theme_suggestions_free(sug, sug ? ngroups : 0); /* calloc'd */
    if (km.docs)
        for (int i = 0; i < nd; i++) {
            free(km.docs[i].f);
            free(km.docs[i].w);
        }
    free(km.docs);
    free(km.cent);
    free(km.assign);
    free(km.sim);
    free(km.size);
    free(km.sq);
    free(best_assign);
    free(scratch);
    free(groups);
    free(empty_ids);
    free(feat);
    free(fmap);
    free(ftmp);
    free(fr);
    free(ord);
    return result;
}
