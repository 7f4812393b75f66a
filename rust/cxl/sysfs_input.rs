// SPDX-License-Identifier: GPL-2.0

//! How the C region code reads what user space writes to sysfs, for stores that must accept and
//! refuse exactly the same bytes.
//!
//! Pure logic with no kernel dependency, tested on the host by `rust/host-tests`. The input is a
//! sysfs store buffer: untrusted bytes, possibly with a NUL inside, which C string functions
//! treat as the end.

/// The part of `buf` a C string function sees: up to the first NUL.
fn c_str(buf: &[u8]) -> &[u8] {
    buf.iter().position(|&c| c == 0).map_or(buf, |n| &buf[..n])
}

/// `isspace()` of the kernel's `lib/ctype.c`: the C whitespace characters and NBSP (0xa0).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    s.iter()
        .position(|&c| !is_space(c))
        .map_or(&[], |n| &s[n..])
}

/// `sscanf(buf, "region%d\n", &id) == 1`: the region id in a name written to
/// `create_ram_region`, `create_pmem_region` or `delete_region`.
///
/// Like the kernel's `vsscanf()`: the literal `region` must match, whitespace may precede the
/// number, a `-` sign is taken but not a `+`, digits are read as far as they go (so `region7x`
/// is 7), and the value wraps into an `int` as C's assignment does.
pub(crate) fn scan_region_id(buf: &[u8]) -> Option<i32> {
    let rest = skip_spaces(c_str(buf).strip_prefix(b"region")?);
    let (negative, digits) = match rest {
        [b'-', tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    if !digits.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0u64, |v, &c| {
            v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        });
    let value = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    // CAST: C stores the `long long` into an `int`: the low 32 bits, two's complement.
    Some(value as u32 as i32)
}

/// `sysfs_streq()`: equal as C strings, where a single trailing newline on either side is
/// ignored.
pub(crate) fn sysfs_streq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (c_str(a), c_str(b));
    a == b || a.strip_suffix(b"\n") == Some(b) || b.strip_suffix(b"\n") == Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_ids_as_vsscanf_reads_them() {
        let cases: &[(&[u8], Option<i32>)] = &[
            (b"region0", Some(0)),
            (b"region12\n", Some(12)),
            (b"region 5", Some(5)),
            (b"region\t\n 5", Some(5)),
            (b"region\xa05", Some(5)),
            (b"region-3", Some(-3)),
            (b"region7junk", Some(7)),
            (b"region0x10", Some(0)),
            (b"region007", Some(7)),
            (b"region2147483647", Some(i32::MAX)),
            (b"region2147483648", Some(i32::MIN)),
            (b"region4294967296", Some(0)),
            (b"region4294967297", Some(1)),
            (b"region-2147483649", Some(i32::MAX)),
            (b"region", None),
            (b"region\n", None),
            (b"regio", None),
            (b"", None),
            (b"Region1", None),
            (b" region1", None),
            (b"region+3", None),
            (b"region-", None),
            (b"region--1", None),
            (b"region- 1", None),
            (b"regionx", None),
            (b"reg\0ion1", None),
            (b"region1\0junk", Some(1)),
            (b"region\x001", None),
        ];
        for &(input, want) in cases {
            assert_eq!(scan_region_id(input), want, "{:?}", input);
        }
    }

    #[test]
    fn sysfs_streq_ignores_one_trailing_newline() {
        assert!(sysfs_streq(b"region0", b"region0"));
        assert!(sysfs_streq(b"region0\n", b"region0"));
        assert!(sysfs_streq(b"region0", b"region0\n"));
        assert!(sysfs_streq(b"region0\n", b"region0\n"));
        assert!(sysfs_streq(b"region0\0junk", b"region0"));
        assert!(!sysfs_streq(b"region0\n\n", b"region0"));
        assert!(!sysfs_streq(b"region01", b"region0"));
        assert!(!sysfs_streq(b"region0 ", b"region0"));
        assert!(!sysfs_streq(b"region", b"region0"));
        assert!(sysfs_streq(b"", b"\n"));
    }
}
