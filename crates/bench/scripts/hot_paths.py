"""The hot paths of two builds measured in one run: refresh (InitiateAuth REFRESH_TOKEN_AUTH),
GetId + GetCredentialsForIdentity, and Cognito Sync's UpdateRecords, each through `cognate-load`
against a `cognate serve` on SQLite, the builds taking turns round by round.

python3 hot_paths.py BEFORE_DIR AFTER_DIR [--rounds 3] [--seconds 10] [--concurrency 8]
(each DIR holds a release `cognate` and `cognate-load`). Prints every round's figures, then the
median per build and after/before as a ratio."""
import argparse, os, re, statistics, subprocess, tempfile

import cognate_server

parser = argparse.ArgumentParser()
parser.add_argument("before")
parser.add_argument("after")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--seconds", type=int, default=10)
parser.add_argument("--concurrency", type=int, default=8)
parser.add_argument("--only", choices=["refresh", "identity", "sync"], help="measure one path only")
options = parser.parse_args()

RATE = re.compile(r"([0-9.]+) (?:req|pairs)/s, p50 ([0-9.]+) ms, p99 ([0-9.]+) ms")


def load(build, key, secret, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    output = subprocess.run([os.path.join(build, "cognate-load"), *args], env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if RATE.search(line) and ("UpdateRecords" in line or "GetId" in line or "InitiateAuth" in line))
    rate, p50, p99 = map(float, RATE.search(line).groups())
    return rate, p50, p99


def measure(build):
    data_dir = tempfile.mkdtemp()
    seeded = subprocess.run(
        [os.path.join(build, "cognate-load"), "seed", "--database-url", f"sqlite://{data_dir}/cognate.db", "--users", "1000"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    pool, client = seeded[0], seeded[1]
    server, port, key, secret = cognate_server.start(os.path.join(build, "cognate"), True, data_dir)
    endpoint = f"http://127.0.0.1:{port}"
    common = ["--endpoint", endpoint, "--concurrency", str(options.concurrency), "--seconds", str(options.seconds)]
    figures = {}
    try:
        if options.only in (None, "refresh"):
            figures["refresh"] = load(build, key, secret, "run", *common, "--target", "InitiateAuth",
                       "--refresh-from", f"{client}:user0000001:Bench-Pass-123",
                       "--body", '{"ClientId":"%s","AuthFlow":"REFRESH_TOKEN_AUTH","AuthParameters":{"REFRESH_TOKEN":"{refresh}"}}' % client)
        if options.only in (None, "identity"):
            figures["GetId+GetCredentialsForIdentity"] = load(build, key, secret, "identity", *common, "--pool", pool, "--client", client, "--users", "200")
        if options.only in (None, "sync"):
            figures["UpdateRecords"] = load(build, key, secret, "sync", *common, "--writes", "50")
    finally:
        server.terminate()
        server.wait()
    return figures


results = {options.before: [], options.after: []}
for round_index in range(options.rounds):
    for build in (options.before, options.after):
        figures = measure(build)
        results[build].append(figures)
        print(f"round {round_index + 1} {build}: " + "; ".join(f"{name} {rate:.0f}/s p50 {p50:.2f} ms p99 {p99:.2f} ms" for name, (rate, p50, p99) in figures.items()), flush=True)

print()
for name in results[options.before][0]:
    before = statistics.median(figures[name][0] for figures in results[options.before])
    after = statistics.median(figures[name][0] for figures in results[options.after])
    before_p50 = statistics.median(figures[name][1] for figures in results[options.before])
    after_p50 = statistics.median(figures[name][1] for figures in results[options.after])
    print(f"{name}: before {before:.0f}/s (p50 {before_p50:.2f} ms), after {after:.0f}/s (p50 {after_p50:.2f} ms), after/before {after / before:.3f}")
