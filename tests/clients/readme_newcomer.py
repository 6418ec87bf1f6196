"""README's "From nothing to AWS credentials", run as written: every shell block marked
`<!-- newcomer -->` is taken from README.md, in order, and run as one bash script (errexit,
nounset, pipefail) in an empty directory with `cognate` on the PATH, the AWS CLI, curl, PyJWT
and Node with aws-jwt-verify. The port comes from the environment (COGNATE_LISTEN), so the
commands stay the README's own. Then the script's output must show each step's result."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import HERE, ROOT, Results, build_binary, check, free_port  # noqa: E402


def newcomer_blocks():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"<!-- newcomer -->\n```sh\n(.*?)```", text, flags=re.S)


def main():
    binary = build_binary()
    blocks = newcomer_blocks()
    check(f"README.md has the newcomer's blocks ({len(blocks)})", len(blocks) >= 6)
    work = tempfile.mkdtemp(prefix="cognate-newcomer-")
    # The Node example imports aws-jwt-verify, installed with the other client libraries.
    os.symlink(os.path.join(HERE, "node_modules"), os.path.join(work, "node_modules"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COGNATE_", "AWS_"))}
    env.update({
        "PATH": os.path.dirname(binary) + os.pathsep + env.get("PATH", ""),
        "COGNATE_LISTEN": f"127.0.0.1:{port}",
        "COGNATE_LOG": "warn",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    script = "set -euo pipefail\n" + "\n".join(blocks)
    process = subprocess.Popen(["bash", "-c", script], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    print(output[-6000:])
    check(f"every command of the section ran without an error (exit {process.returncode})", process.returncode == 0)
    check("sign-up said a code went out by email", '"DeliveryMedium": "EMAIL"' in output)
    check("the call with the temporary credentials reached the identity's datasets", '"Datasets": []' in output)
    check("PyJWT verified the ID token", "PyJWT verified the ID token of ann@example.com" in output)
    check("aws-jwt-verify's JwtVerifier verified it", "aws-jwt-verify verified the ID token of ann@example.com" in output)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    sys.exit(1 if Results.failed else 0)


if __name__ == "__main__":
    main()
