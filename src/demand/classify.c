/*
 * classify.c - help with classifying contacts: text rules read from a
 * rules file (a phrase or a POSIX regular expression, the type and the
 * kind of demand it suggests), and repeat contacts on cases still open.
 *
 * Rules only ever suggest. For a row left uncoded, the first rule that
 * matches its words is the suggestion; failing that, a repeat contact on
 * an open case is suggested as failure demand of type `repeat`. A row the
 * service has coded keeps its coding; where a rule would code it otherwise
 * the study counts a disagreement, so a team can check its own coding. Phrases
 * are compared on folded text (lower case, one space for any run of white
 * space, curly quotes made straight), because customers' words are typed by
 * many hands.
 */
#include "demand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- folding ---------------------------------------------------------- */

/* Appends s folded: lower case (core's case folding), every run of white
 * space one space, no space at either end, typographic quotes plain. */
static int fold(TBuf *b, const char *s, size_t n)
{
    bool space = false;
    size_t start = b->len;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int used = str_utf8_decode(s + i, n - i, &cp);
        i += (size_t)(used > 0 ? used : 1);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0) {
            space = true;
            continue;
        }
        if (cp == 0x2018 || cp == 0x2019 || cp == 0x2032)
            cp = '\'';
        else if (cp == 0x201C || cp == 0x201D)
            cp = '"';
        if (space && b->len > start && tbuf_putc(b, ' '))
            return T_EINTERNAL;
        space = false;
        char enc[4];
        int k = str_utf8_encode(str_fold_case(cp), enc);
        if (tbuf_append(b, enc, (size_t)k))
            return T_EINTERNAL;
    }
    tbuf_cstr(b);
    return T_OK;
}

/* ---- the rules file --------------------------------------------------- */

/* Where a rule line is being parsed, for the error's column. */
typedef struct RuleLine {
    const char *file; /* the rules file's name */
    int line;         /* 1-based */
    const char *text; /* the line, NUL-terminated */
    TDiags *d;        /* where errors go */
} RuleLine;

static void rule_error(const RuleLine *l, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rule_error(const RuleLine *l, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int col = str_utf8_count(l->text, at) + 1;
    diags_vadd(l->d, DIAG_ERROR, l->file, l->line, col, l->text, fmt, ap);
    va_end(ap);
}

static size_t skip_space(const char *s, size_t i)
{
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    return i;
}

/* The largest count in each {m}, {m,} or {m,n} of a pattern, multiplied
 * together: regcomp copies the repeated part that many times. */
static double repeat_product(const char *p)
{
    double product = 1;
    for (const char *s = p; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            continue;
        }
        if (*s != '{')
            continue;
        double m = 0;
        const char *t = s + 1;
        bool digit = false;
        while (*t >= '0' && *t <= '9' && m < 1e9) {
            m = m * 10 + (*t++ - '0');
            digit = true;
        }
        if (*t == ',') {
            t++;
            double n = 0;
            while (*t >= '0' && *t <= '9' && n < 1e9) {
                n = n * 10 + (*t++ - '0');
                digit = true;
            }
            if (n > m)
                m = n;
        }
        if (digit && m > 1)
            product *= m;
    }
    return product;
}

#define DEMAND_REPEAT_MAX 256 /* {m,n} counts multiplied together */

/*
 * rule = ( "/" pattern "/" | phrase ) "=>" type "," ( "value" | "failure" )
 *        [ "#" comment ]
 */
static int parse_rule(DemandRules *rs, const RuleLine *l, DemandRule *out)
{
    const char *s = l->text;
    size_t i = skip_space(s, 0), arrow;
    Arena *a = &rs->arena;
    memset(out, 0, sizeof *out);
    out->line = l->line;
    if (s[i] == '/') {
        size_t open = i, j = i + 1;
        TBuf pat = {0};
        while (s[j] && s[j] != '/') {
            if (s[j] == '\\' && s[j + 1] == '/')
                j++; /* \/ is a slash in the pattern */
            else if (s[j] == '\\' && s[j + 1])
                tbuf_putc(&pat, s[j++]);
            tbuf_putc(&pat, s[j++]);
        }
        if (!s[j]) {
            tbuf_free(&pat);
            rule_error(l, open, "no closing '/' for the pattern");
            return T_EINPUT;
        }
        const char *text = tbuf_cstr(&pat);
        int rc = T_OK;
        if (!pat.len) {
            rule_error(l, open, "empty pattern '//'");
            rc = T_EINPUT;
        } else if (pat.len > DEMAND_PATTERN_MAX) {
            rule_error(l, open + 1, "pattern longer than %d bytes",
                       DEMAND_PATTERN_MAX);
            rc = T_EINPUT;
        } else if (repeat_product(text) > DEMAND_REPEAT_MAX) {
            rule_error(l, open + 1,
                       "pattern repeats too much: its {m,n} counts multiply "
                       "to more than %d",
                       DEMAND_REPEAT_MAX);
            rc = T_EINPUT;
        } else {
            int e =
                regcomp(&out->re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
            if (e) {
                char msg[256];
                regerror(e, &out->re, msg, sizeof msg);
                if (msg[0] >= 'A' && msg[0] <= 'Z')
                    msg[0] = (char)(msg[0] + 32); /* git style */
                rule_error(l, open + 1, "bad pattern: %s", msg);
                rc = T_EINPUT;
            } else {
                out->is_regex = true;
            }
        }
        out->text = rc ? NULL : arena_strdup(a, text);
        tbuf_free(&pat);
        if (rc)
            return rc;
        if (!out->text) {
            regfree(&out->re);
            out->is_regex = false;
            return T_EINTERNAL;
        }
        arrow = skip_space(s, j + 1);
        if (strncmp(s + arrow, "=>", 2)) {
            rule_error(l, arrow, "expected '=>' after the pattern");
            goto fail;
        }
    } else {
        const char *p = strstr(s + i, "=>");
        if (!p) {
            size_t end = strlen(s);
            while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
                end--;
            rule_error(l, end,
                       "expected '=>' (a rule is: phrase => type, "
                       "value|failure)");
            return T_EINPUT;
        }
        arrow = (size_t)(p - s);
        size_t end = arrow;
        while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        if (end == i) {
            rule_error(l, i, "empty phrase before '=>'");
            return T_EINPUT;
        }
        TBuf f = {0};
        if (fold(&f, s + i, end - i)) {
            tbuf_free(&f);
            return T_EINTERNAL;
        }
        out->text = arena_strndup(a, s + i, end - i);
        out->fold = arena_strdup(a, tbuf_cstr(&f));
        tbuf_free(&f);
        if (!out->text || !out->fold)
            return T_EINTERNAL;
    }
    /* type "," kind [# comment] */
    size_t t = skip_space(s, arrow + 2);
    const char *hash = strchr(s + t, '#');
    size_t end = hash ? (size_t)(hash - s) : strlen(s);
    size_t comma = end;
    while (comma > t && s[comma - 1] != ',')
        comma--;
    if (comma == t) {
        size_t e = end;
        while (e > t && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (e == t)
            rule_error(l, t, "expected a type after '=>'");
        else
            rule_error(l, e,
                       "expected ', value' or ', failure' after the "
                       "type");
        goto fail;
    }
    comma--; /* at the ',' */
    size_t te = comma;
    while (te > t && (s[te - 1] == ' ' || s[te - 1] == '\t'))
        te--;
    if (te == t) {
        rule_error(l, comma, "missing type before ','");
        goto fail;
    }
    size_t k = skip_space(s, comma + 1), ke = end;
    while (ke > k && (s[ke - 1] == ' ' || s[ke - 1] == '\t'))
        ke--;
    if (ke - k == 5 && !strncasecmp(s + k, "value", 5)) {
        out->kind = DEMAND_VALUE;
    } else if (ke - k == 7 && !strncasecmp(s + k, "failure", 7)) {
        out->kind = DEMAND_FAILURE;
    } else {
        if (ke == k)
            rule_error(l, k, "expected value or failure after ','");
        else {
            size_t cut = ke - k > 40 ? k + 40 : ke;
            while (cut > k && ((unsigned char)s[cut] & 0xC0) == 0x80)
                cut--; /* not inside a character */
            rule_error(l, k, "expected value or failure, not '%.*s'",
                       (int)(cut - k), s + k);
        }
        goto fail;
    }
    out->type = arena_strndup(a, s + t, te - t);
    if (!out->type)
        goto oom;
    return T_OK;
fail:
    if (out->is_regex)
        regfree(&out->re);
    out->is_regex = false;
    return T_EINPUT;
oom:
    if (out->is_regex)
        regfree(&out->re);
    out->is_regex = false;
    return T_EINTERNAL;
}

int demand_rules_parse(const char *text, size_t len, const char *file,
                       DemandRules **out, TDiags *d)
{
    *out = NULL;
    if (!file)
        file = "rules.txt";
    if (len > DEMAND_RULES_FILE_MAX) {
        diags_add(d, DIAG_ERROR, file, 0, 0, NULL,
                  "the rules file is larger than %zu KiB",
                  DEMAND_RULES_FILE_MAX >> 10);
        return T_EINPUT;
    }
    DemandRules *rs = calloc(1, sizeof *rs);
    if (!rs)
        return T_EINTERNAL;
    arena_init(&rs->arena);
    rs->file = arena_strdup(&rs->arena, file);
    int cap = 0, rc = T_OK, errors = 0;
    char *buf = malloc(DEMAND_RULE_LINE_MAX + 1);
    if (!rs->file || !buf)
        rc = T_EINTERNAL;
    size_t pos = 0;
    int line = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (rc != T_EINTERNAL && pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos;
        if (n > 0 && text[end - 1] == '\r')
            n--;
        const char *s = text + pos;
        pos = end + 1;
        size_t keep = n > DEMAND_RULE_LINE_MAX ? DEMAND_RULE_LINE_MAX : n;
        memcpy(buf, s, keep);
        buf[keep] = 0;
        RuleLine l = {rs->file, line, buf, d};
        if (n > DEMAND_RULE_LINE_MAX) {
            /* Cut on a character boundary so the caret line stays text. */
            while (keep > 0 && ((unsigned char)buf[keep] & 0xC0) == 0x80)
                buf[--keep] = 0;
            rule_error(&l, 0, "line longer than %d bytes",
                       DEMAND_RULE_LINE_MAX);
            errors++;
            continue;
        }
        const char *nul = memchr(s, 0, n);
        if (nul) {
            rule_error(&l, (size_t)(nul - s), "NUL byte in a rules file");
            errors++;
            continue;
        }
        bool bad = false;
        for (size_t k = 0; k < n && !bad;) {
            uint32_t cp;
            int used = str_utf8_decode(s + k, n - k, &cp);
            if (cp == 0xFFFD && used == 1) {
                buf[k] = 0; /* the caret line shows the text before it */
                rule_error(&l, k,
                           "not valid UTF-8 (save the file as "
                           "UTF-8)");
                bad = true;
            }
            k += (size_t)used;
        }
        if (bad) {
            errors++;
            continue;
        }
        size_t i = skip_space(buf, 0);
        if (!buf[i] || buf[i] == '#')
            continue;
        if (rs->nrules >= DEMAND_RULES_MAX) {
            rule_error(&l, i, "more than %d rules", DEMAND_RULES_MAX);
            errors++;
            break;
        }
        if (rs->nrules == cap && vec_grow_((void **)&rs->rules, &cap,
                                           sizeof *rs->rules, rs->nrules + 1)) {
            rc = T_EINTERNAL;
            break;
        }
        int r = parse_rule(rs, &l, &rs->rules[rs->nrules]);
        if (r == T_OK)
            rs->nrules++;
        else if (r == T_EINPUT)
            errors++;
        else
            rc = r;
    }
    free(buf);
    if (rc == T_OK && errors)
        rc = T_EINPUT;
    if (rc) {
        demand_rules_free(rs);
        return rc;
    }
    *out = rs;
    return T_OK;
}

int demand_rules_load(const char *path, DemandRules **out, TDiags *d)
{
    *out = NULL;
    TBuf b = {0};
    int rc = tbuf_read_file(&b, path, DEMAND_RULES_FILE_MAX);
    if (rc) {
        if (rc == T_EINPUT)
            diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read: %s",
                      errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
        tbuf_free(&b);
        return rc;
    }
    rc = demand_rules_parse(b.data ? b.data : "", b.len, path, out, d);
    tbuf_free(&b);
    return rc;
}

void demand_rules_free(DemandRules *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nrules; i++)
        if (r->rules[i].is_regex)
            regfree(&r->rules[i].re);
    free(r->rules);
    arena_free(&r->arena);
    free(r);
}

/* The first rule matching already-folded words, or -1. */
static int match_folded(const DemandRules *r, const char *folded)
{
    for (int i = 0; r && i < r->nrules; i++) {
        const DemandRule *u = &r->rules[i];
        if (u->is_regex ? regexec(&u->re, folded, 0, NULL, 0) == 0
                        : strstr(folded, u->fold) != NULL)
            return i;
    }
    return -1;
}

int demand_rules_match(const DemandRules *r, const char *words)
{
    TBuf f = {0};
    int m = -1;
    if (fold(&f, words, strlen(words)) == T_OK)
        m = match_folded(r, tbuf_cstr(&f));
    tbuf_free(&f);
    return m;
}

/* ---- classification --------------------------------------------------- */

int demand_classify(DemandLog *log, const DemandRules *rules)
{
    int *last = malloc(sizeof(int) * (size_t)(log->ncases + 1));
    int nr = rules ? rules->nrules : 0;
    /* Each rule's type and place, copied once into the log, which may
     * outlive the rules. */
    const char **types =
        arena_alloc(&log->arena, sizeof(char *) * (size_t)(nr + 1));
    const char **where =
        arena_alloc(&log->arena, sizeof(char *) * (size_t)(nr + 1));
    if (!last || !types || !where) {
        free(last);
        return T_EINTERNAL;
    }
    for (int k = 0; k < nr; k++) {
        types[k] = arena_strdup(&log->arena, rules->rules[k].type);
        where[k] = arena_printf(&log->arena, "%s:%d", rules->file,
                                rules->rules[k].line);
        if (!types[k] || !where[k]) {
            free(last);
            return T_EINTERNAL;
        }
    }
    for (int k = 0; k < log->ncases; k++)
        last[k] = -1;
    TBuf f = {0};
    int rc = T_OK;
    for (int k = 0; k < log->ncontacts && rc == T_OK; k++) {
        int i = log->order[k];
        DemandContact *c = &log->contacts[i];
        c->repeat = false;
        c->repeat_of = -1;
        c->rule = -1;
        c->rule_kind = DEMAND_NONE;
        c->rule_type = c->rule_where = NULL;
        c->suggested = DEMAND_NONE;
        c->suggested_type = NULL;
        c->suggested_why = NULL;
        if (c->case_index >= 0) {
            const DemandCase *cs = &log->cases[c->case_index];
            int prev = last[c->case_index];
            /* Open at this contact: not closed, or closed after it. */
            if (prev >= 0 && !(cs->closed && cs->closed_at < c->received)) {
                c->repeat = true;
                c->repeat_of = prev;
            }
            last[c->case_index] = i;
        }
        if (rules && rules->nrules && *c->words) {
            f.len = 0;
            if (fold(&f, c->words, strlen(c->words))) {
                rc = T_EINTERNAL;
                break;
            }
            c->rule = match_folded(rules, tbuf_cstr(&f));
            if (c->rule >= 0) {
                c->rule_kind = rules->rules[c->rule].kind;
                c->rule_type = types[c->rule];
                c->rule_where = where[c->rule];
            }
        }
        if (c->demand != DEMAND_NONE)
            continue;
        /* A rule reads the words, so it says more than the bare fact of
         * a repeat (a repeat contact may be a customer rebooking); the
         * repeat is the suggestion when no rule matches. */
        if (c->rule >= 0) {
            c->suggested = c->rule_kind;
            c->suggested_type = c->rule_type;
            c->suggested_why =
                c->repeat
                    ? arena_printf(&log->arena,
                                   "rule at %s; also a repeat contact "
                                   "on open case '%s'",
                                   c->rule_where, c->case_id)
                    : arena_printf(&log->arena, "rule at %s", c->rule_where);
        } else if (c->repeat) {
            c->suggested = DEMAND_FAILURE;
            c->suggested_type = "repeat";
            c->suggested_why = arena_printf(
                &log->arena,
                "repeat contact on open case '%s' (earlier contact on line "
                "%d)",
                c->case_id, log->contacts[c->repeat_of].line);
        }
        if (c->suggested && !c->suggested_why)
            rc = T_EINTERNAL;
    }
    tbuf_free(&f);
    free(last);
    return rc;
}
