//! The eGov gateway's (ШЭП) SOAP envelopes, built and read with `quick-xml`.
//!
//! **Why quick-xml.** It is the maintained, widely used XML reader and writer of the Rust
//! ecosystem (pure Rust, no libxml2, so no system library), it streams events instead of
//! building a DOM, and it leaves namespaces to us: the gateway's answers use whatever
//! prefixes their stack chose (`ns2:`, `S:`, `soap:`), so we match *local* names only and
//! never depend on a prefix.
//!
//! The envelopes (checked against public descriptions of the gateway's WSDL; the real
//! gateway also wants a WS-Security signature over the body with the provider's key, which
//! is a deployment's job and not done here):
//!
//! - synchronous channel, namespace `http://bip.bee.kz/SyncChannel/v10/Types`:
//!   `SendMessage/request` of type `SyncSendMessageRequest{requestInfo{messageId, serviceId,
//!   messageDate, sender{senderId, password}}, requestData{data}}`, answered by
//!   `SendMessageResponse/response{responseInfo{messageId, responseDate, status{code,
//!   message}}, responseData{data}}`, or a SOAP fault;
//! - asynchronous channel, namespace `http://bip.bee.kz/AsyncChannel/v10/Types`:
//!   `SendMessage/request` of type `AsyncSendMessageRequest{messageInfo{messageId,
//!   correlationId, serviceId, messageType, messageDate, sender{senderId, password}},
//!   messageData{data}}`, acknowledged at once; the answer arrives later as a message of the
//!   same shape whose `correlationId` is our `messageId`.
//!
//! The service-specific `data` is carried as XML elements; inside the engine it is JSON: an
//! element with children is an object (a repeated name, an array), an element with text is
//! a string, an empty or `xsi:nil` element is null.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Map, Value};

/// The synchronous channel's namespace.
pub const SYNC_NS: &str = "http://bip.bee.kz/SyncChannel/v10/Types";
/// The asynchronous channel's namespace.
pub const ASYNC_NS: &str = "http://bip.bee.kz/AsyncChannel/v10/Types";
/// SOAP 1.1.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// An envelope that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed SOAP envelope: {0}")]
pub struct Error(pub String);

/// `SyncSendMessageRequest`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRequest {
    /// `requestInfo.messageId`: our idempotency key, so a repeat is recognised.
    pub message_id: String,
    /// `requestInfo.messageDate` (xsd:dateTime).
    pub message_date: String,
    /// `requestInfo.serviceId`.
    pub service_id: String,
    /// `requestInfo.sender.senderId`.
    pub sender_id: String,
    /// `requestInfo.sender.password`.
    pub password: String,
    /// `requestData.data`.
    pub data: Value,
}

/// `SyncSendMessageResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncResponse {
    /// `responseInfo.messageId`: the request's.
    pub message_id: String,
    /// `responseInfo.responseDate`.
    pub response_date: String,
    /// `responseInfo.status.code` (`SCSS001` is success).
    pub status_code: String,
    /// `responseInfo.status.message`.
    pub status_message: String,
    /// `responseData.data`.
    pub data: Value,
}

/// A SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `faultcode`, without its prefix: `Server` (worth another try) or `Client`.
    pub code: String,
    /// `faultstring`.
    pub message: String,
}

/// `AsyncSendMessageRequest`: a request we send, or an answer that arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncMessage {
    /// `messageInfo.messageId`.
    pub message_id: String,
    /// `messageInfo.correlationId`: on an answer, the `messageId` of our request.
    pub correlation_id: Option<String>,
    /// `messageInfo.serviceId`.
    pub service_id: String,
    /// `messageInfo.messageType`: `REQUEST`, `RESPONSE`, `ERROR`.
    pub message_type: String,
    /// `messageInfo.messageDate`.
    pub message_date: String,
    /// `messageInfo.sender.senderId`.
    pub sender_id: String,
    /// `messageInfo.sender.password`.
    pub password: String,
    /// `messageData.data`.
    pub data: Value,
}

// ── Writing ─────────────────────────────────────────────────────────────────────────────────

type W = Writer<Vec<u8>>;

fn io<T>(r: std::io::Result<T>) -> T {
    r.expect("writing XML into memory cannot fail")
}

fn start(w: &mut W, name: &str) {
    io(w.write_event(Event::Start(BytesStart::new(name))));
}

fn end(w: &mut W, name: &str) {
    io(w.write_event(Event::End(BytesEnd::new(name))));
}

fn text(w: &mut W, name: &str, value: &str) {
    start(w, name);
    io(w.write_event(Event::Text(BytesText::new(value))));
    end(w, name);
}

/// Writes a JSON value as the content of an element named `name`.
fn element(w: &mut W, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                element(w, name, item);
            }
        }
        Value::Object(map) => {
            start(w, name);
            for (k, v) in map {
                element(w, k, v);
            }
            end(w, name);
        }
        Value::String(s) => text(w, name, s),
        other => text(w, name, &other.to_string()),
    }
}

/// Opens `<soap:Envelope><soap:Body><ns:{operation} xmlns:ns="{ns}">` and closes it after `body`.
fn envelope(ns: &str, operation: &str, body: impl FnOnce(&mut W)) -> String {
    let mut w = Writer::new(Vec::new());
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    io(w.write_event(Event::Start(
        BytesStart::new("soap:Envelope").with_attributes([("xmlns:soap", SOAP_NS)]),
    )));
    start(&mut w, "soap:Body");
    let op = format!("ns:{operation}");
    io(w.write_event(Event::Start(
        BytesStart::new(op.as_str()).with_attributes([("xmlns:ns", ns)]),
    )));
    body(&mut w);
    end(&mut w, &op);
    end(&mut w, "soap:Body");
    end(&mut w, "soap:Envelope");
    String::from_utf8(w.into_inner()).expect("we wrote UTF-8")
}

fn sender(w: &mut W, id: &str, password: &str) {
    start(w, "sender");
    text(w, "senderId", id);
    text(w, "password", password);
    end(w, "sender");
}

/// The synchronous channel's request.
pub fn sync_request(r: &SyncRequest) -> String {
    envelope(SYNC_NS, "SendMessage", |w| {
        start(w, "request");
        start(w, "requestInfo");
        text(w, "messageId", &r.message_id);
        text(w, "serviceId", &r.service_id);
        text(w, "messageDate", &r.message_date);
        sender(w, &r.sender_id, &r.password);
        end(w, "requestInfo");
        start(w, "requestData");
        data(w, &r.data);
        end(w, "requestData");
        end(w, "request");
    })
}

fn data(w: &mut W, value: &Value) {
    match value {
        Value::Object(_) => element(w, "data", value),
        Value::Null => io(w.write_event(Event::Empty(BytesStart::new("data")))),
        other => element(w, "data", other),
    }
}

/// The synchronous channel's answer (the simulator's side).
pub fn sync_response(r: &SyncResponse) -> String {
    envelope(SYNC_NS, "SendMessageResponse", |w| {
        start(w, "response");
        start(w, "responseInfo");
        text(w, "messageId", &r.message_id);
        text(w, "responseDate", &r.response_date);
        start(w, "status");
        text(w, "code", &r.status_code);
        text(w, "message", &r.status_message);
        end(w, "status");
        end(w, "responseInfo");
        start(w, "responseData");
        data(w, &r.data);
        end(w, "responseData");
        end(w, "response");
    })
}

/// A SOAP fault (the simulator's side).
pub fn fault(f: &Fault) -> String {
    let mut w = Writer::new(Vec::new());
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    io(w.write_event(Event::Start(
        BytesStart::new("soap:Envelope").with_attributes([("xmlns:soap", SOAP_NS)]),
    )));
    start(&mut w, "soap:Body");
    start(&mut w, "soap:Fault");
    text(&mut w, "faultcode", &format!("soap:{}", f.code));
    text(&mut w, "faultstring", &f.message);
    end(&mut w, "soap:Fault");
    end(&mut w, "soap:Body");
    end(&mut w, "soap:Envelope");
    String::from_utf8(w.into_inner()).expect("we wrote UTF-8")
}

/// The asynchronous channel's message: our request, or (the simulator's side) an answer.
pub fn async_message(m: &AsyncMessage) -> String {
    envelope(ASYNC_NS, "SendMessage", |w| {
        start(w, "request");
        start(w, "messageInfo");
        text(w, "messageId", &m.message_id);
        if let Some(c) = &m.correlation_id {
            text(w, "correlationId", c);
        }
        text(w, "serviceId", &m.service_id);
        text(w, "messageType", &m.message_type);
        text(w, "messageDate", &m.message_date);
        sender(w, &m.sender_id, &m.password);
        end(w, "messageInfo");
        start(w, "messageData");
        data(w, &m.data);
        end(w, "messageData");
        end(w, "request");
    })
}

/// The asynchronous channel's acknowledgement of a message.
pub fn async_ack(message_id: &str, response_date: &str) -> String {
    envelope(ASYNC_NS, "SendMessageResponse", |w| {
        start(w, "response");
        text(w, "messageId", message_id);
        text(w, "responseDate", response_date);
        end(w, "response");
    })
}

// ── Reading ─────────────────────────────────────────────────────────────────────────────────

/// The deepest nesting of elements read: 64. An envelope puts an answer's data six levels
/// down and the state systems' data nest a few more; each level is a level of the JSON
/// built, which every consumer (serde, the expressions, the drop of the value) walks by
/// recursion, so 100,000 nested `<a>` in 700 KB overflowed the stack and aborted the
/// process. The expressions refuse data nested deeper than this anyway.
pub const MAX_DEPTH: usize = 64;

/// Reads any XML into JSON by local names (see the module's documentation).
pub fn to_json(xml: &str) -> Result<Value, Error> {
    // Text is kept as written (trimming each text event would eat the spaces around an
    // entity: `A &amp; B`); whitespace between elements is dropped when the element closes.
    let mut reader = Reader::from_str(xml);
    // A stack of (name, children, text, nil).
    struct Open {
        name: String,
        children: Map<String, Value>,
        text: String,
        nil: bool,
    }
    let mut stack: Vec<Open> = vec![Open {
        name: String::new(),
        children: Map::new(),
        text: String::new(),
        nil: false,
    }];
    fn close(o: Open) -> Value {
        if o.nil {
            Value::Null
        } else if !o.children.is_empty() {
            Value::Object(o.children)
        } else if o.text.trim().is_empty() {
            Value::Null
        } else {
            Value::String(o.text)
        }
    }
    fn add(parent: &mut Map<String, Value>, name: String, value: Value) {
        match parent.get_mut(&name) {
            None => {
                parent.insert(name, value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    fn opened(e: &BytesStart) -> Result<Open, Error> {
        let name = e.local_name().as_ref().to_string();
        let nil = e
            .attributes()
            .flatten()
            .any(|a| a.key.local_name().as_ref() == "nil" && &*a.value == "true");
        Ok(Open {
            name,
            children: Map::new(),
            text: String::new(),
            nil,
        })
    }
    loop {
        let event = reader
            .read_event()
            .map_err(|e| Error(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                // The root of the stack is no element.
                if stack.len() > MAX_DEPTH {
                    return Err(Error(format!(
                        "at byte {}: elements nested deeper than {MAX_DEPTH}",
                        reader.buffer_position()
                    )));
                }
                stack.push(opened(&e)?)
            }
            Event::Empty(e) => {
                let o = opened(&e)?;
                let top = stack.last_mut().expect("the root stays");
                add(&mut top.children, o.name.clone(), close(o));
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(Error("an end tag without its start".into()));
                }
                let o = stack.pop().expect("checked above");
                let top = stack.last_mut().expect("the root stays");
                add(&mut top.children, o.name.clone(), close(o));
            }
            Event::Text(t) => {
                let top = stack.last_mut().expect("the root stays");
                top.text.push_str(&t.xml10_content());
            }
            Event::CData(t) => {
                let top = stack.last_mut().expect("the root stays");
                top.text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let top = stack.last_mut().expect("the root stays");
                let c = match r.resolve_char_ref().map_err(|e| Error(e.to_string()))? {
                    Some(c) => c,
                    None => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(Error(format!("unknown entity `&{other};`"))),
                    },
                };
                top.text.push(c);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if stack.len() != 1 {
        return Err(Error("the document ends inside an element".into()));
    }
    Ok(Value::Object(stack.pop().expect("the root").children))
}

fn str_at(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn body(xml: &str) -> Result<Value, Error> {
    let doc = to_json(xml)?;
    doc.pointer("/Envelope/Body")
        .cloned()
        .ok_or_else(|| Error("no Envelope/Body".into()))
}

fn fault_in(body: &Value) -> Option<Fault> {
    let f = body.get("Fault")?;
    let code = str_at(f, "/faultcode");
    Some(Fault {
        code: code.rsplit(':').next().unwrap_or_default().to_string(),
        message: str_at(f, "/faultstring"),
    })
}

/// Reads a synchronous request (the simulator's side; and the tests' round trip).
pub fn parse_sync_request(xml: &str) -> Result<SyncRequest, Error> {
    let body = body(xml)?;
    let r = body
        .pointer("/SendMessage/request")
        .ok_or_else(|| Error("no SendMessage/request".into()))?;
    if r.pointer("/requestInfo/messageId").is_none() {
        return Err(Error("no requestInfo/messageId".into()));
    }
    Ok(SyncRequest {
        message_id: str_at(r, "/requestInfo/messageId"),
        message_date: str_at(r, "/requestInfo/messageDate"),
        service_id: str_at(r, "/requestInfo/serviceId"),
        sender_id: str_at(r, "/requestInfo/sender/senderId"),
        password: str_at(r, "/requestInfo/sender/password"),
        data: r
            .pointer("/requestData/data")
            .cloned()
            .unwrap_or(Value::Null),
    })
}

/// Reads a synchronous answer: the response, or the fault the gateway sent.
pub fn parse_sync_response(xml: &str) -> Result<Result<SyncResponse, Fault>, Error> {
    let body = body(xml)?;
    if let Some(f) = fault_in(&body) {
        return Ok(Err(f));
    }
    let r = body
        .pointer("/SendMessageResponse/response")
        .ok_or_else(|| Error("no SendMessageResponse/response".into()))?;
    Ok(Ok(SyncResponse {
        message_id: str_at(r, "/responseInfo/messageId"),
        response_date: str_at(r, "/responseInfo/responseDate"),
        status_code: str_at(r, "/responseInfo/status/code"),
        status_message: str_at(r, "/responseInfo/status/message"),
        data: r
            .pointer("/responseData/data")
            .cloned()
            .unwrap_or(Value::Null),
    }))
}

/// Reads an asynchronous message: a request (the simulator's side) or an answer.
pub fn parse_async_message(xml: &str) -> Result<AsyncMessage, Error> {
    let body = body(xml)?;
    let r = body
        .pointer("/SendMessage/request")
        .ok_or_else(|| Error("no SendMessage/request".into()))?;
    let id = str_at(r, "/messageInfo/messageId");
    if id.is_empty() {
        return Err(Error("no messageInfo/messageId".into()));
    }
    let correlation = str_at(r, "/messageInfo/correlationId");
    Ok(AsyncMessage {
        message_id: id,
        correlation_id: (!correlation.is_empty()).then_some(correlation),
        service_id: str_at(r, "/messageInfo/serviceId"),
        message_type: str_at(r, "/messageInfo/messageType"),
        message_date: str_at(r, "/messageInfo/messageDate"),
        sender_id: str_at(r, "/messageInfo/sender/senderId"),
        password: str_at(r, "/messageInfo/sender/password"),
        data: r
            .pointer("/messageData/data")
            .cloned()
            .unwrap_or(Value::Null),
    })
}

/// Reads the acknowledgement of an asynchronous send: its message id, or the fault.
pub fn parse_async_ack(xml: &str) -> Result<Result<String, Fault>, Error> {
    let body = body(xml)?;
    if let Some(f) = fault_in(&body) {
        return Ok(Err(f));
    }
    let id = str_at(&body, "/SendMessageResponse/response/messageId");
    if id.is_empty() {
        return Err(Error("no SendMessageResponse/response/messageId".into()));
    }
    Ok(Ok(id))
}
