/* SPDX-License-Identifier: MIT */
/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, as iSCSI and ext4 use): the SSE4.2
 * crc32 instruction where the CPU has it, a table otherwise. Same result either way. */
#ifndef RASVM_STATE_CRC32C_H
#define RASVM_STATE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc32c(0, ...) and feed the previous result back in. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
