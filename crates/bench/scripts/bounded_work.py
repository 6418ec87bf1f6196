"""Under a flood of sign-ins for unknown users: /health and GetUser latency; then how many
slow-header and idle sockets are still open after 15 s, and how long SIGTERM takes with a
half-sent request open. Against a release binary on loopback.

python3 bounded_work.py BINARY [--new-flags]   (--new-flags: pass the rate-limit-off flags)
"""
import http.client, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import boto3

import cognate_server

server, port, key, secret = cognate_server.start(sys.argv[1], "--new-flags" in sys.argv)
base = f"http://127.0.0.1:{port}"
idp = boto3.client("cognito-idp", endpoint_url=base, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
pool = idp.create_user_pool(PoolName="m")["UserPool"]["Id"]
client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], PreventUserExistenceErrors="ENABLED")["UserPoolClient"]["ClientId"]
idp.admin_create_user(UserPoolId=pool, Username="real", MessageAction="SUPPRESS")
idp.admin_set_user_password(UserPoolId=pool, Username="real", Password="Real-Pass-123", Permanent=True)

def call(conn, target, body):
    conn.request("POST", "/", json.dumps(body), {"content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService." + target})
    response = conn.getresponse(); payload = response.read()
    return response.status, payload

conn = http.client.HTTPConnection("127.0.0.1", port)
status, payload = call(conn, "InitiateAuth", {"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "real", "PASSWORD": "Real-Pass-123"}})
token = json.loads(payload)["AuthenticationResult"]["AccessToken"]

def probe(seconds):
    health, get_user = [], []
    c = http.client.HTTPConnection("127.0.0.1", port)
    end = time.time() + seconds
    while time.time() < end:
        t = time.perf_counter(); c.request("GET", "/health"); c.getresponse().read(); health.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); call(c, "GetUser", {"AccessToken": token}); get_user.append((time.perf_counter() - t) * 1000)
    return health, get_user

def pct(values, q):
    values = sorted(values); return values[min(len(values) - 1, int(len(values) * q))]

health, get_user = probe(3)
print(f"idle: /health p50 {pct(health,.5):.2f} ms p99 {pct(health,.99):.2f}; GetUser p50 {pct(get_user,.5):.2f} ms p99 {pct(get_user,.99):.2f}")

stop = False
counts = {"ok": 0, "shed": 0, "other": 0}
lock = threading.Lock()
def flood(index):
    c = http.client.HTTPConnection("127.0.0.1", port)
    n = 0
    while not stop:
        status, payload = call(c, "InitiateAuth", {"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": f"ghost{index}-{n}", "PASSWORD": "Wrong-Pass-1"}})
        n += 1
        kind = "ok" if b"NotAuthorizedException" in payload else ("shed" if status == 429 else "other")
        with lock: counts[kind] += 1
threads = [threading.Thread(target=flood, args=(i,)) for i in range(16)]
for t in threads: t.start()
time.sleep(1)
health, get_user = probe(8)
stop = True
for t in threads: t.join()
print(f"16 clients signing in as unknown users: /health p50 {pct(health,.5):.2f} ms p99 {pct(health,.99):.2f}; GetUser p50 {pct(get_user,.5):.2f} ms p99 {pct(get_user,.99):.2f}; sign-ins answered {counts}")

# Item 8: 200 slowloris connections and 300 idle sockets; how many are still open after 15 s.
slow = []
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n"); slow.append(s)
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
time.sleep(15)
def still_open(sockets):
    n = 0
    for s in sockets:
        s.setblocking(False)
        try:
            data = s.recv(1)
            if data: n += 1
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n
print(f"after 15 s: {still_open(slow)} of 200 slowloris and {still_open(idle)} of 300 idle sockets still open")
for s in slow + idle: s.close()
# SIGTERM with a half-sent request.
half = socket.create_connection(("127.0.0.1", port)); half.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
time.sleep(0.2)
t = time.time(); server.send_signal(signal.SIGTERM)
try:
    server.wait(timeout=60); print(f"SIGTERM with a half-sent request: exited after {time.time()-t:.2f} s")
except subprocess.TimeoutExpired:
    print("SIGTERM with a half-sent request: still running after 60 s"); server.kill()
