# rasvm: `make` builds build/rasvm; `make test` runs every test; `make bench` prints figures.
# Out of tree (build/), dependencies from -MMD, warnings are errors (WERROR=0 to relax).
# `make ARCH=arm64` cross-builds the arm64 rasvm, static, with Debian's aarch64-linux-gnu-gcc
# and the arm64 multiarch libraries, into build/arm64/rasvm (docs/arm64.md).

ARCH    ?= x86_64
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_AR ?= aarch64-linux-gnu-ar
ARM64_OBJCOPY ?= aarch64-linux-gnu-objcopy
ifeq ($(ARCH),arm64)
BUILD   ?= build/arm64
CC      := $(ARM64_CC)
AR      := $(ARM64_AR)
else ifeq ($(ARCH),x86_64)
BUILD   ?= build
CC      ?= cc
AR      := ar
else
$(error ARCH=$(ARCH): use x86_64 or arm64)
endif
WERROR  ?= 1
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

WARN    := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc -MMD -MP
# The decompressors read bzImage payloads (src/loader/decompress.c).
LDLIBS  += -ljansson -lpthread -lz -llzma -lzstd -llz4 -lbz2 -llzo2

# The machine (src/kvm/arch.h): one architecture's half, one object per line.
X86_OBJS := \
	src/kvm/x86/check.o \
	src/kvm/x86/cpu.o \
	src/kvm/x86/machine.o \
	src/kvm/x86/ras_ops.o \
	src/kvm/x86/regs.o
ARM64_OBJS := \
	src/kvm/arm64/check.o \
	src/kvm/arm64/devices.o \
	src/kvm/arm64/machine.o \
	src/kvm/arm64/ras_ops.o
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
	src/guest_image.o \
	src/kvm/kvm.o \
	src/kvm/mem.o \
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
	src/ras/sigbus.o \
	src/ras/sim.o \
	src/stats.o \
	src/vm.o \
	$(ARCH_OBJS)


# The freestanding test guest (guest/), linked at 1 MiB and embedded into rasvm; on arm64
# guest/arm64/, an arm64 Image linked where rasvm loads one (layout_arm64.h), sharing the CPER
# reader, HEST walker, string and format code of guest/lib/.
X86_GUEST_OBJS := \
	guest/start.o \
	guest/main.o \
	guest/hostile.o \
	guest/lib/acpi.o \
	guest/lib/cper.o \
	guest/lib/cpu.o \
	guest/lib/hest.o \
	guest/lib/format.o \
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
	guest/lib/cper.o \
	guest/lib/format.o \
	guest/lib/hest.o \
	guest/lib/string.o
GUEST_COMMON_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -fno-pic \
	-fno-pie -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude -MMD -MP
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

UNIT_TESTS := acpi arm64_firmware arm64_image bootinfo config cper e820 efi elf fdt hest layout layout_arm64 linux_boot qmp qmp_compat ras ras_core sigbus
UNIT_BINS  := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

.PHONY: all test unit bench clean arm64-fw
all: $(BUILD)/rasvm

# Linked statically: the shared libc alone kept about 1 MiB resident; rasvm needs 1.1 MiB in all.
$(BUILD)/rasvm: $(addprefix $(BUILD)/,$(filter-out src/main.o,$(VMM_OBJS)) src/main.o)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LDLIBS)

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
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(addprefix $(BUILD)/,$(GUEST_OBJS))

$(BUILD)/guest/guest.img: $(BUILD)/guest/guest.elf
	$(ARM64_OBJCOPY) -O binary $< $@

$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/guest/%.o: guest/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

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

test: $(BUILD)/rasvm unit
	BUILD=$(BUILD) tests/run

$(BUILD)/bench/%: bench/%.c $(BUILD)/librasvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librasvm.a $(LDLIBS)

bench: $(BUILD)/rasvm $(BUILD)/bench/startup $(BUILD)/bench/cper
	BUILD=$(BUILD) bench/run

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
