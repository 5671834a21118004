//! The typeface every document is printed in, compiled into the binary.
//!
//! DejaVu Serif covers Kazakh Cyrillic (ә ғ қ ң ө ұ ү һ і), Russian and Latin in all four
//! faces, and its licence lets us ship it (`fonts/LICENSE`). Embedded with `include_bytes!`
//! so a fresh machine prints the same pages with nothing installed; the PDF carries only the
//! glyphs a document uses.

use rustybuzz::Face;

/// One face of the family: what `<b>` and `<i>` switch between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Variant {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Variant {
    /// Every face, in the order of [`Variant::index`].
    pub(super) const ALL: [Variant; 4] = [
        Variant::Regular,
        Variant::Bold,
        Variant::Italic,
        Variant::BoldItalic,
    ];

    pub(super) fn of(bold: bool, italic: bool) -> Variant {
        match (bold, italic) {
            (false, false) => Variant::Regular,
            (true, false) => Variant::Bold,
            (false, true) => Variant::Italic,
            (true, true) => Variant::BoldItalic,
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// The TrueType file's name, for errors.
    pub(super) fn file(self) -> &'static str {
        match self {
            Variant::Regular => "DejaVuSerif.ttf",
            Variant::Bold => "DejaVuSerif-Bold.ttf",
            Variant::Italic => "DejaVuSerif-Italic.ttf",
            Variant::BoldItalic => "DejaVuSerif-BoldItalic.ttf",
        }
    }

    /// The TrueType file itself.
    pub(super) fn bytes(self) -> &'static [u8] {
        match self {
            Variant::Regular => include_bytes!("fonts/DejaVuSerif.ttf"),
            Variant::Bold => include_bytes!("fonts/DejaVuSerif-Bold.ttf"),
            Variant::Italic => include_bytes!("fonts/DejaVuSerif-Italic.ttf"),
            Variant::BoldItalic => include_bytes!("fonts/DejaVuSerif-BoldItalic.ttf"),
        }
    }
}

/// The four faces, parsed for shaping and metrics.
pub(super) struct Faces([Face<'static>; 4]);

impl Faces {
    /// Parses the embedded files; `Err` names the one that does not parse.
    pub(super) fn load() -> Result<Faces, Variant> {
        let face = |v: Variant| Face::from_slice(v.bytes(), 0).ok_or(v);
        Ok(Faces([
            face(Variant::Regular)?,
            face(Variant::Bold)?,
            face(Variant::Italic)?,
            face(Variant::BoldItalic)?,
        ]))
    }

    pub(super) fn get(&self, variant: Variant) -> &Face<'static> {
        &self.0[variant.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_face_parses_and_has_the_kazakh_letters() {
        let faces = Faces::load().expect("the embedded fonts parse");
        for v in Variant::ALL {
            let face = faces.get(v);
            for c in "әғқңөұүһіӘҒҚҢӨҰҮҺІёЁ№«»—".chars() {
                assert!(face.glyph_index(c).is_some(), "{} lacks {c}", v.file());
            }
        }
    }
}
