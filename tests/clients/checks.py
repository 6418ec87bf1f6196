"""What the client-driven test scripts share: counted checks, AWS error codes from boto3, free
loopback ports, and starting `cognate serve` on a fresh data directory."""

import collections
import os
import re
import socket
import subprocess
import sys
import threading

from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Results:
    passed = 0
    failed = 0


def check(description, condition):
    if condition:
        Results.passed += 1
        print(f"ok   {description}")
    else:
        Results.failed += 1
        print(f"FAIL {description}")
    sys.stdout.flush()


def node_checks(script, settings, timeout=300):
    """Runs a Node client script that prints "ok …" / "FAIL …" lines, counting them here."""
    import json
    done = subprocess.run(["node", os.path.join(HERE, script), json.dumps(settings)], cwd=HERE, capture_output=True, text=True, timeout=timeout)
    for line in done.stdout.splitlines():
        print(line)
        if line.startswith("ok   "):
            Results.passed += 1
        elif line.startswith("FAIL "):
            Results.failed += 1
    if done.returncode != 0:
        print(done.stderr[-4000:])
        check(f"{script} ran to its end", False)


def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(env=None):
    """moto's server mode on a free loopback port, once it answers: (process, port)."""
    import time
    import urllib.request
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return moto, port


def build_binary():
    subprocess.run(["cargo", "build", "--quiet", "--bin", "cognate"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "debug", "cognate")


def start_server(binary, data_dir, port, extra_args=(), env=None, drain=True):
    """Starts `cognate serve`; returns (process, banner text, access key id, secret). Unless
    `drain` is false (the caller reads the log itself), the log is read on and dropped."""
    env = env if env is not None else {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir, *extra_args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    banner = []
    for line in server.stdout:
        banner.append(line)
        if "cognate listening on" in line:
            break
    text = "".join(banner)
    # The server logs a line a request: read on, or a full pipe would stop it mid-test.
    if drain:
        threading.Thread(target=lambda: collections.deque(server.stdout, maxlen=200), daemon=True).start()
    key_id = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", text)
    secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", text)
    return server, text, key_id.group(1) if key_id else None, secret.group(1) if secret else None


class OidcProvider:
    """The third-party provider: signs users in through its own endpoints and hands back the
    ID tokens it issued."""

    def __init__(self, port, client_id, client_secret, extra_redirects=()):
        self.process = subprocess.Popen(
            ["node", os.path.join(HERE, "oidc_provider.mjs"), str(port), client_id, client_secret, ",".join(extra_redirects)],
            cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("ready "):
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        self.issuer = line.split(" ", 1)[1]

    def id_token(self, user):
        self.process.stdin.write(user + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()
        if not line.startswith("token "):
            raise RuntimeError(f"the OIDC provider did not sign {user} in: {line}")
        return line.split(" ", 1)[1]

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
