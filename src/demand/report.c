/*
 * report.c - the demand study written out: a readable text summary, and
 * the JSON document (jansson) that the CLI prints and the server will
 * serve. html.c writes the HTML report from the same study.
 *
 * Shares are fractions of 1 in JSON and percentages in text; a share with
 * nothing to divide by is null (JSON) or "-" (text). Text output replaces
 * control characters in the customers' words with spaces, so a log cannot
 * drive the terminal.
 */
#include "demand.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD rather than
 * losing the value. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    TBuf b = {0};
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int used = str_utf8_decode(s + i, n - i, &cp);
        char enc[4];
        tbuf_append(&b, enc, (size_t)str_utf8_encode(cp, enc));
        i += (size_t)(used > 0 ? used : 1);
    }
    j = json_string(tbuf_cstr(&b));
    tbuf_free(&b);
    return j ? j : json_null();
}

static json_t *jday(int day)
{
    if (day == INT_MIN)
        return json_null();
    char buf[32];
    demand_day_format(day, buf);
    return json_string(buf);
}

static const char *sig_key(unsigned kind)
{
    switch (kind) {
    case DEMAND_SIG_ABOVE:
        return "above";
    case DEMAND_SIG_BELOW:
        return "below";
    case DEMAND_SIG_RUN_ABOVE:
        return "run_above";
    case DEMAND_SIG_RUN_BELOW:
        return "run_below";
    default:
        return "range";
    }
}

/* The first (strongest) signal of a point, or NULL. */
static const char *point_signal(unsigned sig)
{
    static const unsigned order[] = {DEMAND_SIG_ABOVE, DEMAND_SIG_BELOW,
                                     DEMAND_SIG_RUN_ABOVE, DEMAND_SIG_RUN_BELOW,
                                     DEMAND_SIG_RANGE};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (sig & order[i])
            return sig_key(order[i]);
    return NULL;
}

static json_t *groups_json(const DemandGroup *g, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(g[i].name));
        json_object_set_new(o, "total", json_integer(g[i].total));
        json_object_set_new(o, "value", json_integer(g[i].value));
        json_object_set_new(o, "failure", json_integer(g[i].failure));
        json_object_set_new(o, "unclassified", json_integer(g[i].unclassified));
        json_object_set_new(o, "share", jnum(g[i].share));
        json_object_set_new(o, "failure_share", jnum(g[i].failure_share));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *pareto_json(const DemandPareto *p, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "type", jstr(p[i].type));
        json_object_set_new(o, "count", json_integer(p[i].count));
        json_object_set_new(o, "share", jnum(p[i].share));
        json_object_set_new(o, "cumulative", jnum(p[i].cumulative));
        json_array_append_new(a, o);
    }
    return a;
}

static void limits_json(json_t *o, const DemandXmrLimits *l)
{
    json_object_set_new(o, "n", json_integer(l->n));
    json_object_set_new(o, "mean", jnum(l->mean));
    json_object_set_new(o, "upper", jnum(l->upper));
    json_object_set_new(o, "lower", jnum(l->lower));
    json_object_set_new(o, "lower_floored", json_boolean(l->lower_floored));
    json_object_set_new(o, "upper_capped", json_boolean(l->upper_capped));
    json_object_set_new(o, "mr_mean", jnum(l->mr_mean));
    json_object_set_new(o, "mr_upper", jnum(l->mr_upper));
}

static json_t *xmr_json(const DemandXmr *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", jstr(x->name));
    json_object_set_new(o, "title", jstr(x->title));
    json_object_set_new(o, "unit", jstr(x->unit));
    json_object_set_new(o, "floor", jnum(x->floor));
    json_object_set_new(o, "ceiling", jnum(x->ceiling));
    limits_json(o, &x->all);
    json_t *pts = json_array();
    for (int i = 0; i < x->npoints; i++) {
        const DemandXmrPoint *p = &x->points[i];
        json_t *q = json_object();
        json_object_set_new(q, "x", jstr(p->x));
        json_object_set_new(q, "date", jday(p->day));
        json_object_set_new(q, "value", jnum(p->value));
        json_object_set_new(q, "mr", jnum(p->mr));
        json_object_set_new(q, "part", json_integer(p->part));
        const char *sg = point_signal(p->sig);
        json_object_set_new(q, "signal", sg ? json_string(sg) : json_null());
        json_array_append_new(pts, q);
    }
    json_object_set_new(o, "points", pts);
    json_t *sig = json_array();
    for (int i = 0; i < x->nsignals; i++) {
        const DemandXmrSignal *s = &x->signals[i];
        json_t *q = json_object();
        json_object_set_new(q, "kind", json_string(sig_key(s->kind)));
        json_object_set_new(q, "text",
                            json_string(demand_signal_name(s->kind)));
        json_object_set_new(q, "part", json_integer(s->part));
        json_object_set_new(q, "first", json_integer(s->first));
        json_object_set_new(q, "last", json_integer(s->last));
        json_object_set_new(q, "x", jstr(x->points[s->first].x));
        json_object_set_new(q, "x_last", jstr(x->points[s->last].x));
        json_array_append_new(sig, q);
    }
    json_object_set_new(o, "signals", sig);
    json_t *parts = json_array();
    for (int k = 0; k < x->nparts; k++) {
        const DemandXmrLimits *l = &x->parts[k];
        json_t *q = json_object();
        json_object_set_new(q, "part", json_integer(k));
        json_object_set_new(q, "from", jday(l->from_day));
        json_object_set_new(q, "until",
                            k + 1 < x->nparts ? jday(x->parts[k + 1].from_day)
                                              : json_null());
        limits_json(q, l);
        json_array_append_new(parts, q);
    }
    json_object_set_new(o, "parts", parts);
    return o;
}

json_t *demand_report_json(const DemandStudy *s)
{
    const DemandLog *log = s->log;
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "file", jstr(log->file));
    json_object_set_new(root, "total", json_integer(s->total));
    json_object_set_new(root, "value", json_integer(s->value));
    json_object_set_new(root, "failure", json_integer(s->failure));
    json_object_set_new(root, "unclassified", json_integer(s->unclassified));
    json_object_set_new(root, "classified",
                        json_integer(s->value + s->failure));
    json_object_set_new(root, "failure_share", jnum(s->failure_share));
    json_object_set_new(root, "share_basis",
                        json_string("shares of value and failure demand are "
                                    "over classified contacts (value + "
                                    "failure); unclassified contacts are "
                                    "left out"));
    json_t *rej = json_array();
    for (int i = 0; i < log->nrejected; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "line", json_integer(log->rejected[i].line));
        json_object_set_new(o, "reason", jstr(log->rejected[i].reason));
        json_array_append_new(rej, o);
    }
    json_object_set_new(root, "rejected", rej);
    json_object_set_new(root, "blank_rows", json_integer(log->blank));
    json_t *sug = json_array(), *dis = json_array();
    for (int i = 0; i < log->ncontacts; i++) {
        const DemandContact *c = &log->contacts[i];
        if (c->demand == DEMAND_NONE && c->suggested != DEMAND_NONE) {
            json_t *o = json_object();
            json_object_set_new(o, "line", json_integer(c->line));
            json_object_set_new(o, "id", jstr(c->id));
            json_object_set_new(o, "demand",
                                json_string(demand_kind_name(c->suggested)));
            json_object_set_new(o, "type", jstr(c->suggested_type));
            json_object_set_new(o, "reason", jstr(c->suggested_why));
            json_object_set_new(o, "words", jstr(c->words));
            json_array_append_new(sug, o);
        } else if (c->demand != DEMAND_NONE && c->rule >= 0 &&
                   c->rule_kind != c->demand) {
            json_t *o = json_object();
            json_object_set_new(o, "line", json_integer(c->line));
            json_object_set_new(o, "id", jstr(c->id));
            json_object_set_new(o, "coded",
                                json_string(demand_kind_name(c->demand)));
            json_object_set_new(o, "coded_type", jstr(c->type));
            json_object_set_new(o, "rule_demand",
                                json_string(demand_kind_name(c->rule_kind)));
            json_object_set_new(o, "rule_type", jstr(c->rule_type));
            json_object_set_new(o, "rule", jstr(c->rule_where));
            json_object_set_new(o, "words", jstr(c->words));
            json_array_append_new(dis, o);
        }
    }
    json_object_set_new(root, "suggested", sug);
    json_object_set_new(root, "suggested_value",
                        json_integer(s->suggested_value));
    json_object_set_new(root, "suggested_failure",
                        json_integer(s->suggested_failure));
    json_object_set_new(root, "failure_share_with_suggestions",
                        jnum(s->failure_share_suggested));
    json_object_set_new(root, "disagreements", dis);
    json_object_set_new(root, "repeats", json_integer(s->repeats));
    json_object_set_new(root, "by_service",
                        groups_json(s->by_service, s->nservice));
    json_object_set_new(root, "by_channel",
                        groups_json(s->by_channel, s->nchannel));
    json_object_set_new(root, "by_type", groups_json(s->by_type, s->ntype));
    json_t *par = json_object();
    json_object_set_new(par, "failure",
                        pareto_json(s->pareto_failure, s->npareto_failure));
    json_object_set_new(par, "value",
                        pareto_json(s->pareto_value, s->npareto_value));
    json_object_set_new(root, "pareto", par);
    json_t *fc = json_object();
    json_object_set_new(fc, "yes", json_integer(s->first_yes));
    json_object_set_new(fc, "no", json_integer(s->first_no));
    json_object_set_new(fc, "not_recorded", json_integer(s->first_unknown));
    json_object_set_new(fc, "share", jnum(s->first_share));
    json_object_set_new(root, "first_contact", fc);
    json_t *ho = json_object();
    json_object_set_new(ho, "recorded", json_integer(s->handoffs_n));
    json_object_set_new(ho, "not_recorded", json_integer(s->handoffs_unknown));
    json_object_set_new(ho, "mean", jnum(s->handoffs_mean));
    json_t *dist = json_array();
    for (int k = 0; k <= s->handoffs_max; k++) {
        if (!s->handoffs_count[k])
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "handoffs", json_integer(k));
        json_object_set_new(o, "count", json_integer(s->handoffs_count[k]));
        json_array_append_new(dist, o);
    }
    json_object_set_new(ho, "distribution", dist);
    json_object_set_new(root, "handoffs", ho);
    json_t *e = json_object();
    json_object_set_new(e, "unit", json_string("days"));
    json_object_set_new(e, "cases", json_integer(s->cases));
    json_object_set_new(e, "closed", json_integer(s->cases_closed));
    json_object_set_new(e, "open", json_integer(s->cases_open));
    json_object_set_new(e, "closed_before_first_contact",
                        json_integer(s->cases_bad));
    json_object_set_new(e, "mean", jnum(s->e2e_mean));
    json_object_set_new(e, "median", jnum(s->e2e_median));
    json_object_set_new(e, "p85", jnum(s->e2e_p85));
    json_object_set_new(e, "min", jnum(s->e2e_min));
    json_object_set_new(e, "max", jnum(s->e2e_max));
    json_object_set_new(
        e, "percentile_method",
        json_string("linear interpolation between closest ranks "
                    "(Hyndman-Fan type 7, Excel PERCENTILE.INC)"));
    json_object_set_new(root, "end_to_end", e);
    json_t *splits = json_array();
    for (int k = 0; k < s->nsplits; k++)
        json_array_append_new(splits, jday(s->splits[k]));
    json_object_set_new(root, "splits", splits);
    json_object_set_new(root, "days_without_coded_contacts",
                        json_integer(s->days_unclassified));
    json_t *x = json_array();
    json_array_append_new(x, xmr_json(&s->share_chart));
    json_array_append_new(x, xmr_json(&s->e2e_chart));
    json_object_set_new(root, "xmr", x);
    return root;
}

/* ---- text ------------------------------------------------------------- */

/* Appends s with control characters as spaces, cut to max characters
 * (with "...") when max > 0, padded with spaces to width. */
static void put_cell(TBuf *b, const char *s, int max, int width)
{
    size_t n = strlen(s);
    int chars = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int used = str_utf8_decode(s + i, n - i, &cp);
        if (max > 0 && chars == max - 3 && str_utf8_count(s + i, n - i) > 3) {
            tbuf_puts(b, "...");
            chars += 3;
            break;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            tbuf_putc(b, ' ');
        else
            tbuf_append(b, s + i, (size_t)used);
        chars++;
        i += (size_t)used;
    }
    for (; chars < width; chars++)
        tbuf_putc(b, ' ');
}

static double ratio_or_nan(int num, int den)
{
    return den > 0 ? (double)num / den : NAN;
}

static void put_pct(TBuf *b, double v)
{
    if (isfinite(v))
        tbuf_printf(b, "%6.1f%%", 100 * v);
    else
        tbuf_puts(b, "      -");
}

/* A percentage inside a sentence: not padded. */
static void put_pct_inline(TBuf *b, double v)
{
    if (isfinite(v))
        tbuf_printf(b, "%.1f%%", 100 * v);
    else
        tbuf_puts(b, "-");
}

static void put_num(TBuf *b, double v, const char *fmt)
{
    if (isfinite(v))
        tbuf_printf(b, fmt, v);
    else
        tbuf_puts(b, "-");
}

static void text_groups(TBuf *b, const char *title, const DemandGroup *g, int n)
{
    tbuf_printf(b, "\n%s\n  ", title);
    put_cell(b, "", 0, 30);
    tbuf_puts(b, " total  value failure unclassified  failure share\n");
    for (int i = 0; i < n; i++) {
        tbuf_puts(b, "  ");
        put_cell(b, g[i].name, 30, 30);
        tbuf_printf(b, " %5d  %5d   %5d        %5d        ", g[i].total,
                    g[i].value, g[i].failure, g[i].unclassified);
        put_pct(b, g[i].failure_share);
        tbuf_putc(b, '\n');
    }
}

static void text_pareto(TBuf *b, const char *title, const DemandPareto *p,
                        int n)
{
    tbuf_printf(b, "\n%s\n", title);
    if (!n) {
        tbuf_puts(b, "  none coded\n");
        return;
    }
    tbuf_puts(b, "  ");
    put_cell(b, "type", 0, 30);
    tbuf_puts(b, " count   share  cumulative\n");
    for (int i = 0; i < n; i++) {
        tbuf_puts(b, "  ");
        put_cell(b, p[i].type, 30, 30);
        tbuf_printf(b, " %5d ", p[i].count);
        put_pct(b, p[i].share);
        tbuf_puts(b, "     ");
        put_pct(b, p[i].cumulative);
        tbuf_putc(b, '\n');
    }
}

static void text_value(TBuf *b, const DemandXmr *x, double v)
{
    if (!isfinite(v))
        tbuf_puts(b, "       -");
    else if (!strcmp(x->unit, "share"))
        tbuf_printf(b, " %6.1f%%", 100 * v);
    else
        tbuf_printf(b, " %7.2f", v);
}

static void text_limits(TBuf *b, const DemandXmr *x, const char *label,
                        const DemandXmrLimits *l)
{
    tbuf_puts(b, "  ");
    put_cell(b, label, 0, 22);
    tbuf_printf(b, " %6d", l->n);
    text_value(b, x, l->mean);
    text_value(b, x, l->lower);
    text_value(b, x, l->upper);
    text_value(b, x, l->mr_mean);
    text_value(b, x, l->mr_upper);
    if (l->lower_floored || l->upper_capped)
        tbuf_printf(b, "  (%s%s%s)", l->lower_floored ? "lower floored" : "",
                    l->lower_floored && l->upper_capped ? ", " : "",
                    l->upper_capped ? "upper capped" : "");
    tbuf_putc(b, '\n');
}

static void text_xmr(TBuf *b, const DemandXmr *x)
{
    tbuf_printf(b, "\nCapability chart: %s\n", x->title);
    if (x->npoints == 0) {
        tbuf_puts(b, "  no points\n");
        return;
    }
    tbuf_puts(b, "  ");
    put_cell(b, "", 0, 22);
    tbuf_puts(b, " points    mean   lower   upper mR mean mR upper\n");
    text_limits(b, x, x->nparts > 1 ? "all points (no split)" : "all points",
                &x->all);
    for (int k = 0; x->nparts > 1 && k < x->nparts; k++) {
        char label[64], day[32];
        if (k == 0) {
            demand_day_format(x->parts[1].from_day, day);
            snprintf(label, sizeof label, "before %s", day);
        } else {
            demand_day_format(x->parts[k].from_day, day);
            snprintf(label, sizeof label, "from %s", day);
        }
        text_limits(b, x, label, &x->parts[k]);
    }
    if (!isnan(x->floor))
        tbuf_printf(b,
                    "  The lower limit is floored at %g where it would be "
                    "lower: %s cannot be negative.\n",
                    x->floor, !strcmp(x->unit, "share") ? "a share" : "a time");
    if (!isnan(x->ceiling))
        tbuf_printf(b,
                    "  The upper limit is capped at %g%%: a share cannot "
                    "pass 100%%.\n",
                    100 * x->ceiling);
    if (!x->nsignals) {
        tbuf_puts(b, "  No signals: the measure is stable within its "
                     "limits.\n");
        return;
    }
    tbuf_printf(b, "  Signals (%d):\n", x->nsignals);
    for (int i = 0; i < x->nsignals; i++) {
        const DemandXmrSignal *s = &x->signals[i];
        const DemandXmrPoint *p = &x->points[s->first];
        tbuf_puts(b, "    ");
        put_cell(b, p->x, 24, 0);
        if (s->last != s->first) {
            tbuf_puts(b, " to ");
            put_cell(b, x->points[s->last].x, 24, 0);
        } else if (!strcmp(x->unit, "share")) {
            tbuf_printf(b, " (%.1f%%)", 100 * p->value);
        } else {
            tbuf_printf(b, " (%.2f)", p->value);
        }
        tbuf_printf(b, ": %s", demand_signal_name(s->kind));
        if (x->nparts > 1)
            tbuf_printf(b, " (part %d)", s->part + 1);
        tbuf_putc(b, '\n');
    }
}

#define TEXT_LIST_MAX 30 /* suggestions and rejects listed in text */

int demand_report_text(const DemandStudy *s, TBuf *out)
{
    const DemandLog *log = s->log;
    TBuf b = {0};
    tbuf_puts(&b, "Demand study: ");
    put_cell(&b, log->file, 0, 0);
    tbuf_printf(&b,
                "\n  %d contact%s loaded, %d row%s rejected, %d blank row%s "
                "skipped\n",
                s->total, s->total == 1 ? "" : "s", log->nrejected,
                log->nrejected == 1 ? "" : "s", log->blank,
                log->blank == 1 ? "" : "s");
    int coded = s->value + s->failure;
    tbuf_printf(&b,
                "\nValue and failure demand (shares are of the %d coded "
                "contacts; the %d unclassified are left out)\n",
                coded, s->unclassified);
    tbuf_printf(&b, "  value         %6d ", s->value);
    put_pct(&b, ratio_or_nan(s->value, coded));
    tbuf_printf(&b, "\n  failure       %6d ", s->failure);
    put_pct(&b, s->failure_share);
    tbuf_printf(&b, "\n  unclassified  %6d\n", s->unclassified);
    if (s->suggested_value + s->suggested_failure) {
        tbuf_printf(&b,
                    "  Suggested for uncoded contacts: %d failure, %d value; "
                    "with them the failure share would be ",
                    s->suggested_failure, s->suggested_value);
        put_pct_inline(&b, s->failure_share_suggested);
        tbuf_putc(&b, '\n');
    }
    tbuf_printf(&b,
                "  Repeat contacts (an earlier contact on the same case, "
                "still open): %d\n",
                s->repeats);
    if (log->nrejected) {
        tbuf_printf(&b, "\nRejected rows (%d)\n", log->nrejected);
        for (int i = 0; i < log->nrejected && i < TEXT_LIST_MAX; i++) {
            tbuf_printf(&b, "  line %d: ", log->rejected[i].line);
            put_cell(&b, log->rejected[i].reason, 0, 0);
            tbuf_putc(&b, '\n');
        }
        if (log->nrejected > TEXT_LIST_MAX)
            tbuf_printf(&b, "  ... and %d more\n",
                        log->nrejected - TEXT_LIST_MAX);
    }
    text_groups(&b, "By service", s->by_service, s->nservice);
    text_groups(&b, "By channel", s->by_channel, s->nchannel);
    text_groups(&b, "By type", s->by_type, s->ntype);
    text_pareto(&b, "Pareto of failure demand types", s->pareto_failure,
                s->npareto_failure);
    text_pareto(&b, "Pareto of value demand types", s->pareto_value,
                s->npareto_value);
    tbuf_puts(&b, "\nResolved at first contact: ");
    put_pct_inline(&b, s->first_share);
    tbuf_printf(&b, " (%d of %d recorded; %d not recorded)\n", s->first_yes,
                s->first_yes + s->first_no, s->first_unknown);
    tbuf_puts(&b, "\nHandoffs: mean ");
    put_num(&b, s->handoffs_mean, "%.2f");
    tbuf_printf(&b, " over %d contacts (%d not recorded)\n", s->handoffs_n,
                s->handoffs_unknown);
    for (int k = 0; k <= s->handoffs_max; k++) {
        int c = s->handoffs_count[k];
        if (!c)
            continue;
        tbuf_printf(&b, "  %4d  %5d  ", k, c);
        int bar = s->handoffs_n ? (int)(40.0 * c / s->handoffs_n + 0.5) : 0;
        for (int j = 0; j < bar; j++)
            tbuf_putc(&b, '#');
        tbuf_putc(&b, '\n');
    }
    tbuf_printf(&b,
                "\nEnd-to-end time per case, first contact to closure "
                "(days)\n  %d cases: %d closed, %d open",
                s->cases, s->cases_closed, s->cases_open);
    if (s->cases_bad)
        tbuf_printf(&b, ", %d left out (closed before their first contact)",
                    s->cases_bad);
    tbuf_puts(&b, "\n  median ");
    put_num(&b, s->e2e_median, "%.1f");
    tbuf_puts(&b, ", 85th percentile ");
    put_num(&b, s->e2e_p85, "%.1f");
    tbuf_puts(&b, ", mean ");
    put_num(&b, s->e2e_mean, "%.1f");
    tbuf_puts(&b, ", shortest ");
    put_num(&b, s->e2e_min, "%.1f");
    tbuf_puts(&b, ", longest ");
    put_num(&b, s->e2e_max, "%.1f");
    tbuf_puts(&b, "\n  (percentiles interpolate between closest ranks)\n");
    text_xmr(&b, &s->share_chart);
    if (s->days_unclassified)
        tbuf_printf(&b,
                    "  %d day%s with contacts but none coded %s left "
                    "out.\n",
                    s->days_unclassified, s->days_unclassified == 1 ? "" : "s",
                    s->days_unclassified == 1 ? "is" : "are");
    text_xmr(&b, &s->e2e_chart);
    int nsug = s->suggested_value + s->suggested_failure, shown = 0;
    if (nsug) {
        tbuf_printf(&b, "\nSuggestions for uncoded contacts (%d)\n", nsug);
        for (int i = 0; i < log->ncontacts && shown < TEXT_LIST_MAX; i++) {
            const DemandContact *c = &log->contacts[i];
            if (c->demand != DEMAND_NONE || c->suggested == DEMAND_NONE)
                continue;
            shown++;
            tbuf_printf(&b, "  line %-5d %-8s ", c->line,
                        demand_kind_name(c->suggested));
            put_cell(&b, c->suggested_type, 20, 20);
            tbuf_puts(&b, " \"");
            put_cell(&b, c->words, 60, 0);
            tbuf_puts(&b, "\"\n             ");
            put_cell(&b, c->suggested_why, 0, 0);
            tbuf_putc(&b, '\n');
        }
        if (nsug > shown)
            tbuf_printf(&b,
                        "  ... and %d more (the JSON and HTML reports "
                        "list them all)\n",
                        nsug - shown);
    }
    if (s->disagreements) {
        tbuf_printf(&b, "\nCoded contacts a rule would code otherwise (%d)\n",
                    s->disagreements);
        shown = 0;
        for (int i = 0; i < log->ncontacts && shown < TEXT_LIST_MAX; i++) {
            const DemandContact *c = &log->contacts[i];
            if (c->demand == DEMAND_NONE || c->rule < 0 ||
                c->rule_kind == c->demand)
                continue;
            shown++;
            tbuf_printf(&b, "  line %-5d coded %s, ", c->line,
                        demand_kind_name(c->demand));
            put_cell(&b, c->rule_where, 0, 0);
            tbuf_printf(&b, " says %s (", demand_kind_name(c->rule_kind));
            put_cell(&b, c->rule_type, 30, 0);
            tbuf_puts(&b, ")\n");
        }
        if (s->disagreements > shown)
            tbuf_printf(&b, "  ... and %d more\n", s->disagreements - shown);
    }
    int rc = tbuf_append(out, b.data ? b.data : "", b.len);
    tbuf_free(&b);
    return rc;
}

int demand_report(const DemandStudy *s, DemandFormat f, TBuf *out)
{
    if (f == DEMAND_TEXT)
        return demand_report_text(s, out);
    if (f == DEMAND_HTML)
        return demand_report_html(s, out);
    json_t *root = demand_report_json(s);
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII |
                                             JSON_REAL_PRECISION(12))
                      : NULL;
    json_decref(root);
    if (!text)
        return T_EINTERNAL;
    int rc = tbuf_puts(out, text);
    if (rc == T_OK)
        rc = tbuf_putc(out, '\n');
    free(text);
    return rc;
}
