/*
 * test_data.c - the readers of data files behind Vensim's GET functions
 * (src/sd/data.c): cell references, CSV files as sheets of cells, series
 * with missing cells, blocks of constants plain and transposed, names,
 * and the messages that name the file and the cell; data variables given
 * their data at run time (sd_model_attach_data). Reading .xlsx
 * workbooks and whole models is tested by tests/cli/test_data.sh, which
 * makes its workbooks with python3.
 */
#include "unit.h"

#include "sd/sd_int.h"

#include <unistd.h>

static SdSheet *csv(const char *text, char delim)
{
    SdSheet *s = NULL;
    char err[256];
    assert_int_equal(sd_sheet_from_csv(text, strlen(text), delim, "'t.csv'", &s,
                                       err, sizeof err),
                     T_OK);
    return s;
}

static void test_data_cells(void **state)
{
    (void)state;
    int row, col;
    assert_true(sd_cell_parse("B2", &row, &col));
    assert_int_equal(row, 1);
    assert_int_equal(col, 1);
    assert_true(sd_cell_parse(" aa10 ", &row, &col));
    assert_int_equal(row, 9);
    assert_int_equal(col, 26);
    assert_true(sd_cell_parse("XFD1048576", &row, &col));
    assert_int_equal(col, 16383);
    assert_false(sd_cell_parse("XFE1", &row, &col));
    assert_false(sd_cell_parse("A0", &row, &col));
    assert_false(sd_cell_parse("A1048577", &row, &col));
    assert_false(sd_cell_parse("B", &row, &col));
    assert_false(sd_cell_parse("2", &row, &col));
    assert_false(sd_cell_parse("B2C", &row, &col));
    char name[16];
    sd_cell_name(9, 26, name);
    assert_string_equal(name, "AA10");
    sd_cell_name(0, 701, name);
    assert_string_equal(name, "ZZ1");
    sd_cell_name(0, 702, name);
    assert_string_equal(name, "AAA1");
}

static void test_data_csv(void **state)
{
    (void)state;
    /* blanks around cells go, quoted cells keep their delimiter, empty
     * cells are no cells, and a byte-order mark is not text */
    SdSheet *s = csv("\xEF\xBB\xBFTime ;\"a;b\"\n 1\t; ;3\r\n", ';');
    assert_string_equal(sd_sheet_at(s, 0, 0), "Time");
    assert_string_equal(sd_sheet_at(s, 0, 1), "a;b");
    assert_string_equal(sd_sheet_at(s, 1, 0), "1");
    assert_null(sd_sheet_at(s, 1, 1));
    assert_string_equal(sd_sheet_at(s, 1, 2), "3");
    assert_null(sd_sheet_at(s, 2, 0));
    assert_int_equal(s->nrows, 2);
    assert_int_equal(s->ncols, 3);
    sd_sheet_free(s);
}

static void test_data_series(void **state)
{
    (void)state;
    SdSheet *s = csv("Time,a,b\n0,1,10\n1,,11\n2,3,\n,4,13\n5,5,15\n", ',');
    Arena a;
    arena_init(&a);
    char err[256];
    SdGraph g;
    /* column B: the missing cell at t=1 and the row without a time are
     * passed over */
    assert_int_equal(sd_sheet_series(s, "A", "B2", 0, &a, &g, err, sizeof err),
                     T_OK);
    assert_int_equal(g.n, 3);
    assert_close(g.x[1], 2);
    assert_close(g.y[1], 3);
    assert_close(g.x[2], 5);
    /* the next column is element 1 */
    assert_int_equal(sd_sheet_series(s, "A", "B2", 1, &a, &g, err, sizeof err),
                     T_OK);
    assert_int_equal(g.n, 3);
    assert_close(g.y[1], 11);
    /* nothing there */
    assert_int_equal(sd_sheet_series(s, "A", "B2", 5, &a, &g, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv': no data from cell G2 down its column");
    assert_int_equal(sd_sheet_series(s, "A1", "B2", 0, &a, &g, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv': 'A1' is neither a column ('A') nor a "
                             "row ('1') of times");
    /* across: times in row 1 from B1 */
    SdSheet *t = csv("x,1,2,4\ny,7,,9\n", ',');
    assert_int_equal(sd_sheet_series(t, "1", "B2", 0, &a, &g, err, sizeof err),
                     T_OK);
    assert_int_equal(g.n, 2);
    assert_close(g.x[1], 4);
    assert_close(g.y[1], 9);
    /* the header row read as data is text, named by its cell */
    assert_int_equal(sd_sheet_series(s, "A", "B1", 0, &a, &g, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv', cell A1: 'Time' is not a number");
    sd_sheet_free(t);
    t = csv("t,v\n2,1\n1,2\n", ',');
    assert_int_equal(sd_sheet_series(t, "A", "B2", 0, &a, &g, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv', cell A3: times must ascend (1 after 2)");
    sd_sheet_free(t);
    arena_free(&a);
    sd_sheet_free(s);
}

static void test_data_block_and_names(void **state)
{
    (void)state;
    SdSheet *s = csv(",c1,c2,c3\nr1,1,2,3\nr2,4,5,6\n", ',');
    char err[256];
    double v[6];
    assert_int_equal(sd_sheet_block(s, "B2", 2, 3, v, err, sizeof err), T_OK);
    assert_close(v[2], 3);
    assert_close(v[3], 4);
    /* transposed: 3 rows of 2, the block's rows running down the sheet */
    assert_int_equal(sd_sheet_block(s, "B2*", 3, 2, v, err, sizeof err), T_OK);
    assert_close(v[0], 1);
    assert_close(v[1], 4);
    assert_close(v[2], 2);
    assert_close(v[5], 6);
    assert_int_equal(sd_sheet_block(s, "B2", 3, 3, v, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv', cell B4: empty, where a block of 3 by "
                             "3 numbers from B2 needs a number");
    assert_int_equal(sd_sheet_block(s, "value1", 1, 1, v, err, sizeof err),
                     T_EINPUT);
    assert_string_equal(err, "'t.csv': 'value1' is not a cell like 'B2' "
                             "(named ranges are not supported)");
    Arena a;
    arena_init(&a);
    const char **names;
    int n;
    assert_int_equal(
        sd_sheet_names(s, "B1", "", "x ", &a, &names, &n, err, sizeof err),
        T_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[2], "x c3");
    assert_int_equal(
        sd_sheet_names(s, "A2", "A3", "", &a, &names, &n, err, sizeof err),
        T_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[1], "r2");
    assert_int_equal(
        sd_sheet_names(s, "A1", "A2", "", &a, &names, &n, err, sizeof err),
        T_EINPUT);
    assert_string_equal(err, "'t.csv', cell A1: empty, where a name is needed");
    arena_free(&a);
    sd_sheet_free(s);
}

static void test_data_not_xlsx(void **state)
{
    (void)state;
    SdSheet *s = NULL;
    char err[256];
    SdZip *zl = NULL;
    assert_int_equal(sd_zip_load(&zl, "'b.xlsx'", err, sizeof err), T_OK);
    assert_int_equal(sd_sheet_from_xlsx(zl, "PK\x03\x04junk", 8, "Sheet1",
                                        "'b.xlsx'", &s, err, sizeof err),
                     T_EINPUT);
    sd_zip_free(zl);
    assert_null(s);
    assert_non_null(strstr(err, "'b.xlsx' is not an .xlsx workbook"));
}

/* A data file given at run time, transposed (times across the row Time
 * heads), with blank cells: the model compiles only once it is attached,
 * and each variable reads its mode. The expected numbers are the file's,
 * read by hand. */
static void test_data_run_time(void **state)
{
    (void)state;
    static const char model[] = "d: e1, e2 ~~|\n"
                                "x:HOLD BACKWARD: ~~|\n"
                                "a[d]:RAW: ~~|\n"
                                "y = x * 2 ~~|\n"
                                "INITIAL TIME = 0 ~~|\nFINAL TIME = 2 ~~|\n"
                                "TIME STEP = 1 ~~|\n";
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    assert_int_equal(
        sd_model_from_mdl(model, sizeof model - 1, "t.mdl", &m, &d), T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_EINPUT);
    assert_int_equal(d.errors, 2); /* x and a */
    TBuf msg = {0};
    assert_int_equal(diags_format(&d, &msg), T_OK);
    assert_non_null(strstr(tbuf_cstr(&msg),
                           "t.mdl:2:1: 'x' has no equation: a data variable"));
    assert_non_null(strstr(tbuf_cstr(&msg), "give its data with --data FILE"));
    tbuf_free(&msg);
    diags_free(&d);
    char path[] = "/tmp/test_data_XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    static const char text[] = "Time,0,2\nx,1,3\na[E1],5,\na[e2],,7\n";
    assert_int_equal(write(fd, text, sizeof text - 1),
                     (ssize_t)sizeof text - 1);
    close(fd);
    const char *paths[] = {path};
    int rc = sd_model_attach_data(m, paths, 1, &d);
    unlink(path);
    assert_int_equal(rc, T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    SdRunOpts o = {0};
    assert_int_equal(sd_run(p, &o, &r, &d), T_OK);
    int y = sd_results_find(r, "y"), a1 = sd_results_find(r, "a[e1]"),
        a2 = sd_results_find(r, "a[e2]");
    assert_true(y > 0 && a1 > 0 && a2 > 0);
    assert_int_equal(r->nrows, 3);
    double *row1 = r->data + r->ncols, *row2 = r->data + 2 * r->ncols;
    assert_true(row1[y] == 2 && row2[y] == 6); /* held at 1 until time 2 */
    assert_true(r->data[a1] == 5 && isnan(row1[a1]) && isnan(row2[a1]));
    assert_true(isnan(r->data[a2]) && isnan(row1[a2]) && row2[a2] == 7);
    sd_results_free(r);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_cells),
        cmocka_unit_test(test_data_csv),
        cmocka_unit_test(test_data_series),
        cmocka_unit_test(test_data_block_and_names),
        cmocka_unit_test(test_data_not_xlsx),
        cmocka_unit_test(test_data_run_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
