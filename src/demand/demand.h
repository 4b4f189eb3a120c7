/*
 * demand.h - the demand study: a service's contact log (calls, visits,
 * e-mails, web forms) read from CSV, each contact classified as value or
 * failure demand ("demand caused by a failure to do something or do
 * something right for the customer"), and the measures a group studies:
 * failure share overall and by service, channel and type, a Pareto of
 * types, resolution at first contact, handoffs, end-to-end time per case,
 * and capability (XmR) charts with signals and split limits.
 *
 * The pipeline: demand_log_read (contacts.c) -> demand_classify with
 * optional text rules (classify.c) -> demand_study_run (measure.c, which
 * builds its charts with demand_xmr_build from xmr.c) -> demand_report_*
 * (report.c for text and JSON, html.c for the HTML report).
 *
 * Ownership: a DemandLog owns every contact, case and rejected row (its
 * arena and arrays) until demand_log_free; DemandRules own their compiled
 * patterns until demand_rules_free; a DemandStudy owns its groups and
 * charts until demand_study_free and borrows the log it was made from (the
 * log must outlive it). Reports append to the caller's TBuf or hand the
 * caller a new JSON reference. Every *_free(NULL) is a no-op.
 */
#ifndef TERRITORY_DEMAND_H
#define TERRITORY_DEMAND_H

#include "../core/core.h"

#include <regex.h>

struct json_t; /* jansson's value type, for demand_report_json */

#define DEMAND_FILE_MAX ((size_t)64 << 20)      /* bytes in a contact log */
#define DEMAND_FIELD_MAX 65536                  /* bytes in one CSV field */
#define DEMAND_FIELDS_MAX 256                   /* fields in one CSV row */
#define DEMAND_ROWS_MAX 1000000                 /* rows in a contact log */
#define DEMAND_HANDOFFS_MAX 1000                /* largest handoffs value */
#define DEMAND_RULES_FILE_MAX ((size_t)1 << 20) /* bytes in a rules file */
#define DEMAND_RULE_LINE_MAX 4096               /* bytes in one rule line */
#define DEMAND_RULES_MAX 10000                  /* rules in a file */
#define DEMAND_PATTERN_MAX 512                  /* bytes in one /regex/ */
#define DEMAND_SPLITS_MAX 64                    /* --split dates in one study */
#define DEMAND_RUN_LENGTH 8     /* points on one side of the mean: a signal */
#define DEMAND_NPL_FACTOR 2.66  /* natural process limits: mean +- 2.66 mR */
#define DEMAND_URL_FACTOR 3.268 /* moving-range upper limit: 3.268 mR */

/* ---- columns and their mapping ---------------------------------------- */

/* The columns Territory reads; each defaults to a header of its own name. */
typedef enum {
    DEMAND_COL_ID,           /* the contact's id */
    DEMAND_COL_RECEIVED_AT,  /* ISO 8601 date and time (required) */
    DEMAND_COL_CHANNEL,      /* phone, web, email, walk-in ... */
    DEMAND_COL_SERVICE,      /* the service the contact was about */
    DEMAND_COL_WORDS,        /* what the customer said, in their words */
    DEMAND_COL_DEMAND,       /* value, failure or empty */
    DEMAND_COL_TYPE,         /* free text: progress-chasing, not done ... */
    DEMAND_COL_WHAT_MATTERS, /* what matters to the customer */
    DEMAND_COL_FIRST,        /* resolved_first_contact: Y, N or empty */
    DEMAND_COL_HANDOFFS,     /* times passed on: a whole number or empty */
    DEMAND_COL_CASE_ID,      /* the case the contact is about, or empty */
    DEMAND_COL_CASE_CLOSED,  /* when that case was closed, or empty */
    DEMAND_NCOLS
} DemandCol;

/* The header each column is read from. Headers match case-insensitively
 * (ASCII letters) with surrounding spaces ignored. */
typedef struct DemandMap {
    const char *header[DEMAND_NCOLS]; /* borrowed header names */
    bool given[DEMAND_NCOLS];         /* set by demand_map_set: must exist */
} DemandMap;

/* The column's own name (`received_at`), which is also its default
 * header; NULL for a value out of range. */
const char *demand_col_name(DemandCol c);
/* Every column mapped to its own name. */
void demand_map_default(DemandMap *m);
/* Applies one `COLUMN=HEADER` mapping; the header is borrowed from spec.
 * Returns T_OK, or T_EUSAGE with a message in err. */
int demand_map_set(DemandMap *m, const char *spec, char *err, size_t errlen);

/* ---- dates ------------------------------------------------------------ */

/* Parses an ISO 8601 date or date-time: YYYY-MM-DD, then optionally `T`
 * (or one space) and hh:mm, :ss, a fraction of a second, and `Z` or an
 * offset +hh:mm / -hh:mm / +hhmm. *epoch gets seconds since 1970-01-01
 * (UTC when an offset is given, the local time as written otherwise) and
 * *day the calendar day as written (days since 1970-01-01). Returns
 * false with a reason in err. */
bool demand_date_parse(const char *s, long long *epoch, int *day, char *err,
                       size_t errlen);
/* Writes day (days since 1970-01-01) as YYYY-MM-DD. */
void demand_day_format(int day, char out[32]);

/* ---- the contact log -------------------------------------------------- */

typedef enum {
    DEMAND_NONE = 0,   /* not classified */
    DEMAND_VALUE = 1,  /* value demand: what the service is there for */
    DEMAND_FAILURE = 2 /* failure demand: caused by a failure of service */
} DemandKind;

/* "value", "failure" or "unclassified". */
const char *demand_kind_name(DemandKind k);

typedef struct DemandContact {
    int line;                  /* physical line where the record starts */
    const char *id;            /* the id, or "line N" without an id column */
    const char *received_text; /* received_at as written */
    long long received;        /* received_at, seconds since the epoch */
    int day;                   /* received_at's calendar day (as written) */
    const char *channel;       /* "" when empty */
    const char *service;       /* "" when empty */
    const char *words;         /* "" when empty */
    DemandKind demand;         /* as coded in the log */
    const char *type;          /* as written, "" when empty */
    const char *what_matters;  /* "" when empty */
    int first_contact;         /* 1 resolved at first contact, 0 not, -1 */
    int handoffs;              /* times passed on, -1 not recorded */
    const char *case_id;       /* "" when the contact has no case */
    int case_index;            /* index into DemandLog.cases, or -1 */
    bool closed;               /* case_closed_at given on this row */
    long long closed_at;       /* case_closed_at, seconds since the epoch */
    int closed_day;            /* case_closed_at's calendar day */
    const char *closed_text;   /* case_closed_at as written, "" when empty */
    /* Filled by demand_classify: */
    bool repeat;                /* a repeat contact on a case still open */
    int repeat_of;              /* the case's previous contact, or -1 */
    int rule;                   /* first rule that matches words, or -1 */
    DemandKind rule_kind;       /* what that rule suggests */
    const char *rule_type;      /* the type it suggests (log's copy) */
    const char *rule_where;     /* "rules.txt:4" (log's copy) */
    DemandKind suggested;       /* suggestion for an uncoded row, or NONE */
    const char *suggested_type; /* the suggested type, or NULL */
    const char *suggested_why;  /* why: the repeat, or the rule's place */
} DemandContact;

/* A case: the contacts that share a case_id. */
typedef struct DemandCase {
    const char *id;          /* the case_id */
    int first;               /* its earliest contact (index into contacts) */
    int ncontacts;           /* contacts on the case */
    bool closed;             /* some row gives a closing time */
    long long closed_at;     /* the latest closing time given */
    int closed_day;          /* that time's calendar day */
    const char *closed_text; /* as written */
    bool conflicting;        /* rows give different closing times */
} DemandCase;

typedef struct DemandReject {
    int line;           /* physical line where the record starts */
    const char *reason; /* git-style reason(s), joined by "; " */
} DemandReject;

typedef struct DemandLog {
    Arena arena;              /* owns every string below */
    const char *file;         /* the name the log was read under */
    bool has[DEMAND_NCOLS];   /* the column is in the file */
    int column[DEMAND_NCOLS]; /* its 0-based position in the header, or -1 */
    DemandContact *contacts;  /* the rows that loaded, in file order */
    int ncontacts;            /* how many */
    int cap_contacts;         /* allocated */
    DemandReject *rejected;   /* rows that did not load, in file order */
    int nrejected;            /* how many */
    int cap_rejected;         /* allocated */
    int blank;                /* rows of empty fields, skipped */
    DemandCase *cases;        /* cases in order of first appearance */
    int ncases;               /* how many */
    int *order;               /* contacts by received time, then line */
} DemandLog;

/* Reads a contact log: UTF-8 CSV (RFC 4180; a BOM and CRLF line ends are
 * fine) with a header row. Rows that fail (a bad date, Y/N or number, the
 * wrong number of fields, bad quoting, a duplicate id) are kept in
 * log->rejected with their line and reason and the rest still load. The
 * file fails as a whole (T_EINPUT, a diagnostic at file:line) only when it
 * has no usable header: empty, a required or mapped column missing, or a
 * column named twice. */
int demand_log_read(const char *text, size_t len, const char *file,
                    const DemandMap *map, DemandLog **out, TDiags *d);
/* demand_log_read on a file (capped at DEMAND_FILE_MAX bytes). */
int demand_log_load(const char *path, const DemandMap *map, DemandLog **out,
                    TDiags *d);
void demand_log_free(DemandLog *log);

/* ---- classification help ---------------------------------------------- */

typedef struct DemandRule {
    int line;         /* line in the rules file */
    const char *text; /* the phrase, or the pattern between the slashes */
    bool is_regex;    /* written as /pattern/ */
    const char *fold; /* the phrase folded for matching (not for regexes) */
    regex_t re;       /* the compiled pattern, when is_regex */
    const char *type; /* the demand type it suggests */
    DemandKind kind;  /* value or failure */
} DemandRule;

typedef struct DemandRules {
    Arena arena;       /* owns texts, types and the rules array */
    const char *file;  /* the name the rules were read under */
    DemandRule *rules; /* in file order; the first match wins */
    int nrules;        /* how many */
} DemandRules;

/* Parses a rules file: one rule per line,
 *     phrase => type, value|failure
 *     /regex/ => type, value|failure
 * with `#` starting a comment line (or a comment after a rule). Phrases
 * match anywhere in the words, ignoring case, runs of spaces and the
 * difference between straight and curly quotes; patterns are POSIX
 * extended regular expressions, matched ignoring case. Every error is
 * reported at file:line:col; any error fails the whole file. */
int demand_rules_parse(const char *text, size_t len, const char *file,
                       DemandRules **out, TDiags *d);
int demand_rules_load(const char *path, DemandRules **out, TDiags *d);
void demand_rules_free(DemandRules *r);
/* Index of the first rule that matches words, or -1. */
int demand_rules_match(const DemandRules *r, const char *words);

/* Flags repeat contacts (an earlier contact on the same case, the case not
 * closed before this one) and matches the rules (may be NULL) against every
 * contact's words. Rows with an empty `demand` get a suggestion: the
 * first matching rule's; otherwise, for a repeat, likely failure of type
 * `repeat`.
 * Coded rows keep their coding (a rule that disagrees is only recorded in
 * contact->rule). Returns T_OK or T_EINTERNAL. */
int demand_classify(DemandLog *log, const DemandRules *rules);

/* ---- capability (XmR) charts ------------------------------------------ */

enum {
    DEMAND_SIG_ABOVE = 1,     /* above the upper natural process limit */
    DEMAND_SIG_BELOW = 2,     /* below the lower natural process limit */
    DEMAND_SIG_RUN_ABOVE = 4, /* in a run of 8 or more above the mean */
    DEMAND_SIG_RUN_BELOW = 8, /* in a run of 8 or more below the mean */
    DEMAND_SIG_RANGE = 16     /* moving range above its upper limit */
};

typedef struct DemandXmrPoint {
    const char *x; /* label: a date, or a case id */
    int day;       /* the day that places it before or after a split */
    double value;  /* the individual value */
    double mr;     /* moving range from the previous point; NAN at the
                      first point of each part */
    int part;      /* which part of the split chart it is in */
    unsigned sig;  /* DEMAND_SIG_* bits */
} DemandXmrPoint;

/* Limits over a run of points: a whole chart, or one part of a split. */
typedef struct DemandXmrLimits {
    int first;          /* first point (index) */
    int n;              /* number of points */
    int from_day;       /* the part starts on this day (INT_MIN: open) */
    double mean;        /* average of the values; NAN when n == 0 */
    double mr_mean;     /* average moving range; NAN when n < 2 */
    double upper;       /* mean + 2.66 mr_mean (at most the ceiling) */
    double lower;       /* mean - 2.66 mr_mean (at least the floor) */
    double mr_upper;    /* 3.268 mr_mean */
    bool lower_floored; /* lower was raised to the floor */
    bool upper_capped;  /* upper was lowered to the ceiling */
} DemandXmrLimits;

typedef struct DemandXmrSignal {
    unsigned kind; /* one DEMAND_SIG_* bit */
    int first;     /* first point of the signal */
    int last;      /* last point (same as first but for runs) */
    int part;      /* the part it was found in */
} DemandXmrSignal;

typedef struct DemandXmr {
    const char *name;         /* machine name: daily_failure_share ... */
    const char *title;        /* for people */
    const char *unit;         /* "share" or "days" */
    double floor;             /* the measure cannot go below this, or NAN */
    double ceiling;           /* the measure cannot go above this, or NAN */
    DemandXmrPoint *points;   /* in order */
    int npoints;              /* how many */
    DemandXmrLimits all;      /* limits over every point, no splits */
    DemandXmrLimits *parts;   /* one per split part (1 without splits) */
    int nparts;               /* splits + 1 */
    DemandXmrSignal *signals; /* every signal, in point order */
    int nsignals;             /* how many */
} DemandXmr;

/* Builds an XmR chart of n values (days[] non-decreasing) into x, every
 * array allocated in a. splits are days in increasing order: a point on or
 * after splits[k] (and before splits[k+1]) is in part k + 1, and each part
 * gets its own mean, limits and signals (its first point has no moving
 * range). floor/ceiling (NAN for none) clip the natural process limits
 * where the measure cannot go. Returns T_OK, T_EUSAGE for unordered days
 * or splits, T_EINTERNAL when out of memory. */
int demand_xmr_build(DemandXmr *x, Arena *a, const double *values,
                     const int *days, int n, const int *splits, int nsplits,
                     double floor, double ceiling);
/* "above the upper limit" and so on, for one DEMAND_SIG_* bit. */
const char *demand_signal_name(unsigned kind);

/* The p-quantile (0 <= p <= 1) of n sorted values by linear interpolation
 * between closest ranks (Hyndman and Fan's type 7, as in Excel's
 * PERCENTILE.INC); NAN when n == 0. */
double demand_percentile(const double *sorted, int n, double p);

/* ---- the study -------------------------------------------------------- */

/* Counts for one service, channel or type. */
typedef struct DemandGroup {
    const char *name;     /* as first written; "(none)" for empty */
    const char *key;      /* folded name: case, spaces, - and _ ignored */
    int total;            /* contacts */
    int value;            /* coded value */
    int failure;          /* coded failure */
    int unclassified;     /* not coded */
    double share;         /* total / all contacts */
    double failure_share; /* failure / (value + failure); NAN when none */
} DemandGroup;

typedef struct DemandPareto {
    const char *type;  /* the type as first written */
    int count;         /* contacts of this type */
    double share;      /* count / all contacts of this kind */
    double cumulative; /* running share, in order */
} DemandPareto;

typedef struct DemandOpts {
    const int *splits; /* split days, any order (sorted and deduplicated) */
    int nsplits;       /* at most DEMAND_SPLITS_MAX */
} DemandOpts;

typedef struct DemandStudy {
    Arena arena;           /* owns every array and label below */
    const DemandLog *log;  /* borrowed: the log it measures */
    int total;             /* contacts loaded */
    int value;             /* coded value */
    int failure;           /* coded failure */
    int unclassified;      /* not coded */
    double failure_share;  /* failure / (value + failure); NAN when none */
    int suggested_value;   /* uncoded rows with a value suggestion */
    int suggested_failure; /* uncoded rows with a failure suggestion */
    double failure_share_suggested; /* share counting the suggestions */
    int disagreements;              /* coded rows a rule would code otherwise */
    int repeats;             /* contacts flagged as repeats on open cases */
    DemandGroup *by_service; /* by total, most first, then by name */
    int nservice;            /* how many */
    DemandGroup *by_channel; /* likewise */
    int nchannel;            /* how many */
    DemandGroup *by_type;    /* likewise */
    int ntype;               /* how many */
    DemandPareto *pareto_failure; /* failure types, most first */
    int npareto_failure;          /* how many */
    DemandPareto *pareto_value;   /* value types, most first */
    int npareto_value;            /* how many */
    int first_yes;                /* resolved at first contact */
    int first_no;                 /* not resolved at first contact */
    int first_unknown;            /* not recorded */
    double first_share;           /* yes / (yes + no); NAN when none */
    int handoffs_n;               /* contacts with handoffs recorded */
    int handoffs_unknown;         /* contacts without */
    double handoffs_mean;         /* NAN when none */
    int *handoffs_count;          /* [k] = contacts passed on k times */
    int handoffs_max;             /* largest k seen (-1 when none) */
    int cases;                    /* cases (distinct case_id) */
    int cases_closed;             /* with an end-to-end time */
    int cases_open;               /* not closed */
    int cases_bad;         /* closed before their first contact: left out */
    double e2e_mean;       /* end-to-end days, over closed cases */
    double e2e_median;     /* NAN when no case closed */
    double e2e_p85;        /* 85th percentile */
    double e2e_min;        /* shortest */
    double e2e_max;        /* longest */
    int days_unclassified; /* days with contacts but none coded */
    DemandXmr share_chart; /* daily failure share (days with coded ones) */
    DemandXmr e2e_chart;   /* end-to-end days per case, by closure */
    int splits[DEMAND_SPLITS_MAX]; /* the split days used, sorted */
    int nsplits;                   /* how many */
} DemandStudy;

/* Measures a classified log. Returns T_OK, T_EUSAGE (too many splits, a
 * diagnostic says so), or T_EINTERNAL. */
int demand_study_run(const DemandLog *log, const DemandOpts *o,
                     DemandStudy **out, TDiags *d);
void demand_study_free(DemandStudy *s);

/* ---- reports ---------------------------------------------------------- */

typedef enum {
    DEMAND_TEXT, /* a readable summary */
    DEMAND_JSON, /* the document demand_report_json builds, indented */
    DEMAND_HTML  /* one self-contained page with inline SVG charts */
} DemandFormat;

/* The whole study as a JSON object (a new reference; NULL when out of
 * memory). Shares are fractions of 1; times are days. */
struct json_t *demand_report_json(const DemandStudy *s);
int demand_report_text(const DemandStudy *s, TBuf *out);
int demand_report_html(const DemandStudy *s, TBuf *out);
/* One of the three into out. Returns T_OK or T_EINTERNAL. */
int demand_report(const DemandStudy *s, DemandFormat f, TBuf *out);

#endif
