# rasvm: `make` builds build/rasvm; `make test` runs every test; `make bench` prints figures.
# Out of tree (build/), dependencies from -MMD, warnings are errors (WERROR=0 to relax).

BUILD   ?= build
CC      ?= cc
WERROR  ?= 1
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

WARN    := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc -MMD -MP
# The decompressors read bzImage payloads (src/loader/decompress.c).
LDLIBS  += -ljansson -lpthread -lz -llzma -lzstd -llz4 -lbz2 -llzo2

# The VMM, one object per line.
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
	src/host/check.o \
	src/kvm/kvm.o \
	src/kvm/mem.o \
	src/kvm/vcpu.o \
	src/kvm/x86/cpu.o \
	src/kvm/x86/insn.o \
	src/kvm/x86/machine.o \
	src/kvm/x86/probe.o \
	src/kvm/x86/ras_ops.o \
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
	src/vm.o

# The freestanding test guest (guest/), linked at 1 MiB and embedded into rasvm.
GUEST_OBJS := \
	guest/start.o \
	guest/main.o \
	guest/hostile.o \
	guest/lib/acpi.o \
	guest/lib/cper.o \
	guest/lib/cpu.o \
	guest/lib/hest.o \
	guest/lib/multiboot.o \
	guest/lib/print.o \
	guest/lib/ras.o \
	guest/lib/string.o \
	guest/lib/task.o \
	guest/lib/ucall.o
GUEST_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-stack-protector \
	-fno-asynchronous-unwind-tables -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -Iguest -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -T guest/link.ld

# The firmware library the arm64 VMM will link: tables, HEST, CPER, device tree, EFI tables
# and the machine's composition. There is no arm64 binary yet; `make arm64-fw` builds this
# with the cross compiler and the same warnings, so arm64 breakage shows up now.
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_AR ?= aarch64-linux-gnu-ar
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

UNIT_TESTS := acpi arm64_firmware bootinfo config cper e820 efi elf fdt hest layout layout_arm64 linux_boot qmp qmp_compat ras ras_core sigbus
UNIT_BINS  := $(addprefix $(BUILD)/tests/unit/test_,$(UNIT_TESTS))

.PHONY: all test unit bench clean arm64-fw
all: $(BUILD)/rasvm

# Linked statically: the shared libc alone kept about 1 MiB resident; rasvm needs 1.1 MiB in all.
$(BUILD)/rasvm: $(addprefix $(BUILD)/,$(filter-out src/main.o,$(VMM_OBJS)) src/main.o)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LDLIBS)

$(BUILD)/librasvm.a: $(addprefix $(BUILD)/,$(VMM_OBJS))
	rm -f $@ && ar rcs $@ $^

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DRASVM_VERSION='"$(VERSION)"' -c -o $@ $<

arm64-fw: $(BUILD)/arm64/librasvm-fw.a

$(BUILD)/arm64/librasvm-fw.a: $(addprefix $(BUILD)/arm64/,$(ARM64_FW_OBJS))
	rm -f $@ && $(ARM64_AR) rcs $@ $^

$(BUILD)/arm64/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(ARM64_CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/guest_image.o: src/guest_image.S $(BUILD)/guest/guest.elf
	@mkdir -p $(@D)
	$(CC) -c -DGUEST_ELF=$(BUILD)/guest/guest.elf -o $@ $<

$(BUILD)/guest/guest.elf: $(addprefix $(BUILD)/,$(GUEST_OBJS)) guest/link.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(addprefix $(BUILD)/,$(GUEST_OBJS))

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
