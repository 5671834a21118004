//! Every word the clerks' pages show, in Kazakh and Russian, from one table.
//!
//! Pages carry no English (seeds/003 item 11: the systems work in Kazakh and Russian). The
//! templates read the whole table as `t` (`{{t.queue_title}}`), in strict mode, so a key
//! a template names and the table lacks fails the page's test instead of leaving a gap.
//! The workflows name outcomes, enumerated values and results with codes and give no
//! titles for them; the names a clerk reads are here, under `outcome_`, `value_` and
//! `result_`, and a test checks that every code the shipped workflows use has both.

use serde_json::{Map, Value};

mod admin;
mod case_file;
mod compliance;
mod department;
mod desk;
mod documents;
mod failure_report;
mod living;
mod mass_events;
mod queue;
mod search;
mod task;
mod uploads;

/// Every table: the frame's and the older pages' ([`CORE`]), then one per part of the
/// workplace, each kept beside the others so that no two parts edit one list.
const TABLES: &[&[(&str, &str, &str)]] = &[
    CORE,
    admin::TEXT,
    case_file::TEXT,
    compliance::TEXT,
    department::TEXT,
    desk::TEXT,
    documents::TEXT,
    failure_report::TEXT,
    living::TEXT,
    mass_events::TEXT,
    queue::TEXT,
    search::TEXT,
    task::TEXT,
    uploads::TEXT,
];

/// Every row of every table.
fn rows() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// A page's language: Kazakh by default, Russian on request (`?lang=ru`, then the cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Kazakh.
    #[default]
    Kk,
    /// Russian.
    Ru,
}

impl Lang {
    /// `kk` or `ru`: the code in `?lang=`, the cookie and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
        }
    }

    /// The language a code names.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "kk" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The language of the definitions' titles and messages.
    pub fn definition(self) -> crate::definition::messages::Lang {
        match self {
            Lang::Kk => crate::definition::messages::Lang::Kk,
            Lang::Ru => crate::definition::messages::Lang::Ru,
        }
    }

    /// Of a `{ kk, ru }` text, the one in this language.
    pub fn pick(self, text: &crate::definition::model::Text) -> &str {
        match self {
            Lang::Kk => &text.kk,
            Lang::Ru => &text.ru,
        }
    }
}

/// (key, Kazakh, Russian). Keys are snake_case so that templates can name them.
const CORE: &[(&str, &str, &str)] = &[
    // The frame of every page.
    (
        "app_name",
        "Qyzmet — мемлекеттік қызметтер",
        "Qyzmet — государственные услуги",
    ),
    ("nav_queue", "Менің кезегім", "Моя очередь"),
    ("nav_incidents", "Инциденттер", "Инциденты"),
    ("nav_accounts", "Есептік жазбалар", "Учётные записи"),
    ("nav_password", "Құпиясөзді ауыстыру", "Сменить пароль"),
    ("sign_out", "Шығу", "Выйти"),
    ("signed_in_as", "Жүйеде:", "В системе:"),
    ("language", "Тіл", "Язык"),
    ("dash", "—", "—"),
    ("yes", "Иә", "Да"),
    ("no", "Жоқ", "Нет"),
    // Sign-in.
    ("sign_in_title", "Жүйеге кіру", "Вход в систему"),
    (
        "sign_in_intro",
        "Қызметкерлердің жұмыс орны. Жеке логиніңізбен кіріңіз; логин мен құпиясөзді ешкімге бермеңіз.",
        "Рабочее место сотрудников. Входите под своим личным логином; не передавайте логин и пароль другим лицам.",
    ),
    ("login", "Логин", "Логин"),
    ("password", "Құпиясөз", "Пароль"),
    ("sign_in_button", "Кіру", "Войти"),
    (
        "sign_in_expired",
        "Кіру формасының мерзімі өтті немесе ол басқа беттен жіберілді. Қайта кіріңіз.",
        "Форма входа устарела или отправлена с другой страницы. Войдите ещё раз.",
    ),
    // One text for every refused sign-in (a wrong password, an unknown login, an address
    // locked out, a blocked account), so that it tells nobody which logins exist or how they
    // stand; what each of them needs is in it.
    (
        "refused",
        "Логин немесе құпиясөз қате, не есептік жазба уақытша жабық немесе бұғатталған. Құпиясөз бірнеше рет қате енгізілсе, 15 минут күтіп, қайталап көріңіз; бәрібір кіре алмасаңыз, бөлім басшысынан қолжетімділікке өтінім беруін сұраңыз.",
        "Неверный логин или пароль, либо учётная запись временно закрыта или заблокирована. Если пароль несколько раз введён неверно, подождите 15 минут и попробуйте снова; если войти всё равно не удаётся, попросите руководителя отдела подать заявку на доступ.",
    ),
    (
        "block_unused_30_days",
        "30 күнтізбелік күннен астам пайдаланылмаған",
        "не использовалась более 30 календарных дней",
    ),
    (
        "block_security_violation",
        "ақпараттық қауіпсіздік бұзылған",
        "нарушение информационной безопасности",
    ),
    (
        "block_administrator",
        "әкімші бұғаттаған",
        "заблокирована администратором",
    ),
    // Password change.
    ("password_title", "Құпиясөзді ауыстыру", "Смена пароля"),
    (
        "password_temporary",
        "Сіз уақытша құпиясөзбен кірдіңіз. Жұмысты бастау үшін оны өз құпиясөзіңізге ауыстырыңыз.",
        "Вы вошли с временным паролем. Чтобы начать работу, замените его своим паролем.",
    ),
    ("password_current", "Қазіргі құпиясөз", "Текущий пароль"),
    ("password_new", "Жаңа құпиясөз", "Новый пароль"),
    (
        "password_repeat",
        "Жаңа құпиясөзді қайталаңыз",
        "Повторите новый пароль",
    ),
    (
        "password_rules",
        "Кемінде 12 таңба, әріптер мен цифрлар болуы керек; логинмен және бұрынғы құпиясөзбен бірдей болмауы керек.",
        "Не менее 12 символов, буквы и цифры; не совпадает с логином и прежним паролем.",
    ),
    ("password_button", "Ауыстыру", "Сменить"),
    (
        "password_mismatch",
        "Құпиясөздер сәйкес келмейді.",
        "Пароли не совпадают.",
    ),
    (
        "password_wrong_current",
        "Қазіргі құпиясөз қате.",
        "Текущий пароль неверен.",
    ),
    (
        "password_refused",
        "Жаңа құпиясөз қабылданбады:",
        "Новый пароль не принят:",
    ),
    ("rule_too_short", "12 таңбадан қысқа", "короче 12 символов"),
    ("rule_too_long", "128 таңбадан ұзын", "длиннее 128 символов"),
    ("rule_no_letter", "әріп жоқ", "нет ни одной буквы"),
    ("rule_no_digit", "цифр жоқ", "нет ни одной цифры"),
    (
        "rule_same_as_login",
        "логинмен бірдей",
        "совпадает с логином",
    ),
    (
        "rule_same_as_temporary",
        "уақытша құпиясөзбен бірдей",
        "совпадает с временным паролем",
    ),
    (
        "rule_same_as_current",
        "қазіргі құпиясөзбен бірдей",
        "совпадает с текущим паролем",
    ),
    // The queue.
    ("queue_title", "Менің кезегім", "Моя очередь"),
    ("queue_apply", "Өтінім беру:", "Подать заявку:"),
    (
        "apply_intro",
        "Өтінім сіздің өңіріңізде тіркеледі, жауаптар осы беттің тілінде жіберіледі. Өңір:",
        "Заявка регистрируется в вашем регионе, ответы направляются на языке этой страницы. Регион:",
    ),
    ("apply_submit", "Өтінімді жіберу", "Подать заявку"),
    (
        "queue_intro",
        "Рөлдеріңіз бен өңіріңіздің тапсырмалары, ең шұғылы бірінші.",
        "Задачи ваших ролей и региона, самые срочные первыми.",
    ),
    (
        "queue_empty",
        "Кезекте тапсырма жоқ.",
        "В очереди нет задач.",
    ),
    ("col_number", "Тіркеу нөмірі", "Регистрационный номер"),
    ("col_step", "Қадам", "Шаг"),
    ("col_service", "Қызмет", "Услуга"),
    ("col_due", "Орындау мерзімі", "Срок исполнения"),
    (
        "col_days_left",
        "Қалған жұмыс күндері",
        "Осталось рабочих дней",
    ),
    ("col_assignee", "Орындаушы", "Исполнитель"),
    ("col_actions", "Әрекеттер", "Действия"),
    ("col_role", "Рөл", "Роль"),
    ("overdue", "Мерзімі өтті", "Просрочено"),
    ("no_due", "Мерзімі жоқ", "Без срока"),
    ("claim", "Алу", "Взять"),
    (
        "unclaim",
        "Тапсырманы өзімнен алып, кезекке қайтару",
        "Снять с себя и вернуть в очередь",
    ),
    ("open", "Ашу", "Открыть"),
    ("not_claimed", "Ешкім алмаған", "Никто не взял"),
    // A task's form.
    ("task_title", "Тапсырма", "Задача"),
    ("task_case", "Іс", "Дело"),
    ("task_due", "Орындау мерзімі", "Срок исполнения"),
    (
        "task_claimed_by_other",
        "Тапсырманы басқа қызметкер алған:",
        "Задачу взял другой сотрудник:",
    ),
    (
        "task_claim_first",
        "Нысанды толтыру үшін алдымен тапсырманы алыңыз.",
        "Чтобы заполнить форму, сначала возьмите задачу.",
    ),
    (
        "task_errors",
        "Нысанда қателер бар: әр өрістің жанындағы ескертуді қараңыз.",
        "В форме есть ошибки: смотрите замечание рядом с каждым полем.",
    ),
    (
        "task_no_fields",
        "Бұл тапсырмада толтыратын өріс жоқ.",
        "В этой задаче нет полей для заполнения.",
    ),
    ("task_outcomes", "Нәтижені таңдаңыз:", "Выберите результат:"),
    ("required", "міндетті", "обязательно"),
    (
        "required_for",
        "міндетті, егер нәтиже:",
        "обязательно, если результат:",
    ),
    ("choose", "— таңдаңыз —", "— выберите —"),
    ("open_case", "Істі ашу", "Открыть дело"),
    // Field errors.
    ("err_required", "Толтыру міндетті.", "Обязательное поле."),
    (
        "err_must_be",
        "«Иә» болуы тиіс: онсыз өтініш қабылданбайды.",
        "Должно быть «Да»: без этого заявление не принимается.",
    ),
    (
        "err_bool",
        "«Иә» немесе «Жоқ» таңдаңыз.",
        "Выберите «Да» или «Нет».",
    ),
    ("err_int", "Бүтін сан енгізіңіз.", "Введите целое число."),
    ("err_decimal", "Сан енгізіңіз.", "Введите число."),
    (
        "err_date",
        "Күнді ЖЖЖЖ-АА-КК түрінде енгізіңіз.",
        "Введите дату в виде ГГГГ-ММ-ДД.",
    ),
    (
        "err_iin",
        "ЖСН дұрыс емес: 12 цифр, бақылау цифры дұрыс болуы керек.",
        "Неверный ИИН: 12 цифр с верной контрольной цифрой.",
    ),
    (
        "err_enum",
        "Тізімнен мән таңдаңыз.",
        "Выберите значение из списка.",
    ),
    (
        "err_email",
        "Электрондық пошта мекенжайын енгізіңіз.",
        "Введите адрес электронной почты.",
    ),
    (
        "err_phone",
        "11 цифрлы телефон нөмірін енгізіңіз, мысалы +7 701 123 45 67.",
        "Введите номер телефона из 11 цифр, например +7 701 123 45 67.",
    ),
    ("err_text", "Мәтін енгізіңіз.", "Введите текст."),
    (
        "err_min",
        "Мән {n} кем болмауы керек.",
        "Значение должно быть не меньше {n}.",
    ),
    (
        "err_max",
        "Мән {n} аспауы керек.",
        "Значение должно быть не больше {n}.",
    ),
    (
        "err_pattern",
        "Мәннің түрі күтілгендей емес.",
        "Значение не в ожидаемом виде.",
    ),
    ("err_other", "Мән дұрыс емес.", "Неверное значение."),
    // The case page.
    ("case_title", "Іс", "Дело"),
    ("case_service", "Қызмет", "Услуга"),
    ("case_status", "Күйі", "Статус"),
    ("case_region", "Өңір", "Регион"),
    ("case_opened", "Тіркелген уақыты", "Зарегистрировано"),
    (
        "case_term",
        "Қызмет көрсету мерзімі",
        "Срок оказания услуги",
    ),
    ("case_term_accepted", "қабылданған күні", "дата приёма"),
    ("case_term_due", "соңғы күні", "последний день"),
    (
        "case_term_paused",
        "тоқтатылған жұмыс күндері",
        "рабочих дней приостановки",
    ),
    (
        "case_term_not_started",
        "Мерзім әлі басталған жоқ (құжаттар қабылданғаннан кейін басталады).",
        "Срок ещё не начался (начинается после приёма документов).",
    ),
    ("status_active", "Орындалуда", "Исполняется"),
    ("status_completed", "Аяқталды", "Завершено"),
    ("status_withdrawn", "Кері қайтарылды", "Отозвано"),
    ("section_tasks", "Ашық тапсырмалар", "Открытые задачи"),
    ("section_timeline", "Іс тарихы", "История дела"),
    (
        "section_deadlines",
        "Мерзімдер және олардың есебі",
        "Сроки и их расчёт",
    ),
    ("section_documents", "Құжаттар", "Документы"),
    ("section_diagram", "Процесс сызбасы", "Схема процесса"),
    (
        "diagram_current",
        "Ағымдағы қадамдар сары түспен белгіленген.",
        "Текущие шаги выделены жёлтым.",
    ),
    (
        "diagram_unavailable",
        "Сызбаны салу мүмкін болмады. Процестің қадамдары:",
        "Схему построить не удалось. Шаги процесса:",
    ),
    ("current_step", "ағымдағы қадам", "текущий шаг"),
    (
        "no_documents",
        "Құжаттар әлі жасалған жоқ.",
        "Документы ещё не сформированы.",
    ),
    ("no_tasks", "Ашық тапсырма жоқ.", "Открытых задач нет."),
    (
        "no_deadlines",
        "Есептелген мерзім жоқ.",
        "Рассчитанных сроков нет.",
    ),
    ("col_time", "Уақыты", "Время"),
    ("col_event", "Оқиға", "Событие"),
    ("col_actor", "Кім", "Кто"),
    ("col_detail", "Толығырақ", "Подробности"),
    ("col_document", "Құжат", "Документ"),
    ("col_kind", "Түрі", "Вид"),
    (
        "actor_citizen",
        "Көрсетілетін қызметті алушы",
        "Услугополучатель",
    ),
    ("actor_engine", "Жүйе", "Система"),
    ("actor_system", "Сыртқы жүйе", "Внешняя система"),
    ("detail_outcome", "нәтиже", "результат"),
    ("detail_late", "кешігіп", "с опозданием"),
    // Deadlines and their evidence.
    ("deadline_last_day", "Соңғы күні", "Последний день"),
    ("deadline_rule", "Есептеу ережесі", "Правило расчёта"),
    ("deadline_calendar", "Күнтізбе", "Календарь"),
    (
        "deadline_skipped",
        "Есептелмеген күндер",
        "Не засчитанные дни",
    ),
    ("deadline_counted", "Есептелген күндер", "Засчитанные дни"),
    ("deadline_show", "Есептеуді көрсету", "Показать расчёт"),
    (
        "deadline_provisional",
        "Алдын ала: кейбір күндер деректері әлі толық жарияланбаған жылға түседі; олар жарияланғанда мерзім қайта есептеледі.",
        "Предварительно: часть дней приходится на год, данные которого опубликованы не полностью; срок будет пересчитан после их публикации.",
    ),
    ("deadline_of_task", "Тапсырманың мерзімі", "Срок задачи"),
    (
        "deadline_of_term",
        "Қызмет көрсету мерзімі",
        "Срок оказания услуги",
    ),
    ("deadline_other", "Мерзім", "Срок"),
    (
        "rule_working_after",
        "{from} күнінен кейінгі {days} жұмыс күні; сол күннің өзі есептелмейді",
        "{days} раб. дн. после {from}; сам этот день не считается",
    ),
    (
        "rule_working_before",
        "{from} күніне дейінгі {days} жұмыс күні; сол күннің өзі есептелмейді",
        "{days} раб. дн. до {from}; сам этот день не считается",
    ),
    (
        "rule_calendar_after",
        "{from} күнінен кейінгі {days} күнтізбелік күн",
        "{days} календ. дн. после {from}",
    ),
    (
        "rule_calendar_rolling",
        "{from} күнінен кейінгі {days} күнтізбелік күн; демалыс күніне түссе, келесі жұмыс күніне ауысады",
        "{days} календ. дн. после {from}; если срок выпадает на выходной, он переносится на следующий рабочий день",
    ),
    ("reason_weekend", "демалыс күні", "выходной день"),
    ("reason_holiday", "мереке: {name}", "праздник: {name}"),
    (
        "reason_holiday_moved",
        "{name} ({from}) демалыс күніне түскендіктен берілген демалыс",
        "выходной за праздник «{name}» ({from}), выпавший на выходной",
    ),
    (
        "reason_day_off_by_order",
        "күндерді ауыстыру туралы шешім бойынша демалыс ({day} жұмыс күні болды)",
        "выходной по решению о переносе дней (рабочим днём стал {day})",
    ),
    ("reason_working", "жұмыс күні", "рабочий день"),
    (
        "calendar_version",
        "{id}, нұсқасы {hash}",
        "{id}, версия {hash}",
    ),
    // Documents and jobs.
    ("job_pending", "Дайындалуда", "Готовится"),
    ("job_done", "Дайын", "Готов"),
    (
        "job_incident",
        "Қате: әкімші қарайды",
        "Ошибка: разбирает администратор",
    ),
    ("kind_receipt", "Қолхат", "Расписка"),
    ("kind_notice", "Хабарлама", "Уведомление"),
    ("kind_record", "Хаттама", "Протокол"),
    ("kind_certificate", "Куәлік", "Удостоверение"),
    ("kind_decision", "Шешім", "Решение"),
    ("kind_application", "Өтініш", "Заявление"),
    ("kind_document", "Құжат", "Документ"),
    // History kinds.
    (
        "event_submitted",
        "Өтініш тіркелді",
        "Заявление зарегистрировано",
    ),
    ("event_entered", "Қадамға өтті", "Переход к шагу"),
    ("event_task_created", "Тапсырма құрылды", "Создана задача"),
    (
        "event_task_completed",
        "Тапсырма орындалды",
        "Задача выполнена",
    ),
    ("event_term_started", "Мерзім басталды", "Срок начался"),
    (
        "event_term_paused",
        "Мерзім тоқтатылды",
        "Срок приостановлен",
    ),
    ("event_term_resumed", "Мерзім жалғасты", "Срок возобновлён"),
    ("event_data_received", "Деректер алынды", "Получены данные"),
    (
        "event_request_failed",
        "Деректерге сұрау орындалмады",
        "Запрос данных не выполнен",
    ),
    (
        "event_request_acknowledged",
        "Шлюз сұрауды қабылдады, жауап күтілуде",
        "Шлюз принял запрос, ожидается ответ",
    ),
    (
        "event_answer_overdue",
        "Жауап мерзімінде келмеді, сұрау қайта жіберілді",
        "Ответ не пришёл в срок, запрос отправлен повторно",
    ),
    (
        "event_message_received",
        "Хабар келді",
        "Получено сообщение",
    ),
    (
        "event_message_kept",
        "Хабар күту үшін сақталды",
        "Сообщение сохранено до востребования",
    ),
    (
        "event_message_taken",
        "Хабар қабылданды",
        "Сообщение принято",
    ),
    (
        "event_message_timed_out",
        "Хабарды күту мерзімі өтті",
        "Истёк срок ожидания сообщения",
    ),
    (
        "event_waiting_for_message",
        "Хабар күтілуде",
        "Ожидается сообщение",
    ),
    (
        "event_timer_fired",
        "Белгіленген уақыт келді",
        "Наступило назначенное время",
    ),
    (
        "event_escalated",
        "Мерзім туралы ескерту",
        "Эскалация по сроку",
    ),
    (
        "event_call_returned",
        "Ішкі процесс аяқталды",
        "Подпроцесс завершён",
    ),
    ("event_closed", "Іс аяқталды", "Дело завершено"),
    (
        "event_withdrawn",
        "Өтініш кері қайтарылды",
        "Заявление отозвано",
    ),
    (
        "event_notification_sent",
        "Хабарлама жіберілді",
        "Уведомление отправлено",
    ),
    (
        "event_notification_deferred",
        "Хабарлама кейінге қалдырылды",
        "Уведомление отложено",
    ),
    (
        "event_notification_failed",
        "Хабарлама жіберілмеді",
        "Уведомление не отправлено",
    ),
    (
        "event_notification_delivered",
        "Хабарлама жеткізілді",
        "Уведомление доставлено",
    ),
    (
        "event_notice_undeliverable",
        "Хабарламаны электрондық түрде жеткізу мүмкін емес: қызметкер тапсырады",
        "Уведомление нельзя доставить электронно: его вручает работник",
    ),
    (
        "event_waiting_until",
        "Белгіленген күнді күту",
        "Ожидание установленного дня",
    ),
    ("event_other", "Басқа оқиға", "Другое событие"),
    // The administrator's pages.
    ("incidents_title", "Инциденттер", "Инциденты"),
    (
        "incidents_intro",
        "Барлық әрекеттері таусылған жұмыстар. Себебін жойғаннан кейін қайталаңыз.",
        "Работы, исчерпавшие все попытки. Повторите после устранения причины.",
    ),
    ("incidents_empty", "Инцидент жоқ.", "Инцидентов нет."),
    ("col_key", "Кілт", "Ключ"),
    ("col_work", "Жұмыс", "Работа"),
    ("col_attempts", "Әрекеттер", "Попытки"),
    ("col_error", "Соңғы қате", "Последняя ошибка"),
    ("retry", "Қайталау", "Повторить"),
    ("work_request", "Деректерге сұрау", "Запрос данных"),
    ("work_notify", "Хабарлама", "Уведомление"),
    ("work_document", "Құжат", "Документ"),
    (
        "work_stage",
        "Мониторингке кезең",
        "Этап в систему мониторинга",
    ),
    ("accounts_title", "Есептік жазбалар", "Учётные записи"),
    (
        "col_full_name",
        "Тегі, аты, әкесінің аты",
        "Фамилия, имя, отчество",
    ),
    (
        "col_email",
        "Қызметтік электрондық пошта",
        "Служебная электронная почта",
    ),
    ("col_roles", "Рөлдер", "Роли"),
    ("col_region", "Өңір", "Регион"),
    ("col_status", "Күйі", "Статус"),
    ("col_last_sign_in", "Соңғы кіру", "Последний вход"),
    ("account_active", "Белсенді", "Активна"),
    ("account_blocked", "Бұғатталған", "Заблокирована"),
    (
        "account_must_change",
        "уақытша құпиясөз",
        "временный пароль",
    ),
    ("tokens_title", "API токендері", "API-токены"),
    (
        "tokens_intro",
        "Жүйелердің токендері (портал, шлюз, мониторинг). Токеннің өзі тек берілген кезде бір рет көрсетіледі; күші жойылған токенмен бірден ешнәрсе ашылмайды.",
        "Токены систем (портал, шлюз, мониторинг). Сам токен показывается один раз, при выдаче; отозванный токен сразу перестаёт действовать.",
    ),
    ("col_token_name", "Атауы", "Название"),
    ("col_issued", "Берілген", "Выдан"),
    (
        "col_last_used",
        "Соңғы пайдаланылуы",
        "Последнее использование",
    ),
    ("token_active", "Күшінде", "Действует"),
    ("token_revoked", "Күші жойылған", "Отозван"),
    ("revoke_token", "Күшін жою", "Отозвать"),
    ("no_tokens", "Токен жоқ.", "Токенов нет."),
    (
        "create_title",
        "Қолжетімділікке өтінім бойынша жаңа есептік жазба",
        "Новая учётная запись по заявке на доступ",
    ),
    (
        "region_hint",
        "Өңір коды, мысалы almaty; бүкіл республика үшін kz.",
        "Код региона, например almaty; для всей республики — kz.",
    ),
    ("create_button", "Құру", "Создать"),
    (
        "created_title",
        "Есептік жазба құрылды",
        "Учётная запись создана",
    ),
    (
        "created_password",
        "Уақытша құпиясөз. Ол тек осы жолы көрсетіледі: оны қызметкерге қызметтік электрондық пошта арқылы беріңіз. Қызметкер алғаш кіргенде оны ауыстырады.",
        "Временный пароль. Он показывается только сейчас: передайте его сотруднику на служебную электронную почту. Сотрудник сменит его при первом входе.",
    ),
    (
        "back_to_accounts",
        "Есептік жазбалар тізіміне оралу",
        "Вернуться к списку учётных записей",
    ),
    (
        "err_login_taken",
        "Бұл логин бос емес: логин бір адамға ғана тиесілі.",
        "Этот логин занят: логин принадлежит только одному человеку.",
    ),
    (
        "err_login_invalid",
        "Логин: 3–64 таңба, латын әріптері, цифрлар, «.», «_» немесе «-», әріптен басталады.",
        "Логин: 3–64 символа, латинские буквы, цифры, «.», «_» или «-», начинается с буквы.",
    ),
    (
        "err_region_invalid",
        "Өңір коды: 2–32 таңба, латын әріптері, цифрлар, «_» немесе «-».",
        "Код региона: 2–32 символа, латинские буквы, цифры, «_» или «-».",
    ),
    (
        "err_no_role",
        "Кемінде бір рөл таңдаңыз.",
        "Выберите хотя бы одну роль.",
    ),
    // Refusals and failures.
    ("forbidden_title", "Рұқсат жоқ", "Доступ запрещён"),
    (
        "forbidden_text",
        "Бұл бет немесе әрекет сіздің рөліңізге не өңіріңізге жатпайды.",
        "Эта страница или действие не относится к вашей роли или региону.",
    ),
    (
        "forbidden_csrf",
        "Сұрау қабылданбады: ол осы сеанстың нысанынан келмеген. Бетті қайта ашып, қайталап көріңіз.",
        "Запрос отклонён: он пришёл не из формы этого сеанса. Откройте страницу заново и повторите.",
    ),
    ("not_found_title", "Табылмады", "Не найдено"),
    (
        "not_found_text",
        "Мұндай іс, тапсырма немесе жазба жоқ.",
        "Такого дела, задачи или записи нет.",
    ),
    (
        "conflict_title",
        "Әрекет орындалмады",
        "Действие не выполнено",
    ),
    (
        "conflict_text",
        "Тапсырманы басқа қызметкер алған немесе ол орындалып қойған, не іс аяқталған.",
        "Задачу уже взял другой сотрудник, или она уже выполнена, или дело завершено.",
    ),
    (
        "last_administrator_text",
        "Бұл — соңғы белсенді әкімші: оны бұғаттауға болмайды, әйтпесе есептік жазбаларды ешкім бұғаттан шығара алмайды. Алдымен басқа әкімшіні тағайындаңыз.",
        "Это последний активный администратор: его нельзя заблокировать, иначе никто не сможет разблокировать учётные записи. Сначала назначьте другого администратора.",
    ),
    ("invalid_title", "Сұрауда қате бар", "В запросе ошибка"),
    (
        "invalid_text",
        "Нысанды қайта ашып, толтырып көріңіз.",
        "Откройте форму заново и заполните её.",
    ),
    (
        "unavailable_title",
        "Жүйе уақытша қолжетімсіз",
        "Система временно недоступна",
    ),
    (
        "unavailable_text",
        "Бірнеше минуттан кейін қайталап көріңіз.",
        "Повторите через несколько минут.",
    ),
    (
        "internal_title",
        "Жүйеде ақау болды",
        "В системе произошёл сбой",
    ),
    (
        "internal_text",
        "Ақау журналға жазылды. Әрекетті қайталап көріңіз немесе әкімшіге хабарлаңыз.",
        "Сбой записан в журнал. Повторите действие или сообщите администратору.",
    ),
    ("too_large_title", "Нысан тым үлкен", "Форма слишком велика"),
    (
        "too_large_text",
        "Нысан 64 КБ-тан аспауы керек.",
        "Форма не должна превышать 64 КБ.",
    ),
    ("back_to_queue", "Кезекке оралу", "Вернуться к очереди"),
    // Regions (free-form codes; the known ones have names).
    ("region_kz", "Бүкіл республика", "Вся республика"),
    ("region_almaty", "Алматы қаласы", "город Алматы"),
    ("region_astana", "Астана қаласы", "город Астана"),
    ("region_shymkent", "Шымкент қаласы", "город Шымкент"),
    // Outcomes a clerk chooses.
    (
        "outcome_complete",
        "Топтама толық — қабылдау",
        "Пакет полный — принять",
    ),
    (
        "outcome_incomplete",
        "Топтама толық емес — қабылдаудан бас тарту",
        "Пакет неполный — отказать в приёме",
    ),
    (
        "outcome_entered",
        "Мәліметтер енгізілді",
        "Сведения внесены",
    ),
    ("outcome_approve", "Мақұлдау", "Одобрить"),
    (
        "outcome_obtained",
        "Хабарлама тапсырылды",
        "Уведомление вручено",
    ),
    ("outcome_refuse", "Бас тарту", "Отказать"),
    ("outcome_satisfy", "Қанағаттандыру", "Удовлетворить"),
    (
        "outcome_retry",
        "Түзетіп, қайталау",
        "Исправить и повторить",
    ),
    ("outcome_signed", "Қол қойылды", "Подписано"),
    ("outcome_delivered", "Жіберілді", "Передано"),
    (
        "outcome_handed_over",
        "Алушыға берілді",
        "Выдано получателю",
    ),
    ("outcome_accepted", "Қабылдау", "Принять"),
    (
        "outcome_not_accepted",
        "Қабылдаудан бас тарту",
        "Отказать в приёме",
    ),
    ("outcome_attached", "Тіркелді", "Приложено"),
    ("outcome_sent", "Жіберілді", "Отправлено"),
    (
        "outcome_uphold",
        "Бас тартуды қалдыру",
        "Оставить отказ в силе",
    ),
    (
        "outcome_withdraw",
        "Бас тартудан бас тарту",
        "Отменить отказ",
    ),
    ("outcome_compiled", "Жасалды", "Составлено"),
    (
        "outcome_return_for_revision",
        "Пысықтауға қайтару",
        "Вернуть на доработку",
    ),
    ("outcome_submitted", "Тапсырылды", "Сдано"),
    ("outcome_received", "Алынды", "Получено"),
    ("outcome_reconciled", "Салыстырылды", "Сверено"),
    ("outcome_failure", "Сәтсіздік", "Сбой"),
    ("outcome_otherwise", "Әйтпесе", "Иначе"),
    ("outcome_timeout", "Мерзім өтті", "Срок истёк"),
    (
        "outcome_refusal_upheld",
        "Бас тарту қалды",
        "Отказ оставлен",
    ),
    (
        "outcome_refusal_withdrawn",
        "Бас тарту алынды",
        "Отказ отменён",
    ),
    // Enumerated values on forms.
    ("value_certificate", "Куәлік", "Удостоверение"),
    (
        "value_duplicate",
        "Куәліктің телнұсқасы",
        "Дубликат удостоверения",
    ),
    (
        "value_rehabilitation_certificate",
        "Ақтау туралы анықтама",
        "Справка о реабилитации",
    ),
    ("value_court_act", "Сот актісі", "Судебный акт"),
    (
        "value_unreliable_documents",
        "Құжаттардың дәйексіздігі",
        "Недостоверность документов",
    ),
    (
        "value_non_compliance",
        "Талаптарға сәйкес келмеуі",
        "Несоответствие требованиям",
    ),
    ("value_other", "Басқа", "Другое"),
    (
        "value_grant",
        "Қол жеткізу беру (есептік жазба құру)",
        "Предоставить доступ (создать учётную запись)",
    ),
    (
        "value_change",
        "Қол жеткізу құқықтарын өзгерту",
        "Изменить права доступа",
    ),
    (
        "value_block",
        "Есептік жазбаны бұғаттау",
        "Заблокировать учётную запись",
    ),
    (
        "value_reactivate",
        "Бұғатталған есептік жазбаны қайта іске қосу",
        "Активировать заблокированную учётную запись",
    ),
    (
        "value_egov_portal",
        "«Электрондық үкімет» порталы",
        "Портал «электронного правительства»",
    ),
    (
        "value_state_corporation",
        "Мемлекеттік корпорация",
        "Государственная корпорация",
    ),
    (
        "value_provider_in_writing",
        "Көрсетілетін қызметті берушіге жазбаша",
        "Услугодателю письменно",
    ),
    (
        "value_provider_orally",
        "Көрсетілетін қызметті берушіге ауызша",
        "Услугодателю устно",
    ),
    ("value_in_person", "Жеке қатысумен", "Очно"),
    ("value_by_post", "Поштамен", "Почтой"),
    ("value_by_courier", "Курьер арқылы", "Курьером"),
    ("value_video_link", "Бейнебайланыс арқылы", "По видеосвязи"),
    (
        "value_digital_systems",
        "Цифрлық жүйелер арқылы",
        "Через цифровые системы",
    ),
    ("value_other_means", "Өзге тәсілмен", "Иным способом"),
    ("value_refusal_upheld", "Бас тарту қалды", "Отказ оставлен"),
    (
        "value_refusal_withdrawn",
        "Бас тарту алынды",
        "Отказ отменён",
    ),
    ("value_pension", "Зейнетақы", "Пенсия"),
    (
        "value_disability_benefit",
        "Мүгедектігі бойынша жәрдемақы",
        "Пособие по инвалидности",
    ),
    (
        "value_survivor_benefit",
        "Асыраушысынан айырылу жағдайы бойынша жәрдемақы",
        "Пособие по случаю потери кормильца",
    ),
    (
        "value_state_special_benefit",
        "Мемлекеттік арнаулы жәрдемақы",
        "Государственное специальное пособие",
    ),
    (
        "value_special_state_benefit",
        "Арнаулы мемлекеттік жәрдемақы",
        "Специальное государственное пособие",
    ),
    ("value_none", "Жоқ", "Нет"),
    // Results of cases.
    (
        "result_issued",
        "Қызмет көрсетілді, нәтиже берілді",
        "Услуга оказана, результат выдан",
    ),
    ("result_refused", "Бас тартылды", "Отказано"),
    (
        "result_not_accepted",
        "Құжаттар қабылданбады",
        "Документы не приняты",
    ),
    ("result_withdrawn", "Кері қайтарылды", "Отозвано"),
    ("result_completed", "Орындалды", "Выполнено"),
    (
        "result_reconciled",
        "Салыстыру жүргізілді",
        "Сверка проведена",
    ),
    ("result_refusal_upheld", "Бас тарту қалды", "Отказ оставлен"),
    (
        "result_refusal_withdrawn",
        "Бас тарту алынды",
        "Отказ отменён",
    ),
    ("result_submitted", "Есеп тапсырылды", "Отчёт сдан"),
    (
        "result_satisfied",
        "Өтінім қанағаттандырылды",
        "Заявка удовлетворена",
    ),
];

/// The text of `key` in `lang`; `None` when the table has no such key.
pub fn get(lang: Lang, key: &str) -> Option<&'static str> {
    rows()
        .find(|(k, _, _)| *k == key)
        .map(|(_, kk, ru)| match lang {
            Lang::Kk => *kk,
            Lang::Ru => *ru,
        })
}

/// The text of `key` in `lang`, or `fallback` when the table has none: a code is still
/// better on a page than a blank.
pub fn or(lang: Lang, key: &str, fallback: &str) -> String {
    get(lang, key).map_or_else(|| fallback.to_string(), str::to_string)
}

/// The whole table in `lang`, as the templates read it (`{{t.key}}`).
pub fn table(lang: Lang) -> Value {
    let mut map = Map::new();
    for (key, kk, ru) in rows() {
        map.insert(
            (*key).to_string(),
            Value::from(match lang {
                Lang::Kk => *kk,
                Lang::Ru => *ru,
            }),
        );
    }
    Value::Object(map)
}

/// Every key of the table (for the test that no key is given twice).
pub fn keys() -> impl Iterator<Item = &'static str> {
    rows().map(|(k, _, _)| *k)
}

/// The name a clerk reads for an outcome (or another edge of the diagram: `failure`,
/// `otherwise`, `received`, `timeout`, a sub-workflow's result).
pub fn outcome(lang: Lang, code: &str) -> String {
    or(lang, &format!("outcome_{code}"), code)
}

/// The name of an enumerated value on a form.
pub fn value(lang: Lang, code: &str) -> String {
    or(lang, &format!("value_{code}"), code)
}

/// The name of a case's result.
pub fn result(lang: Lang, code: &str) -> String {
    or(lang, &format!("result_{code}"), code)
}

/// The name of a region code; the code itself when the table has none.
pub fn region(lang: Lang, code: &str) -> String {
    or(lang, &format!("region_{code}"), code)
}

/// An edge label of the process diagram in the clerk's language (the diagram's hook).
pub fn edge(lang: crate::definition::messages::Lang, code: &str) -> Option<String> {
    let lang = match lang {
        crate::definition::messages::Lang::Ru => Lang::Ru,
        _ => Lang::Kk,
    };
    get(lang, &format!("outcome_{code}")).map(str::to_string)
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}
