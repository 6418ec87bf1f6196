#!/usr/bin/env python3
"""The SigV4 gateway driven by boto3 against the real binary, in front of a real S3 and DynamoDB
(moto's server mode) behind a recording proxy, and an HTTP API (a small echo server): guest
identities of an identity pool reach their own `private/<identity id>/` prefix and their own
DynamoDB items and no one else's; ListBucket is limited by `s3:prefix`; a multipart upload of
tens of megabytes, presigned GETs, signed and unsigned aws-chunked uploads (with a tampered
chunk); IAM users' keys; what the upstream receives (its own key, never the client's); and the
access log. Prints 'N passed, N failed'."""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
from boto3.s3.transfer import TransferConfig

from checks import Results, build_binary, check, error_code, free_port, start_moto, start_server

REGION = "us-east-1"
ACCOUNT = "000000000000"
BUCKET = "app-files"
TABLE = "notes"
UPSTREAM_KEY, UPSTREAM_SECRET = "UPSTREAMKEYID", "upstream/secret+key"
S3_CONFIG = botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1})
CONFIG = botocore.config.Config(retries={"max_attempts": 1})
# The domain of virtual-hosted S3 requests (`<bucket>.<domain>`): sent to 127.0.0.1 with that Host.
S3_DOMAIN = "s3.cognate.test"


class Recorder(BaseHTTPRequestHandler):
    """A proxy in front of moto that remembers the headers of every request it forwards."""

    upstream_port = None
    seen = []
    broken = []
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        Recorder.seen.append({name.lower(): value for name, value in self.headers.items()})
        connection = http.client.HTTPConnection("127.0.0.1", Recorder.upstream_port, timeout=60)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in ("connection",)}
        if len(body) < length:
            # The gateway broke the request off (a body that failed its check): forward nothing.
            Recorder.broken.append(self.path)
            self.close_connection = True
            return
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        # A HEAD answer carries the length of the body a GET would have.
        length = answer.getheader("content-length", "0") if self.command == "HEAD" else str(len(data))
        self.send_header("content-length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


class Echo(BaseHTTPRequestHandler):
    """The HTTP API behind execute-api: answers the path and headers it received."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        data = json.dumps({"path": self.path, "headers": {name.lower(): value for name, value in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sign_key(secret, date, service):
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def raw_put(gateway_port, creds, key, chunks, signed, tamper=False):
    """A PutObject with an aws-chunked body made here: chunk-signed
    (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) or unsigned with a CRC32 trailer."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    data = b"".join(chunks)
    crc = zlib.crc32(data).to_bytes(4, "big")
    import base64
    checksum = base64.b64encode(crc).decode()
    content_sha = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" if signed else "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    headers = {"host": f"127.0.0.1:{gateway_port}", "content-encoding": "aws-chunked", "x-amz-content-sha256": content_sha,
               "x-amz-date": amz_date, "x-amz-decoded-content-length": str(len(data)),
               "x-amz-security-token": creds["SessionToken"]}
    if not signed:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    path = urllib.parse.quote(f"/{BUCKET}/{key}", safe="/~")
    names = sorted(headers)
    canonical = "\n".join(["PUT", path, "", "".join(f"{name}:{headers[name]}\n" for name in names), ";".join(names), content_sha])
    scope = f"{date}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key_bytes = sign_key(creds["SecretKey"], date, "s3")
    seed = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
    body = b""
    previous = seed
    empty = hashlib.sha256(b"").hexdigest()
    for piece in list(chunks) + [b""]:
        if signed:
            chunk_to_sign = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{empty}\n{hashlib.sha256(piece).hexdigest()}"
            previous = hmac.new(key_bytes, chunk_to_sign.encode(), hashlib.sha256).hexdigest()
            sent = piece[:-1] + b"X" if tamper and piece else piece
            body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + sent + b"\r\n"
        elif piece:
            body += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        else:
            body += f"0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={creds['AccessKeyId']}/{scope}, SignedHeaders={';'.join(names)}, Signature={seed}"
    headers["content-length"] = str(len(body))
    connection = http.client.HTTPConnection("127.0.0.1", gateway_port, timeout=30)
    connection.request("PUT", path, body=body, headers=headers)
    answer = connection.getresponse()
    text = answer.read().decode(errors="replace")
    connection.close()
    return answer.status, text


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-gateway-")
    moto, moto_port = start_moto()
    Recorder.upstream_port = moto_port
    recorder, echo = serve(Recorder), serve(Echo)
    recorder_url = f"http://{UPSTREAM_KEY}:{urllib.parse.quote(UPSTREAM_SECRET, safe='')}@127.0.0.1:{recorder.server_port}"
    port, gateway_port = free_port(), free_port()
    server, banner, key_id, secret = start_server(binary, os.path.join(work, "data"), port, drain=False, extra_args=[
        "--gateway-listen", f"127.0.0.1:{gateway_port}", "--gateway-upstream", f"s3={recorder_url}",
        "--gateway-upstream", f"dynamodb={recorder_url}", "--gateway-upstream", f"execute-api:pets1=http://127.0.0.1:{echo.server_port}/v1",
        "--gateway-s3-domain", S3_DOMAIN])
    log_lines = []
    threading.Thread(target=lambda: [log_lines.append(line) for line in server.stdout], daemon=True).start()
    try:
        check("the banner names the gateway and its upstreams", "cognate gateway listening on" in banner and "execute-api:pets1" in banner)
        run(port, gateway_port, key_id, secret, log_lines)
        amplify_storage_over_https(binary, work, recorder_url)
    finally:
        server.terminate()
        server.wait(timeout=10)
        moto.terminate()
        moto.wait(timeout=10)
        recorder.shutdown()
        echo.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print(f"gateway flows: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


def own_prefix_statements(bucket):
    """An identity's own `private/<identity id>/` prefix of `bucket`: its objects, and listing there."""
    sub = "${cognito-identity.amazonaws.com:sub}"
    return [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
         "Resource": f"arn:aws:s3:::{bucket}/private/{sub}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": [f"private/{sub}/", f"private/{sub}/*"]}}},
    ]


def certificate_authority(work):
    """A certificate authority of the test's own and a server certificate it issued for
    127.0.0.1 and localhost (made by the system's openssl): (CA file, certificate, key)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=cognate test authority", "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(work, "server.ext"), "w") as extensions:
        extensions.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "server.ext", "-out", "server.crt")
    return [os.path.join(work, name) for name in ("ca.crt", "server.crt", "server.key")]


def amplify_storage_over_https(binary, work, recorder_url):
    """cognate with --tls-cert/--tls-key on both listeners, and aws-amplify v6 Storage (which
    speaks only https to a custom S3 endpoint) signed in through its user pool and identity pool."""
    tls_work = os.path.join(work, "tls")
    os.makedirs(tls_work)
    ca, cert, key = certificate_authority(tls_work)
    port, gateway_port = free_port(), free_port()
    server, banner, key_id, secret = start_server(binary, os.path.join(tls_work, "data"), port, drain=False, extra_args=[
        "--tls-cert", cert, "--tls-key", key, "--gateway-listen", f"127.0.0.1:{gateway_port}", "--gateway-upstream", f"s3={recorder_url}"])
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    try:
        check("with a certificate both listeners serve https", f"cognate listening on https://127.0.0.1:{port}" in banner
              and f"gateway listening on https://127.0.0.1:{gateway_port}" in banner)
        endpoint = f"https://127.0.0.1:{port}"
        admin = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret, config=CONFIG, verify=ca)
        idp, identity, iam = boto3.client("cognito-idp", **admin), boto3.client("cognito-identity", **admin), boto3.client("iam", **admin)
        bucket = "amplify.files"
        boto3.client("s3", endpoint_url=f"https://127.0.0.1:{gateway_port}", region_name=REGION, config=S3_CONFIG, verify=ca,
                     aws_access_key_id=key_id, aws_secret_access_key=secret).create_bucket(Bucket=bucket)
        pool_id = idp.create_user_pool(PoolName="amplify-storage")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web",
                                                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool_id, Username="stella", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username="stella", Password="Storage-Pass-1", Permanent=True)
        identity_pool = identity.create_identity_pool(IdentityPoolName="amplify_storage", AllowUnauthenticatedIdentities=False, CognitoIdentityProviders=[
            {"ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}", "ClientId": client_id}])["IdentityPoolId"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                 "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]}
        role = iam.create_role(RoleName="amplify-storage-user", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="amplify-storage-user", PolicyName="own-prefix",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": own_prefix_statements(bucket)}))
        identity.set_identity_pool_roles(IdentityPoolId=identity_pool, Roles={"authenticated": role})
        node_env = {**os.environ, "NODE_EXTRA_CA_CERTS": ca}
        amplify = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "storage_amplify.mjs"), endpoint,
                                  f"127.0.0.1:{gateway_port}", pool_id, client_id, "stella", "Storage-Pass-1", identity_pool, bucket],
                                 capture_output=True, text=True, timeout=300, env=node_env)
        print(amplify.stdout + amplify.stderr[-2000:], end="")
        check("aws-amplify v6 Storage (uploadData, multipart, downloadData, list, getProperties, getUrl, remove) works through the https gateway",
              amplify.returncode == 0)
    finally:
        server.terminate()
        server.wait(timeout=10)


def client(service, gateway_port, creds, config=CONFIG):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{gateway_port}", region_name=REGION, config=config,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretKey"],
                        aws_session_token=creds.get("SessionToken"))


def run(port, gateway_port, key_id, secret, log_lines):
    endpoint = f"http://127.0.0.1:{port}"
    root = {"AccessKeyId": key_id, "SecretKey": secret}
    admin = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret, config=CONFIG)
    iam, identity = boto3.client("iam", **admin), boto3.client("cognito-identity", **admin)

    # The root may do anything through the gateway: it makes the bucket and the table.
    root_s3 = client("s3", gateway_port, root, S3_CONFIG)
    root_s3.create_bucket(Bucket=BUCKET)
    root_ddb = client("dynamodb", gateway_port, root)
    root_ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "owner", "AttributeType": "S"}, {"AttributeName": "at", "AttributeType": "N"}],
                          BillingMode="PAY_PER_REQUEST")
    check("the root key creates a bucket and a table through the gateway", BUCKET in [b["Name"] for b in root_s3.list_buckets()["Buckets"]])

    pool_id = identity.create_identity_pool(IdentityPoolName="files", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
             "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id}}}]}
    role = iam.create_role(RoleName="files-guest", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sub = "${cognito-identity.amazonaws.com:sub}"
    iam.put_role_policy(RoleName="files-guest", PolicyName="own-prefix", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        *own_prefix_statements(BUCKET),
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
         "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}",
         "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [sub]}}},
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:pets1/prod/GET/pets/*"},
    ]}))
    identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role})
    guests = []
    for _ in range(2):
        identity_id = identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
        creds = identity.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
        guests.append((identity_id, creds))
    (alice_id, alice), (bob_id, bob) = guests
    s3 = client("s3", gateway_port, alice, S3_CONFIG)

    s3.put_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt", Body=b"hello from alice")
    got = s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt")["Body"].read()
    check("an identity writes and reads its own private prefix", got == b"hello from alice")
    head = s3.head_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt")
    check(f"HeadObject answers the object's length ({head['ContentLength']})", head["ContentLength"] == len(b"hello from alice"))
    code, status = error_code(lambda: s3.put_object(Bucket=BUCKET, Key=f"private/{bob_id}/x.txt", Body=b"intrusion"))
    check(f"another identity's prefix is refused with S3's AccessDenied ({code}, {status})", code == "AccessDenied" and status == 403)
    code, _ = error_code(lambda: s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt".replace(alice_id, bob_id)))
    check(f"and so is reading there ({code})", code == "AccessDenied")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"private/{alice_id}/")
    check("ListObjectsV2 under its own prefix is allowed", [o["Key"] for o in listed.get("Contents", [])] == [f"private/{alice_id}/hello.txt"])
    code, _ = error_code(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix=f"private/{bob_id}/"))
    check(f"ListObjectsV2 under another prefix is refused by s3:prefix ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: s3.list_objects_v2(Bucket=BUCKET))
    check(f"and so is listing the whole bucket ({code})", code == "AccessDenied")

    big = os.urandom(24 * 1024 * 1024)
    s3.upload_fileobj(__import__("io").BytesIO(big), BUCKET, f"private/{alice_id}/big.bin",
                      Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024))
    back = s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/big.bin")["Body"].read()
    check("a 24 MiB multipart upload comes back identical", hashlib.sha256(back).digest() == hashlib.sha256(big).digest())

    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": f"private/{alice_id}/hello.txt"}, ExpiresIn=60)
    try:
        presigned_body = urllib.request.urlopen(url, timeout=10).read()
    except urllib.error.HTTPError as error:
        presigned_body = error.read()
    check(f"a presigned GET reads the object ({presigned_body[:300]!r})", presigned_body == b"hello from alice")
    short = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": f"private/{alice_id}/hello.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    try:
        urllib.request.urlopen(short, timeout=10)
        expired = None
    except urllib.error.HTTPError as error:
        expired = (error.code, error.read().decode())
    check(f"a presigned URL past its expiry is refused ({expired and expired[0]})", expired is not None and expired[0] == 403 and "expired" in expired[1])
    other_url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": f"private/{alice_id}/hello.txt"}, ExpiresIn=60)
    try:
        urllib.request.urlopen(other_url.replace("hello.txt", "big.bin"), timeout=10)
        changed = None
    except urllib.error.HTTPError as error:
        changed = error.code
    check(f"a presigned URL for another key is refused ({changed})", changed == 403)

    status, text = raw_put(gateway_port, alice, f"private/{alice_id}/chunked.txt", [b"a" * 70000, b"b" * 1000], signed=True)
    check(f"a chunk-signed upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) is stored ({status} {text[:200]})",
          status == 200 and s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/chunked.txt")["Body"].read() == b"a" * 70000 + b"b" * 1000)
    status, text = raw_put(gateway_port, alice, f"private/{alice_id}/tampered.txt", [b"c" * 5000, b"d" * 10], signed=True, tamper=True)
    code, _ = error_code(lambda: s3.head_object(Bucket=BUCKET, Key=f"private/{alice_id}/tampered.txt"))
    check(f"a tampered chunk is refused and nothing is stored ({status}, {code})", status == 400 and "XAmzContentSHA256Mismatch" in text and code == "404")
    status, text = raw_put(gateway_port, alice, f"private/{alice_id}/trailer.txt", [b"e" * 66000, b"f" * 7], signed=False)
    check(f"an unsigned aws-chunked upload with a CRC32 trailer is stored ({status})",
          status == 200 and s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/trailer.txt")["Body"].read() == b"e" * 66000 + b"f" * 7)

    sdk = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "s3_sdk_v3.mjs"),
                          f"http://127.0.0.1:{gateway_port}", BUCKET, alice_id, bob_id, json.dumps(alice, default=str)],
                         capture_output=True, text=True, timeout=300)
    print(sdk.stdout + sdk.stderr[-2000:], end="")
    check("@aws-sdk/client-s3 v3 (default checksums: aws-chunked uploads with a trailing CRC32) works through the gateway",
          sdk.returncode == 0)
    trailer_uploads = [request for request in Recorder.seen if request.get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"]
    check(f"its streamed uploads reached the store aws-chunked with their checksum trailer ({len(trailer_uploads)})",
          len(trailer_uploads) >= 4 and all(request.get("x-amz-trailer", "").startswith("x-amz-checksum-") for request in trailer_uploads))

    ddb = client("dynamodb", gateway_port, alice)
    ddb.put_item(TableName=TABLE, Item={"owner": {"S": alice_id}, "at": {"N": "1"}, "text": {"S": "mine"}})
    item = ddb.get_item(TableName=TABLE, Key={"owner": {"S": alice_id}, "at": {"N": "1"}}).get("Item")
    check("DynamoDB items keyed by the identity's own id are allowed", item and item["text"]["S"] == "mine")
    code, status = error_code(lambda: ddb.put_item(TableName=TABLE, Item={"owner": {"S": bob_id}, "at": {"N": "1"}}))
    check(f"an item keyed by another identity is refused ({code}, {status})", code == "AccessDeniedException" and status == 400)
    found = ddb.query(TableName=TABLE, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                      ExpressionAttributeValues={":o": {"S": alice_id}})["Items"]
    check("a Query of its own partition is allowed", len(found) == 1)
    code, _ = error_code(lambda: ddb.query(TableName=TABLE, KeyConditionExpression="owner = :o", ExpressionAttributeValues={":o": {"S": bob_id}}))
    check(f"a Query of another's partition is refused ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: ddb.scan(TableName=TABLE))
    check(f"a Scan, not in the policy, is refused ({code})", code == "AccessDeniedException")

    request = urllib.request.Request(f"http://127.0.0.1:{gateway_port}/pets1/prod/pets/7?x=1")
    signed = botocore_signed("GET", request.full_url, alice, "execute-api", {"x-cognate-identity-id": "forged"})
    echoed = json.loads(urllib.request.urlopen(urllib.request.Request(request.full_url, headers=signed), timeout=10).read())
    check("execute-api: the API receives the path below its stage", echoed["path"] == "/v1/pets/7?x=1")
    check("and who called, never what the client claimed", echoed["headers"].get("x-cognate-identity-id") == alice_id
          and echoed["headers"].get("x-cognate-principal-arn", "").startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/files-guest/"))
    check("and no client credentials", "authorization" not in echoed["headers"] and "x-amz-security-token" not in echoed["headers"])
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{gateway_port}/pets1/prod/admin",
                               headers=botocore_signed("GET", f"http://127.0.0.1:{gateway_port}/pets1/prod/admin", alice, "execute-api")), timeout=10)
        refused = None
    except urllib.error.HTTPError as error:
        refused = (error.code, error.headers.get("x-amzn-errortype"), json.loads(error.read()).get("message", ""))
    check(f"execute-api:Invoke outside the policy is refused as API Gateway does ({refused and refused[:2]})",
          refused is not None and refused[0] == 403 and refused[1] == "AccessDeniedException" and "execute-api:Invoke" in refused[2])

    # Requests the upstream could read otherwise than the gateway.
    gateway = f"http://127.0.0.1:{gateway_port}"
    status, text = raw_get(f"{gateway}/{BUCKET}/private/{alice_id}/hello.txt", alice, "s3")
    check(f"a GET signed by botocore's S3 signer by hand reads the object ({status})", status == 200 and text == "hello from alice")
    status, text = raw_get(f"{gateway}/{BUCKET}/private/{alice_id}/../{bob_id}/x.txt", alice, "s3")
    check(f"a path with '..' segments is refused, not resolved upstream ({status})", status == 400 and "'..'" in text)
    status, text = raw_get(f"{gateway}/{BUCKET}?list-type=2&prefix=private/{bob_id}/&prefix=private/{alice_id}/", alice, "s3")
    check(f"a repeated query parameter is refused ({status})", status == 400 and "more than once" in text)
    status, _ = raw_get(f"{gateway}/pets1/prod/pets/../admin", alice, "execute-api")
    check(f"and so is an execute-api path with '..' ({status})", status == 400)

    # Virtual-hosted style: the bucket in the Host, under the gateway's S3 domain; read and
    # authorised as the path-style request it is, and forwarded path-style.
    virtual_host = f"{BUCKET}.{S3_DOMAIN}:{gateway_port}"

    def virtual_hosted(method, key, creds, body=None):
        url = f"http://{virtual_host}/{urllib.parse.quote(key, safe='/~')}"
        # botocore_signed_put encodes the path itself.
        headers = botocore_signed_put(f"http://{virtual_host}/{key}", creds, body) if method == "PUT" else botocore_signed("GET", url, creds, "s3")
        connection = http.client.HTTPConnection("127.0.0.1", gateway_port, timeout=10)
        connection.request(method, urllib.parse.urlsplit(url).path, body=body, headers={**headers, "Host": virtual_host})
        answer = connection.getresponse()
        return answer.status, answer.read()

    status, body = virtual_hosted("PUT", f"private/{alice_id}/hosted.txt", alice, b"by host")
    check(f"a virtual-hosted PUT to the identity's own prefix is allowed ({status} {body[:300]!r})",
          status == 200 and s3.get_object(Bucket=BUCKET, Key=f"private/{alice_id}/hosted.txt")["Body"].read() == b"by host")
    status, body = virtual_hosted("GET", f"private/{alice_id}/hosted.txt", alice)
    check(f"and a virtual-hosted GET reads it ({status})", status == 200 and body == b"by host")
    status, body = virtual_hosted("GET", f"private/{bob_id}/x.txt", alice)
    check(f"a virtual-hosted GET of another identity's prefix is refused as S3 refuses it ({status})", status == 403 and b"<Code>AccessDenied</Code>" in body)

    # A refused upload's body is read and dropped: the connection stays usable for the next request.
    connection = http.client.HTTPConnection("127.0.0.1", gateway_port, timeout=10)
    put_url = f"{gateway}/{BUCKET}/private/{bob_id}/refused.txt"
    put_headers = botocore_signed_put(put_url, alice, b"x" * 5000)
    connection.request("PUT", urllib.parse.urlsplit(put_url).path.replace(":", "%3A"), body=b"x" * 5000, headers=put_headers)
    refused_answer = connection.getresponse()
    refused_answer.read()
    get_path = f"/{BUCKET}/private/{alice_id}/hello.txt".replace(":", "%3A")
    connection.request("GET", get_path, headers=botocore_signed("GET", f"{gateway}{get_path}", alice, "s3"))
    reused = connection.getresponse()
    check(f"a refused PUT's body is drained and the kept-alive connection serves the next request ({refused_answer.status}, {reused.status})",
          refused_answer.status == 403 and refused_answer.getheader("connection") != "close" and reused.status == 200 and reused.read() == b"hello from alice")
    connection.close()

    # Refusals of credentials.
    forged = dict(alice, SecretKey="not-the-secret")
    code, status = error_code(lambda: client("s3", gateway_port, forged, S3_CONFIG).get_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt"))
    check(f"a forged signature is SignatureDoesNotMatch ({code}, {status})", code == "SignatureDoesNotMatch" and status == 403)
    wrong_token = dict(alice, SessionToken=bob["SessionToken"])
    code, _ = error_code(lambda: client("s3", gateway_port, wrong_token, S3_CONFIG).get_object(Bucket=BUCKET, Key=f"private/{alice_id}/hello.txt"))
    check(f"another session's token is refused ({code})", code == "InvalidAccessKeyId")
    code, _ = error_code(lambda: client("dynamodb", gateway_port, forged).get_item(TableName=TABLE, Key={"owner": {"S": alice_id}, "at": {"N": "1"}}))
    check(f"DynamoDB answers a forged signature in its own format ({code})", code == "InvalidSignatureException")

    iam.create_user(UserName="uploader")
    access = iam.create_access_key(UserName="uploader")["AccessKey"]
    iam.put_user_policy(UserName="uploader", PolicyName="shared", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/shared/*"}]}))
    user_s3 = client("s3", gateway_port, {"AccessKeyId": access["AccessKeyId"], "SecretKey": access["SecretAccessKey"]}, S3_CONFIG)
    time.sleep(2.5)
    user_s3.put_object(Bucket=BUCKET, Key="shared/report.csv", Body=b"a,b\n")
    check("an IAM user's key may do what its policy says", root_s3.get_object(Bucket=BUCKET, Key="shared/report.csv")["Body"].read() == b"a,b\n")
    code, _ = error_code(lambda: user_s3.get_object(Bucket=BUCKET, Key="shared/report.csv"))
    check(f"and nothing else ({code})", code == "AccessDenied")
    iam.update_access_key(UserName="uploader", AccessKeyId=access["AccessKeyId"], Status="Inactive")
    code, _ = error_code(lambda: user_s3.put_object(Bucket=BUCKET, Key="shared/late.csv", Body=b"x"))
    check(f"an inactive key is refused ({code})", code == "InvalidAccessKeyId")

    clients_keys = {alice["AccessKeyId"], alice["SessionToken"], bob["AccessKeyId"], key_id, access["AccessKeyId"]}
    seen = Recorder.seen
    check(f"the upstream received {len(seen)} requests, every one signed with the upstream's own key",
          len(seen) > 10 and all(f"Credential={UPSTREAM_KEY}/" in request.get("authorization", "") for request in seen))
    leaked = [request for request in seen if any(secret_text in json.dumps(request) for secret_text in clients_keys)]
    check("no client credential ever reached the upstream", not leaked)
    check("refused requests never reached the upstream", not any(f"private/{bob_id}" in json.dumps(request) for request in seen))
    time.sleep(0.3)
    logs = "".join(log_lines)
    check("the access log records the principal, action, resource, decision, status, bytes and latency",
          "gateway request" in logs and "decision=denied" in logs and "decision=allowed" in logs and "completed=false" not in logs and "action=s3:PutObject" in logs and "bytes_out=" in logs and "latency_ms=" in logs)


def botocore_signed(method, url, creds, service, extra=None):
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest(method=method, url=url, headers=dict(extra or {}))
    class RawPathAuth(SigV4Auth):
        """botocore's signer without its removal of '.' and '..' segments (a hand-made client)."""

        def _normalize_url_path(self, path):
            return urllib.parse.quote(path, safe="/~")

    signer = S3SigV4Auth if service == "s3" else RawPathAuth
    signer(Credentials(creds["AccessKeyId"], creds["SecretKey"], creds.get("SessionToken")), service, REGION).add_auth(request)
    return dict(request.headers.items())


def botocore_signed_put(url, creds, body):
    """The headers of a PUT of `body` signed by botocore's S3 signer (the path as the SDKs encode it)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    parts = urllib.parse.urlsplit(url)
    url = urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path, safe="/~")))
    request = AWSRequest(method="PUT", url=url, data=body, headers={"content-length": str(len(body))})
    S3SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretKey"], creds.get("SessionToken")), "s3", REGION).add_auth(request)
    return dict(request.headers.items())


def raw_get(url, creds, service):
    """A GET signed by botocore's signer, its path percent-encoded as the SDKs send it."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(f"{urllib.parse.quote(name, safe='-_.~')}={urllib.parse.quote(value, safe='-_.~')}"
                     for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    url = urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path, safe="/~"), query=query))
    try:
        answer = urllib.request.urlopen(urllib.request.Request(url, headers=botocore_signed("GET", url, creds, service)), timeout=10)
        return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


if __name__ == "__main__":
    import urllib.parse
    sys.exit(main())
