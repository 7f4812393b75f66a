# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests (busybox sh). Sourced by run-tests.sh and by the test files.
#
# Output is TAP (kselftest style): "ok N - name" / "not ok N - name", diagnostics as "# ...".
# Observations that must be identical on the reference and the project kernel are printed as
# "@@OBS <test>.<key>=<value>"; the host compares them across kernels.

CXL=/sys/bus/cxl/devices
DAX=/sys/bus/dax/devices
KERNEL=$(cat /etc/cxlvm/kernel 2>/dev/null || echo unknown)

TAP_N=${TAP_N:-0}
TAP_FAILED=${TAP_FAILED:-0}
TEST=${TEST:-test}

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $TEST: $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $TEST: $*"
}

diag() { echo "# $*"; }

# check DESCRIPTION COMMAND...: one TAP line for the status of COMMAND.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected '$2', got '$3'"
	fi
}

# obs KEY VALUE: a value the host compares between the two kernels.
obs() { echo "@@OBS $TEST.$1=$2"; }

# obs_file KEY FILE: obs of a sysfs file's content (or <absent>).
obs_file() {
	if [ -e "$2" ]; then obs "$1" "$(cat "$2" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"; else obs "$1" "<absent>"; fi
}

# errno_of MESSAGE: the errno name for a strerror() text from busybox.
errno_of() {
	case "$1" in
	*"Invalid argument"*) echo EINVAL ;;
	*"Device or resource busy"*) echo EBUSY ;;
	*"No such device or address"*) echo ENXIO ;;
	*"No such device"*) echo ENODEV ;;
	*"No such file or directory"*) echo ENOENT ;;
	*"Operation not supported"*|*"Not supported"*) echo EOPNOTSUPP ;;
	*"No space left on device"*) echo ENOSPC ;;
	*"Numerical result out of range"*) echo ERANGE ;;
	*"Operation not permitted"*) echo EPERM ;;
	*"Cannot allocate memory"*) echo ENOMEM ;;
	*"Permission denied"*) echo EACCES ;;
	*"Resource temporarily unavailable"*) echo EAGAIN ;;
	*"Input/output error"*) echo EIO ;;
	*"No such process"*) echo ESRCH ;;
	*"File exists"*) echo EEXIST ;;
	*) echo "UNKNOWN($1)" ;;
	esac
}

# write_errno VALUE FILE: write VALUE to FILE; print OK or the errno name of the failure.
write_errno() {
	msg=$( (printf '%s' "$1" >"$2") 2>&1)
	if [ $? -eq 0 ]; then echo OK; else errno_of "$msg"; fi
}

# sysfs_write VALUE FILE: a write that must succeed (one TAP line).
sysfs_write() {
	r=$(write_errno "$1" "$2")
	expect_eq "write '$1' to ${2#/sys/}" OK "$r"
	[ "$r" = OK ]
}

# expect_errno ERRNO VALUE FILE [STATEFILE...]: the write fails with ERRNO, and the content of
# FILE and each STATEFILE is unchanged (state unchanged). Records the errno for the kernel diff.
expect_errno() {
	want=$1
	val=$2
	file=$3
	shift 3
	before=$(for f in "$file" "$@"; do [ -r "$f" ] && cat "$f" 2>/dev/null; echo "|"; done)
	klog_before=$(dmesg | wc -l)
	got=$(write_errno "$val" "$file")
	after=$(for f in "$file" "$@"; do [ -r "$f" ] && cat "$f" 2>/dev/null; echo "|"; done)
	expect_eq "write '$val' to ${file#/sys/} fails with $want" "$want" "$got"
	expect_eq "state unchanged after '$val' to ${file#/sys/}" "$before" "$after"
	obs "errno.$(basename "$file").$(echo "$val" | tr -c 'a-zA-Z0-9' _)" "$got"
	new=$(dmesg | tail -n +$((klog_before + 1)) | grep -E 'WARNING|BUG|Oops' || true)
	expect_eq "no kernel warning after '$val' to ${file#/sys/}" "" "$new"
}

# memdev_by_serial SERIAL: the memX with that serial (never by index: numbering varies by boot).
memdev_by_serial() {
	for m in $CXL/mem*; do
		[ "$(cat "$m/serial")" = "$1" ] && { basename "$m"; return 0; }
	done
	return 1
}

# endpoint_of MEMDEV: the endpointN port whose upstream port is MEMDEV.
endpoint_of() {
	for e in $CXL/endpoint*; do
		[ "$(basename "$(readlink -f "$e/uport")")" = "$1" ] && { basename "$e"; return 0; }
	done
	return 1
}

# root_decoder: the first root decoder that can create RAM regions.
root_decoder() {
	for d in $CXL/decoder*; do
		[ -e "$d/create_ram_region" ] && { basename "$d"; return 0; }
	done
	return 1
}

# first_free_decoder ENDPOINT: the lowest endpoint decoder with dpa_size 0 and no region.
first_free_decoder() {
	for d in $CXL/$1/decoder*; do
		[ "$(cat "$d/dpa_size")" = 0x0 ] && { basename "$d"; return 0; }
	done
	return 1
}

# iomem_cxl: the /proc/iomem lines of the CXL window and what is inside it.
iomem_cxl() { grep -A20 'CXL Window' /proc/iomem | grep -v '^ *[0-9a-f]*-[0-9a-f]* : Reserved$' || true; }

