/*
 * fuzz_csv.c - libFuzzer target for the contact-log reader and everything
 * downstream of it. The input bytes are a contact log (CSV):
 * demand_log_read reads it with the default column mapping (the rejected
 * rows' reasons and the diagnostics are formatted so those paths run); a
 * log that loads is classified with two fixed rules, measured with one
 * split date, and written as text, JSON and HTML.
 *
 * Ownership: every object made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak in the engine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "demand/demand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char RULES[] = "when is someone coming => progress-chasing, "
                            "failure\n/(third|fourth) time|again/ => repeat, "
                            "failure\n/boiler|leak/ => report, value\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TDiags d = {0};
    DemandLog *log = NULL;
    DemandRules *rules = NULL;
    DemandStudy *s = NULL;
    TBuf out = {0};
    if (demand_log_read((const char *)data, size, "fuzz.csv", NULL, &log, &d) ==
        T_OK) {
        size_t sum = 0;
        for (int i = 0; i < log->nrejected; i++)
            sum += strlen(log->rejected[i].reason);
        TDiags rd = {0};
        if (demand_rules_parse(RULES, sizeof RULES - 1, "rules.txt", &rules,
                               &rd) != T_OK)
            abort(); /* the fixed rules are valid */
        diags_free(&rd);
        int split = 20514; /* 2026-03-02 */
        DemandOpts o = {&split, 1};
        if (demand_classify(log, rules) == T_OK &&
            demand_study_run(log, &o, &s, &d) == T_OK) {
            demand_report(s, DEMAND_TEXT, &out);
            demand_report(s, DEMAND_JSON, &out);
            demand_report(s, DEMAND_HTML, &out);
        }
        if (sum == (size_t)-1)
            abort(); /* never: keeps the reads */
    }
    if (d.len) {
        TBuf msg = {0};
        diags_format(&d, &msg);
        tbuf_free(&msg);
    }
    tbuf_free(&out);
    demand_study_free(s);
    demand_rules_free(rules);
    demand_log_free(log);
    diags_free(&d);
    return 0;
}
