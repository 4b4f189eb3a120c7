/*
 * test_golden.c - the golden test: every XMILE (.xmile, Stella's .stmx and
 * .itmx) and Vensim .mdl model of the SDXorg test-model suite that ships a
 * reference output (output.csv or output.tab in its folder) is loaded,
 * compiled and run with default options, and each variable the reference
 * shares with our results is compared at every reference time, with a
 * relative tolerance and an absolute floor. A model that matches is then
 * written as XMILE, read back and run, and must give the same numbers.
 *
 * One cmocka test per model, named by its path below the models folder.
 * Models in KNOWN_FAILURES are run and reported as skipped while they
 * fail, and fail the suite once they pass so the stale entry gets
 * removed.
 *
 * Ownership: main() owns the case list and every path in it; each test
 * frees the model, program, results, diagnostics and reference table it
 * made before it reports (cmocka leaves a test by longjmp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/core.h"
#include "sd/sd.h"

/*
 * Models expected to fail, with the reason. Add an entry only when the
 * model itself (or its conversion to XMILE) is at fault or when the fix
 * belongs to a later, named issue; a builtin we lack is a bug to fix, not a
 * reason to list a model here.
 */
typedef struct KnownFailure {
    const char *path;   /* model path relative to the models folder */
    const char *reason; /* why it fails, shown when it is skipped */
} KnownFailure;

static const KnownFailure KNOWN_FAILURES[] = {
    {"tests/macro_expression/test_macro_expression.xmile",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
    {"tests/macro_multi_expression/test_macro_multi_expression.xmile",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
    {"tests/macro_multi_macros/test_macro_multi_macros.xmile",
     "calls macros whose definitions the Vensim-to-XMILE converter dropped"},
    {"tests/macro_stock/test_macro_stock.xmile",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
    {"tests/active_initial/test_active_initial.xmile",
     "the converter turned ACTIVE INITIAL(Time, 45) into plain Time, so "
     "Stock A starts at 0 where the reference has 45"},
    {"tests/non_negative_flows/test_non_negative_flows.xmile",
     "the file is not well-formed XML: a <flow> element is never closed"},
    {"tests/non_negative_flows/test_non_negative_flows_behavior.xmile",
     "the file is not well-formed XML: a <flow> element is never closed"},
    {"tests/rounding/test_rounding.xmile",
     "the reference comes from Vensim, whose INTEGER truncates toward zero "
     "and whose MODULO takes the dividend's sign; XMILE's INT is a floor"},
    {"samples/Query_file/Query_file.mdl",
     "draws from RANDOM UNIFORM: the reference holds the numbers of "
     "Vensim's own random generator, which no other engine reproduces"},
    {"samples/Roessler_Chaos/roessler_chaos.mdl",
     "the Roessler attractor is chaotic: differences at the reference's "
     "sixth digit grow until x, y and z differ by up to 4e-3 near time 92"},
    /* Vensim-to-XMILE conversions the converter could not finish: it wrote
     * '?\?\?' where an equation should be (the reader says so at its line). */
    {"tests/subscript_1d_arrays/test_subscript_1d_arrays.xmile",
     "the converter wrote '?\?\?' for the list of values of Rate A"},
    {"tests/subscript_1d_arrays/test_subscript_1d_arrays.stmx",
     "the converter wrote '?\?\?' for the list of values of Rate A"},
    {"tests/subscript_constant_call/test_subscript_constant_call.xmile",
     "the converter wrote '?\?\?' for the values of Subscripted Constant"},
    {"tests/subscript_constant_call/test_subscript_constant_call.stmx",
     "the converter wrote '?\?\?' for the values of Subscripted Constant"},
    {"tests/subscript_mixed_assembly/test_subscript_mixed_assembly.xmile",
     "the converter wrote '?\?\?' for subset and gave mixed assembly elements "
     "of Dim1 where its second dimension is Dim2"},
    {"tests/subscript_mixed_assembly/test_subscript_mixed_assembly.stmx",
     "the converter wrote '?\?\?' for subset and gave mixed assembly elements "
     "of Dim1 where its second dimension is Dim2"},
    {"tests/subscript_multiples/test_multiple_subscripts.xmile",
     "the converter wrote '?\?\?' for the values of Rate A and Rate B"},
    {"tests/subscript_multiples/test_multiple_subscripts.stmx",
     "the converter wrote '?\?\?' for the values of Rate A and Rate B"},
    {"tests/subscript_subranges/test_subscript_subrange.xmile",
     "the converter wrote '?\?\?' for Rate A and dropped the subrange "
     "Subrange of Dim1 that Subrange Vals uses"},
    {"tests/subscript_subranges/test_subscript_subrange.stmx",
     "the converter wrote '?\?\?' for Rate A and dropped the subrange "
     "Subrange of Dim1 that Subrange Vals uses"},
    {"tests/subscript_subranges_equal/test_subscript_subrange_equal.xmile",
     "the converter wrote '?\?\?' for Rate A and dropped the subrange "
     "Subrange of Dim1 that Subrange Vals uses"},
    {"tests/subscript_subranges_equal/test_subscript_subrange_equal.stmx",
     "the converter wrote '?\?\?' for Rate A and dropped the subrange "
     "Subrange of Dim1 that Subrange Vals uses"},
    {"tests/subscript_updimensioning/test_subscript_updimensioning.xmile",
     "the converter wrote '?\?\?' for the values of One Dim"},
    {"tests/subscript_updimensioning/test_subscript_updimensioning.stmx",
     "the converter wrote '?\?\?' for the values of One Dim"},
    {"tests/subscripted_flows/test_subscripted_flows.xmile",
     "the converter wrote '?\?\?' for the values of Rate A and Rate B"},
    {"tests/subscripted_flows/test_subscripted_flows.stmx",
     "the converter wrote '?\?\?' for the values of Rate A and Rate B"},
    {"tests/active_initial/test_active_initial.stmx",
     "the converter turned ACTIVE INITIAL(Time, 45) into plain Time, so "
     "Stock A starts at 0 where the reference has 45"},
    {"tests/logicals/test_logicals.stmx",
     "the converter wrote :NOT: false input as 'IF false_input not THEN', "
     "which is not an equation"},
    {"tests/macro_expression/test_macro_expression.stmx",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
    {"tests/macro_multi_expression/test_macro_multi_expression.stmx",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
    {"tests/macro_multi_macros/test_macro_multi_macros.stmx",
     "calls macros whose definitions the Vensim-to-XMILE converter dropped"},
    {"tests/macro_stock/test_macro_stock.stmx",
     "calls a macro whose definition the Vensim-to-XMILE converter dropped"},
/* Models that read spreadsheets the SDXorg suite does not ship: the load
 * stops with a message naming the file it cannot read. */
#define GOLDEN_NO_SHEET(path, file)                                            \
    {                                                                          \
        path, "reads " file ", which the test suite does not include; the "    \
              "model stops with a message naming the missing file"             \
    }
    GOLDEN_NO_SHEET("tests/get_constants_incomplete_subscript/"
                    "test_get_constants_incomplete_subscript.mdl",
                    "inputs.xls"),
    GOLDEN_NO_SHEET(
        "tests/get_constants_subranges/test_get_constants_subranges.mdl",
        "inputs.xlsx"),
    GOLDEN_NO_SHEET("tests/get_data_args_3d_xls/test_get_data_args_3d_xls.mdl",
                    "input.xls"),
    GOLDEN_NO_SHEET(
        "tests/get_lookups_data_3d_xls/test_get_lookups_data_3d_xls.mdl",
        "input.xls and input2.xls"),
    GOLDEN_NO_SHEET("tests/get_lookups_subscripted_args/"
                    "test_get_lookups_subscripted_args.mdl",
                    "input.xls"),
    GOLDEN_NO_SHEET("tests/get_lookups_subset/test_get_lookups_subset.mdl",
                    "input.xls"),
    GOLDEN_NO_SHEET(
        "tests/get_mixed_definitions/test_get_mixed_definitions.mdl",
        "input.xlsx"),
    GOLDEN_NO_SHEET("tests/get_subscript_3d_arrays_xls/"
                    "test_get_subscript_3d_arrays_xls.mdl",
                    "input.xls"),
    GOLDEN_NO_SHEET("tests/get_values_order/test_get_values_order.mdl",
                    "inputs.xlsx"),
    GOLDEN_NO_SHEET("tests/get_with_missing_values_xlsx/"
                    "test_get_with_missing_values_xlsx.mdl",
                    "input.xlsx"),
    GOLDEN_NO_SHEET("tests/get_xls_cellrange/test_get_xls_cellrange.mdl",
                    "inputs.xlsx"),
    GOLDEN_NO_SHEET(
        "tests/partial_range_definitions/test_partial_range_definitions.mdl",
        "inputs.xlsx"),
    GOLDEN_NO_SHEET("tests/vector_order/test_vector_order.mdl", "input.xlsx"),
    GOLDEN_NO_SHEET("tests/with_lookup/test_with_lookup.mdl", "inputs.xlsx"),
#undef GOLDEN_NO_SHEET
    {"tests/get_time_value/test_get_time_value.mdl",
     "the folder's output.tab is test_get_time_value_simple.mdl's (INITIAL "
     "TIME -10, TIME STEP 0.25; it passes): this model, which the README "
     "calls the future one, starts at 50 with step 1 and has no reference "
     "of its own; it also asks for calendar measures (1 to 10) of GET TIME "
     "VALUE, refused with a message"},
};

/*
 * Models whose reference is another file than output.csv/output.tab in
 * their folder, with the reason.
 */
typedef struct RefOverride {
    const char *path;   /* model path relative to the models folder */
    const char *ref;    /* file name in the model's folder */
    const char *reason; /* why */
} RefOverride;

static const RefOverride REF_OVERRIDES[] = {
    {"tests/data_from_other_model/model_to_generate_data.mdl", "data.tab",
     "the folder's output.tab is test_data_from_other_model.mdl's; data.tab "
     "is this model's own output (its README says so)"},
};

/*
 * Models whose data variables take their values from a file given at run
 * time (`territory run --data FILE`), with the file beside the model and
 * the reason. A model whose data cannot be written as XMILE skips the
 * round trip.
 */
typedef struct DataFile {
    const char *path;   /* model path relative to the models folder */
    const char *data;   /* file name in the model's folder */
    bool round_trip;    /* false: the data cannot be written as XMILE */
    const char *reason; /* why */
} DataFile;

static const DataFile DATA_FILES[] = {
    {"tests/data_from_other_model/test_data_from_other_model.mdl", "data.tab",
     false,
     "its data variables (var 0dim:INTERPOLATE: and others) take their "
     "values from a .vdf file Vensim is given at run time; data.tab is the "
     "same data as a tab file (its README says so). var 3dim is :RAW:, "
     "missing between its times, which an XMILE graphical function cannot "
     "hold, so there is no round trip"},
};

/*
 * Models whose reference was made with another integration method than the
 * file names. They are run with the reference's method and must match.
 */
typedef struct MethodOverride {
    const char *path;   /* model path relative to the models folder */
    SdMethod method;    /* the method the reference was made with */
    const char *reason; /* printed when the override is used */
} MethodOverride;

static const MethodOverride METHOD_OVERRIDES[] = {
    {"tests/zeroled_decimals/test_zeroled_decimals.xmile", SD_EULER,
     "the file asks for RK4 but its reference was made by Vensim with Euler "
     "(stockmixed integrates Time, where the methods differ)"},
};

#define GOLDEN_DEFAULT_DIR "../shared/test-models" /* from the repo root */
#define GOLDEN_REL_TOL 1e-3 /* relative tolerance on values */
#define GOLDEN_ABS_TOL 1e-6 /* absolute floor, for values near 0 */
/* The references carry about six significant digits of each series, so a
 * value crossing zero keeps the rounding error of its neighbours (exp's
 * StockA is -2.52e-06 at the time it is exactly 0). The floor therefore
 * grows with the largest magnitude in the reference column. */
#define GOLDEN_SCALE_TOL 1e-6
#define GOLDEN_TIME_TOL 1e-9        /* relative tolerance on times */
#define GOLDEN_SHOWN 5              /* mismatches printed per model */
#define GOLDEN_FILE_MAX (64u << 20) /* cap on a model or reference file */
#define GOLDEN_MAX_DEPTH 16         /* folder depth walked, against loops */
#define GOLDEN_NAME_MAX 200         /* bytes of a name shown in a message */

/* ---- cases ------------------------------------------------------------ */

/* Outcome counts for the closing summary line. */
typedef struct Tally {
    int passed;     /* matched their reference */
    int failed;     /* did not, or a known failure now passes */
    int known;      /* failed as KNOWN_FAILURES says */
    int mdl;        /* .mdl models */
    int mdl_passed; /* of them, matched */
} Tally;

typedef struct GoldenCase {
    char *model;               /* path of the .xmile file */
    const char *rel;           /* model path below the models folder */
    char *ref;                 /* path of output.csv or output.tab */
    const KnownFailure *known; /* its KNOWN_FAILURES entry, or NULL */
    Tally *tally;              /* shared counts */
} GoldenCase;

typedef VEC(char *) PathList;

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static char *path_join(const char *dir, const char *name)
{
    TBuf b = {0};
    size_t n = strlen(dir);
    if (tbuf_puts(&b, dir) || (n && dir[n - 1] != '/' && tbuf_putc(&b, '/')) ||
        tbuf_puts(&b, name)) {
        tbuf_free(&b);
        return NULL;
    }
    return b.data;
}

/* Collects every *.xmile, *.stmx, *.itmx and *.mdl file below dir (any case)
 * into out. Hidden entries are skipped. Returns T_OK or T_EINTERNAL. */
static int walk(const char *dir, int depth, PathList *out)
{
    if (depth > GOLDEN_MAX_DEPTH)
        return T_OK;
    DIR *d = opendir(dir);
    if (!d)
        return T_OK; /* an unreadable folder holds no models we can run */
    int rc = T_OK;
    struct dirent *e;
    while (rc == T_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = path_join(dir, e->d_name);
        if (!p) {
            rc = T_EINTERNAL;
            break;
        }
        if (is_dir(p)) {
            rc = walk(p, depth + 1, out);
            free(p);
        } else if ((ends_with_ci(e->d_name, ".xmile") ||
                    ends_with_ci(e->d_name, ".stmx") ||
                    ends_with_ci(e->d_name, ".itmx") ||
                    ends_with_ci(e->d_name, ".mdl")) &&
                   is_file(p)) {
            if (vec_push(out, p) != 0) {
                free(p);
                rc = T_EINTERNAL;
            }
        } else {
            free(p);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reference output in the model's folder: output.csv, else output.tab;
 * NULL when there is none. */
static char *find_reference(const char *model, const char *rel)
{
    const char *slash = strrchr(model, '/');
    size_t dirlen = slash ? (size_t)(slash - model) : 0;
    const char *names[] = {"output.csv", "output.tab"};
    for (size_t i = 0; i < sizeof REF_OVERRIDES / sizeof REF_OVERRIDES[0]; i++)
        if (!strcmp(REF_OVERRIDES[i].path, rel)) {
            names[0] = names[1] = REF_OVERRIDES[i].ref;
            printf("golden: %s: compared with %s: %s\n", rel,
                   REF_OVERRIDES[i].ref, REF_OVERRIDES[i].reason);
        }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        TBuf b = {0};
        if ((dirlen ? tbuf_append(&b, model, dirlen + 1) : tbuf_puts(&b, "")) ||
            tbuf_puts(&b, names[i])) {
            tbuf_free(&b);
            return NULL;
        }
        if (is_file(b.data))
            return b.data;
        tbuf_free(&b);
    }
    return NULL;
}

static const KnownFailure *find_known(const char *rel)
{
    for (size_t i = 0; i < sizeof KNOWN_FAILURES / sizeof KNOWN_FAILURES[0];
         i++)
        if (strcmp(KNOWN_FAILURES[i].path, rel) == 0)
            return &KNOWN_FAILURES[i];
    return NULL;
}

/* Appends name to b in single quotes with control bytes and invalid UTF-8
 * escaped, cut at GOLDEN_NAME_MAX bytes, so that a junk header still prints
 * as one readable line. */
static void put_name(TBuf *b, const char *name)
{
    size_t len = strlen(name), i = 0;
    tbuf_putc(b, '\'');
    while (i < len) {
        if (i >= GOLDEN_NAME_MAX) {
            tbuf_puts(b, "...");
            break;
        }
        uint32_t cp;
        int k = str_utf8_decode(name + i, len - i, &cp);
        unsigned char c = (unsigned char)name[i];
        if (k < 1)
            k = 1;
        if (c == '\n')
            tbuf_puts(b, "\\n");
        else if (c == '\t')
            tbuf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f || (cp == 0xFFFD && k == 1))
            tbuf_printf(b, "\\x%02x", c);
        else
            tbuf_append(b, name + i, (size_t)k);
        i += (size_t)k;
    }
    tbuf_putc(b, '\'');
}

/* ---- the reference table ---------------------------------------------- */

typedef struct RefTable {
    int ncols;          /* fields in the header */
    char **names;       /* header names, unquoted and trimmed */
    int time_col;       /* the Time column */
    int nrows;          /* data rows that have a time */
    double *vals;       /* nrows * ncols values, row-major */
    unsigned char *has; /* 1 where vals holds a number, 0 for no value */
    double *time_tol;   /* per row: how far off its printed time may be */
} RefTable;

static void ref_free(RefTable *t)
{
    for (int i = 0; i < t->ncols; i++)
        free(t->names[i]);
    free(t->names);
    free(t->vals);
    free(t->has);
    free(t->time_tol);
    memset(t, 0, sizeof *t);
}

static bool is_blank(char c, char delim)
{
    return (c == ' ' || c == '\t') && c != delim;
}

/* Reads one field at *pos into f: a quoted field ("..." with "" for a
 * quote) or everything up to the delimiter or the line end, trimmed. Sets
 * *eol when the field ends its record: at "\n", "\r\n", a lone "\r" (how
 * old Mac tools end lines) or the end of the text. */
static int read_field(const char *s, size_t n, size_t *pos, char delim, TBuf *f,
                      bool *eol)
{
    size_t i = *pos;
    int rc = T_OK;
    f->len = 0;
    while (i < n && is_blank(s[i], delim))
        i++;
    if (i < n && s[i] == '"') {
        for (i++; i < n && rc == T_OK; i++) {
            if (s[i] == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    rc = tbuf_putc(f, '"');
                    i++;
                    continue;
                }
                i++;
                break;
            }
            rc = tbuf_putc(f, s[i]);
        }
        /* Text between the closing quote and the delimiter is dropped. */
        while (i < n && s[i] != delim && s[i] != '\r' && s[i] != '\n')
            i++;
    } else {
        size_t start = i;
        while (i < n && s[i] != delim && s[i] != '\r' && s[i] != '\n')
            i++;
        size_t end = i;
        while (end > start && is_blank(s[end - 1], delim))
            end--;
        rc = tbuf_append(f, s + start, end - start);
    }
    if (i < n && s[i] == delim) {
        i++;
        *eol = false;
    } else {
        if (i < n && s[i] == '\r') {
            i++;
            if (i < n && s[i] == '\n')
                i++;
        } else if (i < n && s[i] == '\n') {
            i++;
        }
        *eol = true;
    }
    *pos = i;
    tbuf_cstr(f);
    return rc;
}

/* How far the number printed as s may be from the value it stands for:
 * half a unit in its last place when s has six or more significant digits
 * (Vensim writes six, so 10.03125 reads back as 10.0312), else 0, as a
 * shorter number was not rounded. */
static double printed_half_unit(const char *s)
{
    int sig = 0, frac = 0;
    bool seen_dot = false;
    const char *p = s;
    while (*p == ' ' || *p == '+' || *p == '-')
        p++;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            seen_dot = true;
            continue;
        }
        if (seen_dot)
            frac++;
        if (sig > 0 || *p != '0')
            sig++;
    }
    if (sig < 6)
        return 0;
    long exp = 0;
    if ((*p == 'e' || *p == 'E') && !str_to_int(p + 1, -300, 300, &exp))
        exp = 0;
    return 0.5 * pow(10.0, (double)(exp - frac));
}

/* Finds the Time column (any case) once the header is read. */
static int find_time_col(char **names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], "time") == 0)
            return i;
    return -1;
}

/* Parses a reference table: a header record, then one record per time.
 * Blank records and records without a numeric time are ignored; a value
 * that is empty or not a number is "no value". */
static int ref_parse(const char *s, size_t n, char delim, RefTable *t,
                     TBuf *why)
{
    VEC(char *) names = {0};
    VEC(double) vals = {0};
    VEC(unsigned char) has = {0};
    VEC(double) tol = {0};
    TBuf f = {0};
    size_t pos = 0;
    int rc = T_OK;
    int time_col = -1;

    while (rc == T_OK && pos < n) {
        bool eol = false, any = false, timed = false;
        double ttol = 0;
        int col = 0;
        int row_start = vals.len;
        while (rc == T_OK && !eol) {
            rc = read_field(s, n, &pos, delim, &f, &eol);
            if (rc)
                break;
            any = any || f.len > 0;
            if (time_col < 0) { /* still in the header */
                char *name = strdup(tbuf_cstr(&f));
                if (!name || vec_push(&names, name) != 0) {
                    free(name);
                    rc = T_EINTERNAL;
                }
            } else if (col < names.len) {
                double v = 0;
                bool ok = str_to_double(tbuf_cstr(&f), &v);
                if (col == time_col) {
                    timed = ok;
                    ttol = printed_half_unit(tbuf_cstr(&f));
                }
                if (vec_push(&vals, ok ? v : 0.0) != 0 ||
                    vec_push(&has, (unsigned char)ok) != 0)
                    rc = T_EINTERNAL;
            }
            col++;
        }
        if (rc)
            break;
        if (time_col < 0) {
            if (!any) { /* a blank line before the header */
                for (int i = 0; i < names.len; i++)
                    free(names.items[i]);
                names.len = 0;
                continue;
            }
            time_col = find_time_col(names.items, names.len);
            if (time_col < 0) {
                tbuf_puts(why, "the reference has no 'Time' column (first: ");
                put_name(why, names.items[0]);
                tbuf_puts(why, ")\n");
                rc = T_EINPUT;
            }
            continue;
        }
        if (!any || !timed) { /* a blank line, or a row without a time */
            vals.len = has.len = row_start;
            continue;
        }
        for (; col < names.len && rc == T_OK; col++)
            if (vec_push(&vals, 0.0) != 0 || vec_push(&has, 0) != 0)
                rc = T_EINTERNAL;
        if (rc == T_OK && vec_push(&tol, ttol) != 0)
            rc = T_EINTERNAL;
    }
    tbuf_free(&f);

    t->ncols = names.len;
    t->names = names.items;
    t->time_col = time_col;
    t->nrows = tol.len;
    t->vals = vals.items;
    t->has = has.items;
    t->time_tol = tol.items;
    if (rc == T_EINTERNAL)
        tbuf_puts(why, "out of memory reading the reference\n");
    if (rc)
        return rc;
    if (time_col < 0) {
        tbuf_puts(why, "the reference has no header\n");
        return T_EINPUT;
    }
    if (t->nrows == 0) {
        tbuf_puts(why, "the reference has no rows with a time\n");
        return T_EINPUT;
    }
    return T_OK;
}

static int ref_read(const char *path, RefTable *t, TBuf *why)
{
    TBuf text = {0};
    if (tbuf_read_file(&text, path, GOLDEN_FILE_MAX) != T_OK) {
        tbuf_free(&text);
        tbuf_printf(why, "cannot read reference '%s'\n", path);
        return T_EINPUT;
    }
    char delim = ends_with_ci(path, ".tab") ? '\t' : ',';
    int rc = ref_parse(text.data ? text.data : "", text.len, delim, t, why);
    tbuf_free(&text);
    if (rc)
        tbuf_printf(why, "  in '%s'\n", path);
    return rc;
}

/* ---- comparison ------------------------------------------------------- */

/* Equal within GOLDEN_REL_TOL, or GOLDEN_ABS_TOL near zero; NaN equals
 * NaN and an infinity only itself. */
static bool values_match(double want, double got, double scale)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return want == got;
    double diff = fabs(want - got);
    return diff <= fmax(GOLDEN_REL_TOL * fmax(fabs(want), fabs(got)),
                        fmax(GOLDEN_ABS_TOL, GOLDEN_SCALE_TOL * scale));
}

static double res_time(const SdResults *r, int row)
{
    return r->data[(size_t)row * r->ncols];
}

/* The saved row nearest to reference time t, or -1 when none is within
 * GOLDEN_TIME_TOL relative (with a floor of the same size, so that 0 matches
 * a time accumulated as 1e-17) plus printed, the rounding of t as the
 * reference printed it. The saved times ascend. */
static int find_row(const SdResults *r, double t, double printed)
{
    int lo = 0, hi = r->nrows;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (res_time(r, mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* A sum, not a max: a time printed exactly half-way (16.03125 as
     * 16.0312) must still match. */
    double tol = GOLDEN_TIME_TOL * fmax(1.0, fabs(t)) + printed;
    int best = -1;
    double best_d = 0;
    for (int i = lo - 1; i <= lo; i++) {
        if (i < 0 || i >= r->nrows)
            continue;
        double d = fabs(res_time(r, i) - t);
        if (d <= tol && (best < 0 || d < best_d)) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

static bool is_control_var(const char *name)
{
    static const char *const controls[] = {"initial_time", "final_time",
                                           "time_step", "saveper"};
    char *canon = sd_canon_name(NULL, name, strlen(name));
    bool yes = false;
    for (size_t i = 0; canon && i < sizeof controls / sizeof controls[0]; i++)
        yes = yes || strcmp(canon, controls[i]) == 0;
    free(canon);
    return yes;
}

/* Compares results with the reference; false with the story in why. */
static bool compare(const GoldenCase *c, const RefTable *t, const SdResults *r,
                    TBuf *why)
{
    if (r->ncols < 1 || r->nrows < 1 || !r->data || !r->names) {
        tbuf_printf(why, "the run saved no data (%d columns, %d rows)\n",
                    r->ncols, r->nrows);
        return false;
    }
    for (int i = 1; i < r->nrows; i++)
        if (!(res_time(r, i) > res_time(r, i - 1))) {
            tbuf_printf(why, "saved times do not ascend: %.10g then %.10g\n",
                        res_time(r, i - 1), res_time(r, i));
            return false;
        }

    /* Column map: reference column -> result column, -1 when absent. */
    int *map = malloc((size_t)t->ncols * sizeof *map);
    if (!map) {
        tbuf_puts(why, "out of memory\n");
        return false;
    }
    int matched = 0;
    TBuf missing = {0};
    for (int j = 0; j < t->ncols; j++) {
        map[j] = -1;
        if (j == t->time_col)
            continue;
        int k = sd_results_find(r, t->names[j]);
        if (k > 0 && k < r->ncols) { /* column 0 is Time */
            map[j] = k;
            matched++;
        } else if (t->names[j][0] && !is_control_var(t->names[j])) {
            if (missing.len)
                tbuf_puts(&missing, ", ");
            put_name(&missing, t->names[j]);
        }
    }
    if (missing.len)
        printf("golden: %s: note: not in the results: %s\n", c->rel,
               tbuf_cstr(&missing));
    tbuf_free(&missing);
    if (matched < 1) {
        tbuf_printf(why,
                    "no reference column matches a result column "
                    "(%d reference, %d result columns)\n",
                    t->ncols, r->ncols);
        free(map);
        return false;
    }

    /* Largest finite magnitude in each reference column. */
    double *scale = calloc((size_t)t->ncols, sizeof *scale);
    if (!scale) {
        tbuf_puts(why, "out of memory\n");
        free(map);
        return false;
    }
    for (int row = 0; row < t->nrows; row++)
        for (int j = 0; j < t->ncols; j++) {
            double v = t->vals[(size_t)row * t->ncols + j];
            if (t->has[(size_t)row * t->ncols + j] && isfinite(v) &&
                fabs(v) > scale[j])
                scale[j] = fabs(v);
        }
    long compared = 0, bad = 0;
    int absent = 0;
    double first_absent = 0;
    for (int row = 0; row < t->nrows; row++) {
        const double *want = t->vals + (size_t)row * t->ncols;
        const unsigned char *has = t->has + (size_t)row * t->ncols;
        double time = want[t->time_col];
        int rr = find_row(r, time, t->time_tol[row]);
        if (rr < 0) {
            if (absent++ == 0)
                first_absent = time;
            continue;
        }
        const double *got = r->data + (size_t)rr * r->ncols;
        for (int j = 0; j < t->ncols; j++) {
            if (map[j] < 0 || !has[j])
                continue;
            compared++;
            if (values_match(want[j], got[map[j]], scale[j]))
                continue;
            if (bad++ >= GOLDEN_SHOWN)
                continue;
            tbuf_puts(why, "  ");
            put_name(why, t->names[j]);
            tbuf_printf(why, " at time %.10g: expected %.10g, got %.10g\n",
                        time, want[j], got[map[j]]);
        }
    }
    free(map);
    free(scale);
    if (bad > GOLDEN_SHOWN)
        tbuf_printf(why, "  ... and %ld more\n", bad - GOLDEN_SHOWN);
    if (bad)
        tbuf_printf(why,
                    "%ld of %ld values differ by more than %g relative "
                    "(floor %g, or %g of the column's largest value)\n",
                    bad, compared, GOLDEN_REL_TOL, GOLDEN_ABS_TOL,
                    GOLDEN_SCALE_TOL);
    if (absent)
        tbuf_printf(why,
                    "%d of %d reference times were not saved (first %.10g; "
                    "saved %d times from %.10g to %.10g)\n",
                    absent, t->nrows, first_absent, r->nrows, res_time(r, 0),
                    res_time(r, r->nrows - 1));
    if (!bad && !absent && compared == 0) {
        tbuf_puts(why, "no reference value was compared\n");
        return false;
    }
    return !bad && !absent;
}

/* ---- running one model ------------------------------------------------ */

static void put_diags(TBuf *why, const char *stage, const TDiags *d)
{
    tbuf_printf(why, "%s failed:\n", stage);
    TBuf out = {0};
    if (d->len == 0 || diags_format(d, &out) != T_OK || out.len == 0)
        tbuf_puts(why, "(no diagnostics)\n");
    else
        tbuf_append(why, out.data, out.len);
    tbuf_free(&out);
}

/* Loads, compiles and runs c's model and compares it with its reference.
 * Returns true when it matches; otherwise why says what went wrong. */
/* The second check: the model written as XMILE (sd_model_to_xmile) and
 * read back gives the same numbers, every column at every saved time,
 * within the tolerance the references get. */
static bool round_trip(const SdModel *m, const SdRunOpts *opts,
                       const SdResults *r, TBuf *why)
{
    TDiags d = {0};
    TBuf x = {0};
    SdModel *m2 = NULL;
    SdProgram *p2 = NULL;
    SdResults *r2 = NULL;
    THash cols = {0};
    char **canon = NULL;
    bool ok = false;
    if (sd_model_to_xmile(m, &x, &d) != T_OK) {
        put_diags(why, "converting to XMILE", &d);
        goto done;
    }
    if (sd_model_from_xmile(x.data, x.len, "converted.xmile", &m2, &d) !=
            T_OK ||
        sd_compile(m2, &p2, &d) != T_OK || sd_run(p2, opts, &r2, &d) != T_OK) {
        put_diags(why, "reading back the XMILE written", &d);
        goto done;
    }
    canon = calloc((size_t)r2->ncols + 1, sizeof *canon);
    if (!canon)
        goto done;
    for (int k = 0; k < r2->ncols; k++) {
        canon[k] = sd_canon_ref(NULL, r2->names[k]);
        if (canon[k])
            thash_put(&cols, canon[k], k);
    }
    if (r2->nrows != r->nrows) {
        tbuf_printf(why, "round trip through XMILE saved %d rows, not %d\n",
                    r2->nrows, r->nrows);
        goto done;
    }
    long bad = 0;
    for (int j = 1; j < r->ncols; j++) {
        char *cj = sd_canon_ref(NULL, r->names[j]);
        int k;
        if (!cj || !thash_get(&cols, cj, &k)) {
            tbuf_puts(why, "round trip through XMILE lost column ");
            put_name(why, r->names[j]);
            tbuf_putc(why, '\n');
            free(cj);
            bad++;
            continue;
        }
        free(cj);
        double scale = 0;
        for (int i = 0; i < r->nrows; i++) {
            double v = r->data[(size_t)i * r->ncols + j];
            if (isfinite(v) && fabs(v) > scale)
                scale = fabs(v);
        }
        for (int i = 0; i < r->nrows; i++) {
            double a = r->data[(size_t)i * r->ncols + j];
            double b = r2->data[(size_t)i * r2->ncols + k];
            if (values_match(a, b, scale))
                continue;
            if (bad++ < GOLDEN_SHOWN) {
                tbuf_puts(why, "  round trip: ");
                put_name(why, r->names[j]);
                tbuf_printf(why, " at time %.10g: %.10g before, %.10g after\n",
                            res_time(r, i), a, b);
            }
        }
    }
    if (bad)
        tbuf_printf(why, "%ld values changed in the round trip through XMILE\n",
                    bad);
    ok = bad == 0;
done:
    for (int k = 0; canon && r2 && k < r2->ncols; k++)
        free(canon[k]);
    free(canon);
    thash_free(&cols);
    sd_results_free(r2);
    sd_program_free(p2);
    sd_model_free(m2);
    tbuf_free(&x);
    diags_free(&d);
    return ok;
}

static bool golden_run(const GoldenCase *c, TBuf *why)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    RefTable t = {0};
    bool ok = false;
    SdRunOpts opts = {0}; /* the model's own method, the default step cap */
    for (size_t i = 0; i < sizeof METHOD_OVERRIDES / sizeof METHOD_OVERRIDES[0];
         i++)
        if (strcmp(METHOD_OVERRIDES[i].path, c->rel) == 0) {
            opts.method = METHOD_OVERRIDES[i].method;
            opts.method_given = true;
            printf("golden: %s: run with %s: %s\n", c->rel,
                   opts.method == SD_EULER ? "Euler" : "RK4",
                   METHOD_OVERRIDES[i].reason);
        }

    if (sd_model_load(c->model, &m, &d) != T_OK || !m) {
        put_diags(why, "load", &d);
        goto done;
    }
    bool trip = true;
    for (size_t i = 0; i < sizeof DATA_FILES / sizeof DATA_FILES[0]; i++) {
        if (strcmp(DATA_FILES[i].path, c->rel) != 0)
            continue;
        const char *slash = strrchr(c->model, '/');
        TBuf path = {0};
        tbuf_printf(&path, "%.*s%s", slash ? (int)(slash - c->model + 1) : 0,
                    c->model, DATA_FILES[i].data);
        const char *paths[1] = {tbuf_cstr(&path)};
        printf("golden: %s: data from %s: %s\n", c->rel, DATA_FILES[i].data,
               DATA_FILES[i].reason);
        int rc = sd_model_attach_data(m, paths, 1, &d);
        tbuf_free(&path);
        if (rc != T_OK) {
            put_diags(why, "attaching the data", &d);
            goto done;
        }
        trip = DATA_FILES[i].round_trip;
    }
    if (sd_compile(m, &p, &d) != T_OK || !p) {
        put_diags(why, "compile", &d);
        goto done;
    }
    if (sd_run(p, &opts, &r, &d) != T_OK || !r) {
        put_diags(why, "run", &d);
        goto done;
    }
    if (ref_read(c->ref, &t, why) != T_OK)
        goto done;
    ok = compare(c, &t, r, why);
    if (ok && !c->known && trip)
        ok = round_trip(m, &opts, r, why);
done:
    ref_free(&t);
    if (r)
        sd_results_free(r);
    if (p)
        sd_program_free(p);
    if (m)
        sd_model_free(m);
    diags_free(&d);
    return ok;
}

static void test_model(void **state)
{
    GoldenCase *c = *state;
    TBuf why = {0};
    bool ok = golden_run(c, &why);
    bool mdl = ends_with_ci(c->rel, ".mdl");
    c->tally->mdl += mdl;
    c->tally->mdl_passed += mdl && ok && !c->known;
    if (c->known && ok) {
        tbuf_free(&why);
        c->tally->failed++;
        fail_msg("golden: %s passes now: remove its KNOWN_FAILURES entry",
                 c->rel);
        return;
    }
    if (c->known) {
        printf("golden: %s: known failure: %s\n%s", c->rel, c->known->reason,
               tbuf_cstr(&why));
        tbuf_free(&why);
        c->tally->known++;
        skip();
        return;
    }
    if (!ok) {
        printf("golden: %s: does not match its reference\n%s", c->rel,
               tbuf_cstr(&why));
        tbuf_free(&why);
        c->tally->failed++;
        fail_msg("golden: %s failed", c->rel);
        return;
    }
    tbuf_free(&why);
    c->tally->passed++;
}

static void test_no_models(void **state)
{
    const char *msg = *state;
    printf("%s", msg);
    skip();
}

/* ---- main ------------------------------------------------------------- */

/* The models folder: $TERRITORY_TEST_MODELS, else GOLDEN_DEFAULT_DIR;
 * NULL when neither is a folder. */
static const char *models_dir(void)
{
    const char *env = getenv("TERRITORY_TEST_MODELS");
    if (env && *env && is_dir(env))
        return env;
    if (is_dir(GOLDEN_DEFAULT_DIR))
        return GOLDEN_DEFAULT_DIR;
    return NULL;
}

static int run_without_models(const char *msg)
{
    const struct CMUnitTest tests[] = {
        {"golden", test_no_models, NULL, NULL, (void *)msg},
    };
    return _cmocka_run_group_tests("golden", tests, 1, NULL, NULL);
}

int main(void)
{
    /* cmocka reports on stderr, we on stdout: line-buffer stdout so the two
     * interleave in order when piped. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    const char *root = models_dir();
    if (!root) {
        const char *env = getenv("TERRITORY_TEST_MODELS");
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "golden: test models not found at %s%s%s; skipping\n",
                 env && *env ? env : "", env && *env ? " or " : "",
                 GOLDEN_DEFAULT_DIR);
        return run_without_models(msg) != 0;
    }

    PathList paths = {0};
    if (walk(root, 0, &paths) != T_OK) {
        fprintf(stderr, "golden: out of memory walking %s\n", root);
        for (int i = 0; i < paths.len; i++)
            free(paths.items[i]);
        vec_free(&paths);
        return 1;
    }
    qsort(paths.items, (size_t)paths.len, sizeof *paths.items, cmp_str);

    Tally tally = {0};
    size_t rootlen = strlen(root);
    GoldenCase *cases = calloc((size_t)paths.len + 1, sizeof *cases);
    struct CMUnitTest *tests = calloc((size_t)paths.len + 1, sizeof *tests);
    int ncases = 0, rc = 1;
    if (!cases || !tests) {
        fprintf(stderr, "golden: out of memory\n");
        goto done;
    }
    for (int i = 0; i < paths.len; i++) {
        const char *rel =
            paths.items[i] + rootlen + (root[rootlen - 1] == '/' ? 0 : 1);
        char *ref = find_reference(paths.items[i], rel);
        if (!ref)
            continue; /* no reference output: nothing to check against */
        GoldenCase *c = &cases[ncases];
        c->model = paths.items[i];
        c->rel = c->model + rootlen + (root[rootlen - 1] == '/' ? 0 : 1);
        c->ref = ref;
        c->known = find_known(c->rel);
        c->tally = &tally;
        tests[ncases] = (struct CMUnitTest){c->rel, test_model, NULL, NULL, c};
        ncases++;
    }
    for (size_t i = 0; i < sizeof KNOWN_FAILURES / sizeof KNOWN_FAILURES[0];
         i++) {
        bool seen = false;
        for (int j = 0; j < ncases && !seen; j++)
            seen = cases[j].known == &KNOWN_FAILURES[i];
        if (!seen)
            printf("golden: note: KNOWN_FAILURES entry %s matches no model\n",
                   KNOWN_FAILURES[i].path);
    }

    printf("golden: %d models with a reference under %s\n", ncases, root);
    if (ncases == 0) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "golden: no .xmile or .mdl model with an output.csv or "
                 "output.tab found under %s; skipping\n",
                 root);
        rc = run_without_models(msg) != 0;
        goto done;
    }
    /* cmocka returns the number of failures; 256 of them must not exit 0. */
    rc = _cmocka_run_group_tests("golden", tests, (size_t)ncases, NULL, NULL) !=
         0;
    printf("golden: %d models passed, %d failed, %d known failures\n",
           tally.passed, tally.failed, tally.known);
    printf("golden: .mdl: %d of %d pass; XMILE: %d of %d pass\n",
           tally.mdl_passed, tally.mdl, tally.passed - tally.mdl_passed,
           ncases - tally.mdl);

done:
    for (int i = 0; i < ncases; i++)
        free(cases[i].ref);
    for (int i = 0; i < paths.len; i++)
        free(paths.items[i]);
    vec_free(&paths);
    free(cases);
    free(tests);
    return rc;
}
