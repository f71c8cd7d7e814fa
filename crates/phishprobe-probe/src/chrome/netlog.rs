//! What the page does on the network and in its frames, collected from DevTools events while
//! the probe runs: every request (with its body and Authorization header, to find the decoy),
//! the answers, top-level navigations, dialogs and downloads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{
    DialogType, EventFrameNavigated, EventJavascriptDialogOpening, EventNavigatedWithinDocument,
    HandleJavaScriptDialogParams,
};
use futures::StreamExt;
use serde_json::Value;

use crate::decoy;
use crate::model::{Carried, Decoy};

/// Requests older than this no longer hold "settled" back (long polls, streaming).
const INFLIGHT_WINDOW: Duration = Duration::from_secs(8);

/// One network request the page made.
#[derive(Debug, Clone)]
pub(super) struct NetRequest {
    pub(super) id: String,
    pub(super) method: String,
    pub(super) url: String,
    pub(super) kind: Option<ResourceType>,
    pub(super) body: Option<String>,
    pub(super) needs_body: bool,
    pub(super) auth: Option<String>,
    pub(super) status: Option<i64>,
    pub(super) done: bool,
    pub(super) started: Instant,
}

impl NetRequest {
    /// A request the page may be waiting on: a document, XHR or fetch, not finished, younger
    /// than the in-flight window (images, beacons and stuck keep-alives do not hold a probe).
    pub(super) fn awaited(&self, now: Instant) -> bool {
        !self.done
            && now.duration_since(self.started) < INFLIGHT_WINDOW
            && matches!(
                self.kind,
                Some(ResourceType::Document)
                    | Some(ResourceType::Xhr)
                    | Some(ResourceType::Fetch)
                    | None
            )
    }

    /// Whether this request carried the decoy's password (or, at an identifier step, its
    /// address) in its URL, body or Authorization header.
    pub(super) fn carries_decoy(&self, d: &Decoy, identifier_step: bool) -> bool {
        let c = decoy::merge(
            decoy::merge(
                decoy::carried(&self.url, d),
                self.body.as_deref().and_then(|b| decoy::carried(b, d)),
            ),
            self.auth.as_deref().and_then(|a| decoy::carried(a, d)),
        );
        match c {
            Some(Carried::Both) | Some(Carried::Password) => true,
            Some(Carried::Identifier) => identifier_step,
            None => false,
        }
    }
}

/// What the page did on the network and in its frames, filled by the event collector.
#[derive(Debug, Default)]
pub(super) struct NetLog {
    pub(super) reqs: Vec<NetRequest>,
    pub(super) frames: HashMap<String, String>,
    pub(super) main_frame: Option<String>,
    /// Top-level document requests (redirects included), in order.
    pub(super) chain: Vec<String>,
    /// Count of top-level document commits.
    pub(super) main_commits: usize,
    /// The last top-level commit was an error page (unreachable URL).
    pub(super) main_error: bool,
    pub(super) dialogs: Vec<(Instant, String)>,
    pub(super) events: usize,
    /// Document answers that are file downloads (attachment, or a type no browser shows), with
    /// whether they were for the top frame: the browser denies them, and the probe says so
    /// instead of waiting for a page that never comes. At most 10 kept.
    pub(super) downloads: Vec<(bool, String)>,
}

impl NetLog {
    pub(super) fn top_url(&self) -> Option<String> {
        self.main_frame
            .as_ref()
            .and_then(|m| self.frames.get(m))
            .cloned()
    }

    pub(super) fn inflight(&self, now: Instant) -> usize {
        self.reqs
            .iter()
            // Once the answer's headers are in, the page is reacting, not waiting: a fetch()
            // whose body the page never reads may not "finish" for a long time.
            .filter(|r| r.awaited(now) && r.status.is_none())
            .count()
    }

    pub(super) fn finish(&mut self, id: &str, status: Option<i64>) {
        if let Some(r) = self.reqs.iter_mut().rev().find(|r| r.id == id) {
            if status.is_some() {
                r.status = status;
            }
            r.done = true;
        }
    }

    /// A request is about to be sent (a redirect answers the previous one of the same id).
    fn on_request(&mut self, ev: &EventRequestWillBeSent) {
        self.events += 1;
        let id = ev.request_id.inner().to_string();
        if let Some(rr) = &ev.redirect_response {
            self.finish(&id, Some(rr.status));
        }
        let body = ev.request.post_data_entries.as_ref().map(|entries| {
            let mut bytes = Vec::new();
            for en in entries {
                if let Some(b) = &en.bytes {
                    let s: &str = b.as_ref();
                    if let Ok(v) = base64::engine::general_purpose::STANDARD.decode(s) {
                        bytes.extend(v);
                    }
                }
                if bytes.len() > 1 << 20 {
                    break;
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let auth = ev.request.headers.inner().as_object().and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, v)| v.as_str().map(str::to_string))
        });
        let frame = ev.frame_id.as_ref().map(|f| f.as_ref().to_string());
        let is_main_doc = ev.r#type == Some(ResourceType::Document)
            && frame.is_some()
            && frame == self.main_frame;
        if is_main_doc && self.chain.last() != Some(&ev.request.url) && self.chain.len() < 100 {
            self.chain.push(ev.request.url.clone());
        }
        if self.reqs.len() < 5000 {
            self.reqs.push(NetRequest {
                id,
                method: ev.request.method.clone(),
                url: ev.request.url.chars().take(8192).collect(),
                kind: ev.r#type.clone(),
                needs_body: ev.request.has_post_data == Some(true) && body.is_none(),
                body,
                auth,
                status: None,
                done: false,
                started: Instant::now(),
            });
        }
    }

    /// An answer's headers arrived (a document answer may be a download).
    fn on_response(&mut self, ev: &EventResponseReceived) {
        if ev.r#type == ResourceType::Document
            && self.downloads.len() < 10
            && is_download(
                ev.response.status,
                &ev.response.mime_type,
                ev.response.headers.inner(),
            )
        {
            let top = ev.frame_id.as_ref().map(|f| f.as_ref().to_string()) == self.main_frame;
            self.downloads
                .push((top, ev.response.url.chars().take(2000).collect()));
        }
        let id = ev.request_id.inner().to_string();
        if let Some(r) = self.reqs.iter_mut().rev().find(|r| r.id == id) {
            r.status = Some(ev.response.status);
        }
    }

    /// A frame committed a document (a failed one counts by the address it tried).
    fn on_frame_navigated(&mut self, ev: &EventFrameNavigated) {
        let url = ev
            .frame
            .unreachable_url
            .clone()
            .unwrap_or_else(|| ev.frame.url.clone());
        let id = ev.frame.id.as_ref().to_string();
        if ev.frame.parent_id.is_none() {
            self.main_frame = Some(id.clone());
            self.main_commits += 1;
            self.main_error = ev.frame.unreachable_url.is_some();
        }
        if self.frames.len() < 200 || self.frames.contains_key(&id) {
            self.frames.insert(id, url);
        }
    }

    /// A frame changed its address without a new document (history push, anchor).
    fn on_navigated_within(&mut self, ev: &EventNavigatedWithinDocument) {
        let id = ev.frame_id.as_ref().to_string();
        if self.frames.contains_key(&id) {
            self.frames.insert(id, ev.url.clone());
        }
    }

    /// A JavaScript dialog opened: its text counts as page text.
    fn on_dialog(&mut self, message: &str) {
        if self.dialogs.len() < 20 {
            self.dialogs
                .push((Instant::now(), message.chars().take(500).collect()));
        }
    }
}

/// A document answer the browser would save rather than show: `Content-Disposition:
/// attachment`, or a successful answer of a type a browser does not display (programs,
/// archives, disk images, scripts...). Listing what is shown is shorter and safer than
/// listing every download type.
pub(super) fn is_download(status: i64, mime: &str, headers: &Value) -> bool {
    let attachment = headers.as_object().is_some_and(|h| {
        h.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-disposition")
                && v.as_str().is_some_and(|v| {
                    v.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("attachment")
                })
        })
    });
    if attachment {
        return true;
    }
    if !(200..300).contains(&status) {
        return false;
    }
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let shown = mime.is_empty()
        || ["text/", "image/", "audio/", "video/"]
            .iter()
            .any(|p| mime.starts_with(p))
        || [
            "application/xhtml+xml",
            "application/xml",
            "application/json",
            "application/javascript",
            "application/pdf",
            "application/rss+xml",
            "application/atom+xml",
            "application/x-x509-ca-cert",
            "multipart/x-mixed-replace",
        ]
        .contains(&mime.as_str());
    !shown
}

pub(super) fn lock(log: &Arc<Mutex<NetLog>>) -> std::sync::MutexGuard<'_, NetLog> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// Start the task that records the page's network requests, answers, frame navigations and
/// dialogs into `log` (dialogs are dismissed as they open).
pub(super) async fn spawn_collector(
    page: &Page,
    log: Arc<Mutex<NetLog>>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let e = |e: chromiumoxide::error::CdpError| e.to_string();
    let mut reqs = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .map_err(e)?;
    let mut resps = page
        .event_listener::<EventResponseReceived>()
        .await
        .map_err(e)?;
    let mut fins = page
        .event_listener::<EventLoadingFinished>()
        .await
        .map_err(e)?;
    let mut fails = page
        .event_listener::<EventLoadingFailed>()
        .await
        .map_err(e)?;
    let mut navs = page
        .event_listener::<EventFrameNavigated>()
        .await
        .map_err(e)?;
    let mut inner = page
        .event_listener::<EventNavigatedWithinDocument>()
        .await
        .map_err(e)?;
    let mut dialogs = page
        .event_listener::<EventJavascriptDialogOpening>()
        .await
        .map_err(e)?;
    let page = page.clone();
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(ev) = reqs.next() => lock(&log).on_request(&ev),
                Some(ev) = resps.next() => lock(&log).on_response(&ev),
                Some(ev) = fins.next() => lock(&log).finish(ev.request_id.inner(), None),
                Some(ev) = fails.next() => lock(&log).finish(ev.request_id.inner(), None),
                Some(ev) = navs.next() => lock(&log).on_frame_navigated(&ev),
                Some(ev) = inner.next() => lock(&log).on_navigated_within(&ev),
                Some(ev) = dialogs.next() => {
                    lock(&log).on_dialog(&ev.message);
                    // Dismiss alerts, confirms and prompts; let "leave page?" through.
                    let accept = matches!(ev.r#type, DialogType::Beforeunload);
                    let _ = page.execute(HandleJavaScriptDialogParams::new(accept)).await;
                }
                else => break,
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::is_download;
    use serde_json::json;

    #[test]
    fn downloads_are_told_from_pages() {
        let attach = json!({"Content-Disposition": "attachment; filename=\"invoice.exe\""});
        assert!(is_download(200, "text/html", &attach));
        assert!(is_download(200, "application/octet-stream", &json!({})));
        assert!(is_download(200, "Application/Zip", &json!({})));
        assert!(is_download(200, "application/x-7z-compressed", &json!({})));
        assert!(is_download(200, "application/java-archive", &json!({})));
        // Shown by the browser, or not a successful answer: not a download.
        assert!(!is_download(200, "text/html; charset=utf-8", &json!({})));
        assert!(!is_download(200, "image/png", &json!({})));
        assert!(!is_download(200, "application/pdf", &json!({})));
        assert!(!is_download(204, "", &json!({})));
        assert!(!is_download(404, "application/octet-stream", &json!({})));
        assert!(!is_download(
            200,
            "text/html",
            &json!({"content-disposition": "inline"})
        ));
        assert!(!is_download(200, "text/html", &json!({})));
        assert!(!is_download(200, "application/json", &json!(null)));
    }
}
