#!/usr/bin/env python3
"""The README walkthrough, driven by boto3 as a new user would: start `cognate serve` on the
embedded default, then create a pool with a custom attribute, an app client with a secret,
users and groups; list with a filter; sign in and verify the tokens with PyJWT; sign in with SRP
through amazon-cognito-identity-js (srp_sign_in.mjs, under Node) and aws-amplify v6
(amplify_refresh.mjs: an identity and AWS credentials, then a forced refresh through
GetTokensFromRefreshToken, with and without refresh token rotation); disable one user and delete
another; the AWS CLI reads the pool back. Each step checks the shapes, ids, ARNs and error names
Cognito gives. Prints 'N passed, N failed'."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.config

from checks import HERE, Results, build_binary, check, error_code, free_port, start_server  # noqa: E402


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-boto3-")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
    started = time.monotonic()
    server, text, key_id, secret = start_server(binary, os.path.join(work, "data"), port, env=env)
    try:
        ready_seconds = time.monotonic() - started
        check("the server prints where it listens and where its data lives",
              f"http://127.0.0.1:{port}" in text and "data in" in text)
        check(f"ready in under a second ({ready_seconds * 1000:.0f} ms)", ready_seconds < 1.0)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as response:
            check("GET /health answers 200", response.status == 200)

        client = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=key_id, aws_secret_access_key=secret,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )
        pool = client.create_user_pool(
            PoolName="walkthrough",
            Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
            AutoVerifiedAttributes=["email"],
        )["UserPool"]
        pool_id = pool["Id"]
        check("pool id is <region>_<9 alphanumerics>", re.fullmatch(r"us-east-1_[0-9A-Za-z]{9}", pool_id) is not None)
        check("pool ARN", pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool_id}")
        check("custom attribute in the schema",
              any(attribute["Name"] == "custom:tenant" for attribute in pool["SchemaAttributes"]))
        check("timestamps parse as datetimes", pool["CreationDate"].year >= 2024)

        app = client.create_user_pool_client(UserPoolId=pool_id, ClientName="web", GenerateSecret=True)["UserPoolClient"]
        check("client id is 26 characters of [0-9a-v]", re.fullmatch(r"[0-9a-v]{26}", app["ClientId"]) is not None)
        check("client secret returned", len(app.get("ClientSecret", "")) >= 40)

        for index, (username, tenant) in enumerate([("alice", "acme"), ("bob", "acme"), ("carol", "globex")]):
            created = client.admin_create_user(
                UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"},
                                {"Name": "custom:tenant", "Value": tenant}],
            )["User"]
            if index == 0:
                check("new users must change their temporary password", created["UserStatus"] == "FORCE_CHANGE_PASSWORD")
        code, status = error_code(lambda: client.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS"))
        check(f"a second alice is UsernameExistsException ({code}, {status})", code == "UsernameExistsException" and status == 400)
        try:
            client.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
        except client.exceptions.UsernameExistsException:
            check("boto3 raises the modelled exception class", True)
        except Exception as other:  # noqa: BLE001
            check(f"boto3 raises the modelled exception class (got {type(other).__name__})", False)

        client.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1,
                            RoleArn="arn:aws:iam::000000000000:role/admins")
        client.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
        members = client.list_users_in_group(UserPoolId=pool_id, GroupName="admins")["Users"]
        check("alice is in admins", [user["Username"] for user in members] == ["alice"])

        found = client.list_users(UserPoolId=pool_id, Filter='email = "bob@example.com"')["Users"]
        check("ListUsers filters on email", [user["Username"] for user in found] == ["bob"])
        prefixed = client.list_users(UserPoolId=pool_id, Filter='email ^= "c"')["Users"]
        check("ListUsers filters on a prefix", [user["Username"] for user in prefixed] == ["carol"])
        paginator = client.get_paginator("list_users")
        every = [user["Username"] for page in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
                 for user in page["Users"]]
        check("boto3's paginator walks every page", sorted(every) == ["alice", "bob", "carol"])

        # Sign in and verify the tokens with PyJWT through the JWKS named by discovery.
        import json
        import jwt
        signin = client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="signin",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        client.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password="Correct-Horse-1", Permanent=True)
        tokens = client.initiate_auth(ClientId=signin, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "alice", "PASSWORD": "Correct-Horse-1"})["AuthenticationResult"]
        issuer = f"http://127.0.0.1:{port}/{pool_id}"
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration") as response:
            discovery = json.load(response)
        check("discovery names the issuer", discovery["issuer"] == issuer)
        jwks_client = jwt.PyJWKClient(discovery["jwks_uri"])
        id_key = jwks_client.get_signing_key_from_jwt(tokens["IdToken"])
        id_claims = jwt.decode(tokens["IdToken"], id_key.key, algorithms=["RS256"], audience=signin, issuer=issuer)
        check("PyJWT verifies the ID token", id_claims["cognito:username"] == "alice" and id_claims["token_use"] == "id")
        access_key = jwks_client.get_signing_key_from_jwt(tokens["AccessToken"])
        access_claims = jwt.decode(tokens["AccessToken"], access_key.key, algorithms=["RS256"], issuer=issuer,
                                   options={"verify_aud": False})
        check("PyJWT verifies the access token", access_claims["client_id"] == signin and access_claims["token_use"] == "access")
        check("the groups claim carries admins", access_claims.get("cognito:groups") == ["admins"])
        me = client.get_user(AccessToken=tokens["AccessToken"])
        check("GetUser answers for the token holder", me["Username"] == "alice")
        refreshed = client.initiate_auth(ClientId=signin, AuthFlow="REFRESH_TOKEN_AUTH",
                                         AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
        check("a refresh token yields new tokens", "AccessToken" in refreshed and "RefreshToken" not in refreshed)
        client.global_sign_out(AccessToken=tokens["AccessToken"])
        code, _ = error_code(lambda: client.get_user(AccessToken=tokens["AccessToken"]))
        check(f"after GlobalSignOut the access token is refused ({code})", code == "NotAuthorizedException")

        # amazon-cognito-identity-js (what Amplify uses) signs in with SRP, refreshes, changes the password.
        srp_client = client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="spa",
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        client.admin_create_user(UserPoolId=pool_id, Username="dora", MessageAction="SUPPRESS")
        client.admin_set_user_password(UserPoolId=pool_id, Username="dora", Password="Srp-Pass-123!", Permanent=True)
        node = subprocess.run(
            ["node", os.path.join(HERE, "srp_sign_in.mjs"), f"http://127.0.0.1:{port}/", pool_id, srp_client,
             "dora", "Srp-Pass-123!", "Srp-Pass-456!"],
            cwd=HERE, capture_output=True, text=True, timeout=120,
        )
        print(node.stdout + node.stderr, end="")
        check("amazon-cognito-identity-js: SRP sign-in, refresh and password change", node.returncode == 0)

        # aws-amplify v6 signs in with SRP and refreshes through GetTokensFromRefreshToken, first
        # with a client that keeps its refresh token, then with one that rotates it without a grace
        # period (the second refresh works only if Amplify kept the rotated token).
        # With an identity pool that trusts the clients, fetchAuthSession also answers AWS credentials.
        admin = dict(region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=key_id,
                     aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        identity = boto3.client("cognito-identity", **admin)
        iam = boto3.client("iam", **admin)
        amplify_clients = []
        for rotation in ({"Feature": "DISABLED"}, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}):
            amplify_clients.append((rotation, client.create_user_pool_client(
                UserPoolId=pool_id, ClientName="amplify",
                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                RefreshTokenRotation=rotation,
            )["UserPoolClient"]["ClientId"]))
        identity_pool_id = identity.create_identity_pool(
            IdentityPoolName="amplify", AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{"ProviderName": f"cognito-idp.us-east-1.amazonaws.com/{pool_id}", "ClientId": amplify_client}
                                      for _, amplify_client in amplify_clients],
        )["IdentityPoolId"]
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id}}}]}
        role_arn = iam.create_role(RoleName="amplify-user", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles={"authenticated": role_arn})
        for rotation, amplify_client in amplify_clients:
            node = subprocess.run(
                ["node", os.path.join(HERE, "amplify_refresh.mjs"), f"http://127.0.0.1:{port}", pool_id, amplify_client,
                 "dora", "Srp-Pass-456!", identity_pool_id],
                cwd=HERE, capture_output=True, text=True, timeout=120,
            )
            print(node.stdout + node.stderr, end="")
            check(f"aws-amplify v6: signIn, fetchAuthSession and a forced refresh (rotation {rotation['Feature']})",
                  node.returncode == 0)

        client.admin_disable_user(UserPoolId=pool_id, Username="bob")
        check("bob is disabled", client.admin_get_user(UserPoolId=pool_id, Username="bob")["Enabled"] is False)
        client.admin_delete_user(UserPoolId=pool_id, Username="carol")
        code, _ = error_code(lambda: client.admin_get_user(UserPoolId=pool_id, Username="carol"))
        check(f"carol is gone ({code})", code == "UserNotFoundException")

        unsigned = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                                aws_access_key_id=key_id, aws_secret_access_key="wrong-secret",
                                config=botocore.config.Config(retries={"max_attempts": 1}))
        code, status = error_code(lambda: unsigned.list_user_pools(MaxResults=10))
        check(f"a wrong secret is refused ({code}, {status})", code == "InvalidSignatureException" and status == 403)

        cli = shutil.which("aws")
        if cli:
            cli_env = dict(env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
                           AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
            output = subprocess.run([cli, "cognito-idp", "describe-user-pool", "--user-pool-id", pool_id],
                                    env=cli_env, capture_output=True, text=True)
            check("the AWS CLI describes the pool through AWS_ENDPOINT_URL",
                  output.returncode == 0 and '"Name": "walkthrough"' in output.stdout
                  and '"EstimatedNumberOfUsers": 3' in output.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=10)
            check(f"SIGTERM stops the server cleanly (exit {code})", code == 0)
        except subprocess.TimeoutExpired:
            server.kill()
            check("SIGTERM stops the server within 10 s", False)
        shutil.rmtree(work, ignore_errors=True)
    smtp_sign_up(binary, env)
    smtp_sign_up(binary, env, tls=True)
    print(f"walkthrough: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


def private_ca_certificate(directory):
    """A private CA and, signed by it, a certificate for localhost and 127.0.0.1 (made with the
    cryptography package). Returns the CA's PEM path, and the server's certificate and key."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, is_ca, names=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cognate test CA")])
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    ca = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    server = certificate(server_name, ca_name, server_key.public_key(), ca_key, False,
                         [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    paths = [os.path.join(directory, name) for name in ("ca.pem", "cert.pem", "key.pem")]
    with open(paths[0], "wb") as out:
        out.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as out:
        out.write(server.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as out:
        out.write(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def smtp_sign_up(binary, env, tls=False):
    """A second server sends its codes through a real SMTP server (aiosmtpd): sign up, read the
    code from the email, confirm, sign in. With `tls`, the server speaks SMTPS with a certificate
    of a private CA (given to cognate with --smtp-ca-file) and requires a login; a server with
    the wrong password keeps its mail in the outbox."""
    import json
    work = tempfile.mkdtemp(prefix="cognate-smtp-")
    sink_file = os.path.join(work, "mail.jsonl")
    smtp_port, port = free_port(), free_port()
    sink_args = [sys.executable, os.path.join(HERE, "smtp_sink.py"), str(smtp_port), sink_file]
    url = f"smtp://127.0.0.1:{smtp_port}"
    extra = []
    label = "SMTPS" if tls else "SMTP"
    if tls:
        ca, cert, key = private_ca_certificate(work)
        sink_args += [cert, key, "mailer", "s3cret-pass"]
        url = f"smtps://mailer:s3cret-pass@localhost:{smtp_port}"
        extra = ["--smtp-ca-file", ca]
    sink = subprocess.Popen(sink_args, stdout=subprocess.PIPE, text=True)
    servers = []
    try:
        check(f"the {label} sink starts", sink.stdout.readline().strip() == "ready")
        server, _, key_id, secret = start_server(
            binary, os.path.join(work, "data"), port, env=env,
            extra_args=["--smtp-url", url, "--mail-from", "Cognate <auth@example.com>", *extra])
        servers.append(server)
        client = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id=key_id, aws_secret_access_key=secret,
                              config=botocore.config.Config(retries={"max_attempts": 1}))
        pool_id = client.create_user_pool(PoolName="mail", AutoVerifiedAttributes=["email"],
                                          VerificationMessageTemplate={"EmailSubject": "Your code",
                                                                       "EmailMessage": "Your code is {####}"})["UserPool"]["Id"]
        app = client.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        client_id = app["UserPoolClient"]["ClientId"]
        client.sign_up(ClientId=client_id, Username="mia", Password="Correct-Horse-1",
                       UserAttributes=[{"Name": "email", "Value": "mia@example.com"}])
        mail = []
        for _ in range(50):
            if os.path.exists(sink_file):
                with open(sink_file, encoding="utf-8") as lines:
                    mail = [json.loads(line) for line in lines if line.strip()]
            if mail:
                break
            time.sleep(0.1)
        check(f"the confirmation code arrives by {label}", len(mail) == 1 and mail[0]["to"] == ["mia@example.com"])
        check(f"the email uses the pool's template and sender ({label})",
              bool(mail) and mail[0]["subject"] == "Your code" and mail[0]["from"] == "auth@example.com")
        if tls:
            check("SMTPS: cognate logged in with the URL's user", bool(mail) and mail[0]["user"] == "mailer")
        code = re.search(r"\b(\d{6})\b", mail[0]["body"]).group(1) if mail else "000000"
        client.confirm_sign_up(ClientId=client_id, Username="mia", ConfirmationCode=code)
        tokens = client.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "mia", "PASSWORD": "Correct-Horse-1"})
        check(f"the confirmed user signs in ({label})", "AuthenticationResult" in tokens)

        def outbox(of_port, of_key, of_secret, of_pool):
            import base64
            request = urllib.request.Request(f"http://127.0.0.1:{of_port}/_cognate/outbox?UserPoolId={of_pool}")
            request.add_header("Authorization", "Basic " + base64.b64encode(f"{of_key}:{of_secret}".encode()).decode())
            with urllib.request.urlopen(request) as response:
                return json.load(response)["Messages"]
        check(f"mail sent by {label} does not wait in the outbox", outbox(port, key_id, secret, pool_id) == [])
        if tls:
            # The wrong password: the relay refuses the login, and the code waits in the outbox.
            bad_port = free_port()
            bad, _, bad_key, bad_secret = start_server(
                binary, os.path.join(work, "bad"), bad_port, env=env,
                extra_args=["--smtp-url", f"smtps://mailer:wrong@localhost:{smtp_port}", *extra])
            servers.append(bad)
            bad_client = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{bad_port}",
                                      aws_access_key_id=bad_key, aws_secret_access_key=bad_secret,
                                      config=botocore.config.Config(retries={"max_attempts": 1}))
            bad_pool = bad_client.create_user_pool(PoolName="mail", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
            bad_app = bad_client.create_user_pool_client(UserPoolId=bad_pool, ClientName="app")["UserPoolClient"]["ClientId"]
            bad_client.sign_up(ClientId=bad_app, Username="noa", Password="Correct-Horse-1",
                               UserAttributes=[{"Name": "email", "Value": "noa@example.com"}])
            kept = outbox(bad_port, bad_key, bad_secret, bad_pool)
            check("SMTPS with a refused login keeps the code in the outbox",
                  len(kept) == 1 and kept[0]["Destination"] == "noa@example.com")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        sink.kill()
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
