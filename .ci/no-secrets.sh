#!/usr/bin/env bash
# Fails if a secret the tests use appears, in any of the forms it could leak in, in the
# given files: a run's whole output (server logs at debug level included), the database
# files, Playwright traces (zip files are searched inside).
#
#   .ci/no-secrets.sh [--key FILE] [--extra FILE] [--typed-ok] FILE...
#   .ci/no-secrets.sh --self-test
#
# The secrets: the peers' client secret and SMTP password, the fixed sign-in tokens, the
# test PostgreSQL's password and the sealing key the instances on it share
# (tests/peers/secrets.json, the one file the tests read them from), the sealing key
# (--key: the key file of the run's database), secrets generated during the run, one per
# line (--extra: the relay passwords, the webhook signing secrets and the PKCS#12
# password the tests created), any session cookie value, any JWT (a client assertion is
# one), any private key: a PEM block with its content, or the base64 of an RSA key's
# DER (PKCS#8 or PKCS#1) without armour.
# The forms: as typed; base64 at each of the three alignments (an AUTH PLAIN, AUTH LOGIN
# or XOAUTH2 payload carries a secret somewhere inside a base64 blob), URL-safe base64;
# percent-encoded (a form body: `~` is `%7E`), upper and lower case; hex; a Rust byte
# list; the sealing key's raw bytes.
# --typed-ok: for files that record what the tests typed and the requests the browser
# sent (traces): the secrets as typed, the sign-in token in the login URL and the
# session cookie are expected there; every other form, and any JWT, is still a leak.
# A file that cannot be read fails the scan.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 - "$here/../tests/peers/secrets.json" "$@" <<'PY'
import base64, json, os, re, sys, tempfile, zipfile
from urllib.parse import quote, quote_plus

secrets_file, *args = sys.argv[1:]
with open(secrets_file, encoding="utf-8") as f:
    TEST_SECRETS = json.load(f)

def b64_fragments(data: bytes):
    """What base64 of `data` looks like inside any longer base64 text: for each of the
    three alignments, the characters that depend on `data` alone."""
    out = set()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + data).decode().rstrip("=")
            start = 0 if shift == 0 else 4
            inner = text[start:len(text) - 3]
            if len(inner) >= 8:
                out.add(inner)
    return out

def form_encode(secret: str) -> str:
    """application/x-www-form-urlencoded as browsers and reqwest write it: only letters,
    digits and `*-._` stay (so `~` becomes `%7E`, unlike Python's own quote)."""
    return "".join(
        chr(b) if chr(b).isalnum() and b < 128 or chr(b) in "*-._" else "+" if b == 32 else f"%{b:02X}"
        for b in secret.encode()
    )

def forms(secret: str):
    data = secret.encode()
    found = {secret}
    found |= b64_fragments(data)
    for q in (quote(secret, safe=""), quote_plus(secret), form_encode(secret)):
        found.add(q)
        found.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), q))
    found.add(data.hex())
    found.add(data.hex().upper())
    found.add(", ".join(str(b) for b in data))
    return found

# A JWT: a JSON header and a JSON payload, each base64url ("eyJ" is `{"`), then a dot. (A
# server's base64 JSON error challenge alone, as IMAP and SMTP send after a refused
# token, is not one.)
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}")
COOKIE = re.compile(rb"smtp_setup_session=[A-Za-z0-9_-]{20,}")
# A private key: a PEM block with content (also inside JSON, where a line break is
# written `\n`), or the base64 DER of an RSA key (PKCS#8: "MIIEv…IBADANBgkqhkiG9w0BAQEF";
# PKCS#1: "MIIEp…IBAAKCAQEA") whatever its armour. A certificate is neither.
PRIVATE_KEY = re.compile(
    rb"-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----(?:\\[rn]|\s)*[A-Za-z0-9+/]{16}"
    rb"|MII[A-Za-z0-9+/]{3}IBADANBgkqhkiG9w0BAQEF"
    rb"|MII[A-Za-z0-9+/]{3}IBAAKCA[QgY]EA"
)
# An XOAUTH2 payload: base64 of "auth=Bearer " at any alignment.
XOAUTH2 = b64_fragments(b"\x01auth=Bearer ")

def needles(key_file, typed_ok, extra_file=None):
    """(label, bytes) pairs to search for."""
    out = []
    secrets = dict(TEST_SECRETS)
    if extra_file:
        with open(extra_file, encoding="utf-8") as f:
            for n, line in enumerate(f):
                if line.strip():
                    secrets[f"a generated secret ({os.path.basename(extra_file)} line {n + 1})"] = line.strip()
    for name, value in secrets.items():
        for form in forms(value):
            if typed_ok and form == value:
                continue
            out.append((name, form.encode()))
    for form in XOAUTH2:
        out.append(("an XOAUTH2 payload", form.encode()))
    keys = [("the sealing key", open(key_file, encoding="ascii").read().strip())] if key_file else []
    # The SMTP_SETUP_KEY the instances on PostgreSQL share in the tests.
    keys.append(("the shared sealing key", TEST_SECRETS["sharedSealingKey"]))
    for label, text in keys:
        raw = base64.b64decode(text)
        out.append((label, text.encode()))
        out.append((f"{label} (raw bytes)", raw))
        out.append((f"{label} (hex)", raw.hex().encode()))
    return out

def contents(path):
    """The bytes of `path`, or of each member when it is a zip file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                yield f"{path}:{member}", archive.read(member)
    else:
        yield path, data

def scan(paths, key_file=None, typed_ok=False, extra_file=None):
    searched = needles(key_file, typed_ok, extra_file)
    leaks = []
    for path in paths:
        try:
            for where, data in contents(path):
                for label, needle in searched:
                    if needle in data:
                        leaks.append(f"{where}: {label} ({needle[:6].decode(errors='replace')}…)")
                if JWT.search(data):
                    leaks.append(f"{where}: a JWT")
                if not typed_ok and COOKIE.search(data):
                    leaks.append(f"{where}: a session cookie value")
                # A key the test typed (pasted) is expected in its trace.
                if not typed_ok and PRIVATE_KEY.search(data):
                    leaks.append(f"{where}: a private key")
        except OSError as error:
            leaks.append(f"{path}: cannot be read ({error})")
    return leaks

def self_test():
    """Every form of every secret makes the scan fail; a clean file passes."""
    secret, password = TEST_SECRETS["clientSecret"], TEST_SECRETS["smtpPassword"]
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"
    key = base64.b64encode(bytes(range(32))).decode()
    leaks = {
        "raw client secret": f"detail: {secret}",
        "AUTH PLAIN payload": "C: AUTH PLAIN " + base64.b64encode(f"\0relay@x\0{password}".encode()).decode(),
        "AUTH LOGIN password line": "C: " + base64.b64encode(password.encode()).decode(),
        "XOAUTH2 payload": base64.b64encode(f"user=a@b.c\x01auth=Bearer {token}\x01\x01".encode()).decode(),
        "form body": "client_id=x&client_secret=" + form_encode(secret) + "&scope=y",
        "hex": secret.encode().hex(),
        "byte list": f"[{', '.join(str(b) for b in secret.encode())}]",
        "admin token": "sign in at http://x/login?token=" + TEST_SECRETS["e2eAdminToken"],
        "session cookie": "cookie: smtp_setup_session=" + "A" * 43,
        "JWT": f"token {token}",
        "sealing key": f"key {key}",
        "PEM private key": "{\"key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\\n\"}",
        "bare PKCS#8 key": "sealed MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7",
        "bare PKCS#1 key": "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    }
    with tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "app.key")
        open(key_file, "w").write(key + "\n")
        failures = []
        for name, text in leaks.items():
            path = os.path.join(tmp, "leak")
            open(path, "w").write(f"before\n{text}\nafter\n")
            if not scan([path], key_file):
                failures.append(f"{name} was not found")
            zipped = os.path.join(tmp, "trace.zip")
            with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("trace.network", f"before {text} after")
            typed = ("raw client secret", "admin token", "session cookie", "PEM private key",
                     "bare PKCS#8 key", "bare PKCS#1 key")
            if name not in typed and not scan([zipped], key_file, typed_ok=True):
                failures.append(f"{name} was not found inside a zip file")
        extra = os.path.join(tmp, "extra")
        open(extra, "w").write("Relay-password-0123456789abcdef\n")
        relay_leak = os.path.join(tmp, "relay")
        plain = base64.b64encode(b"\0erp\0Relay-password-0123456789abcdef").decode()
        open(relay_leak, "w").write(f"C: AUTH PLAIN {plain}\n")
        if not scan([relay_leak], key_file, extra_file=extra):
            failures.append("a generated secret (--extra) was not found")
        clean = os.path.join(tmp, "clean")
        open(clean, "w").write(
            "S: 235 2.7.0 Authentication successful\nC: [redacted]\n"
            "S: + eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\n"
            "hint: Its private key (PEM, unencrypted: -----BEGIN PRIVATE KEY-----). Sealed\n"
            "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIUJ6Vx1Jc0wDQYJKoZIhvcNAQELBQAwEjEQMA4GA1UEAwwH\n"
            "-----END CERTIFICATE-----\n"
        )
        if scan([clean], key_file):
            failures.append(f"a clean file was refused: {scan([clean], key_file)}")
        if not scan([os.path.join(tmp, "missing")], key_file):
            failures.append("a missing file passed")
        if not scan([tmp], key_file):
            failures.append("a directory given as a file passed")
    if failures:
        print("no-secrets self-test FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"no-secrets self-test: all {len(leaks)} forms found, a clean file passes, unreadable files fail")
    return 0

if args == ["--self-test"]:
    sys.exit(self_test())
key_file, extra_file, typed_ok, paths = None, None, False, []
while args:
    arg = args.pop(0)
    if arg == "--key":
        key_file = args.pop(0)
    elif arg == "--extra":
        extra_file = args.pop(0)
    elif arg == "--typed-ok":
        typed_ok = True
    else:
        paths.append(arg)
if not paths:
    print("usage: .ci/no-secrets.sh [--key FILE] [--extra FILE] [--typed-ok] FILE... | --self-test", file=sys.stderr)
    sys.exit(2)
leaks = scan(paths, key_file, typed_ok, extra_file)
for leak in leaks:
    print(f"no-secrets: {leak}", file=sys.stderr)
if leaks:
    sys.exit(1)
print(f"no-secrets: no secret in any form in {len(paths)} file(s)")
PY
