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
    /// Placeholders whose values are messages themselves, rendered in the same language and
    /// joined by a separator: a path's steps with their units (`review (4 working days)`),
    /// a type's name. Words inside a value would otherwise stay in English.
    pub lists: Vec<(&'static str, Vec<Msg>, &'static str)>,
}

/// Builds a [`Msg`]: `msg!("unknown_step", step = id)`.
#[macro_export]
macro_rules! msg {
    ($key:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::definition::messages::Msg {
            key: $key,
            args: vec![$((stringify!($name), ($value).to_string())),*],
            lists: Vec::new(),
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
        for (name, items, separator) in &self.lists {
            let value: Vec<String> = items.iter().map(|m| m.render(lang)).collect();
            out = out.replace(&format!("{{{name}}}"), &value.join(separator));
        }
        out
    }

    /// Fills the placeholder `name` with `items`, each rendered in the message's language,
    /// joined by `separator`.
    pub fn with_list(
        mut self,
        name: &'static str,
        items: Vec<Msg>,
        separator: &'static str,
    ) -> Msg {
        self.lists.push((name, items, separator));
        self
    }

    /// Fills the placeholder `name` with one message, rendered in the message's language.
    pub fn with_msg(self, name: &'static str, item: Msg) -> Msg {
        self.with_list(name, vec![item], "")
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
        "data.format_not_document",
        "`{name}` has a `format` but is not a document: only a document is a scan or a CSV list",
        "`{name}` үшін `format` берілген, бірақ ол құжат емес: тек құжат скан немесе CSV тізім болады",
        "для `{name}` задан `format`, но это не документ: сканом или списком CSV бывает только документ",
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
    // The expression checker (engine/definition/expr.rs, expr/checker.rs).
    ("expr.untranslated", "{text}", "{text}", "{text}"),
    (
        "expr.no_struct",
        "creating a `{name}` object is not supported",
        "`{name}` объектісін жасауға болмайды",
        "создание объекта `{name}` не поддерживается",
    ),
    (
        "expr.hint.map_instead",
        "write a map instead: `{\"field\": value}`",
        "оның орнына мәпе жазыңыз: `{\"field\": value}`",
        "вместо этого запишите отображение: `{\"field\": value}`",
    ),
    (
        "expr.no_unsigned",
        "unsigned numbers such as `1u` are not supported",
        "`1u` сияқты таңбасыз сандарға қолдау көрсетілмейді",
        "беззнаковые числа вида `1u` не поддерживаются",
    ),
    (
        "expr.hint.remove_u",
        "remove the `u`",
        "`u` әрпін алып тастаңыз",
        "уберите `u`",
    ),
    (
        "expr.no_bytes",
        "byte strings such as `b\"…\"` are not supported",
        "`b\"…\"` сияқты байт жолдарына қолдау көрсетілмейді",
        "байтовые строки вида `b\"…\"` не поддерживаются",
    ),
    (
        "expr.hint.remove_b",
        "remove the `b` before the quotes",
        "тырнақша алдындағы `b` әрпін алып тастаңыз",
        "уберите `b` перед кавычками",
    ),
    (
        "expr.map_key",
        "a map key must be a string, an integer or a yes/no value, but {name} is {ty}",
        "мәпе кілті мәтін, бүтін сан немесе иә/жоқ мәні болуы керек, ал {name} — {ty}",
        "ключом отображения должна быть строка, целое число или значение «да/нет», а {name} — {ty}",
    ),
    (
        "expr.no_optional",
        "optional access (`.?`, `[?`) is not supported",
        "міндетті емес қатынасқа (`.?`, `[?`) қолдау көрсетілмейді",
        "необязательный доступ (`.?`, `[?`) не поддерживается",
    ),
    (
        "expr.hint.has_instead",
        "test for the field with has() instead",
        "оның орнына өрісті has() арқылы тексеріңіз",
        "вместо этого проверьте поле через has()",
    ),
    (
        "expr.list_index",
        "a list is indexed by an integer, but {name} is {ty}",
        "тізім индексі бүтін сан болуы керек, ал {name} — {ty}",
        "индексом списка должно быть целое число, а {name} — {ty}",
    ),
    (
        "expr.object_index",
        "an object is indexed by a field name, but {name} is {ty}",
        "объект индексі өріс атауы болуы керек, ал {name} — {ty}",
        "индексом объекта должно быть имя поля, а {name} — {ty}",
    ),
    (
        "expr.hint.text_functions",
        "use startsWith, endsWith, contains or matches",
        "startsWith, endsWith, contains немесе matches функцияларын қолданыңыз",
        "используйте startsWith, endsWith, contains или matches",
    ),
    (
        "expr.not_indexable",
        "{name} is {ty} and cannot be indexed",
        "{name} — {ty}, оны индекстеуге болмайды",
        "{name} — {ty}, индексировать это нельзя",
    ),
    (
        "expr.in_object",
        "`in` looks for a field name in an object, but {name} is {ty}",
        "`in` объектіден өріс атауын іздейді, ал {name} — {ty}",
        "`in` ищет имя поля в объекте, а {name} — {ty}",
    ),
    (
        "expr.hint.contains",
        "to look for text inside text, write {value}.contains(…)",
        "мәтін ішінен мәтін іздеу үшін {value}.contains(…) деп жазыңыз",
        "чтобы искать текст внутри текста, пишите {value}.contains(…)",
    ),
    (
        "expr.in_needs_list",
        "`in` needs a list, but {name} is {ty}",
        "`in` үшін тізім керек, ал {name} — {ty}",
        "для `in` нужен список, а {name} — {ty}",
    ),
    (
        "expr.contains_list",
        "`contains` works on strings; for a list use `in`",
        "`contains` мәтінмен жұмыс істейді; тізім үшін `in` қолданыңыз",
        "`contains` работает со строками; для списка используйте `in`",
    ),
    (
        "expr.hint.in_list",
        "write `x in {list}`",
        "былай жазыңыз: `x in {list}`",
        "запишите так: `x in {list}`",
    ),
    (
        "expr.bad_regex",
        "`{pattern}` is not a valid regular expression",
        "`{pattern}` — жарамды тұрақты өрнек емес",
        "`{pattern}` — некорректное регулярное выражение",
    ),
    (
        "expr.written_before",
        "`{name}` is written before the value",
        "`{name}` мәннің алдында жазылады",
        "`{name}` пишется перед значением",
    ),
    (
        "expr.hint.write_before",
        "write it as `{name}(x)`",
        "былай жазыңыз: `{name}(x)`",
        "запишите так: `{name}(x)`",
    ),
    (
        "expr.macro_needs",
        "`{name}` needs a name and a condition",
        "`{name}` үшін атау мен шарт керек",
        "для `{name}` нужны имя и условие",
    ),
    (
        "expr.hint.write_as",
        "write it as `{example}`",
        "былай жазыңыз: `{example}`",
        "запишите так: `{example}`",
    ),
    (
        "expr.written_after",
        "`{name}` is written after the value",
        "`{name}` мәннен кейін жазылады",
        "`{name}` пишется после значения",
    ),
    (
        "expr.hint.write_after",
        "write it as `applicant.name.{name}(\"…\")`",
        "былай жазыңыз: `applicant.name.{name}(\"…\")`",
        "запишите так: `applicant.name.{name}(\"…\")`",
    ),
    ("expr.parser", "{text}", "{text}", "{text}"),
    (
        "expr.phrase",
        "{name} ({ty})",
        "{name} ({ty})",
        "{name} ({ty})",
    ),
    (
        "expr.phrase_first",
        "{ty} ({name})",
        "{ty} ({name})",
        "{ty} ({name})",
    ),
    ("expr.type.string", "a string", "мәтін", "строка"),
    ("expr.type.int", "an integer", "бүтін сан", "целое число"),
    (
        "expr.type.decimal",
        "a decimal number",
        "ондық сан",
        "десятичное число",
    ),
    (
        "expr.type.money",
        "an amount of money",
        "ақша сомасы",
        "денежная сумма",
    ),
    (
        "expr.type.bool",
        "a yes/no value",
        "иә/жоқ мәні",
        "значение «да/нет»",
    ),
    ("expr.type.date", "a date", "күн (дата)", "дата"),
    ("expr.type.iin", "an IIN", "ЖСН", "ИИН"),
    (
        "expr.type.phone",
        "a phone number",
        "телефон нөмірі",
        "номер телефона",
    ),
    (
        "expr.type.email",
        "an email address",
        "электрондық пошта мекенжайы",
        "адрес электронной почты",
    ),
    (
        "expr.type.enum",
        "one of ({values})",
        "мына мәндердің бірі: ({values})",
        "одно из значений ({values})",
    ),
    (
        "expr.type.list",
        "a list of {items}",
        "тізім: {items}",
        "список: {items}",
    ),
    ("expr.type.map", "an object", "объект", "объект"),
    (
        "expr.type.any",
        "any value",
        "кез келген мән",
        "любое значение",
    ),
    ("expr.type.null", "null", "null", "null"),
    ("expr.types.string", "strings", "мәтіндер", "строки"),
    ("expr.types.int", "integers", "бүтін сандар", "целые числа"),
    (
        "expr.types.decimal",
        "decimal numbers",
        "ондық сандар",
        "десятичные числа",
    ),
    (
        "expr.types.money",
        "amounts of money",
        "ақша сомалары",
        "денежные суммы",
    ),
    (
        "expr.types.bool",
        "yes/no values",
        "иә/жоқ мәндері",
        "значения «да/нет»",
    ),
    ("expr.types.date", "dates", "күндер (даталар)", "даты"),
    ("expr.types.iin", "IINs", "ЖСН-дер", "ИИН"),
    (
        "expr.types.phone",
        "phone numbers",
        "телефон нөмірлері",
        "номера телефонов",
    ),
    (
        "expr.types.email",
        "email addresses",
        "электрондық пошта мекенжайлары",
        "адреса электронной почты",
    ),
    (
        "expr.types.enum",
        "values from ({values})",
        "({values}) мәндері",
        "значения из ({values})",
    ),
    ("expr.types.list", "lists", "тізімдер", "списки"),
    ("expr.types.map", "objects", "объектілер", "объекты"),
    ("expr.types.any", "values", "мәндер", "значения"),
    (
        "expr.empty",
        "the expression is empty",
        "өрнек бос",
        "выражение пустое",
    ),
    (
        "expr.too_long",
        "the expression is too long ({len} characters, at most {max})",
        "өрнек тым ұзын ({len} таңба, ең көбі {max})",
        "выражение слишком длинное ({len} символов, допускается не более {max})",
    ),
    (
        "expr.too_deep",
        "the expression is nested too deeply",
        "өрнектің ішкі деңгейлері тым көп",
        "у выражения слишком глубокая вложенность",
    ),
    (
        "expr.hint.split",
        "split it into several steps",
        "оны бірнеше қадамға бөліңіз",
        "разделите его на несколько шагов",
    ),
    (
        "expr.unparsable",
        "the expression could not be parsed",
        "өрнекті талдау мүмкін болмады",
        "не удалось разобрать выражение",
    ),
    (
        "expr.ends_early",
        "the expression ends too early",
        "өрнек тым ерте аяқталады",
        "выражение обрывается раньше времени",
    ),
    (
        "expr.hint.missing_at_end",
        "something is missing at the end, such as a value or a `)`",
        "соңында бірдеңе жетіспейді, мысалы, мән немесе `)`",
        "в конце чего-то не хватает, например значения или `)`",
    ),
    (
        "expr.unexpected",
        "unexpected `{token}`",
        "мұнда `{token}` күтілмеген",
        "здесь не ожидается `{token}`",
    ),
    (
        "expr.missing_token",
        "a `{token}` is missing",
        "`{token}` жетіспейді",
        "не хватает `{token}`",
    ),
    (
        "expr.cannot_read",
        "cannot read `{text}`",
        "`{text}` оқылмайды",
        "не удаётся прочитать `{text}`",
    ),
    (
        "expr.hint.unclosed_quote",
        "a text in quotes is not closed, or has a bad `\\` escape",
        "тырнақшадағы мәтін жабылмаған немесе онда қате `\\` бар",
        "текст в кавычках не закрыт или содержит неверный `\\`",
    ),
    (
        "expr.reserved",
        "`{word}` is a reserved word",
        "`{word}` — резервтелген сөз",
        "`{word}` — зарезервированное слово",
    ),
    (
        "expr.has_field",
        "has() takes a field",
        "has() функциясына өріс беріледі",
        "has() принимает поле",
    ),
    (
        "expr.has_one_field",
        "has() takes one field",
        "has() функциясына бір өріс беріледі",
        "has() принимает одно поле",
    ),
    (
        "expr.hint.has",
        "write it as `has(applicant.email)`",
        "былай жазыңыз: `has(applicant.email)`",
        "запишите так: `has(applicant.email)`",
    ),
    (
        "expr.macro_name",
        "the first argument of all, exists, exists_one, map and filter must be a name",
        "all, exists, exists_one, map және filter функцияларының бірінші аргументі атау болуы керек",
        "первым аргументом all, exists, exists_one, map и filter должно быть имя",
    ),
    (
        "expr.hint.macro_name",
        "write it as `list.exists(x, x > 0)`",
        "былай жазыңыз: `list.exists(x, x > 0)`",
        "запишите так: `list.exists(x, x > 0)`",
    ),
    (
        "expr.hint.quotes",
        "use straight quotes \"…\" instead of “…” or «…»",
        "“…” немесе «…» орнына түзу тырнақшаларды \"…\" қолданыңыз",
        "используйте прямые кавычки \"…\" вместо “…” или «…»",
    ),
    (
        "expr.hint.and",
        "write `&&` for “and”",
        "«және» (and) орнына `&&` жазыңыз",
        "вместо «и» (and) пишите `&&`",
    ),
    (
        "expr.hint.or",
        "write `||` for “or”",
        "«немесе» (or) орнына `||` жазыңыз",
        "вместо «или» (or) пишите `||`",
    ),
    (
        "expr.hint.not",
        "write `!` for “not”, as in `!person.rehabilitated`",
        "«емес» (not) орнына `!` жазыңыз, мысалы: `!person.rehabilitated`",
        "вместо «не» (not) пишите `!`, например `!person.rehabilitated`",
    ),
    (
        "expr.hint.if",
        "to choose between two values, write `condition ? value : other_value`",
        "екі мәннің бірін таңдау үшін былай жазыңыз: `condition ? value : other_value`",
        "чтобы выбрать одно из двух значений, пишите `condition ? value : other_value`",
    ),
    (
        "expr.hint.equals_second",
        "write `>=` and `<=`, with the `=` second",
        "`>=` және `<=` деп жазыңыз: `=` белгісі екінші тұрады",
        "пишите `>=` и `<=`: знак `=` идёт вторым",
    ),
    (
        "expr.hint.double_equals",
        "write `==` to compare",
        "салыстыру үшін `==` жазыңыз",
        "для сравнения пишите `==`",
    ),
    (
        "expr.hint.ascii_operators",
        "write `>=`, `<=` and `!=`",
        "`>=`, `<=` және `!=` деп жазыңыз",
        "пишите `>=`, `<=` и `!=`",
    ),
    (
        "expr.hint.latin",
        "names are written in Latin letters, as declared in `data:`; text in another alphabet goes in quotes",
        "атаулар `data:` бөлімінде жарияланғандай латын әріптерімен жазылады; басқа әліпбидегі мәтін тырнақшаға алынады",
        "имена пишутся латиницей, как объявлены в `data:`; текст на другом алфавите берётся в кавычки",
    ),
    (
        "expr.hint.semicolon",
        "an expression has no `;`",
        "өрнекте `;` болмайды",
        "в выражении не бывает `;`",
    ),
    (
        "expr.unknown_variable",
        "unknown variable `{name}`",
        "белгісіз айнымалы: `{name}`",
        "неизвестная переменная `{name}`",
    ),
    (
        "expr.hint.variables",
        "the variables here are: {names}",
        "мұнда қолжетімді айнымалылар: {names}",
        "здесь доступны переменные: {names}",
    ),
    (
        "expr.hint.fields",
        "`{prefix}` has: {fields}",
        "`{prefix}` ішіндегі өрістер: {fields}",
        "поля `{prefix}`: {fields}",
    ),
    (
        "expr.no_field",
        "{name} is {ty} and has no field `{field}`",
        "{name} — {ty}, онда `{field}` өрісі жоқ",
        "{name} — {ty}, у него нет поля `{field}`",
    ),
    (
        "expr.has_not_object",
        "has() tests a field of an object, but {name} is {ty}",
        "has() объектінің өрісін тексереді, ал {name} — {ty}",
        "has() проверяет поле объекта, а {name} — {ty}",
    ),
    (
        "expr.list_mixed",
        "the elements of a list must all have the same type",
        "тізімнің барлық элементтерінің түрі бірдей болуы керек",
        "все элементы списка должны быть одного типа",
    ),
    (
        "expr.branches_mixed",
        "both branches of `? :` must have the same type",
        "`? :` екі тармағының түрі бірдей болуы керек",
        "обе ветви `? :` должны быть одного типа",
    ),
    (
        "expr.differ",
        "{message}, but {a} is {a_is} and {b} is {b_is}",
        "{message}, ал {a} — {a_is}, {b} — {b_is}",
        "{message}, а здесь {a} — {a_is}, {b} — {b_is}",
    ),
    (
        "expr.hint.whole_as_decimal",
        "write whole numbers as decimals, such as `1.0`",
        "бүтін сандарды ондық сан түрінде жазыңыз, мысалы: `1.0`",
        "записывайте целые числа как десятичные, например `1.0`",
    ),
    (
        "expr.not_a_list",
        "{name} is {ty}, not a list",
        "{name} — {ty}, тізім емес",
        "{name} — {ty}, а не список",
    ),
    (
        "expr.hint.macro_list",
        "`{name}` goes through the elements of a list",
        "`{name}` тізімнің элементтерін аралайды",
        "`{name}` перебирает элементы списка",
    ),
    (
        "expr.not_needs_bool",
        "`!` needs true or false, but {name} is {ty}",
        "`!` үшін true немесе false керек, ал {name} — {ty}",
        "для `!` нужно true или false, а {name} — {ty}",
    ),
    (
        "expr.negate_needs_number",
        "`-` needs a number, but {name} is {ty}",
        "`-` үшін сан керек, ал {name} — {ty}",
        "для `-` нужно число, а {name} — {ty}",
    ),
    (
        "expr.condition_of_bool",
        "the condition of {of} must be true or false, but {name} is {ty}",
        "{of} шарты true немесе false болуы керек, ал {name} — {ty}",
        "условие {of} должно быть true или false, а {name} — {ty}",
    ),
    (
        "expr.logic_needs_bool",
        "`{symbol}` needs true or false on both sides, but {name} is {ty}",
        "`{symbol}` екі жағында да true немесе false керек, ал {name} — {ty}",
        "для `{symbol}` с обеих сторон нужно true или false, а {name} — {ty}",
    ),
    (
        "expr.condition_bool",
        "condition must be true or false, but this is {ty}",
        "шарт true немесе false болуы керек, ал бұл — {ty}",
        "условие должно быть true или false, а здесь — {ty}",
    ),
    (
        "expr.target_bool",
        "`{target}` must be true or false, but this is {ty}",
        "`{target}` мәні true немесе false болуы керек, ал бұл — {ty}",
        "значение `{target}` должно быть true или false, а здесь — {ty}",
    ),
    (
        "expr.never_null",
        "a value is never null",
        "мән ешқашан null болмайды",
        "значение никогда не бывает null",
    ),
    (
        "expr.hint.has_for",
        "to test whether `{path}` is filled in, write `has({path})`",
        "`{path}` толтырылғанын тексеру үшін `has({path})` деп жазыңыз",
        "чтобы проверить, заполнено ли `{path}`, пишите `has({path})`",
    ),
    (
        "expr.cannot_order",
        "cannot order {a} and {b}",
        "ретін салыстыруға болмайды: {a} және {b}",
        "нельзя сравнивать на больше-меньше: {a} и {b}",
    ),
    (
        "expr.cannot_compare",
        "cannot compare {a} with {b}",
        "салыстыруға болмайды: {a} және {b}",
        "нельзя сравнивать: {a} и {b}",
    ),
    (
        "expr.hint.unquote",
        "remove the quotes: `{text}`",
        "тырнақшаны алып тастаңыз: `{text}`",
        "уберите кавычки: `{text}`",
    ),
    (
        "expr.hint.to_number",
        "turn the text into a number with int({value}) or double({value})",
        "мәтінді санға int({value}) немесе double({value}) арқылы айналдырыңыз",
        "преобразуйте текст в число: int({value}) или double({value})",
    ),
    (
        "expr.hint.date_with_date",
        "compare a date with a date, such as `date(\"2026-01-01\")`",
        "күнді күнмен салыстырыңыз, мысалы: `date(\"2026-01-01\")`",
        "сравнивайте дату с датой, например `date(\"2026-01-01\")`",
    ),
    (
        "expr.not_a_value_of",
        "`{text}` is not one of the values of {name} ({values})",
        "`{text}` — {name} мәндерінің бірі емес ({values})",
        "`{text}` не входит в значения {name} ({values})",
    ),
    (
        "expr.not_iin",
        "`{text}` is not an IIN: an IIN has 12 digits",
        "`{text}` — ЖСН емес: ЖСН 12 цифрдан тұрады",
        "`{text}` — не ИИН: ИИН состоит из 12 цифр",
    ),
    (
        "expr.hint.to_date",
        "turn the text into a date with date({value})",
        "мәтінді күнге date({value}) арқылы айналдырыңыз",
        "преобразуйте текст в дату: date({value})",
    ),
    (
        "expr.hint.date_iso",
        "write dates as YYYY-MM-DD: `{iso}`",
        "күндерді ЖЖЖЖ-АА-КК пішімінде жазыңыз: `{iso}`",
        "указывайте даты в формате ГГГГ-ММ-ДД: `{iso}`",
    ),
    (
        "expr.hint.date_form",
        "write dates as YYYY-MM-DD, such as `2026-01-31`",
        "күндерді ЖЖЖЖ-АА-КК пішімінде жазыңыз, мысалы: `2026-01-31`",
        "указывайте даты в формате ГГГГ-ММ-ДД, например `2026-01-31`",
    ),
    (
        "expr.not_a_date",
        "`{text}` is not a date",
        "`{text}` — жарамды күн емес",
        "`{text}` — не дата",
    ),
    (
        "expr.date_add",
        "dates cannot be added to",
        "күндерді қосуға болмайды",
        "к датам нельзя прибавлять",
    ),
    (
        "expr.hint.date_compare",
        "compare dates with <, <=, >, >= and ==",
        "күндерді <, <=, >, >= және == арқылы салыстырыңыз",
        "сравнивайте даты с помощью <, <=, >, >= и ==",
    ),
    (
        "expr.plus_needs",
        "`+` needs two numbers, two strings or two lists, but {name} is {ty}",
        "`+` үшін екі сан, екі мәтін немесе екі тізім керек, ал {name} — {ty}",
        "для `+` нужны два числа, две строки или два списка, а {name} — {ty}",
    ),
    (
        "expr.hint.to_string",
        "turn the number into text with string({value})",
        "санды мәтінге string({value}) арқылы айналдырыңыз",
        "преобразуйте число в текст: string({value})",
    ),
    (
        "expr.needs_numbers",
        "`{symbol}` needs numbers, but {name} is {ty}",
        "`{symbol}` үшін сандар керек, ал {name} — {ty}",
        "для `{symbol}` нужны числа, а {name} — {ty}",
    ),
    (
        "expr.needs_integers",
        "`{symbol}` needs integers, but {name} is {ty}",
        "`{symbol}` үшін бүтін сандар керек, ал {name} — {ty}",
        "для `{symbol}` нужны целые числа, а {name} — {ty}",
    ),
    (
        "expr.cannot_mix",
        "`{symbol}` cannot mix {a} and {b}",
        "`{symbol}` амалында мыналарды араластыруға болмайды: {a} және {b}",
        "в `{symbol}` нельзя смешивать: {a} и {b}",
    ),
    (
        "expr.hint.decimal_literal",
        "write it as a decimal: `{value}.0`",
        "ондық сан түрінде жазыңыз: `{value}.0`",
        "запишите как десятичное число: `{value}.0`",
    ),
    (
        "expr.hint.to_decimal",
        "turn the integer into a decimal with double({value})",
        "бүтін санды ондық санға double({value}) арқылы айналдырыңыз",
        "преобразуйте целое число в десятичное: double({value})",
    ),
    (
        "expr.hint.to_money",
        "turn the number into money with money({value})",
        "санды ақша сомасына money({value}) арқылы айналдырыңыз",
        "преобразуйте число в денежную сумму: money({value})",
    ),
    (
        "expr.money_times_money",
        "two amounts of money cannot be multiplied",
        "екі ақша сомасын бір-біріне көбейтуге болмайды",
        "две денежные суммы нельзя перемножать",
    ),
    (
        "expr.hint.money_times",
        "multiply an amount by a number: `amount * 2` or `amount * 0.5`",
        "соманы санға көбейтіңіз: `amount * 2` немесе `amount * 0.5`",
        "умножайте сумму на число: `amount * 2` или `amount * 0.5`",
    ),
    (
        "expr.cannot_divide",
        "`{symbol}` cannot divide {a} by {b}",
        "`{symbol}` амалымен бөлуге болмайды: {a} бөлінгіш, {b} бөлгіш",
        "`{symbol}` не может делить {a} на {b}",
    ),
    (
        "expr.hint.money_divide",
        "divide an amount by a number, or by another amount for a ratio",
        "соманы санға бөліңіз, ал арақатынас үшін басқа сомаға бөліңіз",
        "делите сумму на число, а для получения отношения — на другую сумму",
    ),
    (
        "expr.hint.money_literal",
        "write an amount such as money(\"1850000.50\")",
        "соманы былай жазыңыз: money(\"1850000.50\")",
        "запишите сумму так: money(\"1850000.50\")",
    ),
    (
        "expr.arg.sized",
        "a string, a list or an object",
        "мәтін, тізім немесе объект",
        "строка, список или объект",
    ),
    ("expr.arg.string", "a string", "мәтін", "строка"),
    (
        "expr.arg.number_or_string",
        "a number or a string",
        "сан немесе мәтін",
        "число или строка",
    ),
    (
        "expr.arg.printable",
        "a number, a string, a date or a yes/no value",
        "сан, мәтін, күн немесе иә/жоқ мәні",
        "число, строка, дата или значение «да/нет»",
    ),
    (
        "expr.arg.iso_date",
        "a string in the form YYYY-MM-DD",
        "ЖЖЖЖ-АА-КК пішіміндегі мәтін",
        "строка в формате ГГГГ-ММ-ДД",
    ),
    (
        "expr.function_needs",
        "`{function}` needs {needs}, but {name} is {ty}",
        "`{function}` үшін керегі: {needs}, ал {name} — {ty}",
        "для `{function}` нужно: {needs}, а {name} — {ty}",
    ),
    (
        "expr.not_whole",
        "`{text}` is not a whole number",
        "`{text}` — бүтін сан емес",
        "`{text}` — не целое число",
    ),
    (
        "expr.not_number",
        "`{text}` is not a number",
        "`{text}` — сан емес",
        "`{text}` — не число",
    ),
    (
        "expr.unknown_function",
        "unknown function `{name}`",
        "белгісіз функция: `{name}`",
        "неизвестная функция `{name}`",
    ),
    (
        "expr.hint.functions",
        "the functions are: {names}",
        "қолжетімді функциялар: {names}",
        "доступные функции: {names}",
    ),
    (
        "expr.arity.one_one",
        "`{name}` takes {want} argument, but {given} is given",
        "`{name}` {want} аргумент қабылдайды, ал {given} аргумент берілген",
        "`{name}` принимает аргументов: {want}, а передано: {given}",
    ),
    (
        "expr.arity.one_many",
        "`{name}` takes {want} argument, but {given} are given",
        "`{name}` {want} аргумент қабылдайды, ал {given} аргумент берілген",
        "`{name}` принимает аргументов: {want}, а передано: {given}",
    ),
    (
        "expr.arity.many_one",
        "`{name}` takes {want} arguments, but {given} is given",
        "`{name}` {want} аргумент қабылдайды, ал {given} аргумент берілген",
        "`{name}` принимает аргументов: {want}, а передано: {given}",
    ),
    (
        "expr.arity.many_many",
        "`{name}` takes {want} arguments, but {given} are given",
        "`{name}` {want} аргумент қабылдайды, ал {given} аргумент берілген",
        "`{name}` принимает аргументов: {want}, а передано: {given}",
    ),
    (
        "expr.must_be",
        "the value must be {want}, but this is {ty}",
        "мән мынадай болуы керек: {want}, ал бұл — {ty}",
        "значение должно быть таким: {want}, а здесь — {ty}",
    ),
    (
        "expr.hint.to_int",
        "turn it into an integer with int(…)",
        "оны бүтін санға int(…) арқылы айналдырыңыз",
        "преобразуйте в целое число: int(…)",
    ),
    (
        "expr.hint.tiyn",
        "an amount has at most two digits of tiyn",
        "сомада тиынның ең көбі екі цифры болады",
        "в сумме не больше двух знаков тиынов",
    ),
    (
        "expr.not_allowed",
        "`{text}` is not one of the allowed values ({values})",
        "`{text}` — рұқсат етілген мәндердің бірі емес ({values})",
        "`{text}` не входит в допустимые значения ({values})",
    ),
    (
        "expr.may_be_other",
        "this can be `{text}`, which is not one of the allowed values ({values})",
        "мұнда `{text}` болуы мүмкін, ал ол рұқсат етілген мәндердің бірі емес ({values})",
        "здесь может получиться `{text}`, а это значение не входит в допустимые ({values})",
    ),
    // Requests.
    (
        "request.unknown_connector",
        "unknown connector `{name}`",
        "белгісіз коннектор: `{name}`",
        "неизвестный коннектор `{name}`",
    ),
    (
        "request.signed_channel",
        "`signed_data` lists `{channel}`, a channel the service is not filed through (its `channels`: {channels})",
        "`signed_data` ішінде `{channel}` арнасы бар, бірақ қызмет бұл арна арқылы көрсетілмейді (оның `channels` тізімі: {channels})",
        "в `signed_data` указан канал `{channel}`, через который услуга не подаётся (её `channels`: {channels})",
    ),
    (
        "expr.unknown_channel",
        "`channel` is compared with `{channel}`, a channel the service is not filed through, so the comparison never holds (its `channels`: {channels})",
        "`channel` мәні `{channel}` арнасымен салыстырылады, бірақ қызмет бұл арна арқылы көрсетілмейді, сондықтан шарт ешқашан орындалмайды (оның `channels` тізімі: {channels})",
        "`channel` сравнивается с `{channel}`, каналом, через который услуга не подаётся, поэтому условие никогда не выполняется (её `channels`: {channels})",
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
        "prefill.not_a_request",
        "`application_prefill` names step `{step}`, which is not a `request`: name the request step whose connector and output fill the application (e.g. `fetch_person`)",
        "`application_prefill` `{step}` қадамын көрсетеді, бірақ ол `request` емес: қосқышы мен `output` өтінішті толтыратын сұрау қадамын көрсетіңіз (мысалы, `fetch_person`)",
        "`application_prefill` указывает шаг `{step}`, который не является `request`: укажите шаг запроса, чей коннектор и `output` заполняют заявление (например, `fetch_person`)",
    ),
    (
        "prefill.no_application",
        "`application_prefill` needs an `application:` form to fill",
        "`application_prefill` үшін толтырылатын `application:` нысаны қажет",
        "для `application_prefill` нужна форма `application:`, которую он заполняет",
    ),
    (
        "prefill.input_not_on_application",
        "the input `{input}` of step `{step}` reads `{field}`, which is not a field of the application: at the desk only the application's fields are known",
        "`{step}` қадамының `{input}` кірісі `{field}` мәнін оқиды, бірақ ол өтініштің өрісі емес: қабылдау кезінде тек өтініш өрістері белгілі",
        "вход `{input}` шага `{step}` читает `{field}`, которого нет в заявлении: при приёме известны только поля заявления",
    ),
    (
        "prefill.fills_nothing",
        "no output of step `{step}` is a field of the application: the pre-fill would fill nothing",
        "`{step}` қадамының бірде-бір `output` мәні өтініштің өрісі емес: алдын ала толтыру ештеңе толтырмайды",
        "ни один `output` шага `{step}` не является полем заявления: предзаполнение ничего не заполнит",
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
    // SMS replies and waves of proactive cases.
    (
        "sms_reply.phone_not_phone",
        "`{name}` is not a `phone` field: an SMS reply is matched by the number the offer went to",
        "`{name}` — `phone` өрісі емес: SMS жауабы ұсыныс жіберілген нөмір бойынша табылады",
        "`{name}` — не поле типа `phone`: SMS-ответ сопоставляется по номеру, на который ушло предложение",
    ),
    (
        "sms_reply.answer_not_enum",
        "the field `{field}` of the message `{message}` is not an `enum`: a recognised reply fills an enum",
        "`{message}` хабарламасының `{field}` өрісі `enum` емес: танылған жауап enum өрісін толтырады",
        "поле `{field}` сообщения `{message}` не `enum`: распознанный ответ заполняет поле enum",
    ),
    (
        "sms_reply.unknown_field",
        "the message `{message}` has no field `{field}`",
        "`{message}` хабарламасында `{field}` өрісі жоқ",
        "в сообщении `{message}` нет поля `{field}`",
    ),
    (
        "sms_reply.answers_not_values",
        "the answers of `words` ({answers}) must be exactly the values of `{field}` ({values})",
        "`words` жауаптары ({answers}) `{field}` мәндерімен ({values}) дәл сәйкес келуі керек",
        "ответы в `words` ({answers}) должны в точности совпадать со значениями `{field}` ({values})",
    ),
    (
        "sms_reply.no_words",
        "the answer `{answer}` has no words",
        "`{answer}` жауабының сөздері жоқ",
        "у ответа `{answer}` нет слов",
    ),
    (
        "sms_reply.empty_word",
        "a word of `{answer}` has no letter or digit",
        "`{answer}` жауабының бір сөзінде әріп те, сан да жоқ",
        "в слове ответа `{answer}` нет ни буквы, ни цифры",
    ),
    (
        "sms_reply.word_twice",
        "the word `{word}` of `{answer}` is a word of `{other}` too: a reply must mean one answer",
        "`{answer}` жауабының `{word}` сөзі `{other}` жауабында да бар: жауап бір ғана мағына беруі керек",
        "слово `{word}` ответа `{answer}` есть и у ответа `{other}`: ответ должен означать одно",
    ),
    (
        "wave.in_subworkflow",
        "a `wave` step starts cases of a service: only a service may have one",
        "`wave` қадамы қызмет істерін бастайды: ол тек қызметте болады",
        "шаг `wave` открывает дела услуги: он бывает только в услуге",
    ),
    (
        "wave.list_not_document",
        "`{name}` is not a `document` field with `format: csv`: a wave's list is a CSV document of the case",
        "`{name}` — `format: csv` белгіленген `document` өрісі емес: толқын тізімі — істің CSV құжаты",
        "`{name}` — не поле типа `document` с `format: csv`: список волны — CSV-документ дела",
    ),
    (
        "wave.unknown_service",
        "unknown service `{service}`",
        "белгісіз қызмет: `{service}`",
        "неизвестная услуга `{service}`",
    ),
    (
        "wave.not_proactive",
        "the service `{service}` does not list `proactive` in its `channels`",
        "`{service}` қызметінің `channels` тізімінде `proactive` жоқ",
        "в `channels` услуги `{service}` нет `proactive`",
    ),
    (
        "service_cases.not_literal",
        "`{name}` must be a quoted name, like `'decision.date'`: `qyzmet validate` checks it against the counted service, which it cannot do for a computed one",
        "`{name}` тырнақшадағы атау болуы керек, мысалы `'decision.date'`: `qyzmet validate` оны саналатын қызметпен салыстырады, ал есептелген мәнді тексере алмайды",
        "`{name}` должно быть именем в кавычках, например `'decision.date'`: `qyzmet validate` сверяет его с подсчитываемой услугой, а вычисляемое значение проверить не может",
    ),
    (
        "service_cases.not_typed",
        "`{field}` is not a `{ty}` field of `{service}` version {version}: the cases would be counted by nothing",
        "`{field}` — `{service}` қызметінің {version} нұсқасындағы `{ty}` өрісі емес: істер ештеңе бойынша саналмайды",
        "`{field}` — не поле типа `{ty}` услуги `{service}` версии {version}: дела считались бы ни по чему",
    ),
    (
        "service_cases.unknown_result",
        "`{service}` has no result `{result}`: no case would be counted",
        "`{service}` қызметінде `{result}` нәтижесі жоқ: бірде-бір іс саналмайды",
        "у услуги `{service}` нет результата `{result}`: ни одно дело не было бы учтено",
    ),
    (
        "wave.application_needs",
        "a case of `{service}` opened from a list has only `applicant.iin` and `applicant.phone`, but its application requires {fields}",
        "тізімнен ашылған `{service}` ісінде тек `applicant.iin` пен `applicant.phone` бар, ал өтінішке {fields} қажет",
        "у дела `{service}`, открытого по списку, есть только `applicant.iin` и `applicant.phone`, а заявление требует {fields}",
    ),
    (
        "hint.messages",
        "declare it under `messages:`",
        "оны `messages:` бөлімінде жариялаңыз",
        "объявите его в разделе `messages:`",
    ),
    (
        "hold.in_subworkflow",
        "a `hold` step belongs to a service: a sub-workflow returns to its caller",
        "`hold` қадамы тек қызметте болады: ішкі процесс өзін шақырған қадамға қайтады",
        "шаг `hold` бывает только в услуге: подпроцесс возвращается к вызвавшему его шагу",
    ),
    (
        "hold.no_event",
        "no event starts at the hold `{step}`: a case there would wait forever; list it in an event's `during`",
        "`{step}` күту қадамында ешбір оқиға басталмайды: іс онда мәңгі тұрып қалады; оны оқиғаның `during` тізіміне қосыңыз",
        "ни одно событие не начинается на шаге ожидания `{step}`: дело осталось бы там навсегда; укажите его в `during` события",
    ),
    (
        "event.bad_id",
        "the event id `{event}` must be lower_snake_case",
        "`{event}` оқиға атауы lower_snake_case түрінде болуы керек",
        "имя события `{event}` должно быть в виде lower_snake_case",
    ),
    (
        "event.one_trigger",
        "the event `{event}` needs exactly one of `message` and `date`",
        "`{event}` оқиғасына `message` пен `date` өрістерінің дәл біреуі керек",
        "для события `{event}` нужно ровно одно из полей `message` и `date`",
    ),
    (
        "event.message_also_received",
        "the message `{name}` starts an event and is also waited for by a `receive` step: give the event a message of its own",
        "`{name}` хабарламасы оқиғаны бастайды және оны `receive` қадамы да күтеді: оқиғаға жеке хабарлама беріңіз",
        "сообщение `{name}` начинает событие и его же ждёт шаг `receive`: дайте событию отдельное сообщение",
    ),
    (
        "event.message_twice",
        "the message `{name}` already starts another event",
        "`{name}` хабарламасы басқа оқиғаны бастайды",
        "сообщение `{name}` уже начинает другое событие",
    ),
    (
        "event.date_reads_no_message",
        "the event `{event}` starts on a date: it has no message for `store` or `once_per` to read",
        "`{event}` оқиғасы күн бойынша басталады: `store` не `once_per` оқитын хабарлама жоқ",
        "событие `{event}` начинается по дате: у него нет сообщения для `store` и `once_per`",
    ),
    (
        "event.no_during",
        "the event `{event}` needs `during`: the hold steps it may start at",
        "`{event}` оқиғасына `during` керек: ол басталатын күту қадамдары",
        "для события `{event}` нужно `during`: шаги ожидания, на которых оно может начаться",
    ),
    (
        "event.during_not_hold",
        "`{step}` is a `{kind}` step: an event starts only at a `hold` step",
        "`{step}` — `{kind}` қадамы: оқиға тек `hold` қадамында басталады",
        "`{step}` — шаг `{kind}`: событие начинается только на шаге `hold`",
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
        "call.confirm",
        "`confirm` is for a task's outcome, which a clerk chooses; the result `{result}` of a call is not chosen by anyone: put `confirm: true` on the outcome of the task that leads here",
        "`confirm` тек қызметкер таңдайтын тапсырма нәтижесіне қойылады; шақырудың `{result}` нәтижесін ешкім таңдамайды: `confirm: true` белгісін осында әкелетін тапсырманың нәтижесіне қойыңыз",
        "`confirm` ставится только на результат задачи, который выбирает сотрудник; результат вызова `{result}` никто не выбирает: поставьте `confirm: true` на результат задачи, которая ведёт сюда",
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
    // Words of the command line's own lines (engine/diagnostic.rs, engine/cli).
    ("word.warning", "warning", "ескерту", "предупреждение"),
    ("word.hint", "hint", "кеңес", "подсказка"),
    ("word.error", "error", "қате", "ошибка"),
    (
        "cli.no_such_path",
        "{path}: no such file or folder",
        "{path}: мұндай файл немесе қалта жоқ",
        "{path}: нет такого файла или папки",
    ),
    (
        "cli.valid",
        "{files} file(s) valid",
        "{files} файл жарамды",
        "файлов без ошибок: {files}",
    ),
    (
        "cli.valid_with_warnings",
        "{files} file(s) valid, {warnings} warning(s)",
        "{files} файл жарамды, {warnings} ескерту бар",
        "файлов без ошибок: {files}, предупреждений: {warnings}",
    ),
    (
        "cli.problems",
        "{problems} problem(s) in {files} file(s) checked",
        "тексерілген {files} файлда {problems} қате табылды",
        "в проверенных файлах ({files}) найдено ошибок: {problems}",
    ),
    (
        "cli.problems_with_warnings",
        "{problems} problem(s) and {warnings} warning(s) in {files} file(s) checked",
        "тексерілген {files} файлда {problems} қате және {warnings} ескерту табылды",
        "в проверенных файлах ({files}) найдено ошибок: {problems}, предупреждений: {warnings}",
    ),
    (
        "cli.warnings_denied",
        "{warnings} warning(s) in {files} file(s) checked, and `--deny-warnings` makes them fail the check",
        "тексерілген {files} файлда {warnings} ескерту табылды, ал `--deny-warnings` оларды қате деп санайды",
        "в проверенных файлах ({files}) найдено предупреждений: {warnings}, и при `--deny-warnings` проверка не пройдена",
    ),
    (
        "test.definitions_fail",
        "FAIL the definitions have {problems} problem(s)",
        "FAIL сипаттамаларда {problems} қате бар",
        "FAIL в описаниях найдено ошибок: {problems}",
    ),
    (
        "test.summary",
        "{passed} passed, {failed} failed",
        "{passed} өтті, {failed} өтпеді",
        "пройдено: {passed}, не пройдено: {failed}",
    ),
    (
        "test.summary_with_warnings",
        "{passed} passed, {failed} failed; the definitions have {warnings} warning(s)",
        "{passed} өтті, {failed} өтпеді; сипаттамаларда {warnings} ескерту бар",
        "пройдено: {passed}, не пройдено: {failed}; в описаниях предупреждений: {warnings}",
    ),
    (
        "test.failed_problems",
        "FAILED: the definitions have {problems} problem(s); {passed} scenario(s) passed, {failed} failed",
        "СӘТСІЗ: сипаттамаларда {problems} қате бар; {passed} сценарий өтті, {failed} өтпеді",
        "НЕ ПРОЙДЕНО: в описаниях ошибок: {problems}; сценариев пройдено: {passed}, не пройдено: {failed}",
    ),
    (
        "test.failed_warnings",
        "FAILED: the definitions have {warnings} warning(s) and `--deny-warnings` is on; {passed} scenario(s) passed, {failed} failed",
        "СӘТСІЗ: сипаттамаларда {warnings} ескерту бар, ал `--deny-warnings` қосулы; {passed} сценарий өтті, {failed} өтпеді",
        "НЕ ПРОЙДЕНО: в описаниях предупреждений: {warnings}, а `--deny-warnings` включён; сценариев пройдено: {passed}, не пройдено: {failed}",
    ),
    // The scenario runner (engine/scenario/): the scenario file's mistakes, the failed
    // expectations, the trace; `qyzmet test` and `qyzmet simulate` around them.
    ("test.ok", "ok", "өтті", "пройден"),
    ("test.fail", "FAIL", "ӨТПЕДІ", "НЕ ПРОЙДЕН"),
    (
        "test.rendered",
        "rendered: in {dir}/<service>/<scenario>/",
        "жасалған файлдар: {dir}/<service>/<scenario>/ ішінде",
        "созданные файлы: в {dir}/<service>/<scenario>/",
    ),
    (
        "simulate.no_such_file",
        "{path}: no such file",
        "{path}: мұндай файл жоқ",
        "{path}: файл не найден",
    ),
    (
        "simulate.definitions_fail",
        "the definitions have {problems} problem(s): fix them first (`qyzmet validate`)",
        "сипаттамаларда {problems} қате бар: алдымен оларды түзетіңіз (`qyzmet validate`)",
        "в описаниях найдено ошибок: {problems}; сначала исправьте их (`qyzmet validate`)",
    ),
    (
        "simulate.scenario_fails",
        "the scenario has {problems} problem(s)",
        "сценарийде {problems} қате бар",
        "в сценарии найдено ошибок: {problems}",
    ),
    (
        "simulate.rendered",
        "rendered: {files} file(s) in {dir}",
        "жасалған файлдар: {files}, {dir} ішінде",
        "создано файлов: {files}, в {dir}",
    ),
    (
        "simulate.ok",
        "ok: every expectation holds",
        "өтті: күтілгеннің бәрі орындалды",
        "пройден: все ожидания выполнены",
    ),
    (
        "scenario.no_workflows",
        "no {catalog} in {path} or a folder above it: scenarios live under a workflows folder",
        "{path} ішінде де, одан жоғарғы қалталарда да {catalog} жоқ: сценарийлер workflows қалтасының ішінде болады",
        "ни в {path}, ни в папках выше нет {catalog}: сценарии хранятся внутри папки workflows",
    ),
    (
        "scenario.calendar",
        "calendar `{calendar}`: {error}",
        "`{calendar}` күнтізбесі: {error}",
        "календарь `{calendar}`: {error}",
    ),
    (
        "scenario.calendar_not_loaded",
        "the calendar `{calendar}` is not loaded",
        "`{calendar}` күнтізбесі жүктелмеген",
        "календарь `{calendar}` не загружен",
    ),
    (
        "scenario.and",
        "{init} and {last}",
        "{init} және {last}",
        "{init} и {last}",
    ),
    ("scenario.nothing", "nothing", "ештеңе", "ничего"),
    (
        "scenario.one_of",
        "one of: {names}",
        "мыналардың бірі: {names}",
        "одно из: {names}",
    ),
    ("scenario.none", "none", "жоқ", "нет"),
    ("scenario.nobody", "nobody", "ешкімге", "никому"),
    (
        "scenario.but",
        "{expected}, but {found}",
        "{expected}, бірақ {found}",
        "{expected}, но {found}",
    ),
    ("scenario.status.active", "active", "белсенді", "активно"),
    (
        "scenario.status.completed",
        "completed",
        "аяқталған",
        "завершено",
    ),
    (
        "scenario.status.withdrawn",
        "withdrawn",
        "кері қайтарылған",
        "отозвано",
    ),
    (
        "scenario.case.not_open",
        "not open",
        "ашылмаған",
        "не открыто",
    ),
    (
        "scenario.case.waiting",
        "active, waiting at {steps}",
        "белсенді, мына жерде күтіп тұр: {steps}",
        "активно, ожидает на {steps}",
    ),
    (
        "scenario.case.closed",
        "{status} with the result `{result}`",
        "{status}, нәтижесі: `{result}`",
        "{status} с результатом `{result}`",
    ),
    (
        "scenario.expect.status",
        "expected the case to be {want}, but it is {found}",
        "іс күйі мынадай болуы күтілді: {want}, бірақ ол — {found}",
        "ожидалось, что дело будет в состоянии «{want}», но оно {found}",
    ),
    (
        "scenario.expect.result",
        "expected the case to end with the result `{want}`, but it is {found}",
        "іс `{want}` нәтижесімен аяқталуы күтілді, бірақ ол — {found}",
        "ожидалось, что дело завершится с результатом `{want}`, но оно {found}",
    ),
    (
        "scenario.expect.term",
        "expected the term to end on {want}, but it ends on {found}",
        "мерзім {want} күні бітуі күтілді, бірақ ол {found} күні бітеді",
        "ожидалось, что срок истечёт {want}, но он истекает {found}",
    ),
    (
        "scenario.expect.term_not_started",
        "expected the term to end on {want}, but the term has not started",
        "мерзім {want} күні бітуі күтілді, бірақ мерзім әлі басталған жоқ",
        "ожидалось, что срок истечёт {want}, но срок ещё не начался",
    ),
    (
        "scenario.expect.wait_nowhere",
        "expected the case to wait nowhere",
        "іс ешбір жерде күтпеуі керек еді",
        "ожидалось, что дело нигде не ждёт",
    ),
    (
        "scenario.expect.wait_at",
        "expected the case to wait at {steps}",
        "іс мына жерде күтуі керек еді: {steps}",
        "ожидалось, что дело ждёт на {steps}",
    ),
    (
        "scenario.found.waits_nowhere",
        "it waits nowhere ({case})",
        "ол ешбір жерде күтпейді ({case})",
        "оно нигде не ждёт ({case})",
    ),
    (
        "scenario.found.waits_at",
        "it waits at {steps}",
        "ол мына жерде күтіп тұр: {steps}",
        "оно ждёт на {steps}",
    ),
    (
        "scenario.task_for",
        "`{step}` for {role}",
        "`{step}` ({role} үшін)",
        "`{step}` для {role}",
    ),
    (
        "scenario.expect.task",
        "expected an open task at `{step}`, but there is none (open: {open})",
        "`{step}` қадамында ашық тапсырма болуы күтілді, бірақ ол жоқ (ашық тапсырмалар: {open})",
        "ожидалась открытая задача на шаге `{step}`, но её нет (открытые: {open})",
    ),
    (
        "scenario.expect.task_role",
        "expected the task at `{step}` to be in the queue of {role}, but it is in the queue of {found}",
        "`{step}` қадамындағы тапсырма {role} кезегінде болуы күтілді, бірақ ол {found} кезегінде тұр",
        "ожидалось, что задача на шаге `{step}` в очереди {role}, но она в очереди {found}",
    ),
    (
        "scenario.expect.task_due",
        "expected the task at `{step}` to be due {want}, but it is due {found}",
        "`{step}` қадамындағы тапсырманың мерзімі {want} болуы күтілді, бірақ оның мерзімі — {found}",
        "ожидалось, что задача на шаге `{step}` должна быть выполнена к {want}, но её срок — {found}",
    ),
    (
        "scenario.expect.task_no_due",
        "expected the task at `{step}` to be due {want}, but it has no due time",
        "`{step}` қадамындағы тапсырманың мерзімі {want} болуы күтілді, бірақ оның мерзімі жоқ",
        "ожидалось, что задача на шаге `{step}` должна быть выполнена к {want}, но срок у неё не задан",
    ),
    (
        "scenario.expect.no_timer",
        "expected a timer at `{step}` due {want}, but `{step}` has no timer set",
        "`{step}` қадамында {want} уақытына таймер күтілді, бірақ `{step}` қадамында таймер қойылмаған",
        "ожидался таймер на шаге `{step}` на {want}, но у `{step}` таймер не установлен",
    ),
    (
        "scenario.expect.timer",
        "expected a timer at `{step}` due {want}, but its timers are due {found}",
        "`{step}` қадамында {want} уақытына таймер күтілді, бірақ оның таймерлері: {found}",
        "ожидался таймер на шаге `{step}` на {want}, но его таймеры установлены на {found}",
    ),
    (
        "scenario.expect.only_notified",
        "expected no notification but those listed, but `{template}` was also sent to {to} by {channels}",
        "тізімдегіден басқа хабарлама күтілмеді, бірақ `{template}` хабарламасы да {to} алушысына {channels} арқылы жіберілді",
        "ожидались только перечисленные уведомления, но `{template}` тоже отправлено: получатель {to}, каналы {channels}",
    ),
    (
        "scenario.expect.only_documents",
        "expected no document but those listed, but `{template}` was also rendered",
        "тізімдегіден басқа құжат күтілмеді, бірақ `{template}` құжаты да жасалды",
        "ожидались только перечисленные документы, но `{template}` тоже сформирован",
    ),
    (
        "scenario.expect.stages_exact",
        "expected exactly the stages {want}, but the stages reported are {found}",
        "дәл мына кезеңдер күтілді: {want}, бірақ хабарланған кезеңдер: {found}",
        "ожидались ровно этапы {want}, но сообщены этапы {found}",
    ),
    (
        "scenario.expect.requested",
        "expected a request to `{connector}`, but the case has not asked it",
        "`{connector}` сұрауы күтілді, бірақ іс оған сұрау жібермеді",
        "ожидался запрос к `{connector}`, но дело его не отправляло",
    ),
    (
        "scenario.expect.not_requested",
        "expected no request to `{connector}`, but the case asked it",
        "`{connector}` сұрауы күтілмеді, бірақ іс оған сұрау жіберді",
        "запрос к `{connector}` не ожидался, но дело его отправило",
    ),
    (
        "scenario.file.not_asked_by_service",
        "no request step of `{service}` asks `{connector}`",
        "`{service}` қызметінде `{connector}` сұрайтын қадам жоқ",
        "ни один шаг запроса услуги `{service}` не обращается к `{connector}`",
    ),
    (
        "scenario.trace.data_signed",
        "the answer of {connector} is taken from the citizen's signed data: nothing is asked",
        "{connector} жауабы азаматтың қол қойған деректерінен алынды: сұрау жіберілмеді",
        "ответ {connector} взят из подписанных гражданином данных: запрос не отправлялся",
    ),
    (
        "scenario.expect.stages",
        "expected the stages {want} in this order, but `{code}` was not reported (reported: {found})",
        "{want} кезеңдері осы ретпен күтілді, бірақ `{code}` хабарланбады (хабарланғандар: {found})",
        "ожидались этапы {want} в этом порядке, но `{code}` не сообщён (сообщены: {found})",
    ),
    (
        "scenario.expect.stages_after",
        "expected the stages {want} in this order, but `{code}` was not reported after `{previous}` (reported: {found})",
        "{want} кезеңдері осы ретпен күтілді, бірақ `{previous}` кезеңінен кейін `{code}` хабарланбады (хабарланғандар: {found})",
        "ожидались этапы {want} в этом порядке, но после `{previous}` этап `{code}` не сообщён (сообщены: {found})",
    ),
    (
        "scenario.expect.data_unset",
        "expected `{name}` to be {want}, but it is not set",
        "`{name}` мәні {want} болуы күтілді, бірақ ол берілмеген",
        "ожидалось, что `{name}` равно {want}, но значение не задано",
    ),
    (
        "scenario.expect.data_set",
        "expected `{name}` not to be set, but it is {found}",
        "`{name}` мәні берілмеуі күтілді, бірақ ол — {found}",
        "ожидалось, что `{name}` не задано, но оно равно {found}",
    ),
    (
        "scenario.expect.data",
        "expected `{name}` to be {want}, but it is {found}",
        "`{name}` мәні {want} болуы күтілді, бірақ ол — {found}",
        "ожидалось, что `{name}` равно {want}, но оно равно {found}",
    ),
    (
        "scenario.differs.template",
        "it is `{template}`",
        "бұл — `{template}`",
        "это `{template}`",
    ),
    (
        "scenario.differs.to",
        "it went to {to}",
        "ол {to} алушысына кетті",
        "получатель — {to}",
    ),
    (
        "scenario.differs.channels",
        "it went by {channels}",
        "ол мына арналар арқылы кетті: {channels}",
        "отправлено по каналам: {channels}",
    ),
    (
        "scenario.differs.kind",
        "it is a {kind}",
        "оның түрі — {kind}",
        "его вид — {kind}",
    ),
    (
        "scenario.differs.no_kind",
        "it is a document of no kind",
        "бұл түрі көрсетілмеген құжат",
        "это документ без указанного вида",
    ),
    (
        "scenario.differs.var",
        "its `{name}` is {value}",
        "оның `{name}` мәні — {value}",
        "его `{name}` равно {value}",
    ),
    (
        "scenario.differs.no_var",
        "it has no `{name}`",
        "онда `{name}` жоқ",
        "в нём нет `{name}`",
    ),
    (
        "scenario.details.to",
        " to {to}",
        " ({to} алушысына)",
        " получателю {to}",
    ),
    (
        "scenario.details.by",
        " by {channels}",
        " ({channels} арқылы)",
        " по каналам {channels}",
    ),
    (
        "scenario.details.kind",
        " as a {kind}",
        " ({kind} ретінде)",
        " как {kind}",
    ),
    (
        "scenario.details.vars",
        " with {vars}",
        " (мәндері: {vars})",
        " со значениями {vars}",
    ),
    ("scenario.once", "once", "бір рет", "один раз"),
    ("scenario.twice", "twice", "екі рет", "дважды"),
    ("scenario.times", "{n} times", "{n} рет", "раз: {n}"),
    (
        "scenario.expect.sent",
        "expected `{template}` to be sent {times}{details}",
        "`{template}` {times} жіберілуі күтілді{details}",
        "ожидалось, что `{template}` будет отправлено {times}{details}",
    ),
    (
        "scenario.expect.rendered",
        "expected `{template}` to be rendered {times}{details}",
        "`{template}` {times} жасалуы күтілді{details}",
        "ожидалось, что `{template}` будет сформирован {times}{details}",
    ),
    (
        "scenario.found.sent_times",
        "it was sent {times}",
        "ол {times} жіберілді",
        "оно отправлено {times}",
    ),
    (
        "scenario.found.rendered_times",
        "it was rendered {times}",
        "ол {times} жасалды",
        "он сформирован {times}",
    ),
    ("scenario.found.sent_differs", "{how}", "{how}", "{how}"),
    ("scenario.found.rendered_differs", "{how}", "{how}", "{how}"),
    (
        "scenario.found.not_sent",
        "it was not sent (sent so far: {so_far})",
        "ол жіберілмеді (осы уақытқа дейін жіберілгендер: {so_far})",
        "оно не отправлено (отправлено до сих пор: {so_far})",
    ),
    (
        "scenario.found.not_rendered",
        "it was not rendered (rendered so far: {so_far})",
        "ол жасалмады (осы уақытқа дейін жасалғандар: {so_far})",
        "он не сформирован (сформировано до сих пор: {so_far})",
    ),
    (
        "scenario.expect.phrase_unrendered",
        "expected `{template}`{which} to contain \"{phrase}\", but it has not been rendered{which} so far (rendered so far: {so_far})",
        "`{template}`{which} ішінде \"{phrase}\" болуы күтілді, бірақ ол{which} әлі жасалған жоқ (осы уақытқа дейін жасалғандар: {so_far})",
        "ожидалось, что `{template}`{which} содержит \"{phrase}\", но он{which} ещё не сформирован (сформировано до сих пор: {so_far})",
    ),
    (
        "scenario.expect.no_phrase_unrendered",
        "expected `{template}`{which} not to contain \"{phrase}\", but it has not been rendered{which} so far (rendered so far: {so_far})",
        "`{template}`{which} ішінде \"{phrase}\" болмауы күтілді, бірақ ол{which} әлі жасалған жоқ (осы уақытқа дейін жасалғандар: {so_far})",
        "ожидалось, что `{template}`{which} не содержит \"{phrase}\", но он{which} ещё не сформирован (сформировано до сих пор: {so_far})",
    ),
    (
        "scenario.expect.phrase",
        "expected `{template}`{which} to contain \"{phrase}\", but it reads: {found}",
        "`{template}`{which} ішінде \"{phrase}\" болуы күтілді, бірақ онда былай жазылған: {found}",
        "ожидалось, что `{template}`{which} содержит \"{phrase}\", но в нём написано: {found}",
    ),
    (
        "scenario.expect.no_phrase",
        "expected `{template}`{which} not to contain \"{phrase}\", but its {what} reads: \"{found}\"",
        "`{template}`{which} ішінде \"{phrase}\" болмауы күтілді, бірақ оның {what} бөлігінде былай жазылған: \"{found}\"",
        "ожидалось, что `{template}`{which} не содержит \"{phrase}\", но в его части {what} написано: \"{found}\"",
    ),
    ("scenario.who.citizen", "the citizen", "азамат", "гражданин"),
    ("scenario.who.engine", "the engine", "жүйе", "система"),
    (
        "scenario.trace.submit",
        "submit: in {language}, through {channel}, region {region}, SMS consent given",
        "submit: тілі {language}, арна {channel}, өңір {region}, SMS-ке келісім берілген",
        "submit: язык {language}, канал {channel}, регион {region}, согласие на SMS дано",
    ),
    (
        "scenario.trace.submit_no_sms",
        "submit: in {language}, through {channel}, region {region}, SMS consent not given",
        "submit: тілі {language}, арна {channel}, өңір {region}, SMS-ке келісім берілмеген",
        "submit: язык {language}, канал {channel}, регион {region}, согласие на SMS не дано",
    ),
    (
        "scenario.trace.complete",
        "complete: `{outcome}`, by {by}",
        "complete: `{outcome}`, орындаған: {by}",
        "complete: `{outcome}`, исполнитель: {by}",
    ),
    (
        "scenario.fail.no_task",
        "there is no open task at `{step}`; open tasks: {open}",
        "`{step}` қадамында ашық тапсырма жоқ; ашық тапсырмалар: {open}",
        "на шаге `{step}` нет открытой задачи; открытые задачи: {open}",
    ),
    (
        "scenario.trace.answer",
        "answer: {connector} answers {response}",
        "answer: {connector} жауабы: {response}",
        "answer: {connector} отвечает {response}",
    ),
    (
        "scenario.trace.fail",
        "fail: {connector} fails after {attempts} attempt(s): {error}",
        "fail: {connector} {attempts} әрекеттен кейін сәтсіз аяқталды: {error}",
        "fail: {connector} — сбой после попыток ({attempts}): {error}",
    ),
    (
        "scenario.trace.message",
        "message: `{name}` from {by}: {payload}",
        "message: `{name}`, жіберуші {by}: {payload}",
        "message: `{name}` от {by}: {payload}",
    ),
    (
        "scenario.trace.sms_reply",
        "the citizen's SMS reply: «{text}»",
        "азаматтың SMS жауабы: «{text}»",
        "SMS-ответ гражданина: «{text}»",
    ),
    (
        "scenario.fail.no_sms_reply_wait",
        "the case waits for no message an SMS reply gives (`sms_reply:` in `messages:`); it waits at: {waiting}",
        "іс SMS жауабымен берілетін хабарламаны күтпейді (`messages:` ішіндегі `sms_reply:`); күтетін қадамдары: {waiting}",
        "дело не ждёт сообщения, которое даёт SMS-ответ (`sms_reply:` в `messages:`); шаги, на которых оно ждёт: {waiting}",
    ),
    (
        "scenario.trace.sms_reply_from",
        "the citizen's SMS reply from {from}: «{text}»",
        "азаматтың {from} нөмірінен SMS жауабы: «{text}»",
        "SMS-ответ гражданина с номера {from}: «{text}»",
    ),
    (
        "scenario.trace.sms_reply_not_recognised",
        "not one of the words of `{message}`: the help SMS `{help}` goes back, the case keeps waiting",
        "`{message}` сөздерінің бірі емес: `{help}` анықтама SMS-і жіберіледі, іс күтуді жалғастырады",
        "не одно из слов `{message}`: в ответ уходит SMS-подсказка `{help}`, дело продолжает ждать",
    ),
    (
        "scenario.fail.no_sms_reply_from",
        "no case waits for an SMS reply from {from}: the server would answer `no_case` and deliver nothing",
        "{from} нөмірінен SMS жауабын ешбір іс күтпейді: сервер `no_case` деп жауап береді, ештеңе жеткізілмейді",
        "ни одно дело не ждёт SMS-ответа с номера {from}: сервер ответит `no_case` и ничего не доставит",
    ),
    (
        "scenario.fail.sms_reply_other_case",
        "the reply from {from} goes to the case `{reached}`, the last to start waiting for a reply from that number, not to `{case}`",
        "{from} нөмірінен келген жауап `{case}` ісіне емес, осы нөмірден жауапты соңғы болып күте бастаған `{reached}` ісіне барады",
        "ответ с номера {from} попадает в дело `{reached}`, последним начавшее ждать ответа с этого номера, а не в `{case}`",
    ),
    (
        "scenario.file.no_sms_reply",
        "the service `{service}` has no message an SMS reply gives (`sms_reply:` in `messages:`)",
        "`{service}` қызметінде SMS жауабымен берілетін хабарлама жоқ (`messages:` ішіндегі `sms_reply:`)",
        "у услуги `{service}` нет сообщения, которое даёт SMS-ответ (`sms_reply:` в `messages:`)",
    ),
    (
        "scenario.file.sms_reply_from",
        "`{from}` is not a phone number: write it as the aggregator reports it, e.g. `+77011234567`",
        "`{from}` телефон нөмірі емес: оны агрегатор беретіндей жазыңыз, мысалы `+77011234567`",
        "`{from}` — не номер телефона: запишите его так, как его передаёт агрегатор, например `+77011234567`",
    ),
    (
        "scenario.trace.withdraw",
        "withdraw: recorded by {by}",
        "withdraw: тіркеген: {by}",
        "withdraw: зарегистрировал: {by}",
    ),
    (
        "scenario.trace.expect",
        "expect: {keys} hold",
        "expect: {keys} орындалды",
        "expect: {keys} выполняются",
    ),
    (
        "scenario.request_at",
        "{connector} at {step}",
        "{connector} ({step} қадамында)",
        "{connector} на шаге {step}",
    ),
    (
        "scenario.fail.no_request",
        "no request to `{connector}` is pending; pending: {pending}",
        "`{connector}` сұрауы күтілмейді; күтілетін сұраулар: {pending}",
        "нет ожидающего запроса к `{connector}`; ожидают: {pending}",
    ),
    (
        "scenario.fail.no_request_from",
        "no request to `{connector}` from `{step}` is pending; pending: {pending}",
        "`{step}` қадамынан `{connector}` сұрауы күтілмейді; күтілетін сұраулар: {pending}",
        "нет ожидающего запроса к `{connector}` от шага `{step}`; ожидают: {pending}",
    ),
    (
        "scenario.fail.several_requests",
        "{count} requests to `{connector}` are pending, from {steps}: say which with `step:`",
        "`{connector}` сервисіне {count} сұрау күтіліп тұр, мына қадамдардан: {steps}; қайсысы екенін `step:` арқылы көрсетіңіз",
        "ожидают запросы к `{connector}` ({count}) от шагов {steps}: укажите нужный через `step:`",
    ),
    (
        "scenario.fail.no_case",
        "there is no case: the submission did not open one",
        "іс жоқ: өтініш оны ашпады",
        "дела нет: подача заявления его не открыла",
    ),
    (
        "scenario.fail.accepted",
        "expected the engine to refuse this with an error containing \"{want}\", but it accepted it",
        "жүйе мұны \"{want}\" бар қатемен қабылдамауы күтілді, бірақ ол қабылдады",
        "ожидалось, что система откажет с ошибкой, содержащей \"{want}\", но она приняла это",
    ),
    (
        "scenario.fail.refused",
        "the engine refused this: {error}",
        "жүйе мұны қабылдамады: {error}",
        "система отказала: {error}",
    ),
    (
        "scenario.trace.refused",
        "refused, as expected: {error}",
        "күтілгендей қабылданбады: {error}",
        "отказано, как и ожидалось: {error}",
    ),
    (
        "scenario.fail.other_error",
        "expected the engine to refuse this with an error containing \"{want}\", but it said: {error}",
        "жүйе мұны \"{want}\" бар қатемен қабылдамауы күтілді, бірақ ол былай деді: {error}",
        "ожидалось, что система откажет с ошибкой, содержащей \"{want}\", но она ответила: {error}",
    ),
    (
        "scenario.fail.calendar",
        "calendar: {error}",
        "күнтізбе: {error}",
        "календарь: {error}",
    ),
    (
        "scenario.working_days",
        "{n} working day(s)",
        "{n} жұмыс күні",
        "рабочих дней: {n}",
    ),
    (
        "scenario.calendar_days",
        "{n} calendar day(s)",
        "{n} күнтізбелік күн",
        "календарных дней: {n}",
    ),
    ("scenario.hours", "{n} hour(s)", "{n} сағат", "часов: {n}"),
    (
        "scenario.minutes",
        "{n} minute(s)",
        "{n} минут",
        "минут: {n}",
    ),
    (
        "scenario.until_then",
        "until then",
        "көрсетілген сәтке",
        "к указанному времени",
    ),
    (
        "scenario.fail.clock_back",
        "the clock cannot go back to {target}: it is {now} already",
        "сағатты {target} уақытына кері жылжытуға болмайды: қазір {now}",
        "часы нельзя перевести назад на {target}: сейчас уже {now}",
    ),
    (
        "scenario.trace.advance",
        "advance {by}, to {to}",
        "advance {by}, {to} дейін",
        "advance {by}, до {to}",
    ),
    (
        "scenario.trace.timer_fires",
        "timer fires: {what}",
        "таймер іске қосылды: {what}",
        "срабатывает таймер: {what}",
    ),
    (
        "scenario.trace.lapses",
        "lapses: {error}",
        "күшін жойды: {error}",
        "теряет силу: {error}",
    ),
    (
        "scenario.fail.timer_refused",
        "the engine refused the timer ({what}): {error}",
        "жүйе таймерді қабылдамады ({what}): {error}",
        "система отклонила таймер ({what}): {error}",
    ),
    (
        "scenario.fail.no_timer_refused",
        "expected the engine to refuse a timer with an error containing \"{want}\", but no timer was refused",
        "жүйе таймерді \"{want}\" бар қатемен қабылдамауы күтілді, бірақ бірде-бір таймер қабылданбай қалған жоқ",
        "ожидалось, что система отклонит таймер с ошибкой, содержащей \"{want}\", но ни один таймер не отклонён",
    ),
    (
        "scenario.trace.notice_goes",
        "the notice goes by {channels}",
        "хабарлама мына арналар арқылы жіберіледі: {channels}",
        "уведомление уходит по каналам: {channels}",
    ),
    (
        "scenario.trace.term_started",
        "the term starts: accepted on {accepted}, due {due}",
        "мерзім басталды: қабылданған күні {accepted}, бітетін күні {due}",
        "срок начался: принято {accepted}, истекает {due}",
    ),
    (
        "scenario.trace.term_paused",
        "the term pauses",
        "мерзім тоқтатылды",
        "срок приостановлен",
    ),
    (
        "scenario.trace.term_resumed",
        "the term resumes after {days} paused working day(s): due {due}",
        "мерзім {days} жұмыс күні тоқтатылғаннан кейін жалғасты: бітетін күні {due}",
        "срок возобновлён после приостановки (рабочих дней: {days}): истекает {due}",
    ),
    (
        "scenario.trace.message_kept",
        "the message is kept until a step waits for it: `{message}`",
        "хабар оны күтетін қадам болғанша сақталады: `{message}`",
        "сообщение хранится, пока его не ждёт шаг: `{message}`",
    ),
    (
        "scenario.trace.closed",
        "the case closes: {result}",
        "іс жабылды: {result}",
        "дело закрыто: {result}",
    ),
    (
        "scenario.trace.case",
        "case: the steps below act on {number}",
        "case: төмендегі қадамдар {number} ісіне қатысты",
        "case: шаги ниже относятся к делу {number}",
    ),
    (
        "scenario.trace.broadcast",
        "broadcast: `{name}` to every case, from {by}: {payload}",
        "broadcast: `{name}` барлық іске, жіберуші {by}: {payload}",
        "broadcast: `{name}` всем делам от {by}: {payload}",
    ),
    (
        "scenario.trace.broadcast_closed",
        "not touched: the case has ended",
        "қозғалмады: іс аяқталған",
        "не затронуто: дело завершено",
    ),
    (
        "scenario.trace.broadcast_duplicate",
        "already taken: {error}",
        "бұрын қабылданған: {error}",
        "уже принято ранее: {error}",
    ),
    (
        "scenario.trace.broadcast_not_now",
        "not now: {error}",
        "қазір емес: {error}",
        "не сейчас: {error}",
    ),
    (
        "scenario.trace.event_started",
        "the event `{event}` starts",
        "`{event}` оқиғасы басталды",
        "начинается событие `{event}`",
    ),
    (
        "scenario.trace.event_kept",
        "`{message}` is kept: the case is busy with another event; `{event}` starts when it is back at a hold that takes it",
        "`{message}` сақталды: іс басқа оқиғамен айналысып жатыр; `{event}` іс оны қабылдайтын hold қадамына оралғанда басталады",
        "`{message}` сохранено: дело занято другим событием; `{event}` начнётся, когда дело вернётся на hold, который его принимает",
    ),
    (
        "scenario.trace.message_taken",
        "the kept message `{message}` is taken",
        "сақталған `{message}` хабары қабылданды",
        "сохранённое сообщение `{message}` принято",
    ),
    (
        "scenario.trace.holding",
        "the case holds: {state}",
        "іс hold күйінде тұр: {state}",
        "дело находится в состоянии: {state}",
    ),
    (
        "scenario.trace.term_met",
        "the term is met (due {due})",
        "мерзім сақталды (бітетін күні {due})",
        "срок соблюдён (истекал {due})",
    ),
    (
        "scenario.trace.record_changed",
        "`{field}`: {from} → {to}",
        "`{field}`: {from} → {to}",
        "`{field}`: {from} → {to}",
    ),
    (
        "scenario.trace.event_date_absent",
        "no `{date}` in the case: the event `{event}` will not start by itself",
        "істе `{date}` жоқ: `{event}` оқиғасы өздігінен басталмайды",
        "в деле нет `{date}`: событие `{event}` само не начнётся",
    ),
    (
        "scenario.trace.event_date_moved",
        "the day of the event `{event}` moved to {date}",
        "`{event}` оқиғасының күні {date} күніне ауысты",
        "день события `{event}` перенесён на {date}",
    ),
    (
        "scenario.fail.broadcast_refused",
        "the case `{case}` refused the broadcast: {error}",
        "`{case}` ісі broadcast хабарын қабылдамады: {error}",
        "дело `{case}` отклонило broadcast: {error}",
    ),
    (
        "scenario.fail.other_version",
        "the scenario runs the version {version} of `{service}` for every case, but on {day} {found}: a case submitted then would run under other rules",
        "сценарий әр іс үшін `{service}` қызметінің {version} нұсқасын іске қосады, бірақ {day} күні {found}: сол күні берілген іс басқа ережемен жүрер еді",
        "сценарий выполняет для всех дел версию {version} услуги `{service}`, но {day} {found}: дело, поданное в этот день, шло бы по другим правилам",
    ),
    (
        "scenario.version_in_force",
        "the version {version} is in force",
        "{version} нұсқасы күшінде",
        "действует версия {version}",
    ),
    (
        "scenario.no_version_in_force",
        "no version is in force",
        "ешбір нұсқа күшінде емес",
        "ни одна версия не действует",
    ),
    (
        "scenario.expect.state",
        "expected the case to be `{want}`, but it is `{found}`",
        "іс `{want}` күйінде болуы күтілді, бірақ ол `{found}` күйінде",
        "ожидалось, что дело в состоянии `{want}`, но оно в состоянии `{found}`",
    ),
    (
        "scenario.expect.state_held",
        "expected the case not to have come to a hold yet, but it is `{found}`",
        "іс әлі hold қадамына жетпеген болуы күтілді, бірақ ол `{found}` күйінде",
        "ожидалось, что дело ещё не дошло до hold, но оно в состоянии `{found}`",
    ),
    (
        "scenario.expect.state_none",
        "expected the case to be `{want}`, but it has not come to a hold: it is {found}",
        "іс `{want}` күйінде болуы күтілді, бірақ ол hold қадамына жеткен жоқ: ол — {found}",
        "ожидалось, что дело в состоянии `{want}`, но оно ещё не дошло до hold: оно {found}",
    ),
    (
        "scenario.expect.no_broadcast",
        "expected what a broadcast did, but none has come",
        "broadcast нәтижесі күтілді, бірақ ешбір broadcast болған жоқ",
        "ожидался итог broadcast, но ни одного broadcast не было",
    ),
    (
        "scenario.expect.broadcast",
        "expected the last broadcast to count {want}, but it counted {found}",
        "соңғы broadcast нәтижесі {want} болуы күтілді, бірақ {found} болды",
        "ожидалось, что последний broadcast даст {want}, но он дал {found}",
    ),
    (
        "scenario.trace.task_due",
        "task opened for {role}, due {due}",
        "{role} үшін тапсырма ашылды, мерзімі {due}",
        "открыта задача для {role}, срок {due}",
    ),
    (
        "scenario.trace.task",
        "task opened for {role}",
        "{role} үшін тапсырма ашылды",
        "открыта задача для {role}",
    ),
    (
        "scenario.trace.task_closed",
        "task closed",
        "тапсырма жабылды",
        "задача закрыта",
    ),
    (
        "scenario.trace.no_such_task",
        "task {key} closed, but no such task was open",
        "{key} тапсырмасы жабылды, бірақ мұндай тапсырма ашық емес еді",
        "задача {key} закрыта, но такой открытой задачи не было",
    ),
    (
        "scenario.trace.task_moved",
        "task moved to {role}",
        "тапсырма {role} кезегіне берілді",
        "задача передана {role}",
    ),
    (
        "scenario.trace.timer_moved",
        "timer set for {due} (moved from {from}: outside office hours): {what}",
        "таймер {due} уақытына қойылды ({from} уақытынан ауыстырылды: жұмыс уақытынан тыс): {what}",
        "таймер установлен на {due} (перенесён с {from}: нерабочее время): {what}",
    ),
    (
        "scenario.trace.timer",
        "timer set for {due}: {what}",
        "таймер {due} уақытына қойылды: {what}",
        "таймер установлен на {due}: {what}",
    ),
    (
        "scenario.trace.timer_cancelled",
        "timer cancelled: {what}",
        "таймер болдырылмады: {what}",
        "таймер отменён: {what}",
    ),
    (
        "scenario.trace.request",
        "request to {connector}: {input}",
        "{connector} сервисіне сұрау: {input}",
        "запрос к {connector}: {input}",
    ),
    (
        "scenario.trace.quiet_hours",
        "the notice waits for the end of quiet hours: {at}",
        "хабарлама тыныштық уақытының аяқталуын күтеді: {at}",
        "уведомление ждёт окончания тихих часов: {at}",
    ),
    (
        "scenario.trace.notify",
        "notify {to}: `{template}` by {channels}",
        "хабарлама, алушы {to}: `{template}`, арналар: {channels}",
        "уведомление для {to}: `{template}` по каналам {channels}",
    ),
    (
        "scenario.trace.document_kind",
        "document `{template}` ({kind})",
        "`{template}` құжаты ({kind})",
        "документ `{template}` ({kind})",
    ),
    (
        "scenario.trace.document",
        "document `{template}`",
        "`{template}` құжаты",
        "документ `{template}`",
    ),
    (
        "scenario.trace.stage",
        "stage `{stage}`",
        "`{stage}` кезеңі",
        "этап `{stage}`",
    ),
    (
        "scenario.fail.no_templates",
        "`{template}` cannot be rendered: the templates folder did not load",
        "`{template}` жасалмайды: үлгілер қалтасы жүктелмеді",
        "`{template}` не может быть сформирован: папка шаблонов не загрузилась",
    ),
    (
        "scenario.part",
        ", part {part}",
        ", {part} бөлігі",
        ", часть {part}",
    ),
    (
        "scenario.fail.not_rendered",
        "the template `{template}` does not render in {lang}{part}: {error}",
        "`{template}` үлгісі {lang} тілінде жасалмайды{part}: {error}",
        "шаблон `{template}` не формируется на языке {lang}{part}: {error}",
    ),
    (
        "scenario.timer.event",
        "the day the event `{event}` starts",
        "`{event}` оқиғасы басталатын күн",
        "день начала события `{event}`",
    ),
    (
        "scenario.timer.wait",
        "the wait ends",
        "күту аяқталады",
        "ожидание заканчивается",
    ),
    (
        "scenario.timer.the_message",
        "the message",
        "хабар",
        "сообщение",
    ),
    (
        "scenario.timer.message",
        "the time for `{message}` runs out",
        "`{message}` күту уақыты бітеді",
        "время ожидания `{message}` истекает",
    ),
    (
        "scenario.timer.task_rung",
        "escalation at {percent}% of the task's time",
        "тапсырма уақытының {percent}% өткенде эскалация",
        "эскалация при {percent}% времени задачи",
    ),
    (
        "scenario.timer.term_rung",
        "escalation at {percent}% of the term",
        "мерзімнің {percent}% өткенде эскалация",
        "эскалация при {percent}% срока",
    ),
    (
        "scenario.file.not_a_date",
        "`{text}` is not a date: write YYYY-MM-DD",
        "`{text}` — жарамды күн емес: ЖЖЖЖ-АА-КК пішімінде жазыңыз",
        "`{text}` — не дата: укажите в формате ГГГГ-ММ-ДД",
    ),
    (
        "scenario.file.not_a_when",
        "`{text}` is not a local date and time: write YYYY-MM-DDTHH:MM (or a date, YYYY-MM-DD)",
        "`{text}` — жергілікті күн мен уақыт емес: ЖЖЖЖ-АА-ККTСС:ММ пішімінде (немесе күнді ЖЖЖЖ-АА-КК пішімінде) жазыңыз",
        "`{text}` — не местные дата и время: укажите в формате ГГГГ-ММ-ДДTЧЧ:ММ (или дату, ГГГГ-ММ-ДД)",
    ),
    (
        "scenario.file.not_a_moment",
        "`{text}` is not a local date and time: write YYYY-MM-DDTHH:MM",
        "`{text}` — жергілікті күн мен уақыт емес: ЖЖЖЖ-АА-ККTСС:ММ пішімінде жазыңыз",
        "`{text}` — не местные дата и время: укажите в формате ГГГГ-ММ-ДДTЧЧ:ММ",
    ),
    (
        "scenario.file.step_kind",
        "`{step}` is a {kind} step, not {what}",
        "`{step}` — {kind} түріндегі қадам, ал керегі: {what}",
        "`{step}` — шаг вида {kind}, а нужен: {what}",
    ),
    (
        "scenario.file.no_step",
        "there is no step `{step}`",
        "`{step}` қадамы жоқ",
        "нет шага `{step}`",
    ),
    ("scenario.what.step", "a step", "қадам", "шаг"),
    ("scenario.what.task", "a task", "тапсырма", "задача"),
    (
        "scenario.what.timed",
        "a wait, a receive, a task or a hold",
        "wait, receive, тапсырма немесе hold",
        "wait, receive, задача или hold",
    ),
    (
        "scenario.file.not_a_field",
        "`{name}` is not {whose}",
        "`{name}` — бұл {whose} емес",
        "`{name}` — это не {whose}",
    ),
    (
        "scenario.whose.service",
        "a data name of the service",
        "қызметтің деректер атауы",
        "имя данных услуги",
    ),
    (
        "scenario.whose.form",
        "a field of the form of `{step}`",
        "`{step}` нысанының өрісі",
        "поле формы `{step}`",
    ),
    (
        "scenario.whose.message",
        "a field of the message `{name}`",
        "`{name}` хабарының өрісі",
        "поле сообщения `{name}`",
    ),
    (
        "scenario.file.bad_value",
        "`{name}`: {problem}",
        "`{name}`: {problem}",
        "`{name}`: {problem}",
    ),
    (
        "scenario.file.not_in_force",
        "no version of `{service}` is in force on {date}",
        "{date} күні `{service}` қызметінің күшіндегі нұсқасы жоқ",
        "на {date} нет действующей версии `{service}`",
    ),
    (
        "scenario.file.no_service",
        "there is no valid definition of the service `{service}` here",
        "мұнда `{service}` қызметінің жарамды сипаттамасы жоқ",
        "здесь нет корректного описания услуги `{service}`",
    ),
    (
        "scenario.file.no_steps",
        "a scenario needs steps, the first a `submit`",
        "сценарийде қадамдар болуы керек, біріншісі — `submit`",
        "в сценарии нужны шаги, первый из них — `submit`",
    ),
    (
        "scenario.file.no_action",
        "a step needs one action: {actions}",
        "қадамда бір әрекет болуы керек: {actions}",
        "у шага должно быть одно действие: {actions}",
    ),
    (
        "scenario.file.two_actions",
        "a step has one action, this one has `{a}` and `{b}`: make two steps",
        "қадамда бір ғана әрекет болады, ал мұнда `{a}` және `{b}` бар: екі қадам жасаңыз",
        "у шага одно действие, а у этого — `{a}` и `{b}`: сделайте два шага",
    ),
    (
        "scenario.file.submit_first",
        "the first step must be `submit`: the case opens with it",
        "бірінші қадам `submit` болуы керек: іс сонымен ашылады",
        "первым шагом должен быть `submit`: с него открывается дело",
    ),
    (
        "scenario.file.case_twice",
        "two cases are named `{name}`: give each `submit` its own `name`",
        "екі іс `{name}` деп аталған: әр `submit` өз `name` атауын алсын",
        "два дела названы `{name}`: дайте каждому `submit` своё `name`",
    ),
    (
        "scenario.file.no_case",
        "no case is named `{name}`: a case is named by its `submit` (`name:`), or by its place (`1`, `2`, …)",
        "`{name}` деп аталған іс жоқ: іс өз `submit` қадамындағы атаумен (`name:`) немесе реттік нөмірімен (`1`, `2`, …) аталады",
        "нет дела с именем `{name}`: дело называется по своему `submit` (`name:`) или по порядковому номеру (`1`, `2`, …)",
    ),
    (
        "scenario.file.case_later",
        "the case `{name}` is submitted further down: a step can turn only to a case opened before it",
        "`{name}` ісі төменірек беріледі: қадам тек өзінен бұрын ашылған іске ауыса алады",
        "дело `{name}` подаётся ниже: шаг может перейти только к делу, открытому до него",
    ),
    (
        "scenario.file.expect_error_case",
        "`expect_error` belongs to a step the engine may refuse; `case` only turns to another case",
        "`expect_error` жүйе қабылдамауы мүмкін қадамға жазылады; `case` тек басқа іске ауысады",
        "`expect_error` указывается у шага, который система может отклонить; `case` лишь переходит к другому делу",
    ),
    (
        "scenario.file.expect_error_broadcast",
        "a broadcast's refusals are counted, not expected: check them with `expect: { broadcast: … }`",
        "broadcast қабылданбауы күтілмейді, саналады: оларды `expect: { broadcast: … }` арқылы тексеріңіз",
        "отказы при broadcast не ожидаются, а подсчитываются: проверьте их через `expect: { broadcast: … }`",
    ),
    (
        "scenario.file.no_broadcast_yet",
        "no `broadcast` comes before this expectation",
        "бұл күтуден бұрын ешбір `broadcast` жоқ",
        "до этого ожидания не было ни одного `broadcast`",
    ),
    (
        "scenario.file.no_event_message",
        "`{name}` starts no life event of `{service}`: a broadcast sends the message of an event (`events:` … `message:`)",
        "`{name}` хабары `{service}` қызметінің ешбір өмірлік оқиғасын бастамайды: broadcast оқиғаның хабарын жібереді (`events:` … `message:`)",
        "сообщение `{name}` не начинает ни одного жизненного события `{service}`: broadcast отправляет сообщение события (`events:` … `message:`)",
    ),
    (
        "scenario.file.no_holds",
        "`{service}` has no `hold` step: its cases have no living state",
        "`{service}` қызметінде `hold` қадамы жоқ: оның істерінде өмірлік күй болмайды",
        "у `{service}` нет шага `hold`: у её дел нет состояния выплаты",
    ),
    (
        "scenario.file.state",
        "`{state}` is not a state of `{service}`: a state is the `hold:` of a step, or a result",
        "`{state}` — `{service}` қызметінің күйі емес: күй — қадамның `hold:` атауы немесе нәтиже",
        "`{state}` не является состоянием `{service}`: состояние — это `hold:` шага или результат",
    ),
    (
        "scenario.file.expect_error",
        "`expect_error` belongs to a step that does something, not to `expect`",
        "`expect_error` әрекет жасайтын қадамға жазылады, `expect` қадамына емес",
        "`expect_error` указывается у шага, который что-то делает, а не у `expect`",
    ),
    (
        "scenario.file.channel",
        "`{service}` does not take applications through `{channel}`",
        "`{service}` өтініштерді `{channel}` арқылы қабылдамайды",
        "`{service}` не принимает заявления через `{channel}`",
    ),
    (
        "scenario.file.outcome",
        "`{outcome}` is not an outcome of the task `{step}`",
        "`{outcome}` — `{step}` тапсырмасының қорытындысы емес",
        "`{outcome}` не является исходом задачи `{step}`",
    ),
    (
        "scenario.file.no_request",
        "no step of this service requests `{connector}`",
        "бұл қызметтің ешбір қадамы `{connector}` сұрауын жібермейді",
        "ни один шаг этой услуги не запрашивает `{connector}`",
    ),
    (
        "scenario.file.not_requesting",
        "`{step}` is not a step that requests `{connector}`",
        "`{step}` — `{connector}` сұрауын жіберетін қадам емес",
        "`{step}` — не шаг, запрашивающий `{connector}`",
    ),
    (
        "scenario.file.answer_field",
        "`{name}` is not a field of the answer of `{connector}` (see the catalog)",
        "`{name}` — `{connector}` жауабының өрісі емес (каталогты қараңыз)",
        "`{name}` не является полем ответа `{connector}` (см. каталог)",
    ),
    (
        "scenario.file.answer_lacks",
        "the answer of `{connector}` lacks {fields}, which every answer carries (see the catalog)",
        "`{connector}` жауабында әр жауапта болатын өрістер жоқ: {fields} (каталогты қараңыз)",
        "в ответе `{connector}` нет полей, которые есть в каждом ответе: {fields} (см. каталог)",
    ),
    (
        "scenario.file.answer_lacks_hint",
        "give the field as the system would send it; a field the system may leave out is marked `optional: true` in the catalog",
        "өрісті жүйе жіберетіндей етіп көрсетіңіз; жүйе жібермеуі мүмкін өріс каталогта `optional: true` деп белгіленеді",
        "укажите поле так, как его прислала бы система; поле, которое система может не прислать, помечается в каталоге `optional: true`",
    ),
    (
        "scenario.file.advance",
        "`advance` takes one of: working_days, calendar_days, hours, minutes, until",
        "`advance` мыналардың бірін қабылдайды: working_days, calendar_days, hours, minutes, until",
        "`advance` принимает одно из: working_days, calendar_days, hours, minutes, until",
    ),
    (
        "scenario.file.no_message",
        "no step of this service receives a message `{name}`",
        "бұл қызметтің ешбір қадамы `{name}` хабарын қабылдамайды",
        "ни один шаг этой услуги не принимает сообщение `{name}`",
    ),
    (
        "scenario.file.status",
        "`{status}` is not a status",
        "`{status}` — іс күйі емес",
        "`{status}` не является состоянием",
    ),
    (
        "scenario.file.result",
        "`{result}` is not a result of `{service}`",
        "`{result}` — `{service}` қызметінің нәтижесі емес",
        "`{result}` не является результатом `{service}`",
    ),
    (
        "scenario.file.not_sent",
        "no step of this service sends `{template}`",
        "бұл қызметтің ешбір қадамы `{template}` хабарламасын жібермейді",
        "ни один шаг этой услуги не отправляет `{template}`",
    ),
    (
        "scenario.file.not_rendered",
        "no step of this service renders `{template}`",
        "бұл қызметтің ешбір қадамы `{template}` құжатын жасамайды",
        "ни один шаг этой услуги не формирует `{template}`",
    ),
    (
        "scenario.file.stage",
        "no step of this service reports the stage `{stage}`",
        "бұл қызметтің ешбір қадамы `{stage}` кезеңін хабарламайды",
        "ни один шаг этой услуги не сообщает этап `{stage}`",
    ),
    (
        "scenario.file.scope",
        "`{scope}` is not a step that calls a sub-workflow",
        "`{scope}` — ішкі процесті шақыратын қадам емес",
        "`{scope}` — не шаг, вызывающий подпроцесс",
    ),
    (
        "scenario.file.data_name",
        "`{name}` is not a data name of `{service}`",
        "`{name}` — `{service}` деректерінің атауы емес",
        "`{name}` не является именем данных `{service}`",
    ),
    (
        "scenario.file.not_sent_or_rendered",
        "no step of this service sends or renders `{template}`",
        "бұл қызметтің ешбір қадамы `{template}` үлгісін жібермейді де, жасамайды да",
        "ни один шаг этой услуги не отправляет и не формирует `{template}`",
    ),
    (
        "scenario.file.no_part",
        "`{template}` has no {part} part",
        "`{template}` үлгісінде {part} бөлігі жоқ",
        "у `{template}` нет части {part}",
    ),
    (
        "scenario.file.rendered_empty",
        "`rendered` needs `contains` or `not_contains`: the words to look for",
        "`rendered` үшін `contains` немесе `not_contains` керек: ізделетін сөздер",
        "для `rendered` нужно `contains` или `not_contains`: искомые слова",
    ),
    (
        "scenario.file.empty_phrase",
        "an empty phrase is found in any text: write the words to look for",
        "бос тіркес кез келген мәтінде табылады: ізделетін сөздерді жазыңыз",
        "пустая фраза находится в любом тексте: напишите искомые слова",
    ),
    // The YAML loader's own messages (engine/yaml.rs).
    (
        "yaml.syntax",
        "YAML syntax error: {detail}",
        "YAML синтаксис қатесі: {detail}",
        "синтаксическая ошибка YAML: {detail}",
    ),
    (
        "yaml.syntax_hint",
        "check the indentation and the `:` after each key on this line and the one above",
        "осы және алдыңғы жолдағы шегіністерді және әр кілттен кейінгі `:` белгісін тексеріңіз",
        "проверьте отступы и `:` после каждого ключа в этой и предыдущей строке",
    ),
    (
        "yaml.unreadable",
        "cannot read the file: {detail}",
        "файлды оқу мүмкін емес: {detail}",
        "не удаётся прочитать файл: {detail}",
    ),
    (
        "yaml.many_documents",
        "more than one YAML document in the file",
        "файлда бірден көп YAML құжаты бар",
        "в файле больше одного документа YAML",
    ),
    (
        "yaml.many_documents_hint",
        "keep one definition per file; remove the `---` line",
        "әр файлда бір сипаттама болсын: `---` жолын алып тастаңыз",
        "одно описание на файл: удалите строку `---`",
    ),
    (
        "yaml.duplicate_key",
        "duplicate key `{key}`",
        "`{key}` кілті қайталанған",
        "ключ `{key}` повторяется",
    ),
    (
        "yaml.duplicate_key_at",
        "duplicate key `{key}` (first at line {line})",
        "`{key}` кілті қайталанған (алғаш {line}-жолда)",
        "ключ `{key}` повторяется (впервые в строке {line})",
    ),
    (
        "yaml.duplicate_key_hint",
        "each key may appear once in a mapping: rename or merge the two",
        "әр кілт бір мәпеде бір рет қана жазылады: біреуінің атын өзгертіңіз немесе екеуін біріктіріңіз",
        "каждый ключ может встречаться в отображении один раз: переименуйте или объедините их",
    ),
    (
        "yaml.key_not_string",
        "a mapping key must be a plain string",
        "мәпе кілті қарапайым жол болуы керек",
        "ключ отображения должен быть простой строкой",
    ),
    (
        "yaml.key_not_string_hint",
        "write the key as a word, e.g. `accept:`",
        "кілтті сөз ретінде жазыңыз, мысалы: `accept:`",
        "запишите ключ словом, например `accept:`",
    ),
    // The kinds of value the shape check expects (`schema.wrong_type`).
    (
        "schema.type.object",
        "a mapping (key: value)",
        "мәпе (кілт: мән)",
        "отображение (ключ: значение)",
    ),
    ("schema.type.array", "a list", "тізім", "список"),
    ("schema.type.string", "text", "мәтін", "текст"),
    (
        "schema.type.integer",
        "a whole number",
        "бүтін сан",
        "целое число",
    ),
    ("schema.type.number", "a number", "сан", "число"),
    (
        "schema.type.boolean",
        "true or false",
        "true немесе false",
        "true или false",
    ),
    (
        "schema.type.or",
        "{a} or {b}",
        "{a} немесе {b}",
        "{a} или {b}",
    ),
    // Texts in both languages (engine/definition/texts.rs).
    (
        "text.no_kk",
        "`{path}` has no `kk` text: give the Kazakh text too",
        "`{path}` мәтінінің қазақша (`kk`) нұсқасы жоқ: қазақша мәтінін де жазыңыз",
        "у `{path}` нет текста `kk`: укажите и текст на казахском языке",
    ),
    (
        "text.no_ru",
        "`{path}` has no `ru` text: give the Russian text too",
        "`{path}` мәтінінің орысша (`ru`) нұсқасы жоқ: орысша мәтінін де жазыңыз",
        "у `{path}` нет текста `ru`: укажите и текст на русском языке",
    ),
    (
        "text.plain",
        "`{path}` is one plain text, but it is read in Kazakh and in Russian: give both",
        "`{path}` бір ғана мәтін болып жазылған, ал оны қазақша да, орысша да оқиды: екеуін де жазыңыз",
        "`{path}` задан одной строкой, а его читают на казахском и на русском: укажите оба текста",
    ),
    (
        "hint.text_plain",
        "write it as `{ kk: \"…\", ru: \"{text}\" }`",
        "оны `{ kk: \"…\", ru: \"{text}\" }` түрінде жазыңыз",
        "запишите его как `{ kk: \"…\", ru: \"{text}\" }`",
    ),
    // The guide's "always" rules: warnings (`--deny-warnings` makes them fail).
    (
        "step.no_title",
        "step `{step}` has no `title`: the case history and the clerks' pages show it, in Kazakh and Russian",
        "`{step}` қадамының `title` атауы жоқ: іс тарихы мен қызметкерлер беттері оны қазақша және орысша көрсетеді",
        "у шага `{step}` нет `title`: его показывают история дела и страницы сотрудников, на казахском и русском",
    ),
    (
        "file.short_title_long",
        "the `{lang}` short title has {chars} characters, more than {max}: SMS texts and e-mail subjects print it",
        "`{lang}` қысқа атауында {chars} таңба бар, {max} шегінен көп: оны SMS мәтіндері мен хат тақырыптары басып шығарады",
        "в кратком названии `{lang}` {chars} символов, больше {max}: его печатают тексты SMS и темы писем",
    ),
    (
        "hint.short_title",
        "name the service in a few words a citizen recognises, e.g. `ru: \"Удостоверение реабилитированного\"`",
        "қызметті азаматқа таныс бірнеше сөзбен атаңыз, мысалы `kk: \"Ақталған адамның куәлігі\"`",
        "назовите услугу несколькими словами, понятными гражданину, например `ru: \"Удостоверение реабилитированного\"`",
    ),
    (
        "hint.step_title",
        "add `title: { kk: \"…\", ru: \"…\" }` (workflows/README.md, Steps)",
        "`title: { kk: \"…\", ru: \"…\" }` қосыңыз (workflows/README.md, Steps бөлімі)",
        "добавьте `title: { kk: \"…\", ru: \"…\" }` (workflows/README.md, раздел Steps)",
    ),
    (
        "event.no_title",
        "event `{event}` has no `title`: the case page offers it and the history names it, in Kazakh and Russian",
        "`{event}` оқиғасының `title` атауы жоқ: іс беті оны ұсынады және тарих атайды, қазақша және орысша",
        "у события `{event}` нет `title`: его предлагает страница дела и называет история, на казахском и русском",
    ),
    (
        "event.no_source",
        "event `{event}` has no `source`: cite the act and the item it comes from, for the auditor",
        "`{event}` оқиғасының `source` дереккөзі жоқ: аудитор үшін ол алынған акт пен тармақты көрсетіңіз",
        "у события `{event}` нет `source`: укажите акт и пункт, из которых оно следует, для аудитора",
    ),
    (
        "step.no_source",
        "step `{step}` has no `source`: cite the act and the item it comes from, for the auditor",
        "`{step}` қадамының `source` дереккөзі жоқ: аудитор үшін ол алынған акт пен тармақты көрсетіңіз",
        "у шага `{step}` нет `source`: укажите акт и пункт, из которых он следует, для аудитора",
    ),
    (
        "hint.step_source",
        "add `source: { act: <a key of basis>, item: \"…\" }`, the item as the act numbers it; a step that exists by analogy or assumption says so in the item",
        "`source: { act: <basis кілті>, item: \"…\" }` қосыңыз, тармақты актідегідей нөмірлеп; ұқсастық не болжам бойынша қойылған қадам мұны item ішінде айтады",
        "добавьте `source: { act: <ключ из basis>, item: \"…\" }`, пункт — как он пронумерован в акте; шаг по аналогии или допущению говорит об этом в item",
    ),
    (
        "sms.no_registration_number",
        "the SMS does not print `{{registration_number}}`: every SMS carries the case's registration number",
        "SMS `{{registration_number}}` тіркеу нөмірін шығармайды: әр SMS-те істің тіркеу нөмірі болады",
        "SMS не выводит `{{registration_number}}`: в каждом SMS есть регистрационный номер дела",
    ),
    (
        "hint.sms_registration_number",
        "print `{{registration_number}}` (or the partial `{{> registration_number}}`) in it",
        "оған `{{registration_number}}` (не `{{> registration_number}}` бөлігін) қосыңыз",
        "выведите в нём `{{registration_number}}` (или частичный шаблон `{{> registration_number}}`)",
    ),
    // Templates: Handlebars syntax, in plain words (engine/notify/syntax.rs).
    (
        "hbs.unclosed_block",
        "`{{#{name}}}` is opened on line {line} but never closed with `{{/{name}}}`",
        "`{{#{name}}}` {line}-жолда ашылған, бірақ `{{/{name}}}` арқылы жабылмаған",
        "`{{#{name}}}` открыт в строке {line}, но не закрыт через `{{/{name}}}`",
    ),
    (
        "hint.unclosed_block",
        "add `{{/{name}}}` where the text it governs ends",
        "ол қамтитын мәтін аяқталатын жерге `{{/{name}}}` қосыңыз",
        "добавьте `{{/{name}}}` там, где кончается текст, к которому он относится",
    ),
    (
        "hbs.wrong_close",
        "`{{/{found}}}` closes `{{#{open}}}`, which was opened on line {line}",
        "`{{/{found}}}` {line}-жолда ашылған `{{#{open}}}` блогын жабады",
        "`{{/{found}}}` закрывает `{{#{open}}}`, открытый в строке {line}",
    ),
    (
        "hint.wrong_close",
        "close the inner block first: `{{/{open}}}` goes before `{{/{found}}}`",
        "алдымен ішкі блокты жабыңыз: `{{/{open}}}` `{{/{found}}}` алдында тұрады",
        "сначала закройте внутренний блок: `{{/{open}}}` идёт перед `{{/{found}}}`",
    ),
    (
        "hbs.close_nothing",
        "`{{/{name}}}` closes nothing: no `{{#{name}}}` is open here",
        "`{{/{name}}}` ештеңені жаппайды: мұнда ашық `{{#{name}}}` жоқ",
        "`{{/{name}}}` ничего не закрывает: здесь не открыт `{{#{name}}}`",
    ),
    (
        "hbs.unclosed_tag",
        "unclosed `{{`: the tag that starts here never ends with `}}`",
        "жабылмаған `{{`: осы жерде басталған тег `}}` арқылы аяқталмайды",
        "незакрытая `{{`: тег, начатый здесь, не заканчивается `}}`",
    ),
    (
        "hbs.unclosed_comment",
        "the comment that starts here never ends with `--}}`",
        "осы жерде басталған түсініктеме `--}}` арқылы аяқталмайды",
        "комментарий, начатый здесь, не заканчивается `--}}`",
    ),
    (
        "hbs.unclosed_triple",
        "`{{{` is closed with `}}`: close it with `}}}`, or open it with `{{`",
        "`{{{` `}}` арқылы жабылған: оны `}}}` арқылы жабыңыз немесе `{{` арқылы ашыңыз",
        "`{{{` закрыта через `}}`: закройте её через `}}}` или откройте через `{{`",
    ),
    (
        "hbs.empty_tag",
        "an empty `{{ }}`: write a variable or a helper inside",
        "бос `{{ }}`: ішіне айнымалыны немесе көмекшіні жазыңыз",
        "пустые `{{ }}`: напишите внутри переменную или помощник",
    ),
    (
        "hbs.else_outside",
        "`{{else}}` outside a block: it goes inside `{{#if …}}…{{/if}}`, `{{#unless …}}` or `{{#each …}}`",
        "блоктан тыс `{{else}}`: ол `{{#if …}}…{{/if}}`, `{{#unless …}}` немесе `{{#each …}}` ішінде жазылады",
        "`{{else}}` вне блока: он пишется внутри `{{#if …}}…{{/if}}`, `{{#unless …}}` или `{{#each …}}`",
    ),
    (
        "hbs.expected_value",
        "a value is missing here: after `name=`, or as a helper's argument",
        "мұнда мән жетіспейді: `name=` кейін немесе көмекшінің аргументі ретінде",
        "здесь не хватает значения: после `name=` или в аргументе помощника",
    ),
    (
        "hbs.expected_partial",
        "the name of the partial is missing after `{{>`",
        "`{{>` кейін бөлік үлгінің атауы жоқ",
        "после `{{>` не указано имя частичного шаблона",
    ),
    (
        "hbs.syntax",
        "the template cannot be read here: {detail}",
        "үлгіні осы жерде оқу мүмкін емес: {detail}",
        "шаблон не читается в этом месте: {detail}",
    ),
    // Templates: helpers and the `variables:` header (engine/notify/check.rs).
    (
        "hbs.unknown_helper",
        "unknown helper `{name}`",
        "белгісіз көмекші: `{name}`",
        "неизвестный помощник `{name}`",
    ),
    (
        "hint.helpers",
        "the helpers are: {names}",
        "көмекшілер: {names}",
        "помощники: {names}",
    ),
    (
        "hbs.helper_type",
        "`{helper}` prints {expected}, but `{name}` is {actual}",
        "`{helper}` {expected} шығарады, ал `{name}` — {actual}",
        "`{helper}` выводит {expected}, а `{name}` — {actual}",
    ),
    (
        "hint.helper_type",
        "print it as it is, `{{{name}}}`, or use the helper meant for {actual}",
        "оны сол күйінде `{{{name}}}` шығарыңыз немесе {actual} үшін арналған көмекшіні пайдаланыңыз",
        "выведите его как есть, `{{{name}}}`, или используйте помощник для {actual}",
    ),
    ("type.date", "a date", "күн", "дата"),
    (
        "type.money",
        "an amount of money",
        "ақша сомасы",
        "денежная сумма",
    ),
    (
        "type.money_words",
        "an amount of money in words",
        "ақша сомасын жазбаша",
        "денежную сумму прописью",
    ),
    ("type.number", "a number", "сан", "число"),
    ("type.string", "a text", "мәтін", "текст"),
    ("type.int", "a whole number", "бүтін сан", "целое число"),
    (
        "type.decimal",
        "a decimal number",
        "бөлшек сан",
        "дробное число",
    ),
    (
        "type.bool",
        "a yes/no value",
        "иә/жоқ мәні",
        "значение да/нет",
    ),
    ("type.iin", "an IIN", "ЖСН", "ИИН"),
    (
        "type.phone",
        "a phone number",
        "телефон нөмірі",
        "номер телефона",
    ),
    (
        "type.email",
        "an e-mail address",
        "электрондық пошта мекенжайы",
        "адрес электронной почты",
    ),
    (
        "type.enum",
        "one of listed values",
        "тізімдегі мәндердің бірі",
        "одно из перечисленных значений",
    ),
    ("type.list", "a list", "тізім", "список"),
    (
        "type.other",
        "a value of another kind",
        "басқа түрдегі мән",
        "значение другого вида",
    ),
    (
        "hbs.unlisted",
        "`{name}` is printed here but not listed in the `variables:` header on line {line}",
        "`{name}` осында шығарылады, бірақ {line}-жолдағы `variables:` тізімінде жоқ",
        "`{name}` выводится здесь, но не указан в заголовке `variables:` в строке {line}",
    ),
    (
        "hint.unlisted",
        "add `{name}` to the header: the header is the list a reviewer checks against the case data",
        "`{name}` атауын тізімге қосыңыз: тексеруші іс деректерін осы тізіммен салыстырады",
        "добавьте `{name}` в заголовок: по нему проверяющий сверяет шаблон с данными дела",
    ),
    (
        "hbs.unused",
        "`{name}` is listed in the `variables:` header but the template never prints it",
        "`{name}` `variables:` тізімінде бар, бірақ үлгі оны ешқашан шығармайды",
        "`{name}` указан в заголовке `variables:`, но шаблон его нигде не выводит",
    ),
    (
        "hint.unused",
        "remove it from the header, or print it where it was meant to go",
        "оны тізімнен алып тастаңыз немесе тиісті жерде шығарыңыз",
        "удалите его из заголовка или выведите там, где он должен быть",
    ),
    // The notifier's checks of names, files and SMS budgets (engine/notify/check.rs).
    (
        "template.no_part",
        "template `{template}` has no {name} ({file}): every message exists in Kazakh and Russian",
        "`{template}` үлгісінде {name} ({file}) жоқ: әр хабарлама қазақ және орыс тілдерінде болады",
        "в шаблоне `{template}` нет {name} ({file}): каждое сообщение существует на казахском и русском",
    ),
    (
        "template.not_provided_like",
        "{file}: `{{{name}}}` is not a variable this step provides; did you mean `{like}`?",
        "{file}: `{{{name}}}` — бұл қадам беретін айнымалы емес; `{like}` деп айтқыңыз келді ме?",
        "{file}: `{{{name}}}` — не переменная, которую даёт этот шаг; возможно, вы имели в виду `{like}`?",
    ),
    (
        "template.not_provided",
        "{file}: `{{{name}}}` is not a variable this step provides; declare it under `data:` or remove it from the template",
        "{file}: `{{{name}}}` — бұл қадам беретін айнымалы емес; оны `data:` бөлімінде жариялаңыз немесе үлгіден алып тастаңыз",
        "{file}: `{{{name}}}` — не переменная, которую даёт этот шаг; объявите её в разделе `data:` или удалите из шаблона",
    ),
    (
        "template.sms_unbounded",
        "{file}: the SMS cites `{name}`, whose length has no bound, so it may exceed its budget of {budget} segment(s); cite a shorter value or move it to the e-mail",
        "{file}: SMS ұзындығы шектелмеген `{name}` мәнін келтіреді, сондықтан {budget} сегмент шегінен асып кетуі мүмкін; қысқарақ мәнді келтіріңіз немесе оны электрондық хатқа көшіріңіз",
        "{file}: SMS выводит `{name}`, длина которого не ограничена, и может превысить лимит в {budget} сегм.; выведите более короткое значение или перенесите его в письмо",
    ),
    (
        "template.sms_over",
        "{file}: the SMS can take {worst} segments ({chars} characters at worst, {encoding}), over its budget of {budget}; shorten it or declare `{{!-- segments: {worst} --}}`",
        "{file}: SMS {worst} сегментке дейін созылуы мүмкін (ең көбі {chars} таңба, {encoding}), бұл {budget} шегінен көп; оны қысқартыңыз немесе `{{!-- segments: {worst} --}}` деп жариялаңыз",
        "{file}: SMS может занять {worst} сегм. (до {chars} символов, {encoding}), больше лимита в {budget}; сократите его или объявите `{{!-- segments: {worst} --}}`",
    ),
    (
        "sms.ucs2",
        "UCS-2: 70 a message, 67 a segment",
        "UCS-2: хабарламаға 70, сегментке 67",
        "UCS-2: 70 на сообщение, 67 на сегмент",
    ),
    (
        "sms.gsm7",
        "GSM-7: 160 a message, 153 a segment",
        "GSM-7: хабарламаға 160, сегментке 153",
        "GSM-7: 160 на сообщение, 153 на сегмент",
    ),
    // The statutory term's paths: each step with what it takes (engine/definition/term.rs).
    (
        "term.path_step",
        "{step} ({cost})",
        "{step} ({cost})",
        "{step} ({cost})",
    ),
    ("term.path_end", "{step}", "{step}", "{step}"),
    ("term.day", "1 working day", "1 жұмыс күні", "1 раб. дн."),
    (
        "term.days",
        "{n} working days",
        "{n} жұмыс күні",
        "{n} раб. дн.",
    ),
    (
        "term.hours",
        "{n} working hours",
        "{n} жұмыс сағаты",
        "{n} раб. ч.",
    ),
    ("term.hour", "1 working hour", "1 жұмыс сағаты", "1 раб. ч."),
    ("term.minutes", "{n} min", "{n} мин", "{n} мин"),
    ("hint.term_parts", "{parts}", "{parts}", "{parts}"),
    (
        "hint.term_shorten",
        "shorten the due times or timers of {steps}",
        "{steps} орындау мерзімдерін немесе таймерлерін қысқартыңыз",
        "сократите сроки выполнения или таймеры: {steps}",
    ),
    (
        "hint.term_pause",
        "where the rules stop the clock while the case waits on the citizen, mark {steps} with `pauses_term: true`",
        "егер ереже азаматты күткен кезде мерзімді тоқтатса, {steps} қадамын `pauses_term: true` арқылы белгілеңіз",
        "если правила останавливают срок, пока дело ждёт гражданина, отметьте {steps} через `pauses_term: true`",
    ),
    (
        "hint.term_counted",
        "the time inside `{call}` counts towards the term: the sub-workflow does not pause it, as the law does not (for the hearing, APPK art. 73), so do not mark its steps `pauses_term`; make room for it before the call, or shorten the due times inside it that the law leaves open (not the citizen's window)",
        "`{call}` ішіндегі уақыт мерзімге кіреді: ішкі процесс оны тоқтатпайды, заң да тоқтатпайды (тыңдау үшін — ӘРПК 73-бап), сондықтан оның қадамдарын `pauses_term` деп белгілемеңіз; шақыруға дейін оған орын қалдырыңыз немесе оның ішіндегі заң белгілемеген орындау мерзімдерін қысқартыңыз (азаматқа берілетін мерзімді емес)",
        "время внутри `{call}` входит в срок: подпроцесс его не приостанавливает, как и закон (для заслушивания — АППК ст. 73), поэтому не отмечайте его шаги `pauses_term`; оставьте для него время до вызова или сократите внутри него сроки, которые закон не устанавливает (не срок, данный гражданину)",
    ),
    (
        "hint.term_window",
        "`{step}` is a window the law gives the citizen, counted from `{from}`: it counts towards the term and is not paused; make room for it before",
        "`{step}` — заң азаматқа беретін, `{from}` күнінен саналатын мерзім: ол мерзімге кіреді және тоқтатылмайды; оған алдын ала орын қалдырыңыз",
        "`{step}` — срок, который закон даёт гражданину, считая от `{from}`: он входит в срок и не приостанавливается; оставьте для него время заранее",
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
