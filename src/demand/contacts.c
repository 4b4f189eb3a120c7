/*
 * contacts.c - reads a contact log: UTF-8 CSV with a header row, parsed by
 * libcsv in strict RFC 4180 mode, into DemandContacts; ISO 8601 dates; the
 * column mapping; and the cases the contacts belong to.
 *
 * libcsv does the quoting. It is fed one physical line at a time so that
 * each record's first line is known (a quoted field may hold line breaks,
 * and those lines count), and a row with broken quoting can be rejected
 * and reading can start again on the next line. A bad row never stops the
 * file: it is kept with its line and every reason it failed.
 */
#include "demand.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const col_names[DEMAND_NCOLS] = {
    "id",       "received_at",  "channel",
    "service",  "words",        "demand",
    "type",     "what_matters", "resolved_first_contact",
    "handoffs", "case_id",      "case_closed_at"};

const char *demand_col_name(DemandCol c)
{
    return (int)c >= 0 && c < DEMAND_NCOLS ? col_names[c] : NULL;
}

const char *demand_kind_name(DemandKind k)
{
    return k == DEMAND_VALUE     ? "value"
           : k == DEMAND_FAILURE ? "failure"
                                 : "unclassified";
}

void demand_map_default(DemandMap *m)
{
    for (int c = 0; c < DEMAND_NCOLS; c++) {
        m->header[c] = col_names[c];
        m->given[c] = false;
    }
}

int demand_map_set(DemandMap *m, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq) {
        snprintf(err, errlen, "--map takes COLUMN=HEADER, not '%s'", spec);
        return T_EUSAGE;
    }
    size_t n = (size_t)(eq - spec);
    while (n > 0 && spec[n - 1] == ' ')
        n--;
    while (n > 0 && *spec == ' ')
        spec++, n--;
    for (int c = 0; c < DEMAND_NCOLS; c++) {
        if (strlen(col_names[c]) == n && !memcmp(col_names[c], spec, n)) {
            const char *h = eq + 1;
            while (*h == ' ')
                h++;
            if (!*h) {
                snprintf(err, errlen, "--map %s= needs a header name",
                         col_names[c]);
                return T_EUSAGE;
            }
            m->header[c] = h;
            m->given[c] = true;
            return T_OK;
        }
    }
    snprintf(err, errlen,
             "unknown column '%.*s' in --map (known: id, received_at, "
             "channel, service, words, demand, type, what_matters, "
             "resolved_first_contact, handoffs, case_id, case_closed_at)",
             (int)(n > 64 ? 64 : n), spec);
    return T_EUSAGE;
}

/* ---- dates ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void demand_day_format(int day, char out[32])
{
    long long z = (long long)day + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    long long y = yoe + era * 400 + (m <= 2);
    snprintf(out, 32, "%04lld-%02d-%02d", y, m, d);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n ASCII digits. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

#define SNIPPET_MAX 168 /* bytes in a quoted value, with its NUL */

/* Copies the first 40 characters of s, with "..." when cut, control
 * characters as spaces and bytes that are not UTF-8 as U+FFFD: values
 * quoted in messages stay short, printable and valid UTF-8. */
static void snippet(const char *s, char out[SNIPPET_MAX])
{
    size_t len = strlen(s), i = 0, o = 0;
    for (int chars = 0; i < len && chars < 40; chars++) {
        uint32_t cp;
        i += (size_t)str_utf8_decode(s + i, len - i, &cp);
        if (cp < 0x20 || cp == 0x7F)
            cp = ' ';
        o += (size_t)str_utf8_encode(cp, out + o);
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0; /* at most 40 * 4 + 3 bytes */
}

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

bool demand_date_parse(const char *s, long long *epoch, int *day, char *err,
                       size_t errlen)
{
    char q[SNIPPET_MAX];
    snippet(s, q);
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d)) {
        snprintf(err, errlen,
                 "'%s' is not an ISO 8601 date (YYYY-MM-DD, optionally "
                 "followed by Thh:mm or Thh:mm:ss)",
                 q);
        return false;
    }
    if (mo < 1 || mo > 12) {
        snprintf(err, errlen, "'%s' has no month %d", q, mo);
        return false;
    }
    if (d < 1 || d > month_days(y, mo)) {
        snprintf(err, errlen, "'%s' is not a day: %s %d has %d days", q,
                 month_names[mo - 1], y, month_days(y, mo));
        return false;
    }
    const char *p = s + 10;
    long off = 0;
    if (*p == 'T' || *p == 't' || (*p == ' ' && p[1] >= '0' && p[1] <= '9')) {
        p++;
        if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi)) {
            snprintf(err, errlen, "'%s' has no time hh:mm after the date", q);
            return false;
        }
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec)) {
                snprintf(err, errlen, "'%s' has no seconds after ':'", q);
                return false;
            }
            p += 3;
            if (*p == '.' || *p == ',') {
                p++;
                if (*p < '0' || *p > '9') {
                    snprintf(err, errlen,
                             "'%s' has no digits after the "
                             "decimal point",
                             q);
                    return false;
                }
                while (*p >= '0' && *p <= '9')
                    p++; /* fractions of a second are not kept */
            }
        }
        if (h > 23 || mi > 59 || sec > 59) {
            snprintf(err, errlen,
                     "'%s' has a time out of range (hours 00-23, minutes "
                     "and seconds 00-59)",
                     q);
            return false;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            int sign = *p == '-' ? -1 : 1;
            p++;
            if (!digits(p, 2, &oh)) {
                snprintf(err, errlen, "'%s' has a bad time zone offset", q);
                return false;
            }
            p += 2;
            if (*p == ':')
                p++;
            if (!digits(p, 2, &om) || oh > 23 || om > 59) {
                snprintf(err, errlen,
                         "'%s' has a bad time zone offset (use +hh:mm)", q);
                return false;
            }
            p += 2;
            off = sign * (oh * 3600L + om * 60L);
        }
    }
    while (*p == ' ')
        p++;
    if (*p) {
        snprintf(err, errlen, "'%s' has unexpected text after the date", q);
        return false;
    }
    long long days = days_from_civil(y, mo, d);
    *day = (int)days;
    *epoch = days * 86400 + h * 3600LL + mi * 60LL + sec - off;
    return true;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct Reader {
    DemandLog *log;                /* the log being filled */
    const DemandMap *map;          /* which header each column reads */
    TDiags *d;                     /* file-level problems */
    TBuf rec;                      /* the current record's fields, NUL'd */
    size_t off[DEMAND_FIELDS_MAX]; /* where each field starts in rec */
    size_t len[DEMAND_FIELDS_MAX]; /* its length in bytes */
    int nfields;                   /* fields seen (may pass the cap) */
    int too_long;                  /* 1-based field over the size cap, or 0 */
    int rec_line;                  /* line the current record starts on */
    bool in_record;                /* a record has started */
    bool header_done;              /* the header row has been read */
    int header_fields;             /* fields in the header */
    int rows;                      /* rows after the header */
    int status;                    /* T_OK, T_EINPUT or T_EINTERNAL */
    THash ids;                     /* contact id -> index, for duplicates */
} Reader;

static void reset_record(Reader *r)
{
    r->rec.len = 0;
    r->nfields = 0;
    r->too_long = 0;
    r->in_record = false;
}

static void on_field(void *s, size_t n, void *data)
{
    Reader *r = data;
    if (r->status)
        return;
    if (r->nfields < DEMAND_FIELDS_MAX) {
        if (n > DEMAND_FIELD_MAX) {
            if (!r->too_long)
                r->too_long = r->nfields + 1;
            n = 0;
        }
        r->off[r->nfields] = r->rec.len;
        r->len[r->nfields] = n;
        if ((n && tbuf_append(&r->rec, s, n)) || tbuf_putc(&r->rec, 0))
            r->status = T_EINTERNAL;
    }
    r->nfields++;
}

static const char *field(const Reader *r, int i)
{
    return r->rec.data + r->off[i];
}

/* The header name h (n bytes) equals want, ignoring ASCII case and spaces
 * around it. */
static bool header_eq(const char *h, size_t n, const char *want)
{
    while (n > 0 && (*h == ' ' || *h == '\t'))
        h++, n--;
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    while (*want == ' ')
        want++;
    size_t wn = strlen(want);
    while (wn > 0 && want[wn - 1] == ' ')
        wn--;
    if (n != wn)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = h[i], b = want[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

static void read_header(Reader *r)
{
    DemandLog *log = r->log;
    const char *file = log->file;
    int errors = r->d->errors;
    int nf = r->nfields < DEMAND_FIELDS_MAX ? r->nfields : DEMAND_FIELDS_MAX;
    r->header_fields = r->nfields;
    r->header_done = true;
    if (r->nfields > DEMAND_FIELDS_MAX)
        diags_add(r->d, DIAG_ERROR, file, r->rec_line, 0, NULL,
                  "the header has %d fields; at most %d are read", r->nfields,
                  DEMAND_FIELDS_MAX);
    for (int c = 0; c < DEMAND_NCOLS; c++) {
        const char *want = r->map->header[c];
        int at = -1;
        for (int i = 0; i < nf; i++) {
            if (!header_eq(field(r, i), r->len[i], want))
                continue;
            if (at >= 0) {
                diags_add(r->d, DIAG_ERROR, file, r->rec_line, 0, NULL,
                          "column '%s' appears twice in the header (fields "
                          "%d and %d)",
                          want, at + 1, i + 1);
                break;
            }
            at = i;
        }
        log->column[c] = at;
        log->has[c] = at >= 0;
        if (at >= 0)
            continue;
        if (r->map->given[c]) {
            diags_add(r->d, DIAG_ERROR, file, r->rec_line, 0, NULL,
                      "no column '%s' in the header (--map %s=%s)", want,
                      col_names[c], want);
        } else if (c == DEMAND_COL_RECEIVED_AT) {
            TBuf found = {0};
            for (int i = 0; i < nf && i < 12; i++) {
                char q[SNIPPET_MAX];
                snippet(field(r, i), q);
                tbuf_printf(&found, "%s'%s'", i ? ", " : "", q);
            }
            if (nf > 12)
                tbuf_puts(&found, ", ...");
            diags_add(r->d, DIAG_ERROR, file, r->rec_line, 0, NULL,
                      "no '%s' column in the header (found %s); the first "
                      "row must name the columns, or map one with --map "
                      "received_at=HEADER",
                      want, found.len ? tbuf_cstr(&found) : "none");
            tbuf_free(&found);
        }
    }
    if (r->d->errors > errors)
        r->status = T_EINPUT;
}

static int add_reject(DemandLog *log, int line, const char *reason)
{
    if (log->nrejected == log->cap_rejected &&
        vec_grow_((void **)&log->rejected, &log->cap_rejected,
                  sizeof *log->rejected, log->nrejected + 1))
        return T_EINTERNAL;
    const char *s = arena_strdup(&log->arena, reason);
    if (!s)
        return T_EINTERNAL;
    log->rejected[log->nrejected++] = (DemandReject){line, s};
    return T_OK;
}

/* Adds one reason to the row's list. */
static void why(TBuf *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why(TBuf *w, const char *fmt, ...)
{
    if (w->len)
        tbuf_puts(w, "; ");
    va_list ap;
    va_start(ap, fmt);
    tbuf_vprintf(w, fmt, ap);
    va_end(ap);
}

static bool valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int used = str_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && used == 1)
            return false;
        if (cp == 0)
            return false;
        i += (size_t)used;
    }
    return true;
}

/* s with spaces and tabs around it removed, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return *a == *b;
}

static void read_row(Reader *r)
{
    DemandLog *log = r->log;
    int nf = r->nfields < DEMAND_FIELDS_MAX ? r->nfields : DEMAND_FIELDS_MAX;
    bool blank = r->nfields <= DEMAND_FIELDS_MAX && !r->too_long;
    for (int i = 0; blank && i < nf; i++)
        blank = r->len[i] == 0;
    if (blank) {
        log->blank++;
        return;
    }
    if (++r->rows > DEMAND_ROWS_MAX) {
        diags_add(r->d, DIAG_ERROR, log->file, r->rec_line, 0, NULL,
                  "more than %d rows; split the log into smaller files",
                  DEMAND_ROWS_MAX);
        r->status = T_EINPUT;
        return;
    }
    TBuf w = {0};
    if (r->nfields > DEMAND_FIELDS_MAX) {
        why(&w, "%d fields, the header has %d", r->nfields, r->header_fields);
    } else if (r->nfields < r->header_fields) {
        why(&w, "%d field%s, the header has %d", r->nfields,
            r->nfields == 1 ? "" : "s", r->header_fields);
    } else if (r->nfields > r->header_fields) {
        bool extra = false;
        for (int i = r->header_fields; i < nf; i++)
            extra |= r->len[i] > 0;
        if (extra)
            why(&w, "%d fields, the header has %d", r->nfields,
                r->header_fields);
    }
    if (r->too_long)
        why(&w, "field %d is longer than %d bytes", r->too_long,
            DEMAND_FIELD_MAX);
    char *v[DEMAND_NCOLS];
    for (int c = 0; c < DEMAND_NCOLS; c++) {
        int at = log->column[c];
        v[c] = "";
        if (w.len || at < 0 || at >= nf)
            continue;
        if (!valid_utf8(field(r, at), r->len[at])) {
            why(&w, "%s is not valid UTF-8 text (save the file as UTF-8)",
                r->map->header[c]);
            continue;
        }
        v[c] = (char *)field(r, at);
        if (c != DEMAND_COL_WORDS && c != DEMAND_COL_WHAT_MATTERS)
            v[c] = trim(v[c]);
    }
    DemandContact ct = {.line = r->rec_line,
                        .first_contact = -1,
                        .handoffs = -1,
                        .case_index = -1,
                        .repeat_of = -1,
                        .rule = -1};
    char err[320], q[SNIPPET_MAX];
    if (!w.len) {
        const char *rh = r->map->header[DEMAND_COL_RECEIVED_AT];
        if (!*v[DEMAND_COL_RECEIVED_AT])
            why(&w, "%s is empty", rh);
        else if (!demand_date_parse(v[DEMAND_COL_RECEIVED_AT], &ct.received,
                                    &ct.day, err, sizeof err))
            why(&w, "%s: %s", rh, err);
        const char *dm = v[DEMAND_COL_DEMAND];
        if (ieq(dm, "value"))
            ct.demand = DEMAND_VALUE;
        else if (ieq(dm, "failure"))
            ct.demand = DEMAND_FAILURE;
        else if (*dm) {
            snippet(dm, q);
            why(&w, "%s must be value, failure or empty, not '%s'",
                r->map->header[DEMAND_COL_DEMAND], q);
        }
        const char *fc = v[DEMAND_COL_FIRST];
        if (ieq(fc, "y") || ieq(fc, "yes"))
            ct.first_contact = 1;
        else if (ieq(fc, "n") || ieq(fc, "no"))
            ct.first_contact = 0;
        else if (*fc) {
            snippet(fc, q);
            why(&w, "%s must be Y, N or empty, not '%s'",
                r->map->header[DEMAND_COL_FIRST], q);
        }
        long ho;
        if (!*v[DEMAND_COL_HANDOFFS]) {
            ct.handoffs = -1;
        } else if (str_to_int(v[DEMAND_COL_HANDOFFS], 0, DEMAND_HANDOFFS_MAX,
                              &ho)) {
            ct.handoffs = (int)ho;
        } else {
            snippet(v[DEMAND_COL_HANDOFFS], q);
            why(&w, "%s must be a whole number from 0 to %d, not '%s'",
                r->map->header[DEMAND_COL_HANDOFFS], DEMAND_HANDOFFS_MAX, q);
        }
        if (*v[DEMAND_COL_CASE_CLOSED]) {
            if (demand_date_parse(v[DEMAND_COL_CASE_CLOSED], &ct.closed_at,
                                  &ct.closed_day, err, sizeof err))
                ct.closed = true;
            else
                why(&w, "%s: %s", r->map->header[DEMAND_COL_CASE_CLOSED], err);
        }
        int prev;
        if (*v[DEMAND_COL_ID] && thash_get(&r->ids, v[DEMAND_COL_ID], &prev)) {
            snippet(v[DEMAND_COL_ID], q);
            why(&w, "duplicate id '%s' (first on line %d)", q,
                log->contacts[prev].line);
        }
    }
    int rc = T_OK;
    if (w.len) {
        rc = add_reject(log, r->rec_line, tbuf_cstr(&w));
        tbuf_free(&w);
        if (rc)
            r->status = rc;
        return;
    }
    tbuf_free(&w);
    Arena *a = &log->arena;
    ct.id = *v[DEMAND_COL_ID] ? arena_strdup(a, v[DEMAND_COL_ID])
                              : arena_printf(a, "line %d", r->rec_line);
    ct.received_text = arena_strdup(a, v[DEMAND_COL_RECEIVED_AT]);
    ct.channel = arena_strdup(a, v[DEMAND_COL_CHANNEL]);
    ct.service = arena_strdup(a, v[DEMAND_COL_SERVICE]);
    ct.words = arena_strdup(a, v[DEMAND_COL_WORDS]);
    ct.type = arena_strdup(a, v[DEMAND_COL_TYPE]);
    ct.what_matters = arena_strdup(a, v[DEMAND_COL_WHAT_MATTERS]);
    ct.case_id = arena_strdup(a, v[DEMAND_COL_CASE_ID]);
    ct.closed_text = arena_strdup(a, v[DEMAND_COL_CASE_CLOSED]);
    if (!ct.closed_text || !ct.id || !ct.received_text || !ct.channel ||
        !ct.service || !ct.words || !ct.type || !ct.what_matters ||
        !ct.case_id) {
        r->status = T_EINTERNAL;
        return;
    }
    if (log->ncontacts == log->cap_contacts &&
        vec_grow_((void **)&log->contacts, &log->cap_contacts,
                  sizeof *log->contacts, log->ncontacts + 1)) {
        r->status = T_EINTERNAL;
        return;
    }
    if (*v[DEMAND_COL_ID] && thash_put(&r->ids, ct.id, log->ncontacts)) {
        r->status = T_EINTERNAL;
        return;
    }
    log->contacts[log->ncontacts++] = ct;
}

static void on_record(int c, void *data)
{
    Reader *r = data;
    (void)c;
    if (!r->status) {
        if (!r->header_done)
            read_header(r);
        else
            read_row(r);
    }
    reset_record(r);
}

/* Broken quoting at byte `at` of a line that starts at `s` (line `line`):
 * the record it is in is rejected (or, in the header, the file fails). */
static void quoting_error(Reader *r, const char *s, size_t at, int line)
{
    int col = str_utf8_count(s, at) + 1;
    const char *what =
        s[at] == '"' ? "a quote inside a field that is not in quotes (put "
                       "the whole field in quotes and double the quote)"
                     : "text after the closing quote of a field";
    if (!r->header_done) {
        diags_add(r->d, DIAG_ERROR, r->log->file, line, col, NULL,
                  "bad quoting in the header: %s", what);
        r->status = T_EINPUT;
        return;
    }
    char reason[320];
    if (line == r->rec_line)
        snprintf(reason, sizeof reason, "column %d: %s", col, what);
    else
        snprintf(reason, sizeof reason, "line %d, column %d: %s", line, col,
                 what);
    int rc = add_reject(r->log, r->rec_line, reason);
    if (rc)
        r->status = rc;
}

static bool blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

typedef struct TimeKey {
    long long t; /* received */
    int line;    /* then file line */
    int idx;     /* contact index */
} TimeKey;

static int by_time(const void *pa, const void *pb)
{
    const TimeKey *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Orders the contacts by time and gathers them into cases. */
static int finish(DemandLog *log)
{
    int n = log->ncontacts;
    TimeKey *k = malloc(sizeof *k * (size_t)(n + 1));
    log->order = arena_alloc(&log->arena, sizeof(int) * (size_t)(n + 1));
    if (!k || !log->order) {
        free(k);
        return T_EINTERNAL;
    }
    for (int i = 0; i < n; i++)
        k[i] = (TimeKey){log->contacts[i].received, log->contacts[i].line, i};
    qsort(k, (size_t)n, sizeof *k, by_time);
    for (int i = 0; i < n; i++)
        log->order[i] = k[i].idx;
    free(k);

    THash h = {0};
    int cap = 0, rc = T_OK;
    for (int i = 0; i < n && rc == T_OK; i++) {
        DemandContact *c = &log->contacts[i];
        if (!*c->case_id)
            continue;
        int ci;
        if (!thash_get(&h, c->case_id, &ci)) {
            if (log->ncases == cap &&
                vec_grow_((void **)&log->cases, &cap, sizeof *log->cases,
                          log->ncases + 1)) {
                rc = T_EINTERNAL;
                break;
            }
            ci = log->ncases++;
            log->cases[ci] = (DemandCase){.id = c->case_id, .first = -1};
            if (thash_put(&h, c->case_id, ci)) {
                rc = T_EINTERNAL;
                break;
            }
        }
        c->case_index = ci;
        DemandCase *cs = &log->cases[ci];
        cs->ncontacts++;
        if (c->closed) {
            if (cs->closed && cs->closed_at != c->closed_at)
                cs->conflicting = true;
            if (!cs->closed || c->closed_at > cs->closed_at) {
                cs->closed = true;
                cs->closed_at = c->closed_at;
                cs->closed_day = c->closed_day;
                cs->closed_text = c->closed_text;
            }
        }
    }
    thash_free(&h);
    for (int i = 0; i < n; i++) {
        DemandContact *c = &log->contacts[log->order[i]];
        if (c->case_index >= 0 && log->cases[c->case_index].first < 0)
            log->cases[c->case_index].first = log->order[i];
    }
    return rc;
}

#define CSV_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

int demand_log_read(const char *text, size_t len, const char *file,
                    const DemandMap *map, DemandLog **out, TDiags *d)
{
    *out = NULL;
    if (!file)
        file = "contacts.csv";
    if (len > DEMAND_FILE_MAX) {
        diags_add(d, DIAG_ERROR, file, 0, 0, NULL,
                  "the log is larger than %zu MiB", DEMAND_FILE_MAX >> 20);
        return T_EINPUT;
    }
    DemandMap def;
    if (!map) {
        demand_map_default(&def);
        map = &def;
    }
    DemandLog *log = calloc(1, sizeof *log);
    if (!log)
        return T_EINTERNAL;
    arena_init(&log->arena);
    log->file = arena_strdup(&log->arena, file);
    Reader *r = calloc(1, sizeof *r);
    struct csv_parser p;
    if (!log->file || !r || csv_init(&p, CSV_OPTS)) {
        free(r);
        demand_log_free(log);
        return T_EINTERNAL;
    }
    r->log = log;
    r->map = map;
    r->d = d;
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3; /* the byte-order mark spreadsheets write */
    int line = 1;
    while (pos < len && !r->status) {
        size_t end = pos;
        while (end < len && text[end] != '\n' && text[end] != '\r')
            end++;
        size_t next = end;
        if (next < len)
            next +=
                text[next] == '\r' && next + 1 < len && text[next + 1] == '\n'
                    ? 2
                    : 1;
        if (!r->in_record && !blank_line(text + pos, end - pos)) {
            r->in_record = true;
            r->rec_line = line;
        }
        size_t n = next - pos;
        size_t got = csv_parse(&p, text + pos, n, on_field, on_record, r);
        if (got < n && !r->status) {
            if (csv_error(&p) != CSV_EPARSE) {
                r->status = T_EINTERNAL;
                break;
            }
            quoting_error(r, text + pos, got, line);
            csv_free(&p);
            if (csv_init(&p, CSV_OPTS)) {
                r->status = T_EINTERNAL;
                break;
            }
            reset_record(r);
        }
        line++;
        pos = next;
    }
    /* libcsv's csv_fini returns -1 (not CSV_EPARSE) for a quote left
     * open, with the parser's status set to CSV_EPARSE. */
    if (!r->status && csv_fini(&p, on_field, on_record, r) != 0 &&
        csv_error(&p) == CSV_EPARSE && !r->status) {
        if (!r->header_done) {
            diags_add(d, DIAG_ERROR, file, r->rec_line, 0, NULL,
                      "the header has a quote that is never closed");
            r->status = T_EINPUT;
        } else {
            int rc = add_reject(log, r->rec_line,
                                "a quoted field is never closed (it runs to "
                                "the end of the file)");
            if (rc)
                r->status = rc;
        }
    }
    csv_free(&p);
    if (!r->status && !r->header_done) {
        diags_add(d, DIAG_ERROR, file, 1, 0, NULL,
                  "no header row: the file is empty");
        r->status = T_EINPUT;
    }
    int rc = r->status;
    if (rc == T_OK)
        rc = finish(log);
    tbuf_free(&r->rec);
    thash_free(&r->ids);
    free(r);
    if (rc) {
        demand_log_free(log);
        return rc;
    }
    *out = log;
    return T_OK;
}

int demand_log_load(const char *path, const DemandMap *map, DemandLog **out,
                    TDiags *d)
{
    *out = NULL;
    TBuf b = {0};
    int rc = tbuf_read_file(&b, path, DEMAND_FILE_MAX);
    if (rc) {
        if (rc == T_EINPUT)
            diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read: %s",
                      errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
        tbuf_free(&b);
        return rc;
    }
    rc = demand_log_read(b.data ? b.data : "", b.len, path, map, out, d);
    tbuf_free(&b);
    return rc;
}

void demand_log_free(DemandLog *log)
{
    if (!log)
        return;
    free(log->contacts);
    free(log->rejected);
    free(log->cases);
    arena_free(&log->arena);
    free(log);
}
