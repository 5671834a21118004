//! The validator's messages in English, Kazakh and Russian.
//!
//! Methodologists read these messages; the ones who work in Kazakh or Russian get them in
//! their language (`--lang kk|ru` or `QYZMET_LANG`). A message is a key and its arguments
//! ([`Msg`]), rendered at the edge, so the checks stay free of wording and a translation is
//! an edit of the table below, not of the checks. A key missing a translation falls back
//! to English; a unit test keeps the table complete.

use std::fmt;

/// A language messages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English: the default for the command line.
    #[default]
    En,
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

impl Lang {
    /// Parses `en`, `kk` or `ru`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "kk" | "kz" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The language from `QYZMET_LANG`, English when unset or unknown.
    pub fn from_env() -> Lang {
        std::env::var("QYZMET_LANG")
            .ok()
            .and_then(|s| Lang::parse(&s))
            .unwrap_or_default()
    }
}

/// A message: a key into the table and the values of its `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// The key in [`TEXTS`].
    pub key: &'static str,
    /// The placeholder values, by name.
    pub args: Vec<(&'static str, String)>,
}

/// Builds a [`Msg`]: `msg!("unknown_step", step = id)`.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::definition::messages::Msg {
            key: $key,
            args: vec![$((stringify!($name), ($value).to_string())),*],
        }
    };
}

impl Msg {
    /// The message in `lang`, placeholders filled in.
    pub fn render(&self, lang: Lang) -> String {
        let template = text(self.key, lang);
        let mut out = template.to_string();
        for (name, value) in &self.args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The template of `key` in `lang`, falling back to English, then to the key itself.
pub fn text(key: &str, lang: Lang) -> &'static str {
    let Some(row) = TEXTS.iter().find(|row| row.0 == key) else {
        return "{key}";
    };
    let chosen = match lang {
        Lang::En => row.1,
        Lang::Kk => row.2,
        Lang::Ru => row.3,
    };
    if chosen.is_empty() { row.1 } else { chosen }
}

/// Every message: key, English, Kazakh, Russian.
pub static TEXTS: &[(&str, &str, &str, &str)] = &[
    // Hints shared by many checks.
    (
        "hint.did_you_mean",
        "did you mean `{name}`?",
        "`{name}` деп айтқыңыз келді ме?",
        "возможно, вы имели в виду `{name}`?",
    ),
    (
        "hint.one_of",
        "expected one of: {names}",
        "мына мәндердің бірі күтіледі: {names}",
        "ожидается одно из значений: {names}",
    ),
    // The YAML loader's limits (engine/yaml.rs).
    (
        "yaml.too_large",
        "the file is {size} bytes; files larger than {limit} bytes are not read",
        "файлдың көлемі {size} байт; {limit} байттан үлкен файлдар оқылмайды",
        "размер файла {size} байт; файлы больше {limit} байт не читаются",
    ),
    (
        "yaml.too_large_hint",
        "a definition takes a few dozen kilobytes: check that this is the file you meant, or split it",
        "сипаттама әдетте бірнеше ондаған килобайт болады: қажетті файл екенін тексеріңіз немесе оны бөліңіз",
        "описание занимает несколько десятков килобайт: проверьте, тот ли это файл, или разделите его",
    ),
    (
        "yaml.too_deep",
        "nested more than {limit} levels deep",
        "{limit} деңгейден тереңірек салынған",
        "вложенность глубже {limit} уровней",
    ),
    (
        "yaml.too_deep_hint",
        "no qyzmet file nests this deep: check the indentation, and any alias that repeats a deep part",
        "qyzmet файлдарының ешқайсысы мұндай терең салынбайды: шегіністерді және терең бөлікті қайталайтын alias-ты (`*атау`) тексеріңіз",
        "ни один файл qyzmet не вложен так глубоко: проверьте отступы и псевдоним (alias), повторяющий глубокую часть",
    ),
    (
        "yaml.aliases_too_large",
        "this alias takes the document past its limit: all aliases together may copy at most {nodes} nodes and {bytes} bytes of text",
        "бұл alias құжатты шектен асырады: барлық alias-тар бірге ең көбі {nodes} түйінді және {bytes} байт мәтінді көшіре алады",
        "этот псевдоним (alias) выводит документ за предел: все псевдонимы вместе могут скопировать не более {nodes} узлов и {bytes} байт текста",
    ),
    (
        "yaml.aliases_too_large_hint",
        "an alias copies its anchor whole, the aliases inside it included: write the repeated part out, or repeat a smaller one",
        "alias өз якорын ішіндегі alias-тарымен қоса толық көшіреді: қайталанатын бөлікті толық жазыңыз немесе кішірек бөлікті қайталаңыз",
        "псевдоним копирует свой якорь целиком, вместе с псевдонимами внутри него: выпишите повторяемую часть явно или повторяйте меньшую",
    ),
    // Structure (from the JSON Schema).
    (
        "schema.unknown_field",
        "unknown field `{field}`",
        "белгісіз өріс: `{field}`",
        "неизвестное поле `{field}`",
    ),
    (
        "schema.missing_field",
        "missing field `{field}`",
        "`{field}` өрісі көрсетілмеген",
        "не указано поле `{field}`",
    ),
    (
        "schema.wrong_type",
        "`{path}` must be {expected}",
        "`{path}` мәнінің түрі мынадай болуы керек: {expected}",
        "значение `{path}` должно иметь тип: {expected}",
    ),
    (
        "schema.not_one_of",
        "`{path}` must be one of: {values}",
        "`{path}` мәні мыналардың бірі болуы керек: {values}",
        "значение `{path}` должно быть одним из следующих: {values}",
    ),
    (
        "schema.pattern",
        "`{path}` has the wrong form: `{value}`",
        "`{path}` мәнінің пішімі қате: `{value}`",
        "неверный формат значения `{path}`: `{value}`",
    ),
    (
        "schema.invalid",
        "`{path}`: {detail}",
        "`{path}`: {detail}",
        "`{path}`: {detail}",
    ),
    (
        "schema.no_form_fits",
        "`{path}` is not in any of the forms this field takes",
        "`{path}` мәні осы өріс қабылдайтын пішімдердің ешқайсысына сәйкес келмейді",
        "значение `{path}` не соответствует ни одному из допустимых для этого поля форматов",
    ),
    // Files and versions.
    (
        "file.not_workflow",
        "not a workflow: give `service:` or `subworkflow:`",
        "бұл жұмыс процесі емес: `service:` немесе `subworkflow:` көрсетіңіз",
        "это не процесс: укажите `service:` или `subworkflow:`",
    ),
    (
        "file.both_ids",
        "give either `service:` or `subworkflow:`, not both",
        "`service:` немесе `subworkflow:` өрісінің біреуін ғана көрсетіңіз, екеуін бірдей емес",
        "укажите либо `service:`, либо `subworkflow:`, но не оба сразу",
    ),
    (
        "version.bad_date",
        "`{field}` is not a date: `{value}`",
        "`{field}` өрісіндегі мән күн емес: `{value}`",
        "значение поля `{field}` не является датой: `{value}`",
    ),
    (
        "hint.date_form",
        "write dates as YYYY-MM-DD, e.g. 2026-04-13",
        "күндерді ЖЖЖЖ-АА-КК пішімінде жазыңыз, мысалы: 2026-04-13",
        "указывайте даты в формате ГГГГ-ММ-ДД, например 2026-04-13",
    ),
    (
        "version.until_before_from",
        "`effective_until` ({until}) is before `effective_from` ({from})",
        "`effective_until` ({until}) күні `effective_from` ({from}) күнінен бұрын",
        "дата `effective_until` ({until}) предшествует дате `effective_from` ({from})",
    ),
    (
        "version.duplicate",
        "version `{version}` of `{service}` is defined twice (also in {other})",
        "`{service}` қызметінің `{version}` нұсқасы екі рет анықталған (ол {other} файлында да бар)",
        "версия `{version}` услуги `{service}` определена дважды (также в файле {other})",
    ),
    (
        "version.overlap",
        "versions `{a}` and `{b}` of `{service}` are both in force on {date}",
        "`{service}` қызметінің `{a}` және `{b}` нұсқалары {date} күні бір мезгілде қолданыста",
        "версии `{a}` и `{b}` услуги `{service}` одновременно действуют на {date}",
    ),
    (
        "hint.overlap",
        "set `effective_until: {until}` on version `{a}`",
        "`{a}` нұсқасында `effective_until: {until}` деп көрсетіңіз",
        "укажите `effective_until: {until}` в версии `{a}`",
    ),
    (
        "version.gap",
        "no version of `{service}` is in force from {from} to {to}",
        "{from} күнінен {to} күніне дейін `{service}` қызметінің бірде-бір нұсқасы қолданыста емес",
        "с {from} по {to} не действует ни одна версия услуги `{service}`",
    ),
    (
        "hint.gap",
        "start version `{b}` on {date}, or end version `{a}` on {until}",
        "`{b}` нұсқасының қолданысын {date} күнінен бастаңыз немесе `{a}` нұсқасының қолданысын {until} күні аяқтаңыз",
        "установите начало действия версии `{b}` с {date} либо окончание действия версии `{a}` по {until}",
    ),
    // Service metadata.
    (
        "service.no_term",
        "a service needs its statutory `term`",
        "қызмет үшін заңда белгіленген мерзім (`term`) көрсетілуі керек",
        "для услуги необходимо указать срок оказания услуги (`term`)",
    ),
    (
        "hint.term",
        "e.g. `term: { working_days: 5, acceptance_day_counts: false }`",
        "мысалы: `term: { working_days: 5, acceptance_day_counts: false }`",
        "например: `term: { working_days: 5, acceptance_day_counts: false }`",
    ),
    (
        "term.one_unit",
        "give the term in `working_days` or in `calendar_days`, exactly one",
        "мерзімді `working_days` немесе `calendar_days` арқылы көрсетіңіз — екеуінің біреуін ғана",
        "укажите срок либо в `working_days`, либо в `calendar_days` — только одно из двух",
    ),
    (
        "term.subworkflow",
        "a sub-workflow has no term of its own: the calling service's term applies",
        "ішкі процестің өз мерзімі болмайды: оны шақырған қызметтің мерзімі қолданылады",
        "у подпроцесса нет собственного срока: применяется срок вызывающей его услуги",
    ),
    (
        "calendar.unknown",
        "unknown calendar `{name}`",
        "белгісіз күнтізбе: `{name}`",
        "неизвестный календарь `{name}`",
    ),
    (
        "hint.calendars",
        "calendars are the folders under {dir}: {names}",
        "күнтізбелер — {dir} ішіндегі қалталар: {names}",
        "календари — это папки в {dir}: {names}",
    ),
    (
        "source.unknown_act",
        "unknown act `{act}` in `source`",
        "`source` өрісінде белгісіз акт көрсетілген: `{act}`",
        "в `source` указан неизвестный акт `{act}`",
    ),
    (
        "hint.basis",
        "add it under `basis:` or use one of: {names}",
        "оны `basis:` бөліміне қосыңыз немесе мыналардың бірін пайдаланыңыз: {names}",
        "добавьте его в раздел `basis:` или используйте один из следующих: {names}",
    ),
    (
        "email.invalid",
        "`{value}` is not an e-mail address",
        "`{value}` — электрондық пошта мекенжайы емес",
        "`{value}` не является адресом электронной почты",
    ),
    (
        "email.support_missing",
        "step `{step}` escalates to `support_email`, but the service has no `support_email`",
        "`{step}` қадамы `support_email` мекенжайына эскалациялауды көздейді, бірақ қызметте `support_email` көрсетілмеген",
        "шаг `{step}` предусматривает эскалацию на `support_email`, но у услуги не указан `support_email`",
    ),
    (
        "results.subworkflow_none",
        "a sub-workflow must list its `results`",
        "ішкі процесте оның нәтижелері (`results`) тізбеленуі керек",
        "в подпроцессе должны быть перечислены его результаты (`results`)",
    ),
    (
        "results.service_unknown",
        "`{result}` is not a result of a service",
        "`{result}` — қызмет нәтижесі емес",
        "`{result}` не является результатом услуги",
    ),
    // Data and messages.
    (
        "data.bad_name",
        "`{name}` is not a valid data name",
        "`{name}` — жарамды дерек атауы емес",
        "`{name}` не является допустимым именем данных",
    ),
    (
        "hint.data_name",
        "use lower_snake_case words joined by dots, e.g. `applicant.iin`",
        "нүктелермен біріктірілген lower_snake_case сөздерін пайдаланыңыз, мысалы: `applicant.iin`",
        "используйте слова в стиле lower_snake_case, разделённые точками, например `applicant.iin`",
    ),
    (
        "data.enum_without_values",
        "`{name}` is an enum but lists no `values`",
        "`{name}` түрі — enum, бірақ `values` тізімі берілмеген",
        "`{name}` имеет тип enum, но список `values` не задан",
    ),
    (
        "data.values_not_enum",
        "`{name}` lists `values` but is not an enum",
        "`{name}` үшін `values` тізімі берілген, бірақ оның түрі enum емес",
        "для `{name}` задан список `values`, но его тип — не enum",
    ),
    (
        "data.bad_pattern",
        "`{name}`: the pattern is not a valid regular expression: {detail}",
        "`{name}`: `pattern` мәні жарамды тұрақты өрнек емес: {detail}",
        "`{name}`: значение `pattern` не является корректным регулярным выражением: {detail}",
    ),
    (
        "data.min_max",
        "`{name}`: `min` is greater than `max`",
        "`{name}`: `min` мәні `max` мәнінен үлкен",
        "`{name}`: значение `min` больше значения `max`",
    ),
    (
        "data.prefix_clash",
        "`{name}` is declared as a value and as a group (`{other}`)",
        "`{name}` бір мезгілде әрі мән, әрі топ (`{other}`) ретінде жарияланған",
        "`{name}` объявлено одновременно как значение и как группа (`{other}`)",
    ),
    (
        "data.unknown",
        "unknown data field `{name}`",
        "белгісіз дерек өрісі: `{name}`",
        "неизвестное поле данных `{name}`",
    ),
    (
        "hint.declare_data",
        "declare it under `data:`",
        "оны `data:` бөлімінде жариялаңыз",
        "объявите его в разделе `data:`",
    ),
    // Schedule.
    (
        "schedule.one_kind",
        "give the schedule as `cron` or as `every`, exactly one",
        "кестені `cron` немесе `every` арқылы көрсетіңіз — екеуінің біреуін ғана",
        "задайте расписание либо через `cron`, либо через `every` — только одно из двух",
    ),
    (
        "schedule.bad_cron",
        "the cron expression is not valid: {detail}",
        "cron өрнегі жарамсыз: {detail}",
        "некорректное выражение cron: {detail}",
    ),
    (
        "hint.cron",
        "six fields with seconds: `sec min hour day-of-month month day-of-week`, e.g. `0 0 9 1 3 *`",
        "секундтарды қоса алғанда алты өріс: `секунд минут сағат айдың-күні ай апта-күні`, мысалы: `0 0 9 1 3 *`",
        "шесть полей, включая секунды: `секунды минуты часы день-месяца месяц день-недели`, например `0 0 9 1 3 *`",
    ),
    (
        "schedule.every_needs_offset",
        "with `every`, give one of `working_day`, `calendar_days_after`, `working_days_after`",
        "`every` қолданылғанда `working_day`, `calendar_days_after`, `working_days_after` өрістерінің бірін көрсетіңіз",
        "при `every` укажите одно из полей: `working_day`, `calendar_days_after`, `working_days_after`",
    ),
    (
        "schedule.bad_working_day",
        "`working_day` must be 1 to 15: every month has more than 15 working days",
        "`working_day` 1-ден 15-ке дейін болуы керек: әр айда 15-тен көп жұмыс күні бар",
        "`working_day` должен быть от 1 до 15: в каждом месяце больше 15 рабочих дней",
    ),
    (
        "schedule.bad_month",
        "`month` must be 1 to 12",
        "`month` мәні 1-ден 12-ге дейін болуы керек",
        "значение `month` должно быть от 1 до 12",
    ),
    (
        "schedule.month_needs_year",
        "`month` goes with `every: year`",
        "`month` тек `every: year` мәнімен бірге қолданылады",
        "`month` используется только вместе с `every: year`",
    ),
    (
        "schedule.bad_time",
        "`at` must be a time HH:MM, not `{value}`",
        "`at` мәні СС:ММ пішіміндегі уақыт болуы керек, `{value}` емес",
        "значение `at` должно быть временем в формате ЧЧ:ММ, а не `{value}`",
    ),
    (
        "schedule.cron_only",
        "`{field}` goes with `every`, not with `cron`",
        "`{field}` `cron` өрісімен емес, `every` өрісімен бірге қолданылады",
        "`{field}` используется вместе с `every`, а не с `cron`",
    ),
    (
        "schedule.every_only",
        "`on_non_working_day` goes with `cron`",
        "`on_non_working_day` тек `cron` өрісімен бірге қолданылады",
        "`on_non_working_day` используется только вместе с `cron`",
    ),
    (
        "schedule.not_proactive",
        "a scheduled service must have the channel `proactive` or no channels",
        "кесте бойынша іске қосылатын қызметте `proactive` арнасы болуы керек немесе арналар мүлде болмауы керек",
        "у услуги, запускаемой по расписанию, должен быть указан канал `proactive` либо не должно быть каналов вовсе",
    ),
    // Steps.
    (
        "step.bad_id",
        "`{step}` is not a valid step id",
        "`{step}` — жарамды қадам идентификаторы емес",
        "`{step}` не является допустимым идентификатором шага",
    ),
    (
        "hint.step_id",
        "use lower_snake_case, e.g. `fetch_person`",
        "lower_snake_case жазылымын пайдаланыңыз, мысалы: `fetch_person`",
        "используйте стиль lower_snake_case, например `fetch_person`",
    ),
    (
        "step.no_kind",
        "step `{step}` has no kind",
        "`{step}` қадамының түрі көрсетілмеген",
        "у шага `{step}` не указан тип",
    ),
    (
        "hint.kinds",
        "give one of: task, request, notify, document, decide, fork, join, wait, receive, call, end",
        "мыналардың бірін көрсетіңіз: task, request, notify, document, decide, fork, join, wait, receive, call, end",
        "укажите один из типов: task, request, notify, document, decide, fork, join, wait, receive, call, end",
    ),
    (
        "step.many_kinds",
        "step `{step}` has several kinds: {kinds}",
        "`{step}` қадамында бірнеше түр көрсетілген: {kinds}",
        "у шага `{step}` указано несколько типов: {kinds}",
    ),
    (
        "hint.split_step",
        "split it into one step per kind, joined by `next`",
        "оны әр түрге бір қадамнан бөліп, қадамдарды `next` арқылы байланыстырыңыз",
        "разделите его на отдельные шаги — по одному на каждый тип — и свяжите их через `next`",
    ),
    (
        "step.unknown",
        "unknown step `{step}`",
        "белгісіз қадам: `{step}`",
        "неизвестный шаг `{step}`",
    ),
    (
        "step.needs_next",
        "step `{step}` needs `next`",
        "`{step}` қадамында `next` көрсетілуі керек",
        "для шага `{step}` необходимо указать `next`",
    ),
    (
        "step.field_not_for_kind",
        "`{field}` does not go with a `{kind}` step",
        "`{field}` өрісі `{kind}` түріндегі қадамда қолданылмайды",
        "поле `{field}` не применяется в шаге типа `{kind}`",
    ),
    (
        "step.needs_outcomes",
        "the task `{step}` needs `outcomes`",
        "`{step}` тапсырмасында `outcomes` көрсетілуі керек",
        "для задачи `{step}` необходимо указать `outcomes`",
    ),
    (
        "step.unreachable",
        "step `{step}` can never be reached from `{start}`",
        "`{start}` қадамынан `{step}` қадамына ешқашан жету мүмкін емес",
        "шаг `{step}` недостижим из шага `{start}`",
    ),
    (
        "hint.unreachable",
        "lead to it from another step, or remove it",
        "оған басқа қадамнан өтуді қосыңыз немесе оны жойыңыз",
        "добавьте переход к нему из другого шага или удалите его",
    ),
    (
        "step.no_end",
        "from step `{step}` there is no way to an end",
        "`{step}` қадамынан процестің аяқталуына апаратын жол жоқ",
        "из шага `{step}` нет пути к завершению процесса",
    ),
    (
        "hint.no_end",
        "every path must reach an `end` step; check `next` and the outcomes",
        "әрбір жол `end` қадамына жетуі керек; `next` мәндерін және тапсырма қорытындыларын тексеріңіз",
        "каждый путь должен доходить до шага `end`; проверьте `next` и исходы задач",
    ),
    (
        "step.unknown_stage",
        "unknown stage code `{stage}`",
        "белгісіз кезең коды: `{stage}`",
        "неизвестный код этапа `{stage}`",
    ),
    (
        "hint.catalog",
        "add it to {catalog} or use one of: {names}",
        "оны {catalog} каталогына қосыңыз немесе мыналардың бірін пайдаланыңыз: {names}",
        "добавьте его в каталог {catalog} или используйте один из следующих: {names}",
    ),
    // Tasks.
    (
        "task.unknown_role",
        "unknown role `{role}`",
        "белгісіз рөл: `{role}`",
        "неизвестная роль `{role}`",
    ),
    (
        "task.bad_due",
        "`{kind}` is not a due time for a task",
        "`{kind}` тапсырманы орындау мерзімі бола алмайды",
        "`{kind}` не может быть сроком выполнения задачи",
    ),
    (
        "wait.bad_duration",
        "`{kind}` is not a duration for {what}",
        "`{kind}` ұзақтықты көрсету үшін жарамайды ({what})",
        "`{kind}` не подходит для задания длительности ({what})",
    ),
    (
        "rung.bad_percent",
        "`at` must be a share from 1% to 100%, not `{value}`",
        "`at` мәні 1%-дан 100%-ға дейінгі үлес болуы керек, `{value}` емес",
        "значение `at` должно быть долей от 1% до 100%, а не `{value}`",
    ),
    (
        "rung.not_ascending",
        "the escalation rungs must go up: {b} comes after {a}",
        "эскалация сатылары өсу ретімен орналасуы керек: {b} мәні {a} мәнінен кейін тұр",
        "ступени эскалации должны идти по возрастанию: {b} следует после {a}",
    ),
    (
        "rung.one_action",
        "a rung does one thing: `remind`, `notify` or `reassign`",
        "әр сатыда бір ғана әрекет болады: `remind`, `notify` немесе `reassign`",
        "каждая ступень выполняет только одно действие: `remind`, `notify` или `reassign`",
    ),
    (
        "rung.remind_assignee",
        "`remind` goes to `assignee`",
        "`remind` тек `assignee` алушысына жіберіледі",
        "`remind` направляется только `assignee`",
    ),
    (
        "rung.no_due",
        "the task `{step}` has an escalation ladder but no `due`",
        "`{step}` тапсырмасында эскалация сатылары бар, бірақ `due` көрсетілмеген",
        "у задачи `{step}` задана лестница эскалации, но не указан `due`",
    ),
    (
        "form.unknown_outcome",
        "`for_outcomes` names `{outcome}`, which is not an outcome of `{step}`",
        "`for_outcomes` өрісінде `{outcome}` көрсетілген, бірақ ол `{step}` қадамының қорытындысы емес",
        "в `for_outcomes` указан `{outcome}`, который не является исходом `{step}`",
    ),
    (
        "form.duplicate",
        "`{name}` is on the form twice",
        "`{name}` нысанда екі рет көрсетілген",
        "`{name}` указано в форме дважды",
    ),
    (
        "form.not_fillable",
        "`{name}` is a {ty} and cannot be filled in on a form",
        "`{name}` түрі — {ty}, оны нысанда толтыруға болмайды",
        "`{name}` имеет тип {ty} и не может заполняться в форме",
    ),
    // Expressions.
    ("expr.error", "{detail}", "{detail}", "{detail}"),
    (
        "expr.at",
        "in `{source}`: {detail}",
        "`{source}` өрнегінде: {detail}",
        "в выражении `{source}`: {detail}",
    ),
    // Requests.
    (
        "request.unknown_connector",
        "unknown connector `{name}`",
        "белгісіз коннектор: `{name}`",
        "неизвестный коннектор `{name}`",
    ),
    (
        "request.unknown_input",
        "connector `{connector}` takes no input `{name}`",
        "`{connector}` коннекторында `{name}` кіріс параметрі жоқ",
        "коннектор `{connector}` не принимает входной параметр `{name}`",
    ),
    (
        "request.missing_input",
        "connector `{connector}` needs the input `{name}`",
        "`{connector}` коннекторына `{name}` кіріс параметрі қажет",
        "коннектору `{connector}` требуется входной параметр `{name}`",
    ),
    (
        "request.no_output",
        "the request records nothing from its answer",
        "сұрау жауабынан ештеңе сақталмайды",
        "из ответа на запрос ничего не сохраняется",
    ),
    (
        "hint.output",
        "map answer fields into case data: `output: { person.name: response.name }`",
        "жауап өрістерін іс деректерімен сәйкестендіріңіз: `output: { person.name: response.name }`",
        "сопоставьте поля ответа с данными дела: `output: { person.name: response.name }`",
    ),
    (
        "request.attempts",
        "`attempts` must be at least 1",
        "`attempts` мәні кемінде 1 болуы керек",
        "значение `attempts` должно быть не меньше 1",
    ),
    (
        "request.needs_on_failure",
        "the request `{step}` needs `on_failure`: what happens when the system does not answer",
        "`{step}` сұрауында `on_failure` көрсетілуі керек: жүйе жауап бермеген жағдайда не болатыны",
        "для запроса `{step}` необходимо указать `on_failure`: что происходит, если система не отвечает",
    ),
    (
        "hint.on_failure",
        "e.g. `on_failure: { escalate: [support_email], next: take_documents }` (seeds/001 items 13, 14)",
        "мысалы: `on_failure: { escalate: [support_email], next: take_documents }` (seeds/001, 13 және 14-тармақтар)",
        "например: `on_failure: { escalate: [support_email], next: take_documents }` (seeds/001, пункты 13, 14)",
    ),
    (
        "request.optional_unguarded",
        "`{name}` may be missing from the answer of `{connector}` (the catalog marks it optional), and reading it without `has({name})` stops the case whenever it is",
        "`{name}` өрісі `{connector}` жауабында болмауы мүмкін (каталогта міндетті емес деп белгіленген), ал оны `has({name})` тексерусіз оқу ол жоқ кезде істі тоқтатады",
        "поле `{name}` может отсутствовать в ответе `{connector}` (в каталоге оно помечено как необязательное), а чтение без `has({name})` останавливает дело всякий раз, когда его нет",
    ),
    (
        "hint.optional_unguarded",
        "test it first: `has({name}) ? {name} : null` leaves `{target}` unset when the answer lacks it; or read it only where `has({name})` holds",
        "алдымен тексеріңіз: `has({name}) ? {name} : null` — жауапта ол болмаса, `{target}` толтырылмай қалады; не оны тек `has({name})` орындалатын жерде оқыңыз",
        "сначала проверьте наличие: `has({name}) ? {name} : null` — если в ответе его нет, `{target}` останется незаполненным; либо читайте его только там, где выполняется `has({name})`",
    ),
    (
        "request.bad_escalate",
        "`{value}` is not an escalation target",
        "`{value}` эскалация алушысы бола алмайды",
        "`{value}` не может быть адресатом эскалации",
    ),
    // Notifications and documents.
    (
        "notify.bad_recipient",
        "unknown recipient `{to}`",
        "белгісіз алушы: `{to}`",
        "неизвестный получатель `{to}`",
    ),
    (
        "hint.recipient",
        "`citizen`, `applicant`, `assignee`, `support_email`, or a role: {roles}",
        "`citizen`, `applicant`, `assignee`, `support_email` немесе рөл: {roles}",
        "`citizen`, `applicant`, `assignee`, `support_email` или роль: {roles}",
    ),
    (
        "application.no_outcomes",
        "an application has no outcomes: write `required: false` for an optional field instead of `for_outcomes`",
        "өтініште нәтижелер жоқ: `for_outcomes` орнына міндетті емес өріс үшін `required: false` жазыңыз",
        "у заявления нет исходов: вместо `for_outcomes` укажите `required: false` для необязательного поля",
    ),
    (
        "notify.credentials_email_only",
        "step `{step}` carries a temporary password: give `channels: [email]` only (the answer goes to the corporate e-mail of the request, seeds/003 item 22)",
        "`{step}` қадамы уақытша парольді жібереді: тек `channels: [email]` көрсетіңіз (жауап өтінімде көрсетілген корпоративтік электрондық поштаға жіберіледі, seeds/003 22-тармақ)",
        "шаг `{step}` передаёт временный пароль: укажите только `channels: [email]` (ответ направляется на корпоративную электронную почту, указанную в заявке, seeds/003 пункт 22)",
    ),
    (
        "notify.receipt_needs_undelivered",
        "step `{step}` waits for its notice to go (`record_sent_on`): say where the case goes when it cannot, with `on_undelivered: <step>` (e.g. a clerk's task to hand it over)",
        "`{step}` қадамы хабарламаның жіберілуін күтеді (`record_sent_on`): жіберу мүмкін болмаса, іс қайда өтетінін `on_undelivered: <қадам>` арқылы көрсетіңіз (мысалы, хабарламаны қолма-қол тапсыру тапсырмасы)",
        "шаг `{step}` ждёт отправки уведомления (`record_sent_on`): укажите, куда идёт дело, если отправить нельзя, через `on_undelivered: <шаг>` (например, задача вручить уведомление)",
    ),
    (
        "notify.undelivered_needs_receipt",
        "`on_undelivered` goes with `record_sent_on` on the step's `notify`: a notice the case does not wait for is never undelivered to it",
        "`on_undelivered` қадамның `notify` ішіндегі `record_sent_on`-мен бірге жазылады: іс күтпейтін хабарлама ол үшін жеткізілмеген болып саналмайды",
        "`on_undelivered` указывается вместе с `record_sent_on` в `notify` шага: уведомление, которого дело не ждёт, для него не бывает недоставленным",
    ),
    (
        "notify.receipt_citizen_only",
        "`record_sent_on` is for a notice to the `citizen` or the `applicant`: the day they obtained it starts their window",
        "`record_sent_on` тек `citizen` немесе `applicant` үшін хабарламаға жазылады: олардың мерзімі хабарламаны алған күннен басталады",
        "`record_sent_on` указывается для уведомления `citizen` или `applicant`: их срок идёт со дня получения",
    ),
    (
        "notify.receipt_not_date",
        "`{name}` records the day the notice went: declare it `type: date`",
        "`{name}` хабарлама жіберілген күнді жазады: оны `type: date` деп жариялаңыз",
        "`{name}` хранит день отправки уведомления: объявите его как `type: date`",
    ),
    (
        "form.must_be_bool",
        "`must_be` is for a yes/no field (`type: bool`), such as a consent; `{name}` is not one",
        "`must_be` тек иә/жоқ өрісіне (`type: bool`), мысалы келісімге жазылады; `{name}` ондай емес",
        "`must_be` указывается для поля да/нет (`type: bool`), например согласия; `{name}` не такое",
    ),
    (
        "notify.no_channels",
        "give at least one channel: `sms`, `email`",
        "кемінде бір арнаны көрсетіңіз: `sms`, `email`",
        "укажите хотя бы один канал: `sms`, `email`",
    ),
    (
        "template.unknown",
        "unknown template `{template}`",
        "белгісіз үлгі: `{template}`",
        "неизвестный шаблон `{template}`",
    ),
    (
        "hint.template_dir",
        "a template is a folder under {dir} with a file per language",
        "үлгі — {dir} ішіндегі, әр тілге жеке файлы бар қалта",
        "шаблон — это папка в {dir} с отдельным файлом для каждого языка",
    ),
    (
        "template.missing",
        "template `{template}` lacks {files}",
        "`{template}` үлгісінде мына файлдар жоқ: {files}",
        "в шаблоне `{template}` отсутствуют файлы: {files}",
    ),
    (
        "hint.template",
        "create them in {path}",
        "оларды {path} ішінде жасаңыз",
        "создайте их в {path}",
    ),
    (
        "template.unset",
        "{file}: `{{{name}}}` is not set on the path {path}",
        "{file}: `{{{name}}}` мына жолда толтырылмайды: {path}",
        "{file}: `{{{name}}}` не заполняется на пути {path}",
    ),
    (
        "hint.template_unset",
        "print it only when it is there, `{{#if {name}}}…{{/if}}` in the template, or set it on that path (a required form field, a request output, an outcome's `set`)",
        "оны тек бар болғанда шығарыңыз — үлгіде `{{#if {name}}}…{{/if}}`, не оны сол жолда толтырыңыз (форманың міндетті өрісі, сұраудың `output`, нәтиженің `set`)",
        "выводите его только при наличии — `{{#if {name}}}…{{/if}}` в шаблоне, либо заполните его на этом пути (обязательное поле формы, `output` запроса, `set` исхода)",
    ),
    (
        "hint.template_deadline",
        "the deadline exists once the term has started (after `term.starts_after`): print it only inside `{{#if deadline}}…{{/if}}`, or send this after the acceptance",
        "мерзім тек мерзімнің өтуі басталғаннан кейін (`term.starts_after` қадамынан кейін) болады: оны тек `{{#if deadline}}…{{/if}}` ішінде шығарыңыз, не мұны қабылдаудан кейін жіберіңіз",
        "срок появляется только после начала течения срока (после шага `term.starts_after`): выводите его только внутри `{{#if deadline}}…{{/if}}` либо отправляйте это после приёма",
    ),
    ("template.check", "{detail}", "{detail}", "{detail}"),
    // Decisions, forks and joins.
    (
        "decide.no_branch",
        "a decision needs at least one `when` branch",
        "шешімде кемінде бір `when` тармағы болуы керек",
        "в решении должна быть хотя бы одна ветвь `when`",
    ),
    (
        "decide.branch_form",
        "a branch is `{ when: ..., next: ... }` or `{ otherwise: ... }`",
        "тармақ `{ when: ..., next: ... }` немесе `{ otherwise: ... }` түрінде жазылады",
        "ветвь записывается как `{ when: ..., next: ... }` или `{ otherwise: ... }`",
    ),
    (
        "decide.no_otherwise",
        "the decision `{step}` has no `otherwise`: a case that matches no branch would be stuck",
        "`{step}` шешімінде `otherwise` жоқ: ешбір тармаққа сәйкес келмеген іс әрі қарай жылжи алмайды",
        "в решении `{step}` нет `otherwise`: дело, не подпадающее ни под одну ветвь, не сможет продвинуться дальше",
    ),
    (
        "hint.otherwise",
        "add `- otherwise: <step>` as the last branch",
        "соңғы тармақ ретінде `- otherwise: <step>` қосыңыз",
        "добавьте `- otherwise: <step>` последней ветвью",
    ),
    (
        "decide.otherwise_not_last",
        "`otherwise` must be the last branch",
        "`otherwise` соңғы тармақ болуы керек",
        "`otherwise` должна быть последней ветвью",
    ),
    (
        "fork.too_few",
        "a fork needs at least two branches",
        "параллель тармақталуда кемінде екі тармақ болуы керек",
        "в параллельном ветвлении должно быть не менее двух ветвей",
    ),
    (
        "join.not_fork",
        "the join `{step}` names `{fork}`, which is not a fork",
        "`{step}` біріктіруінде `{fork}` көрсетілген, бірақ ол параллель тармақталу емес",
        "в слиянии `{step}` указан `{fork}`, который не является параллельным ветвлением",
    ),
    (
        "join.without_fork",
        "the join `{step}` can be reached without passing its fork `{fork}`",
        "`{step}` біріктіруіне оның `{fork}` параллель тармақталуынан өтпей-ақ жетуге болады",
        "до слияния `{step}` можно дойти, минуя его параллельное ветвление `{fork}`",
    ),
    (
        "fork.no_join",
        "the fork `{step}` has no join",
        "`{step}` параллель тармақталуының біріктіруі жоқ",
        "у параллельного ветвления `{step}` нет слияния",
    ),
    (
        "hint.join",
        "add a step `join: {step}` where its branches meet",
        "оның тармақтары тоғысатын жерге `join: {step}` қадамын қосыңыз",
        "добавьте шаг `join: {step}` там, где сходятся его ветви",
    ),
    (
        "fork.many_joins",
        "the fork `{step}` has more than one join: {joins}",
        "`{step}` параллель тармақталуының біріктіруі біреуден көп: {joins}",
        "у параллельного ветвления `{step}` более одного слияния: {joins}",
    ),
    (
        "fork.branch_misses_join",
        "branch `{branch}` of the fork `{step}` can end without reaching the join `{join}`",
        "`{step}` параллель тармақталуының `{branch}` тармағы `{join}` біріктіруіне жетпей аяқталуы мүмкін",
        "ветвь `{branch}` параллельного ветвления `{step}` может завершиться, не дойдя до слияния `{join}`",
    ),
    // Messages and calls.
    (
        "receive.unknown_message",
        "unknown message `{name}`",
        "белгісіз хабарлама: `{name}`",
        "неизвестное сообщение `{name}`",
    ),
    (
        "hint.messages",
        "declare it under `messages:`",
        "оны `messages:` бөлімінде жариялаңыз",
        "объявите его в разделе `messages:`",
    ),
    (
        "receive.needs_timeout",
        "the receive step `{step}` needs `on_timeout`",
        "`{step}` хабарлама қабылдау қадамында `on_timeout` көрсетілуі керек",
        "для шага получения сообщения `{step}` необходимо указать `on_timeout`",
    ),
    (
        "call.unknown",
        "unknown sub-workflow `{name}`",
        "белгісіз ішкі процесс: `{name}`",
        "неизвестный подпроцесс `{name}`",
    ),
    (
        "call.recursive",
        "the sub-workflow `{name}` calls itself through `{via}`",
        "`{name}` ішкі процесі `{via}` арқылы өзін-өзі шақырады",
        "подпроцесс `{name}` вызывает сам себя через `{via}`",
    ),
    (
        "call.unknown_param",
        "the sub-workflow `{name}` takes no parameter `{param}`",
        "`{name}` ішкі процесінде `{param}` параметрі жоқ",
        "подпроцесс `{name}` не принимает параметр `{param}`",
    ),
    (
        "call.missing_param",
        "the sub-workflow `{name}` needs the parameter `{param}`",
        "`{name}` ішкі процесіне `{param}` параметрі қажет",
        "подпроцессу `{name}` требуется параметр `{param}`",
    ),
    (
        "call.unknown_result",
        "`{result}` is not a result of the sub-workflow `{name}`",
        "`{result}` — `{name}` ішкі процесінің нәтижесі емес",
        "`{result}` не является результатом подпроцесса `{name}`",
    ),
    (
        "call.missing_result",
        "the sub-workflow `{name}` can end with `{result}`, which `outcomes` does not handle",
        "`{name}` ішкі процесі `{result}` нәтижесімен аяқталуы мүмкін, бірақ ол `outcomes` ішінде өңделмеген",
        "подпроцесс `{name}` может завершиться результатом `{result}`, который не обрабатывается в `outcomes`",
    ),
    (
        "end.unknown_result",
        "unknown result `{result}`",
        "белгісіз нәтиже: `{result}`",
        "неизвестный результат `{result}`",
    ),
    (
        "hint.results",
        "results: {names}",
        "нәтижелер: {names}",
        "результаты: {names}",
    ),
    // The statutory term.
    (
        "term.exceeded",
        "the longest path takes {days} working days, {excess} more than the term of {term}: {path}",
        "ең ұзақ жол {days} жұмыс күнін алады, бұл заңда белгіленген мерзімнен ({term}) {excess} күнге артық: {path}",
        "самый длинный путь занимает {days} раб. дн., что на {excess} раб. дн. превышает срок оказания услуги ({term}): {path}",
    ),
    (
        "hint.term_exceeded",
        "shorten the due times or timers on this path, or mark the steps that wait on the citizen with `pauses_term: true`",
        "осы жолдағы орындау мерзімдерін немесе таймерлерді қысқартыңыз не азаматтың әрекетін күтетін қадамдарды `pauses_term: true` арқылы белгілеңіз",
        "сократите сроки выполнения или таймеры на этом пути либо отметьте шаги, ожидающие действий гражданина, с помощью `pauses_term: true`",
    ),
    (
        "term.before_end",
        "the task `{step}` is due {n} working days before the end of the term, but the longest path after it takes {days}: {path}",
        "`{step}` тапсырмасы мерзім аяқталғанға дейін {n} жұмыс күні бұрын орындалуы керек, бірақ одан кейінгі ең ұзақ жол {days} жұмыс күнін алады: {path}",
        "задача `{step}` должна быть выполнена за {n} раб. дн. до окончания срока, однако самый длинный путь после неё занимает {days} раб. дн.: {path}",
    ),
    (
        "term.before_end_no_term",
        "`working_days_before_term_end` needs a term",
        "`working_days_before_term_end` үшін заңда белгіленген мерзім көрсетілуі керек",
        "для `working_days_before_term_end` необходимо указать срок оказания услуги",
    ),
    (
        "term.unknown_start",
        "`starts_after` names an unknown step `{step}`",
        "`starts_after` өрісінде белгісіз қадам көрсетілген: `{step}`",
        "в `starts_after` указан неизвестный шаг `{step}`",
    ),
    // The catalog.
    (
        "catalog.missing",
        "no catalog found: create {path}",
        "каталог табылмады: {path} файлын жасаңыз",
        "каталог не найден: создайте {path}",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|r| r.0).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a message key is listed twice");
    }

    #[test]
    fn renders_placeholders_and_falls_back() {
        let m = crate::msg!("step.unknown", step = "revew");
        assert_eq!(m.render(Lang::En), "unknown step `revew`");
        assert_eq!(text("no.such.key", Lang::Ru), "{key}");
    }

    /// The `{name}` placeholders of a template, `name` being `[a-z_]+`.
    fn placeholders(template: &str) -> std::collections::BTreeSet<&str> {
        let mut found = std::collections::BTreeSet::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let len = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(rest.len());
            if len > 0 && rest[len..].starts_with('}') {
                found.insert(&rest[..len]);
            }
        }
        found
    }

    #[test]
    fn every_message_has_kazakh_and_russian_with_the_same_placeholders() {
        for (key, en, kk, ru) in TEXTS {
            let expected = placeholders(en);
            for (lang, translated) in [("kk", kk), ("ru", ru)] {
                assert!(!translated.trim().is_empty(), "`{key}` has no {lang} text");
                assert_eq!(
                    placeholders(translated),
                    expected,
                    "`{key}`: the {lang} text has other placeholders than the English"
                );
            }
        }
    }
}
