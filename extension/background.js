// The service worker: the only part that runs the analysis core and the only part that ever
// sees a typed value (to hash it against enrolled passwords). Content scripts send it the facts
// of a page; it answers with what to show. Nothing is sent anywhere else.
//
// MV3 stops an idle worker after ~30 s: everything that must survive (enrolments, the allow
// list, per-tab verdicts) lives in chrome.storage; writes are serialised.

importScripts("i18n.js", "core.js");
const { lang, t, msg } = self.phishprobeI18n;

const workerStart = performance.now();
const stats = { firstVerdictMs: null, checks: 0, durationsMs: [] };
const MAX_DURATIONS = 5000;

const CORE_LOAD_LIMIT_MS = 5000;
let corePromise = null;
/** The loaded core; a load that fails or takes longer than CORE_LOAD_LIMIT_MS is dropped, so
 * the next event tries again instead of waiting forever. */
function core() {
  if (!corePromise) {
    const load = loadCore(chrome.runtime.getURL("core.wasm"));
    const limit = new Promise((_, reject) =>
      setTimeout(() => reject(new Error("the core did not load in time")), CORE_LOAD_LIMIT_MS),
    );
    corePromise = Promise.race([load, limit]);
    corePromise.catch(() => {
      corePromise = null;
    });
  }
  return corePromise;
}

// ---- storage ----------------------------------------------------------------------------

let writes = Promise.resolve();
/** Read-modify-write of chrome.storage.local, one at a time. The caller sees a failure; the
 * queue goes on. */
function updateLocal(change) {
  const run = writes.then(async () => {
    const current = await chrome.storage.local.get(null);
    const patch = await change(current);
    if (patch) await chrome.storage.local.set(patch);
  });
  writes = run.catch((e) => console.error("phishprobe storage", e));
  return run;
}

/** One queue per tab for its state: frames report at the same time. */
const tabQueues = new Map();
function updateTab(tabId, change) {
  const previous = tabQueues.get(tabId) ?? Promise.resolve();
  const run = previous.then(async () => {
    const next = await change(await tabState(tabId));
    if (next) await setTabState(tabId, next);
    return next;
  });
  const settled = run.catch((e) => console.error("phishprobe tab state", e));
  tabQueues.set(tabId, settled);
  settled.then(() => {
    if (tabQueues.get(tabId) === settled) tabQueues.delete(tabId);
  });
  return run;
}

async function local() {
  const s = await chrome.storage.local.get(null);
  return {
    enrolled: Array.isArray(s.enrolled) ? s.enrolled : [],
    allowed: Array.isArray(s.allowed) ? s.allowed : [],
    capture: s.capture === true,
  };
}

const tabKey = (tabId) => `tab:${tabId}`;
async function tabState(tabId) {
  const key = tabKey(tabId);
  return (await chrome.storage.session.get(key))[key] ?? null;
}
async function setTabState(tabId, state) {
  await chrome.storage.session.set({ [tabKey(tabId)]: state });
}
chrome.tabs.onRemoved.addListener((tabId) => chrome.storage.session.remove(tabKey(tabId)));

// ---- hashing (Password Alert's scheme: salted slow hash, 37 bits, and the length) --------

const encoder = new TextEncoder();
const PBKDF2_ITERATIONS = 100000;

function b64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}
function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** PBKDF2-SHA256 of `value` with `salt`, cut to 37 bits: enough to recognise a typed
 * password, too few to recover it from storage. */
async function hash37(salt, value) {
  const key = await crypto.subtle.importKey("raw", encoder.encode(value), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS },
      key,
      40,
    ),
  );
  const n = bits[0] * 2 ** 32 + bits[1] * 2 ** 24 + bits[2] * 2 ** 16 + bits[3] * 2 ** 8 + bits[4];
  return Math.floor(n / 8);
}

const MAX_ENROLLED = 50;

async function enroll(brand, value, enrolledOn) {
  if (typeof value !== "string" || value.length < 4 || value.length > 256) {
    throw new Error("a password of 4 to 256 characters");
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const entry = {
    brand: String(brand).slice(0, 64),
    enrolled_on: String(enrolledOn || "").slice(0, 253),
    salt: b64(salt),
    hash37: await hash37(salt, value),
    length: value.length,
    added: new Date().toISOString().slice(0, 10),
  };
  let added = false;
  await updateLocal(async (s) => {
    const list = Array.isArray(s.enrolled) ? s.enrolled : [];
    // The same password for the same brand again (each entry has its own salt): keep one.
    for (const e of list) {
      if (e.brand === entry.brand && e.length === value.length &&
          (await hash37(unb64(e.salt), value)) === e.hash37) {
        return null;
      }
    }
    if (list.length >= MAX_ENROLLED) throw new Error(`at most ${MAX_ENROLLED} protected passwords`);
    added = true;
    return { enrolled: [...list, entry] };
  });
  return added;
}

/** The enrolled entry `value` matches, if any. */
async function reusedEntry(value) {
  if (typeof value !== "string") return null;
  const { enrolled } = await local();
  for (const e of enrolled) {
    if (e.length !== value.length) continue;
    if ((await hash37(unb64(e.salt), value)) === e.hash37) return e;
  }
  return null;
}

// ---- judging ----------------------------------------------------------------------------

function originOf(url) {
  try {
    const u = new URL(url);
    return u.origin === "null" ? null : u.origin;
  } catch {
    return null;
  }
}
/** The host of a page for people: the host name, or the kind of address it has. */
function hostOf(url) {
  try {
    const u = new URL(url);
    if (u.hostname) return u.hostname.slice(0, 253);
    return `${u.protocol} page`;
  } catch {
    return "a page without an address";
  }
}

const MAX_URL = 8192;
/** Deep copy with every string well-formed and cut: the core takes valid UTF-8 only. */
function clean(value, max = 20000) {
  if (typeof value === "string") {
    const s = value.slice(0, max);
    return typeof s.toWellFormed === "function" ? s.toWellFormed() : s;
  }
  if (Array.isArray(value)) return value.slice(0, 64).map((v) => clean(v, max));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, max)]));
  }
  return value;
}

/** The core's facts for a message from a content script: the addresses come from the
 * browser (the sender), not from the page. */
/** The address of the sender's document: an about:blank frame belongs to the origin that
 * made it, which the browser tells (the frame's own URL says nothing). */
function senderUrl(sender) {
  const url = sender.url ?? "";
  if (url.startsWith("about:") && sender.origin && sender.origin !== "null") return `${sender.origin}/`;
  return url;
}

const isTop = (sender) => sender.frameId === 0;

async function factsFor(sender, m, typed, reused) {
  const top = sender.tab?.url ?? sender.url ?? "";
  const inFrame = !isTop(sender);
  const state = inFrame ? await tabState(sender.tab?.id) : null;
  const claims = clean(m.claims && typeof m.claims === "object" ? m.claims : {});
  return {
    top_url: clean(top, MAX_URL),
    frame_url: inFrame ? clean(senderUrl(sender), MAX_URL) : null,
    form_action: typeof m.formAction === "string" ? clean(m.formAction, MAX_URL) : null,
    password: {
      present: m.password?.present === true,
      typed,
      masked_text: m.password?.masked === true,
    },
    claims: { title: claims.title ?? "", headings: claims.headings ?? [], logos: claims.logos ?? [], text: claims.text ?? "" },
    top_claims: inFrame && state?.url === top ? (state?.claims ?? null) : null,
    reused: reused ? { brand: reused.brand, enrolled_on: reused.enrolled_on } : null,
  };
}

async function judge(facts) {
  let c;
  try {
    c = await core();
  } catch (e) {
    corePromise = null; // a failed load is tried again next time
    throw e;
  }
  const t0 = performance.now();
  let verdict;
  try {
    verdict = c.checkPage(facts);
  } catch (e) {
    corePromise = null; // a trapped instance is not used again
    throw e;
  }
  const ms = performance.now() - t0;
  stats.checks += 1;
  if (stats.firstVerdictMs === null) stats.firstVerdictMs = performance.now() - workerStart;
  if (stats.durationsMs.length < MAX_DURATIONS) stats.durationsMs.push(ms);
  return verdict;
}

const BADGE = {
  phishing: ["!", "#c5221f"],
  suspicious: ["?", "#e37400"],
  genuine: ["✓", "#188038"],
  unknown: ["", "#5f6368"],
};

async function showBadge(tabId, verdict) {
  if (tabId === undefined || tabId < 0) return;
  const [text, color] = BADGE[verdict] ?? BADGE.unknown;
  await chrome.action.setBadgeText({ tabId, text });
  await chrome.action.setBadgeBackgroundColor({ tabId, color });
  await chrome.action.setTitle({ tabId, title: `phishprobe: ${t(`verdict_${verdict}`)}` });
}

/** How bad a verdict is, for the tab's worst answer. Core's `Verdict` ordering
 * (crates/phishprobe-core/src/model.rs: Genuine < Unknown < Suspicious < Phishing) is the
 * source of truth for suspicious and phishing; genuine and unknown deliberately tie here: only
 * a risk lets a frame's answer replace the top page's, so a genuine page stays genuine beside
 * its unknown frames (ads, widgets) and an unknown page is not shown genuine for a genuine
 * embedded frame. */
const RANK = { unknown: 0, genuine: 0, suspicious: 1, phishing: 2 };

/** Keep the tab's verdict for the badge and the popup: the top page's, or a frame's when
 * that is worse. A new address in the tab starts afresh. */
async function recordTab(sender, verdict, claims) {
  const tabId = sender.tab?.id;
  if (tabId === undefined || sender.documentLifecycle === "prerender") return;
  const topUrl = sender.tab?.url ?? "";
  const next = await updateTab(tabId, (state) => {
    const fresh = !state || state.url !== topUrl;
    const next = fresh ? { url: topUrl } : { ...state };
    if (isTop(sender) && claims) next.claims = claims;
    const current = next.answer;
    const rank = RANK[verdict.report.verdict] ?? 0;
    if (!current || isTop(sender) && !current.fromFrame || rank > (RANK[current.report.verdict] ?? 0)) {
      next.answer = { ...verdict, fromFrame: !isTop(sender) };
    }
    return next;
  });
  await showBadge(tabId, next?.answer?.report.verdict ?? "unknown");
}

function bannerFor(verdict, host) {
  const brand = msg(verdict.brand_name);
  return {
    lang,
    title: brand ? t("bannerTitle", { brand }) : t("bannerTitleNoBrand"),
    claims: brand ? t("bannerClaims", { brand, host }) : "",
    reasons: verdict.report.findings
      .filter((f) => f.severity !== "info")
      .slice(0, 4)
      .map((f) => msg(f.message)),
    todo: t("bannerDo", { brand: brand || "the company" }),
    dismiss: t("bannerDismiss"),
  };
}

let warningSeq = 0;
const MAX_WARNINGS_KEPT = 20;
/** A full-tab warning (an extension page the site cannot cover). */
async function openWarning(sender, kind, verdict, extra = {}) {
  const id = `${Date.now()}-${++warningSeq}`;
  const all = await chrome.storage.session.get(null);
  const old = Object.keys(all).filter((k) => k.startsWith("warning:")).sort();
  if (old.length >= MAX_WARNINGS_KEPT) {
    await chrome.storage.session.remove(old.slice(0, old.length - MAX_WARNINGS_KEPT + 1));
  }
  await chrome.storage.session.set({
    [`warning:${id}`]: { kind, host: hostOf(senderUrl(sender)), verdict, ...extra },
  });
  await chrome.tabs.create({
    url: chrome.runtime.getURL(`warning.html#${id}`),
    index: (sender.tab?.index ?? 0) + 1,
    openerTabId: sender.tab?.id,
  });
}

async function allowedHere(sender) {
  const { allowed } = await local();
  const origins = [originOf(sender.tab?.url ?? ""), originOf(sender.url ?? "")];
  return origins.some((o) => o && allowed.includes(o));
}

// ---- messages ---------------------------------------------------------------------------

// Extension pages (options, popup, warning; in a tab or not) are told apart from content
// scripts by their URL: only the extension's own pages have its origin.
const fromExtensionPage = (sender) =>
  sender.id === chrome.runtime.id && (sender.url ?? "").startsWith(chrome.runtime.getURL(""));
const fromContentScript = (sender) =>
  sender.id === chrome.runtime.id && !!sender.tab && !fromExtensionPage(sender);

async function onContent(m, sender) {
  switch (m.type) {
    case "page": {
      const facts = await factsFor(sender, m, false, null);
      const verdict = await judge(facts);
      await recordTab(sender, verdict, facts.claims);
      const { enrolled, capture } = await local();
      return { watchLengths: [...new Set(enrolled.map((e) => e.length))], capture };
    }
    case "typing": {
      const facts = await factsFor(sender, m, true, null);
      const verdict = await judge(facts);
      // Decide first; the badge and the tab's record must not hold the warning back.
      recordTab(sender, verdict, facts.claims).catch((e) => console.error("phishprobe", e));
      if (!verdict.warn || (await allowedHere(sender))) return { warn: false };
      const banner = bannerFor(verdict, hostOf(senderUrl(sender)));
      if (!isTop(sender)) {
        try {
          await chrome.tabs.sendMessage(sender.tab.id, { type: "banner", banner }, { frameId: 0 });
          return { warn: false };
        } catch {
          // No content script in the top page (a browser page): show it in the frame.
        }
      }
      return { warn: true, banner };
    }
    case "value": {
      // The typed value is hashed here and dropped; it is never stored or logged.
      const entry = await reusedEntry(m.value);
      if (!entry || (await allowedHere(sender))) return { reused: false };
      const verdict = await judge(await factsFor(sender, m, true, entry));
      if (!verdict.report.findings.some((f) => f.code === "page.password_reused")) {
        return { reused: false };
      }
      // One warning tab per page and password, however often it is typed again.
      const key = `reuse:${sender.tab?.id}:${entry.salt}:${sender.tab?.url ?? ""}`;
      if ((await chrome.storage.session.get(key))[key]) return { reused: true };
      await chrome.storage.session.set({ [key]: true });
      recordTab(sender, verdict, null).catch((e) => console.error("phishprobe", e));
      await openWarning(sender, "reuse", verdict, { brand: entry.brand });
      return { reused: true };
    }
    case "signedIn": {
      // Opt-in capture: a password submitted on the brand's own sign-in page is enrolled.
      const { capture } = await local();
      if (!capture) return { enrolled: false };
      const verdict = await judge(await factsFor(sender, m, true, null));
      const brand = verdict.claimed_brand ?? verdict.report.brand;
      if (verdict.report.verdict !== "genuine" || !brand) return { enrolled: false };
      return { enrolled: await enroll(brand, m.value, hostOf(senderUrl(sender))) };
    }
    case "bannerAttacked": {
      const state = await tabState(sender.tab?.id);
      if (!state?.answer) return {};
      await openWarning(sender, "covered", state.answer);
      return {};
    }
    default:
      return { error: "unknown message" };
  }
}

async function onExtensionPage(m) {
  switch (m.type) {
    case "brands":
      return (await core()).brands();
    case "enroll":
      await enroll(m.brand, m.password, m.enrolledOn);
      return { ok: true };
    case "unenroll":
      // By salt: an entry's own random id, stable while other entries come and go.
      await updateLocal((s) => ({
        enrolled: (s.enrolled ?? []).filter((e) => e.salt !== m.salt),
      }));
      return { ok: true };
    case "settings":
      await updateLocal(() => ({ capture: m.capture === true }));
      return { ok: true };
    case "allow":
    case "disallow": {
      const origin = originOf(m.url ?? "");
      if (!origin) return { ok: false };
      await updateLocal((s) => {
        const list = (s.allowed ?? []).filter((o) => o !== origin);
        if (m.type === "allow") list.push(origin);
        return { allowed: list };
      });
      return { ok: true };
    }
    case "tab": {
      const kept = await tabState(m.tabId);
      // A verdict kept for an earlier address of the tab is not this page's.
      const state = kept && kept.url === m.url ? kept : null;
      const { allowed } = await local();
      const origin = originOf(m.url ?? "");
      return { state, allowed: !!origin && allowed.includes(origin) };
    }
    case "warning":
      return (await chrome.storage.session.get(`warning:${m.id}`))[`warning:${m.id}`] ?? null;
    case "stats": {
      const c = await core();
      return { ...stats, wasmMemoryBytes: c.memoryBytes(), workerAgeMs: performance.now() - workerStart };
    }
    case "checkUrls": {
      const c = await core();
      return (Array.isArray(m.urls) ? m.urls : []).map((u) => c.checkUrl(String(u)));
    }
    default:
      return { error: "unknown message" };
  }
}

chrome.runtime.onMessage.addListener((m, sender, reply) => {
    if (!m || typeof m.type !== "string") return false;
  if (sender.documentLifecycle === "prerender" && m.type !== "page") return false;
  const handler = fromContentScript(sender)
    ? onContent
    : fromExtensionPage(sender)
      ? onExtensionPage
      : null;
  if (!handler) return false;
  handler(m, sender).then(reply, (e) => reply({ error: String(e?.message ?? e) }));
  return true;
});
