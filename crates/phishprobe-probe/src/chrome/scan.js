// Runs in phishprobe's isolated world (Page.createIsolatedWorld): page scripts cannot see or
// patch these functions, and this world's prototypes are pristine. Attributes are read with
// getAttribute because an input named "action" shadows form.action.
if (!globalThis.__pp) {
  globalThis.__pp = (function () {
    const MAX_TEXT = 20000;
    let els = [];
    const reg = (el) => { els.push(el); return els.length - 1; };
    const attr = (el, n) => (el.getAttribute && el.getAttribute(n)) || '';
    const low = (s) => String(s || '').toLowerCase();
    function visible(el) {
      if (!el || !el.isConnected) return false;
      const r = el.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) return false;
      if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') return false;
      // Far off-screen fields are honeypots, not prompts.
      if (r.right < -100 || r.bottom < -100) return false;
      return true;
    }
    function labelText(el) {
      let t = '';
      try {
        if (el.labels) for (const l of el.labels) t += ' ' + l.innerText;
      } catch (e) {}
      return t;
    }
    function descr(el) {
      return low([attr(el, 'name'), attr(el, 'id'), attr(el, 'autocomplete'), attr(el, 'placeholder'),
        attr(el, 'aria-label'), attr(el, 'class'), labelText(el)].join(' '));
    }
    function text() {
      const b = document.body || document.documentElement;
      if (!b) return '';
      const t = b.innerText || '';
      return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t;
    }
    function hash(s) {
      let h = 0;
      for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
      return h;
    }
    // The word lists of data/probe/phrases.toml [page_scan], put in as JSON by the Rust side
    // when it loads this script (crates/phishprobe-probe/src/chrome/page.rs). Each pattern list
    // is the alternatives of one regular expression (no flags).
    const WORDS = __PHISHPROBE_PAGE_SCAN__;
    const anyOf = (list) => new RegExp(list.join('|'));
    const IDENT = anyOf(WORDS.ident_field);
    const CARD = anyOf(WORDS.card_field);
    const OTP = anyOf(WORDS.otp_field);
    const SSN = anyOf(WORDS.personal_field);
    const SUBMIT_WORDS = anyOf(WORDS.submit_label);
    const NOT_SUBMIT = anyOf(WORDS.not_submit_label);
    const SIGNIN_LINK = new RegExp('^(hello,?\\s*)?(' + WORDS.signin_link.join('|') + ')\\b');

    function fieldKind(el) {
      const tag = el.tagName;
      if (tag !== 'INPUT') return null;
      const t = low(attr(el, 'type') || 'text');
      if (t === 'password') return 'password';
      if (['hidden', 'submit', 'button', 'image', 'reset', 'checkbox', 'radio', 'file', 'range', 'color'].includes(t)) return null;
      const d = descr(el);
      if (CARD.test(d) || /^cc-/.test(low(attr(el, 'autocomplete')))) return 'card';
      if (OTP.test(d)) return 'otp';
      if (SSN.test(d)) return 'personal';
      if (t === 'email') return 'ident';
      if (IDENT.test(d)) return 'ident';
      return 'text';
    }

    function candidates(field) {
      // Buttons that submit this field: in its form, bound by form=, or nearby outside any form.
      const out = [];
      const form = field ? field.form : null;
      const isBtn = (b) => {
        const tag = b.tagName;
        const t = low(attr(b, 'type'));
        if (tag === 'BUTTON') return t === '' || t === 'submit' || t === 'button';
        if (tag === 'INPUT') return t === 'submit' || t === 'image' || t === 'button';
        return attr(b, 'role') === 'button' || tag === 'A' || tag === 'DIV' || tag === 'SPAN';
      };
      const label = (b) => low((b.innerText || '') + ' ' + attr(b, 'value') + ' ' + attr(b, 'aria-label') + ' ' + attr(b, 'alt')).trim();
      const score = (b) => {
        let s = 0;
        const t = low(attr(b, 'type'));
        if (form && b.form === form) s += 4;
        if (t === 'submit' || (b.tagName === 'BUTTON' && t === '')) s += 3;
        if (SUBMIT_WORDS.test(label(b))) s += 3;
        if (NOT_SUBMIT.test(label(b))) s -= 6;
        if (b.tagName === 'A' && !SUBMIT_WORDS.test(label(b))) s -= 4;
        if (b.tagName === 'DIV' || b.tagName === 'SPAN') s -= 1;
        if (field && (field.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)) s += 1;
        return s;
      };
      const all = document.querySelectorAll('button, input[type=submit], input[type=image], input[type=button], [role=button], a, div[onclick], span[onclick]');
      let n = 0;
      for (const b of all) {
        if (++n > 2000) break;
        if (!isBtn(b) || !visible(b)) continue;
        const s = score(b);
        if (s >= 2) out.push([s, b]);
      }
      out.sort((a, b) => b[0] - a[0]);
      return out.slice(0, 3).map(([s, b]) => ({ i: reg(b), score: s, label: label(b).slice(0, 60), tag: b.tagName.toLowerCase() }));
    }

    function scan() {
      els = [];
      const res = {
        url: location.href, title: document.title || '', ready: document.readyState,
        text: text(), password: [], ident: [], card: 0, otp: 0, personal: 0, captcha: false,
        submit: [], signin: null, logos: [], frames: 0, forms: 0,
      };
      let n = 0;
      for (const el of document.querySelectorAll('input')) {
        if (++n > 500) break;
        const k = fieldKind(el);
        if (!k || !visible(el)) continue;
        if (k === 'password') res.password.push({ i: reg(el), filled: (el.value || '').length > 0, name: attr(el, 'name') });
        else if (k === 'ident') res.ident.push({ i: reg(el), filled: (el.value || '').length > 0, name: attr(el, 'name') });
        else if (k === 'card') res.card++;
        else if (k === 'otp') res.otp++;
        else if (k === 'personal') res.personal++;
        else if (k === 'text') res.ident.push({ i: reg(el), filled: (el.value || '').length > 0, name: attr(el, 'name'), weak: true });
      }
      res.forms = document.forms.length;
      // Plain text inputs only count as identifiers when next to a password field or alone on a form.
      if (res.password.length === 0) {
        const strong = res.ident.filter((x) => !x.weak);
        res.ident = strong.length > 0 ? strong : (res.ident.length === 1 ? res.ident : []);
      } else {
        const strong = res.ident.filter((x) => !x.weak);
        res.ident = strong.length > 0 ? strong : res.ident.slice(0, 1);
      }
      const target = res.password.length > 0 ? els[res.password[0].i] : (res.ident.length > 0 ? els[res.ident[0].i] : null);
      if (target) res.submit = candidates(target);
      for (const f of document.querySelectorAll('iframe')) {
        res.frames++;
        const src = low(attr(f, 'src') + ' ' + attr(f, 'title'));
        if (WORDS.captcha_frame.some((w) => src.includes(w))) res.captcha = true;
      }
      if (document.querySelector('.g-recaptcha, .h-captcha, .cf-turnstile, #captcha, [name=cvf_captcha_input], img[src*=captcha]')) res.captcha = true;
      if (!target) {
        let m = 0;
        for (const a of document.querySelectorAll('a, button, [role=button]')) {
          if (++m > 2000) break;
          const t = low((a.innerText || attr(a, 'aria-label')).trim());
          if (t.length === 0 || t.length > 40 || !SIGNIN_LINK.test(t) || !visible(a)) continue;
          const href = a.tagName === 'A' ? (a.href || '') : '';
          res.signin = { i: reg(a), label: t, href: String(href) };
          break;
        }
      }
      let k = 0;
      for (const img of document.querySelectorAll('img[alt], svg[aria-label], [role=img][aria-label], a[aria-label]')) {
        if (++k > 40) break;
        const t = (attr(img, 'alt') || attr(img, 'aria-label')).trim();
        if (t) res.logos.push(t.slice(0, 80));
      }
      return res;
    }

    function state() {
      const t = text();
      let pw = 0, filled = 0;
      for (const el of document.querySelectorAll('input[type=password]')) {
        if (!visible(el)) continue;
        pw++;
        filled += (el.value || '').length;
      }
      return { url: location.href, ready: document.readyState, h: hash(t), len: t.length, pw, filled };
    }

    function get(i) { const el = els[i]; if (!el || !el.isConnected) throw new Error('stale element'); return el; }

    function focusClear(i) {
      const el = get(i);
      el.scrollIntoView({ block: 'center', inline: 'center' });
      el.focus();
      if (el.select) el.select();
      return document.activeElement === el;
    }

    function setValue(i, v) {
      // Fallback when trusted typing did not reach the field (e.g. focus trapped by the page).
      const el = get(i);
      const proto = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
      proto.set.call(el, v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return el.value === v;
    }

    function value(i) { return get(i).value; }

    function blur(i) { const el = get(i); el.dispatchEvent(new Event('change', { bubbles: true })); return true; }

    function point(i) {
      const el = get(i);
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const hit = document.elementFromPoint(x, y);
      const ok = !!hit && (hit === el || el.contains(hit) || hit.contains(el));
      return { x, y, ok, top: window === window.top };
    }

    function click(i) { get(i).click(); return true; }

    function focus(i) { const el = get(i); el.focus(); return document.activeElement === el; }

    function requestSubmit(i) {
      const el = get(i);
      const form = el.form;
      if (!form) return false;
      HTMLFormElement.prototype.requestSubmit.call(form);
      return true;
    }

    return { scan, state, focusClear, setValue, value, blur, point, click, focus, requestSubmit };
  })();
}
