#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on loopback for the tests: every message it receives is appended
to a JSON-lines file. Usage: smtp_sink.py PORT FILE. Prints 'ready' once it listens."""

import json
import sys
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": message.get("Subject", ""),
            "body": message.get_payload(decode=True).decode("utf-8", "replace"),
        }
        with open(self.path, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
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
