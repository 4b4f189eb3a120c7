/*
 * cli.h - the territory command line: one function per subcommand, each
 * taking the arguments after its name and returning the process exit code
 * (0 success, 1 bad input, 2 usage, 3 internal failure).
 */
#ifndef TERRITORY_CLI_H
#define TERRITORY_CLI_H

#include <stdio.h>

#include "core/core.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_loops(int argc, char **argv);
int cmd_dominance(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_demand(int argc, char **argv);
int cmd_ensemble(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_workspace(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* Prints diagnostics to stderr as file:line:col: message, line, caret. */
void cli_print_diags(const TDiags *d);
/* Prints "territory: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
