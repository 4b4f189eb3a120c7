/*
 * fuzz_scenario.c - libFuzzer target for the two small parsers of the
 * scenario commands. The input is split at its first NUL byte: the part
 * before is a --vary specification (sd_vary_parse; a spec that parses has
 * its quantile function evaluated across (0, 1)); the part after is a
 * scenario file (sd_scenarios_parse), and each scenario it holds is
 * applied to a tiny model that is then compiled and run for a few steps,
 * so overridden values and graphical functions reach the compiler and VM.
 *
 * Ownership: everything made for one input is freed before returning, so
 * LeakSanitizer reports any leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sd/sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char model[] =
    "<xmile><sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>"
    "<model><variables>"
    "<stock name=\"s\"><eqn>1</eqn><inflow>f</inflow></stock>"
    "<flow name=\"f\"><eqn>g * a</eqn></flow>"
    "<aux name=\"a\"><eqn>2</eqn></aux>"
    "<aux name=\"g\"><eqn>s</eqn><gf><xscale min=\"0\" max=\"10\"/>"
    "<ypts>0,1,4</ypts></gf></aux>"
    "</variables></model></xmile>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, 0, size);
    size_t speclen = nul ? (size_t)(nul - (const char *)data) : size;
    char *spec = strndup((const char *)data, speclen);
    if (!spec)
        return 0;
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdVary v;
    if (sd_vary_parse(&a, spec, &v, &d) == T_OK)
        for (int i = 1; i < 100; i++)
            (void)sd_vary_quantile(&v, i / 100.0);
    free(spec);
    if (nul) {
        const char *text = nul + 1;
        size_t len = size - speclen - 1;
        SdScenario *s;
        int n;
        if (sd_scenarios_parse(&a, text, len, "fuzz.json", &s, &n, &d) ==
            T_OK) {
            for (int i = 0; i < n; i++) {
                SdModel *m = NULL;
                SdProgram *p = NULL;
                SdResults *r = NULL;
                if (sd_model_from_xmile(model, sizeof model - 1, "m.xmile", &m,
                                        &d) == T_OK &&
                    sd_scenario_apply(m, &s[i], &d) == T_OK &&
                    sd_compile(m, &p, &d) == T_OK) {
                    SdRunOpts o = {.max_steps = 100};
                    sd_run(p, &o, &r, &d);
                }
                sd_results_free(r);
                sd_program_free(p);
                sd_model_free(m);
            }
        }
    }
    TBuf out = {0};
    diags_format(&d, &out);
    tbuf_free(&out);
    diags_free(&d);
    arena_free(&a);
    return 0;
}
