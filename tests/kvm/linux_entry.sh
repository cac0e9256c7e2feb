# Verifies the entry states a Linux kernel gets, on this host's KVM, with a stand-in kernel
# built here (a vmlinux-like ELF: text linked at __START_KERNEL_map, loaded at 16 MiB, with a
# Linux note and a PVH note) that checks what boot.rst's 64-bit protocol and the PVH ABI
# promise and powers off with a code saying so: CS 0x10, DS/SS 0x18, paging on and RSI = the
# zero page ("HdrS", type_of_loader 0xff, the command line) for --boot 64 (42, or 99 to have
# rasvm report every vCPU); CS 0x08, CR0.PG
# off and EBX = an hvm_start_info (magic, the same command line) for --boot pvh; only vCPU 0
# runs while the others wait for INIT/SIPI; the same kernel inside a bzImage with an lz4
# payload boots the same way.
. "$(dirname "$0")/../lib.sh"
require_kvm
command -v cc >/dev/null || { echo "# skip: no C compiler for the stand-in kernel"; exit 77; }

cat >"$TMP/k.S" <<'EOF'
#define POWER 0x534
#define MAP 0xffffffff80000000
	.section .note.kernel, "a"
	.balign 4
	.long 6, 4, 0x100		/* "Linux", build salt */
	.asciz "Linux"
	.balign 4
	.long 0
	.long 4, 8, 18			/* "Xen", XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_start - MAP

	.text
	.code64
	.globl startup_64
startup_64:
	mov $POWER, %dx
	mov $10, %al
	mov %cs, %cx
	cmp $0x10, %cx
	jne 1f
	inc %al
	mov %ds, %cx
	cmp $0x18, %cx
	jne 1f
	inc %al
	mov %ss, %cx
	cmp $0x18, %cx
	jne 1f
	inc %al
	cmp $0xa000, %rsi
	jne 1f
	inc %al
	cmpl $0x53726448, 0x202(%rsi)	/* "HdrS" */
	jne 1f
	inc %al
	cmpb $0xff, 0x210(%rsi)		/* type_of_loader */
	jne 1f
	inc %al
	mov %cr0, %rcx
	bt $31, %rcx			/* paging on */
	jnc 1f
	inc %al
	mov 0x228(%rsi), %ecx		/* cmd_line_ptr */
	mov (%rcx), %ecx
	mov $42, %al
	cmp $0x736e6f63, %ecx		/* "cons...": all is well */
	je 1f
	mov $99, %al			/* "repo...": an exit code rasvm reports vCPUs for */
	cmp $0x6f706572, %ecx
	je 1f
	mov $17, %al
1:	out %al, %dx
	cli
2:	hlt
	jmp 2b

	.code32
pvh_start:
	mov $POWER, %dx
	mov $20, %al
	mov %cs, %cx
	cmp $0x08, %cx
	jne 1f
	inc %al
	mov %cr0, %ecx
	bt $31, %ecx			/* paging off */
	jc 1f
	inc %al
	cmp $0xb000, %ebx
	jne 1f
	inc %al
	cmpl $0x336ec578, (%ebx)	/* XEN_HVM_START_MAGIC_VALUE */
	jne 1f
	inc %al
	mov 24(%ebx), %ecx		/* cmdline_paddr */
	cmpl $0x736e6f63, (%ecx)
	jne 1f
	mov $43, %al
1:	out %al, %dx
	cli
2:	hlt
	jmp 2b
EOF
cat >"$TMP/k.ld" <<'EOF'
ENTRY(phys_startup_64)
PHDRS { text PT_LOAD FLAGS(5); note PT_NOTE FLAGS(4); }
SECTIONS {
	. = 0xffffffff81000000;
	.text : AT(0x1000000) { *(.text) } :text
	.note : { *(.note.kernel) } :text :note
	phys_startup_64 = startup_64 - 0xffffffff80000000;
	/DISCARD/ : { *(.note.gnu.*) *(.comment) *(.eh_frame) }
}
EOF
if ! cc -c -o "$TMP/k.o" "$TMP/k.S" 2>"$TMP/cc" ||
	! cc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
		-T "$TMP/k.ld" -o "$TMP/vmlinux" "$TMP/k.o" 2>>"$TMP/cc"; then
	not_ok "the stand-in kernel builds"
	sed 's/^/#   /' "$TMP/cc"
	finish
fi

# The same ELF as a bzImage payload, compressed by lz4's legacy format (`lz4 -l`).
have_lz4=0
if command -v lz4 >/dev/null && lz4 -l -9 -q -c "$TMP/vmlinux" >"$TMP/payload" 2>/dev/null; then
	have_lz4=1
	python3 - "$TMP/payload" "$TMP/bzImage" <<'PY'
import struct, sys
payload = open(sys.argv[1], "rb").read()
sys_code = b"\0" * 0x100 + payload
sys_code += b"\0" * (-len(sys_code) % 16)
img = bytearray(5 * 512) + sys_code
struct.pack_into("<B", img, 0x1f1, 4)
struct.pack_into("<I", img, 0x1f4, len(sys_code) // 16)
struct.pack_into("<H", img, 0x1fe, 0xaa55)
struct.pack_into("<BB", img, 0x200, 0xeb, 0x26c - 0x202)
img[0x202:0x206] = b"HdrS"
struct.pack_into("<H", img, 0x206, 0x020f)
struct.pack_into("<B", img, 0x211, 0x01)
struct.pack_into("<I", img, 0x22c, 0x7fffffff)
struct.pack_into("<IBBH", img, 0x230, 0x200000, 1, 21, 0x3)
struct.pack_into("<I", img, 0x238, 2047)
struct.pack_into("<II", img, 0x248, 0x100, len(payload))
struct.pack_into("<Q", img, 0x258, 0x1000000)
struct.pack_into("<I", img, 0x260, 0x400000)
open(sys.argv[2], "wb").write(img)
PY
fi

cmdline="console=ttyS0 quiet"
for cpus in 1 3; do
	run_rasvm run --kernel "$TMP/vmlinux" --cmdline "$cmdline" --cpus $cpus -v
	expect_rc "64-bit entry, $cpus vCPU(s)" 42
	expect_has "64-bit entry, $cpus vCPU(s)" err "loaded Linux vmlinux, entry 0x1000000"
	run_rasvm run --kernel "$TMP/vmlinux" --cmdline "$cmdline" --boot pvh --cpus $cpus
	expect_rc "PVH entry, $cpus vCPU(s)" 43
done
# vCPU 0 alone ran: the others are still in KVM's reset state, waiting for INIT/SIPI.
run_rasvm run --kernel "$TMP/vmlinux" --cmdline "report" --cpus 3
expect_rc "application processors wait" 83
expect_has "application processors wait" err "vcpu 1: rip 0xfff0"
expect_has "application processors wait" err "vcpu 2: rip 0xfff0"
if grep -q "vcpu [12]: .*uninitialized$" "$TMP/err" && [ "$(grep -c "uninitialized$" "$TMP/err")" = 2 ]
then ok "application processors wait: both uninitialized"
else not_ok "application processors wait: not both uninitialized"; sed 's/^/#   /' "$TMP/err"; fi
if [ $have_lz4 = 1 ]; then
	run_rasvm run --kernel "$TMP/bzImage" --cmdline "$cmdline" -v
	expect_rc "bzImage, 64-bit entry" 42
	expect_has "bzImage, 64-bit entry" err "loaded Linux bzImage (lz4 payload)"
	run_rasvm run --kernel "$TMP/bzImage" --cmdline "$cmdline" --boot pvh
	expect_rc "bzImage, PVH entry" 43
else
	echo "# skip: no lz4 command for the bzImage"
fi
finish
