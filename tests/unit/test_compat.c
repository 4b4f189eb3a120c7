/*
 * test_compat.c - keeps docs/compatibility.md true. Its table of builtins
 * lists each function with its status per format; this test reads the
 * table and fails when
 *   - a function listed as supported ("yes" in a column) is exercised by
 *     no test: no call of it in the unit tests, the CLI tests, the model
 *     library or the golden models (a bare name for TIME, DT, PI ...);
 *   - a function the engine knows (the compiler's table and the array
 *     functions) is missing from the table.
 * A self-test first checks the checker: a made-up function listed as
 * supported must be reported, and a real one must not.
 *
 * Run from the repository root (make check does); the golden models are
 * read from $TERRITORY_TEST_MODELS or ../shared/test-models when there.
 */
#include "unit.h"

#include <dirent.h>
#include <sys/stat.h>

#include "sd/sd_int.h"

#define COMPAT_DOC "docs/compatibility.md"
#define COMPAT_MODELS "../shared/test-models"
#define COMPAT_MAX_FILE (64u << 20)
#define COMPAT_DEPTH 12

/* One function of the table. */
typedef struct Fn {
    char name[96];  /* canonical: lower case, blanks as '_' */
    char shown[96]; /* as the table writes it */
    bool supported; /* "yes" in the XMILE or the Vensim column */
    int line;       /* of the table */
} Fn;

typedef VEC(Fn) FnList;

/* Lower case, every run of blanks and '_' as one '_'. */
static void canon(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    bool sep = false;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        char c = s[i];
        if (c == ' ' || c == '_' || c == '\t' || c == '\n' || c == '\r') {
            sep = k > 0;
            continue;
        }
        if (sep)
            out[k++] = '_';
        sep = false;
        out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[k] = 0;
}

/* Reads the rows of the table under "## Builtins": each `name` in the
 * first cell (arguments dropped) is a function; supported when the second
 * or third cell begins with "yes". */
static void read_table(const char *doc, FnList *out)
{
    const char *p = strstr(doc, "\n## Builtins");
    int line = 1;
    for (const char *q = doc; p && q < p; q++)
        line += *q == '\n';
    while (p && *p) {
        const char *eol = strchr(p + 1, '\n');
        if (!eol)
            eol = p + strlen(p);
        const char *l = p + 1;
        line++;
        if (l[0] == '#' && l[1] == '#' && l[2] == ' ' &&
            strncmp(l, "## Builtins", 11) != 0)
            break; /* the next section */
        if (*l == '|' && strncmp(l, "|---", 4) != 0) {
            /* the cells */
            const char *cell[4] = {0};
            size_t len[4] = {0};
            const char *c = l + 1;
            for (int i = 0; i < 4 && c < eol; i++) {
                const char *e = memchr(c, '|', (size_t)(eol - c));
                if (!e)
                    e = eol;
                cell[i] = c;
                len[i] = (size_t)(e - c);
                c = e + 1;
            }
            bool yes = false;
            for (int i = 1; i < 3; i++) {
                const char *t = cell[i];
                size_t n = len[i];
                while (t && n && *t == ' ')
                    t++, n--;
                yes = yes || (t && n >= 3 && !strncmp(t, "yes", 3));
            }
            for (const char *b = cell[0]; b && b < cell[0] + len[0]; b++) {
                if (*b != '`')
                    continue;
                const char *e =
                    memchr(b + 1, '`', (size_t)(cell[0] + len[0] - b - 1));
                if (!e)
                    break;
                size_t n = (size_t)(e - b - 1);
                const char *paren = memchr(b + 1, '(', n);
                if (paren)
                    n = (size_t)(paren - b - 1);
                Fn f = {.supported = yes, .line = line};
                snprintf(f.shown, sizeof f.shown, "%.*s", (int)n, b + 1);
                canon(b + 1, n, f.name, sizeof f.name);
                if (f.name[0] && strcmp(f.name, "...") != 0)
                    vec_push(out, f);
                b = e;
            }
        }
        p = *eol ? eol : NULL;
    }
}

/* ---- the evidence: everything the tests run ----------------------------- */

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcasecmp(s + n - k, suf) == 0;
}

/* Appends the canonical text of a file (as canon()) to all. */
static void add_file(const char *path, TBuf *all)
{
    TBuf b = {0};
    if (tbuf_read_file(&b, path, COMPAT_MAX_FILE) == T_OK && b.data) {
        char *c = malloc(b.len + 2);
        if (c) {
            canon(b.data, b.len, c, b.len + 2);
            tbuf_puts(all, c);
            tbuf_putc(all, '\n');
            free(c);
        }
    }
    tbuf_free(&b);
}

static void add_dir(const char *dir, const char *const *exts, int depth,
                    TBuf *all)
{
    if (!dir || depth > COMPAT_DEPTH)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            add_dir(path, exts, depth + 1, all);
            continue;
        }
        for (int i = 0; exts[i]; i++)
            if (has_suffix(e->d_name, exts[i])) {
                add_file(path, all);
                break;
            }
    }
    closedir(d);
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$' ||
           (unsigned char)c >= 0x80;
}

/* Is name used in the (canonical) text: as a call, `name(`, or for the
 * functions written bare, as a word? */
static bool used(const char *text, const char *name)
{
    static const char *const bare[] = {"time",      "dt",       "pi",
                                       "starttime", "stoptime", NULL};
    bool word = false;
    for (int i = 0; bare[i]; i++)
        word = word || !strcmp(name, bare[i]);
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        /* '_' stands for a blank here, so it may come before a call */
        if (p > text && (is_word(p[-1]) || p[-1] == '.'))
            continue;
        const char *q = p + n;
        if (*q == '_')
            q++;
        if (*q == '(' || (word && !is_word(*q) && *q != '_'))
            return true;
    }
    return false;
}

/* The functions listed as supported that nothing uses; their names go to
 * missing (one per line). */
static int check_doc(const char *doc, const char *evidence, TBuf *missing)
{
    FnList fns = {0};
    read_table(doc, &fns);
    int n = 0;
    for (int i = 0; i < fns.len; i++) {
        if (!fns.items[i].supported || used(evidence, fns.items[i].name))
            continue;
        tbuf_printf(missing,
                    "%s:%d: '%s' is listed as supported but no test "
                    "calls it\n",
                    COMPAT_DOC, fns.items[i].line, fns.items[i].shown);
        n++;
    }
    vec_free(&fns);
    return n;
}

static char *read_doc(void)
{
    TBuf b = {0};
    if (tbuf_read_file(&b, COMPAT_DOC, COMPAT_MAX_FILE) != T_OK) {
        tbuf_free(&b);
        return NULL;
    }
    tbuf_cstr(&b);
    return b.data;
}

/* The golden models' folder, or NULL. */
static const char *models_dir(void)
{
    const char *env = getenv("TERRITORY_TEST_MODELS");
    const char *dir = env && *env ? env : COMPAT_MODELS;
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

static void gather(TBuf *all)
{
    static const char *const code[] = {".c", ".sh", NULL};
    static const char *const models[] = {".xmile", ".stmx", ".itmx", ".mdl",
                                         NULL};
    add_dir("tests/unit", code, 0, all);
    add_dir("tests/cli", code, 0, all);
    add_dir("models", models, 0, all);
    add_dir("tests/fixtures", models, 0, all);
    add_dir(models_dir(), models, 0, all);
}

/* ---- tests --------------------------------------------------------------- */

static void test_checker_can_fail(void **state)
{
    (void)state;
    const char *doc = "# x\n\n## Builtins\n\n"
                      "| function | XMILE | Vensim | notes |\n"
                      "|---|---|---|---|\n"
                      "| `ABS`, `FROB NICATE(a, b)` | yes | yes | |\n"
                      "| `NEVER` | | not yet | |\n"
                      "| `TIME` | yes | | |\n"
                      "\n## Next\n| `OTHER` | yes | | |\n";
    const char *evidence = "y_=_abs_(x)_+_1\nz_=_time_*_2\nnever(1)\n";
    TBuf missing = {0};
    assert_int_equal(check_doc(doc, evidence, &missing), 1);
    assert_string_equal(tbuf_cstr(&missing),
                        "docs/compatibility.md:7: 'FROB NICATE' is listed as "
                        "supported but no test calls it\n");
    tbuf_free(&missing);
    /* a name inside another is not a use of it */
    assert_false(used("checksum(x)", "sum"));
    assert_true(used("a_=_sum_(b)", "sum"));
    assert_true(used("delay_n(x,_1,_0,_3)", "delay_n"));
    assert_false(used("timestep", "time"));
}

static void test_supported_functions_are_tested(void **state)
{
    (void)state;
    char *doc = read_doc();
    if (!doc || !models_dir()) {
        /* without the golden models the evidence is incomplete */
        print_message("compat: %s; skipping\n",
                      doc ? "the golden models are not there"
                          : "docs/compatibility.md not found (run from the "
                            "repository root)");
        free(doc);
        skip();
        return;
    }
    TBuf all = {0};
    gather(&all);
    TBuf missing = {0};
    int n = check_doc(doc, tbuf_cstr(&all), &missing);
    if (n)
        print_error("%s", tbuf_cstr(&missing));
    tbuf_free(&missing);
    tbuf_free(&all);
    free(doc);
    assert_int_equal(n, 0);
}

static void test_engine_functions_are_listed(void **state)
{
    (void)state;
    char *doc = read_doc();
    if (!doc) {
        skip();
        return;
    }
    FnList fns = {0};
    read_table(doc, &fns);
    int bad = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0;; i++) {
            const char *b = pass ? sd_array_fn_name(i) : sd_builtin_name(i);
            if (!b)
                break;
            if (b[0] == '#')
                continue;
            bool listed = false;
            for (int k = 0; k < fns.len && !listed; k++)
                listed = !strcmp(fns.items[k].name, b);
            if (!listed) {
                print_error("%s: the engine knows '%s' but the builtins "
                            "table does not list it\n",
                            COMPAT_DOC, b);
                bad++;
            }
        }
    vec_free(&fns);
    free(doc);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_can_fail),
        cmocka_unit_test(test_supported_functions_are_tested),
        cmocka_unit_test(test_engine_functions_are_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
