//! How many SMS segments a text takes: a pure function, no IO.
//!
//! An SMS carries 140 bytes. In the GSM 7-bit alphabet (3GPP TS 23.038) that is 160
//! characters, or 153 per segment once a message is split (the user-data header that joins
//! the parts takes 7); a character of the extension table (`^ { } \ [ ~ ] | €` and form feed)
//! is sent as an escape plus itself and counts twice, and the two are never split between
//! segments. Any character outside both tables — every Kazakh and Russian letter among them —
//! forces UCS-2 for the whole message: 70 UTF-16 units, or 67 per segment, a surrogate pair
//! never split.

/// The encoding a message is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The GSM 7-bit default alphabet with its extension table.
    Gsm7,
    /// UCS-2 (UTF-16 as the handsets read it).
    Ucs2,
}

/// What a text costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Count {
    /// The encoding it needs.
    pub encoding: Encoding,
    /// Its length in that encoding's units: septets for GSM-7, UTF-16 units for UCS-2.
    pub units: usize,
    /// The segments it is sent in (an empty text is one segment).
    pub segments: usize,
}

/// Units in a message sent whole.
pub const GSM7_SINGLE: usize = 160;
/// Units in each segment of a split message.
pub const GSM7_PART: usize = 153;
/// UTF-16 units in a message sent whole.
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 units in each segment of a split message.
pub const UCS2_PART: usize = 67;

/// The septets a character takes in GSM-7: 1 in the basic table, 2 in the extension table,
/// `None` outside both.
pub fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "\u{c}^{}\\[~]|€";
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding, length and segments of `text`.
pub fn count(text: &str) -> Count {
    let septets: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    match septets {
        Some(widths) => Count {
            encoding: Encoding::Gsm7,
            units: widths.iter().sum(),
            segments: split(&widths, GSM7_SINGLE, GSM7_PART),
        },
        None => {
            let widths: Vec<usize> = text.chars().map(char::len_utf16).collect();
            Count {
                encoding: Encoding::Ucs2,
                units: widths.iter().sum(),
                segments: split(&widths, UCS2_SINGLE, UCS2_PART),
            }
        }
    }
}

/// The segments of a text of `units` in `encoding`, when nothing in it is an indivisible pair:
/// the bound the load-time check uses for a worst case it knows only by length.
pub fn segments_for(encoding: Encoding, units: usize) -> usize {
    let (single, part) = match encoding {
        Encoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
        Encoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

/// Fills segments greedily with characters of the given widths; a character never straddles
/// two segments.
fn split(widths: &[usize], single: usize, part: usize) -> usize {
    if widths.iter().sum::<usize>() <= single {
        return 1;
    }
    let mut segments = 1;
    let mut used = 0;
    for &w in widths {
        if used + w > part {
            segments += 1;
            used = 0;
        }
        used += w;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escape_pair_is_not_split() {
        // 306 septets would fill two parts of 153 exactly, but the euro at 153-154 moves to
        // part two whole, and the last `a` spills into a third.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let c = count(&text);
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Gsm7, 306, 3));
        assert_eq!(segments_for(Encoding::Gsm7, 306), 2);
    }

    #[test]
    fn a_surrogate_pair_is_not_split() {
        let text = format!("{}😀{}", "ә".repeat(66), "ә".repeat(66));
        let c = count(&text);
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Ucs2, 134, 3));
    }
}
