# rasvm: `make` builds build/rasvm; `make test` runs every test; `make bench` prints figures;
# `make fuzz` runs every libFuzzer target to 10^6 executions.
# Out of tree (build/), dependencies from -MMD, warnings are errors (WERROR=0 to relax).
# `make ARCH=arm64` cross-builds the arm64 rasvm, static, with Debian's aarch64-linux-gnu-gcc
# and the arm64 multiarch libraries, into build/arm64/rasvm (docs/arm64.md).
# Sanitizer builds (docs/testing.md), each in its own tree, with clang (x86_64 only):
#   make SAN=asan   -> build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer
#   make SAN=tsan   -> build-tsan/: ThreadSanitizer
# The test guest is not host code: it is built with the normal compiler and flags in each tree.

ARCH    ?= x86_64
SAN     ?=
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_AR ?= aarch64-linux-gnu-ar
ARM64_OBJCOPY ?= aarch64-linux-gnu-objcopy
ifeq ($(ARCH),arm64)
ifneq ($(SAN),)
$(error SAN=$(SAN): the sanitizer builds are for ARCH=x86_64)
endif
BUILD   ?= build/arm64
CC      := $(ARM64_CC)
AR      := $(ARM64_AR)
else ifeq ($(ARCH),x86_64)
CC      ?= cc
AR      := ar
else
$(error ARCH=$(ARCH): use x86_64 or arm64)
endif
GUEST_CC ?= $(if $(SAN),cc,$(CC))
WERROR  ?= 1
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

ifeq ($(SAN),)
BUILD   ?= build
CFLAGS  ?= -O2 -g
# Linked statically: the shared libc alone kept about 1 MiB resident; rasvm needs 1.1 MiB in all.
STATIC  := -static
else
ifeq ($(SAN),asan)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(SAN),tsan)
SAN_FLAGS := -fsanitize=thread
else
$(error SAN=$(SAN): use SAN=asan or SAN=tsan)
endif
BUILD   ?= build-$(SAN)
ifeq ($(origin CC),default)
CC      := clang
endif
CFLAGS  ?= -O1 -g
# The KVM idiom struct { struct kvm_msrs hdr; struct kvm_msr_entry e; } is a GNU extension
# gcc takes silently and clang warns about.
CFLAGS  += $(SAN_FLAGS) -fno-omit-frame-pointer -Wno-gnu-variable-sized-type-not-at-end
# The sanitizer runtimes cannot be linked statically.
STATIC  :=
endif
# One spelling of the build directory, relative when it is inside the tree: -MMD names each
# object in its .d file as the rule's target was spelt, and a tree built once as build/arm64
# and once as /abs/build/arm64 (tests/emu/arm64_host.sh) read no header dependencies in the
# second, so objects compiled against an old struct vm stayed and crashed.
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))

WARN    := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc -MMD -MP
# The decompressors read bzImage payloads (src/loader/decompress.c).
LDLIBS  += -ljansson -lpthread -lz -llzma -lzstd -llz4 -lbz2 -llzo2

# The machine (src/kvm/arch.h): one architecture's half, one object per line.
# Snapshots and migration (src/state/) carry x86 vCPUs, irqchip and PIT, and check-host's
# dirty-log probe runs x86 code; arm64 has kvm/arm64/state.c saying they are x86-only.
X86_OBJS := \
	src/kvm/dirty.o \
	src/kvm/x86/check.o \
	src/kvm/x86/cpu.o \
	src/kvm/x86/cpu_state.o \
	src/kvm/x86/insn.o \
	src/kvm/x86/machine.o \
	src/kvm/x86/probe.o \
	src/kvm/x86/ras_ops.o \
	src/kvm/x86/regs.o \
	src/state/cli.o \
	src/state/dirty.o \
	src/state/load.o \
	src/state/machine.o \
	src/state/migrate.o \
	src/state/migrate_qmp.o \
	src/state/offline.o \
	src/state/ram.o
ARM64_OBJS := \
	src/kvm/arm64/check.o \
	src/kvm/arm64/devices.o \
	src/kvm/arm64/machine.o \
	src/kvm/arm64/ras_ops.o \
	src/kvm/arm64/state.o
ARCH_OBJS := $(if $(filter arm64,$(ARCH)),$(ARM64_OBJS),$(X86_OBJS))

# The VMM, one object per line: the arch-neutral part, then the machine's.
VMM_OBJS := \
	src/acpi/aml.o \
	src/acpi/buf.o \
	src/acpi/cper.o \
	src/acpi/hest.o \
	src/acpi/tables.o \
	src/acpi/tables_arm64.o \
	src/boot.o \
	src/bootinfo.o \
	src/cli/acpi_dump.o \
	src/cli/cper_tool.o \
	src/config.o \
	src/ctl/base64.o \
	src/ctl/client.o \
	src/ctl/commands.o \
	src/ctl/hmp.o \
	src/ctl/metrics.o \
	src/ctl/protocol.o \
	src/ctl/qmp.o \
	src/dev/devices.o \
	src/dev/mark.o \
	src/dev/power.o \
	src/dev/serial.o \
	src/dev/testport.o \
	src/fw/efi.o \
	src/fw/fdt.o \
	src/fw/mptable.o \
	src/guest_image.o \
	src/kvm/kvm.o \
	src/kvm/mem.o \
	src/kvm/probe.o \
	src/kvm/vcpu.o \
	src/loader/arm64_image.o \
	src/loader/decompress.o \
	src/loader/elf.o \
	src/loader/linux_x86.o \
	src/loader/loader.o \
	src/log.o \
	src/platform.o \
	src/platform_arm64.o \
	src/ras/ghes.o \
	src/ras/hwpoison.o \
	src/ras/mce.o \
	src/ras/poison.o \
	src/ras/policy.o \
	src/ras/ras.o \
	src/ras/ras_state.o \
	src/ras/sigbus.o \
	src/ras/sim.o \
	src/sandbox/sandbox.o \
	src/state/crc32c.o \
	src/state/header.o \
	src/state/stream.o \
	src/stats.o \
	src/text.o \
	src/vm.o \
	$(ARCH_OBJS)


# The freestanding test guest (guest/), linked at 1 MiB and embedded into rasvm; on arm64
# guest/arm64/, an arm64 Image linked where rasvm loads one (layout_arm64.h), sharing the CPER
# reader, HEST walker, GHES reader, ACPI checksum, string, format, print and ucall code of
# guest/lib/.
X86_GUEST_OBJS := \
	guest/start.o \
	guest/main.o \
	guest/hostile.o \
	guest/lib/acpi.o \
	guest/lib/acpi_table.o \
	guest/lib/cper.o \
	guest/lib/cpu.o \
	guest/lib/hest.o \
	guest/lib/format.o \
	guest/lib/ghes.o \
	guest/lib/multiboot.o \
	guest/lib/print.o \
	guest/lib/ras.o \
	guest/lib/string.o \
	guest/lib/task.o \
	guest/lib/ucall.o
ARM64_GUEST_OBJS := \
	guest/arm64/start.o \
	guest/arm64/main.o \
	guest/arm64/hostile.o \
	guest/arm64/lib.o \
	guest/arm64/ras.o \
	guest/lib/acpi_table.o \
	guest/lib/cper.o \
	guest/lib/format.o \
	guest/lib/ghes.o \
	guest/lib/hest.o \
	guest/lib/print.o \
	guest/lib/string.o \
	guest/lib/ucall.o
GUEST_COMMON_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -fno-pic \
	-fno-pie -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) -Iinclude -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack
ifeq ($(ARCH),arm64)
GUEST_OBJS := $(ARM64_GUEST_OBJS)
# -mstrict-align: until the guest turns its MMU on, every access is to Device memory.
GUEST_CFLAGS := $(GUEST_COMMON_CFLAGS) -mstrict-align -mno-outline-atomics -mcmodel=small \
	-Iguest/arm64 -Iguest
GUEST_LDFLAGS += -T guest/arm64/link.ld
GUEST_LDS := guest/arm64/link.ld
# What rasvm embeds: the Image (the ELF's bytes from its load address, header first).
GUEST_IMAGE := $(BUILD)/guest/guest.img
else
GUEST_OBJS := $(X86_GUEST_OBJS)
GUEST_CFLAGS := $(GUEST_COMMON_CFLAGS) -mno-red-zone -mcmodel=small -Iguest
GUEST_LDFLAGS += -T guest/link.ld
GUEST_LDS := guest/link.ld
GUEST_IMAGE := $(BUILD)/guest/guest.elf
endif

# The firmware library of the arm64 machine alone: tables, HEST, CPER, device tree, EFI
# tables and the machine's composition; `make arm64-fw` builds it with the cross compiler.
ARM64_FW_OBJS := \
	src/acpi/aml.o \
	src/acpi/buf.o \
	src/acpi/cper.o \
	src/acpi/hest.o \
	src/acpi/tables.o \
	src/acpi/tables_arm64.o \
	src/fw/efi.o \
	src/fw/fdt.o \
	src/platform_arm64.o

UNIT_TESTS := acpi arm64_firmware arm64_image bootinfo config cper e820 efi elf fdt hest layout layout_arm64 linux_boot mptable qmp qmp_compat ras ras_core sandbox sigbus state
UNIT_BINS  := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

.PHONY: all test unit bench clean arm64-fw fuzz fuzzers
all: $(BUILD)/rasvm

$(BUILD)/rasvm: $(addprefix $(BUILD)/,$(filter-out src/main.o,$(VMM_OBJS)) src/main.o)
	$(CC) $(CFLAGS) $(STATIC) -o $@ $^ $(LDLIBS)

$(BUILD)/librasvm.a: $(addprefix $(BUILD)/,$(VMM_OBJS))
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DRASVM_VERSION='"$(VERSION)"' -c -o $@ $<

arm64-fw: $(BUILD)/arm64/librasvm-fw.a

$(BUILD)/arm64/librasvm-fw.a: $(addprefix $(BUILD)/arm64/,$(ARM64_FW_OBJS))
	rm -f $@ && $(ARM64_AR) rcs $@ $^

$(BUILD)/arm64/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(ARM64_CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/guest_image.o: src/guest_image.S $(GUEST_IMAGE)
	@mkdir -p $(@D)
	$(CC) -c -DGUEST_ELF=$(GUEST_IMAGE) -o $@ $<

$(BUILD)/guest/guest.elf: $(addprefix $(BUILD)/,$(GUEST_OBJS)) $(GUEST_LDS)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(addprefix $(BUILD)/,$(GUEST_OBJS))

$(BUILD)/guest/guest.img: $(BUILD)/guest/guest.elf
	$(ARM64_OBJCOPY) -O binary $< $@

$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/guest/%.o: guest/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

# Unit tests: cmocka, no /dev/kvm needed.
$(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librasvm.a -lcmocka $(LDLIBS)

# The device-tree tests read the tree back with libfdt (the shared library: the static
# archive is not needed and is not always installed for the host).
$(BUILD)/tests/unit/test_fdt $(BUILD)/tests/unit/test_arm64_firmware: $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librasvm.a -l:libfdt.so.1 -lcmocka $(LDLIBS)
# The Linux loader's test reads its inputs from tests/golden/linux.
$(BUILD)/tests/unit/test_linux_boot: CFLAGS += -DSRCDIR='"$(CURDIR)"'

# The CPER test also builds the guest's independent reader for the host.
$(BUILD)/tests/unit/test_cper: tests/unit/test_cper.c guest/lib/cper.c $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iguest/lib -o $@ $< guest/lib/cper.c $(BUILD)/librasvm.a -lcmocka $(LDLIBS)

unit: $(UNIT_BINS)

# The normal run, then the ASan/UBSan and TSan runs (tests/run), each tree built first.
ifeq ($(SAN),)
test: $(BUILD)/rasvm unit
	$(MAKE) SAN=asan all unit
	$(MAKE) SAN=tsan all unit
	BUILD=$(BUILD) tests/run
else
test: $(BUILD)/rasvm unit
	RUNS=$(SAN) tests/run
endif

# libFuzzer targets (tests/fuzz/), with ASan and UBSan: the parsers of untrusted input, built
# from source with clang. `make fuzz` runs each to FUZZ_RUNS executions from the committed
# seeds (tests/fuzz/seeds/); tests/cli/fuzz.sh runs them for seconds (docs/testing.md).
FUZZ_CC      ?= clang
FUZZ_RUNS    ?= 1000000
FUZZ_TARGETS := config cper elf linux qmp snapshot
FUZZ_SRCS    := $(wildcard src/acpi/*.c) src/config.c src/kvm/mem.c $(wildcard src/loader/*.c) \
	src/ras/policy.c guest/lib/cper.c
FUZZ_FLAGS   := -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wno-gnu-variable-sized-type-not-at-end -Iinclude -Isrc -Iguest/lib
FUZZ_LIBS    := -lz -llzma -lzstd -llz4 -lbz2 -llzo2
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_DEPS    := $(wildcard include/*/*.h src/*.h src/*/*.h guest/lib/*.h)

# The Linux loader's target decompresses with smaller memory limits than rasvm (4 MiB lzma
# and xz dictionaries, 4 MiB zstd windows, 1 MiB lz4 blocks, instead of 256, 128 and 8):
# ASan poisons every fresh large allocation's shadow, and with the real limits each
# execution of a mutated bzImage cost up to 16 MiB of shadow page faults (170-550
# executions/s for zstd and lzma). The seeds with small dictionaries (*-small) pass them.
FUZZ_LINUX_LIMITS := -DLZMA_MEMLIMIT='(4ULL << 20)' -DZSTD_WINDOW_LOG_MAX=22 \
	-DLZ4_LEGACY_BLOCK='(1u << 20)'
$(BUILD)/fuzz/fuzz_linux: FUZZ_FLAGS += $(FUZZ_LINUX_LIMITS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_LIBS)

# The protocol code is built with the sanitizers; the command table (and what its handlers
# call) comes from this tree's library.
FUZZ_QMP_SRCS := src/ctl/protocol.c src/ctl/base64.c src/ctl/hmp.c
$(BUILD)/fuzz/fuzz_qmp: tests/fuzz/fuzz_qmp.c $(FUZZ_SRCS) $(FUZZ_DEPS) $(FUZZ_QMP_SRCS) \
		$(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_QMP_SRCS) \
		$(BUILD)/librasvm.a -ljansson -lpthread $(FUZZ_LIBS)

# The snapshot reader (a stream's header and every section's loader, on an offline VM) is
# built with the sanitizers; the RAS core and the rest come from this tree's library. Its
# seeds are written fresh by gen_snapshot_seeds (tests/fuzz/run), so they follow the format.
FUZZ_STATE_SRCS := src/state/stream.c src/state/header.c src/state/load.c src/state/ram.c \
	src/state/offline.c src/state/crc32c.c src/state/machine.c src/ras/ras_state.c \
	src/kvm/x86/cpu_state.c src/dev/serial.c
$(BUILD)/fuzz/fuzz_snapshot: tests/fuzz/fuzz_snapshot.c $(FUZZ_SRCS) $(FUZZ_DEPS) \
		$(FUZZ_STATE_SRCS) $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -o $@ $< $(FUZZ_SRCS) \
		$(FUZZ_STATE_SRCS) $(BUILD)/librasvm.a -ljansson -lpthread $(FUZZ_LIBS)
$(BUILD)/fuzz/gen_snapshot_seeds: tests/fuzz/gen_snapshot_seeds.c $(FUZZ_DEPS) $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o $@ $< $(BUILD)/librasvm.a \
		-ljansson -lpthread $(FUZZ_LIBS)

fuzzers: $(FUZZ_BINS) $(BUILD)/fuzz/gen_snapshot_seeds $(BUILD)/guest/guest.elf

fuzz: fuzzers
	BUILD=$(BUILD) FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run

$(BUILD)/bench/%: bench/%.c $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librasvm.a $(LDLIBS)

bench: $(BUILD)/rasvm $(BUILD)/bench/startup $(BUILD)/bench/cper
	BUILD=$(BUILD) bench/run

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
