#!/usr/bin/env python3
"""An application sending through the relay, with Python's own smtplib.

Each of --clients threads opens one connection (STARTTLS unless --plain, AUTH with
--mechanism, and only it, when --user is given) and sends --count messages over it.
A client that fails other than by an SMTP reply (TLS, a dropped connection) makes the
run exit 1. Prints one JSON line per message:
{"client": c, "n": i, "ok": true, "reply": "..."} or {"ok": false, "code": 530, "reply": "..."}.
The password comes from the RELAY_PASSWORD environment variable, never the command line.
"""
import argparse
import json
import os
import smtplib
import ssl
import sys
import threading
import time
import uuid
from email.message import EmailMessage


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cafile")
    p.add_argument("--plain", action="store_true", help="no STARTTLS")
    p.add_argument("--ssl", action="store_true", help="TLS from the first byte (port 465 style)")
    p.add_argument("--no-check-hostname", action="store_true",
                   help="trust --cafile's certificate whatever name --host has")
    p.add_argument("--user")
    p.add_argument("--mechanism", default="PLAIN", choices=["PLAIN", "LOGIN"])
    p.add_argument("--mail-from", required=True)
    p.add_argument("--header-from")
    p.add_argument("--header-to", help="the To header as written (default: the --to list)")
    p.add_argument("--header", action="append", default=[], help="another header, 'Name: value'")
    p.add_argument("--subject", help="the Subject, as text (default: --tag and the count)")
    p.add_argument("--to", action="append", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--size", type=int, default=0, help="body bytes")
    p.add_argument("--tag", default="relay-test")
    return p.parse_args()


lock = threading.Lock()


def emit(record):
    with lock:
        print(json.dumps(record), flush=True)


def message(args, client, n):
    msg = EmailMessage()
    msg["From"] = args.header_from or args.mail_from
    msg["To"] = args.header_to or ", ".join(args.to)
    # The email package writes a non-ASCII subject as RFC 2047 encoded words.
    msg["Subject"] = args.subject or f"{args.tag} {client}-{n}"
    for header in args.header:
        name, value = header.split(":", 1)
        msg[name.strip()] = value.strip()
    msg["Message-ID"] = f"<{args.tag.replace(' ', '-')}-{client}-{n}-{uuid.uuid4().hex}@relay.test>"
    body = f"client {client} message {n}\n"
    if args.size:
        line = "0123456789" * 7 + "\n"
        body += (line * (args.size // len(line) + 1))[: args.size]
    msg.set_content(body)
    return msg


def run_client(args, client):
    try:
        context = ssl.create_default_context(cafile=args.cafile)
        context.check_hostname = not args.no_check_hostname
        if args.ssl:
            smtp = smtplib.SMTP_SSL(args.host, args.port, timeout=60, context=context)
            smtp.ehlo("relay-client.test")
        else:
            smtp = smtplib.SMTP(args.host, args.port, timeout=60)
            smtp.ehlo("relay-client.test")
            if not args.plain:
                smtp.starttls(context=context)
                smtp.ehlo("relay-client.test")
        if args.user:
            # The one mechanism asked for, and only it: smtplib's login() would quietly
            # try LOGIN after a refused PLAIN, and a broken PLAIN would go unseen.
            smtp.user = args.user
            smtp.password = os.environ.get("RELAY_PASSWORD", "")
            if args.mechanism == "LOGIN":
                code, reply = smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
            else:
                code, reply = smtp.auth("PLAIN", smtp.auth_plain)
            if code != 235:
                raise smtplib.SMTPAuthenticationError(code, reply)
    except smtplib.SMTPResponseException as e:
        emit({"client": client, "n": 0, "ok": False, "code": e.smtp_code,
              "reply": e.smtp_error.decode(errors="replace")})
        return
    for n in range(args.count):
        try:
            msg = message(args, client, n)
            started = time.perf_counter()
            smtp.send_message(msg, from_addr=args.mail_from, to_addrs=args.to)
            emit({"client": client, "n": n, "ok": True,
                  "ms": (time.perf_counter() - started) * 1000,
                  "message_id": msg["Message-ID"],
                  "reply": smtp.last_data_reply if hasattr(smtp, "last_data_reply") else ""})
        except smtplib.SMTPRecipientsRefused as e:
            code, reply = next(iter(e.recipients.values()))
            emit({"client": client, "n": n, "ok": False, "code": code,
                  "reply": reply.decode(errors="replace")})
        except smtplib.SMTPResponseException as e:
            emit({"client": client, "n": n, "ok": False, "code": e.smtp_code,
                  "reply": e.smtp_error.decode(errors="replace")})
    try:
        smtp.quit()
    except smtplib.SMTPException:
        pass


class KeepsDataReply:
    """smtplib keeps no reply to the final dot; this keeps it for the test."""

    def data(self, msg):
        code, reply = super().data(msg)
        self.last_data_reply = f"{code} {reply.decode(errors='replace')}"
        return code, reply


class RecordingSMTP(KeepsDataReply, smtplib.SMTP):
    pass


class RecordingSMTPSSL(KeepsDataReply, smtplib.SMTP_SSL):
    pass


smtplib.SMTP = RecordingSMTP
smtplib.SMTP_SSL = RecordingSMTPSSL


failures = []


def client_thread(args, client):
    try:
        run_client(args, client)
    except BaseException as e:  # a TLS error, a dropped connection: the run failed
        with lock:
            failures.append(f"client {client}: {type(e).__name__}: {e}")


def main():
    args = parse_args()
    threads = [threading.Thread(target=client_thread, args=(args, c)) for c in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
