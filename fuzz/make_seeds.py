#!/usr/bin/env python3
"""Writes the starting seeds of every fuzz target into fuzz/seeds/<target>/.

Seeds come only from the project's own test messages (crates/phishprobe-email/resources/) and inputs
written here; nothing from ../shared/corpus is used (it must not enter the repository).
libFuzzer then grows them, and `cargo fuzz cmin` minimises the result into fuzz/corpus/.
The QR seeds need Python's `qrcode` and `pillow` packages.
"""
import email
import email.policy
import io
import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "seeds"
EML = sorted((ROOT / "crates/phishprobe-email/resources/messages").glob("*.eml"))


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


HOSTS = [
    "amazon.com", "www.amazon.co.jp", "sellercentral.amazon.de", "amaz0n-seller.cn",
    "amazon.co.jp.xyz123.buzz", "account-update-amazon.322565.top", "xn--amazn-mye.com",
    "xn--zz--.com", "аmazon.com", "αmazon.com", "ａｍａｚｏｎ.com", "a\u200bmazon.com",
    "paypal.com.secure-login.example", "bucket.s3.amazonaws.com", "192.168.0.1",
    "[::1]", "0x7f.1", "....", "a" * 300 + ".com", "ebay-login.top", "appleid.apple.com.x.cn",
]
URLS = [
    "https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fevil.example",
    "https://amazon.com@evil.example/login", "http://2130706433/", "http://0x7f000001:8080/x",
    "https://t.umblr.com/redirect?z=https%3A%2F%2Faccount-amazon.example%2F",
    "https://bit.ly/3abc", "data:text/html;base64,PGgxPmhpPC9oMT4=", "javascript:alert(1)",
    "https://hyperphp.com/amazon/signin", "http://[::ffff:127.0.0.1]/", "https://x.com/%zz%00",
    "https://xn--80ak6aa92e.com/", "http://", "https://a.b/" + "%41" * 200,
]
TEXTS = [
    "Amazon Prime Security: your account was hacked. Install AnyDesk and read me the code.",
    "Your Amazon store password must be reset: http://amaz0n-seller.cn/verify call 1-888-280-4331",
    "亚马逊客服：您的账户异常，请下载向日葵远程协助，并提供验证码。",
    "Amazon will never ask for your password.", "a m a z o n  p a s s w o r d",
    "Pay with Google Play gift cards today, +1 (206) 266-1000, 011 86 10 1234 5678",
    "ＡＭＡＺＯＮ 验证码 ١٢٣٤٥٦ \u200b\u0301 𝕡𝕒𝕤𝕤",
]
PHONES = [
    "+1 206-266-1000", "1-888-280-4331", "011 86 10 1234 5678", "+86 138 0013 8000",
    "１２３４５６７８９０", "+44 20 7946 0958 ext. 12", "911", "call +123456789012345678901234567890",
    "(555) 0100", "+", "tel:+1-800-555-0199",
]
AUTH = [
    "mx.example.com; spf=pass smtp.mailfrom=amazon.com; dkim=pass header.d=amazon.com; dmarc=pass header.from=amazon.com",
    "spf=fail (sender IP is 1.2.3.4) smtp.mailfrom=evil.example; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=amazon.com;compauth=fail reason=001",
    "mx.google.com; dkim=pass header.i=@x.com header.s=s1 header.b=AbC; arc=pass (i=1); dmarc=permerror",
    "; ; (((comment", "none", "x; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=amazon.co.jp",
]
HTML = [
    '<html><body><a href="https://evil.example/signin">https://www.amazon.com/</a></body></html>',
    '<p>Am<span style="font-size:0">x</span>azon</p><form action="https://evil.example"><input type=password></form>',
    '<meta http-equiv="refresh" content="0; url=https://evil.example/"><script>window.location="https://x.example"</script>',
    "<title>Amazon Sign-In</title><h1>Sign in</h1><img alt='amazon'><input name=email><button>Continue</button>",
    "<a href='x'>" * 50 + "&amp;&#x41;&#65;&bogus;&nbsp;",
    "<!-- unclosed <div style='display:none'>hidden There was a problem</div><iframe src='//a.b'>",
]
RTF = [
    r"{\rtf1\ansi{\fonttbl\f0 Arial;}\f0 Your Amazon account {\field{\*\fldinst HYPERLINK ""https://evil.example/""}{\fldrslt click}}\par}",
    r"{\rtf1 \u1072?mazon \'e9 {\*\unknown dest} \bin5 abcde }",
    "{\\rtf1" + "{" * 500,
]
PDF = [
    b"%PDF-1.4\n1 0 obj<</Type/Annot/Subtype/Link/A<</S/URI/URI(https://evil.example/amazon)>>>>endobj\n"
    b"2 0 obj<</Length 44>>stream\nBT /F1 12 Tf (Your Amazon account) Tj ET\nendstream endobj\n%%EOF\n",
    b"%PDF-1.7\n3 0 obj<</Filter/FlateDecode/Length 5>>stream\nxxxxx\nendstream\nendobj\n",
]


# The server_body target: byte 0 picks the endpoint, byte 1 the content type (the order of
# ENDPOINTS and CONTENT_TYPES in crates/phishprobe-fuzz/src/server.rs), the rest is the body.
URL_, EMAIL_, TEXT_, PHONE_, CASES_, PROBE_ = range(6)
JSON_, PLAIN_, RFC822_ = range(3)


def server_seeds():
    import json
    eml = EML[0].read_bytes().decode("utf-8", "replace") if EML else "Subject: x\r\n\r\nhi"
    bodies = [
        (URL_, JSON_, {"url": URLS[0]}), (URL_, JSON_, {"urls": URLS[:4]}), (URL_, JSON_, HOSTS[:3]),
        (URL_, JSON_, "amazon.com"), (EMAIL_, RFC822_, eml), (EMAIL_, JSON_, {"message": eml, "name": "x.eml"}),
        (TEXT_, JSON_, {"text": TEXTS[0], "lang": "zh"}), (TEXT_, PLAIN_, TEXTS[1]),
        (PHONE_, JSON_, {"number": PHONES[0], "region": "US"}), (PHONE_, JSON_, {"numbers": PHONES[:3]}),
        (CASES_, JSON_, {"email": {"name": "x.eml", "message": eml}, "urls": URLS[:2],
                         "phones": PHONES[:1], "texts": [TEXTS[0], {"name": "sms", "text": TEXTS[1]}]}),
        (CASES_, JSON_, {"urls": ["https://amaz0n-seller.cn/verify"], "probe": True, "save": False}),
        (PROBE_, JSON_, {"url": "https://amaz0n-seller.cn/signin"}),
    ]
    for i, (endpoint, ctype, body) in enumerate(bodies):
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        put("server_body", f"s{i:02}", bytes([endpoint, ctype]) + data.encode("utf-8"))


def main():
    for i, h in enumerate(HOSTS):
        put("host", f"h{i:02}", h)
    for i, u in enumerate(URLS + HOSTS[:5]):
        put("url", f"u{i:02}", u)
    for i, t in enumerate(TEXTS):
        put("text", f"t{i:02}", t)
        put("phone", f"t{i:02}", t)
    for i, p in enumerate(PHONES):
        put("phone", f"p{i:02}", p)
    for i, a in enumerate(AUTH):
        put("auth_results", f"a{i:02}", a)
    for i, h in enumerate(HTML):
        put("html", f"h{i:02}", h)
        put("probe_page", f"h{i:02}", h)
    put("probe_page", "scan.json",
        '{"url":"https://x.example/","text":"There was a problem","password":[{"i":1,"filled":true}],'
        '"ident":[{"i":0}],"submit":[{"i":2,"score":3,"label":"Sign in"}],"captcha":false,"otp":1}')
    for i, r in enumerate(RTF):
        put("rtf", f"r{i:02}", r)
    for i, p in enumerate(PDF):
        put("pdf", f"p{i:02}", p)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("invoice.html", "<a href='https://evil.example'>Amazon</a>")
        z.writestr("docs/readme.exe", b"MZ")
    put("zip", "z00", buf.getvalue())
    mbox = b""
    for f in EML:
        raw = f.read_bytes()
        put("email", f.stem, raw)
        mbox += b"From sender@example.com Mon Jan  1 00:00:00 2024\n" + raw.replace(b"\nFrom ", b"\n>From ") + b"\n"
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        for k, v in msg.items():
            if k.lower() in ("authentication-results", "arc-authentication-results"):
                put("auth_results", f"{f.stem}-{k.lower()}", str(v))
        for n, part in enumerate(msg.walk()):
            body = part.get_payload(decode=True)
            if not body:
                continue
            ct = part.get_content_type()
            name = (part.get_filename() or "").lower()
            if ct == "text/html" or name.endswith(".html"):
                put("html", f"{f.stem}-{n}", body)
            elif ct == "application/pdf" or name.endswith(".pdf"):
                put("pdf", f"{f.stem}-{n}", body)
            elif "zip" in ct or name.endswith(".zip"):
                put("zip", f"{f.stem}-{n}", body)
            elif ct.startswith("image/"):
                put("qr", f"{f.stem}-{n}", body)
    put("mbox", "all", mbox)
    server_seeds()
    put("mbox", "empty-lines", b"From a\n\nFrom b\nx\n")
    import qrcode  # only for the image seeds
    for i, text in enumerate(["https://amaz0n-seller.cn/verify", "WIFI:S:x;T:WPA;P:y;;"]):
        img = qrcode.make(text)
        for fmt in ("PNG", "GIF", "JPEG"):
            b = io.BytesIO()
            img.convert("L").save(b, fmt)
            put("qr", f"q{i}.{fmt.lower()}", b.getvalue())


if __name__ == "__main__":
    main()
