# Verifies the command line without /dev/kvm: help and version, and that every bad option,
# kernel or initrd file or command line gets one clear message and its documented exit code
# (64 usage, 65 bad kernel, initrd or command line, 66 unreadable file) before any VM exists.
. "$(dirname "$0")/../lib.sh"

run_rasvm --help
expect_rc "--help" 0
expect_has "--help" out "check-host"
run_rasvm run --help
expect_rc "run --help" 0
expect_has "run --help" out "--serial MODE"
expect_has "run --help" out "82 guest assertion failed"
run_rasvm check-host --help
expect_has "check-host --help" out "--json"
run_rasvm --version
expect_rc "--version" 0
expect_has "--version" out "rasvm "

run_rasvm
expect_rc "no command" 64
expect_has "no command" err "no command given"
run_rasvm launch
expect_rc "unknown command" 64
expect_has "unknown command" err "unknown command 'launch'"
run_rasvm run --turbo
expect_rc "unknown option" 64
expect_has "unknown option" err "unknown option '--turbo'"
run_rasvm run --cpus 0
expect_rc "--cpus 0" 64
expect_has "--cpus 0" err "at least one vCPU"
run_rasvm run --cpus 300
expect_rc "--cpus 300" 64
expect_has "--cpus 300" err "at most 254"
run_rasvm run --memory lots
expect_rc "--memory lots" 64
expect_has "--memory lots" err "is not a size"
run_rasvm run --memory 2M
expect_rc "--memory 2M" 64
expect_has "--memory 2M" err "too small"
run_rasvm run --memory 64T
expect_rc "--memory 64T" 64
expect_has "--memory 64T" err "more than this host's"
run_rasvm run --serial tty
expect_rc "--serial tty" 64

# Kernel files. Nothing here may leave a core file behind.
run_rasvm run --kernel "$TMP/missing.elf"
expect_rc "missing kernel" 66
expect_has "missing kernel" err "cannot open: No such file or directory"
run_rasvm run --kernel "$TMP"
expect_rc "directory as kernel" 66
expect_has "directory as kernel" err "not a regular file"
: >"$TMP/empty.elf"
run_rasvm run --kernel "$TMP/empty.elf"
expect_rc "empty kernel" 65
expect_has "empty kernel" err "empty"

# Variants of the real test guest, each broken in one way.
python3 - "$BUILD/guest/guest.elf" "$TMP" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
img = bytearray(open(src, "rb").read())
def save(name, data): open(f"{out}/{name}.elf", "wb").write(data)
save("truncated", img[:200])                        # program headers cut off
save("text", b"hello, this is not an ELF file\n" * 4)
b = bytearray(img); b[4] = 1; save("elf32", b)      # ELFCLASS32
b = bytearray(img); struct.pack_into("<H", b, 18, 183); save("aarch64", b)  # EM_AARCH64
phoff = struct.unpack_from("<Q", img, 32)[0]
def with_paddr(addr):
    b = bytearray(img)
    struct.pack_into("<QQ", b, phoff + 16, addr, addr)  # first segment's p_vaddr, p_paddr
    struct.pack_into("<Q", b, 24, addr)                 # entry
    return b
save("outside-ram", with_paddr(0x40000000))             # 1 GiB, guest has 128 MiB
save("on-tables", with_paddr(0xe0000))                  # over the ACPI tables
filesz_at = phoff + 56 + 32                             # second segment's p_filesz
b = bytearray(img); struct.pack_into("<Q", b, filesz_at, len(img)); save("past-eof", b)
PY
for case in "truncated:truncated file" "text:bad magic" "elf32:ELFCLASS64" \
	"aarch64:EM_X86_64" "outside-ram:outside guest RAM" "on-tables:ACPI tables" \
	"past-eof:beyond the end of the file"; do
	name=${case%%:*} why=${case#*:}
	run_rasvm run --kernel "$TMP/$name.elf"
	expect_rc "kernel $name" 65
	expect_has "kernel $name" err "$why"
done

# Linux kernels: options, initrd files, command lines, bzImages broken in one way each.
seeds=$ROOT/tests/fuzz/seeds/linux
run_rasvm run --initrd "$TMP/initrd.cpio"
expect_rc "--initrd without --kernel" 64
expect_has "--initrd without --kernel" err "--initrd is for a Linux kernel"
run_rasvm run --cmdline quiet
expect_rc "--cmdline without --kernel" 64
run_rasvm run --kernel "$seeds/bzimage-gz" --boot 32
expect_rc "--boot 32" 64
expect_has "--boot 32" err "use 64 or pvh"
run_rasvm run --kernel "$seeds/bzimage-gz" --initrd "$TMP/missing.cpio"
expect_rc "missing initrd" 66
expect_has "missing initrd" err "--initrd $TMP/missing.cpio: cannot open"
: >"$TMP/empty.cpio"
run_rasvm run --kernel "$seeds/bzimage-gz" --initrd "$TMP/empty.cpio"
expect_rc "empty initrd" 65
expect_has "empty initrd" err "empty"
run_rasvm run --kernel "$seeds/bzimage-xz" --cmdline "$(printf '%2048s' x)"
expect_rc "command line too long" 65
expect_has "command line too long" err "this kernel takes at most 2047"
run_rasvm run --kernel "$BUILD/guest/guest.elf" --cmdline quiet
expect_rc "--cmdline for a rasvm guest" 65
expect_has "--cmdline for a rasvm guest" err "is for Linux kernels"
gzip -c "$BUILD/guest/guest.elf" >"$TMP/guest.elf.gz"
run_rasvm run --kernel "$TMP/guest.elf.gz"
expect_rc "gzip file as kernel" 65
expect_has "gzip file as kernel" err "a gzip-compressed file, not a kernel"
python3 - "$seeds/bzimage-lz4" "$TMP" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
img = bytearray(open(src, "rb").read())
def save(name, data): open(f"{out}/{name}.bzImage", "wb").write(data)
b = bytearray(img); struct.pack_into("<H", b, 0x206, 0x020b); save("old", b)
b = bytearray(img); struct.pack_into("<H", b, 0x236, 0); save("32bit", b)
payload = 5 * 512 + struct.unpack_from("<I", img, 0x248)[0]
b = bytearray(img); b[payload:payload + 4] = b"LZMB"; save("unknown", b)
plen = struct.unpack_from("<I", img, 0x24c)[0]
b = bytearray(img); struct.pack_into("<I", b, 0x24c, plen // 2); save("cut", b)
b = bytearray(img); struct.pack_into("<I", b, 0x260, 4096); save("small-init", b)
save("truncated", img[:len(img) - 100])
PY
for case in "old:older than 2.12" "32bit:not a 64-bit kernel" "unknown:compression unknown" \
	"cut:lz4 payload is truncated" "small-init:decompresses to more than 4096 bytes" \
	"truncated:truncated file"; do
	name=${case%%:*} why=${case#*:}
	run_rasvm run --kernel "$TMP/$name.bzImage"
	expect_rc "bzImage $name" 65
	expect_has "bzImage $name" err "$why"
done
if ls "$TMP"/core* >/dev/null 2>&1; then not_ok "a core file was left"; else ok "no core file"; fi
finish
