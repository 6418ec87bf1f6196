#!/usr/bin/env python3
"""User import jobs as the AWS documentation runs them, driven with boto3: GetCSVHeader, a CSV
written from that header, CreateUserImportJob, the file uploaded with plain HTTP PUT to the
PreSignedUrl (with the header the documentation's curl sends), StartUserImportJob,
DescribeUserImportJob until the job ends, ListUserImportJobs, StopUserImportJob; the imported
users (RESET_REQUIRED, reset by ForgotPassword), the rows kept with their errors, and the
refusals (a forged URL, a job started twice); then `cognate export` and `cognate import` carry the
whole deployment into a new data directory, where the users sign in, and into one with a master key
of its own (every secret re-sealed; SRP sign-in through amazon-cognito-identity-js); and
`cognate import --from-cognito` copies a pool from moto's Cognito (moto_server on loopback), its
users' first passwords checked at the source. Prints 'N passed, N failed'."""

import base64
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config

from checks import Results, build_binary, check, error_code, free_port, start_moto, start_server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "arn:aws:iam::123456789012:role/CognitoImport"


def put(url, body, headers=None):
    """The status and body of a PUT."""
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_end(idp, pool_id, job_id):
    for _ in range(600):
        job = idp.describe_user_import_job(UserPoolId=pool_id, JobId=job_id)["UserImportJob"]
        if job["Status"] in ("Succeeded", "Failed", "Stopped"):
            return job
        time.sleep(0.1)
    return job

def from_cognito(binary, work, port):
    """`cognate import --from-cognito`: a pool on moto's Cognito copied with its clients, groups
    and users (same ids, secrets and subs); a copied user's first password checked at the source."""
    moto, moto_port = start_moto()
    source_url = f"http://127.0.0.1:{moto_port}"
    server = None
    try:
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        source = boto3.client("cognito-idp", region_name="eu-west-1", endpoint_url=source_url, **keys)
        pool = source.create_user_pool(PoolName="live", AutoVerifiedAttributes=["email"], DeletionProtection="ACTIVE", Schema=[
            {"Name": "plan", "AttributeDataType": "String", "Mutable": True}])["UserPool"]
        pool_id = pool["Id"]
        app = source.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
        backend = source.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True, ExplicitAuthFlows=[
            "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
        source.create_group(UserPoolId=pool_id, GroupName="admins", Description="Admins", Precedence=1)
        for name, email in (("ann", "ann@example.com"), ("bob", "bob@example.com")):
            source.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=[
                {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}, {"Name": "custom:plan", "Value": "pro"}])
            source.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=f"{name.title()}-Pass-1", Permanent=True)
        source.admin_create_user(UserPoolId=pool_id, Username="tess", TemporaryPassword="Temp-Pass-1", MessageAction="SUPPRESS")
        source.admin_add_user_to_group(UserPoolId=pool_id, Username="ann", GroupName="admins")
        subs = {user["Username"]: next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
                for user in source.list_users(UserPoolId=pool_id)["Users"]}

        env = {key: value for key, value in os.environ.items() if not key.startswith(("COGNATE_", "AWS_"))}
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": source_url})
        data = os.path.join(work, "from-cognito")
        copied = subprocess.run([binary, "import", "--data-dir", data, "--from-cognito", "--user-pool-id", pool_id],
                                env=env, capture_output=True, text=True, timeout=120)
        print(copied.stdout + copied.stderr, end="")
        check(f"cognate import --from-cognito copies the pool ({copied.stdout.strip().splitlines()[-1:]})",
              copied.returncode == 0 and "users 3" in copied.stdout and "clients 2" in copied.stdout and "groups 1" in copied.stdout)
        again = subprocess.run([binary, "import", "--data-dir", data, "--from-cognito", "--user-pool-id", pool_id],
                               env=env, capture_output=True, text=True, timeout=120)
        check(f"copying it a second time is refused ({again.stderr.strip()})", again.returncode != 0 and "exists" in again.stderr)
        server, _, _, _ = start_server(binary, data, port)
        key_id = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", copied.stdout).group(1)
        secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", copied.stdout).group(1)
        endpoint = f"http://127.0.0.1:{port}"
        idp = boto3.client("cognito-idp", region_name="eu-west-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                           aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        check("the pool keeps its id, name, deletion protection and custom attribute",
              described["Id"] == pool_id and described["Name"] == "live" and described.get("DeletionProtection") == "ACTIVE"
              and any(a["Name"] == "custom:plan" for a in described["SchemaAttributes"]))
        copied_backend = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=backend["ClientId"])["UserPoolClient"]
        check("a client keeps its id and its secret", copied_backend.get("ClientSecret") == backend["ClientSecret"])
        ann = idp.admin_get_user(UserPoolId=pool_id, Username="ann")
        attributes = {a["Name"]: a["Value"] for a in ann["UserAttributes"]}
        check("a user keeps its sub, attributes and status",
              attributes.get("sub") == subs["ann"] and attributes.get("custom:plan") == "pro" and ann["UserStatus"] == "CONFIRMED")
        check("group memberships are copied",
              [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="ann")["Groups"]] == ["admins"])

        def sign_in(name, password):
            return idp.initiate_auth(ClientId=app["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": name, "PASSWORD": password})

        code, _ = error_code(lambda: sign_in("ann", "Wrong-Pass-1"))
        check(f"a wrong first password is refused by the source ({code})", code == "NotAuthorizedException")
        first = sign_in("ann", "Ann-Pass-1")
        token_sub = json.loads(base64.urlsafe_b64decode(first["AuthenticationResult"]["IdToken"].split(".")[1] + "=="))["sub"]
        check("the right first password is checked at the source and signs in, with the source's sub", token_sub == subs["ann"])
        # The source forgets the password: the copy now holds it.
        source.admin_set_user_password(UserPoolId=pool_id, Username="ann", Password="Changed-At-Source-1", Permanent=True)
        again = sign_in("ann", "Ann-Pass-1")
        check("afterwards the password is kept here (the source is not asked again)", "AccessToken" in again["AuthenticationResult"])
        temporary = sign_in("tess", "Temp-Pass-1")
        check("a user with a temporary password at the source is asked for a new one",
              temporary.get("ChallengeName") == "NEW_PASSWORD_REQUIRED")
        moto.terminate()
        moto.wait(timeout=10)
        code, _ = error_code(lambda: sign_in("bob", "Bob-Pass-1"))
        check(f"with the source down, a first sign-in fails cleanly ({code})", code in ("InternalErrorException", "UnexpectedLambdaException"))
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        if moto.poll() is None:
            moto.terminate()


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-import-")
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                           aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        pool_id = idp.create_user_pool(PoolName="imported", AutoVerifiedAttributes=["email"], Schema=[
            {"Name": "tier", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=pool_id, Username="existing", MessageAction="SUPPRESS")

        header = idp.get_csv_header(UserPoolId=pool_id)
        columns = header["CSVHeader"]
        check("GetCSVHeader lists the pool's attributes, then cognito:mfa_enabled and cognito:username",
              header["UserPoolId"] == pool_id and columns[-2:] == ["cognito:mfa_enabled", "cognito:username"]
              and {"email", "email_verified", "phone_number", "name", "custom:tier"} <= set(columns) and "sub" not in columns)

        rows = []
        for number in range(1, 51):
            row = dict.fromkeys(columns, "")
            row.update({"cognito:username": f"user{number:03}", "email": f"user{number:03}@example.com", "email_verified": "TRUE",
                        "cognito:mfa_enabled": "FALSE", "custom:tier": "gold", "name": f"Doe, User {number}"})
            rows.append(row)
        rows[1]["phone_number"] = "+14155550101"
        rows[1]["cognito:mfa_enabled"] = "TRUE"
        existing = dict.fromkeys(columns, "")
        existing.update({"cognito:username": "existing", "email": "existing@example.com"})
        bad_email = dict.fromkeys(columns, "")
        bad_email.update({"cognito:username": "bademail", "email": "not-an-address"})
        no_name = dict.fromkeys(columns, "")
        no_name.update({"email": "nobody@example.com"})
        mfa_no_phone = dict.fromkeys(columns, "")
        mfa_no_phone.update({"cognito:username": "mfa-no-phone", "cognito:mfa_enabled": "TRUE"})
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows[:25] + [existing, bad_email] + rows[25:] + [no_name, mfa_no_phone])
        text.write("short,row\r\n")
        body = text.getvalue().encode()

        created = idp.create_user_import_job(UserPoolId=pool_id, JobName="first import", CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
        url = created["PreSignedUrl"]
        check("CreateUserImportJob answers a Created job with a pre-signed URL",
              created["Status"] == "Created" and created["JobId"].startswith("import-") and "X-Amz-Signature=" in url
              and created["CloudWatchLogsRoleArn"] == ROLE)
        code, _ = error_code(lambda: idp.start_user_import_job(UserPoolId=pool_id, JobId=created["JobId"]))
        check(f"a job without its file cannot start ({code})", code == "PreconditionNotMetException")
        forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        status, answer = put(forged, b"cognito:username\r\nmallory\r\n")
        check(f"a PUT to a forged URL is refused in S3's XML ({status})", status == 403 and "<Code>AccessDenied</Code>" in answer)
        status, _ = put(url, body, {"x-amz-server-side-encryption": "aws:kms", "Content-Type": "text/csv"})
        check(f"the CSV is PUT to the pre-signed URL ({status})", status == 200)

        started = idp.start_user_import_job(UserPoolId=pool_id, JobId=created["JobId"])["UserImportJob"]
        check("StartUserImportJob answers the job Pending or later", started["Status"] in ("Pending", "InProgress", "Succeeded")
              and "StartDate" in started)
        job = wait_for_end(idp, pool_id, created["JobId"])
        check(f"the job succeeds with the counts ({job['Status']}: {job['ImportedUsers']} imported, {job['SkippedUsers']} skipped, "
              f"{job['FailedUsers']} failed)", job["Status"] == "Succeeded" and job["ImportedUsers"] == 50 and job["SkippedUsers"] == 1
              and job["FailedUsers"] == 4 and "CompletionDate" in job and "PreSignedUrl" not in job)

        errors_url = f"{endpoint}/_cognate/user-import/{pool_id}/{created['JobId']}/errors"
        request = urllib.request.Request(errors_url, headers={"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()})
        with urllib.request.urlopen(request) as response:
            errors = json.load(response)["Errors"]
        by_line = {error["Line"]: error for error in errors}
        check(f"each row not imported is kept with its line and error ({len(errors)})", sorted(by_line) == [27, 28, 54, 55, 56]
              and by_line[27]["Username"] == "existing" and by_line[27]["Skipped"] is True
              and "email" in by_line[28]["Message"] and not by_line[28]["Skipped"]
              and "cognito:username" in by_line[54]["Message"] and "phone_number" in by_line[55]["Message"]
              and "fields" in by_line[56]["Message"])

        user = idp.admin_get_user(UserPoolId=pool_id, Username="user002")
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        check("an imported user is RESET_REQUIRED with the attributes of the row",
              user["UserStatus"] == "RESET_REQUIRED" and attributes["email"] == "user002@example.com"
              and attributes["email_verified"] == "true" and attributes["custom:tier"] == "gold" and attributes["name"] == "Doe, User 2"
              and user.get("MFAOptions") == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}])
        code, _ = error_code(lambda: idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                       AuthParameters={"USERNAME": "user001", "PASSWORD": "Anything-1"}))
        check(f"and must reset the password before signing in ({code})", code == "PasswordResetRequiredException")
        idp.forgot_password(ClientId=client_id, Username="user001")
        outbox = urllib.request.Request(f"{endpoint}/_cognate/outbox?UserPoolId={pool_id}",
                                        headers={"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()})
        with urllib.request.urlopen(outbox) as response:
            message = [m for m in json.load(response)["Messages"] if m["Destination"] == "user001@example.com"][-1]
        reset_code = "".join(ch for ch in message["Body"] if ch.isdigit())[-6:]
        idp.confirm_forgot_password(ClientId=client_id, Username="user001", ConfirmationCode=reset_code, Password="Imported-Pass-1")
        signed_in = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "user001", "PASSWORD": "Imported-Pass-1"})
        check("ForgotPassword sets the password and the user signs in", "AccessToken" in signed_in.get("AuthenticationResult", {}))

        code, _ = error_code(lambda: idp.start_user_import_job(UserPoolId=pool_id, JobId=created["JobId"]))
        check(f"a finished job cannot start again ({code})", code == "PreconditionNotMetException")
        status, answer = put(url, body)
        check(f"nor take another file ({status})", status == 412 and "PreconditionFailed" in answer)
        code, _ = error_code(lambda: idp.stop_user_import_job(UserPoolId=pool_id, JobId=created["JobId"]))
        check(f"nor be stopped ({code})", code == "PreconditionNotMetException")

        second = idp.create_user_import_job(UserPoolId=pool_id, JobName="second", CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
        stopped = idp.stop_user_import_job(UserPoolId=pool_id, JobId=second["JobId"])["UserImportJob"]
        check("StopUserImportJob stops a job that has not started", stopped["Status"] == "Stopped")
        first_page = idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=1)
        second_page = idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=1, PaginationToken=first_page["PaginationToken"])
        check("ListUserImportJobs pages through the jobs, oldest first",
              [j["JobId"] for j in first_page["UserImportJobs"] + second_page["UserImportJobs"]] == [created["JobId"], second["JobId"]]
              and "PaginationToken" not in second_page)
        code, _ = error_code(lambda: idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=61))
        check(f"MaxResults above 60 is refused ({code})", code == "InvalidParameterException")
        code, _ = error_code(lambda: idp.create_user_import_job(UserPoolId=pool_id, JobName="bad/name", CloudWatchLogsRoleArn=ROLE))
        check(f"a job name outside the model's pattern is refused ({code})", code == "InvalidParameterException")
        code, _ = error_code(lambda: idp.describe_user_import_job(UserPoolId=pool_id, JobId="import-missing"))
        check(f"an unknown job is ResourceNotFoundException ({code})", code == "ResourceNotFoundException")

        bad_header = idp.create_user_import_job(UserPoolId=pool_id, JobName="bad header", CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
        put(bad_header["PreSignedUrl"], b"cognito:username,shoe_size\r\nann,42\r\n")
        idp.start_user_import_job(UserPoolId=pool_id, JobId=bad_header["JobId"])
        failed = wait_for_end(idp, pool_id, bad_header["JobId"])
        check(f"a file whose header names no attribute of the pool fails the job ({failed.get('CompletionMessage')})",
              failed["Status"] == "Failed" and "shoe_size" in failed.get("CompletionMessage", "") and failed["ImportedUsers"] == 0)

        # Two uploads of one job's file at the same time, each of several pieces: the job imports
        # one of the two files whole, never a mix of their pieces.
        race_pool = idp.create_user_pool(PoolName="race")["UserPool"]["Id"]
        race_columns = idp.get_csv_header(UserPoolId=race_pool)["CSVHeader"]

        def race_file(prefix):
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=race_columns, lineterminator="\r\n")
            writer.writeheader()
            for number in range(1000):
                row = dict.fromkeys(race_columns, "")
                row.update({"cognito:username": f"{prefix}{number:04}", "cognito:mfa_enabled": "FALSE", "name": prefix * 1000})
                writer.writerow(row)
            return text.getvalue().encode()

        files = {"a": race_file("a"), "b": race_file("b")}
        race = idp.create_user_import_job(UserPoolId=race_pool, JobName="race", CloudWatchLogsRoleArn=ROLE)["UserImportJob"]
        statuses = {}
        uploads = [threading.Thread(target=lambda name=name: statuses.update({name: put(race["PreSignedUrl"], files[name])[0]}))
                   for name in files]
        for upload in uploads:
            upload.start()
        for upload in uploads:
            upload.join()
        check(f"two uploads of {len(files['a']) // 1024} KiB each at the same time are both taken ({statuses})",
              statuses == {"a": 200, "b": 200})
        idp.start_user_import_job(UserPoolId=race_pool, JobId=race["JobId"])
        ended = wait_for_end(idp, race_pool, race["JobId"])
        names = [user["Username"] for page in idp.get_paginator("list_users").paginate(UserPoolId=race_pool) for user in page["Users"]]
        prefixes = sorted({name[0] for name in names})
        check(f"the job imports one of the two files whole, not a mix ({ended['Status']}, {ended['ImportedUsers']} users, prefixes {prefixes})",
              ended["Status"] == "Succeeded" and ended["ImportedUsers"] == 1000 and len(names) == 1000 and len(prefixes) == 1)
        idp.delete_user_pool(UserPoolId=race_pool)

        # `cognate export` and `cognate import`: the whole deployment into a new data directory.
        srp_client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="spa", ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        confidential = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True)["UserPoolClient"]
        idp.admin_create_user(UserPoolId=pool_id, Username="dora", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username="dora", Password="Srp-Pass-123!", Permanent=True)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        export_file = os.path.join(work, "export.jsonl")
        env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
        exported = subprocess.run([binary, "export", "--data-dir", os.path.join(work, "data"), "--file", export_file],
                                  env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate export writes the deployment ({exported.stdout.strip()}{exported.stderr.strip()})",
              exported.returncode == 0 and "users 52" in exported.stdout)
        refused = subprocess.run([binary, "import", "--data-dir", os.path.join(work, "other"), "--file", export_file],
                                 env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate import refuses a target with another master key ({refused.stderr.strip()})",
              refused.returncode != 0 and "another master key" in refused.stderr)
        imported = subprocess.run([binary, "import", "--data-dir", os.path.join(work, "copy"), "--master-key-file",
                                   os.path.join(work, "data", "master.key"), "--file", export_file],
                                  env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate import reads it into a new database ({imported.stdout.strip()}{imported.stderr.strip()})",
              imported.returncode == 0 and "users 52" in imported.stdout)
        server, _, key_id, secret = start_server(binary, os.path.join(work, "copy"), port,
                                                 extra_args=["--master-key-file", os.path.join(work, "data", "master.key")])
        copy = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                            aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        moved = copy.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "user001", "PASSWORD": "Imported-Pass-1"})
        check("and the users sign in there with their passwords, the jobs still listed",
              "AccessToken" in moved.get("AuthenticationResult", {})
              and len(copy.list_user_import_jobs(UserPoolId=pool_id, MaxResults=10)["UserImportJobs"]) == 3)

        # Into a deployment with a master key of its own: every sealed secret re-sealed under it.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        rekeyed = os.path.join(work, "rekeyed")
        imported = subprocess.run([binary, "import", "--data-dir", rekeyed, "--source-master-key-file",
                                   os.path.join(work, "data", "master.key"), "--file", export_file],
                                  env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate import --source-master-key-file re-seals under the target's own key ({imported.stdout.strip()}{imported.stderr.strip()})",
              imported.returncode == 0 and "users 52" in imported.stdout)
        with open(os.path.join(work, "data", "master.key")) as first, open(os.path.join(rekeyed, "master.key")) as second:
            check("the target's master key is not the source's", first.read().strip() != second.read().strip())
        server, _, key_id, secret = start_server(binary, rekeyed, port)
        rekeyed_idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                                   aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        described = rekeyed_idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])["UserPoolClient"]
        check("a client secret opens there as it was", described.get("ClientSecret") == confidential["ClientSecret"])
        node = subprocess.run(["node", os.path.join(HERE, "srp_sign_in.mjs"), f"{endpoint}/", pool_id, srp_client,
                               "dora", "Srp-Pass-123!", "Srp-Pass-456!"], cwd=HERE, capture_output=True, text=True, timeout=120)
        print(node.stdout + node.stderr, end="")
        check("amazon-cognito-identity-js signs in there with SRP (the verifier re-sealed), refreshes, changes the password",
              node.returncode == 0)
        moved = rekeyed_idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                          AuthParameters={"USERNAME": "user001", "PASSWORD": "Imported-Pass-1"})
        check("an imported user's password works there", "AccessToken" in moved.get("AuthenticationResult", {}))
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        from_cognito(binary, work, port)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    return 0 if Results.failed == 0 and Results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
