#!/usr/bin/env python3
"""Check a converted ggml Whisper file's mel filters and vocabulary against
Whisper's own assets (whisper/assets/ in the openai-whisper sdist from PyPI).
Standard library only (no numpy).

usage: check-ggml-assets.py MODEL.bin WHISPER_ASSETS_DIR
"""
import ast, base64, io, struct, sys, zipfile

model, assets = sys.argv[1], sys.argv[2]
d = open(model, "rb").read()
p = 0
def i32():
    global p
    v = struct.unpack_from("<i", d, p)[0]; p += 4; return v
assert i32() == 0x67676D6C
hp = [i32() for _ in range(11)]
n_vocab, n_mels, ftype = hp[0], hp[9], hp[10]
n_mel, n_fft = i32(), i32()
filters = struct.unpack_from("<%df" % (n_mel * n_fft), d, p); p += 4 * n_mel * n_fft
tokens = []
for _ in range(i32()):
    n = i32(); tokens.append(d[p:p + n]); p += n

# reference mel filters: npz = zip of .npy (header dict, then raw little-endian f32)
z = zipfile.ZipFile(f"{assets}/mel_filters.npz")
raw = z.read(f"mel_{n_mels}.npy")
hlen = struct.unpack_from("<H", raw, 8)[0]
hdr = ast.literal_eval(raw[10:10 + hlen].decode())
assert hdr["descr"] == "<f4" and not hdr["fortran_order"], hdr
ref = struct.unpack_from("<%df" % (hdr["shape"][0] * hdr["shape"][1]), raw, 10 + hlen)
assert (n_mel, n_fft) == tuple(hdr["shape"]), (n_mel, n_fft, hdr["shape"])
diff = max(abs(a - b) for a, b in zip(filters, ref))
exact = sum(a == b for a, b in zip(filters, ref))
print(f"mel filters {n_mel}x{n_fft}: max |diff| = {diff:.3g}, bit-identical {exact}/{len(ref)}")

multilingual = n_vocab >= 51865
tk = f"{assets}/{'multilingual' if multilingual else 'gpt2'}.tiktoken"
ranks = {}
for line in open(tk, "rb"):
    if line.strip():
        t, r = line.split()
        ranks[int(r)] = base64.b64decode(t)
refs = [ranks.get(i, b"") for i in range(max(ranks) + 1)]
bad = [i for i, (a, b) in enumerate(zip(tokens, refs)) if a != b]
print(f"vocab: file {len(tokens)} tokens, {tk.rsplit('/',1)[1]} {len(refs)}; mismatches {len(bad)} {bad[:5]}")
print(f"hparams {hp}, tensor data starts at byte {p}")
sys.exit(1 if bad or len(tokens) != len(refs) or diff > 1e-6 else 0)
