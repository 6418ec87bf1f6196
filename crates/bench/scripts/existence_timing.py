"""ConfirmSignUp and ResendConfirmationCode: known vs unknown users under PreventUserExistenceErrors.
python3 existence_timing.py BINARY [--new-flags]   (medians of 300 requests each)"""
import http.client, json, os, statistics, subprocess, sys, tempfile, time
import boto3

import cognate_server
server, port, key, secret = cognate_server.start(sys.argv[1], "--new-flags" in sys.argv)
idp = boto3.client("cognito-idp", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
pool = idp.create_user_pool(PoolName="t", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c", PreventUserExistenceErrors="ENABLED")["UserPoolClient"]["ClientId"]
conn = http.client.HTTPConnection("127.0.0.1", port)
def call(target, body):
    t = time.perf_counter()
    conn.request("POST", "/", json.dumps(body), {"content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService." + target})
    r = conn.getresponse(); r.read()
    return (time.perf_counter() - t) * 1000
# 300 unconfirmed users, each asked once with a wrong code (no hourly limit reached)
for i in range(300):
    idp.sign_up(ClientId=client, Username=f"known{i}", Password="Good-Pass-123", UserAttributes=[{"Name": "email", "Value": f"k{i}@example.com"}])
known, unknown = [], []
for i in range(300):
    known.append(call("ConfirmSignUp", {"ClientId": client, "Username": f"known{i}", "ConfirmationCode": "000000"}))
    unknown.append(call("ConfirmSignUp", {"ClientId": client, "Username": f"ghost{i}", "ConfirmationCode": "000000"}))
print(f"ConfirmSignUp wrong code: known median {statistics.median(known):.3f} ms, unknown median {statistics.median(unknown):.3f} ms")
known, unknown = [], []
for i in range(300):
    known.append(call("ResendConfirmationCode", {"ClientId": client, "Username": f"known{i}"}))
    unknown.append(call("ResendConfirmationCode", {"ClientId": client, "Username": f"ghost{i}"}))
print(f"ResendConfirmationCode: known median {statistics.median(known):.3f} ms, unknown median {statistics.median(unknown):.3f} ms")
server.terminate()
