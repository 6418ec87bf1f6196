#!/usr/bin/env python3
"""The release artifacts, as far as this machine allows: the static Linux binary (musl) is built
by the documented command's target, has no dynamic loader, starts, answers /health, and its
`health` subcommand reports the server up and then down; the Dockerfile passes hadolint; the
systemd unit passes `systemd-analyze verify`. Prints 'N passed, N failed'."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

from checks import ROOT, Results, check, free_port

TARGET = "x86_64-unknown-linux-musl"


def program_header_types(path):
    """The p_type of every program header of a 64-bit little-endian ELF file."""
    with open(path, "rb") as binary:
        head = binary.read(64)
        if head[:4] != b"\x7fELF":
            return None
        offset = struct.unpack_from("<Q", head, 0x20)[0]
        size, count = struct.unpack_from("<HH", head, 0x36)
        binary.seek(offset)
        table = binary.read(size * count)
    return [struct.unpack_from("<I", table, index * size)[0] for index in range(count)]


def main():
    # The README's release command is `cargo build --release --target x86_64-unknown-linux-musl`;
    # the check builds the same target in the dev profile (it shares the build cache and takes
    # minutes less), which links the same way.
    subprocess.run(["cargo", "build", "--quiet", "--target", TARGET, "--bin", "cognate"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", TARGET, "debug", "cognate")
    types = program_header_types(binary)
    # A static-PIE keeps a PT_DYNAMIC for relocating itself; what it must not have is a
    # PT_INTERP, the dynamic loader (and with it the host's libc) it would need to start.
    PT_INTERP = 3
    check(f"the musl binary is a static ELF executable: no program interpreter ({types})", types is not None and PT_INTERP not in types)

    work = tempfile.mkdtemp(prefix="cognate-packaging-")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
    env.update({"COGNATE_LISTEN": f"127.0.0.1:{port}", "COGNATE_DATA_DIR": os.path.join(work, "data"), "COGNATE_LOG": "warn"})
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = ""
        for line in server.stdout:
            banner += line
            if "cognate listening on" in line:
                break
        check("the static binary starts and prints its root credentials once", "AWS_ACCESS_KEY_ID=" in banner and "cognate listening on" in banner)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).read()
        check(f"it answers /health ({body!r})", body == b'{"status":"ok"}')
        up = subprocess.run([binary, "health"], env=env, capture_output=True, text=True, timeout=20)
        check(f"`cognate health` says the server is up (exit {up.returncode})", up.returncode == 0)
    finally:
        server.terminate()
        server.wait(timeout=15)
    down = subprocess.run([binary, "health"], env=env, capture_output=True, text=True, timeout=20)
    check(f"and down once it stopped (exit {down.returncode}: {down.stderr.strip()[:120]})", down.returncode == 1 and "health" in down.stderr)

    lint = subprocess.run(["hadolint", os.path.join(ROOT, "Dockerfile")], capture_output=True, text=True)
    check(f"hadolint passes the Dockerfile ({lint.stdout.strip()[:300]})", lint.returncode == 0)
    with open(os.path.join(ROOT, "Dockerfile")) as dockerfile:
        text = dockerfile.read()
    check("the image runs as a non-root user, with a data volume and a health check",
          "USER 65532" in text and 'VOLUME ["/data"]' in text and 'HEALTHCHECK' in text and '"/cognate", "health"' in text)

    with open(os.path.join(ROOT, "packaging", "cognate.service")) as unit_file:
        unit = unit_file.read()
    installed = os.path.join(work, "cognate.service")
    with open(installed, "w") as copy:
        copy.write(unit.replace("/usr/local/bin/cognate", binary))
    verify = subprocess.run(["systemd-analyze", "verify", installed], capture_output=True, text=True)
    complaints = [line for line in (verify.stdout + verify.stderr).splitlines() if line.strip()]
    check(f"systemd-analyze verify passes the unit ({complaints[:3]})", verify.returncode == 0 and not complaints)
    check("the unit runs hardened, as a user of its own", all(option in unit for option in (
        "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectoryMode=0700", "CapabilityBoundingSet=\n")))
    shutil.rmtree(work, ignore_errors=True)
    print(f"packaging: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
