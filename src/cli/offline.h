/* SPDX-License-Identifier: MIT */
/* Commands that need no KVM: `acpi dump`, `cper encode`, `cper decode`. Each returns rasvm's
 * exit code. */
#ifndef RASVM_CLI_OFFLINE_H
#define RASVM_CLI_OFFLINE_H

#include "config.h"

int cli_acpi_dump(const struct config *cfg);
int cli_cper_encode(const struct config *cfg);
int cli_cper_decode(const struct config *cfg);
/* rasvm ctl: the QMP client (src/ctl/client.c). */
int cli_ctl(const struct config *cfg);

#endif
