#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on loopback for the tests: every message it receives is appended
to a JSON-lines file. Usage: smtp_sink.py PORT FILE [CERT KEY USER PASSWORD] — with the four
extra arguments it speaks SMTPS (TLS from the first byte) and requires AUTH with that user and
password. Prints 'ready' once it listens."""

import json
import sys
import time
from email import message_from_bytes

import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        record = {
            "user": getattr(session, "cognate_login", None),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": message.get("Subject", ""),
            "body": message.get_payload(decode=True).decode("utf-8", "replace"),
        }
        with open(self.path, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


class Authenticator:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user and auth_data.password == self.password
        if ok:
            session.cognate_login = auth_data.login.decode()
        return AuthResult(success=ok, handled=False)


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    if len(sys.argv) == 7:
        cert, key, user, password = sys.argv[3:7]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        controller = Controller(Sink(path), hostname="127.0.0.1", port=port, ssl_context=context,
                                authenticator=Authenticator(user, password), auth_require_tls=False,
                                server_hostname="localhost")
    else:
        controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
