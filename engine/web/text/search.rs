//! Search by registration number, IIN and surname.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[
    ("search_label", "Өтінішті іздеу", "Поиск заявления"),
    (
        "search_placeholder",
        "Тіркеу нөмірі, ЖСН немесе тегі",
        "Рег. номер, ИИН или фамилия",
    ),
    ("search_button", "Іздеу", "Найти"),
];
