// Runs in every document of a probe page before the page's own scripts (main world).
// A freshly created headless window can report window.outerWidth/outerHeight as 0 while the
// page's first scripts run (the window geometry reaches the renderer a moment later, later
// still on a busy machine); "outerWidth === 0" is a classic headless tell that kits cloak on.
// Only then (0 at document start) the getter is replaced: it reports the real value once known,
// until then the inner size or the launch window size. Otherwise the page sees the native one.
(() => {
  const fallback = { outerWidth: ['innerWidth', 1366, 0], outerHeight: ['innerHeight', 768, 85] };
  for (const name of Object.keys(fallback)) {
    const d = Object.getOwnPropertyDescriptor(window, name);
    if (!d || typeof d.get !== 'function' || !d.configurable) continue;
    const real = d.get;
    if (real.call(window) > 0) continue;
    const [inner, size, chrome] = fallback[name];
    // Defined through an accessor literal so the getter is named "get outerWidth", as natively.
    const patched = Object.getOwnPropertyDescriptor({
      get [name]() {
        const v = real.call(window);
        if (v > 0) return v;
        const i = window[inner];
        return i > 0 ? i + chrome : size;
      },
    }, name);
    Object.defineProperty(window, name, {
      get: patched.get,
      set: d.set,
      enumerable: d.enumerable,
      configurable: true,
    });
  }
})();
