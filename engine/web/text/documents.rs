//! Documents to open and print: the case page's list of documents and the print view.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[
    (
        "documents_col_open",
        "Ашу және басып шығару",
        "Открыть и распечатать",
    ),
    ("documents_open", "Ашу", "Открыть"),
    ("documents_pdf", "PDF", "PDF"),
    (
        "documents_back_to_case",
        "← Іске оралу",
        "← Вернуться к делу",
    ),
    (
        "documents_print_pdf",
        "Басып шығару (PDF)",
        "Распечатать (PDF)",
    ),
    (
        "documents_copies",
        "{copies} данада басып шығарылады",
        "Печатается в {copies} экземплярах",
    ),
];
