/*
 * fuzz_data.c - libFuzzer target for the data files of Vensim's GET
 * functions (src/sd/data.c). The first byte chooses the reader (its value
 * modulo 3): 0, the rest is a CSV file whose delimiter is the second byte;
 * 1, the rest is an .xlsx workbook (a zip) whose sheet "Sheet1" is read;
 * 2, the rest is an .xls workbook, written to a temporary file because
 * FreeXL reads only files, whose sheet "Sheet1" is read; only when
 * FUZZ_DATA_XLS is set in the environment, else it is read as an .xlsx.
 * FreeXL is not memory safe (it overflows buffers on damaged files, which
 * data.c contains by running it in a child process), so fuzzing it finds
 * FreeXL's bugs, reported by the children, not Territory's. A sheet that
 * loads goes through every reader of cells with fixed references (series
 * down a column and across a row, blocks plain and transposed, names to a
 * cell and to the end of a row), and the first bytes are tried as a cell
 * reference. A first byte of 0xF0 or more makes the rest a data file
 * given at run time (`territory run --data`; .tab when the second byte is
 * odd, else .csv) attached to a model with a data variable in each mode
 * and an arrayed one, which is then compiled and run.
 *
 * Ownership: everything made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "sd/sd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_cells(const SdSheet *s)
{
    char err[512];
    Arena a;
    arena_init(&a);
    SdGraph g;
    static const char *const axes[] = {"A", "1", "B", "2", "ZZZ", "0"};
    static const char *const cells[] = {"B2", "A1", "C3", "b2", "XFD1", "A0"};
    volatile double sink = 0;
    for (size_t i = 0; i < sizeof axes / sizeof axes[0]; i++)
        for (int k = 0; k < 3; k++)
            if (sd_sheet_series(s, axes[i], cells[i], k, &a, &g, err,
                                sizeof err) == T_OK)
                sink += g.x[g.n - 1] + g.y[0];
    double block[9];
    if (sd_sheet_block(s, "A1", 3, 3, block, err, sizeof err) == T_OK)
        sink += block[8];
    if (sd_sheet_block(s, "B2*", 2, 3, block, err, sizeof err) == T_OK)
        sink += block[5];
    const char **names;
    int n;
    if (sd_sheet_names(s, "A1", "C2", "p", &a, &names, &n, err, sizeof err) ==
        T_OK)
        sink += (double)strlen(names[n - 1]);
    if (sd_sheet_names(s, "A1", "", "", &a, &names, &n, err, sizeof err) ==
        T_OK)
        sink += n;
    (void)sink;
    arena_free(&a);
}

/* The model the run-time data files are given to. */
static const char RUN_MODEL[] =
    "d: a, b ~~|\n"
    "interp:INTERPOLATE: ~~|\n"
    "plain ~~|\n"
    "held:HOLD BACKWARD: ~~|\n"
    "ahead:LOOK FORWARD: ~~|\n"
    "raw:RAW: ~~|\n"
    "arr[d]:LOOK FORWARD: ~~|\n"
    "y = interp + plain + held + ahead + raw + SUM(arr[d!]) ~~|\n"
    "INITIAL TIME = 0 ~~|\nFINAL TIME = 4 ~~|\nTIME STEP = 0.5 ~~|\n";

/* Writes the data file to a temporary path and gives it to RUN_MODEL. */
static void run_data(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_data_XXXXXX.tab";
    if (!(data[0] & 1))
        memcpy(path + sizeof path - 4, "csv", 3);
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(path);
        return;
    }
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    const char *paths[1] = {path};
    if (sd_model_from_mdl(RUN_MODEL, sizeof RUN_MODEL - 1, "fuzz.mdl", &m,
                          &d) == T_OK &&
        sd_model_attach_data(m, paths, 1, &d) == T_OK &&
        sd_compile(m, &p, &d) == T_OK) {
        SdRunOpts o = {0};
        sd_run(p, &o, &r, &d);
    }
    sd_results_free(r);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] >= 0xF0) {
        run_data(data + 1, size - 1);
        return 0;
    }
    char err[512];
    SdSheet *s = NULL;
    int rc;
    if (data[0] % 3 == 0) {
        rc = sd_sheet_from_csv((const char *)data + 2, size - 2, (char)data[1],
                               "'fuzz.csv'", &s, err, sizeof err);
    } else if (data[0] % 3 == 1 || !getenv("FUZZ_DATA_XLS")) {
        SdZip *zl = NULL;
        if (sd_zip_load(&zl, "'fuzz.xlsx'", err, sizeof err) != T_OK)
            return 0;
        rc = sd_sheet_from_xlsx(zl, data + 1, size - 1, "Sheet1", "'fuzz.xlsx'",
                                &s, err, sizeof err);
        sd_zip_free(zl);
    } else {
        char path[] = "/tmp/fuzz_data_XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0)
            return 0;
        FILE *f = fdopen(fd, "wb");
        if (!f) {
            close(fd);
            unlink(path);
            return 0;
        }
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        rc = sd_sheet_from_xls(path, "Sheet1", "'fuzz.xls'", &s, err,
                               sizeof err);
        unlink(path);
    }
    if (rc == T_OK)
        read_cells(s);
    sd_sheet_free(s);
    char ref[33];
    size_t n = size - 1 < 32 ? size - 1 : 32;
    memcpy(ref, data + 1, n);
    ref[n] = 0;
    int row, col;
    if (sd_cell_parse(ref, &row, &col)) {
        char name[16];
        sd_cell_name(row, col, name);
    }
    return 0;
}
