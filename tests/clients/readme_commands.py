"""Every shell block of README.md outside "From nothing to AWS credentials" (which
readme_newcomer.py runs) is either marked `<!-- run -->` and run here as written, or marked
`<!-- not run: reason -->` with the test that covers it instead; a block with neither mark fails.

The marked blocks run in README order as one bash script (errexit, nounset, pipefail) in an empty
directory, against `cognate serve` on `./cognate-data` (the port from COGNATE_LISTEN), after what
their prose assumes: the shell pointed at the server (`cognate env`), a pool `$POOL` with an app
client `$CLIENT`, and the newcomer section's `trust.json` and `own-datasets.json`, taken from the
README itself."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import ROOT, Results, build_binary, check, free_port  # noqa: E402

BLOCK = re.compile(r"(?:<!-- ([^>]*?) -->\n)?```sh\n(.*?)```", flags=re.S)


def blocks():
    """(mark, text) of each shell block, the mark None when there is none."""
    return [(mark, text) for mark, text in BLOCK.findall(open(os.path.join(ROOT, "README.md")).read())]


def main():
    binary = build_binary()
    found = blocks()
    unmarked = [text.splitlines()[0] for mark, text in found if not mark]
    check(f"every shell block of README.md says whether it is run ({len(found)} blocks; unmarked: {unmarked})", not unmarked)
    reasons = [mark for mark, _ in found if mark.startswith("not run")]
    check("each block not run says why", all(len(mark) > len("not run: ") + 20 for mark in reasons))
    run = [text for mark, text in found if mark == "run"]
    check(f"README.md has the blocks this script runs ({len(run)})", len(run) >= 7)
    readme = open(os.path.join(ROOT, "README.md")).read()
    policy_files = re.findall(r"(cat > (?:trust|own-datasets)\.json <<'JSON'\n.*?\nJSON\n)", readme, flags=re.S)
    check("the newcomer section's trust.json and own-datasets.json are found", len(policy_files) == 2)

    work = tempfile.mkdtemp(prefix="cognate-readme-")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COGNATE_", "AWS_"))}
    env.update({
        "PATH": os.path.dirname(binary) + os.pathsep + env.get("PATH", ""),
        "COGNATE_LISTEN": f"127.0.0.1:{port}",
        "COGNATE_LOG": "warn",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    assumed = "\n".join([
        "cognate serve > server.log 2>&1 &",
        "until cognate health; do sleep 0.2; done",
        'eval "$(cognate env)"',
        "POOL=$(aws cognito-idp create-user-pool --pool-name readme --query UserPool.Id --output text)",
        "CLIENT=$(aws cognito-idp create-user-pool-client --user-pool-id $POOL --client-name readme --query UserPoolClient.ClientId --output text)",
        "aws cognito-idp admin-create-user --user-pool-id $POOL --username invited@example.com "
        "--user-attributes Name=email,Value=invited@example.com > /dev/null",
        *policy_files,
    ])
    steps = [f'echo "=== README block {number}"\n{text}' for number, text in enumerate(run, 1)]
    script = "set -euo pipefail\n" + assumed + "\n" + "\n".join(steps) + "\nkill %1\necho '=== all README blocks ran'\n"
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
    print(output[-8000:])
    rotated = output.split("=== README block 1")[-1].split("=== README block 2")[0]
    check(f"every run block ran without an error (exit {process.returncode})", process.returncode == 0 and "=== all README blocks ran" in output)
    check(f"the signing keys were rotated ({rotated.strip()[:200]})", "kid" in rotated.lower())
    check("the outbox showed the invitation", "invited@example.com" in output)
    check("the export and the import into a new data directory ran", os.path.exists(os.path.join(work, "cognate.jsonl")) and os.path.isdir(os.path.join(work, "new-data")))
    check("the AWS CLI walkthrough signed alice in and read the pool's keys",
          '"AccessToken"' in output and "bob is gone" in output and '"keys"' in output)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    sys.exit(1 if Results.failed else 0)


if __name__ == "__main__":
    main()
