// Content script, in every frame from document_start, in the extension's isolated world (a
// page's changes to DOM prototypes do not reach it). It notices password fields and what the
// page claims to be, and sends those facts to the service worker. It never sends keystrokes:
// only the field's value, and only when its length matches an enrolled password, so the
// worker can hash it. It shows the warning the worker asks for, in a closed shadow root.
(() => {
  "use strict";
  if (globalThis.__phishprobeContent) return;
  globalThis.__phishprobeContent = true;

  const MAX_ITEMS = 32;
  const MAX_ITEM_CHARS = 300;
  const MAX_TEXT_CHARS = 5000;
  const MAX_TEXT_NODES = 4000;
  const PAGE_EVENT_GAP_MS = 1000;
  const VALUE_CHECK_GAP_MS = 300;

  const send = (m) =>
    new Promise((resolve) => {
      try {
        chrome.runtime.sendMessage(m, (answer) => {
          void chrome.runtime.lastError;
          resolve(answer ?? null);
        });
      } catch {
        resolve(null); // the extension was reloaded: this script is orphaned
      }
    });

  // Well-formed text only: a lone surrogate (half an emoji, cut or planted) is not valid
  // UTF-8 and would make the core refuse the whole event.
  const wellFormed = (s) => (typeof s.toWellFormed === "function" ? s.toWellFormed() : s);
  const cut = (s, n) => wellFormed(String(s ?? "").replace(/\s+/g, " ").trim().slice(0, n));

  // ---- what the page is -----------------------------------------------------------------

  const MASKABLE = new Set(["text", "tel", "email", "search", "url"]);
  function isMaskedText(el) {
    if (!(el instanceof HTMLInputElement) || !MASKABLE.has(el.type)) return false;
    const style = getComputedStyle(el);
    const mask = style.getPropertyValue("-webkit-text-security") || style.webkitTextSecurity;
    return !!mask && mask !== "none";
  }
  function isPasswordLike(el) {
    return el instanceof HTMLInputElement && (el.type === "password" || isMaskedText(el));
  }
  function passwordState() {
    if (document.querySelector('input[type="password" i]')) return { present: true, masked: false };
    const texts = document.querySelectorAll(
      'input[type="text" i], input[type="tel" i], input[type="email" i], input[type="search" i], input:not([type])',
    );
    for (let i = 0; i < texts.length && i < 64; i++) {
      if (isMaskedText(texts[i])) return { present: true, masked: true };
    }
    return { present: false, masked: false };
  }

  function visibleText() {
    const root = document.body ?? document.documentElement;
    if (!root) return "";
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        const tag = node.parentElement?.tagName;
        return tag === "SCRIPT" || tag === "STYLE" || tag === "NOSCRIPT" || tag === "TEMPLATE"
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT;
      },
    });
    let text = "";
    for (let i = 0; i < MAX_TEXT_NODES && text.length < MAX_TEXT_CHARS; i++) {
      const node = walker.nextNode();
      if (!node) break;
      const piece = cut(node.nodeValue, MAX_TEXT_CHARS);
      if (piece) text += piece + "\n";
    }
    for (const b of document.querySelectorAll('input[type="submit" i], button')) {
      if (text.length >= MAX_TEXT_CHARS) break;
      const label = cut(b.value || b.getAttribute("aria-label") || "", MAX_ITEM_CHARS);
      if (label) text += label + "\n";
    }
    return text.slice(0, MAX_TEXT_CHARS);
  }

  function claims() {
    const items = (selector, read) => {
      const out = [];
      const found = document.querySelectorAll(selector);
      for (let i = 0; i < found.length && out.length < MAX_ITEMS; i++) {
        const v = cut(read(found[i]), MAX_ITEM_CHARS);
        if (v) out.push(v);
      }
      return out;
    };
    return {
      title: cut(document.title, MAX_ITEM_CHARS),
      headings: items("h1, h2, h3, [role=heading]", (e) => e.textContent),
      logos: items(
        "img[alt], [role=img][aria-label], svg[aria-label], [class*=logo i][aria-label], [id*=logo i][aria-label]",
        (e) => e.getAttribute("alt") || e.getAttribute("aria-label"),
      ),
      text: visibleText(),
    };
  }

  function formActionOf(field) {
    const form = field?.form;
    if (!form) return null;
    // getAttribute, not form.action: a field named "action" shadows the property.
    const action = Element.prototype.getAttribute.call(form, "action");
    if (!action) return null;
    try {
      return new URL(action, document.baseURI).href;
    } catch {
      return null;
    }
  }

  function facts(type, field) {
    const state = passwordState();
    return {
      type,
      claims: claims(),
      formAction: formActionOf(field),
      password: {
        present: state.present || !!field,
        masked: (field && isMaskedText(field)) || state.masked,
      },
    };
  }

  // ---- telling the worker ---------------------------------------------------------------

  let watchLengths = [];
  let capture = false;
  let lastPageEvent = 0;
  async function pageEvent() {
    const now = Date.now();
    if (now - lastPageEvent < PAGE_EVENT_GAP_MS) return;
    lastPageEvent = now;
    const answer = await send(facts("page", null));
    if (Array.isArray(answer?.watchLengths)) watchLengths = answer.watchLengths;
    capture = answer?.capture === true;
  }

  // The first keystroke is judged at once; later ones again at most every PAGE_EVENT_GAP_MS
  // until a warning was shown (a kit may draw its brand only after the first keystroke).
  let lastTyping = 0;
  let warned = false;
  async function keystroke(field) {
    const now = Date.now();
    if (warned || now - lastTyping < PAGE_EVENT_GAP_MS) return;
    lastTyping = now;
    const answer = await send(facts("typing", field));
    if (answer?.warn && answer.banner && !warned) {
      warned = true;
      showBanner(answer.banner);
    }
  }

  // The value goes to the worker only when its length is one of the enrolled lengths, and at
  // most every VALUE_CHECK_GAP_MS (the last value of a burst is checked when the gap is over).
  // The value is read when the person types it (not later, when a page script may have
  // changed it) and checked at most every VALUE_CHECK_GAP_MS (the last one of a burst when
  // the gap is over).
  let valueTimer = null;
  let lastValueCheck = 0;
  let pending = null;
  function scheduleValueCheck(field) {
    const value = field.value;
    pending = watchLengths.includes(value.length) ? { field, value } : null;
    if (valueTimer !== null || pending === null) return;
    const wait = Math.max(0, lastValueCheck + VALUE_CHECK_GAP_MS - Date.now());
    valueTimer = setTimeout(async () => {
      valueTimer = null;
      lastValueCheck = Date.now();
      const p = pending;
      pending = null;
      if (p) await send({ ...facts("value", p.field), value: p.value });
    }, wait);
  }

  // The field the person is typing into, also inside the page's own shadow roots (closed
  // ones included: the extension may look inside them).
  function fieldOf(event) {
    const path = typeof event.composedPath === "function" ? event.composedPath() : [];
    let el = path[0] ?? event.target;
    for (let depth = 0; depth < 8 && el instanceof Element && !(el instanceof HTMLInputElement); depth++) {
      const root = el.shadowRoot ?? chrome.dom?.openOrClosedShadowRoot?.(el) ?? null;
      el = root?.activeElement ?? null;
    }
    return isPasswordLike(el) ? el : null;
  }

  function onInput(event) {
    // Only what the person types: a page's own synthetic events neither trigger nor
    // silence the check, and cannot make it test guessed values.
    if (!event.isTrusted) return;
    const field = fieldOf(event);
    if (!field) return;
    keystroke(field);
    if (watchLengths.length) scheduleValueCheck(field);
  }
  function onFocus(event) {
    if (fieldOf(event)) pageEvent();
  }
  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (!capture || !event.isTrusted) return;
    const field = Array.from(form.elements).find(isPasswordLike);
    if (field?.value) send({ ...facts("signedIn", field), value: field.value });
  }
  function listen() {
    // The same function objects: adding them again is a no-op while they are in place.
    addEventListener("input", onInput, true);
    addEventListener("focusin", onFocus, true);
    addEventListener("submit", onSubmit, true);
  }
  listen();
  // document.open() removes every listener of the window (and empties the document); a kit
  // can use it to write its page after the content script started. Listen again when the
  // root element is replaced.
  new MutationObserver((records) => {
    if (!records.some((r) => r.removedNodes.length > 0)) return;
    listen();
    lastPageEvent = 0;
    setTimeout(pageEvent, 100);
  }).observe(document, { childList: true });

  if (document.readyState === "loading") {
    addEventListener("DOMContentLoaded", () => pageEvent(), { once: true });
  } else {
    pageEvent();
  }
  // Back/forward cache restores and prerendered pages shown: a new page for the badge.
  addEventListener("pageshow", (event) => {
    if (event.persisted) pageEvent();
  });
  document.addEventListener("prerenderingchange", () => pageEvent());

  // A warning for a login frame is shown in the top page, where the frame's parent cannot
  // clip or cover it.
  if (window === window.top) {
    chrome.runtime.onMessage.addListener((m, sender) => {
      if (sender.id !== chrome.runtime.id || sender.tab || m?.type !== "banner" || warned) return;
      warned = true;
      showBanner(m.banner);
    });
  }

  // ---- the warning ----------------------------------------------------------------------

  const STYLE = `
    :host { all: initial !important; }
    .box { position: fixed; inset: 16px 16px auto auto; max-width: 440px; margin: 0;
      padding: 16px 18px; border: 3px solid #c5221f; border-radius: 10px; background: #fff;
      color: #202124; font: 15px/1.45 system-ui, sans-serif; box-shadow: 0 8px 28px #0006; }
    h2 { margin: 0 0 8px; font-size: 18px; color: #c5221f; }
    ul { margin: 8px 0; padding-left: 20px; } li { margin: 4px 0; }
    p { margin: 6px 0; } button { margin-top: 8px; font: inherit; padding: 6px 14px; }`;

  function showBanner(b) {
    const host = document.createElement("phishprobe-warning");
    const root = host.attachShadow({ mode: "closed" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    const box = document.createElement("div");
    box.className = "box";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("lang", b.lang === "zh" ? "zh-CN" : "en");
    box.popover = "manual";
    const add = (tag, text, parent = box) => {
      const el = document.createElement(tag);
      el.textContent = text;
      parent.append(el);
      return el;
    };
    add("h2", b.title);
    if (b.claims) add("p", b.claims);
    const list = add("ul", "");
    for (const r of b.reasons ?? []) add("li", r, list);
    add("p", b.todo);
    const dismiss = add("button", b.dismiss);
    root.append(style, box);

    let dismissed = false;
    let attacks = 0;
    const attacked = () => {
      attacks += 1;
      if (attacks === 3) send({ type: "bannerAttacked" });
    };
    const place = () => {
      if (dismissed) return;
      if (!host.isConnected) (document.body ?? document.documentElement)?.append(host);
      try {
        if (box.matches(":popover-open")) box.hidePopover();
        box.showPopover();
      } catch {
        /* not connected yet */
      }
    };
    dismiss.addEventListener("click", () => {
      dismissed = true;
      observer.disconnect();
      clearInterval(watch);
      try {
        box.hidePopover();
      } catch {}
      host.remove();
    });
    // Removed by the page: put it back, and after three tries let the worker open the warning
    // in a tab of its own.
    const observer = new MutationObserver(() => {
      if (!dismissed && !host.isConnected) {
        attacked();
        place();
      }
    });
    observer.observe(document, { childList: true, subtree: true });
    // Covered by the page (its own top-layer dialog, or styles forced on the host): raise it
    // again, and count it.
    const watch = setInterval(() => {
      if (dismissed) return;
      const r = box.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 20));
      const hidden = r.width === 0 || r.height === 0 || getComputedStyle(host).display === "none";
      if (hit !== host || hidden) {
        attacked();
        if (hidden) host.removeAttribute("style");
        place();
      }
    }, 400);
    place();
  }
})();
