# SPDX-License-Identifier: GPL-2.0
# Shared settings for the scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CXL_DCD_CACHE:-$HOME/.cache/cxl-dcd-rs}
KVER=7.3.4
RUST_LIB_SRC=${RUST_LIB_SRC:-/usr/lib/rustlib/src/rust/library}
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# build_modules NAME KDIR [MAKE ARGS...]: builds our modules and the test fixture (tests/modules)
# against KDIR in a copy of the sources of their own, out/build/NAME (rsync keeps the times, so a
# second build there is incremental). Each kernel, and lint's clippy build, has its own copy:
# switching kernels rebuilds nothing, and the tree itself is left as it is. Builds of one NAME
# take turns: its lock, on fd 8, stays held until fd 8 is closed or the script ends, so that the
# caller copies the .ko files before another build replaces them (call it in the caller's shell,
# not in a command substitution, whose subshell would let the lock go at once).
build_modules() {
	local name=$1 kdir=$2 dir="$TOP/out/build/$1"
	shift 2
	mkdir -p "$dir"
	exec 8>"$dir/.lock"
	flock 8
	# What .gitignore names (objects, the generated bindings of an in-tree build) stays out: a
	# copy of an in-tree build's products would make the build here redo them every time.
	(cd "$TOP" && rsync -aR --exclude-from=.gitignore --exclude target \
		Kbuild include rust tests/modules "$dir/") >&2
	make -s -C "$kdir" M="$dir" LLVM=-19 "$@" modules >"$dir/build.log" 2>&1 &&
		make -s -C "$kdir" M="$dir/tests/modules" LLVM=-19 modules >>"$dir/build.log" 2>&1 &&
		make -s -C "$kdir" M="$dir/tests/modules/translate" LLVM=-19 \
			KBUILD_EXTRA_SYMBOLS="$dir/Module.symvers" modules >>"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; die "module build for $name failed"; }
}

# build_translate NAME KDIR: builds only the cxl_translate fixture (tests/modules/translate) against
# KDIR, in out/build/NAME, for a kernel that takes none of our modules (the reference kernel,
# whose region.c exports what the fixture calls). The lock as build_modules'.
build_translate() {
	local name=$1 kdir=$2 dir="$TOP/out/build/$1"
	mkdir -p "$dir"
	exec 8>"$dir/.lock"
	flock 8
	(cd "$TOP" && rsync -aR --exclude-from=.gitignore tests/modules/translate "$dir/") >&2
	make -s -C "$kdir" M="$dir/tests/modules/translate" LLVM=-19 modules >"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log" >&2; die "cxl_translate build for $name failed"; }
}

# vm_accel: the QEMU accelerator for the test VMs: CXL_VM_ACCEL (kvm or tcg) when set, else kvm
# when this CPU has hardware virtualization (vmx or svm) and a probe VM starts on /dev/kvm, else
# tcg. (A /dev/kvm without vmx/svm, as on hosts running the software kvm_pvm module, starts a VM
# but runs an unmodified kernel's decompressor for many minutes.) The guest CPU is QEMU's default
# model either way: -cpu host fails on some nested hosts (IA32_ARCH_CAPABILITIES cannot be set).
vm_accel() {
	case "${CXL_VM_ACCEL:-}" in
	kvm | tcg) echo "$CXL_VM_ACCEL"; return ;;
	'') ;;
	*) die "CXL_VM_ACCEL is kvm or tcg, not $CXL_VM_ACCEL" ;;
	esac
	if grep -qw -m1 -E 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		{ echo '{"execute":"qmp_capabilities"}'; sleep 1; echo '{"execute":"query-status"}'
		  echo '{"execute":"quit"}'; } |
		timeout 20 qemu-system-x86_64 -accel kvm -machine q35 -m 64M -display none \
			-nodefaults -no-user-config -qmp stdio 2>/dev/null | grep -q '"status": "running"'; then
		echo kvm
	else
		echo tcg
	fi
}

# KSFT: our kselftest target, as it sits in a kernel tree.
KSFT=tools/testing/selftests/drivers/cxl/dcd

# ksft_install DIR: a kselftest_install of our target in DIR (run_kselftest.sh, kselftest/,
# kselftest-list.txt, drivers/cxl/dcd/), made by the kernel's own selftests Makefile: the
# selftests directory of the unpacked 7.3 source, with our target dropped into it, in a tree of
# symbolic links next to DIR (DIR.tree; the cached source stays as unpacked, and VM runs side by
# side each have their own).
ksft_install() {
	local src="$CACHE/src/linux-$KVER" stage="$1.tree" sel
	[ -d "$src/tools/testing/selftests" ] || die "no kernel source in $src (scripts/setup)"
	rm -rf "$stage" "$1"
	sel="$stage/tools/testing/selftests"
	mkdir -p "$sel/drivers/cxl" "$stage/scripts"
	ln -s "$src/scripts/subarch.include" "$stage/scripts/"
	for f in "$src"/tools/testing/selftests/*; do
		[ "${f##*/}" = drivers ] || ln -s "$f" "$sel/"
	done
	cp -r "$TOP/$KSFT" "$sel/drivers/cxl/dcd"
	make -s -C "$sel" TARGETS=drivers/cxl/dcd install INSTALL_PATH="$1" >"$1.log" 2>&1 ||
		{ cat "$1.log" >&2; die "kselftest install failed"; }
}

# ndctl_tests: the directory of ndctl's CXL tests (v81): the unmodified copy in tests/peer of the
# workplace's shared peer suite.
ndctl_tests() { echo "$TOP/tests/peer/ndctl-v81/test"; }
