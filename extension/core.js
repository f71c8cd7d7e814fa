// The phishprobe analysis core (core.wasm, built by build.sh from crates/phishprobe-wasm).
// Raw ABI: pp_alloc(len) -> ptr; pp_check_*(ptr, len) -> status (consumes the buffer);
// pp_result_ptr() / pp_result_len() locate the JSON answer.

(() => {
const encoder = new TextEncoder();
const decoder = new TextDecoder();

self.loadCore = async function loadCore(url) {
  const bytes = await (await fetch(url)).arrayBuffer();
  // Compiled synchronously where that is allowed (a worker; a page up to the browser's size
  // limit): a few tens of milliseconds, and the first verdict waits for it anyway.
  let instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  } catch (e) {
    if (!(e instanceof RangeError)) throw e; // a main thread refuses big synchronous compiles
    ({ instance } = await WebAssembly.instantiate(bytes, {}));
  }
  const x = instance.exports;
  function raw(fn, text) {
    const input = encoder.encode(text);
    const ptr = x.pp_alloc(input.length);
    new Uint8Array(x.memory.buffer, ptr, input.length).set(input);
    const status = fn(ptr, input.length);
    const out = new Uint8Array(x.memory.buffer, x.pp_result_ptr(), x.pp_result_len());
    return { status, json: decoder.decode(out) };
  }
  function call(fn, text) {
    const { status, json } = raw(fn, text);
    const answer = JSON.parse(json);
    if (status !== 0) throw new Error(answer.error || "core error");
    return answer;
  }
  return {
    checkPage: (facts) => call(x.pp_check_page, JSON.stringify(facts)),
    checkUrl: (url) => call(x.pp_check_url, url),
    /** The core's answer as it came (JSON text), for comparing with the native core. */
    checkUrlJson: (url) => raw(x.pp_check_url, url).json,
    brands: () => call(x.pp_brands, "{}"),
    memoryBytes: () => x.memory.buffer.byteLength,
  };
};
})();
