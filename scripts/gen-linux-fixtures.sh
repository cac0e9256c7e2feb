#!/usr/bin/env bash
# Writes the Linux loader's test inputs with the compressors' own command-line tools, as the
# kernel build runs them (scripts/Makefile.lib: cmd_gzip, cmd_*_with_size), so that rasvm's
# decompressor is checked against independent encoders:
#   tests/golden/linux/vmlinux.{gz,bz2,lzma,xz,lzo,lz4,zst}  a vmlinux-like ELF, compressed
#   tests/fuzz/seeds/linux/*                                  small vmlinux and bzImages; the
#     *-small ones with the small dictionaries and windows the fuzz build's limits accept
#     (Makefile, FUZZ_LINUX_LIMITS)
# The ELF (tests/unit/test_linux_boot.c knows its layout; nothing is Linux code):
#   PT_LOAD text   paddr 0x1000000, vaddr 0xffffffff81000000, 0x3000 bytes, R X,
#                  byte i = (i * 7 + 3) & 0xff; e_entry 0x1000000 (startup_64)
#   PT_LOAD data   paddr 0x1003000, 0x880000 bytes in the file (zero but for "DATA" at its
#                  start and "END!" at its end: 8.5 MiB, more than one lz4 or lzop block),
#                  then 0x10000 bytes of bss, R W
#   PT_LOAD percpu paddr 0x1893000, vaddr 0 (as Linux's .data..percpu), 0x1000 bytes of 0x5a
#   PT_NOTE        "Linux" 0x100 (build salt), "Xen" 18 (XEN_ELFNOTE_PHYS32_ENTRY) = 0x1000100
# Run after changing the layout:  scripts/gen-linux-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=tests/golden/linux seeds=tests/fuzz/seeds/linux
mkdir -p "$out" "$seeds"

python3 - "$tmp" <<'PY'
import struct, sys
tmp = sys.argv[1]

def note(owner, ntype, desc):
    name = owner.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)

def elf(data_size, bss):
    notes = note("Linux", 0x100, b"salt\0") + note("Xen", 18, struct.pack("<Q", 0x1000100))
    text = bytes((i * 7 + 3) & 0xff for i in range(0x3000))
    data = bytearray(data_size)
    data[0:4] = b"DATA"
    data[-4:] = b"END!"
    percpu = b"\x5a" * 0x1000
    phnum = 4
    notes_off = 64 + 56 * phnum
    text_off = 0x1000
    data_off = text_off + len(text)
    percpu_off = data_off + len(data)
    def ph(ptype, flags, off, vaddr, paddr, filesz, memsz, align):
        return struct.pack("<IIQQQQQQ", ptype, flags, off, vaddr, paddr, filesz, memsz, align)
    K = 0xffffffff80000000
    phdrs = (ph(1, 5, text_off, K + 0x1000000, 0x1000000, len(text), len(text), 0x1000)
             + ph(1, 6, data_off, K + 0x1003000, 0x1003000, len(data), len(data) + bss, 0x1000)
             + ph(1, 6, percpu_off, 0, 0x1003000 + len(data) + bss, len(percpu), len(percpu), 0x1000)
             + ph(4, 4, notes_off, 0, 0, len(notes), len(notes), 4))
    ehdr = (b"\x7fELF\x02\x01\x01" + b"\0" * 9
            + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x1000000, 64, 0, 0, 64, 56, phnum, 0, 0, 0))
    head = ehdr + phdrs + notes
    return head + b"\0" * (text_off - len(head)) + text + bytes(data) + percpu

open(f"{tmp}/vmlinux.bin", "wb").write(elf(0x880000, 0x10000))
open(f"{tmp}/small.bin", "wb").write(elf(0x100, 0x100))
PY

# The kernel build's size_append: the uncompressed size, 32-bit little-endian.
size_append() { python3 -c 'import os, struct, sys; sys.stdout.buffer.write(struct.pack("<I", os.path.getsize(sys.argv[1])))' "$1"; }
compress() { # FORMAT IN: the compressed stream on stdout, with the size appended but for gzip
	case $1 in
	gz) gzip -n -f -9 <"$2" ;;
	bz2) bzip2 -9 <"$2"; size_append "$2" ;;
	lzma) lzma -9 <"$2"; size_append "$2" ;;
	xz) xz --check=crc32 --x86 --lzma2=,dict=32MiB <"$2"; size_append "$2" ;;
	lzo) lzop -9 <"$2"; size_append "$2" ;;
	lz4) lz4 -l -9 - - <"$2"; size_append "$2" ;;
	zst) zstd -q -22 --ultra <"$2"; size_append "$2" ;;
	lzma-small) lzma -1 <"$2"; size_append "$2" ;;                           # 1 MiB dictionary
	xz-small) xz --check=crc32 --x86 --lzma2=,dict=1MiB <"$2"; size_append "$2" ;;
	zst-small) zstd -q -3 <"$2"; size_append "$2" ;;                         # 2 MiB window
	esac
}
for f in gz bz2 lzma xz lzo lz4 zst; do
	compress $f "$tmp/vmlinux.bin" >"$out/vmlinux.$f"
done

# Fuzz seeds: the small ELF as it is, and wrapped in a bzImage (protocol 2.15) per format.
cp "$tmp/small.bin" "$seeds/vmlinux"
for f in gz lz4 xz zst lzo bz2 lzma xz-small lzma-small zst-small; do
	compress $f "$tmp/small.bin" >"$tmp/payload"
	python3 - "$tmp/payload" "$seeds/bzimage-$f" <<'PY'
import struct, sys
payload = open(sys.argv[1], "rb").read()
setup = 5 * 512                      # the boot sector and setup_sects = 4
sys_code = b"\0" * 0x100 + payload   # the payload after 0x100 bytes of "decompressor"
sys_code += b"\0" * (-len(sys_code) % 16)
img = bytearray(setup) + sys_code
struct.pack_into("<B", img, 0x1f1, 4)                          # setup_sects
struct.pack_into("<I", img, 0x1f4, len(sys_code) // 16)        # syssize
struct.pack_into("<H", img, 0x1fe, 0xaa55)                     # boot_flag
struct.pack_into("<BB", img, 0x200, 0xeb, 0x26c - 0x202)       # jump: header ends at 0x26c
img[0x202:0x206] = b"HdrS"
struct.pack_into("<H", img, 0x206, 0x020f)                     # version 2.15
struct.pack_into("<B", img, 0x211, 0x01)                       # loadflags: LOADED_HIGH
struct.pack_into("<I", img, 0x22c, 0x7fffffff)                 # initrd_addr_max
struct.pack_into("<IBBH", img, 0x230, 0x200000, 1, 21, 0x3)    # alignment, relocatable, min, xloadflags
struct.pack_into("<I", img, 0x238, 2047)                       # cmdline_size
struct.pack_into("<II", img, 0x248, 0x100, len(payload))       # payload_offset, payload_length
struct.pack_into("<Q", img, 0x258, 0x1000000)                  # pref_address
struct.pack_into("<I", img, 0x260, 0x100000)                   # init_size
open(sys.argv[2], "wb").write(img)
PY
done
ls -l "$out" "$seeds" | sed 's/^/# /'
