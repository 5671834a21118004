//! The gateway's SOAP reader: an answer as it comes back from a state system (the
//! synchronous response or fault, the asynchronous acknowledgement, an asynchronous message
//! posted to us), read into JSON (`soap::to_json` and the `parse_*` functions) and mapped
//! into the catalog's fields by every shipped connector (`mapping::response`). The reader
//! promises no line and column, only "at byte N" for a syntax error: N must be in the text.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qyzmet::definition::{self, messages::Lang};
use qyzmet::gateway::mapping;
use qyzmet::gateway::soap::{self, AsyncMessage, Fault, SyncRequest, SyncResponse};
use qyzmet::gateway::{GatewayConfig, config::Connector};
use serde_json::{Value, json};

use super::mutate::Corpus;
use super::run;

struct World {
    corpus: Corpus,
    connectors: Vec<Connector>,
}

/// An answer that fills every field `connector` maps, at the place it reads it from.
fn answer(connector: &Connector) -> Value {
    let mut data = json!({});
    for (target, source) in &connector.fields {
        let value = match connector.outputs.get(target).map(|t| format!("{:?}", t.ty)) {
            Some(t) if t.contains("Date") => json!("1952-03-15+06:00"),
            Some(t) if t.contains("Bool") => json!("true"),
            Some(t) if t.contains("Money") || t.contains("Decimal") => json!("1850000.50"),
            Some(t) if t.contains("Int") => json!("42"),
            Some(t) if t.contains("Iin") => json!("520315400123"),
            _ => source
                .values
                .keys()
                .next()
                .map_or(json!("Ким"), |v| json!(v)),
        };
        put(&mut data, &source.from, value);
    }
    let mut root = json!({});
    put(&mut root, &connector.data, data.clone());
    if connector.data.is_empty() {
        data
    } else {
        root
    }
}

/// Sets `value` at the JSON pointer `pointer`.
fn put(root: &mut Value, pointer: &str, value: Value) {
    let segments: Vec<&str> = pointer.split('/').filter(|s| !s.is_empty()).collect();
    super::put(root, &segments, value);
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let catalog = definition::load_catalog(Path::new("workflows/catalog.yaml"), Lang::En)
            .expect("the shipped catalog");
        let text = std::fs::read_to_string("config/connectors.yaml").unwrap();
        let env = |_: &str| Some("secret".to_string());
        let config =
            GatewayConfig::parse(&PathBuf::from("config/connectors.yaml"), &text, &catalog, &env)
                .expect("the shipped connectors");
        let connectors: Vec<Connector> = config.connectors.into_values().collect();
        let mut seeds = Vec::new();
        for c in &connectors {
            let data = answer(c);
            seeds.push((
                format!("{} sync", c.name),
                soap::sync_response(&SyncResponse {
                    message_id: "m1".into(),
                    response_date: "2026-03-15T10:00:00.000+05:00".into(),
                    status_code: "SCSS001".into(),
                    status_message: "OK".into(),
                    data: data.clone(),
                }),
            ));
            seeds.push((
                format!("{} async", c.name),
                soap::async_message(&AsyncMessage {
                    message_id: "a1".into(),
                    correlation_id: Some("job:1:2:3".into()),
                    service_id: c.name.clone(),
                    message_type: "RESPONSE".into(),
                    message_date: "2026-03-15T10:00:00.000+05:00".into(),
                    sender_id: "gbd".into(),
                    password: "secret".into(),
                    data,
                }),
            ));
        }
        seeds.push((
            "fault".into(),
            soap::fault(&Fault {
                code: "soap:Server".into(),
                message: "Сервис недоступен".into(),
            }),
        ));
        seeds.push(("ack".into(), soap::async_ack("job:12:7:3", "now")));
        seeds.push((
            "request".into(),
            soap::sync_request(&SyncRequest {
                message_id: "m1".into(),
                message_date: "now".into(),
                service_id: "gbd_fl".into(),
                sender_id: "qyzmet".into(),
                password: "secret".into(),
                data: json!({"iin": "520315400123"}),
            }),
        ));
        seeds.push((
            "another stack's prefixes".into(),
            r#"<?xml version="1.0"?>
<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <S:Body><ns2:SendMessageResponse xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types">
    <response>
      <responseInfo><messageId>m1</messageId><status><code>SCSS001</code></status></responseInfo>
      <responseData><data><person><surname>Ким &amp; &#1050;&#x41a;</surname><patronymic xsi:nil="true"/><![CDATA[<x>]]></person></data></responseData>
    </response>
  </ns2:SendMessageResponse></S:Body>
</S:Envelope>"#
                .into(),
        ));
        let dict = [
            "<", ">", "</", "/>", "<a>", "</a>", "<data>", "</data>", "<![CDATA[", "]]>",
            "<!--", "-->", "<?xml version=\"1.0\"?>", "<!DOCTYPE x [<!ENTITY e \"&e;&e;\">]>",
            "&e;", "&amp;", "&lt;", "&#0;", "&#x110000;", "&#99999999999;", "&unknown;", "&",
            " xsi:nil=\"true\"", " a=\"1\" a=\"2\"", "xmlns:", "ns2:", ":", "\"", "'", "=",
            "<Fault><faultcode>", "</faultcode>", "<faultstring>", "<item>", "</item>",
        ];
        World {
            corpus: Corpus {
                seeds,
                dict: dict.iter().map(|s| s.to_string()).collect(),
                limit: 256 * 1024,
            },
            connectors,
        }
    })
}

/// A syntax error's "at byte N" must point into the text.
fn placed(error: &soap::Error, xml: &str) {
    if let Some(rest) = error.0.strip_prefix("at byte ") {
        let n: usize = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        assert!(n <= xml.len(), "byte {n} of {}: {error}", xml.len());
    }
}

fn check(xml: &str) {
    let w = world();
    match soap::to_json(xml) {
        Err(e) => return placed(&e, xml),
        Ok(v) => {
            let _ = serde_json::to_string(&v).unwrap();
        }
    }
    let mut answers = Vec::new();
    match soap::parse_sync_response(xml) {
        Ok(Ok(r)) => answers.push(r.data),
        Ok(Err(fault)) => {
            let _ = (fault.code, fault.message);
        }
        Err(e) => placed(&e, xml),
    }
    match soap::parse_async_message(xml) {
        Ok(m) => answers.push(m.data),
        Err(e) => placed(&e, xml),
    }
    if let Err(e) = soap::parse_async_ack(xml) {
        placed(&e, xml);
    }
    if let Err(e) = soap::parse_sync_request(xml) {
        placed(&e, xml);
    }
    for data in &answers {
        for c in &w.connectors {
            let _ = mapping::response(c, data);
        }
    }
}

fn check_input(input: &[u8]) {
    let (_, xml) = world().corpus.text(input);
    check(&xml);
}

fn replay(file: &Path) {
    check(&String::from_utf8_lossy(&std::fs::read(file).unwrap()));
}

#[test]
fn random() {
    world();
    run("soap", replay, check_input);
}

/// 100,000 nested elements (700 KB) overflowed the stack: refused, at the element that
/// crosses the line.
#[test]
fn deep_nesting() {
    let xml = "<a>".repeat(100_000) + &"</a>".repeat(100_000);
    let error = soap::to_json(&xml).unwrap_err();
    assert_eq!(error.0, "at byte 195: elements nested deeper than 64");
    check(&xml);
}
