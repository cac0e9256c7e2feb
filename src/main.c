// SPDX-License-Identifier: MIT
/* argv -> config -> the command. The only place that exits. */
#include <stdio.h>
#include <sys/resource.h>

#include "boot.h"
#include "cli/offline.h"
#include "config.h"
#include "exitcode.h"
#include "host/check.h"
#include "log.h"
#include "state/cli.h"

#ifndef RASVM_VERSION
#define RASVM_VERSION "0.0.0-dev"
#endif

int main(int argc, char **argv)
{
	struct config cfg;
	char err[256];

	/* A crash must not leave a multi-GiB core file holding guest memory. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });

	if (config_parse(argc, argv, &cfg, err, sizeof(err))) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	switch (cfg.cmd) {
	case CMD_HELP:
		fputs(config_usage(cfg.help_for), stdout);
		return 0;
	case CMD_VERSION:
		printf("rasvm %s\n", RASVM_VERSION);
		return 0;
	case CMD_CHECK_HOST:
		return host_check(cfg.json);
	case CMD_RUN:
	case CMD_DEMO:
		return boot_run(&cfg);
	case CMD_ACPI_DUMP:
		return cli_acpi_dump(&cfg);
	case CMD_CPER_ENCODE:
		return cli_cper_encode(&cfg);
	case CMD_CPER_DECODE:
		return cli_cper_decode(&cfg);
	case CMD_CTL:
		return cli_ctl(&cfg);
	case CMD_SNAPSHOT_CHECK:
		return state_cli_check(&cfg);
	case CMD_SNAPSHOT_RESTORE:
		return state_cli_restore(&cfg);
	}
	return EXIT_INTERNAL;
}
