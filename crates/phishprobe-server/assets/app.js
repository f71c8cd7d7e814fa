// phishprobe page: plain JavaScript, no external resources. Sends what the person pasted to
// this server's API and shows the verdict in the chosen language (English or Chinese,
// remembered in localStorage and a cookie so the server renders the next visit in it).
"use strict";
(function () {
  var I18N = JSON.parse(document.getElementById("i18n").textContent);
  var body = document.body;
  var lang = document.documentElement.lang === "zh" ? "zh" : "en";
  var tokenRequired = body.getAttribute("data-token-required") === "1";
  var casesOn = body.getAttribute("data-cases") === "1";
  var current = null; // {kind: "case"|"reports"|"audio", data: ...} for re-rendering on a language switch
  var currentProbe = null;
  var pollTimer = null;

  function $(id) { return document.getElementById(id); }
  function t(key, vars) {
    var s = (I18N[lang] && I18N[lang][key]) || I18N.en[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    }
    return s;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") { e.textContent = attrs[k]; }
        else if (k === "class") { e.className = attrs[k]; }
        else { e.setAttribute(k, attrs[k]); }
      });
    }
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }
  function msg(m) { return m ? (m[lang] || m.en || "") : ""; }

  // ---- language -------------------------------------------------------------------------
  function applyLang(l, remember) {
    lang = l === "zh" ? "zh" : "en";
    document.documentElement.lang = lang;
    document.title = t("page_title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (n) {
      n.textContent = t(n.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-ph]"), function (n) {
      n.setAttribute("placeholder", t(n.getAttribute("data-i18n-ph")));
    });
    $("lang-en").setAttribute("aria-current", lang === "en" ? "true" : "false");
    $("lang-zh").setAttribute("aria-current", lang === "zh" ? "true" : "false");
    if (remember) {
      try { localStorage.setItem("phishprobe_lang", lang); } catch (e) { /* private mode */ }
      document.cookie = "phishprobe_lang=" + lang + "; path=/; max-age=31536000; SameSite=Strict";
    }
    if (current) { render(current); }
    if (currentProbe) { renderProbe(currentProbe); }
    if (casesOn) { loadCases(); }
  }
  // The language links are real links (?lang=zh works typed, bookmarked or shared); with
  // JavaScript the switch happens in place and the address bar shows the link for it.
  function langLink(ev) {
    ev.preventDefault();
    var l = ev.currentTarget.getAttribute("data-lang");
    applyLang(l, true);
    try {
      var u = new URL(location.href);
      u.searchParams.set("lang", lang);
      history.replaceState(null, "", u.pathname + u.search + u.hash);
    } catch (e) { /* old browser: the page still switched */ }
  }
  $("lang-en").addEventListener("click", langLink);
  $("lang-zh").addEventListener("click", langLink);
  var asked = null;
  try { asked = new URLSearchParams(location.search).get("lang"); } catch (e) { /* */ }
  if (asked === "en" || asked === "zh") {
    applyLang(asked, true);
  } else {
    try {
      var saved = localStorage.getItem("phishprobe_lang");
      if (saved && saved !== lang) { applyLang(saved, true); }
    } catch (e) { /* no storage */ }
  }

  // ---- token ----------------------------------------------------------------------------
  function token() {
    try { return sessionStorage.getItem("phishprobe_token") || ""; } catch (e) { return ""; }
  }
  if (tokenRequired) {
    $("token-box").hidden = false;
    $("token-save").addEventListener("click", function () {
      try { sessionStorage.setItem("phishprobe_token", $("token").value.trim()); } catch (e) { /* */ }
      $("token").value = "";
      $("token-status").textContent = t("token_saved");
      if (casesOn) { loadCases(); }
    });
  }

  // ---- API ------------------------------------------------------------------------------
  function api(method, path, payload, contentType) {
    var headers = {};
    if (tokenRequired && token()) { headers["X-Phishprobe-Token"] = token(); }
    var init = { method: method, headers: headers };
    if (payload !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      init.body = contentType ? payload : JSON.stringify(payload);
    }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var e = (j && j.error) || { code: "http_" + r.status, message: r.statusText };
          if (r.status === 401) { e.message = t("unauthorized"); }
          throw e;
        }
        return j;
      });
    });
  }
  function showError(e) {
    var s = $("status");
    s.className = "error";
    s.textContent = t("error") + ": " + ((e && e.message) || String(e));
  }

  // ---- rendering ------------------------------------------------------------------------
  function verdictBox(v) {
    return el("div", { "class": "verdict v-" + v.verdict, id: "verdict", "data-verdict": v.verdict }, [
      el("strong", { text: t("verdict_" + v.verdict) }),
      el("span", { text: t("explain_" + v.verdict) })
    ]);
  }
  function meta(r) {
    var bits = [];
    if (r.brand) { bits.push(t("brand") + ": " + r.brand); }
    bits.push(t("score") + ": " + r.score + "/100");
    return el("p", { "class": "meta", text: bits.join(" · ") });
  }
  // `sources`: a case's parts with their findings, to say which part a finding came from.
  function findingsList(fs, sources) {
    if (!fs || !fs.length) { return el("p", { text: t("no_findings") }); }
    return el("ul", { "class": "findings" }, fs.map(function (f) {
      return el("li", { "data-code": f.code }, [
        el("span", { "class": "sev sev-" + f.severity, text: t("sev_" + f.severity) }),
        document.createTextNode(" " + msg(f.message)),
        fromLine(f, sources),
        f.evidence ? el("span", { "class": "evidence", text: t("evidence") + ": " + f.evidence }) : null
      ]);
    }));
  }
  // "from: the recorded call (call.wav)", as the saved report says it; file names without the
  // folder they were in (cases saved by the command line share the history).
  function fromLine(f, sources) {
    var from = (sources || []).filter(function (s) {
      return (s.findings || []).some(function (x) { return x[0] === f.code && x[1] === f.evidence; });
    }).map(function (s) {
      var file = /^(email|text|audio)$/.test(s.kind) ? String(s.input).split(/[\/\\]/).pop() : s.input;
      return msg(s.label) + " (" + file + ")";
    });
    return from.length ? el("span", { "class": "from", "data-from": from.join("; "), text: t("from") + from.join("; ") }) : null;
  }
  function reportPart(kind, r) {
    return el("div", { "class": "part" }, [
      el("h3", { text: (kind ? t("kind_" + kind) + ": " : "") + r.input }),
      el("p", { "class": "meta", text: t("verdict_" + r.verdict) + " · " + t("score") + ": " + r.score }),
      findingsList(r.findings)
    ]);
  }
  function render(cur) {
    current = cur;
    var out = $("result-body");
    out.textContent = "";
    if (cur.kind === "case") {
      var c = cur.data.report || cur.data;
      out.appendChild(verdictBox(c));
      out.appendChild(meta(c));
      if (cur.data.id) { out.appendChild(el("p", { "class": "meta", id: "case-id", text: t("case_saved", { id: cur.data.id }) })); }
      if (c.advice && c.advice.length) {
        out.appendChild(el("h3", { text: t("advice") }));
        out.appendChild(el("ol", { "class": "advice" }, c.advice.map(function (a) {
          return el("li", { "data-code": a.code, text: msg(a.message) });
        })));
      }
      out.appendChild(el("h3", { text: t("findings") }));
      out.appendChild(findingsList(c.findings, c.sources));
      if (c.steps && c.steps.length) {
        out.appendChild(el("h3", { text: t("steps") }));
        c.steps.forEach(function (s) {
          var box = el("div", { "class": "part", "data-step": s.id }, [
            el("h3", { text: msg(s.title) + (s.verdict ? " — " + t("verdict_" + s.verdict) : "") }),
            el("p", { text: msg(s.summary) }),
            s.findings && s.findings.length ? findingsList(s.findings, c.sources) : null
          ]);
          // What a recorded call said, under the step that asks whether anyone wanted a secret.
          if (s.id === "ask") { caseTranscripts(cur.data).forEach(function (tr) { box.appendChild(transcriptBox(tr)); }); }
          out.appendChild(box);
        });
      }
      if (cur.data.evidence && cur.data.evidence.length) { showEvidence(cur.data, out); }
    } else if (cur.kind === "audio") {
      out.appendChild(verdictBox(cur.data));
      out.appendChild(meta(cur.data));
      out.appendChild(el("h3", { text: t("findings") }));
      out.appendChild(findingsList(cur.data.findings));
      out.appendChild(transcriptBox(cur.data.transcript, "transcript"));
    } else {
      var reports = cur.data;
      var worst = reports.reduce(function (w, x) { return rank(x.r.verdict) > rank(w) ? x.r.verdict : w; }, "genuine");
      if (reports.length === 1) {
        out.appendChild(verdictBox(reports[0].r));
        out.appendChild(meta(reports[0].r));
        out.appendChild(el("h3", { text: t("findings") }));
        out.appendChild(findingsList(reports[0].r.findings));
      } else {
        out.appendChild(verdictBox({ verdict: worst }));
        out.appendChild(el("h3", { text: t("parts") }));
        reports.forEach(function (x) { out.appendChild(reportPart(x.kind, x.r)); });
      }
    }
    $("result").hidden = false;
  }
  // The words as the machine heard them, with times; doubtful segments (left out of the
  // verdict) marked. Shown as heard, never translated.
  function clock(secs) {
    var s = Math.max(0, Math.round(secs || 0));
    var mm = Math.floor(s / 60) % 60, ss = s % 60, hh = Math.floor(s / 3600);
    var tail = (ss < 10 ? "0" : "") + ss;
    return hh ? hh + ":" + (mm < 10 ? "0" : "") + mm + ":" + tail : mm + ":" + tail;
  }
  function transcriptBox(tr, id) {
    var segs = (tr && tr.segments) || [];
    var list = segs.length ? el("ol", { "class": "segments" }, segs.map(function (g) {
      return el("li", { "class": g.reliable ? "" : "doubtful" }, [
        el("span", { "class": "when", text: "[" + clock(g.start) + "–" + clock(g.end) + "]" }),
        document.createTextNode(" " + g.text),
        g.reliable ? null : el("span", { text: " [" + t("transcript_doubtful") + "]" })
      ]);
    })) : el("p", { text: t("transcript_empty") });
    var attrs = { "class": "transcript", "data-machine-transcript": "true" };
    if (id) { attrs.id = id; }
    return el("div", attrs, [
      el("h3", { text: t("transcript_heading") }),
      list
    ]);
  }
  // The machine transcripts a saved case kept (none when its inputs were only hashed).
  function caseTranscripts(data) {
    return (data.inputs || []).filter(function (i) { return i.kind === "transcript" && i.text; }).map(function (i) {
      try { return JSON.parse(i.text); } catch (e) { return null; }
    }).filter(Boolean);
  }
  // The worst of separate reports (url, phone, text, email and audio each answered by its own
  // endpoint: none of them returns a combined verdict; with cases on, /api/v1/cases does and
  // that one is shown). The order is core's `Verdict` ordering (crates/phishprobe-core/src/
  // model.rs: Genuine < Unknown < Suspicious < Phishing); keep the two the same.
  function rank(v) { return { genuine: 0, unknown: 1, suspicious: 2, phishing: 3 }[v] || 0; }

  function imageFrom(path, alt, fig) {
    var headers = {};
    if (tokenRequired && token()) { headers["X-Phishprobe-Token"] = token(); }
    fetch(path, { headers: headers }).then(function (r) { return r.ok ? r.blob() : null; }).then(function (b) {
      if (b) { fig.insertBefore(el("img", { src: URL.createObjectURL(b), alt: alt }), fig.firstChild); }
    });
  }
  function showEvidence(data, out) {
    var shots = data.evidence.filter(function (e) { return e.media_type === "image/png"; });
    if (!shots.length) { return; }
    out.appendChild(el("h3", { text: t("screenshots") }));
    var box = el("div", { "class": "shots" });
    shots.forEach(function (e) {
      var alt = t("screenshot_alt", { name: e.name });
      var fig = el("figure", null, [el("figcaption", { text: e.name })]);
      imageFrom("/api/v1/cases/" + encodeURIComponent(data.id) + "/evidence/" + encodeURIComponent(e.name), alt, fig);
      box.appendChild(fig);
    });
    out.appendChild(box);
  }

  // ---- probe jobs -----------------------------------------------------------------------
  function renderProbe(job) {
    currentProbe = job;
    $("probe-box").hidden = false;
    var p = $("probe-progress"), txt = $("probe-text"), out = $("probe-body");
    if (job.status === "queued") {
      p.removeAttribute("value");
      txt.textContent = t("probe_queued", { n: job.queue_position || 1 });
    } else if (job.status === "running") {
      var max = Math.round((job.timeout_ms || 45000) / 1000), s = Math.round((job.elapsed_ms || 0) / 1000);
      p.value = Math.min(95, Math.round(100 * s / Math.max(1, max)));
      txt.textContent = t("probe_running", { s: s, max: max });
    } else if (job.status === "failed") {
      p.value = 100;
      txt.textContent = t("probe_failed", { msg: (job.error && job.error.message) || "" });
    } else if (job.status === "done") {
      p.value = 100;
      var res = job.result || {};
      var outcome = res.outcome || (res.probe && res.probe.outcome) || "";
      txt.textContent = t("probe_done", { outcome: outcome ? t("probe_outcome_" + outcome) : "" });
      if (!out.getAttribute("data-done")) {
        out.setAttribute("data-done", "1");
        out.textContent = "";
        if (res.case) {
          render({ kind: "case", data: res.case });
        } else if (res.verdict) {
          out.appendChild(verdictBox(res));
          out.appendChild(findingsList(res.findings));
        }
        if (job.screenshots && job.screenshots.length) {
          out.appendChild(el("h3", { text: t("screenshots") }));
          var box = el("div", { "class": "shots" });
          var steps = (res.evidence && res.evidence.steps || []).filter(function (s) { return s.screenshot; });
          job.screenshots.forEach(function (path, i) {
            var name = steps[i] ? steps[i].name : String(i + 1);
            var fig = el("figure", null, [el("figcaption", { text: name })]);
            imageFrom(path, t("screenshot_alt", { name: name }), fig);
            box.appendChild(fig);
          });
          out.appendChild(box);
        }
        if (casesOn) { loadCases(); }
      }
    }
  }
  function pollProbe(id) {
    clearTimeout(pollTimer);
    api("GET", "/api/v1/probe/" + encodeURIComponent(id)).then(function (job) {
      renderProbe(job);
      if (job.status === "queued" || job.status === "running") {
        pollTimer = setTimeout(function () { pollProbe(id); }, 700);
      }
    }).catch(showError);
  }
  function startProbe(job) {
    $("probe-body").textContent = "";
    $("probe-body").removeAttribute("data-done");
    renderProbe(job);
    pollProbe(job.id);
  }

  // ---- the form -------------------------------------------------------------------------
  function readFile(f, asBase64) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      // A data: URL is the base64 after its first comma.
      r.onload = function () { resolve(asBase64 ? String(r.result).slice(String(r.result).indexOf(",") + 1) : r.result); };
      r.onerror = function () { reject(r.error); };
      if (asBase64) { r.readAsDataURL(f); } else { r.readAsText(f); }
    });
  }
  // The case form's recording, as the case API takes it (null without one).
  function recordingOf(f) {
    if (!f) { return Promise.resolve(null); }
    return readFile(f, true).then(function (b64) {
      return { name: f.name, audio_base64: b64, speech_lang: $("in-case-speech-lang").value };
    });
  }
  function lines(s) { return s.split(/\r?\n/).map(function (x) { return x.trim(); }).filter(Boolean); }

  $("check-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var urls = lines($("in-url").value);
    var phone = $("in-phone").value.trim();
    var region = $("in-region").value.trim().toUpperCase();
    var words = $("in-text").value.trim();
    var raw = $("in-email").value;
    var file = $("in-eml").files && $("in-eml").files[0];
    var audioFile = $("in-case-audio").files && $("in-case-audio").files[0];
    var probe = $("in-probe").checked;
    var status = $("status");
    status.className = "";
    if (!urls.length && !phone && !words && !raw.trim() && !file && !audioFile) {
      status.className = "error";
      status.textContent = t("nothing");
      return;
    }
    status.textContent = audioFile ? t("audio_listening") : t("checking");
    $("check-btn").disabled = true;
    var recording = null;
    recordingOf(casesOn ? audioFile : null).then(function (r) {
      recording = r;
      return file ? readFile(file) : raw;
    }).then(function (emailText) {
      var emailName = file ? file.name : "pasted message"; // a stored name: shown translated
      var hasEmail = emailText && emailText.trim().length > 0;
      if (casesOn) {
        var payload = {
          urls: urls, phones: phone ? [phone] : [], texts: words ? [words] : [],
          probe: probe, region: region || null
        };
        if (hasEmail) { payload.email = { name: emailName, message: emailText }; }
        if (recording) { payload.recordings = [recording]; }
        return api("POST", "/api/v1/cases", payload).then(function (res) {
          if (res.job) {
            if (res.preliminary) { render({ kind: "case", data: { report: res.preliminary } }); }
            startProbe(res.job);
          } else {
            render({ kind: "case", data: res });
          }
          loadCases();
        });
      }
      var calls = [];
      urls.forEach(function (u) {
        calls.push(api("POST", "/api/v1/url", { url: u }).then(function (r) { return { kind: "url", r: r }; }));
      });
      if (phone) {
        calls.push(api("POST", "/api/v1/phone", { number: phone, region: region || undefined }).then(function (r) { return { kind: "phone", r: r }; }));
      }
      if (words) {
        calls.push(api("POST", "/api/v1/text", { text: words }).then(function (r) { return { kind: "text", r: r }; }));
      }
      if (hasEmail) {
        calls.push(api("POST", "/api/v1/email?name=" + encodeURIComponent(emailName), emailText, "message/rfc822").then(function (r) { return { kind: "email", r: r }; }));
      }
      if (audioFile) {
        var path = "/api/v1/audio?speech_lang=" + encodeURIComponent($("in-case-speech-lang").value) +
          "&name=" + encodeURIComponent(audioFile.name);
        calls.push(api("POST", path, audioFile, audioFile.type || "application/octet-stream").then(function (r) { return { kind: "audio", r: r }; }));
      }
      return Promise.all(calls).then(function (reports) {
        render({ kind: "reports", data: reports });
        if (probe && urls.length) {
          return api("POST", "/api/v1/probe", { url: urls[0] }).then(startProbe);
        }
      });
    }).then(function () {
      status.textContent = "";
      $("result").focus();
    }).catch(function (e) {
      showError(audioFile ? { message: audioError(e) } : e);
    }).then(function () {
      $("check-btn").disabled = false;
    });
  });
  $("check-form").addEventListener("reset", function () {
    $("status").textContent = "";
  });

  // ---- call recordings ------------------------------------------------------------------
  function audioError(e) {
    var code = e && e.code;
    if (code === "audio_busy") { return t("audio_busy"); }
    if (code === "body_too_large") { return t("upload_too_big"); }
    if (code === "audio_unavailable") { return t("audio_unavailable") + " (" + e.message + ")"; }
    return (e && e.message) || String(e);
  }
  $("audio-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = $("in-audio").files && $("in-audio").files[0];
    var status = $("audio-status");
    status.className = "";
    if (!f) {
      status.className = "error";
      status.textContent = t("audio_none");
      return;
    }
    status.textContent = t("audio_listening");
    $("audio-btn").disabled = true;
    var path = "/api/v1/audio?speech_lang=" + encodeURIComponent($("in-speech-lang").value) +
      "&name=" + encodeURIComponent(f.name);
    api("POST", path, f, f.type || "application/octet-stream").then(function (v) {
      render({ kind: "audio", data: v });
      status.textContent = "";
      $("result").focus();
    }).catch(function (e) {
      status.className = "error";
      status.textContent = t("error") + ": " + audioError(e);
    }).then(function () {
      $("audio-btn").disabled = false;
    });
  });

  // ---- past cases -----------------------------------------------------------------------
  function loadCases() {
    var list = $("cases-list");
    if (!casesOn) {
      list.textContent = "";
      list.appendChild(el("li", { text: t("cases_unavailable") }));
      return;
    }
    api("GET", "/api/v1/cases?limit=20").then(function (res) {
      list.textContent = "";
      var cases = res.cases || [];
      if (!cases.length) { list.appendChild(el("li", { text: t("cases_empty") })); }
      cases.forEach(function (c) {
        var when = new Date(c.created_at).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB");
        var bits = [t("verdict_" + c.verdict).split(/ — |——/)[0], when];
        if (c.brand) { bits.push(t("case_brand", { brand: c.brand })); }
        bits.push(caseTitle(c.title || ""));
        var b = el("button", { type: "button", "data-case": c.id, text: bits.join(" · ") });
        b.addEventListener("click", function () { openCase(c.id); });
        list.appendChild(el("li", null, [b]));
      });
    }).catch(function (e) {
      list.textContent = "";
      list.appendChild(el("li", { "class": "error", text: (e && e.message) || "" }));
    });
  }
  // A stored title ("email mail.eml · https://… · “words”", made by the case crate) with its
  // kind words in the page's language.
  function caseTitle(title) {
    return title.split(" · ").map(function (piece) {
      var m = /^(email|text|audio) (.*)$/.exec(piece);
      if (!m) { return piece; }
      var name = m[2] === "pasted message" ? t("pasted_message") : m[2];
      return t("kind_" + m[1]) + " " + name;
    }).join(" · ");
  }
  function openCase(id) {
    api("GET", "/api/v1/cases/" + encodeURIComponent(id)).then(function (c) {
      render({ kind: "case", data: c });
      $("result").focus();
    }).catch(showError);
  }
  $("cases-refresh").addEventListener("click", loadCases);
  loadCases();
})();
