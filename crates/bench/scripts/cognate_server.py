"""Starts a `cognate serve` on a free loopback port with a fresh data directory, for the
measurement scripts beside this file; answers the process, base URL and root key pair."""
import os, socket, subprocess, tempfile


def start(binary, limits_off, data_dir=None):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir or tempfile.mkdtemp()]
    if limits_off:
        args += ["--rate-limit-per-address", "0", "--rate-limit-per-client", "0"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "COGNATE_LOG": "error"})
    key = secret = None
    for line in process.stdout:
        line = line.decode()
        if "AWS_ACCESS_KEY_ID=" in line:
            key = line.split("=", 1)[1].strip()
        if "AWS_SECRET_ACCESS_KEY=" in line:
            secret = line.split("=", 1)[1].strip()
        if "listening" in line:
            break
    return process, port, key, secret
