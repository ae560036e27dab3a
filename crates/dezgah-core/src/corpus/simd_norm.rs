//! [`normalise`](super::dedup::normalise) 32 bytes at a time, for exact deduplication, where
//! every byte of a corpus passes through it and a byte-at-a-time loop cannot reach 1 GB/s.
//!
//! The vector path (AVX2, picked at run time) covers ASCII and the two-byte letters of
//! Azerbaijani and Latin-1 in both cases: it classifies 32 bytes at once, lower-cases them, turns
//! separators into spaces and packs away what is dropped (repeated separators, the lead byte of
//! `İ` → `i`) with a byte shuffle per 8 bytes. A block it does not cover (capital `I`, which grows
//! to `ı`; JSON escapes; any other character) goes character by character through the same rules
//! as `normalise`, and the vector path resumes after it. The output is byte for byte
//! `normalise`'s, so hashes agree whichever path a text took; the tests check that on every
//! character class.
//!
//! `unsafe` is allowed here for the `std::arch` intrinsics only: every load reads inside the
//! input slice (the loop stops 33 bytes before its end) and every store goes through a bounds
//! check.
#![allow(unsafe_code)]

use super::dedup::ASCII_NORMAL;

/// Bytes the output buffer needs for `len` input bytes: lower-casing grows a character at most
/// threefold, and the vector path writes 8 bytes past its end.
fn capacity(len: usize) -> usize {
    len * 3 + 64
}

/// The normal form of `raw` into `buf[..n]`, returning `n`. With `json`, `raw` is a JSON string's
/// content as written (between its quotes, escapes undecoded). Returns `None` when the text must
/// be decoded first: a `\u` escape, an unknown escape, or bytes that are not UTF-8.
pub fn normalise_for_hash(raw: &[u8], json: bool, buf: &mut Vec<u8>) -> Option<usize> {
    if buf.len() < capacity(raw.len()) {
        buf.resize(capacity(raw.len()), 0);
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::run(raw, json, buf) };
        }
    }
    let mut state = State::default();
    let mut i = 0;
    while i < raw.len() {
        i = state.step(raw, i, json, buf)?;
    }
    Some(state.finish(buf))
}

/// Where the output stands: bytes written, and whether the last thing seen was a separator
/// (true at the start, so leading separators vanish).
struct State {
    k: usize,
    space: bool,
}

impl Default for State {
    fn default() -> Self {
        Self { k: 0, space: true }
    }
}

impl State {
    fn push(&mut self, buf: &mut [u8], b: u8) {
        buf[self.k] = b;
        self.k += 1;
        self.space = false;
    }

    fn separator(&mut self, buf: &mut [u8]) {
        if !self.space {
            buf[self.k] = b' ';
            self.k += 1;
            self.space = true;
        }
    }

    /// One character (or JSON escape) at `i`, the way `normalise` treats it; the index after it.
    fn step(&mut self, raw: &[u8], i: usize, json: bool, buf: &mut [u8]) -> Option<usize> {
        let b = raw[i];
        if b < 0x80 {
            if json && b == b'\\' {
                return match raw.get(i + 1)? {
                    b'n' | b't' | b'r' | b'b' | b'f' | b'"' | b'\\' | b'/' => {
                        self.separator(buf);
                        Some(i + 2)
                    }
                    _ => None,
                };
            }
            if b == b'I' {
                // Turkic: I → ı, but I + combining dot above → i.
                if raw.get(i + 1..i + 3) == Some(&[0xCC, 0x87][..]) {
                    self.push(buf, b'i');
                    return Some(i + 3);
                }
                self.push(buf, 0xC4);
                self.push(buf, 0xB1);
                return Some(i + 1);
            }
            match ASCII_NORMAL[usize::from(b)] {
                0 => self.separator(buf),
                n => self.push(buf, n),
            }
            return Some(i + 1);
        }
        if let Some(&next) = raw.get(i + 1) {
            // Azerbaijani's own letters without the Unicode tables.
            let pair = match (b, next) {
                (0xC9, 0x99) | (0xC4, 0xB1 | 0x9F) | (0xC5, 0x9F) | (0xC3, 0xA7 | 0xB6 | 0xBC) => {
                    Some((b, next))
                }
                (0xC6, 0x8F) => Some((0xC9, 0x99)),
                (0xC5 | 0xC4, 0x9E) => Some((b, 0x9F)),
                (0xC3, 0x87 | 0x96 | 0x9C) => Some((b, next + 0x20)),
                _ => None,
            };
            if let Some((x, y)) = pair {
                self.push(buf, x);
                self.push(buf, y);
                return Some(i + 2);
            }
        }
        let width = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        let c = std::str::from_utf8(raw.get(i..i + width)?)
            .ok()?
            .chars()
            .next()?;
        if c == 'İ' {
            self.push(buf, b'i');
        } else if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                let mut utf8 = [0u8; 4];
                for &x in l.encode_utf8(&mut utf8).as_bytes() {
                    self.push(buf, x);
                }
            }
        } else {
            self.separator(buf);
        }
        Some(i + width)
    }

    /// Drops a trailing separator; the length of the normal form.
    fn finish(self, buf: &[u8]) -> usize {
        if self.k > 0 && buf[self.k - 1] == b' ' {
            self.k - 1
        } else {
            self.k
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm_loadl_epi64, _mm_shuffle_epi8, _mm_srli_si128, _mm_storel_epi64,
        _mm256_add_epi8, _mm256_and_si256, _mm256_andnot_si256, _mm256_blendv_epi8,
        _mm256_castsi256_si128, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_extracti128_si256,
        _mm256_loadu_si256, _mm256_max_epu8, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256, _mm256_storeu_si256,
    };

    use super::State;

    /// For each 8-bit keep mask, the shuffle that packs the kept bytes of 8 to the front.
    static PACK: [[u8; 8]; 256] = {
        let mut table = [[0x80u8; 8]; 256];
        let mut m = 0;
        while m < 256 {
            let mut at = 0;
            let mut bit = 0;
            while bit < 8 {
                if m & (1 << bit) != 0 {
                    table[m][at] = bit as u8;
                    at += 1;
                }
                bit += 1;
            }
            m += 1;
        }
        table
    };

    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(b: u8) -> __m256i {
        _mm256_set1_epi8(b as i8)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn eq(v: __m256i, b: u8) -> __m256i {
        _mm256_cmpeq_epi8(v, splat(b))
    }

    /// Bytes ≥ `b`, unsigned.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ge(v: __m256i, b: u8) -> __m256i {
        _mm256_cmpeq_epi8(_mm256_max_epu8(v, splat(b)), v)
    }

    /// Bytes ≤ `b`, unsigned.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn le(v: __m256i, b: u8) -> __m256i {
        _mm256_cmpeq_epi8(_mm256_min_epu8(v, splat(b)), v)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn and(a: __m256i, b: __m256i) -> __m256i {
        _mm256_and_si256(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn or(a: __m256i, b: __m256i) -> __m256i {
        _mm256_or_si256(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask(v: __m256i) -> u32 {
        _mm256_movemask_epi8(v) as u32
    }

    /// Writes the bytes of `half` (8 of them) whose bits are set in `keep` at `buf[k..]`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn pack8(half: __m128i, keep: u32, buf: &mut [u8], k: &mut usize) {
        let m = (keep & 0xFF) as usize;
        // SAFETY: PACK rows are 8 bytes; the load reads exactly one row.
        let shuffle = unsafe { _mm_loadl_epi64(PACK[m].as_ptr().cast()) };
        let packed = _mm_shuffle_epi8(half, shuffle);
        let dst = &mut buf[*k..*k + 8];
        // SAFETY: `dst` is 8 bytes long (bounds-checked by the slice above).
        unsafe { _mm_storel_epi64(dst.as_mut_ptr().cast(), packed) };
        *k += m.count_ones() as usize;
    }

    /// Loads 32 bytes at `raw[at..at + 32]`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(raw: &[u8], at: usize) -> __m256i {
        let bytes = &raw[at..at + 32];
        // SAFETY: `bytes` is 32 bytes long (bounds-checked by the slice above).
        unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) }
    }

    /// The vector loop; see the module's comment.
    #[target_feature(enable = "avx2")]
    pub(super) fn run(raw: &[u8], json: bool, buf: &mut [u8]) -> Option<usize> {
        let mut state = State::default();
        let i = blocks(raw, 0, raw.len().saturating_sub(32), json, buf, &mut state)?;
        if i < raw.len() {
            // The last bytes, padded with zeros (separators: a trailing one is dropped, as
            // `normalise` drops it) behind the byte before them, go through the same blocks.
            let tail = raw.len() - i;
            let mut padded = [0u8; 72];
            if i > 0 {
                padded[0] = raw[i - 1];
            }
            padded[1..=tail].copy_from_slice(&raw[i..]);
            blocks(&padded, 1, 1 + tail, json, buf, &mut state)?;
        }
        Some(state.finish(buf))
    }

    /// Blocks of 32 bytes from `i` until `end` (`raw` has at least 33 bytes from each start);
    /// where the next block starts.
    #[target_feature(enable = "avx2")]
    fn blocks(
        raw: &[u8],
        mut i: usize,
        end: usize,
        json: bool,
        buf: &mut [u8],
        state: &mut State,
    ) -> Option<usize> {
        while i < end {
            let cur = load(raw, i);
            let next = load(raw, i + 1);
            let high = mask(cur);
            let mut off = mask(eq(cur, b'I'));
            let mut limit = u32::MAX;
            // JSON escapes: a backslash and the byte after it are separators (`\n`, `\"` …);
            // `\\` and `\uXXXX` are left to the character path.
            let mut escaped = 0u32;
            if json {
                let slashes = mask(eq(cur, b'\\'));
                if slashes != 0 {
                    if slashes >> 31 != 0 {
                        limit = u32::MAX >> 1;
                    }
                    escaped = (slashes & limit) << 1;
                    let simple = or(
                        or(
                            or(eq(cur, b'n'), eq(cur, b't')),
                            or(eq(cur, b'r'), eq(cur, b'"')),
                        ),
                        or(or(eq(cur, b'b'), eq(cur, b'f')), eq(cur, b'/')),
                    );
                    off |= escaped & !mask(simple);
                }
            }
            if off == 0 && high != 0 {
                // The two-byte characters covered, by their lead byte and what follows it.
                let cont_n = and(ge(next, 0x80), le(next, 0xBF));
                let c3 = and(
                    eq(cur, 0xC3),
                    _mm256_andnot_si256(or(eq(next, 0x97), eq(next, 0xB7)), cont_n),
                );
                let c4 = and(
                    eq(cur, 0xC4),
                    or(
                        or(eq(next, 0x9F), eq(next, 0xB1)),
                        or(eq(next, 0x9E), eq(next, 0xB0)),
                    ),
                );
                let c5 = and(eq(cur, 0xC5), or(eq(next, 0x9F), eq(next, 0x9E)));
                let c69 = or(
                    and(eq(cur, 0xC6), eq(next, 0x8F)),
                    and(eq(cur, 0xC9), eq(next, 0x99)),
                );
                let leads = mask(or(or(c3, c4), or(c5, c69)));
                if leads >> 31 != 0 {
                    // Its second byte is in the next block: that block starts with it.
                    limit = u32::MAX >> 1;
                }
                if high & limit != (leads | (leads << 1)) & limit {
                    off = 1;
                }
            }
            if off != 0 {
                let stop = i + 32;
                while i < stop {
                    i = state.step(raw, i, json, buf)?;
                }
                continue;
            }
            let upper = and(ge(cur, b'A'), le(cur, b'Z'));
            let letters = or(
                or(upper, and(ge(cur, b'a'), le(cur, b'z'))),
                and(ge(cur, b'0'), le(cur, b'9')),
            );
            let high_v = _mm256_cmpgt_epi8(_mm256_setzero_si256(), cur);
            let sep = _mm256_andnot_si256(or(letters, high_v), splat(0xFF));
            let mut res = or(cur, and(upper, splat(0x20)));
            res = _mm256_blendv_epi8(res, splat(b' '), sep);
            if high != 0 {
                // The byte before each: a continuation byte's lead.
                let prev = if i == 0 {
                    let mut first = [0u8; 32];
                    first[1..].copy_from_slice(&raw[..31]);
                    load(&first, 0)
                } else {
                    load(raw, i - 1)
                };
                let cont = and(high_v, le(cur, 0xBF));
                let latin1_upper = and(cont, and(eq(prev, 0xC3), le(cur, 0x9E)));
                let ag_upper = and(cont, and(or(eq(prev, 0xC4), eq(prev, 0xC5)), eq(cur, 0x9E)));
                let add = or(and(latin1_upper, splat(0x20)), and(ag_upper, splat(1)));
                res = _mm256_add_epi8(res, add);
                // İ → i; Ə (C6 8F) → ə (C9 99).
                res = _mm256_blendv_epi8(
                    res,
                    splat(b'i'),
                    and(cont, and(eq(prev, 0xC4), eq(cur, 0xB0))),
                );
                res = _mm256_blendv_epi8(res, splat(0x99), and(cont, eq(prev, 0xC6)));
                res = _mm256_blendv_epi8(res, splat(0xC9), eq(cur, 0xC6));
            }
            let dropped = mask(and(eq(cur, 0xC4), eq(next, 0xB0)));
            // An escaped byte follows its backslash (a separator), so it is never written.
            let seps = mask(sep) | escaped;
            let repeated = seps & ((seps << 1) | u32::from(state.space));
            let keep = !dropped & !repeated & limit;
            let last = if limit == u32::MAX { 31 } else { 30 };
            state.space = (seps >> last) & 1 != 0;
            if keep == u32::MAX {
                // Nothing dropped (common: single spaces between words): one store.
                let dst = &mut buf[state.k..state.k + 32];
                // SAFETY: `dst` is 32 bytes long (bounds-checked by the slice above).
                unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), res) };
                state.k += 32;
            } else {
                let lo = _mm256_castsi256_si128(res);
                let hi = _mm256_extracti128_si256::<1>(res);
                let mut k = state.k;
                pack8(lo, keep, buf, &mut k);
                pack8(_mm_srli_si128::<8>(lo), keep >> 8, buf, &mut k);
                pack8(hi, keep >> 16, buf, &mut k);
                pack8(_mm_srli_si128::<8>(hi), keep >> 24, buf, &mut k);
                state.k = k;
            }
            #[cfg(test)]
            super::tests::VECTOR_BLOCKS.with(|c| c.set(c.get() + 1));
            i += if limit == u32::MAX { 32 } else { 31 };
        }
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::dedup::normalise;

    thread_local! {
        /// Blocks the vector path took, so the tests know they exercised it.
        pub(super) static VECTOR_BLOCKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn via_wide(text: &str) -> String {
        let mut buf = Vec::new();
        let n = normalise_for_hash(text.as_bytes(), false, &mut buf).expect("valid text");
        String::from_utf8(buf[..n].to_vec()).expect("utf-8 out")
    }

    fn via_json(text: &str) -> Option<String> {
        let json = serde_json::to_string(text).expect("json");
        let raw = &json.as_bytes()[1..json.len() - 1];
        let mut buf = Vec::new();
        let n = normalise_for_hash(raw, true, &mut buf)?;
        Some(String::from_utf8(buf[..n].to_vec()).expect("utf-8 out"))
    }

    /// Texts that put every class of character at every position of a 32-byte block.
    fn samples() -> Vec<String> {
        let pieces = [
            "Salam",
            " ",
            "ƏLİYEV",
            "əliyev",
            "İlham",
            "ILIQ",
            "ığ",
            "Ğ",
            "Şüşə",
            "ŞÜŞƏ",
            "Çörək",
            "ÇÖRƏK",
            "Ü",
            "ö",
            "...",
            ", ",
            "\n",
            "\t",
            "\"",
            "\\",
            "/",
            "ä",
            "Ä",
            "ß",
            "×",
            "÷",
            "ÿ",
            "Þ",
            "«",
            "»",
            "\u{a0}",
            "—",
            "“",
            "”",
            "’",
            "Қазақ",
            "ҒАЛЫМ",
            "әлифба",
            "Әли",
            "日本",
            "😀",
            "I\u{307}",
            "i\u{307}",
            "\u{307}",
            "é",
            "É",
            "Ω",
            "123",
            "x",
            "Y",
            "  ",
            "-",
            "Ŝ",
            "ŝ",
            "Ő",
            "ő",
            "ǝ",
            "Ə",
        ];
        // Only what the vector path covers, so whole blocks take it.
        let covered = [
            "Salam", " ", "ƏLİYEV", "əliyev", "ığ", "Ğ", "Şüşə", "ŞÜŞƏ", "Çörək", "ÇÖRƏK", "Ü",
            "ö", "...", ", ", "ä", "Ä", "ß", "×", "÷", "ÿ", "Þ", "é", "É", "123", "x", "Y", "  ",
            "-", "İ",
        ];
        let mut out = Vec::new();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for set in [&pieces[..], &covered[..]] {
            for len in [1usize, 2, 3, 5, 8, 13, 21, 40, 80, 200] {
                for _ in 0..60 {
                    let mut text = String::new();
                    for _ in 0..len {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        text.push_str(set[(seed % set.len() as u64) as usize]);
                    }
                    out.push(text);
                }
            }
        }
        out
    }

    #[test]
    fn the_wide_form_is_normalise_byte_for_byte() {
        for text in samples() {
            let want = normalise(&text);
            assert_eq!(via_wide(&text), want, "{text:?}");
            assert_eq!(via_json(&text).as_deref(), Some(want.as_str()), "{text:?}");
        }
        // Long runs of covered text, shifted through every block offset.
        let long = "Azərbaycan RESPUBLİKASI ŞƏKİ, Çörək və ÜZÜM: ğ ı ö ü ş ç ə! ".repeat(20);
        for start in 0..40 {
            let text = &long[long.char_indices().nth(start).map_or(0, |(i, _)| i)..];
            assert_eq!(via_wide(text), normalise(text), "from {start}");
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert!(
                VECTOR_BLOCKS.with(std::cell::Cell::get) > 500,
                "the vector path ran"
            );
        }
    }

    #[test]
    fn escapes_it_cannot_read_as_written_and_bad_bytes_are_refused() {
        let mut buf = Vec::new();
        assert_eq!(normalise_for_hash(br"a\u0259b", true, &mut buf), None);
        assert_eq!(normalise_for_hash(br"a\qb", true, &mut buf), None);
        let bad = [b"Salam d\xfcnya ".repeat(5).as_slice(), b"\xc3"].concat();
        assert_eq!(normalise_for_hash(&bad, false, &mut buf), None);
        let lone = [
            b"x".repeat(40).as_slice(),
            b"\x80",
            b"y".repeat(40).as_slice(),
        ]
        .concat();
        assert_eq!(normalise_for_hash(&lone, false, &mut buf), None);
        // As plain text a backslash is a separator like any other.
        let n = normalise_for_hash(br"a\u0259b", false, &mut buf).expect("plain");
        assert_eq!(&buf[..n], b"a u0259b");
    }
}
