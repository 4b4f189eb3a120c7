/*
 * cmd_convert.c - `territory convert MODEL OUT.xmile`: reads any model
 * Territory reads (XMILE, Stella's .stmx/.itmx, Vensim .mdl) and writes it
 * as XMILE 1.0 that Territory reads back to the same numbers. The model
 * must compile: a model that cannot run is not converted.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sd/sd.h"

int cmd_convert(int argc, char **argv)
{
    if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-') {
        cli_error("usage: territory convert MODEL OUT.xmile");
        return EXIT_USAGE;
    }
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    TBuf out = {0};
    int ex = EXIT_OK;
    int rc = sd_model_load(argv[0], &m, &d);
    if (rc == T_OK)
        rc = sd_compile(m, &p, &d); /* refuse what cannot run */
    if (rc == T_OK)
        rc = sd_model_to_xmile(m, &out, &d);
    if (rc != T_OK) {
        cli_print_diags(&d);
        ex = rc == T_EINPUT ? EXIT_INPUT : EXIT_INTERNAL;
        goto done;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len) {
        cli_error("cannot write '%s': %s", argv[1], strerror(errno));
        ex = EXIT_INPUT;
    }
    if (f && fclose(f) != 0 && ex == EXIT_OK) {
        cli_error("cannot write '%s': %s", argv[1], strerror(errno));
        ex = EXIT_INPUT;
    }
done:
    tbuf_free(&out);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return ex;
}
