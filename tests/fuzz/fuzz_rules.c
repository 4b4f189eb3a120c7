/*
 * fuzz_rules.c - libFuzzer target for the demand study's rules file. The
 * input bytes are a rules file: demand_rules_parse reads it (with the
 * diagnostics formatted, so the caret display runs); rules that load are
 * matched against a few fixed sentences and against the input itself,
 * which exercises the phrase folding and the compiled patterns.
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

static const char *const WORDS[] = {
    "When is someone coming? This is the third time I\xE2\x80\x99ve rung",
    "nobody turned up, I waited in all day",
    "The boiler's making a banging noise and there's no hot water",
    "",
    "caf\xC3\xA9 \xC2\xA3"
    "60 on heaters",
    "a\nb\tc  d"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TDiags d = {0};
    DemandRules *r = NULL;
    if (demand_rules_parse((const char *)data, size, "fuzz.rules", &r, &d) ==
        T_OK) {
        int hits = 0;
        for (size_t i = 0; i < sizeof WORDS / sizeof *WORDS; i++)
            hits += demand_rules_match(r, WORDS[i]) >= 0;
        /* The input itself as words, cut at its first NUL and at 1 KiB. */
        size_t n = size < 1024 ? size : 1024;
        char *self = malloc(n + 1);
        if (self) {
            memcpy(self, data, n);
            self[n] = 0;
            hits += demand_rules_match(r, self) >= 0;
            free(self);
        }
        if (hits < 0)
            abort(); /* never: keeps the matches */
    }
    if (d.len) {
        TBuf msg = {0};
        diags_format(&d, &msg);
        tbuf_free(&msg);
    }
    demand_rules_free(r);
    diags_free(&d);
    return 0;
}
