/* SPDX-License-Identifier: MIT */
/* `rasvm snapshot check FILE` and `rasvm snapshot restore FILE [run options]` (cli.c). */
#ifndef RASVM_STATE_CLI_H
#define RASVM_STATE_CLI_H

#include "config.h"

int state_cli_check(const struct config *cfg);
int state_cli_restore(const struct config *cfg);

#endif
