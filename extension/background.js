// The service worker: the only part that runs the analysis core and the only part that ever
// sees a typed value (to hash it against enrolled passwords). Content scripts send it the facts
// of a page; it answers with what to show. Nothing is sent anywhere else.
//
// MV3 stops an idle worker after ~30 s: everything that must survive (enrolments, the allow
// list, per-tab verdicts) lives in chrome.storage; writes are serialised.

import { loadCore } from "./core.js";
import { lang, t, msg } from "./i18n.js";

const workerStart = performance.now();
const stats = { firstVerdictMs: null, checks: 0, durationsMs: [] };
const MAX_DURATIONS = 5000;

let corePromise = null;
function core() {
  corePromise ??= loadCore(chrome.runtime.getURL("core.wasm"));
  return corePromise;
}

// ---- storage ----------------------------------------------------------------------------

let writes = Promise.resolve();
/** Read-modify-write of chrome.storage.local, one at a time. */
function updateLocal(change) {
  writes = writes
    .then(async () => {
      const current = await chrome.storage.local.get(null);
      const patch = await change(current);
      if (patch) await chrome.storage.local.set(patch);
    })
    .catch((e) => console.error("phishprobe storage", e));
  return writes;
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

async function enroll(brand, value, enrolledOn) {
  if (typeof value !== "string" || value.length < 4 || value.length > 256) {
    throw new Error("a password of 4 to 256 characters");
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const entry = {
    brand: String(brand),
    enrolled_on: String(enrolledOn || ""),
    salt: b64(salt),
    hash37: await hash37(salt, value),
    length: value.length,
    added: new Date().toISOString().slice(0, 10),
  };
  await updateLocal((s) => {
    const list = (Array.isArray(s.enrolled) ? s.enrolled : []).filter(
      (e) => !(e.brand === entry.brand && e.hash37 === entry.hash37),
    );
    list.push(entry);
    return { enrolled: list.slice(-50) };
  });
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
function hostOf(url) {
  try {
    return new URL(url).hostname || url;
  } catch {
    return String(url);
  }
}

/** The core's facts for a message from a content script: the addresses come from the
 * browser (the sender), not from the page. */
async function factsFor(sender, m, typed, reused) {
  const top = sender.tab?.url ?? sender.url ?? "";
  const inFrame = sender.frameId !== 0;
  const state = inFrame ? await tabState(sender.tab?.id) : null;
  return {
    top_url: top,
    frame_url: inFrame ? (sender.url ?? null) : null,
    form_action: typeof m.formAction === "string" ? m.formAction : null,
    password: {
      present: m.password?.present === true,
      typed,
      masked_text: m.password?.masked === true,
    },
    claims: m.claims ?? {},
    top_claims: inFrame ? (state?.claims ?? null) : null,
    reused: reused ? { brand: reused.brand, enrolled_on: reused.enrolled_on } : null,
  };
}

async function judge(facts) {
  const c = await core();
  const t0 = performance.now();
  const verdict = c.checkPage(facts);
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

const RANK = { unknown: 0, genuine: 0, suspicious: 1, phishing: 2 };

/** Keep the tab's verdict for the badge and the popup: the top page's, or a frame's when
 * that is worse. */
async function recordTab(sender, answer) {
  const tabId = sender.tab?.id;
  if (tabId === undefined) return;
  const state = (await tabState(tabId)) ?? {};
  const topUrl = sender.tab?.url ?? "";
  const fresh = state.url !== topUrl;
  const current = fresh ? null : state.answer;
  const next = { ...state, url: topUrl };
  if (sender.frameId === 0 && answer.claims) next.claims = answer.claims;
  const verdict = answer.verdict.report.verdict;
  if (!current || sender.frameId === 0 || RANK[verdict] > RANK[current.report.verdict]) {
    if (!current || RANK[verdict] >= RANK[current.report.verdict] || sender.frameId === 0) {
      next.answer = answer.verdict;
    }
  }
  await setTabState(tabId, next);
  await showBadge(tabId, next.answer?.report.verdict ?? "unknown");
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
/** A full-tab warning (an extension page the site cannot cover). */
async function openWarning(sender, kind, verdict, extra = {}) {
  const id = `${Date.now()}-${++warningSeq}`;
  await chrome.storage.session.set({
    [`warning:${id}`]: { kind, host: hostOf(sender.url ?? ""), verdict, ...extra },
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
      const verdict = await judge(await factsFor(sender, m, false, null));
      await recordTab(sender, { verdict, claims: m.claims });
      const { enrolled } = await local();
      return { watchLengths: [...new Set(enrolled.map((e) => e.length))] };
    }
    case "typing": {
      const verdict = await judge(await factsFor(sender, m, true, null));
      await recordTab(sender, { verdict, claims: sender.frameId === 0 ? m.claims : null });
      if (!verdict.warn || (await allowedHere(sender))) return { warn: false };
      return { warn: true, banner: bannerFor(verdict, hostOf(sender.url ?? "")) };
    }
    case "value": {
      // The typed value is hashed here and dropped; it is never stored or logged.
      const entry = await reusedEntry(m.value);
      if (!entry || (await allowedHere(sender))) return { reused: false };
      const verdict = await judge(await factsFor(sender, m, true, entry));
      if (!verdict.report.findings.some((f) => f.code === "page.password_reused")) {
        return { reused: false };
      }
      await recordTab(sender, { verdict, claims: null });
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
      await enroll(brand, m.value, hostOf(sender.url ?? ""));
      return { enrolled: true };
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
      await updateLocal((s) => ({
        enrolled: (s.enrolled ?? []).filter((_, i) => i !== m.index),
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
      const state = await tabState(m.tabId);
      const { allowed } = await local();
      const origin = originOf(state?.url ?? m.url ?? "");
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
  const handler = fromContentScript(sender)
    ? onContent
    : fromExtensionPage(sender)
      ? onExtensionPage
      : null;
  if (!handler) return false;
  handler(m, sender).then(reply, (e) => reply({ error: String(e?.message ?? e) }));
  return true;
});
