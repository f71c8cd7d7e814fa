//! Typing and clicking like a person: trusted Input-domain events (text insertion, mouse clicks,
//! the Enter key), with script fallbacks when the page ignores them.

use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
    InsertTextParams, MouseButton,
};
use chromiumoxide::cdp::browser_protocol::page::FrameId;
use serde_json::Value;

use super::driver::ChromeDriver;
use super::netlog::lock;
use crate::classify::Scan;

impl ChromeDriver<'_> {
    /// Type like a person: focus the field, select what is there, insert the text as trusted
    /// input; fall back to setting the value with input/change events if that did not land.
    pub(super) async fn type_into(
        &mut self,
        frame: &FrameId,
        i: usize,
        text: &str,
    ) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        let focused = self
            .eval(frame, &format!("__pp.focusClear({i})"))
            .await?
            .as_bool()
            .unwrap_or(false);
        if focused {
            let _ = page.execute(InsertTextParams::new(text)).await;
        }
        let v = self.eval(frame, &format!("__pp.value({i})")).await?;
        if v.as_str() != Some(text) {
            let t = serde_json::to_string(text).map_err(|e| e.to_string())?;
            let ok = self
                .eval(frame, &format!("__pp.setValue({i}, {t})"))
                .await?
                .as_bool()
                .unwrap_or(false);
            if !ok {
                return Err("the field did not take the text".into());
            }
        } else {
            let _ = self.eval(frame, &format!("__pp.blur({i})")).await;
        }
        Ok(())
    }

    pub(super) async fn key_enter(&self) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        for t in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let mut p = DispatchKeyEventParams::new(t.clone());
            p.key = Some("Enter".into());
            p.code = Some("Enter".into());
            p.windows_virtual_key_code = Some(13);
            p.native_virtual_key_code = Some(13);
            if t == DispatchKeyEventType::KeyDown {
                p.text = Some("\r".into());
                p.unmodified_text = Some("\r".into());
            }
            page.execute(p).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub(super) async fn mouse_click(&self, x: f64, y: f64) -> Result<(), String> {
        let page = self.page.clone().ok_or("no page")?;
        let mut moved = DispatchMouseEventParams::new(DispatchMouseEventType::MouseMoved, x, y);
        moved.button = Some(MouseButton::None);
        let _ = page.execute(moved).await;
        for t in [
            DispatchMouseEventType::MousePressed,
            DispatchMouseEventType::MouseReleased,
        ] {
            let mut p = DispatchMouseEventParams::new(t, x, y);
            p.button = Some(MouseButton::Left);
            p.buttons = Some(1);
            p.click_count = Some(1);
            page.execute(p).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn activity(&self) -> (usize, usize) {
        let l = lock(&self.log);
        (l.reqs.len(), l.main_commits + l.dialogs.len())
    }

    /// Submit the form like a person: click its button (trusted mouse event in the top frame,
    /// keyboard activation in a sub-frame), or press Enter in the field. If nothing at all
    /// happens, fall back to a script click and then `requestSubmit()`.
    pub(super) async fn click_submit(
        &mut self,
        frame: &FrameId,
        form: &Scan,
        field: usize,
    ) -> Result<(), String> {
        let is_top = Some(frame) == self.main_frame.as_ref();
        let state_before = self.eval(frame, "__pp.state()").await.ok();
        let act_before = self.activity();
        let mut tried = Vec::new();
        if let Some(btn) = form.submit.first() {
            let mut done = false;
            if is_top
                && let Ok(p) = self.eval(frame, &format!("__pp.point({})", btn.i)).await
                && p.get("ok").and_then(Value::as_bool) == Some(true)
                && let (Some(x), Some(y)) = (
                    p.get("x").and_then(Value::as_f64),
                    p.get("y").and_then(Value::as_f64),
                )
            {
                self.mouse_click(x, y).await?;
                tried.push("click");
                done = true;
            }
            if !done
                && matches!(btn.tag.as_str(), "button" | "input" | "a")
                && self
                    .eval(frame, &format!("__pp.focus({})", btn.i))
                    .await?
                    .as_bool()
                    == Some(true)
            {
                self.key_enter().await?;
                tried.push("enter on button");
                done = true;
            }
            if !done {
                self.eval(frame, &format!("__pp.click({})", btn.i)).await?;
                tried.push("script click");
            }
        } else {
            let _ = self.eval(frame, &format!("__pp.focus({field})")).await;
            self.key_enter().await?;
            tried.push("enter");
        }
        // Did anything happen? Give the page a moment, then try the fallbacks.
        for fallback in 0..2 {
            let t0 = Instant::now();
            let mut moved = false;
            while t0.elapsed() < Duration::from_millis(800) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if self.activity() != act_before {
                    moved = true;
                    break;
                }
                let now = self.eval(frame, "__pp.state()").await.ok();
                if now != state_before {
                    moved = true;
                    break;
                }
            }
            if moved {
                return Ok(());
            }
            let r = if fallback == 0 {
                tried.push("requestSubmit");
                self.eval(frame, &format!("__pp.requestSubmit({field})"))
                    .await
            } else if let Some(btn) = form.submit.first() {
                tried.push("script click");
                self.eval(frame, &format!("__pp.click({})", btn.i)).await
            } else {
                break;
            };
            if r.is_err() {
                break;
            }
        }
        Ok(())
    }
}
