/* SPDX-License-Identifier: MIT */
#ifndef RASVM_BOOT_H
#define RASVM_BOOT_H

#include "config.h"

/* Boot a VM as configured, run it to the end, unwind; returns rasvm's exit code. */
int boot_run(const struct config *cfg);

#endif
