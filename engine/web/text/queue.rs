//! The queue: filters, sort, paging, time left.
//!
//! Kazakh puts no plural after a number ("2 жұмыс күні"); Russian agrees the noun with the
//! number (1 рабочий день, 2 рабочих дня, 5 рабочих дней), so the working-day texts come in
//! three forms, chosen by `web::queue::plural`.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[
    ("queue_filters", "Сүзгілер", "Фильтры"),
    ("queue_who", "Кімдікі", "Чьи задачи"),
    ("queue_who_all", "Барлығы", "Все"),
    ("queue_who_mine", "Мен алғандар", "Взятые мной"),
    (
        "queue_who_unassigned",
        "Ешкім алмағандар",
        "Никем не взятые",
    ),
    ("queue_due", "Мерзімі", "Срок"),
    ("queue_due_any", "Кез келген", "Любой"),
    ("queue_due_overdue", "Мерзімі өткендер", "Просроченные"),
    ("queue_due_today", "Бүгін орындалатындар", "На сегодня"),
    ("queue_service", "Қызмет", "Услуга"),
    ("queue_service_any", "Барлық қызметтер", "Все услуги"),
    ("queue_step", "Қадам", "Шаг"),
    ("queue_step_any", "Барлық қадамдар", "Все шаги"),
    ("queue_sort", "Сұрыптау", "Сортировка"),
    (
        "queue_sort_due",
        "Орындау мерзімі бойынша",
        "По сроку исполнения",
    ),
    (
        "queue_sort_created",
        "Келген уақыты бойынша",
        "По времени поступления",
    ),
    (
        "queue_sort_number",
        "Тіркеу нөмірі бойынша",
        "По регистрационному номеру",
    ),
    ("queue_order", "Реті", "Порядок"),
    ("queue_order_asc", "Өсу ретімен", "По возрастанию"),
    ("queue_order_desc", "Кему ретімен", "По убыванию"),
    ("queue_show", "Көрсету", "Показать"),
    ("queue_reset", "Сүзгілерді алып тастау", "Сбросить фильтры"),
    (
        "queue_range",
        "{total} тапсырманың {from}–{to}",
        "{from}–{to} из {total}",
    ),
    (
        "queue_page_of",
        "{page}-бет, барлығы {pages}",
        "Страница {page} из {pages}",
    ),
    ("queue_pager", "Беттер", "Страницы"),
    ("queue_first", "« Бірінші", "« Первая"),
    ("queue_prev", "‹ Алдыңғы", "‹ Предыдущая"),
    ("queue_next", "Келесі ›", "Следующая ›"),
    ("queue_last", "Соңғы »", "Последняя »"),
    (
        "queue_none_filtered",
        "Таңдалған сүзгілерге сай тапсырма жоқ.",
        "Нет задач, подходящих под выбранные фильтры.",
    ),
    ("queue_col_applicant", "Өтініш беруші", "Заявитель"),
    ("queue_col_left", "Қалған уақыт", "Осталось"),
    ("queue_minutes", "{n} мин", "{n} мин"),
    ("queue_hours", "{n} сағ", "{n} ч"),
    ("queue_days_one", "{n} жұмыс күні", "{n} рабочий день"),
    ("queue_days_few", "{n} жұмыс күні", "{n} рабочих дня"),
    ("queue_days_many", "{n} жұмыс күні", "{n} рабочих дней"),
    (
        "queue_overdue_by",
        "мерзімі өтті: {left}",
        "просрочено на {left}",
    ),
];
