#!/usr/bin/env python3
"""User import jobs as the AWS documentation runs them, driven with boto3: GetCSVHeader, a CSV
written from that header, CreateUserImportJob, the file uploaded with plain HTTP PUT to the
PreSignedUrl (with the header the documentation's curl sends), StartUserImportJob,
DescribeUserImportJob until the job ends, ListUserImportJobs, StopUserImportJob; the imported
users (RESET_REQUIRED, reset by ForgotPassword), the rows kept with their errors, and the
refusals (a forged URL, a job started twice); then `cognate export` and `cognate import` carry the
whole deployment into a new data directory, where the users sign in. Prints 'N passed, N failed'."""

import base64
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config

from checks import Results, build_binary, check, error_code, free_port, start_server  # noqa: E402

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

        # `cognate export` and `cognate import`: the whole deployment into a new data directory.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        export_file = os.path.join(work, "export.jsonl")
        env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
        exported = subprocess.run([binary, "export", "--data-dir", os.path.join(work, "data"), "--file", export_file],
                                  env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate export writes the deployment ({exported.stdout.strip()}{exported.stderr.strip()})",
              exported.returncode == 0 and "users 51" in exported.stdout)
        refused = subprocess.run([binary, "import", "--data-dir", os.path.join(work, "other"), "--file", export_file],
                                 env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate import refuses a target with another master key ({refused.stderr.strip()})",
              refused.returncode != 0 and "another master key" in refused.stderr)
        imported = subprocess.run([binary, "import", "--data-dir", os.path.join(work, "copy"), "--master-key-file",
                                   os.path.join(work, "data", "master.key"), "--file", export_file],
                                  env=env, capture_output=True, text=True, timeout=120)
        check(f"cognate import reads it into a new database ({imported.stdout.strip()}{imported.stderr.strip()})",
              imported.returncode == 0 and "users 51" in imported.stdout)
        server, _, key_id, secret = start_server(binary, os.path.join(work, "copy"), port,
                                                 extra_args=["--master-key-file", os.path.join(work, "data", "master.key")])
        copy = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                            aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        moved = copy.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "user001", "PASSWORD": "Imported-Pass-1"})
        check("and the users sign in there with their passwords, the jobs still listed",
              "AccessToken" in moved.get("AuthenticationResult", {})
              and len(copy.list_user_import_jobs(UserPoolId=pool_id, MaxResults=10)["UserImportJobs"]) == 3)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    return 0 if Results.failed == 0 and Results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
