//! Turns the fuzzer's bytes into a hostile text: either the bytes themselves, or a real file
//! (a shipped workflow, scenario, template, envelope) put through a short program of edits
//! the bytes spell out — bit flips, truncation, splices of another file, duplicated, nested
//! and swapped lines, a chunk repeated thousands of times (deep nesting, huge scalars), and
//! tokens of the format (aliases, huge numbers, unicode). Starting from a real file is what
//! gets a reader past its first line; the bytes alone rarely do.
//!
//! The same bytes always make the same text, so a failing input found by the random run
//! (or by libFuzzer under `cargo bolero`) replays exactly.

/// The fuzzer's bytes, read as numbers; past the end every read is 0, so any input decodes.
pub struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, at: 0 }
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0), from two bytes.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let v = (self.byte() as usize) << 8 | self.byte() as usize;
        v % n
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.data.len()
    }

    /// What is left, as it is.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.at..).unwrap_or_default()
    }
}

/// What a target mutates: its real files and the tokens of its format.
pub struct Corpus {
    /// The real files, by path (shown in a failure) and text.
    pub seeds: Vec<(String, String)>,
    /// Tokens worth inserting: the format's syntax and values that break readers.
    pub dict: Vec<String>,
    /// The longest text made; longer is cut (the reader's size limit is tested apart).
    pub limit: usize,
}

/// Values that break readers in any format: numbers past every integer type and float,
/// dates that do not exist, unicode that changes width, direction or normalisation.
pub const HOSTILE: &[&str] = &[
    "99999999999999999999999999999999",
    "-9223372036854775809",
    "9223372036854775807",
    "18446744073709551616",
    "1e400",
    "-1e-400",
    "NaN",
    "-0",
    "0.1e-7",
    "2026-02-30",
    "2026-13-45",
    "9999-12-31",
    "0000-00-00",
    "İ",
    "ё",
    "қ",
    "ǅ",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{301}",
    "😀",
    "\0",
    "\r",
    "\t",
    "\u{85}",
    "\u{2028}",
];

impl Corpus {
    /// The text `input` makes, and which seed it started from (`None`: the raw bytes).
    pub fn text(&self, input: &[u8]) -> (Option<usize>, String) {
        let (seed, text) = self.make(input);
        if let Some(file) = std::env::var_os("QYZMET_FUZZ_TEXT") {
            std::fs::write(file, &text).unwrap();
        }
        (seed, text)
    }

    fn make(&self, input: &[u8]) -> (Option<usize>, String) {
        let mut b = Bytes::new(input);
        let head = b.byte();
        if self.seeds.is_empty() || head.is_multiple_of(16) {
            let mut text = String::from_utf8_lossy(b.rest()).into_owned();
            cut(&mut text, self.limit);
            return (None, text);
        }
        let seed = b.below(self.seeds.len());
        let mut text = self.seeds[seed].1.as_bytes().to_vec();
        let edits = 1 + (head as usize >> 4) % 8;
        for _ in 0..edits {
            if b.is_empty() {
                break;
            }
            self.edit(&mut text, &mut b);
            text.truncate(self.limit);
        }
        let mut text = String::from_utf8_lossy(&text).into_owned();
        cut(&mut text, self.limit);
        (Some(seed), text)
    }

    fn edit(&self, text: &mut Vec<u8>, b: &mut Bytes) {
        let op = b.byte() % 13;
        let len = text.len();
        let at = self.place(text, b);
        match op {
            // A bit flipped.
            0 if len > 0 => {
                let i = at.min(len - 1);
                text[i] ^= 1 << (b.byte() % 8);
            }
            // A byte replaced.
            1 if len > 0 => {
                let i = at.min(len - 1);
                text[i] = b.byte();
            }
            // A token of the format, or a hostile value.
            2 | 3 => {
                let token = if op == 2 && !self.dict.is_empty() {
                    self.dict[b.below(self.dict.len())].as_str()
                } else {
                    HOSTILE[b.below(HOSTILE.len())]
                };
                text.splice(at..at, token.bytes());
            }
            // A few raw bytes.
            4 => {
                let n = 1 + b.byte() as usize % 8;
                let bytes: Vec<u8> = (0..n).map(|_| b.byte()).collect();
                text.splice(at..at, bytes);
            }
            // A range deleted.
            5 => {
                let n = b.below(64).min(len - at);
                text.drain(at..at + n);
            }
            // Cut short.
            6 => text.truncate(at),
            // A line duplicated.
            7 => {
                let (start, end) = line_around(text, at);
                let line = text[start..end].to_vec();
                text.splice(end..end, line);
            }
            // A line nested deeper (or less deep).
            8 => {
                let (start, _) = line_around(text, at);
                let n = 1 + b.byte() as usize % 8;
                if b.byte().is_multiple_of(2) {
                    text.splice(start..start, std::iter::repeat_n(b' ', n));
                } else {
                    let spaces = text[start..].iter().take_while(|c| **c == b' ').count();
                    text.drain(start..start + spaces.min(n));
                }
            }
            // A piece of another real file spliced in.
            9 => {
                let other = &self.seeds[b.below(self.seeds.len())].1;
                let from = b.below(other.len() + 1);
                let n = b.below(512).min(other.len() - from);
                text.splice(at..at, other.as_bytes()[from..from + n].iter().copied());
            }
            // A chunk repeated: deep nesting (`- `, `[`, `<a>`, `(`), long lines, many keys.
            10 => {
                let n = 1 + b.below(16).min(len - at);
                let chunk = text[at..(at + n).min(len)].to_vec();
                let times = match b.byte() % 4 {
                    0 => 2 + b.byte() as usize % 8,
                    1 => 16 + b.below(256),
                    _ => 256 + b.below(self.limit / chunk.len().max(1) + 1),
                };
                let repeated: Vec<u8> = chunk
                    .iter()
                    .copied()
                    .cycle()
                    .take((chunk.len() * times).min(self.limit))
                    .collect();
                text.splice(at..at, repeated);
            }
            // Two lines swapped.
            11 => {
                let first = line_around(text, at);
                let other = self.place(text, b);
                let second = line_around(text, other);
                if first.1 <= second.0 {
                    let a = text[first.0..first.1].to_vec();
                    let s = text[second.0..second.1].to_vec();
                    text.splice(second.0..second.1, a);
                    text.splice(first.0..first.1, s);
                }
            }
            // A line replaced by a line of another real file.
            _ => {
                let other = self.seeds[b.below(self.seeds.len())].1.as_bytes();
                let (os, oe) = line_around(other, b.below(other.len() + 1));
                let (start, end) = line_around(text, at);
                text.splice(start..end, other[os..oe].iter().copied());
            }
        }
    }

    /// Where an edit goes: anywhere, at a line's start, or after a `: `/`=`/`>` (a value).
    fn place(&self, text: &[u8], b: &mut Bytes) -> usize {
        let at = b.below(text.len() + 1);
        match b.byte() % 4 {
            0 => line_around(text, at).0,
            1 => text[at..]
                .windows(2)
                .position(|w| w == b": " || w[0] == b'=' || w[0] == b'>')
                .map_or(at, |i| at + i + 1),
            _ => at,
        }
    }
}

/// The line holding byte `at`: its start and its end (after its newline).
fn line_around(text: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|c| *c == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(text.len(), |i| at + i + 1);
    (start, end)
}

/// Cuts `text` to at most `limit` bytes, at a character boundary.
fn cut(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
