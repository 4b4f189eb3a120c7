/*
 * html.c - the demand study as one self-contained HTML page: the numbers
 * in tables, and the Pareto and capability (XmR) charts as inline SVG
 * drawn here, with print CSS so the page prints cleanly to PDF. Nothing is
 * fetched: no scripts, fonts or images from elsewhere.
 *
 * Every string that came from the log or the rules (names, words, ids,
 * reasons, the file name) goes through tbuf_put_xml_escaped.
 */
#include "demand.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void esc(TBuf *b, const char *s)
{
    tbuf_put_xml_escaped(b, s ? s : "");
}

/* Escaped, cut to max characters with an ellipsis. */
static void esc_cut(TBuf *b, const char *s, int max)
{
    size_t n = strlen(s), i = 0;
    int chars = 0;
    while (i < n && chars < max) {
        uint32_t cp;
        i += (size_t)str_utf8_decode(s + i, n - i, &cp);
        chars++;
    }
    if (i >= n) {
        esc(b, s);
        return;
    }
    TBuf t = {0};
    tbuf_append(&t, s, i);
    esc(b, tbuf_cstr(&t));
    tbuf_puts(b, "\xE2\x80\xA6");
    tbuf_free(&t);
}

static void pct(TBuf *b, double v)
{
    if (isfinite(v))
        tbuf_printf(b, "%.1f%%", 100 * v);
    else
        tbuf_puts(b, "&#8211;");
}

static void num(TBuf *b, double v, const char *fmt)
{
    if (isfinite(v))
        tbuf_printf(b, fmt, v);
    else
        tbuf_puts(b, "&#8211;");
}

/* A chart value: a percentage for shares, else days. */
static void val(TBuf *b, const DemandXmr *x, double v)
{
    if (!strcmp(x->unit, "share"))
        pct(b, v);
    else
        num(b, v, "%.1f");
}

static const char *const css =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;color:#1d2329;max-width:62rem;margin:2rem auto;"
    "padding:0 1rem}\n"
    "h1{font-size:1.6rem;margin-bottom:.2rem}\n"
    "h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccd}\n"
    "h3{font-size:1rem;margin-bottom:.3rem}\n"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}\n"
    "th,td{padding:.25rem .7rem;text-align:right;vertical-align:top;"
    "border-bottom:1px solid #e4e6ea}\n"
    "th{font-weight:600;background:#f4f5f7}\n"
    "th.l,td.l{text-align:left}\n"
    "td.words{max-width:28rem;text-align:left;font-style:italic}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}\n"
    ".card{border:1px solid #d5d9e0;border-radius:6px;padding:.6rem 1rem;"
    "min-width:10rem}\n"
    ".card .big{font-size:1.7rem;font-weight:650;display:block}\n"
    ".note{color:#4d5561;font-size:.9em}\n"
    "figure{margin:1rem 0}\n"
    "svg{max-width:100%;height:auto;font-family:inherit}\n"
    "svg text{font-size:11px;fill:#333}\n"
    ".pt{fill:#2c3e50}.sig{fill:#c0392b}\n"
    ".mean{stroke:#2c3e50;stroke-width:1.2}\n"
    ".lim{stroke:#c0392b;stroke-width:1;stroke-dasharray:5 4}\n"
    ".split{stroke:#7f8c8d;stroke-width:1;stroke-dasharray:2 3}\n"
    ".line{fill:none;stroke:#5d6d7e;stroke-width:1.2}\n"
    ".axis{stroke:#999;stroke-width:1}.grid{stroke:#eee;stroke-width:1}\n"
    ".bar{fill:#d35400}.bar.v{fill:#2980b9}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "figure,table,.cards,section.chart{break-inside:avoid;"
    "page-break-inside:avoid}"
    ".card{border-color:#999}a{color:inherit;text-decoration:none}}\n";

/* ---- charts ----------------------------------------------------------- */

#define SVG_W 720.0 /* chart width in SVG units */
#define SVG_L 58.0  /* left margin, for the axis labels */
#define SVG_R 14.0  /* right margin */

typedef struct Plot {
    double top, h; /* plot area */
    double lo, hi; /* data range shown */
    double step;   /* between ticks */
    int n;         /* points along x */
} Plot;

static double px(const Plot *p, int i)
{
    return SVG_L + (i + 0.5) * (SVG_W - SVG_L - SVG_R) / p->n;
}

static double py(const Plot *p, double v)
{
    return p->top + p->h - (v - p->lo) / (p->hi - p->lo) * p->h;
}

static void grow(double *lo, double *hi, double v)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* A round step (1, 2 or 5 times a power of ten) giving about four ticks
 * over range. */
static double nice_step(double range)
{
    double raw = range / 4;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Widens the range to whole ticks (and a little room) so the plot is
 * never flat; a range that starts at the floor keeps it. */
static void settle(Plot *p, double floor_)
{
    if (!(p->hi > p->lo))
        p->hi = p->lo + (fabs(p->lo) > 0 ? fabs(p->lo) : 1);
    double room = (p->hi - p->lo) * 0.04;
    if (!(isfinite(floor_) && p->lo <= floor_))
        p->lo -= room;
    p->hi += room;
    p->step = nice_step(p->hi - p->lo);
    p->lo = floor(p->lo / p->step) * p->step;
    p->hi = ceil(p->hi / p->step) * p->step;
    if (isfinite(floor_) && p->lo < floor_)
        p->lo = floor_;
}

static void tick(TBuf *b, const DemandXmr *x, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0;
    if (!strcmp(x->unit, "share"))
        tbuf_printf(b, "%.*f%%", step >= 0.01 ? 0 : 1, 100 * v);
    else
        tbuf_printf(b, "%.*f", step >= 1 ? 0 : step >= 0.1 ? 1 : 2, v);
}

static void axis(TBuf *b, const Plot *p, const DemandXmr *x)
{
    for (int k = 0; k < 40; k++) {
        double v = p->lo + k * p->step;
        if (v > p->hi + p->step * 1e-6)
            break;
        double y = py(p, v);
        tbuf_printf(b,
                    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                    "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"end\">",
                    SVG_L, SVG_W - SVG_R, y, y, SVG_L - 6, y + 4);
        tick(b, x, v, p->step);
        tbuf_puts(b, "</text>\n");
    }
    tbuf_printf(b,
                "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                "y2=\"%.1f\"/>\n",
                SVG_L, SVG_L, p->top, p->top + p->h);
}

/* A horizontal limit line across the points of one part. */
static void hline(TBuf *b, const Plot *p, const char *cls, int first, int n,
                  double v)
{
    if (!isfinite(v) || n < 1)
        return;
    double step = (SVG_W - SVG_L - SVG_R) / p->n;
    double x1 = px(p, first) - step / 2, x2 = px(p, first + n - 1) + step / 2;
    double y = py(p, v);
    tbuf_printf(b,
                "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                "y2=\"%.1f\"/>\n",
                cls, x1, x2, y, y);
}

/* The individuals chart (mr false) or the moving-range chart (mr true). */
static void svg_chart(TBuf *b, const DemandXmr *x, bool mr)
{
    bool share = !strcmp(x->unit, "share");
    double height = mr ? 150 : 250;
    Plot p = {.top = 12, .h = height - 12 - (mr ? 26 : 52), .n = x->npoints};
    p.lo = INFINITY;
    p.hi = -INFINITY;
    for (int i = 0; i < x->npoints; i++)
        grow(&p.lo, &p.hi, mr ? x->points[i].mr : x->points[i].value);
    for (int k = 0; k < x->nparts; k++) {
        const DemandXmrLimits *l = &x->parts[k];
        if (mr) {
            grow(&p.lo, &p.hi, l->mr_upper);
        } else {
            grow(&p.lo, &p.hi, l->upper);
            grow(&p.lo, &p.hi, l->lower);
        }
    }
    if (!isfinite(p.lo) || !isfinite(p.hi))
        p.lo = p.hi = 0;
    /* Moving ranges, shares and times start at 0; a share ends at 100%. */
    double floor_ = mr ? 0 : x->floor;
    if (isfinite(floor_) && p.lo > floor_)
        p.lo = floor_;
    settle(&p, floor_);
    if (!mr && share && p.hi > 1 && isfinite(x->ceiling))
        p.hi = x->ceiling;
    tbuf_printf(b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
                "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                "aria-label=\"%s\">\n",
                SVG_W, height, SVG_W, height,
                mr ? "moving range chart" : "individual values chart");
    axis(b, &p, x);
    for (int k = 0; k < x->nparts; k++) {
        const DemandXmrLimits *l = &x->parts[k];
        if (k > 0 && l->n > 0 && l->first > 0) {
            double step = (SVG_W - SVG_L - SVG_R) / p.n;
            double xs = px(&p, l->first) - step / 2;
            tbuf_printf(b,
                        "<line class=\"split\" x1=\"%.1f\" x2=\"%.1f\" "
                        "y1=\"%.1f\" y2=\"%.1f\"/>\n",
                        xs, xs, p.top, p.top + p.h);
        }
        if (mr) {
            hline(b, &p, "mean", l->first, l->n, l->mr_mean);
            hline(b, &p, "lim", l->first, l->n, l->mr_upper);
        } else {
            hline(b, &p, "mean", l->first, l->n, l->mean);
            hline(b, &p, "lim", l->first, l->n, l->upper);
            hline(b, &p, "lim", l->first, l->n, l->lower);
        }
        /* The line joins the points of a part, not across a split. */
        tbuf_puts(b, "<polyline class=\"line\" points=\"");
        for (int i = l->first; i < l->first + l->n; i++) {
            double v = mr ? x->points[i].mr : x->points[i].value;
            if (isfinite(v))
                tbuf_printf(b, "%.1f,%.1f ", px(&p, i), py(&p, v));
        }
        tbuf_puts(b, "\"/>\n");
    }
    for (int i = 0; i < x->npoints; i++) {
        const DemandXmrPoint *q = &x->points[i];
        double v = mr ? q->mr : q->value;
        if (!isfinite(v))
            continue;
        bool sig = mr ? (q->sig & DEMAND_SIG_RANGE)
                      : (q->sig & ~(unsigned)DEMAND_SIG_RANGE);
        tbuf_printf(b,
                    "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" "
                    "r=\"3\"><title>",
                    sig ? "sig" : "pt", px(&p, i), py(&p, v));
        esc(b, q->x);
        tbuf_puts(b, ": ");
        val(b, x, v);
        tbuf_puts(b, "</title></circle>\n");
    }
    if (!mr) {
        /* About eight labels along the bottom. */
        int every = x->npoints > 8 ? (x->npoints + 7) / 8 : 1;
        for (int i = 0; i < x->npoints; i += every) {
            tbuf_printf(b,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                        "transform=\"rotate(-30 %.1f %.1f)\">",
                        px(&p, i), p.top + p.h + 16, px(&p, i),
                        p.top + p.h + 16);
            esc_cut(b, x->points[i].x ? x->points[i].x : "", 14);
            tbuf_puts(b, "</text>\n");
        }
    }
    tbuf_puts(b, "</svg>\n");
}

static void html_xmr(TBuf *b, const DemandXmr *x, const char *what)
{
    tbuf_puts(b, "<section class=\"chart\">\n<h3>");
    esc(b, x->title);
    tbuf_puts(b, "</h3>\n");
    if (!x->npoints) {
        tbuf_puts(b, "<p class=\"note\">No points to chart.</p></section>\n");
        return;
    }
    tbuf_printf(b, "<p class=\"note\">%s</p>\n<figure>\n", what);
    svg_chart(b, x, false);
    tbuf_puts(b, "<figcaption class=\"note\">Individual values, the mean "
                 "(solid) and the natural process limits at mean &#177; "
                 "2.66 &#215; average moving range (dashed)");
    if (!isnan(x->floor))
        tbuf_printf(b,
                    "; the lower limit is floored at %s because %s "
                    "cannot be negative",
                    !strcmp(x->unit, "share") ? "0%" : "0",
                    !strcmp(x->unit, "share") ? "a share" : "a time");
    if (!isnan(x->ceiling))
        tbuf_puts(b, "; the upper limit is capped at 100%");
    tbuf_puts(b, ". Red points are signals.</figcaption>\n</figure>\n"
                 "<figure>\n");
    svg_chart(b, x, true);
    tbuf_puts(b, "<figcaption class=\"note\">Moving ranges, their average "
                 "and the upper range limit at 3.268 &#215; average moving "
                 "range.</figcaption>\n</figure>\n");
    tbuf_puts(b, "<table><tr><th class=\"l\">part</th><th>points</th>"
                 "<th>mean</th><th>lower limit</th><th>upper limit</th>"
                 "<th>mR mean</th><th>mR upper</th></tr>\n");
    for (int k = -1; k < x->nparts; k++) {
        const DemandXmrLimits *l = k < 0 ? &x->all : &x->parts[k];
        if (k >= 0 && x->nparts == 1)
            break;
        char day[32];
        tbuf_puts(b, "<tr><td class=\"l\">");
        if (k < 0) {
            tbuf_puts(b, x->nparts > 1 ? "all (no split)" : "all");
        } else if (k == 0) {
            demand_day_format(x->parts[1].from_day, day);
            tbuf_printf(b, "before %s", day);
        } else {
            demand_day_format(l->from_day, day);
            tbuf_printf(b, "from %s", day);
        }
        tbuf_printf(b, "</td><td>%d</td><td>", l->n);
        val(b, x, l->mean);
        tbuf_puts(b, "</td><td>");
        val(b, x, l->lower);
        tbuf_puts(b, l->lower_floored ? " (floor)" : "");
        tbuf_puts(b, "</td><td>");
        val(b, x, l->upper);
        tbuf_puts(b, l->upper_capped ? " (cap)" : "");
        tbuf_puts(b, "</td><td>");
        val(b, x, l->mr_mean);
        tbuf_puts(b, "</td><td>");
        val(b, x, l->mr_upper);
        tbuf_puts(b, "</td></tr>\n");
    }
    tbuf_puts(b, "</table>\n");
    if (!x->nsignals) {
        tbuf_puts(b, "<p>No signals: the measure is stable within its "
                     "limits.</p>\n");
    } else {
        tbuf_printf(b, "<p>Signals (%d):</p>\n<ul>\n", x->nsignals);
        for (int i = 0; i < x->nsignals; i++) {
            const DemandXmrSignal *s = &x->signals[i];
            tbuf_puts(b, "<li>");
            esc(b, x->points[s->first].x);
            if (s->last != s->first) {
                tbuf_puts(b, " to ");
                esc(b, x->points[s->last].x);
            } else {
                tbuf_puts(b, " (");
                val(b, x, x->points[s->first].value);
                tbuf_puts(b, ")");
            }
            tbuf_printf(b, ": %s", demand_signal_name(s->kind));
            if (x->nparts > 1)
                tbuf_printf(b, " (part %d)", s->part + 1);
            tbuf_puts(b, "</li>\n");
        }
        tbuf_puts(b, "</ul>\n");
    }
    tbuf_puts(b, "</section>\n");
}

/* A horizontal-bar Pareto: longest first, with the running share. */
static void svg_pareto(TBuf *b, const DemandPareto *p, int n, bool value)
{
    if (!n)
        return;
    double row = 22, top = 8, h = top + row * n + 8;
    double label = 190, barw = SVG_W - label - 170;
    int max = p[0].count > 0 ? p[0].count : 1;
    tbuf_printf(b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
                "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                "aria-label=\"Pareto chart\">\n",
                SVG_W, h, SVG_W, h);
    for (int i = 0; i < n; i++) {
        double y = top + row * i;
        double w = barw * p[i].count / max;
        tbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                    label - 8, y + 15);
        esc_cut(b, p[i].type, 28);
        tbuf_printf(b,
                    "</text><rect class=\"bar%s\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"%.1f\"><title>",
                    value ? " v" : "", label, y + 3, w, row - 6);
        esc(b, p[i].type);
        tbuf_printf(b,
                    ": %d</title></rect><text x=\"%.1f\" y=\"%.1f\">%d "
                    "(cumulative ",
                    p[i].count, label + w + 6, y + 15, p[i].count);
        pct(b, p[i].cumulative);
        tbuf_puts(b, ")</text>\n");
    }
    tbuf_puts(b, "</svg>\n");
}

static void html_groups(TBuf *b, const char *title, const DemandGroup *g, int n)
{
    tbuf_printf(b,
                "<h3>%s</h3>\n<table><tr><th class=\"l\">name</th>"
                "<th>contacts</th><th>value</th><th>failure</th>"
                "<th>unclassified</th><th>failure share</th></tr>\n",
                title);
    for (int i = 0; i < n; i++) {
        tbuf_puts(b, "<tr><td class=\"l\">");
        esc(b, g[i].name);
        tbuf_printf(b, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>",
                    g[i].total, g[i].value, g[i].failure, g[i].unclassified);
        pct(b, g[i].failure_share);
        tbuf_puts(b, "</td></tr>\n");
    }
    tbuf_puts(b, "</table>\n");
}

static void html_pareto(TBuf *b, const char *title, const DemandPareto *p,
                        int n, bool value)
{
    tbuf_printf(b, "<h3>%s</h3>\n", title);
    if (!n) {
        tbuf_puts(b, "<p class=\"note\">None coded.</p>\n");
        return;
    }
    tbuf_puts(b, "<figure>\n");
    svg_pareto(b, p, n, value);
    tbuf_puts(b, "</figure>\n<table><tr><th class=\"l\">type</th>"
                 "<th>contacts</th><th>share</th><th>cumulative</th></tr>\n");
    for (int i = 0; i < n; i++) {
        tbuf_puts(b, "<tr><td class=\"l\">");
        esc(b, p[i].type);
        tbuf_printf(b, "</td><td>%d</td><td>", p[i].count);
        pct(b, p[i].share);
        tbuf_puts(b, "</td><td>");
        pct(b, p[i].cumulative);
        tbuf_puts(b, "</td></tr>\n");
    }
    tbuf_puts(b, "</table>\n");
}

static void card(TBuf *b, const char *big, const char *small)
{
    tbuf_printf(b,
                "<div class=\"card\"><span class=\"big\">%s</span>%s"
                "</div>\n",
                big, small);
}

int demand_report_html(const DemandStudy *s, TBuf *out)
{
    const DemandLog *log = s->log;
    TBuf b = {0};
    char big[64], small[160];
    tbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                  "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\">\n"
                  "<title>Demand study: ");
    esc(&b, log->file);
    tbuf_printf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
    tbuf_puts(&b, "<h1>Demand study</h1>\n<p class=\"note\">Contact log "
                  "<code>");
    esc(&b, log->file);
    tbuf_printf(&b,
                "</code>: %d contacts loaded, %d rows rejected, %d blank "
                "rows skipped.</p>\n",
                s->total, log->nrejected, log->blank);

    tbuf_puts(&b, "<div class=\"cards\">\n");
    snprintf(big, sizeof big, "%d", s->total);
    card(&b, big, "contacts");
    if (isfinite(s->failure_share))
        snprintf(big, sizeof big, "%.1f%%", 100 * s->failure_share);
    else
        snprintf(big, sizeof big, "&#8211;");
    snprintf(small, sizeof small, "failure demand (of %d coded)",
             s->value + s->failure);
    card(&b, big, small);
    if (isfinite(s->first_share))
        snprintf(big, sizeof big, "%.1f%%", 100 * s->first_share);
    else
        snprintf(big, sizeof big, "&#8211;");
    card(&b, big, "resolved at first contact");
    if (isfinite(s->e2e_median))
        snprintf(big, sizeof big, "%.1f days", s->e2e_median);
    else
        snprintf(big, sizeof big, "&#8211;");
    card(&b, big, "median end-to-end time per case");
    tbuf_puts(&b, "</div>\n");

    tbuf_puts(&b, "<h2>Value and failure demand</h2>\n");
    tbuf_printf(&b,
                "<p>Shares are of the %d contacts the service coded as value "
                "or failure; the %d unclassified contacts are left out.</p>\n"
                "<table><tr><th class=\"l\">demand</th><th>contacts</th>"
                "<th>share</th></tr>\n<tr><td class=\"l\">value</td>"
                "<td>%d</td><td>",
                s->value + s->failure, s->unclassified, s->value);
    pct(&b, s->value + s->failure ? (double)s->value / (s->value + s->failure)
                                  : NAN);
    tbuf_printf(&b,
                "</td></tr>\n<tr><td class=\"l\">failure</td><td>%d</td>"
                "<td>",
                s->failure);
    pct(&b, s->failure_share);
    tbuf_printf(&b,
                "</td></tr>\n<tr><td class=\"l\">unclassified</td><td>%d</td>"
                "<td></td></tr>\n</table>\n",
                s->unclassified);
    if (s->suggested_value + s->suggested_failure) {
        tbuf_printf(&b,
                    "<p>Suggested for uncoded contacts: %d failure and %d "
                    "value; counting them, failure demand would be ",
                    s->suggested_failure, s->suggested_value);
        pct(&b, s->failure_share_suggested);
        tbuf_puts(&b, ".</p>\n");
    }
    tbuf_printf(&b,
                "<p>Repeat contacts (an earlier contact on the same case, "
                "still open): %d.</p>\n",
                s->repeats);
    html_groups(&b, "By service", s->by_service, s->nservice);
    html_groups(&b, "By channel", s->by_channel, s->nchannel);
    html_groups(&b, "By type", s->by_type, s->ntype);

    tbuf_puts(&b, "<h2>Pareto of demand types</h2>\n");
    html_pareto(&b, "Failure demand", s->pareto_failure, s->npareto_failure,
                false);
    html_pareto(&b, "Value demand", s->pareto_value, s->npareto_value, true);

    tbuf_puts(&b, "<h2>Flow</h2>\n<p>Resolved at first contact: ");
    pct(&b, s->first_share);
    tbuf_printf(&b, " (%d of %d recorded; %d not recorded).</p>\n",
                s->first_yes, s->first_yes + s->first_no, s->first_unknown);
    tbuf_puts(&b, "<p>Handoffs: mean ");
    num(&b, s->handoffs_mean, "%.2f");
    tbuf_printf(&b, " over %d contacts (%d not recorded).</p>\n", s->handoffs_n,
                s->handoffs_unknown);
    if (s->handoffs_n) {
        tbuf_puts(&b, "<table><tr><th>handoffs</th><th>contacts</th>"
                      "<th>share</th></tr>\n");
        for (int k = 0; k <= s->handoffs_max; k++) {
            if (!s->handoffs_count[k])
                continue;
            tbuf_printf(&b, "<tr><td>%d</td><td>%d</td><td>", k,
                        s->handoffs_count[k]);
            pct(&b, (double)s->handoffs_count[k] / s->handoffs_n);
            tbuf_puts(&b, "</td></tr>\n");
        }
        tbuf_puts(&b, "</table>\n");
    }
    tbuf_printf(&b,
                "<p>End-to-end time per case, from first contact to "
                "closure: %d cases, %d closed, %d open",
                s->cases, s->cases_closed, s->cases_open);
    if (s->cases_bad)
        tbuf_printf(&b, ", %d left out (closed before their first contact)",
                    s->cases_bad);
    tbuf_puts(&b, ". Median ");
    num(&b, s->e2e_median, "%.1f");
    tbuf_puts(&b, " days, 85th percentile ");
    num(&b, s->e2e_p85, "%.1f");
    tbuf_puts(&b, " days, mean ");
    num(&b, s->e2e_mean, "%.1f");
    tbuf_puts(&b, ", shortest ");
    num(&b, s->e2e_min, "%.1f");
    tbuf_puts(&b, ", longest ");
    num(&b, s->e2e_max, "%.1f");
    tbuf_puts(&b, " (percentiles interpolate between closest ranks).</p>\n");

    tbuf_puts(&b, "<h2>Capability charts</h2>\n");
    if (s->nsplits) {
        tbuf_puts(&b, "<p>Split at ");
        for (int k = 0; k < s->nsplits; k++) {
            char day[32];
            demand_day_format(s->splits[k], day);
            tbuf_printf(&b, "%s%s", k ? ", " : "", day);
        }
        tbuf_puts(&b, ": each part has its own limits.</p>\n");
    }
    char what[160];
    snprintf(what, sizeof what, "One point per day with coded contacts%s.",
             s->days_unclassified ? "; days with none coded are left out" : "");
    html_xmr(&b, &s->share_chart, what);
    html_xmr(&b, &s->e2e_chart,
             "One point per closed case, in order of closure.");

    if (log->nrejected) {
        tbuf_printf(&b,
                    "<h2>Rejected rows (%d)</h2>\n<table><tr><th>line</th>"
                    "<th class=\"l\">reason</th></tr>\n",
                    log->nrejected);
        for (int i = 0; i < log->nrejected; i++) {
            tbuf_printf(&b, "<tr><td>%d</td><td class=\"l\">",
                        log->rejected[i].line);
            esc(&b, log->rejected[i].reason);
            tbuf_puts(&b, "</td></tr>\n");
        }
        tbuf_puts(&b, "</table>\n");
    }
    if (s->suggested_value + s->suggested_failure) {
        tbuf_printf(&b,
                    "<h2>Suggestions for uncoded contacts (%d)</h2>\n"
                    "<table><tr><th>line</th><th class=\"l\">id</th>"
                    "<th class=\"l\">demand</th><th class=\"l\">type</th>"
                    "<th class=\"l\">their words</th><th class=\"l\">why</th>"
                    "</tr>\n",
                    s->suggested_value + s->suggested_failure);
        for (int i = 0; i < log->ncontacts; i++) {
            const DemandContact *c = &log->contacts[i];
            if (c->demand != DEMAND_NONE || c->suggested == DEMAND_NONE)
                continue;
            tbuf_printf(&b, "<tr><td>%d</td><td class=\"l\">", c->line);
            esc(&b, c->id);
            tbuf_printf(&b, "</td><td class=\"l\">%s</td><td class=\"l\">",
                        demand_kind_name(c->suggested));
            esc(&b, c->suggested_type);
            tbuf_puts(&b, "</td><td class=\"words\">");
            esc(&b, c->words);
            tbuf_puts(&b, "</td><td class=\"l\">");
            esc(&b, c->suggested_why);
            tbuf_puts(&b, "</td></tr>\n");
        }
        tbuf_puts(&b, "</table>\n");
    }
    if (s->disagreements) {
        tbuf_printf(&b,
                    "<h2>Coded contacts a rule would code otherwise "
                    "(%d)</h2>\n<table><tr><th>line</th><th class=\"l\">id"
                    "</th><th class=\"l\">coded</th><th class=\"l\">rule "
                    "says</th><th class=\"l\">their words</th></tr>\n",
                    s->disagreements);
        for (int i = 0; i < log->ncontacts; i++) {
            const DemandContact *c = &log->contacts[i];
            if (c->demand == DEMAND_NONE || c->rule < 0 ||
                c->rule_kind == c->demand)
                continue;
            tbuf_printf(&b, "<tr><td>%d</td><td class=\"l\">", c->line);
            esc(&b, c->id);
            tbuf_printf(&b, "</td><td class=\"l\">%s ",
                        demand_kind_name(c->demand));
            esc(&b, c->type);
            tbuf_printf(&b, "</td><td class=\"l\">%s ",
                        demand_kind_name(c->rule_kind));
            esc(&b, c->rule_type);
            tbuf_puts(&b, " (");
            esc(&b, c->rule_where);
            tbuf_puts(&b, ")</td><td class=\"words\">");
            esc(&b, c->words);
            tbuf_puts(&b, "</td></tr>\n");
        }
        tbuf_puts(&b, "</table>\n");
    }
    tbuf_puts(&b, "<p class=\"note\">Made by Territory's demand study "
                  "(<code>territory demand</code>).</p>\n</body>\n</html>\n");
    int rc = tbuf_append(out, b.data ? b.data : "", b.len);
    tbuf_free(&b);
    return rc;
}
