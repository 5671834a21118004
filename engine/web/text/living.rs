//! What the case page says of a living case — one whose service holds after it is rendered,
//! a monthly payment that lives for years (seeds/001 item 12; seeds/000 appendices 3-5): its
//! state, its record and the record's history, the life event under way and what may start
//! now; and the names of the history lines the life events write.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[
    // The card at the top of the case page.
    ("living_title", "Ағымдағы жай-күйі", "Текущее состояние"),
    (
        "living_not_yet",
        "Қызмет әлі көрсетілуде: жай-күйі шешім қабылданғаннан кейін белгіленеді",
        "Услуга ещё оказывается: состояние появится после решения",
    ),
    (
        "living_term_met",
        "Қызмет {met} көрсетілді (мерзімі — {due} дейін)",
        "Услуга оказана {met} (срок — до {due})",
    ),
    (
        "living_term_met_late",
        "Қызмет {met} көрсетілді, мерзімінен ({due}) кеш",
        "Услуга оказана {met}, позже срока ({due})",
    ),
    (
        "living_running",
        "Жүріп жатыр: {event} ({since} бастап)",
        "Идёт: {event} (с {since})",
    ),
    (
        "living_waiting",
        "Ағымдағы оқиға аяқталғанда басталады:",
        "Начнутся, когда завершится текущее событие:",
    ),
    (
        "living_waiting_item",
        "{event} ({at} тіркелді)",
        "{event} (зарегистрировано {at})",
    ),
    (
        "living_can_happen",
        "Қазір не болуы мүмкін",
        "Что может произойти сейчас",
    ),
    (
        "living_no_events",
        "Қазір сіз бұл іс бойынша ешбір оқиғаны бастай алмайсыз.",
        "Сейчас вы не можете начать по этому делу ни одного события.",
    ),
    ("living_changes", "Өзгерістер тарихы", "История изменений"),
    (
        "living_no_changes",
        "Әзірге өзгерістер жоқ.",
        "Изменений пока нет.",
    ),
    ("living_col_date", "Күні", "Дата"),
    ("living_col_field", "Өріс", "Поле"),
    ("living_col_from", "Бұрын", "Было"),
    ("living_col_to", "Кейін", "Стало"),
    ("living_col_event", "Оқиға", "Событие"),
    (
        "living_by_decision",
        "Өтініш бойынша шешім",
        "Решение по заявлению",
    ),
    // The codes the monthly payments (workflows/monthly-payments-after-capitalisation) leave
    // untitled: the outcomes of the decisions' four hands, the payment's result and states,
    // and the enumerated values of the application (seeds/000 appendix 1) and of a change.
    ("outcome_prepared", "Жоба дайындалды", "Проект подготовлен"),
    ("outcome_reviewed", "Қаралды", "Рассмотрено"),
    ("outcome_approved", "Келісілді", "Согласовано"),
    ("outcome_recorded", "Енгізілді", "Внесено"),
    (
        "outcome_suspend",
        "Төлемді тоқтата тұру",
        "Приостановить выплату",
    ),
    (
        "result_terminated",
        "Төлем тоқтатылды",
        "Выплата прекращена",
    ),
    ("value_active", "Жүргізілуде", "Производится"),
    ("value_suspended", "Тоқтатыла тұрды", "Приостановлена"),
    ("value_assign", "Тағайындау", "Назначить"),
    ("value_refuse", "Бас тарту", "Отказать"),
    ("value_male", "Ер", "Мужской"),
    ("value_female", "Әйел", "Женский"),
    (
        "value_identity_card",
        "Жеке куәлік",
        "Удостоверение личности",
    ),
    ("value_passport", "Паспорт", "Паспорт"),
    ("value_residence_permit", "Ықтиярхат", "Вид на жительство"),
    ("value_card", "Карт-шот", "Карточный счёт"),
    ("value_current", "Ағымдағы шот", "Текущий счёт"),
    (
        "value_control",
        "Қылмыстық-атқару жүйесі мекемесінің бақылау шоты",
        "Контрольный счёт учреждения уголовно-исполнительной системы",
    ),
    (
        "value_bank_details",
        "Банк деректемелері",
        "Банковские реквизиты",
    ),
    ("value_address", "Мекенжай", "Адрес"),
    (
        "value_identity",
        "Жеке басын куәландыратын құжат",
        "Документ, удостоверяющий личность",
    ),
    (
        "value_departure",
        "Қазақстан Республикасынан тыс жерге кету",
        "Выезд за пределы Республики Казахстан",
    ),
    // The history lines of life events.
    ("event_event_started", "Оқиға басталды", "Начато событие"),
    ("event_holding", "Іс жай-күйде тұр", "Дело в состоянии"),
    ("event_term_met", "Қызмет көрсетілді", "Услуга оказана"),
    (
        "event_record_changed",
        "Жазба деректері өзгерді",
        "Изменены данные записи",
    ),
    (
        "event_event_date_absent",
        "Оқиға күні істе жоқ",
        "Дата события в деле не указана",
    ),
    (
        "event_event_date_moved",
        "Оқиға күні ауыстырылды",
        "Дата события перенесена",
    ),
];
