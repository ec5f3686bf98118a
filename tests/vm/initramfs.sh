#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the VM's initramfs.
#   initramfs.sh OUT.cpio KERNELDIR MODULE.ko TESTDIR|- GUESTSCRIPT|- EXTRADIR|- CONF
#
# Contents: busybox (applets linked in /bin), kmod as /sbin/modprobe & co so
# the kernel's request_module() finds a real modprobe (busybox --install
# puts applets in /bin only), the Debian kernel's crypto and library
# modules with a fresh modules.dep, gmrk.ko under extra/, the test
# programs with every shared library ldd reports, and tests/vm/init as
# /init. Uncompressed: the cpio is built and unpacked faster than it could
# be compressed, and it lives in RAM either way.
set -euo pipefail

out=$1 kdir=$2 module=$3 tests=$4 script=$5 extra=$6 conf=$7
here=$(cd "$(dirname "$0")" && pwd)
kver=$(ls "$kdir/lib/modules")
root=$(mktemp -d "${out%/*}/.root.XXXXXX")
trap 'rm -rf "$root"' EXIT
# mktemp makes 0700; the guest's / must be usable by unprivileged tests.
chmod 0755 "$root"

mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,tests,extra,lib64} \
	"$root/lib/x86_64-linux-gnu" "$root/usr/lib/x86_64-linux-gnu"
ln -s bin "$root/usr/bin"
ln -s sbin "$root/usr/sbin"

# Copy a file and every shared library it needs, at their host paths.
declare -A copied=()
copy_with_libs() {
	local f=$1 dest=${2:-$1} lib
	install -D -m 0755 "$f" "$root$dest"
	while read -r lib; do
		[ -n "$lib" ] || continue
		[ -n "${copied[$lib]:-}" ] && continue
		copied[$lib]=1
		local real
		real=$(readlink -f "$lib")
		install -D -m 0755 "$real" "$root$lib"
	done < <(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
}

busybox=$(command -v busybox)
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

copy_with_libs "$(command -v kmod)" /sbin/kmod
for t in modprobe insmod rmmod lsmod modinfo depmod; do
	rm -f "$root/bin/$t"
	ln -sf kmod "$root/sbin/$t"
done

# Kernel modules: crypto, its x86 implementations and the libraries they use.
mdir=$kdir/lib/modules/$kver
mkdir -p "$root/lib/modules/$kver/extra"
cp "$mdir"/modules.builtin* "$mdir"/modules.order "$root/lib/modules/$kver/"
for sub in kernel/crypto kernel/arch/x86/crypto kernel/lib; do
	mkdir -p "$root/lib/modules/$kver/$sub"
	cp -a "$mdir/$sub/." "$root/lib/modules/$kver/$sub/"
done
if [ "$module" != - ]; then
	install -m 0644 "$module" "$root/lib/modules/$kver/extra/gmrk.ko"
fi
depmod -b "$root" "$kver"

# Test programs, their libraries, and OpenSSL's libcrypto for differential
# tests that load it at run time.
if [ "$tests" != - ] && [ -d "$tests" ]; then
	for t in "$tests"/*; do
		[ -f "$t" ] || continue
		if [ -x "$t" ]; then
			copy_with_libs "$t" "/tests/$(basename "$t")"
		else
			install -m 0644 "$t" "$root/tests/$(basename "$t")"
		fi
	done
fi
for lib in /lib/x86_64-linux-gnu/libcrypto.so.3 /lib/x86_64-linux-gnu/libssl.so.3; do
	[ -f "$lib" ] && copy_with_libs "$lib"
done
# Programs the guest scripts and tests use beyond busybox.
for prog in ${GMRK_VM_PROGS:-}; do
	copy_with_libs "$(command -v "$prog")" "/bin/$(basename "$prog")"
done
if [ "$extra" != - ] && [ -d "$extra" ]; then
	cp -a "$extra/." "$root/extra/"
	# Binaries in extra bring their libraries too.
	while read -r f; do
		copy_with_libs "$f" "/extra/${f#"$extra"/}"
	done < <(find "$extra" -type f -perm -u+x)
fi
[ "$script" != - ] && install -m 0755 "$script" "$root/guest-script"

install -m 0755 "$here/init" "$root/init"
install -m 0644 "$conf" "$root/etc/gmrk-vm.conf"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"

(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
