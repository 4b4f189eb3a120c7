/*
 * data.c - the data files of Vensim's GET functions (GET DIRECT DATA,
 * GET XLS CONSTANTS, ...): a CSV file (libcsv, any one-character
 * delimiter) or a sheet of an Excel 2007+ workbook (.xlsx: a zip of XML
 * parts, read with libzip, loaded when the first one is read, and expat)
 * or of an Excel 97-2003 workbook
 * (.xls, read with FreeXL) becomes an SdSheet, a sparse list of
 * its non-empty cells as text. The readers mdl.c calls take cells out of
 * a sheet: a time series down a column or across a row (GET DATA, GET
 * LOOKUPS), a block of numbers (GET CONSTANTS, `*` transposing it) and a
 * run of names (GET SUBSCRIPT). An SdBook caches the sheets one model
 * reads, with paths resolved against the model's folder.
 *
 * Every message names the file (and sheet) as the model wrote it and the
 * cell, as Excel spells it ('B2'). Inputs are capped: file size, bytes of
 * one zip part, cells of a sheet, rows and columns.
 *
 * Ownership: an SdSheet owns its cells and their text (its arena); an
 * SdBook owns the sheets it read. Series, blocks and names are allocated
 * in the caller's arena.
 */
#include "sd_int.h"

#include <csv.h>
#include <dlfcn.h>
#include <errno.h>
#include <expat.h>
#include <float.h>
#include <freexl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#define DATA_MAX_FILE (64u << 20) /* bytes of a data file */
#define DATA_MAX_PART (64u << 20) /* bytes of one part of a workbook */
#define DATA_MAX_CELLS 10000000   /* non-empty cells of a sheet */
#define DATA_MAX_ROWS 1048576     /* Excel's limits */
#define DATA_MAX_COLS 16384
#define DATA_MAX_TEXT 65536 /* bytes of one cell */

static void fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

/* ---- sheets ------------------------------------------------------------ */

static SdSheet *sheet_new(const char *label)
{
    SdSheet *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    arena_init(&s->arena);
    s->label = arena_strdup(&s->arena, label);
    if (!s->label) {
        arena_free(&s->arena);
        free(s);
        return NULL;
    }
    return s;
}

void sd_sheet_free(SdSheet *s)
{
    if (!s)
        return;
    free(s->cells);
    arena_free(&s->arena);
    free(s);
}

/* Adds cell (row, col) with text [t, t+n), trimmed; empty text is no
 * cell. False after a message. */
static bool sheet_put(SdSheet *s, int row, int col, const char *t, size_t n,
                      char *err, size_t en)
{
    while (n && (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')) {
        t++;
        n--;
    }
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r' ||
                 t[n - 1] == '\n'))
        n--;
    if (!n)
        return true;
    if (row < 0 || row >= DATA_MAX_ROWS || col < 0 || col >= DATA_MAX_COLS) {
        fail(err, en, "%s: a cell lies beyond row %d or column %d", s->label,
             DATA_MAX_ROWS, DATA_MAX_COLS);
        return false;
    }
    if (s->n >= DATA_MAX_CELLS) {
        fail(err, en, "%s has more than %d cells", s->label, DATA_MAX_CELLS);
        return false;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        SdCell *c = realloc(s->cells, sizeof *c * (size_t)cap);
        if (!c) {
            fail(err, en, "out of memory reading %s", s->label);
            return false;
        }
        s->cells = c;
        s->cap = cap;
    }
    const char *text = arena_strndup(&s->arena, t, n);
    if (!text) {
        fail(err, en, "out of memory reading %s", s->label);
        return false;
    }
    s->cells[s->n++] = (SdCell){row, col, text};
    if (row >= s->nrows)
        s->nrows = row + 1;
    if (col >= s->ncols)
        s->ncols = col + 1;
    return true;
}

static int cell_cmp(const void *a, const void *b)
{
    const SdCell *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Sorts the cells (they arrive in order nearly always); of a cell given
 * twice, which text stays is unspecified (workbooks and CSV files never
 * repeat a cell). */
static void sheet_done(SdSheet *s)
{
    bool sorted = true;
    for (int i = 1; i < s->n && sorted; i++)
        sorted = cell_cmp(&s->cells[i - 1], &s->cells[i]) < 0;
    if (sorted)
        return;
    qsort(s->cells, (size_t)s->n, sizeof *s->cells, cell_cmp);
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        if (k && cell_cmp(&s->cells[k - 1], &s->cells[i]) == 0)
            s->cells[k - 1] = s->cells[i];
        else
            s->cells[k++] = s->cells[i];
    }
    s->n = k;
}

const char *sd_sheet_at(const SdSheet *s, int row, int col)
{
    SdCell key = {row, col, NULL};
    const SdCell *c =
        s->n ? bsearch(&key, s->cells, (size_t)s->n, sizeof key, cell_cmp)
             : NULL;
    return c ? c->text : NULL;
}

/* ---- cell references ---------------------------------------------------- */

void sd_cell_name(int row, int col, char out[16])
{
    char letters[8];
    int n = 0;
    for (int c = col + 1; c > 0 && n < 7; c = (c - 1) / 26)
        letters[n++] = (char)('A' + (c - 1) % 26);
    int k = 0;
    while (n > 0)
        out[k++] = letters[--n];
    snprintf(out + k, (size_t)(16 - k), "%d", row + 1);
}

/* Column letters at *p (1 to 3 of them, up to XFD); -1 when none. */
static int col_letters(const char **p)
{
    const char *s = *p;
    int col = 0, n = 0;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
        if (++n > 3)
            return -1;
        col = col * 26 + ((*s | 0x20) - 'a' + 1);
        s++;
    }
    *p = s;
    return n && col <= DATA_MAX_COLS ? col - 1 : -1;
}

static int row_digits(const char **p)
{
    const char *s = *p;
    long row = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 7)
            return -1;
        row = row * 10 + (*s - '0');
        s++;
    }
    *p = s;
    return n && row >= 1 && row <= DATA_MAX_ROWS ? (int)row - 1 : -1;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

bool sd_cell_parse(const char *ref, int *row, int *col)
{
    const char *p = skip_ws(ref);
    int c = col_letters(&p);
    int r = c >= 0 ? row_digits(&p) : -1;
    if (r < 0 || *skip_ws(p))
        return false;
    *row = r;
    *col = c;
    return true;
}

/* 'A' (a column: the series runs down it) or '1' (a row: across it). */
static bool axis_parse(const char *ref, bool *across, int *index)
{
    const char *p = skip_ws(ref);
    if (*p >= '0' && *p <= '9') {
        *across = true;
        *index = row_digits(&p);
    } else {
        *across = false;
        *index = col_letters(&p);
    }
    return *index >= 0 && !*skip_ws(p);
}

/* ---- reading cells ------------------------------------------------------ */

/* The number in cell (row, col): 1, 0 when it is empty, -1 after a
 * message (text that is not a number). */
static int cell_num(const SdSheet *s, int row, int col, double *out, char *err,
                    size_t en)
{
    const char *t = sd_sheet_at(s, row, col);
    if (!t)
        return 0;
    if (str_to_double(t, out))
        return 1;
    char name[16];
    sd_cell_name(row, col, name);
    fail(err, en, "%s, cell %s: '%.40s' is not a number", s->label, name, t);
    return -1;
}

int sd_sheet_series(const SdSheet *s, const char *axis, const char *first,
                    int k, Arena *a, SdGraph *out, char *err, size_t en)
{
    bool across;
    int ti, r0, c0;
    if (!axis_parse(axis, &across, &ti)) {
        fail(err, en,
             "%s: '%s' is neither a column ('A') nor a row ('1') of times",
             s->label, axis);
        return T_EINPUT;
    }
    if (!sd_cell_parse(first, &r0, &c0)) {
        fail(err, en, "%s: '%s' is not a cell like 'B2'", s->label, first);
        return T_EINPUT;
    }
    /* the values: column c0 + k down, or row r0 + k across */
    int vr = across ? r0 + k : 0, vc = across ? 0 : c0 + k;
    int from = across ? c0 : r0, to = across ? s->ncols : s->nrows;
    if (vr >= DATA_MAX_ROWS || vc >= DATA_MAX_COLS)
        to = from;
    int n = 0;
    double *x = arena_alloc(a, sizeof(double) * (size_t)(to - from + 1));
    double *y = arena_alloc(a, sizeof(double) * (size_t)(to - from + 1));
    if (!x || !y) {
        fail(err, en, "out of memory reading %s", s->label);
        return T_EINTERNAL;
    }
    for (int i = from; i < to; i++) {
        double t, v;
        int tr = across ? ti : i, tc = across ? i : ti;
        int got = cell_num(s, tr, tc, &t, err, en);
        if (got < 0)
            return T_EINPUT;
        if (!got)
            continue; /* no time: not a data point */
        got = cell_num(s, across ? vr : i, across ? i : vc, &v, err, en);
        if (got < 0)
            return T_EINPUT;
        if (!got)
            continue; /* a missing value: interpolated over */
        if (n && !(t > x[n - 1])) {
            char name[16];
            sd_cell_name(tr, tc, name);
            fail(err, en, "%s, cell %s: times must ascend (%g after %g)",
                 s->label, name, t, x[n - 1]);
            return T_EINPUT;
        }
        x[n] = t;
        y[n] = v;
        n++;
    }
    if (!n) {
        char name[16];
        sd_cell_name(across ? vr : r0, across ? c0 : vc, name);
        fail(err, en, "%s: no data from cell %s %s", s->label, name,
             across ? "across its row" : "down its column");
        return T_EINPUT;
    }
    *out = (SdGraph){.type = SD_GF_CONTINUOUS, .n = n, .x = x, .y = y};
    return T_OK;
}

int sd_sheet_block(const SdSheet *s, const char *first, int rows, int cols,
                   double *out, char *err, size_t en)
{
    char ref[32];
    size_t len = strlen(first);
    bool transpose = len && first[len - 1] == '*';
    if (transpose)
        len--;
    int r0, c0;
    snprintf(ref, sizeof ref, "%.*s", (int)(len < 31 ? len : 31), first);
    if (len >= sizeof ref || !sd_cell_parse(ref, &r0, &c0)) {
        fail(err, en,
             "%s: '%s' is not a cell like 'B2' (named ranges are not "
             "supported)",
             s->label, first);
        return T_EINPUT;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            /* transposed: the rows of the block run across the sheet */
            long rr = transpose ? (long)r0 + j : (long)r0 + i;
            long cc = transpose ? (long)c0 + i : (long)c0 + j;
            double v;
            int got = rr < DATA_MAX_ROWS && cc < DATA_MAX_COLS
                          ? cell_num(s, (int)rr, (int)cc, &v, err, en)
                          : 0;
            if (got < 0)
                return T_EINPUT;
            if (!got) {
                char name[16];
                sd_cell_name((int)(rr < DATA_MAX_ROWS ? rr : 0),
                             (int)(cc < DATA_MAX_COLS ? cc : 0), name);
                fail(err, en,
                     "%s, cell %s: empty, where a %s of %d by %d numbers "
                     "from %s needs a number",
                     s->label, name, transpose ? "transposed block" : "block",
                     rows, cols, ref);
                return T_EINPUT;
            }
            out[(size_t)i * (size_t)cols + (size_t)j] = v;
        }
    return T_OK;
}

int sd_sheet_names(const SdSheet *s, const char *first, const char *last,
                   const char *prefix, Arena *a, const char ***out, int *n,
                   char *err, size_t en)
{
    int r0, c0, r1, c1;
    if (!sd_cell_parse(first, &r0, &c0)) {
        fail(err, en, "%s: '%s' is not a cell like 'B2'", s->label, first);
        return T_EINPUT;
    }
    bool open = !*skip_ws(last);
    if (open) { /* to the first empty cell across the row */
        r1 = r0;
        c1 = c0;
        while (c1 + 1 < s->ncols && sd_sheet_at(s, r0, c1 + 1))
            c1++;
    } else if (!sd_cell_parse(last, &r1, &c1) || r1 < r0 || c1 < c0) {
        fail(err, en, "%s: '%s' is not a cell like 'B2' below and right of %s",
             s->label, last, first);
        return T_EINPUT;
    }
    long count = (long)(r1 - r0 + 1) * (c1 - c0 + 1);
    if (count > DATA_MAX_CELLS) {
        fail(err, en, "%s: more than %d names from %s to %s", s->label,
             DATA_MAX_CELLS, first, last);
        return T_EINPUT;
    }
    const char **names = arena_alloc(a, sizeof(char *) * (size_t)(count + 1));
    if (!names) {
        fail(err, en, "out of memory reading %s", s->label);
        return T_EINTERNAL;
    }
    int k = 0;
    for (int i = r0; i <= r1; i++)
        for (int j = c0; j <= c1; j++) {
            const char *t = sd_sheet_at(s, i, j);
            if (!t) {
                char name[16];
                sd_cell_name(i, j, name);
                fail(err, en, "%s, cell %s: empty, where a name is needed",
                     s->label, name);
                return T_EINPUT;
            }
            names[k++] = arena_printf(a, "%s%s", prefix, t);
        }
    *out = names;
    *n = k;
    return T_OK;
}

/* ---- CSV ---------------------------------------------------------------- */

typedef struct CsvRead {
    SdSheet *s;   /* what we fill */
    int row, col; /* the next field's place */
    bool failed;  /* a message is in err */
    char *err;    /* where it goes */
    size_t en;    /* its size */
} CsvRead;

static void csv_on_field(void *f, size_t len, void *ud)
{
    CsvRead *c = ud;
    if (!c->failed && !sheet_put(c->s, c->row, c->col, f ? f : "", f ? len : 0,
                                 c->err, c->en))
        c->failed = true;
    c->col++;
}

static void csv_on_row(int ch, void *ud)
{
    CsvRead *c = ud;
    c->row++;
    c->col = 0;
}

int sd_sheet_from_csv(const char *text, size_t len, char delim,
                      const char *label, SdSheet **out, char *err, size_t en)
{
    *out = NULL;
    SdSheet *s = sheet_new(label);
    struct csv_parser p;
    if (!s || csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL)) {
        sd_sheet_free(s);
        fail(err, en, "out of memory reading %s", label);
        return T_EINTERNAL;
    }
    csv_set_delim(&p, (unsigned char)delim);
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3; /* a byte-order mark */
        len -= 3;
    }
    CsvRead c = {.s = s, .err = err, .en = en};
    size_t got = csv_parse(&p, text, len, csv_on_field, csv_on_row, &c);
    if (!c.failed && got != len) {
        fail(err, en, "%s, line %d: %s", label, c.row + 1,
             csv_strerror(csv_error(&p)));
        c.failed = true;
    }
    if (!c.failed)
        csv_fini(&p, csv_on_field, csv_on_row, &c);
    csv_free(&p);
    if (c.failed) {
        sd_sheet_free(s);
        return T_EINPUT;
    }
    sheet_done(s);
    *out = s;
    return T_OK;
}

/* ---- xlsx: a zip of XML parts ------------------------------------------- */

/* The local part of an XML name (`x:sheet` is `sheet`). */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name, bool any_prefix)
{
    for (int i = 0; atts[i]; i += 2)
        if (!strcmp(any_prefix ? local(atts[i]) : atts[i], name))
            return atts[i + 1];
    return NULL;
}

/* libzip, loaded with dlopen when the first .xlsx is read: linked, it
 * and the OpenSSL it needs cost every command (a model run too) about
 * 5 ms of loading before main, for a feature only workbooks use. */
struct SdZip {
    void *lib;                                    /* from dlopen */
    void (*error_init)(zip_error_t *);            /* zip_error_init */
    void (*error_fini)(zip_error_t *);            /* zip_error_fini */
    const char *(*error_strerror)(zip_error_t *); /* zip_error_strerror */
    /* zip_source_buffer_create */
    zip_source_t *(*source_buffer_create)(const void *, zip_uint64_t, int,
                                          zip_error_t *);
    zip_t *(*open_from_source)(zip_source_t *, int,
                               zip_error_t *); /* zip_open_from_source */
    void (*source_free)(zip_source_t *);       /* zip_source_free */
    void (*stat_init)(zip_stat_t *);           /* zip_stat_init */
    int (*stat_name)(zip_t *, const char *, zip_flags_t,
                     zip_stat_t *); /* zip_stat */
    zip_file_t *(*file_open)(zip_t *, const char *,
                             zip_flags_t);    /* zip_fopen */
    const char *(*archive_strerror)(zip_t *); /* zip_strerror */
    zip_int64_t (*file_read)(zip_file_t *, void *,
                             zip_uint64_t);     /* zip_fread */
    const char *(*file_strerror)(zip_file_t *); /* zip_file_strerror */
    int (*file_close)(zip_file_t *);            /* zip_fclose */
    void (*discard)(zip_t *);                   /* zip_discard */
};

int sd_zip_load(SdZip **out, const char *label, char *err, size_t en)
{
    *out = NULL;
    SdZip *z = calloc(1, sizeof *z);
    if (!z) {
        fail(err, en, "out of memory reading %s", label);
        return T_EINTERNAL;
    }
    z->lib = dlopen("libzip.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!z->lib) {
        fail(err, en,
             "cannot read %s: cannot load libzip (%s); install Debian's "
             "libzip4",
             label, dlerror());
        free(z);
        return T_EINPUT;
    }
    /* POSIX guarantees a function's address survives the void *. */
#define ZIP_SYM(field, name)                                                   \
    *(void **)&z->field = dlsym(z->lib, name);                                 \
    if (!z->field) {                                                           \
        fail(err, en, "cannot read %s: libzip has no '%s'", label, name);      \
        sd_zip_free(z);                                                        \
        return T_EINPUT;                                                       \
    }
    ZIP_SYM(error_init, "zip_error_init")
    ZIP_SYM(error_fini, "zip_error_fini")
    ZIP_SYM(error_strerror, "zip_error_strerror")
    ZIP_SYM(source_buffer_create, "zip_source_buffer_create")
    ZIP_SYM(open_from_source, "zip_open_from_source")
    ZIP_SYM(source_free, "zip_source_free")
    ZIP_SYM(stat_init, "zip_stat_init")
    ZIP_SYM(stat_name, "zip_stat")
    ZIP_SYM(file_open, "zip_fopen")
    ZIP_SYM(archive_strerror, "zip_strerror")
    ZIP_SYM(file_read, "zip_fread")
    ZIP_SYM(file_strerror, "zip_file_strerror")
    ZIP_SYM(file_close, "zip_fclose")
    ZIP_SYM(discard, "zip_discard")
#undef ZIP_SYM
    *out = z;
    return T_OK;
}

void sd_zip_free(SdZip *z)
{
    if (!z)
        return;
    if (z->lib)
        dlclose(z->lib);
    free(z);
}

/* One part of the workbook, NUL-terminated in b. 1 when read, 0 when the
 * workbook has no such part, -1 after a message. */
static int zip_part(const SdZip *zl, zip_t *z, const char *name,
                    const char *label, TBuf *b, char *err, size_t en)
{
    zip_stat_t st;
    zl->stat_init(&st);
    if (zl->stat_name(z, name, ZIP_FL_NOCASE, &st) != 0)
        return 0;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > DATA_MAX_PART) {
        fail(err, en, "%s: part %s is larger than %u MiB", label, name,
             DATA_MAX_PART >> 20);
        return -1;
    }
    zip_file_t *f = zl->file_open(z, name, ZIP_FL_NOCASE);
    if (!f) {
        fail(err, en, "%s: cannot open part %s: %s", label, name,
             zl->archive_strerror(z));
        return -1;
    }
    char chunk[16384];
    zip_int64_t got;
    int rc = 1;
    while ((got = zl->file_read(f, chunk, sizeof chunk)) > 0) {
        if (b->len + (size_t)got > DATA_MAX_PART) {
            fail(err, en, "%s: part %s is larger than %u MiB", label, name,
                 DATA_MAX_PART >> 20);
            rc = -1;
            break;
        }
        if (tbuf_append(b, chunk, (size_t)got)) {
            fail(err, en, "out of memory reading %s", label);
            rc = -1;
            break;
        }
    }
    if (rc == 1 && got < 0) {
        fail(err, en, "%s: part %s is damaged: %s", label, name,
             zl->file_strerror(f));
        rc = -1;
    }
    zl->file_close(f);
    if (rc == 1)
        tbuf_cstr(b);
    return rc;
}

typedef enum { X_BOOK, X_RELS, X_STRINGS, X_SHEET } XPart;

typedef struct XRead {
    XPart part;          /* which part is parsed */
    const char *want;    /* X_BOOK: the sheet's name; X_RELS: its r:id */
    char *found;         /* X_BOOK: the r:id; X_RELS: the target (malloc) */
    TBuf names;          /* X_BOOK: the sheet names, for the message */
    VEC(char *) strings; /* X_STRINGS: the shared strings (malloc) */
    TBuf text;           /* text of the current <t> or <v> */
    bool in_text;        /* inside <t> or <v> */
    bool in_phonetic;    /* inside <rPh> (not part of the string) */
    SdSheet *s;          /* X_SHEET: what we fill */
    int row, col;        /* X_SHEET: the current cell */
    const char *type;    /* X_SHEET: its t attribute (static copy) */
    char type_buf[16];   /* holds it */
    bool in_cell;        /* inside <c> */
    bool failed;         /* a message is in err */
    char *err;           /* where it goes */
    size_t en;           /* its size */
    XML_Parser p;        /* for stopping */
} XRead;

static void x_stop(XRead *x)
{
    x->failed = true;
    XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL x_start(void *ud, const char *el, const char **atts)
{
    XRead *x = ud;
    const char *n = local(el);
    if (x->failed)
        return;
    switch (x->part) {
    case X_BOOK:
        if (!strcmp(n, "sheet")) {
            const char *name = attr(atts, "name", false);
            const char *id = attr(atts, "id", true);
            if (name) {
                tbuf_printf(&x->names, "%s'%s'", x->names.len ? ", " : "",
                            name);
                if (id && !x->found && !strcmp(name, x->want))
                    x->found = strdup(id);
            }
        }
        break;
    case X_RELS:
        if (!strcmp(n, "Relationship")) {
            const char *id = attr(atts, "Id", false);
            const char *to = attr(atts, "Target", false);
            if (id && to && !x->found && !strcmp(id, x->want))
                x->found = strdup(to);
        }
        break;
    case X_STRINGS:
        if (!strcmp(n, "si")) {
            x->text.len = 0;
            tbuf_cstr(&x->text);
        } else if (!strcmp(n, "rPh")) {
            x->in_phonetic = true;
        } else if (!strcmp(n, "t") && !x->in_phonetic) {
            x->in_text = true;
        }
        break;
    case X_SHEET:
        if (!strcmp(n, "row")) {
            const char *r = attr(atts, "r", false);
            long v;
            if (r) {
                if (!str_to_int(r, 1, DATA_MAX_ROWS, &v)) {
                    fail(x->err, x->en, "%s: row number '%.20s' out of range",
                         x->s->label, r);
                    x_stop(x);
                    return;
                }
                x->row = (int)v - 1;
            } else {
                x->row++;
            }
            x->col = -1;
        } else if (!strcmp(n, "c")) {
            const char *r = attr(atts, "r", false);
            const char *t = attr(atts, "t", false);
            int rr, cc;
            if (r) {
                if (!sd_cell_parse(r, &rr, &cc)) {
                    fail(x->err, x->en, "%s: '%.20s' is not a cell reference",
                         x->s->label, r);
                    x_stop(x);
                    return;
                }
                x->row = rr;
                x->col = cc;
            } else {
                x->col++;
            }
            snprintf(x->type_buf, sizeof x->type_buf, "%s", t ? t : "n");
            x->type = x->type_buf;
            x->in_cell = true;
            x->text.len = 0;
            tbuf_cstr(&x->text);
        } else if (x->in_cell && (!strcmp(n, "v") || !strcmp(n, "t"))) {
            x->in_text = true;
        }
        break;
    }
}

static void XMLCALL x_text(void *ud, const char *s, int len)
{
    XRead *x = ud;
    if (x->failed || !x->in_text)
        return;
    if (x->text.len + (size_t)len > DATA_MAX_TEXT) {
        fail(x->err, x->en, "a cell of %s holds more than %d bytes",
             x->s ? x->s->label : "the workbook", DATA_MAX_TEXT);
        x_stop(x);
        return;
    }
    tbuf_append(&x->text, s, (size_t)len);
}

static void XMLCALL x_end(void *ud, const char *el)
{
    XRead *x = ud;
    const char *n = local(el);
    if (x->failed)
        return;
    if (x->part == X_STRINGS) {
        if (!strcmp(n, "t"))
            x->in_text = false;
        else if (!strcmp(n, "rPh"))
            x->in_phonetic = false;
        else if (!strcmp(n, "si")) {
            char *t = strdup(tbuf_cstr(&x->text));
            if (!t || vec_push(&x->strings, t)) {
                free(t);
                fail(x->err, x->en, "out of memory reading shared strings");
                x_stop(x);
            }
        }
        return;
    }
    if (x->part != X_SHEET)
        return;
    if (!strcmp(n, "v") || !strcmp(n, "t")) {
        x->in_text = false;
    } else if (!strcmp(n, "c") && x->in_cell) {
        x->in_cell = false;
        const char *t = tbuf_cstr(&x->text);
        const char *type = x->type;
        if (!strcmp(type, "e"))
            return; /* an error value (#N/A): a missing cell */
        if (!strcmp(type, "s")) {
            long i;
            if (!str_to_int(t, 0, (long)x->strings.len - 1, &i)) {
                char name[16];
                sd_cell_name(x->row, x->col, name);
                fail(x->err, x->en,
                     "%s, cell %s: shared string '%.20s' does not exist",
                     x->s->label, name, t);
                x_stop(x);
                return;
            }
            t = x->strings.items[i];
        }
        if (!sheet_put(x->s, x->row, x->col, t, strlen(t), x->err, x->en))
            x_stop(x);
    }
}

/* Parses one part of the workbook with x's handlers. */
static bool x_parse(XRead *x, const TBuf *b, const char *label,
                    const char *part)
{
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p) {
        fail(x->err, x->en, "out of memory reading %s", label);
        return false;
    }
    x->p = p;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, x_start, x_end);
    XML_SetCharacterDataHandler(p, x_text);
    bool ok =
        XML_Parse(p, b->data ? b->data : "", (int)b->len, 1) == XML_STATUS_OK;
    if (!ok && !x->failed)
        fail(x->err, x->en, "%s: %s:%lu:%lu: %s", label, part,
             (unsigned long)XML_GetCurrentLineNumber(p),
             (unsigned long)XML_GetCurrentColumnNumber(p) + 1,
             XML_ErrorString(XML_GetErrorCode(p)));
    XML_ParserFree(p);
    return ok && !x->failed;
}

static void x_free(XRead *x)
{
    free(x->found);
    x->found = NULL;
    tbuf_free(&x->names);
    tbuf_free(&x->text);
    for (int i = 0; i < x->strings.len; i++)
        free(x->strings.items[i]);
    vec_free(&x->strings);
}

int sd_sheet_from_xlsx(const SdZip *zl, const void *data, size_t len,
                       const char *sheet, const char *label, SdSheet **out,
                       char *err, size_t en)
{
    *out = NULL;
    TBuf sheet_label = {0};
    tbuf_printf(&sheet_label, "%s sheet '%s'", label, sheet);
    zip_error_t ze;
    zl->error_init(&ze);
    zip_source_t *src = zl->source_buffer_create(data, len, 0, &ze);
    zip_t *z = src ? zl->open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!z) {
        fail(err, en, "%s is not an .xlsx workbook (%s)", label,
             zl->error_strerror(&ze));
        zl->error_fini(&ze);
        if (src)
            zl->source_free(src);
        tbuf_free(&sheet_label);
        return T_EINPUT;
    }
    zl->error_fini(&ze);
    XRead x = {.err = err, .en = en};
    TBuf b = {0};
    int rc = T_EINPUT;
    char path[512];
    SdSheet *s = NULL;
    /* the workbook: sheet name -> relationship id */
    int got = zip_part(zl, z, "xl/workbook.xml", label, &b, err, en);
    if (got == 0)
        fail(err, en, "%s is not an .xlsx workbook (it has no xl/workbook.xml)",
             label);
    if (got <= 0)
        goto done;
    x.part = X_BOOK;
    x.want = sheet;
    if (!x_parse(&x, &b, label, "xl/workbook.xml"))
        goto done;
    if (!x.found) {
        fail(err, en, "%s has no sheet '%s' (its sheets: %s)", label, sheet,
             x.names.len ? tbuf_cstr(&x.names) : "none");
        goto done;
    }
    /* the relationship: id -> the sheet's part */
    char *id = x.found;
    x.found = NULL;
    b.len = 0;
    got = zip_part(zl, z, "xl/_rels/workbook.xml.rels", label, &b, err, en);
    if (got == 0)
        fail(err, en, "%s: the workbook has no xl/_rels/workbook.xml.rels",
             label);
    if (got > 0) {
        x.part = X_RELS;
        x.want = id;
        if (x_parse(&x, &b, label, "xl/_rels/workbook.xml.rels") && !x.found)
            fail(err, en, "%s: sheet '%s' has no part (relationship '%s')",
                 label, sheet, id);
    }
    free(id);
    if (!x.found)
        goto done;
    if (x.found[0] == '/')
        snprintf(path, sizeof path, "%s", x.found + 1);
    else
        snprintf(path, sizeof path, "xl/%s", x.found);
    /* the shared strings, when there are any */
    b.len = 0;
    got = zip_part(zl, z, "xl/sharedStrings.xml", label, &b, err, en);
    if (got < 0)
        goto done;
    if (got > 0) {
        x.part = X_STRINGS;
        if (!x_parse(&x, &b, label, "xl/sharedStrings.xml"))
            goto done;
    }
    /* the sheet's cells */
    b.len = 0;
    got = zip_part(zl, z, path, label, &b, err, en);
    if (got == 0)
        fail(err, en, "%s: sheet '%s' (part %s) is missing", label, sheet,
             path);
    if (got <= 0)
        goto done;
    s = sheet_new(tbuf_cstr(&sheet_label));
    if (!s) {
        fail(err, en, "out of memory reading %s", label);
        rc = T_EINTERNAL;
        goto done;
    }
    x.part = X_SHEET;
    x.s = s;
    x.row = -1;
    x.in_text = false;
    if (!x_parse(&x, &b, tbuf_cstr(&sheet_label), path))
        goto done;
    sheet_done(s);
    *out = s;
    s = NULL;
    rc = T_OK;
done:
    tbuf_free(&sheet_label);
    sd_sheet_free(s);
    x_free(&x);
    tbuf_free(&b);
    zl->discard(z);
    return rc;
}

/* ---- xls: Excel 97-2003 (BIFF), read by FreeXL --------------------------- */

/* FreeXL (1.0.6) reads out of bounds on some damaged files (fuzz_data
 * found a stack overflow in freexl_open within minutes), so it runs in a
 * child process that sends the sheet's cells back through a pipe: a
 * damaged file costs the child, never this process's memory. Records:
 * 'C' row col len text (a cell), 'E' len text (a message), 'D' (done);
 * numbers are 32-bit in the machine's order. The model is loaded by the
 * CLI and the tests, single-threaded, so the fork is safe. */

static bool put_all(int fd, const void *b, size_t n)
{
    const char *p = b;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool put_rec(int fd, char type, int row, int col, const char *t)
{
    uint32_t hdr[3] = {(uint32_t)row, (uint32_t)col,
                       t ? (uint32_t)strlen(t) : 0};
    if (!put_all(fd, &type, 1))
        return false;
    if (type == 'D')
        return true;
    if (type == 'E')
        return put_all(fd, &hdr[2], 4) && put_all(fd, t, hdr[2]);
    return put_all(fd, hdr, sizeof hdr) && put_all(fd, t, hdr[2]);
}

/* The child's part: the sheet's cells (or a message) to fd. */
static void xls_dump(const char *path, const char *sheet, const char *label,
                     int fd)
{
    const void *h = NULL;
    char msg[512];
    TBuf names = {0};
    int x = freexl_open(path, &h);
    if (x != FREEXL_OK) {
        snprintf(msg, sizeof msg,
                 "%s is not an Excel 97-2003 workbook (.xls) FreeXL can read "
                 "(error %d)",
                 label, x);
        put_rec(fd, 'E', 0, 0, msg);
        return;
    }
    unsigned int count = 0;
    if (freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK)
        count = 0;
    int found = -1;
    for (unsigned int i = 0; i < count && i < 65535; i++) {
        const char *name = NULL;
        if (freexl_get_worksheet_name(h, (unsigned short)i, &name) !=
                FREEXL_OK ||
            !name)
            continue;
        tbuf_printf(&names, "%s'%s'", names.len ? ", " : "", name);
        if (found < 0 && !strcmp(name, sheet))
            found = (int)i;
    }
    unsigned int rows = 0;
    unsigned short cols = 0;
    if (found < 0) {
        snprintf(msg, sizeof msg, "%s has no sheet '%s' (its sheets: %s)",
                 label, sheet, names.len ? tbuf_cstr(&names) : "none");
        put_rec(fd, 'E', 0, 0, msg);
    } else if (freexl_select_active_worksheet(h, (unsigned short)found) !=
                   FREEXL_OK ||
               freexl_worksheet_dimensions(h, &rows, &cols) != FREEXL_OK) {
        snprintf(msg, sizeof msg, "%s: cannot read sheet '%s'", label, sheet);
        put_rec(fd, 'E', 0, 0, msg);
    } else {
        bool ok = true;
        for (unsigned int r = 0; ok && r < rows && r < DATA_MAX_ROWS; r++)
            for (unsigned short c = 0; ok && c < cols; c++) {
                FreeXL_CellValue v;
                char num[32];
                const char *t = NULL;
                if (freexl_get_cell_value(h, r, c, &v) != FREEXL_OK)
                    continue;
                if (v.type == FREEXL_CELL_INT) {
                    snprintf(num, sizeof num, "%d", v.value.int_value);
                    t = num;
                } else if (v.type == FREEXL_CELL_DOUBLE) {
                    snprintf(num, sizeof num, "%.17g", v.value.double_value);
                    t = num;
                } else if (v.type != FREEXL_CELL_NULL) {
                    t = v.value.text_value;
                }
                if (t && *t)
                    ok = put_rec(fd, 'C', (int)r, (int)c, t);
            }
        if (ok)
            put_rec(fd, 'D', 0, 0, NULL);
    }
    tbuf_free(&names);
    freexl_close(h);
}

/* Reads n bytes of the child's records from buf at *pos. */
static bool take(const TBuf *b, size_t *pos, void *out, size_t n)
{
    if (b->len - *pos < n)
        return false;
    memcpy(out, b->data + *pos, n);
    *pos += n;
    return true;
}

int sd_sheet_from_xls(const char *path, const char *sheet, const char *label,
                      SdSheet **out, char *err, size_t en)
{
    *out = NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        fail(err, en, "cannot read %s: %s", label, strerror(errno));
        return T_EINTERNAL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fail(err, en, "cannot read %s: %s", label, strerror(errno));
        return T_EINTERNAL;
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(60); /* a file that sends FreeXL round in circles ends too */
        xls_dump(path, sheet, label, fds[1]);
        close(fds[1]);
        _exit(0); /* no atexit handlers, no leak report in the child */
    }
    close(fds[1]);
    TBuf b = {0};
    char chunk[65536];
    bool big = false;
    for (;;) {
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (big || b.len + (size_t)got > 4 * (size_t)DATA_MAX_FILE ||
            tbuf_append(&b, chunk, (size_t)got)) {
            big = true; /* keep reading so the child can finish */
            continue;
        }
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = T_EINPUT;
    SdSheet *s = NULL;
    TBuf sheet_label = {0};
    tbuf_printf(&sheet_label, "%s sheet '%s'", label, sheet);
    size_t pos = 0;
    bool done = false;
    if (big) {
        fail(err, en, "%s holds more than %u MiB of cells", label,
             (4 * DATA_MAX_FILE) >> 20);
        goto out;
    }
    s = sheet_new(tbuf_cstr(&sheet_label));
    if (!s) {
        fail(err, en, "out of memory reading %s", label);
        rc = T_EINTERNAL;
        goto out;
    }
    while (!done && pos < b.len) {
        char type = b.data[pos++];
        uint32_t hdr[3];
        if (type == 'D') {
            done = true;
        } else if (type == 'E' && take(&b, &pos, &hdr[2], 4) &&
                   b.len - pos >= hdr[2]) {
            fail(err, en, "%.*s", (int)hdr[2], b.data + pos);
            goto out;
        } else if (type == 'C' && take(&b, &pos, hdr, sizeof hdr) &&
                   b.len - pos >= hdr[2]) {
            if (!sheet_put(s, (int)hdr[0], (int)hdr[1], b.data + pos, hdr[2],
                           err, en))
                goto out;
            pos += hdr[2];
        } else {
            break;
        }
    }
    if (!done) {
        if (WIFSIGNALED(status))
            fail(err, en,
                 "%s could not be read: FreeXL stopped on it (signal %d), a "
                 "damaged file or not an .xls workbook",
                 label, WTERMSIG(status));
        else
            fail(err, en,
                 "%s could not be read: FreeXL stopped on it (exit %d), a "
                 "damaged file or not an .xls workbook",
                 label, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto out;
    }
    sheet_done(s);
    *out = s;
    s = NULL;
    rc = T_OK;
out:
    sd_sheet_free(s);
    tbuf_free(&b);
    tbuf_free(&sheet_label);
    return rc;
}

/* ---- the files of a model ----------------------------------------------- */

void sd_book_init(SdBook *b, const char *model_file)
{
    memset(b, 0, sizeof *b);
    const char *slash = model_file ? strrchr(model_file, '/') : NULL;
    b->dir = slash ? strndup(model_file, (size_t)(slash - model_file + 1))
                   : strdup("");
}

void sd_book_free(SdBook *b)
{
    for (int i = 0; i < b->sheets.len; i++)
        sd_sheet_free(b->sheets.items[i]);
    for (int i = 0; i < b->keys.len; i++)
        free(b->keys.items[i]);
    vec_free(&b->sheets);
    vec_free(&b->keys);
    sd_zip_free(b->zip);
    b->zip = NULL;
    free(b->dir);
    b->dir = NULL;
}

static bool ends_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* The delimiter a GET DIRECT call names: one character, or `\t`. */
static int delimiter(const char *tab)
{
    if (!strcmp(tab, "\\t") || !strcasecmp(tab, "tab"))
        return '\t';
    if (strlen(tab) == 1)
        return (unsigned char)tab[0];
    return -1;
}

int sd_book_sheet(SdBook *b, const char *file, const char *tab,
                  const SdSheet **out, char *err, size_t en)
{
    *out = NULL;
    if (!b->dir) {
        fail(err, en, "out of memory");
        return T_EINTERNAL;
    }
    TBuf key = {0};
    tbuf_printf(&key, "%s\n%s", file, tab);
    const char *k = tbuf_cstr(&key);
    for (int i = 0; i < b->keys.len; i++)
        if (!strcmp(b->keys.items[i], k)) {
            *out = b->sheets.items[i];
            tbuf_free(&key);
            return T_OK;
        }
    int rc = T_EINPUT;
    TBuf path = {0}, label = {0}, text = {0};
    SdSheet *s = NULL;
    bool xlsx = ends_ci(file, ".xlsx") || ends_ci(file, ".xlsm");
    tbuf_printf(&label, "'%s'", file);
    if (!*file) {
        fail(err, en, "no file named");
        goto done;
    }
    if (file[0] == '?') {
        fail(err, en,
             "'%s' names a file by an indirection Vensim resolves at run "
             "time, which is not supported",
             file);
        goto done;
    }
    tbuf_printf(&path, "%s%s", file[0] == '/' ? "" : b->dir, file);
    struct stat st;
    if (stat(tbuf_cstr(&path), &st) != 0) {
        fail(err, en, "cannot read '%s' (%s): %s", file, tbuf_cstr(&path),
             strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)DATA_MAX_FILE) {
        fail(err, en, "'%s' (%s) is %s", file, tbuf_cstr(&path),
             S_ISREG(st.st_mode) ? "larger than 64 MiB" : "not a file");
        goto done;
    }
    if (ends_ci(file, ".xls")) {
        rc = sd_sheet_from_xls(tbuf_cstr(&path), tab, tbuf_cstr(&label), &s,
                               err, en);
        goto loaded;
    }
    int r = tbuf_read_file(&text, tbuf_cstr(&path), DATA_MAX_FILE);
    if (r != T_OK) {
        fail(err, en, "cannot read '%s' (%s): %s", file, tbuf_cstr(&path),
             strerror(errno));
        goto done;
    }
    if (xlsx && !b->zip &&
        (rc = sd_zip_load(&b->zip, tbuf_cstr(&label), err, en)) != T_OK)
        goto done;
    if (xlsx) {
        rc = sd_sheet_from_xlsx(b->zip, text.data ? text.data : "", text.len,
                                tab, tbuf_cstr(&label), &s, err, en);
    } else {
        int delim = delimiter(tab);
        if (delim < 0) {
            fail(err, en,
                 "'%s' is read as CSV, whose delimiter must be one character "
                 "or '\\t', not '%s'",
                 file, tab);
            goto done;
        }
        rc = sd_sheet_from_csv(text.data ? text.data : "", text.len,
                               (char)delim, tbuf_cstr(&label), &s, err, en);
    }
loaded:
    if (rc == T_OK) {
        char *kk = strdup(k);
        if (!kk || vec_push(&b->keys, kk)) {
            free(kk);
            rc = T_EINTERNAL;
        } else if (vec_push(&b->sheets, s)) {
            free(b->keys.items[--b->keys.len]);
            rc = T_EINTERNAL;
        } else {
            *out = s;
            s = NULL;
        }
        if (rc != T_OK)
            fail(err, en, "out of memory reading '%s'", file);
    }
done:
    sd_sheet_free(s);
    tbuf_free(&key);
    tbuf_free(&path);
    tbuf_free(&label);
    tbuf_free(&text);
    return rc;
}

/* ---- data variables ----------------------------------------------------- */

SdGraph *sd_data_graph(Arena *a, const SdGraph *g, SdDataMode mode)
{
    SdGraph *out = arena_alloc(a, sizeof *out);
    if (!out)
        return NULL;
    *out = *g;
    if (mode == SD_DATA_INTERPOLATE || mode == SD_DATA_NONE)
        return out;
    out->type = SD_GF_DISCRETE;
    if (mode == SD_DATA_HOLD)
        return out;
    int n = g->n;
    double *x = arena_alloc(a, sizeof(double) * (size_t)(2 * n + 1));
    double *y = arena_alloc(a, sizeof(double) * (size_t)(2 * n + 1));
    if (!x || !y)
        return NULL;
    int k = 0;
    if (mode == SD_DATA_FORWARD) {
        for (int i = 0; i < n; i++) {
            x[k] = i ? nextafter(g->x[i - 1], INFINITY) : g->x[0];
            y[k++] = g->y[i];
        }
    } else { /* SD_DATA_RAW */
        x[k] = -DBL_MAX;
        y[k++] = NAN;
        for (int i = 0; i < n; i++) {
            x[k] = g->x[i];
            y[k++] = g->y[i];
            double after = nextafter(g->x[i], INFINITY);
            if (i + 1 == n || after < g->x[i + 1]) {
                x[k] = after;
                y[k++] = NAN;
            }
        }
    }
    out->x = x;
    out->y = y;
    out->n = k;
    return out;
}

/* An equation of a data variable that waits for its data. */
static bool eqn_waits(const SdEqn *q)
{
    return !q->eqn && !q->gf && !q->nvals;
}

int sd_model_check_data(const SdModel *m, TDiags *d)
{
    int rc = T_OK;
    for (int i = 0; i < m->nvars; i++) {
        const SdVar *v = &m->vars[i];
        if (!v->run_data)
            continue;
        diags_add(d, DIAG_ERROR, m->file, v->line, v->col, NULL,
                  "'%s' has no equation: a data variable whose values Vensim "
                  "is given at run time (a .vdf file); give its data with "
                  "--data FILE",
                  v->name);
        rc = T_EINPUT;
    }
    return rc;
}

#define RUN_DATA_MAX_FILES 64 /* --data files of one run */

/* One run-time data file: names across its first row after `Time`, the
 * times down its first column (or, transposed, names down the first
 * column and times across the row that `Time` heads). */
typedef struct RunFile {
    const char *path; /* as given */
    SdSheet *s;       /* its cells */
    bool across;      /* transposed: the times run across row 1 */
    THash names;      /* canonical `name[elem,...]` -> column (row) */
    bool *used;       /* per column (row): a variable took it */
    int n;            /* columns (rows) of names, the first included */
} RunFile;

/* The cell of name k (index along the names) at time index t, either way
 * round. */
static void run_cell(const RunFile *f, int k, int t, int *row, int *col)
{
    *row = f->across ? k : t;
    *col = f->across ? t : k;
}

static void run_file_free(RunFile *f)
{
    sd_sheet_free(f->s);
    thash_free(&f->names);
    free(f->used);
}

/* Reads file path into f; false after an error in d. Keys live in a. */
static bool run_file_read(RunFile *f, const char *path, Arena *a, TDiags *d)
{
    *f = (RunFile){.path = path};
    char err[512];
    char delim = ends_ci(path, ".csv") ? ',' : '\t';
    if (!ends_ci(path, ".csv") && !ends_ci(path, ".tab") &&
        !ends_ci(path, ".tsv") && !ends_ci(path, ".txt")) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL,
                  "a data file must be .tab (tabs) or .csv (commas)");
        return false;
    }
    TBuf text = {0};
    if (tbuf_read_file(&text, path, DATA_MAX_FILE) != T_OK) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read it: %s",
                  errno ? strerror(errno) : "larger than 64 MiB");
        tbuf_free(&text);
        return false;
    }
    TBuf label = {0};
    tbuf_printf(&label, "'%s'", path);
    int rc = sd_sheet_from_csv(text.data ? text.data : "", text.len, delim,
                               tbuf_cstr(&label), &f->s, err, sizeof err);
    tbuf_free(&text);
    tbuf_free(&label);
    if (rc != T_OK) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "%s", err);
        return false;
    }
    const char *a1 = sd_sheet_at(f->s, 0, 0);
    if (!a1 || strcasecmp(a1, "time")) {
        diags_add(d, DIAG_ERROR, path, 1, 1, NULL,
                  "no Time column: the first cell is '%.40s', where 'Time' "
                  "must head the times (down the first column, or across the "
                  "first row)",
                  a1 ? a1 : "");
        return false;
    }
    double t;
    const char *b1 = sd_sheet_at(f->s, 0, 1);
    f->across = b1 && str_to_double(b1, &t);
    f->n = f->across ? f->s->nrows : f->s->ncols;
    int ntimes = f->across ? f->s->ncols : f->s->nrows;
    f->used = calloc((size_t)(f->n > 0 ? f->n : 1), sizeof *f->used);
    if (!f->used) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "out of memory");
        return false;
    }
    /* the times: numbers, ascending; a blank time is a row passed over */
    double last = -INFINITY;
    for (int i = 1; i < ntimes; i++) {
        int row, col;
        run_cell(f, 0, i, &row, &col);
        const char *c = sd_sheet_at(f->s, row, col);
        if (!c)
            continue;
        if (!str_to_double(c, &t)) {
            diags_add(d, DIAG_ERROR, path, row + 1, col + 1, NULL,
                      "the time '%.40s' is not a number", c);
            return false;
        }
        if (!(t > last)) {
            diags_add(d, DIAG_ERROR, path, row + 1, col + 1, NULL,
                      "times must ascend (%g after %g)", t, last);
            return false;
        }
        last = t;
    }
    for (int k = 1; k < f->n; k++) {
        int row, col, prev;
        run_cell(f, k, 0, &row, &col);
        const char *c = sd_sheet_at(f->s, row, col);
        char *key = c ? sd_canon_ref(a, c) : NULL;
        if (key && !thash_get(&f->names, key, &prev) &&
            thash_put(&f->names, key, k)) {
            diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "out of memory");
            return false;
        }
    }
    return true;
}

/* The series of name k of f as a data variable's graphical function, in
 * m's arena; NULL after an error in d. */
static SdGraph *run_series(SdModel *m, const RunFile *f, int k, SdDataMode mode,
                           const char *name, TDiags *d)
{
    int ntimes = f->across ? f->s->ncols : f->s->nrows;
    double *x = arena_alloc(&m->arena, sizeof(double) * (size_t)ntimes);
    double *y = arena_alloc(&m->arena, sizeof(double) * (size_t)ntimes);
    if (!x || !y) {
        diags_add(d, DIAG_ERROR, f->path, 0, 0, NULL, "out of memory");
        return NULL;
    }
    int n = 0;
    for (int i = 1; i < ntimes; i++) {
        int tr, tc, vr, vc;
        run_cell(f, 0, i, &tr, &tc);
        run_cell(f, k, i, &vr, &vc);
        const char *tt = sd_sheet_at(f->s, tr, tc);
        const char *vt = sd_sheet_at(f->s, vr, vc);
        if (!tt || !vt)
            continue; /* no time, or a missing value */
        if (!str_to_double(tt, &x[n]) || !str_to_double(vt, &y[n])) {
            diags_add(d, DIAG_ERROR, f->path, vr + 1, vc + 1, NULL,
                      "'%.40s' is not a number (a value of '%s')", vt, name);
            return NULL;
        }
        n++;
    }
    if (!n) {
        int row, col;
        run_cell(f, k, 0, &row, &col);
        diags_add(d, DIAG_ERROR, f->path, row + 1, col + 1, NULL,
                  "'%s' has no values", name);
        return NULL;
    }
    SdGraph g = {.type = SD_GF_CONTINUOUS, .n = n, .x = x, .y = y};
    SdGraph *out = sd_data_graph(&m->arena, &g, mode);
    if (!out)
        diags_add(d, DIAG_ERROR, f->path, 0, 0, NULL, "out of memory");
    return out;
}

/* The first file with a column for key: its index, with its column in
 * *k; -1 when none has one. */
static int run_find(RunFile *files, int n, const char *key, int *k)
{
    for (int i = 0; i < n; i++)
        if (thash_get(&files[i].names, key, k)) {
            files[i].used[*k] = true;
            return i;
        }
    return -1;
}

typedef VEC(SdEqn) RunEqns;

/* The equations that replace waiting equation q of v: one per element,
 * each reading its column. False after an error in d. */
static bool run_expand(SdModel *m, SdVar *v, const SdEqn *q, RunFile *files,
                       int nfiles, RunEqns *out, TDiags *d)
{
    const char *const *el[SD_MAX_DIMS];
    int cnt[SD_MAX_DIMS], idx[SD_MAX_DIMS] = {0};
    long total = 1;
    if (q->nsubs > SD_MAX_DIMS)
        return false;
    for (int p = 0; p < q->nsubs; p++) {
        const SdDim *dim = NULL;
        for (int j = 0; j < m->ndims && !dim; j++)
            if (!strcmp(m->dims[j].ident, q->subs[p]))
                dim = &m->dims[j];
        el[p] = dim ? dim->elem_ids : &q->subs[p];
        cnt[p] = dim ? dim->n : 1;
        total *= cnt[p];
    }
    bool ok = true;
    TBuf key = {0}, shown = {0};
    for (long e = 0; e < total; e++) {
        key.len = 0;
        shown.len = 0;
        tbuf_printf(&key, "%s[", v->ident);
        tbuf_printf(&shown, "%s[", v->name);
        for (int p = 0; p < q->nsubs; p++) {
            tbuf_printf(&key, "%s%s", p ? "," : "", el[p][idx[p]]);
            tbuf_printf(&shown, "%s%s", p ? "," : "", el[p][idx[p]]);
        }
        tbuf_putc(&key, ']');
        tbuf_putc(&shown, ']');
        int k, fi = run_find(files, nfiles, tbuf_cstr(&key), &k);
        if (fi < 0) {
            diags_add(d, DIAG_ERROR, m->file, q->line, q->col, NULL,
                      "no data file has a column '%s' for data variable "
                      "'%s'; give its data with --data FILE",
                      tbuf_cstr(&shown), v->name);
            ok = false;
        } else {
            SdEqn x = *q;
            const char **subs =
                arena_alloc(&m->arena, sizeof(char *) * (size_t)q->nsubs);
            x.gf =
                run_series(m, &files[fi], k, v->run_data, tbuf_cstr(&shown), d);
            x.eqn = "Time";
            if (!subs || !x.gf) {
                ok = false;
                break;
            }
            for (int p = 0; p < q->nsubs; p++)
                subs[p] = el[p][idx[p]];
            x.subs = subs;
            if (vec_push(out, x)) {
                ok = false;
                break;
            }
        }
        for (int p = q->nsubs - 1; p >= 0; p--) { /* row-major */
            if (++idx[p] < cnt[p])
                break;
            idx[p] = 0;
        }
    }
    tbuf_free(&key);
    tbuf_free(&shown);
    return ok;
}

/* Fills data variable v from the files; false after an error in d. */
static bool run_fill(SdModel *m, SdVar *v, RunFile *files, int nfiles,
                     TDiags *d)
{
    if (!v->neqns) {
        int k, fi = run_find(files, nfiles, v->ident, &k);
        if (fi < 0) {
            diags_add(d, DIAG_ERROR, m->file, v->line, v->col, NULL,
                      "no data file has a column '%s' for data variable "
                      "'%s'; give its data with --data FILE",
                      v->name, v->name);
            return false;
        }
        v->gf = run_series(m, &files[fi], k, v->run_data, v->name, d);
        v->eqn = "Time";
        return v->gf != NULL;
    }
    RunEqns out = {0};
    bool ok = true;
    for (int j = 0; j < v->neqns; j++)
        if (!eqn_waits(&v->eqns[j]))
            ok &= vec_push(&out, v->eqns[j]) == 0;
        else
            ok &= run_expand(m, v, &v->eqns[j], files, nfiles, &out, d);
    ok = ok && sd_var_set_eqns(m, v, out.items, out.len);
    vec_free(&out);
    return ok;
}

/* True when element id belongs to the dimension named dim. */
static bool dim_has_elem(const SdModel *m, const char *dim, const char *id)
{
    for (int j = 0; j < m->ndims; j++)
        if (!strcmp(m->dims[j].ident, dim)) {
            for (int e = 0; e < m->dims[j].n; e++)
                if (!strcmp(m->dims[j].elem_ids[e], id))
                    return true;
            return false;
        }
    return false;
}

/* Every column of f whose name is a data variable filled here (filled,
 * by index) must name one of its elements; false after an error in d. */
static bool run_check_names(SdModel *m, const RunFile *f, const bool *filled,
                            TDiags *d)
{
    for (int k = 1; k < f->n; k++) {
        int row, col;
        run_cell(f, k, 0, &row, &col);
        const char *c = sd_sheet_at(f->s, row, col);
        char *key = c && !f->used[k] ? sd_canon_ref(NULL, c) : NULL;
        char *lb = key ? strchr(key, '[') : NULL;
        if (!lb) {
            free(key);
            continue;
        }
        *lb = 0;
        SdVar *v = sd_model_find(m, key);
        bool bad = false;
        if (v && filled[v - m->vars]) {
            /* key is now `name\0e1,e2]` */
            char *e = lb + 1;
            int p = 0;
            while (!bad && *e) {
                size_t n = strcspn(e, ",]");
                char save = e[n];
                e[n] = 0;
                bad = p >= v->ndims || !dim_has_elem(m, v->dims[p], e);
                p++;
                e += n + (save ? 1 : 0);
                if (save == ']')
                    break;
            }
            bad = bad || p != v->ndims;
        }
        if (bad)
            diags_add(d, DIAG_ERROR, f->path, row + 1, col + 1, NULL,
                      "unknown column '%.80s': '%s' has no such element", c,
                      v->name);
        free(key);
        if (bad)
            return false;
    }
    return true;
}

int sd_model_attach_data(SdModel *m, const char *const *paths, int npaths,
                         TDiags *d)
{
    if (npaths <= 0)
        return T_OK;
    if (npaths > RUN_DATA_MAX_FILES) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "more than %d data files",
                  RUN_DATA_MAX_FILES);
        return T_EINPUT;
    }
    RunFile files[RUN_DATA_MAX_FILES];
    Arena keys;
    arena_init(&keys);
    int nfiles = 0;
    bool *filled = calloc((size_t)m->nvars + 1, sizeof *filled);
    bool ok = filled != NULL;
    for (int i = 0; i < npaths && ok; i++) {
        ok = run_file_read(&files[i], paths[i], &keys, d);
        nfiles = i + 1;
    }
    for (int i = 0; ok && i < m->nvars; i++) {
        SdVar *v = &m->vars[i];
        if (v->run_data && (ok = run_fill(m, v, files, nfiles, d))) {
            v->run_data = SD_DATA_NONE;
            filled[i] = true;
        }
    }
    /* a column naming a data variable of the model with subscripts that
     * are not its elements is a mistake worth a message */
    for (int i = 0; ok && i < nfiles; i++)
        ok = run_check_names(m, &files[i], filled, d);
    free(filled);
    for (int i = 0; i < nfiles; i++)
        run_file_free(&files[i]);
    arena_free(&keys);
    return ok ? T_OK : T_EINPUT;
}
