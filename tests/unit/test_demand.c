/*
 * test_demand.c - unit tests of the demand study: XmR charts against
 * series worked out by hand (limits, moving ranges, signals, splits,
 * floors), percentiles, ISO 8601 dates, the CSV import (quoted newlines,
 * BOM, CRLF, missing columns, bad dates, Y/N and numbers, bad quoting,
 * each with its line number), the rules file (every error with its line
 * and column), matching, repeat detection, and the study's counts and
 * Pareto order.
 */
#include "unit.h"

#include <jansson.h>
#include <limits.h>

#include "demand/demand.h"

/* ---- helpers ---------------------------------------------------------- */

static DemandLog *read_ok(const char *text)
{
    TDiags d = {0};
    DemandLog *log = NULL;
    int rc = demand_log_read(text, strlen(text), "t.csv", NULL, &log, &d);
    if (rc != T_OK) {
        char msg[2048];
        u_format(&d, msg, sizeof msg);
        print_error("read failed:\n%s", msg);
    }
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    return log;
}

/* Reads a log that must fail as a whole; returns its formatted errors. */
static void read_fails(const char *text, const DemandMap *map, char *out,
                       size_t n)
{
    TDiags d = {0};
    DemandLog *log = NULL;
    int rc = demand_log_read(text, strlen(text), "t.csv", map, &log, &d);
    u_format(&d, out, n);
    diags_free(&d);
    assert_null(log);
    assert_int_equal(rc, T_EINPUT);
}

/* Fails unless rejected row i is at line and its reason contains what. */
static void assert_reject(const DemandLog *log, int i, int line,
                          const char *what)
{
    assert_true(i < log->nrejected);
    if (log->rejected[i].line != line || !strstr(log->rejected[i].reason, what))
        print_error("rejected[%d]: line %d '%s'; want line %d with '%s'\n", i,
                    log->rejected[i].line, log->rejected[i].reason, line, what);
    assert_int_equal(log->rejected[i].line, line);
    assert_non_null(strstr(log->rejected[i].reason, what));
}

static DemandRules *rules_ok(const char *text)
{
    TDiags d = {0};
    DemandRules *r = NULL;
    int rc = demand_rules_parse(text, strlen(text), "r.txt", &r, &d);
    if (rc != T_OK) {
        char msg[2048];
        u_format(&d, msg, sizeof msg);
        print_error("rules failed:\n%s", msg);
    }
    diags_free(&d);
    assert_int_equal(rc, T_OK);
    return r;
}

static int rules_errors(const char *text, char *out, size_t n)
{
    TDiags d = {0};
    DemandRules *r = NULL;
    int rc = demand_rules_parse(text, strlen(text), "r.txt", &r, &d);
    assert_null(r);
    assert_int_equal(rc, T_EINPUT);
    u_format(&d, out, n);
    int errors = d.errors;
    diags_free(&d);
    return errors;
}

static void assert_contains(const char *text, const char *want)
{
    if (!strstr(text, want))
        print_error("wanted '%s' in:\n%s\n", want, text);
    assert_non_null(strstr(text, want));
}

static const int DAYS8[] = {1, 2,  3,  4,  5,  6,  7,  8,
                            9, 10, 11, 12, 13, 14, 15, 16};

/* ---- XmR -------------------------------------------------------------- */

/* 5 7 6 9 8: mean 35/5 = 7; moving ranges 2 1 3 1, average 7/4 = 1.75;
 * limits 7 +- 2.66 * 1.75 = 7 +- 4.655 -> 2.345 and 11.655; range limit
 * 3.268 * 1.75 = 5.719. Every point is inside: no signals. */
static void test_xmr_hand(void **state)
{
    (void)state;
    const double v[] = {5, 7, 6, 9, 8};
    Arena a;
    arena_init(&a);
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 5, NULL, 0, NAN, NAN),
                     T_OK);
    assert_int_equal(x.npoints, 5);
    assert_int_equal(x.nparts, 1);
    assert_close(x.all.mean, 7);
    assert_close(x.all.mr_mean, 1.75);
    assert_close(x.all.upper, 11.655);
    assert_close(x.all.lower, 2.345);
    assert_close(x.all.mr_upper, 5.719);
    assert_false(x.all.lower_floored);
    assert_close(x.parts[0].mean, 7);
    assert_close(x.parts[0].upper, 11.655);
    assert_true(isnan(x.points[0].mr));
    assert_close(x.points[1].mr, 2);
    assert_close(x.points[2].mr, 1);
    assert_close(x.points[3].mr, 3);
    assert_close(x.points[4].mr, 1);
    assert_int_equal(x.nsignals, 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(x.points[i].sig, 0);
    arena_free(&a);
}

/* 10 11 10 11 10 11 10 25: mean 98/8 = 12.25; moving ranges six 1s and
 * 15, average 21/7 = 3; upper limit 12.25 + 7.98 = 20.23, lower 4.27;
 * range limit 9.804. The 25 is above the upper limit and its moving range
 * (15) above the range limit. The first seven points are below the mean:
 * a run of 7, one short of a signal. */
static void test_xmr_outside(void **state)
{
    (void)state;
    const double v[] = {10, 11, 10, 11, 10, 11, 10, 25};
    Arena a;
    arena_init(&a);
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 8, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(x.all.mean, 12.25);
    assert_close(x.all.mr_mean, 3);
    assert_close(x.all.upper, 20.23);
    assert_close(x.all.lower, 4.27);
    assert_close(x.all.mr_upper, 9.804);
    assert_int_equal(x.nsignals, 2);
    assert_int_equal(x.signals[0].kind, DEMAND_SIG_ABOVE);
    assert_int_equal(x.signals[0].first, 7);
    assert_int_equal(x.signals[1].kind, DEMAND_SIG_RANGE);
    assert_int_equal(x.signals[1].first, 7);
    assert_int_equal(x.points[7].sig, DEMAND_SIG_ABOVE | DEMAND_SIG_RANGE);
    for (int i = 0; i < 7; i++)
        assert_int_equal(x.points[i].sig, 0);
    arena_free(&a);
}

/* 4 5 4 5 4 5 4 5 then 7 8 7 8 7 8 7 8: mean 96/16 = 6; moving ranges
 * fourteen 1s and one 2, average 16/15; limits 6 +- 2.66 * 16/15 =
 * 6 +- 2.8373 (3.1627, 8.8373): all inside. The first eight are below the
 * mean and the last eight above: two runs of 8. */
static void test_xmr_runs(void **state)
{
    (void)state;
    const double v[] = {4, 5, 4, 5, 4, 5, 4, 5, 7, 8, 7, 8, 7, 8, 7, 8};
    Arena a;
    arena_init(&a);
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 16, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(x.all.mean, 6);
    assert_close(x.all.mr_mean, 16.0 / 15);
    assert_close(x.all.upper, 6 + 2.66 * 16.0 / 15);
    assert_close(x.all.lower, 6 - 2.66 * 16.0 / 15);
    assert_int_equal(x.nsignals, 2);
    assert_int_equal(x.signals[0].kind, DEMAND_SIG_RUN_BELOW);
    assert_int_equal(x.signals[0].first, 0);
    assert_int_equal(x.signals[0].last, 7);
    assert_int_equal(x.signals[1].kind, DEMAND_SIG_RUN_ABOVE);
    assert_int_equal(x.signals[1].first, 8);
    assert_int_equal(x.signals[1].last, 15);
    for (int i = 0; i < 16; i++)
        assert_int_equal(x.points[i].sig,
                         i < 8 ? DEMAND_SIG_RUN_BELOW : DEMAND_SIG_RUN_ABOVE);
    arena_free(&a);
}

/* A point on the mean belongs to neither side, so it breaks a run:
 * 2 2 2 2 5 2 2 2 2 then eight 8s has mean 85/17 = 5 exactly. The eight
 * 2s below the mean are split by the 5 into runs of 4 (no signal); the
 * eight 8s are a run above. A constant series has every point on the
 * mean: no runs, and limits equal to the mean. */
static void test_xmr_run_broken(void **state)
{
    (void)state;
    const double v[] = {2, 2, 2, 2, 5, 2, 2, 2, 2, 8, 8, 8, 8, 8, 8, 8, 8};
    const int days[] = {1,  2,  3,  4,  5,  6,  7,  8, 9,
                        10, 11, 12, 13, 14, 15, 16, 17};
    Arena a;
    arena_init(&a);
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, days, 17, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(x.all.mean, 5);
    int runs = 0;
    for (int i = 0; i < x.nsignals; i++) {
        if (x.signals[i].kind == DEMAND_SIG_RUN_BELOW)
            fail_msg("a run below the mean through a point on the mean");
        if (x.signals[i].kind == DEMAND_SIG_RUN_ABOVE) {
            runs++;
            assert_int_equal(x.signals[i].first, 9);
            assert_int_equal(x.signals[i].last, 16);
        }
    }
    assert_int_equal(runs, 1);
    assert_int_equal(x.points[4].sig & DEMAND_SIG_RUN_BELOW, 0);

    const double c[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    DemandXmr y = {0};
    assert_int_equal(demand_xmr_build(&y, &a, c, DAYS8, 10, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(y.all.mean, 3);
    assert_close(y.all.mr_mean, 0);
    assert_close(y.all.upper, 3);
    assert_close(y.all.lower, 3);
    assert_int_equal(y.nsignals, 0);
    arena_free(&a);
}

/* 10 12 11 13 on days 1-4, 20 22 21 23 on days 10-13.
 * Whole: mean 132/8 = 16.5; moving ranges 2 1 2 7 2 1 2, average 17/7;
 * limits 16.5 +- 2.66 * 17/7 = 16.5 +- 6.46 -> 10.04 and 22.96: the 10 is
 * below and the 23 above (signals of the shift). Split at day 10:
 * each part has mean 11.5 / 21.5, moving ranges 2 1 2 (average 5/3),
 * limits mean +- 4.4333: no signals, and the first point of the second
 * part has no moving range. */
static void test_xmr_split(void **state)
{
    (void)state;
    const double v[] = {10, 12, 11, 13, 20, 22, 21, 23};
    const int days[] = {1, 2, 3, 4, 10, 11, 12, 13};
    Arena a;
    arena_init(&a);
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, days, 8, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(x.all.mean, 16.5);
    assert_close(x.all.mr_mean, 17.0 / 7);
    assert_close(x.all.lower, 16.5 - 2.66 * 17.0 / 7);
    assert_close(x.all.upper, 16.5 + 2.66 * 17.0 / 7);
    /* The jump 13 -> 20 (7) stays under the range limit 3.268 * 17/7 =
     * 7.94. */
    assert_close(x.all.mr_upper, 3.268 * 17.0 / 7);
    assert_int_equal(x.nsignals, 2);
    assert_int_equal(x.signals[0].kind, DEMAND_SIG_BELOW);
    assert_int_equal(x.signals[0].first, 0);
    assert_int_equal(x.signals[1].kind, DEMAND_SIG_ABOVE);
    assert_int_equal(x.signals[1].first, 7);

    const int split[] = {10};
    DemandXmr y = {0};
    assert_int_equal(demand_xmr_build(&y, &a, v, days, 8, split, 1, NAN, NAN),
                     T_OK);
    assert_int_equal(y.nparts, 2);
    assert_int_equal(y.parts[0].first, 0);
    assert_int_equal(y.parts[0].n, 4);
    assert_int_equal(y.parts[0].from_day, INT_MIN);
    assert_int_equal(y.parts[1].first, 4);
    assert_int_equal(y.parts[1].n, 4);
    assert_int_equal(y.parts[1].from_day, 10);
    assert_close(y.parts[0].mean, 11.5);
    assert_close(y.parts[0].mr_mean, 5.0 / 3);
    assert_close(y.parts[0].upper, 11.5 + 2.66 * 5.0 / 3);
    assert_close(y.parts[0].lower, 11.5 - 2.66 * 5.0 / 3);
    assert_close(y.parts[0].mr_upper, 3.268 * 5.0 / 3);
    assert_close(y.parts[1].mean, 21.5);
    assert_close(y.parts[1].upper, 21.5 + 2.66 * 5.0 / 3);
    assert_true(isnan(y.points[4].mr));
    assert_int_equal(y.points[4].part, 1);
    assert_int_equal(y.points[3].part, 0);
    assert_int_equal(y.nsignals, 0);
    /* The chart-wide limits are still those of the whole series. */
    assert_close(y.all.mean, 16.5);

    /* A split before every point leaves an empty first part. */
    const int early[] = {0};
    DemandXmr z = {0};
    assert_int_equal(demand_xmr_build(&z, &a, v, days, 8, early, 1, NAN, NAN),
                     T_OK);
    assert_int_equal(z.parts[0].n, 0);
    assert_true(isnan(z.parts[0].mean));
    assert_int_equal(z.parts[1].n, 8);
    arena_free(&a);
}

/* 1 0 2 0 1 (a count): mean 0.8, moving ranges 1 2 2 1, average 1.5;
 * lower limit 0.8 - 3.99 < 0 is floored at 0, upper 0.8 + 3.99 = 4.79.
 * Shares 0.9 0.5 1.0 0.6: mean 0.75, moving ranges 0.4 0.5 0.4, average
 * 1.3/3; upper 0.75 + 2.66 * 1.3/3 = 1.9027 is capped at 1, lower floored. */
static void test_xmr_floor(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    const double v[] = {1, 0, 2, 0, 1};
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 5, NULL, 0, 0, NAN),
                     T_OK);
    assert_close(x.all.mean, 0.8);
    assert_close(x.all.mr_mean, 1.5);
    assert_close(x.all.lower, 0);
    assert_true(x.all.lower_floored);
    assert_close(x.all.upper, 4.79);
    assert_false(x.all.upper_capped);
    const double s[] = {0.9, 0.5, 1.0, 0.6};
    DemandXmr y = {0};
    assert_int_equal(demand_xmr_build(&y, &a, s, DAYS8, 4, NULL, 0, 0, 1),
                     T_OK);
    assert_close(y.all.mean, 0.75);
    assert_close(y.all.mr_mean, 1.3 / 3);
    assert_close(y.all.upper, 1);
    assert_true(y.all.upper_capped);
    assert_close(y.all.lower, 0);
    assert_true(y.all.lower_floored);
    arena_free(&a);
}

static void test_xmr_edges(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    const double v[] = {3, 4};
    const int back[] = {5, 4};
    DemandXmr x = {0};
    assert_int_equal(demand_xmr_build(&x, &a, v, back, 2, NULL, 0, NAN, NAN),
                     T_EUSAGE);
    const int splits[] = {5, 3};
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 2, splits, 2, NAN, NAN),
                     T_EUSAGE);
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 0, NULL, 0, NAN, NAN),
                     T_OK);
    assert_int_equal(x.npoints, 0);
    assert_true(isnan(x.all.mean));
    assert_int_equal(demand_xmr_build(&x, &a, v, DAYS8, 1, NULL, 0, NAN, NAN),
                     T_OK);
    assert_close(x.all.mean, 3);
    assert_true(isnan(x.all.upper));
    assert_true(isnan(x.all.mr_mean));
    assert_int_equal(x.nsignals, 0);
    arena_free(&a);
}

/* Type 7: h = (n - 1) p. [1 2 3 4]: median h = 1.5 -> 2.5; p85 h = 2.55 ->
 * 3.55. [1 3 5 10 20]: median 5; p85 h = 3.4 -> 10 + 0.4 * 10 = 14. */
static void test_percentile(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4}, b[] = {1, 3, 5, 10, 20}, c[] = {7};
    assert_close(demand_percentile(a, 4, 0.5), 2.5);
    assert_close(demand_percentile(a, 4, 0.85), 3.55);
    assert_close(demand_percentile(b, 5, 0.5), 5);
    assert_close(demand_percentile(b, 5, 0.85), 14);
    assert_close(demand_percentile(b, 5, 0), 1);
    assert_close(demand_percentile(b, 5, 1), 20);
    assert_close(demand_percentile(c, 1, 0.85), 7);
    assert_true(isnan(demand_percentile(c, 0, 0.5)));
}

/* ---- dates ------------------------------------------------------------ */

static void test_dates(void **state)
{
    (void)state;
    long long t;
    int day;
    char err[256];
    /* 2026-03-02 is day 20514 since 1970-01-01. */
    assert_true(demand_date_parse("2026-03-02", &t, &day, err, sizeof err));
    assert_int_equal(day, 20514);
    assert_true(t == 20514LL * 86400);
    assert_true(
        demand_date_parse("2026-03-02T09:30", &t, &day, err, sizeof err));
    assert_true(t == 20514LL * 86400 + 9 * 3600 + 30 * 60);
    assert_true(demand_date_parse("2026-03-02 09:30:15.250Z", &t, &day, err,
                                  sizeof err));
    assert_true(t == 20514LL * 86400 + 9 * 3600 + 30 * 60 + 15);
    /* An offset moves the instant, not the calendar day as written. */
    assert_true(demand_date_parse("2026-03-02T00:30:00+01:00", &t, &day, err,
                                  sizeof err));
    assert_int_equal(day, 20514);
    assert_true(t == 20514LL * 86400 + 30 * 60 - 3600);
    assert_true(demand_date_parse("2024-02-29", &t, &day, err, sizeof err));
    assert_true(demand_date_parse("1969-12-31", &t, &day, err, sizeof err));
    assert_int_equal(day, -1);
    char buf[32];
    demand_day_format(20514, buf);
    assert_string_equal(buf, "2026-03-02");
    demand_day_format(-1, buf);
    assert_string_equal(buf, "1969-12-31");
    demand_day_format(19782, buf);
    assert_string_equal(buf, "2024-02-29");

    assert_false(demand_date_parse("2026-02-29", &t, &day, err, sizeof err));
    assert_contains(err, "'2026-02-29' is not a day: February 2026 has 28");
    assert_false(demand_date_parse("2026-13-01", &t, &day, err, sizeof err));
    assert_contains(err, "has no month 13");
    assert_false(
        demand_date_parse("12/02/2026 10:15", &t, &day, err, sizeof err));
    assert_contains(err, "'12/02/2026 10:15' is not an ISO 8601 date");
    assert_false(
        demand_date_parse("2026-03-02T25:00", &t, &day, err, sizeof err));
    assert_contains(err, "time out of range");
    assert_false(
        demand_date_parse("2026-03-02T10:00 pm", &t, &day, err, sizeof err));
    assert_contains(err, "unexpected text after the date");
    assert_false(
        demand_date_parse("2026-03-02T10:00+1", &t, &day, err, sizeof err));
    assert_contains(err, "bad time zone offset");
    assert_false(demand_date_parse("", &t, &day, err, sizeof err));
}

/* ---- CSV import ------------------------------------------------------- */

/* A BOM, CRLF line ends and a quoted field spanning two lines: the next
 * record starts on line 4, and a bad row after it is reported at line 5. */
static void test_csv_basic(void **state)
{
    (void)state;
    DemandLog *log =
        read_ok("\xEF\xBB\xBFid,received_at,words,demand\r\n"
                "A1,2026-03-02T09:00,\"line one\r\nline two, with comma\","
                "failure\r\n"
                "A2,2026-03-02T10:00,\"she said \"\"when?\"\"\",Value\r\n"
                "A3,not a date,x,\r\n"
                "A4,2026-03-03,,\r\n");
    assert_int_equal(log->ncontacts, 3);
    assert_int_equal(log->nrejected, 1);
    assert_true(log->has[DEMAND_COL_ID]);
    assert_false(log->has[DEMAND_COL_CASE_ID]);
    const DemandContact *c = &log->contacts[0];
    assert_string_equal(c->id, "A1");
    assert_int_equal(c->line, 2);
    assert_string_equal(c->words, "line one\r\nline two, with comma");
    assert_int_equal(c->demand, DEMAND_FAILURE);
    assert_int_equal(c->first_contact, -1);
    assert_int_equal(c->handoffs, -1);
    assert_int_equal(log->contacts[1].line, 4);
    assert_string_equal(log->contacts[1].words, "she said \"when?\"");
    assert_int_equal(log->contacts[1].demand, DEMAND_VALUE);
    assert_int_equal(log->contacts[2].line, 6);
    assert_int_equal(log->contacts[2].demand, DEMAND_NONE);
    assert_reject(log, 0, 5, "received_at: 'not a date' is not an ISO 8601");
    demand_log_free(log);
}

/* Every kind of bad row, each with its line; the good rows still load. */
static void test_csv_bad_rows(void **state)
{
    (void)state;
    DemandLog *log = read_ok(
        "id,received_at,demand,resolved_first_contact,handoffs,case_id,"
        "case_closed_at\n"
        "1,2026-03-02T09:00,failure,Y,0,C1,\n"              /* 2 good */
        "2,2026-02-30T09:00,failure,Y,0,C1,\n"              /* 3 day */
        "3,2026-03-02T09:00,failure,maybe,0,C1,\n"          /* 4 Y/N */
        "4,2026-03-02T09:00,failure,N,two,C1,\n"            /* 5 int */
        "5,2026-03-02T09:00,failure,N,-1,C1,\n"             /* 6 int */
        "6,2026-03-02T09:00,failure,N,1.5,C1,\n"            /* 7 int */
        "7,2026-03-02T09:00,complaint,N,1,C1,\n"            /* 8 demand */
        "8,2026-03-02T09:00,value\n"                        /* 9 fields */
        "9,2026-03-02T09:00,value,n,2,C2,2026-03-40\n"      /* 10 closed */
        "1,2026-03-02T11:00,value,yes,1,C2,\n"              /* 11 dup */
        ",,,,,,\n"                                          /* 12 blank */
        "10,,value,Yes,3,C3,2026-03-09\n"                   /* 13 empty */
        "11,2026-03-04,VALUE,no,3,C3,2026-03-09T12:00Z\n"); /* 14 good */
    assert_int_equal(log->ncontacts, 2);
    assert_int_equal(log->blank, 1);
    assert_int_equal(log->nrejected, 10);
    assert_reject(log, 0, 3, "February 2026 has 28 days");
    assert_reject(log, 1, 4,
                  "resolved_first_contact must be Y, N or empty, not 'maybe'");
    assert_reject(log, 2, 5,
                  "handoffs must be a whole number from 0 to 1000, not 'two'");
    assert_reject(log, 3, 6, "not '-1'");
    assert_reject(log, 4, 7, "not '1.5'");
    assert_reject(log, 5, 8,
                  "demand must be value, failure or empty, not 'complaint'");
    assert_reject(log, 6, 9, "3 fields, the header has 7");
    assert_reject(log, 7, 10, "case_closed_at: '2026-03-40' is not a day");
    assert_reject(log, 8, 11, "duplicate id '1' (first on line 2)");
    assert_reject(log, 9, 13, "received_at is empty");
    assert_int_equal(log->contacts[1].line, 14);
    assert_int_equal(log->contacts[1].first_contact, 0);
    assert_int_equal(log->contacts[1].handoffs, 3);
    assert_true(log->contacts[1].closed);
    assert_int_equal(log->ncases, 2);
    demand_log_free(log);
}

/* Several problems in one row are all given, joined by "; ". */
static void test_csv_many_reasons(void **state)
{
    (void)state;
    DemandLog *log = read_ok("received_at,demand,handoffs\n"
                             "2026-3-2,maybe,x\n");
    assert_int_equal(log->nrejected, 1);
    assert_reject(log, 0, 2, "is not an ISO 8601 date");
    assert_reject(log, 0, 2, "; demand must be value, failure or empty");
    assert_reject(log, 0, 2, "; handoffs must be a whole number");
    demand_log_free(log);
}

/* Broken quoting rejects the row it is in (at the row's first line) and
 * reading goes on from the next line; a quote never closed runs to the
 * end of the file and is reported too. */
static void test_csv_quoting(void **state)
{
    (void)state;
    DemandLog *log = read_ok("id,received_at,words\n"
                             "1,2026-03-02,the 5\" pipe\n"         /* 2 */
                             "2,2026-03-02,\"quoted\" then text\n" /* 3 */
                             "3,2026-03-02,\"two\nlines\"x\n"      /* 4-5 */
                             "4,2026-03-02,fine\n"                 /* 6 */
                             "5,2026-03-02,\"never closed\n"       /* 7 */
                             "6,2026-03-02,swallowed\n");
    assert_int_equal(log->ncontacts, 1);
    assert_string_equal(log->contacts[0].id, "4");
    assert_int_equal(log->contacts[0].line, 6);
    assert_int_equal(log->nrejected, 4);
    assert_reject(log, 0, 2, "column 19: a quote inside a field that is not");
    assert_reject(log, 1, 3, "column 23: text after the closing quote");
    assert_reject(log, 2, 4, "line 5, column 7: text after the closing quote");
    assert_reject(log, 3, 7, "a quoted field is never closed");
    demand_log_free(log);
}

static void test_csv_utf8(void **state)
{
    (void)state;
    DemandLog *log = read_ok("received_at,words\n"
                             "2026-03-02,caf\xE9 (Latin-1)\n"
                             "2026-03-02,\xC2\xA3"
                             "60 on heaters\n");
    assert_int_equal(log->ncontacts, 1);
    assert_string_equal(log->contacts[0].words, "\xC2\xA3"
                                                "60 on heaters");
    assert_reject(log, 0, 2, "words is not valid UTF-8 text");
    /* No id column: ids are made from the line. */
    assert_string_equal(log->contacts[0].id, "line 3");
    demand_log_free(log);
}

static void test_csv_header_errors(void **state)
{
    (void)state;
    char msg[2048];
    read_fails("", NULL, msg, sizeof msg);
    assert_string_equal(msg, "t.csv:1: no header row: the file is empty\n");
    read_fails("\xEF\xBB\xBF\r\n\r\n", NULL, msg, sizeof msg);
    assert_contains(msg, "no header row");
    /* Data without a header row. */
    read_fails("2026-03-02,failure\n2026-03-03,value\n", NULL, msg, sizeof msg);
    assert_contains(msg, "t.csv:1: no 'received_at' column in the header "
                         "(found '2026-03-02', 'failure'); the first row "
                         "must name the columns");
    read_fails("\n\nid,received_at,words,Received_At\n", NULL, msg, sizeof msg);
    assert_contains(msg, "t.csv:3: column 'received_at' appears twice in the "
                         "header (fields 2 and 4)");
    /* A header mapped with --map must be there. */
    DemandMap m;
    demand_map_default(&m);
    char err[256];
    assert_int_equal(
        demand_map_set(&m, "words=What they said", err, sizeof err), T_OK);
    read_fails("id,received_at,words\n", &m, msg, sizeof msg);
    assert_contains(msg, "t.csv:1: no column 'What they said' in the header "
                         "(--map words=What they said)");
    read_fails("id,\"received_at\n", NULL, msg, sizeof msg);
    assert_contains(msg, "t.csv:1: the header has a quote that is never "
                         "closed");
    read_fails("id,rec\"eived_at\n", NULL, msg, sizeof msg);
    assert_contains(msg, "t.csv:1:7: bad quoting in the header");
}

static void test_csv_map(void **state)
{
    (void)state;
    DemandMap m;
    char err[256];
    demand_map_default(&m);
    assert_int_equal(demand_map_set(&m, "received_at=When", err, sizeof err),
                     T_OK);
    assert_int_equal(
        demand_map_set(&m, "words = What they said", err, sizeof err), T_OK);
    assert_int_equal(demand_map_set(&m, "wrods=X", err, sizeof err), T_EUSAGE);
    assert_contains(err, "unknown column 'wrods' in --map");
    assert_int_equal(demand_map_set(&m, "words", err, sizeof err), T_EUSAGE);
    assert_contains(err, "--map takes COLUMN=HEADER");
    assert_int_equal(demand_map_set(&m, "words=", err, sizeof err), T_EUSAGE);
    assert_string_equal(demand_col_name(DEMAND_COL_FIRST),
                        "resolved_first_contact");
    assert_null(demand_col_name(DEMAND_NCOLS));
    const char *text = " when ,WHAT THEY SAID,other\n"
                       "2026-03-02T08:00,\"my boiler, again\",x\n";
    TDiags d = {0};
    DemandLog *log = NULL;
    assert_int_equal(demand_log_read(text, strlen(text), "m.csv", &m, &log, &d),
                     T_OK);
    assert_int_equal(log->ncontacts, 1);
    assert_string_equal(log->contacts[0].words, "my boiler, again");
    assert_int_equal(log->column[DEMAND_COL_WORDS], 1);
    assert_int_equal(log->column[DEMAND_COL_RECEIVED_AT], 0);
    demand_log_free(log);
    diags_free(&d);
}

/* Extra empty trailing fields (a spreadsheet's habit) are fine; extra
 * fields with text are not. */
static void test_csv_extra_fields(void **state)
{
    (void)state;
    DemandLog *log = read_ok("received_at,words\n"
                             "2026-03-02,a,,\n"
                             "2026-03-02,b,c\n");
    assert_int_equal(log->ncontacts, 1);
    assert_reject(log, 0, 3, "3 fields, the header has 2");
    demand_log_free(log);
}

/* ---- rules ------------------------------------------------------------ */

static void test_rules_parse(void **state)
{
    (void)state;
    DemandRules *r = rules_ok("# a comment\n"
                              "\n"
                              "   when is someone coming  => "
                              "progress-chasing, failure  # chasing\n"
                              "/(third|fourth) time/ => repeat , FAILURE\n"
                              "/a\\/b/ => slash, value\r\n"
                              "flat #3 => wrong place, Value\n");
    assert_int_equal(r->nrules, 4);
    assert_string_equal(r->rules[0].text, "when is someone coming");
    assert_string_equal(r->rules[0].type, "progress-chasing");
    assert_int_equal(r->rules[0].kind, DEMAND_FAILURE);
    assert_int_equal(r->rules[0].line, 3);
    assert_false(r->rules[0].is_regex);
    assert_true(r->rules[1].is_regex);
    assert_string_equal(r->rules[1].text, "(third|fourth) time");
    assert_string_equal(r->rules[1].type, "repeat");
    assert_string_equal(r->rules[2].text, "a/b");
    assert_int_equal(r->rules[2].kind, DEMAND_VALUE);
    assert_string_equal(r->rules[3].text, "flat #3");
    assert_string_equal(r->rules[3].type, "wrong place");
    demand_rules_free(r);
}

static void test_rules_errors(void **state)
{
    (void)state;
    char msg[4096];
    int n = rules_errors("when is someone coming => progress-chasing\n"
                         "/unclosed => x, failure\n"
                         "/(a/ => x, failure\n"
                         "a phrase without an arrow\n"
                         "=> x, failure\n"
                         "foo => x, maybe\n"
                         "foo => , failure\n"
                         "foo =>\n"
                         "/x/ x, value\n"
                         "ok => fine, value\n",
                         msg, sizeof msg);
    assert_int_equal(n, 9);
    assert_contains(msg, "r.txt:1:43: expected ', value' or ', failure' "
                         "after the type\n"
                         "  when is someone coming => progress-chasing\n"
                         "                                            ^\n");
    assert_contains(msg, "r.txt:2:1: no closing '/' for the pattern\n");
    assert_contains(msg, "r.txt:3:2: bad pattern: ");
    assert_contains(msg, "r.txt:4:26: expected '=>' (a rule is: phrase => "
                         "type, value|failure)\n");
    assert_contains(msg, "r.txt:5:1: empty phrase before '=>'\n");
    assert_contains(msg,
                    "r.txt:6:11: expected value or failure, not 'maybe'\n");
    assert_contains(msg, "r.txt:7:8: missing type before ','\n");
    assert_contains(msg, "r.txt:8:7: expected a type after '=>'\n");
    assert_contains(msg, "r.txt:9:5: expected '=>' after the pattern\n");
    /* Columns count characters, not bytes. */
    rules_errors("caf\xC3\xA9 \xE2\x80\x94 x => t, nope\n", msg, sizeof msg);
    assert_contains(msg, "r.txt:1:16: expected value or failure, not 'nope'");
    rules_errors("ok => t, value\nbad \xFF byte => t, value\n", msg,
                 sizeof msg);
    assert_contains(msg, "r.txt:2:5: not valid UTF-8");
    rules_errors("/(a{50}){50}/ => t, value\n", msg, sizeof msg);
    assert_contains(msg, "r.txt:1:2: pattern repeats too much");
}

static void test_rules_match(void **state)
{
    (void)state;
    DemandRules *r = rules_ok("I've rung => repeat, failure\n"
                              "/nobody (came|turned up)/ => not done, "
                              "failure\n"
                              "when is someone   coming => progress-chasing, "
                              "failure\n"
                              "/boiler/ => report a repair, value\n");
    /* Curly apostrophe, upper case, extra spaces and a line break. */
    assert_int_equal(
        demand_rules_match(r, "THIRD time I\xE2\x80\x99ve  RUNG about it"), 0);
    assert_int_equal(demand_rules_match(r, "Nobody Turned Up again"), 1);
    assert_int_equal(demand_rules_match(r, "So when is\nsomeone coming?"), 2);
    /* The first matching rule wins. */
    assert_int_equal(demand_rules_match(r, "nobody came for the boiler"), 1);
    assert_int_equal(demand_rules_match(r, "my BOILER is broken"), 3);
    assert_int_equal(demand_rules_match(r, "a leaking tap"), -1);
    assert_int_equal(demand_rules_match(r, ""), -1);
    demand_rules_free(r);
}

/* ---- classification and the study ------------------------------------- */

/* Case C1: contacts on days 1 and 3 (open), closed on day 4, contact on
 * day 6. Case C2 never closes. The file is not in time order. */
static const char *const CASES_CSV =
    "id,received_at,demand,type,words,case_id,case_closed_at\n"
    "b,2026-03-03T10:00,,,when is someone coming,C1,2026-03-04T12:00\n"
    "a,2026-03-01T09:00,value,report a repair,my boiler,C1,\n"
    "c,2026-03-06T09:00,,,it broke again,C1,2026-03-04T12:00\n"
    "d,2026-03-02T09:00,value,report a repair,damp,C2,\n"
    "e,2026-03-05T09:00,value,change appointment,can we move it,C2,\n"
    "f,2026-03-05T11:00,,,hello,C2,\n"
    "g,2026-03-05T12:00,,,what about my rent,,\n";

static void test_repeats(void **state)
{
    (void)state;
    DemandLog *log = read_ok(CASES_CSV);
    assert_int_equal(demand_classify(log, NULL), T_OK);
    assert_int_equal(log->ncases, 2);
    assert_string_equal(log->cases[0].id, "C1");
    assert_int_equal(log->cases[0].ncontacts, 3);
    assert_int_equal(log->cases[0].first, 1); /* "a", earliest */
    assert_true(log->cases[0].closed);
    assert_false(log->cases[1].closed);
    const DemandContact *c = log->contacts;
    /* b: after a, before closure -> repeat of a. */
    assert_true(c[0].repeat);
    assert_int_equal(c[0].repeat_of, 1);
    assert_int_equal(c[0].suggested, DEMAND_FAILURE);
    assert_string_equal(c[0].suggested_type, "repeat");
    assert_contains(c[0].suggested_why,
                    "repeat contact on open case 'C1' (earlier contact on "
                    "line 3)");
    assert_false(c[1].repeat); /* a: the first */
    assert_false(c[2].repeat); /* c: after closure */
    assert_int_equal(c[2].suggested, DEMAND_NONE);
    assert_false(c[3].repeat); /* d: C2's first */
    /* e: a coded repeat keeps its coding, with no suggestion. */
    assert_true(c[4].repeat);
    assert_int_equal(c[4].demand, DEMAND_VALUE);
    assert_int_equal(c[4].suggested, DEMAND_NONE);
    assert_true(c[5].repeat);
    assert_int_equal(c[5].repeat_of, 4);
    assert_false(c[6].repeat); /* no case */

    /* With rules: a rule's suggestion comes first, a disagreement with a
     * coded row is recorded, coded rows are never changed. */
    DemandRules *r = rules_ok("someone coming => progress-chasing, failure\n"
                              "rent => wrong place, failure\n"
                              "boiler => report a repair, value\n"
                              "damp => wrong place, failure\n");
    assert_int_equal(demand_classify(log, r), T_OK);
    demand_rules_free(r); /* the log keeps its own copies */
    assert_string_equal(c[0].suggested_type, "progress-chasing");
    assert_contains(c[0].suggested_why, "rule at r.txt:1; also a repeat");
    assert_int_equal(c[6].suggested, DEMAND_FAILURE);
    assert_string_equal(c[6].suggested_type, "wrong place");
    assert_string_equal(c[6].suggested_why, "rule at r.txt:2");
    assert_int_equal(c[1].rule, 2);
    assert_int_equal(c[1].suggested, DEMAND_NONE);
    assert_int_equal(c[3].demand, DEMAND_VALUE);
    assert_int_equal(c[3].rule_kind, DEMAND_FAILURE);
    assert_string_equal(c[3].rule_where, "r.txt:4");

    DemandStudy *s = NULL;
    TDiags d = {0};
    assert_int_equal(demand_study_run(log, NULL, &s, &d), T_OK);
    assert_int_equal(s->disagreements, 1);
    assert_int_equal(s->suggested_failure, 3); /* b, f (repeat), g */
    assert_int_equal(s->suggested_value, 0);
    assert_int_equal(s->repeats, 3);
    /* C1 closed 3 days 3 hours after its first contact; C2 is open. */
    assert_int_equal(s->cases_closed, 1);
    assert_int_equal(s->cases_open, 1);
    assert_close(s->e2e_median, 3 + 3.0 / 24);
    assert_int_equal(s->e2e_chart.npoints, 1);
    assert_string_equal(s->e2e_chart.points[0].x, "C1");
    demand_study_free(s);
    diags_free(&d);
    demand_log_free(log);
}

/* Counts add up; types group ignoring case, '-' and spaces; the Pareto is
 * sorted by count then name, with a running share. */
static void test_study_counts(void **state)
{
    (void)state;
    DemandLog *log = read_ok(
        "received_at,demand,type,service,channel,resolved_first_contact,"
        "handoffs\n"
        "2026-03-02,failure,Progress chasing,Repairs,phone,N,2\n"
        "2026-03-02,failure,progress-chasing,repairs,Phone,N,1\n"
        "2026-03-02,failure,wrong place,Repairs,web,Y,0\n"
        "2026-03-03,failure,not done,Gas,phone,N,\n"
        "2026-03-03,failure,Not_Done,Gas,phone,,0\n"
        "2026-03-03,value,report,Gas,web,Y,0\n"
        "2026-03-04,value,report,Repairs,email,Y,0\n"
        "2026-03-04,,,Repairs,email,Y,1\n"
        "2026-03-05,,,Repairs,email,,\n"
        "2026-03-05,failure,a type,,phone,N,3\n");
    assert_int_equal(demand_classify(log, NULL), T_OK);
    DemandStudy *s = NULL;
    TDiags d = {0};
    int split = 20515; /* 2026-03-03 */
    DemandOpts o = {&split, 1};
    assert_int_equal(demand_study_run(log, &o, &s, &d), T_OK);
    assert_int_equal(s->total, 10);
    assert_int_equal(s->value, 2);
    assert_int_equal(s->failure, 6);
    assert_int_equal(s->unclassified, 2);
    assert_int_equal(s->value + s->failure + s->unclassified, s->total);
    assert_close(s->failure_share, 6.0 / 8);
    /* Pareto of failure: progress chasing 2, not done 2 (ties by key:
     * "not done" < "progress chasing"), then a type 1, wrong place 1. */
    assert_int_equal(s->npareto_failure, 4);
    assert_string_equal(s->pareto_failure[0].type, "not done");
    assert_int_equal(s->pareto_failure[0].count, 2);
    assert_string_equal(s->pareto_failure[1].type, "Progress chasing");
    assert_int_equal(s->pareto_failure[1].count, 2);
    assert_string_equal(s->pareto_failure[2].type, "a type");
    assert_string_equal(s->pareto_failure[3].type, "wrong place");
    assert_close(s->pareto_failure[0].share, 2.0 / 6);
    assert_close(s->pareto_failure[1].cumulative, 4.0 / 6);
    assert_close(s->pareto_failure[3].cumulative, 1);
    assert_int_equal(s->npareto_value, 1);
    assert_close(s->pareto_value[0].cumulative, 1);
    /* Services: Repairs 6 (any case), Gas 3, (none) 1. */
    assert_int_equal(s->nservice, 3);
    assert_string_equal(s->by_service[0].name, "Repairs");
    assert_int_equal(s->by_service[0].total, 6);
    assert_int_equal(s->by_service[0].unclassified, 2);
    assert_close(s->by_service[0].failure_share, 3.0 / 4);
    assert_string_equal(s->by_service[2].name, "(none)");
    assert_int_equal(s->nchannel, 3);
    assert_int_equal(s->by_channel[0].total, 5); /* phone */
    /* First contact: 4 Y, 4 N, 2 not recorded. */
    assert_int_equal(s->first_yes, 4);
    assert_int_equal(s->first_no, 4);
    assert_int_equal(s->first_unknown, 2);
    assert_close(s->first_share, 0.5);
    /* Handoffs 2 1 0 0 0 0 1 3 over 8 recorded: mean 7/8. */
    assert_int_equal(s->handoffs_n, 8);
    assert_close(s->handoffs_mean, 7.0 / 8);
    assert_int_equal(s->handoffs_max, 3);
    assert_int_equal(s->handoffs_count[0], 4);
    assert_int_equal(s->handoffs_count[1], 2);
    assert_int_equal(s->handoffs_count[2], 1);
    assert_int_equal(s->handoffs_count[3], 1);
    /* Daily share: 03-02 3/3, 03-03 2/3, 03-04 0/1, 03-05 1/1; split on
     * 03-03 gives parts of 1 and 3 points. */
    const DemandXmr *x = &s->share_chart;
    assert_int_equal(x->npoints, 4);
    assert_string_equal(x->points[0].x, "2026-03-02");
    assert_close(x->points[1].value, 2.0 / 3);
    assert_close(x->points[2].value, 0);
    assert_int_equal(x->nparts, 2);
    assert_int_equal(x->parts[0].n, 1);
    assert_int_equal(x->parts[1].n, 3);
    assert_close(x->parts[1].mean, (2.0 / 3 + 0 + 1) / 3);

    /* The JSON report has the same totals. */
    json_t *j = demand_report_json(s);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 10);
    assert_int_equal(json_array_size(json_object_get(j, "xmr")), 2);
    json_decref(j);
    TBuf t = {0};
    assert_int_equal(demand_report(s, DEMAND_TEXT, &t), T_OK);
    assert_contains(tbuf_cstr(&t), "shares are of the 8 coded contacts");
    t.len = 0;
    assert_int_equal(demand_report(s, DEMAND_HTML, &t), T_OK);
    assert_contains(tbuf_cstr(&t), "<svg");
    tbuf_free(&t);
    demand_study_free(s);
    diags_free(&d);
    demand_log_free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmr_hand),
        cmocka_unit_test(test_xmr_outside),
        cmocka_unit_test(test_xmr_runs),
        cmocka_unit_test(test_xmr_run_broken),
        cmocka_unit_test(test_xmr_split),
        cmocka_unit_test(test_xmr_floor),
        cmocka_unit_test(test_xmr_edges),
        cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_csv_basic),
        cmocka_unit_test(test_csv_bad_rows),
        cmocka_unit_test(test_csv_many_reasons),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_utf8),
        cmocka_unit_test(test_csv_header_errors),
        cmocka_unit_test(test_csv_map),
        cmocka_unit_test(test_csv_extra_fields),
        cmocka_unit_test(test_rules_parse),
        cmocka_unit_test(test_rules_errors),
        cmocka_unit_test(test_rules_match),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_study_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
