//! A real headless Chromium for the tests of the clerks' web pages, driven over WebDriver
//! through Debian's chromedriver (`.ci/run` installs both).
//!
//! `Browser::start()` runs its own chromedriver on a free loopback port with a fresh profile,
//! so tests may run side by side; dropping the `Browser` ends the session and chromedriver.
//! The helpers wait for what they look for (fantoccini's waits, 30 s at most) and panic with
//! the page's address when something is not there, so a test reads as a clerk's steps.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use axum::Form;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long chromedriver may take to answer `/status`, and Chromium to open a session, on a
/// busy two-core machine running the rest of the tests beside it.
const STARTUP: Duration = Duration::from_secs(60);

/// How long the answer to a click may take to load, on a busy two-core machine.
const LOAD: Duration = Duration::from_secs(30);

/// A headless Chromium behind its own chromedriver.
pub(crate) struct Browser {
    /// The WebDriver session; use it directly for anything the helpers below do not do.
    pub(crate) client: Client,
    chromedriver: Child,
    port: u16,
    session: Option<String>,
    /// The Chromium profile and chromedriver's log; removed on drop.
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. Panics when either program is
    /// missing or does not come up: a browser test never passes without a browser.
    pub(crate) async fn start() -> Browser {
        // tests/run leaves the tests that drive Chromium out of its PostgreSQL rerun by this
        // word in their names: what a browser adds to a page's HTTP tests (the layout, the
        // scripts) is the same on either database, and a Chromium costs seconds of CPU. The
        // test harness names each test's thread after the test.
        let test = std::thread::current()
            .name()
            .unwrap_or_default()
            .to_string();
        assert!(
            test.contains("in_chromium"),
            "{test} drives Chromium, so its name says `in_chromium` (tests/run skips those on its PostgreSQL rerun)"
        );
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(program).exists() {
                if std::env::var_os("CI").is_some() {
                    panic!(
                        "chromium/chromedriver missing: .ci/run installs them ({program} not found)"
                    );
                }
                panic!(
                    "chromium/chromedriver missing ({program} not found): install them with \
                     `sudo apt-get install --no-install-recommends chromium chromium-driver` \
                     (Debian), or run `bash .ci/run`, which installs them"
                );
            }
        }
        let dir = tempfile::tempdir().expect("a temporary directory for the browser");
        // The free port is found by binding and releasing it, so another process may take it
        // before chromedriver binds it; chromedriver then exits, and we try another.
        let mut attempt = 0;
        let (chromedriver, port) = loop {
            attempt += 1;
            let port = free_port();
            let mut chromedriver = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!(
                    "--log-path={}",
                    dir.path().join("chromedriver.log").display()
                ))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {CHROMEDRIVER}: {e}"));
            match ready(&mut chromedriver, port).await {
                Ok(()) => break (chromedriver, port),
                Err(why) if attempt < 3 => {
                    let _ = chromedriver.kill().await;
                    eprintln!("chromedriver on port {port}: {why}; trying another port");
                }
                Err(why) => {
                    let _ = chromedriver.kill().await;
                    panic!(
                        "chromedriver on port {port}: {why}\n{}",
                        log_tail(dir.path())
                    );
                }
            }
        };

        let profile = dir.path().join("profile");
        let options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                // Root (as in CI and containers) cannot use Chromium's sandbox.
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities);
        let webdriver = format!("http://127.0.0.1:{port}");
        let client = match tokio::time::timeout(STARTUP, builder.connect(&webdriver)).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("chromium did not start: {e}\n{}", log_tail(dir.path())),
            Err(_) => panic!(
                "chromium did not start in {STARTUP:?}\n{}",
                log_tail(dir.path())
            ),
        };
        let session = client.session_id().await.ok().flatten();
        Browser {
            client,
            chromedriver,
            port,
            session,
            _dir: dir,
        }
    }

    /// Opens `url` and waits until the page has loaded.
    pub(crate) async fn goto(&self, url: &str) {
        if let Err(e) = self.client.goto(url).await {
            panic!("cannot open {url}: {e}");
        }
    }

    /// Signs `login` in with `password` on the sign-in page of `base`, in Russian, and waits
    /// for the header's search box a signed-in page has.
    pub(crate) async fn sign_in(&self, base: &str, login: &str, password: &str) {
        self.goto(&format!("{base}/?lang=ru")).await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.click("#sign-in").await;
        self.element("#search-q").await;
    }

    /// Replaces the value of the input or textarea at `css` with `text`, typed as a person would.
    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        if let Err(e) = field.clear().await {
            panic!("cannot clear `{css}` on {}: {e}", self.current_url().await);
        }
        if let Err(e) = field.send_keys(text).await {
            panic!(
                "cannot type into `{css}` on {}: {e}",
                self.current_url().await
            );
        }
    }

    /// Clicks the element at `css` (a submit button, a link). A click that loads a page (a
    /// link, or a submit of a form the browser finds valid) returns once the new page has
    /// loaded.
    ///
    /// Why not WebDriver's own wait: Chromium may schedule a form's submission after the click
    /// has returned, and a read then finds the page the clerk has just left. So the page is
    /// marked before the click, and the click returns when a page without the mark is there.
    pub(crate) async fn click(&self, css: &str) {
        let element = self.element(css).await;
        let loads = self
            .client
            .execute(
                "const e = arguments[0];
                 window.qyzmetLeft = true;
                 if ((e.type === 'submit' || e.type === 'image') && e.form) {
                     return e.form.noValidate || e.formNoValidate || e.form.checkValidity();
                 }
                 const href = e.tagName === 'A' ? e.getAttribute('href') : null;
                 return !!href && !href.startsWith('#') && !e.hasAttribute('download')
                     && e.target !== '_blank';",
                vec![json!(element)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot look at `{css}`: {e}"))
            .as_bool()
            .unwrap_or(false);
        if let Err(e) = element.click().await {
            panic!("cannot click `{css}` on {}: {e}", self.current_url().await);
        }
        if loads {
            self.wait_for_a_new_page(css).await;
        }
    }

    /// Waits until the page marked by `click` has been replaced and the new one has loaded.
    async fn wait_for_a_new_page(&self, clicked: &str) {
        let deadline = tokio::time::Instant::now() + LOAD;
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.qyzmetLeft === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await
                // A script run while the old page goes may fail: the new one is not there yet.
                .is_ok_and(|v| v.as_bool() == Some(true));
            if loaded {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "clicking `{clicked}` loaded no new page in {LOAD:?}; still on {}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The rendered text of the element at `css`, once there is one. An element found on a
    /// page that was being replaced (the answer to a form arriving) is looked up again on the
    /// new one, a few times at most. Chromium says so in two ways: a "stale element", or,
    /// when the old page went while the text was read, a node that "does not belong to the
    /// document".
    pub(crate) async fn text(&self, css: &str) -> String {
        let mut tries = 0;
        loop {
            let element = self.element(css).await;
            match element.text().await {
                Ok(text) => return text,
                Err(e)
                    if tries < 5
                        && ["stale element", "does not belong to the document"]
                            .iter()
                            .any(|said| e.to_string().contains(said)) =>
                {
                    tries += 1
                }
                Err(e) => panic!("cannot read `{css}` on {}: {e}", self.current_url().await),
            }
        }
    }

    /// The address of the page shown now.
    pub(crate) async fn current_url(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("(unknown page: {e})"),
        }
    }

    /// Saves a PNG of the window to `path` (for looking at a failure), creating its folder.
    pub(crate) async fn screenshot(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => panic!(
                "cannot take a screenshot of {}: {e}",
                self.current_url().await
            ),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path.to_path_buf()
    }

    /// Resizes the window to `width` × `height` CSS pixels: 1366 for an office screen, 390
    /// for a phone.
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        if let Err(e) = self.client.set_window_size(width, height).await {
            panic!("cannot resize the window to {width}x{height}: {e}");
        }
    }

    /// Checks that the page does not scroll sideways in a window `width` pixels wide.
    pub(crate) async fn assert_fits(&self, width: u32) {
        let wide = self
            .client
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .expect("the page's width");
        assert!(
            wide <= u64::from(width),
            "{} is {wide} px wide in a {width} px window",
            self.current_url().await
        );
    }

    /// With screenshots asked for (`dir`), scrolls the element `id` into view and saves the
    /// window as `name` there, printing where.
    pub(crate) async fn shoot_at(&self, dir: Option<&Path>, id: &str, name: &str) {
        let Some(dir) = dir else { return };
        let scroll = format!("document.getElementById('{id}').scrollIntoView()");
        if let Err(e) = self.client.execute(&scroll, vec![]).await {
            panic!("cannot scroll to #{id}: {e}");
        }
        let shot = self.screenshot(dir.join(name)).await;
        eprintln!("screenshot: {}", shot.display());
    }

    /// The fantoccini client, for what the helpers here do not cover (uploading a file into
    /// an input, reading an attribute, running the page's own navigation).
    pub(crate) fn client(&self) -> &fantoccini::Client {
        &self.client
    }

    /// The element at `css`, waiting for it to appear.
    pub(crate) async fn element(&self, css: &str) -> Element {
        match self.client.wait().for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}", self.current_url().await),
        }
    }
}

impl Drop for Browser {
    /// Ends the session, which makes chromedriver quit Chromium, then asks chromedriver to shut
    /// down, and kills it if it has not. Drop cannot wait on the runtime (which may be shutting
    /// down, or be the thread we are on), so these requests are blocking loopback HTTP.
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            blocking_request(self.port, "DELETE", &format!("/session/{session}"));
        }
        blocking_request(self.port, "GET", "/shutdown");
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while matches!(self.chromedriver.try_wait(), Ok(None)) {
            if std::time::Instant::now() >= deadline {
                let _ = self.chromedriver.start_kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until chromedriver on `port` answers `/status` with `ready`, or has exited.
async fn ready(chromedriver: &mut Child, port: u16) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/status");
    let deadline = tokio::time::Instant::now() + STARTUP;
    loop {
        if let Ok(Some(status)) = chromedriver.try_wait() {
            return Err(format!("exited with {status}"));
        }
        if let Ok(answer) = http.get(&url).send().await
            && let Ok(body) = answer.json::<Value>().await
            && body["value"]["ready"] == json!(true)
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("not ready after {STARTUP:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A plain blocking HTTP/1.1 request without a body to chromedriver, bounded by timeouts;
/// the answer is read and dropped.
fn blocking_request(port: u16, method: &str, path: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    ) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // Chromedriver answers a DELETE of the session once Chromium has quit, and keeps the
    // connection open: read the head and the body its Content-Length announces.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return;
            }
        }
    }
}

/// The end of chromedriver's log, for a failure message.
fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    format!("chromedriver's log ends:\n{tail}")
}

/// HTML-escapes `s` for text and attribute values.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(serde::Deserialize)]
struct Greeting {
    name: String,
}

const FORM_PAGE: &str = r#"<!doctype html>
<html lang="kk">
<head><meta charset="utf-8"><title>Өтініш</title></head>
<body>
<form method="post" action="/greet">
  <label>Аты-жөні <input type="text" name="name" id="name"></label>
  <button type="submit" id="send">Жіберу</button>
</form>
</body>
</html>
"#;

async fn greet(Form(greeting): Form<Greeting>) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\"><title>Сәлем</title></head>\n\
         <body><p id=\"greeting\">Сәлем, {}</p></body></html>\n",
        escape(&greeting.name)
    ))
}

#[tokio::test]
async fn in_chromium_a_form_is_submitted_without_javascript() {
    let app = Router::new()
        .route("/", get(|| async { Html(FORM_PAGE) }))
        .route("/greet", axum::routing::post(greet));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let browser = Browser::start().await;
    browser.goto(&format!("{base}/")).await;
    browser.fill("#name", "Әлия").await;
    browser.click("#send").await;
    let greeting = browser.text("#greeting").await;
    // What the browser showed, for a person to look at: target/tmp/browser/form-answer.png.
    let shot = browser
        .screenshot(Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser/form-answer.png"))
        .await;
    assert_eq!(greeting, "Сәлем, Әлия", "see {}", shot.display());
    assert_eq!(browser.current_url().await, format!("{base}/greet"));
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}

/// Serves `service`'s pages and API on a loopback port, with the peer address the pages
/// journal, as a browser reaches them: the base URL (`http://127.0.0.1:PORT`).
pub(crate) async fn serve(service: &qyzmet::service::Service) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = service.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    base
}

/// Where a browser test's screenshots go when asked for (`QYZMET_SCREENSHOTS=1`: a new
/// temporary folder named from `prefix`, kept; any other value: that folder); `None` when not
/// asked, so CI takes none.
pub(crate) fn shots_dir(prefix: &str) -> Option<PathBuf> {
    match std::env::var("QYZMET_SCREENSHOTS").ok()?.as_str() {
        "" | "0" => None,
        "1" => Some(
            tempfile::Builder::new()
                .prefix(prefix)
                .tempdir()
                .unwrap()
                .keep(),
        ),
        dir => Some(PathBuf::from(dir)),
    }
}
