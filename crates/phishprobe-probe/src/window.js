// Runs in every document of a probe page before the page's own scripts (main world).
// A freshly created headless window can report window.outerWidth/outerHeight as 0 while the
// page's first scripts run (the window geometry reaches the renderer a moment later, later
// still on a busy machine); "outerWidth === 0" is a classic headless tell that kits cloak on.
// Report the real value once known, until then the inner size or the launch window size.
(() => {
  const fallback = { outerWidth: ['innerWidth', 1366, 0], outerHeight: ['innerHeight', 768, 85] };
  for (const name of Object.keys(fallback)) {
    const d = Object.getOwnPropertyDescriptor(window, name);
    if (!d || typeof d.get !== 'function' || !d.configurable) continue;
    const real = d.get;
    const [inner, size, chrome] = fallback[name];
    Object.defineProperty(window, name, {
      get() {
        const v = real.call(window);
        if (v > 0) return v;
        const i = window[inner];
        return i > 0 ? i + chrome : size;
      },
      set: d.set,
      enumerable: d.enumerable,
      configurable: true,
    });
  }
})();
