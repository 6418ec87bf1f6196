"""The operator's console: the README's example applied, alice signed in once wrongly and once
rightly, an IAM user `viewer` given a console password (CreateLoginProfile and its siblings,
through boto3), a virtual MFA device (CreateVirtualMFADevice, EnableMFADevice and theirs) and
read-only policies, and alice's identity a Cognito Sync dataset; then `console_browser.mjs`
drives Debian's Chromium
through the pages (screenshots in target/test-artifacts/console/), and this script checks what
the browser cannot: a form without its CSRF token and a forged session cookie are refused, and
what the browser did is what the API reads."""

import base64
import json
import os
import re
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
import pyotp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import HERE, ROOT, Results, build_binary, check, error_code, free_port, node_checks, start_server  # noqa: E402

EXAMPLE = os.path.join(ROOT, "docs", "examples", "walkthrough.yaml")
CLIENT_ID = "notesweb0client0for0local0dev"
VIEWER_PASSWORD = "Viewer-Console-Pass-1"
READ_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "cognito-idp:ListUserPools", "cognito-idp:DescribeUserPool", "cognito-idp:ListUsers", "cognito-idp:AdminGetUser",
    "cognito-idp:ListUserPoolClients", "cognito-idp:ListGroups", "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminListUserAuthEvents", "cognito-identity:ListIdentityPools", "cognito-identity:DescribeIdentityPool"]}]}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(url, fields, cookie=None):
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def get(url, cookie=None):
    request = urllib.request.Request(url, headers={"cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-console-")
    data = os.path.join(work, "data")
    env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
    subprocess.run([binary, "apply", "--data-dir", data, EXAMPLE], env=env, check=True, capture_output=True)
    port = free_port()
    server, _, _, _ = start_server(binary, data, port)
    endpoint = f"http://127.0.0.1:{port}"
    credentials = dict(line.split("=", 1) for line in open(os.path.join(data, "root-credentials")).read().split())
    key_id, secret = credentials["access_key_id"], credentials["secret_access_key"]
    try:
        config = botocore.config.Config(retries={"max_attempts": 1})
        make = lambda service: boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,  # noqa: E731
                                            aws_secret_access_key=secret, config=config)
        idp, iam, identity = make("cognito-idp"), make("iam"), make("cognito-identity")
        pool_id = [pool["Id"] for pool in idp.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == "notes"][0]
        identity_pool_id = identity.list_identity_pools(MaxResults=60)["IdentityPools"][0]["IdentityPoolId"]
        error_code(lambda: idp.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                             AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": "Wrong-Horse-9"}))
        signed_in = idp.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": "Correct-Horse-9"})["AuthenticationResult"]
        # alice's identity, with a Cognito Sync dataset written by her own credentials, for the console to browse.
        provider = f"cognito-idp.{pool_id.split('_')[0]}.amazonaws.com/{pool_id}"
        identity_id = identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider: signed_in["IdToken"]})["IdentityId"]
        minted = identity.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: signed_in["IdToken"]})["Credentials"]
        sync = boto3.client("cognito-sync", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=minted["AccessKeyId"],
                            aws_secret_access_key=minted["SecretKey"], aws_session_token=minted["SessionToken"], config=config)
        token = sync.list_records(IdentityPoolId=identity_pool_id, IdentityId=identity_id, DatasetName="settings")["SyncSessionToken"]
        sync.update_records(IdentityPoolId=identity_pool_id, IdentityId=identity_id, DatasetName="settings", SyncSessionToken=token,
                            RecordPatches=[{"Op": "replace", "Key": "theme", "Value": "dark-console-check", "SyncCount": 0}])
        role_arn = iam.get_role(RoleName="notes-signed-in")["Role"]["Arn"]

        # Console passwords through the IAM API.
        iam.create_user(UserName="viewer")
        iam.put_user_policy(UserName="viewer", PolicyName="console-read-only", PolicyDocument=json.dumps(READ_ONLY))
        code, _ = error_code(lambda: iam.create_login_profile(UserName="viewer", Password="short"))
        check(f"CreateLoginProfile refuses a password under IAM's policy ({code})", code == "PasswordPolicyViolation")
        profile = iam.create_login_profile(UserName="viewer", Password="Temporary-Pass-1", PasswordResetRequired=True)["LoginProfile"]
        check("CreateLoginProfile answers the profile", profile["UserName"] == "viewer" and profile["PasswordResetRequired"] is True)
        code, _ = error_code(lambda: iam.create_login_profile(UserName="viewer", Password="Another-Pass-1"))
        check(f"a second profile is EntityAlreadyExists ({code})", code == "EntityAlreadyExists")
        iam.update_login_profile(UserName="viewer", Password=VIEWER_PASSWORD, PasswordResetRequired=False)
        check("UpdateLoginProfile changes it", iam.get_login_profile(UserName="viewer")["LoginProfile"]["PasswordResetRequired"] is False)
        # A virtual MFA device for viewer: two consecutive codes enable it.
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName="viewer-phone")["VirtualMFADevice"]
        seed = device["Base32StringSeed"].decode()
        check("CreateVirtualMFADevice answers the serial number and the base32 seed",
              device["SerialNumber"].endswith(":mfa/viewer-phone") and len(seed) == 32)
        node_checks("qr_read.mjs", {"png": base64.b64encode(device["QRCodePNG"]).decode(),
                                    "expected": f"otpauth://totp/viewer-phone@{make('sts').get_caller_identity()['Account']}?secret={seed}"})
        authenticator = pyotp.TOTP(seed)
        now = time.time()
        code, _ = error_code(lambda: iam.enable_mfa_device(UserName="viewer", SerialNumber=device["SerialNumber"],
                                                           AuthenticationCode1=authenticator.at(now), AuthenticationCode2=authenticator.at(now)))
        check(f"EnableMFADevice refuses codes that are not consecutive ({code})", code == "InvalidAuthenticationCode")
        iam.enable_mfa_device(UserName="viewer", SerialNumber=device["SerialNumber"],
                              AuthenticationCode1=authenticator.at(now - 30), AuthenticationCode2=authenticator.at(now))
        listed = iam.list_mfa_devices(UserName="viewer")["MFADevices"]
        check("ListMFADevices shows it enabled", [entry["SerialNumber"] for entry in listed] == [device["SerialNumber"]])
        code, _ = error_code(lambda: iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"]))
        check(f"an enabled device cannot be deleted ({code})", code == "DeleteConflict")
        spare = iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")["VirtualMFADevice"]["SerialNumber"]
        unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
        check("ListVirtualMFADevices lists the unassigned one", [entry["SerialNumber"] for entry in unassigned] == [spare])
        iam.delete_virtual_mfa_device(SerialNumber=spare)
        iam.create_user(UserName="leaver")
        iam.create_login_profile(UserName="leaver", Password="Leaver-Pass-123")
        code, _ = error_code(lambda: iam.delete_user(UserName="leaver"))
        check(f"DeleteUser is refused while the user has a login profile ({code})", code == "DeleteConflict")
        iam.delete_login_profile(UserName="leaver")
        code, _ = error_code(lambda: iam.get_login_profile(UserName="leaver"))
        check(f"DeleteLoginProfile removes it ({code})", code == "NoSuchEntity")
        iam.delete_user(UserName="leaver")

        # What a browser cannot show: CSRF and forged cookies.
        status, headers, _ = post(f"{endpoint}/console/sign-in", {"access_key_id": key_id, "secret_access_key": secret})
        cookie = headers.get("set-cookie", "").split(";")[0]
        check(f"the root keys sign in ({status})", status == 303 and cookie.startswith("cognate-console="))
        status, _, _ = post(f"{endpoint}/console/sign-in", {"access_key_id": key_id, "secret_access_key": secret + "x"})
        check(f"a wrong secret does not ({status})", status == 401)
        alice = idp.admin_get_user(UserPoolId=pool_id, Username="alice@example.com")["Username"]
        action = f"{endpoint}/console/pools/{pool_id}/users/{alice}"
        status, _, _ = post(action, {"action": "disable"}, cookie)
        check(f"a form without the CSRF token is refused ({status})", status == 403)
        status, _, _ = post(action, {"action": "disable", "csrf": "forged"}, cookie)
        check(f"and with a wrong one ({status})", status == 403)
        check("and the user stays enabled", idp.admin_get_user(UserPoolId=pool_id, Username=alice)["Enabled"] is True)
        name, value = cookie.split("=", 1)
        forged = f"{name}={value[:-4]}AAAA"
        status, page = get(f"{endpoint}/console/pools/{pool_id}/users", forged)
        check("a cookie whose MAC is wrong is no session", "Sign in to the cognate console" in page)
        status, page = get(f"{endpoint}/console/pools/{pool_id}/users", cookie)
        check(f"the real one is ({status})", status == 200 and "alice@example.com" in page)

        settings = {"endpoint": endpoint, "key_id": key_id, "secret": secret, "pool_id": pool_id, "identity_pool_id": identity_pool_id,
                    "viewer": "viewer", "viewer_password": VIEWER_PASSWORD, "viewer_mfa_seed": seed,
                    "identity_id": identity_id, "mapping_provider": f"{provider}:{CLIENT_ID}", "role_arn": role_arn,
                    "screenshots": os.path.join(ROOT, "target", "test-artifacts", "console")}
        shutil.rmtree(settings["screenshots"], ignore_errors=True)
        node_checks("console_browser.mjs", settings)

        made = [client for client in idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"] if client["ClientName"] == "console-made"]
        described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=made[0]["ClientId"])["UserPoolClient"] if made else {}
        check("the client the console made has a secret, the flows and the OAuth settings it was given",
              "ClientSecret" in described and "ALLOW_USER_PASSWORD_AUTH" in described.get("ExplicitAuthFlows", [])
              and described.get("CallbackURLs") == ["https://app.example.com/callback"] and described.get("AllowedOAuthFlows") == ["code"]
              and sorted(described.get("AllowedOAuthScopes", [])) == ["email", "openid"])
        roles = identity.get_identity_pool_roles(IdentityPoolId=identity_pool_id)
        pool_settings = identity.describe_identity_pool(IdentityPoolId=identity_pool_id)
        check("the console left the identity pool with both roles and guests let in",
              set(roles.get("Roles", {})) == {"authenticated", "unauthenticated"} and pool_settings["AllowUnauthenticatedIdentities"] is True)
        mappings = roles.get("RoleMappings", {}).get(f"{provider}:{CLIENT_ID}", {})
        check("the role mappings the console saved are the identity pool's",
              mappings.get("Type") == "Rules" and mappings["RulesConfiguration"]["Rules"][0]["Value"] == "editors")
        names = [role["RoleName"] for role in iam.list_roles()["Roles"]]
        policies = [policy["PolicyName"] for policy in iam.list_policies(Scope="Local")["Policies"]]
        check("the role and policy the console created and deleted are gone", "console-role" not in names and "console-policy" not in policies)
        kept = iam.get_policy(PolicyArn=next(policy["Arn"] for policy in iam.list_policies(Scope="Local")["Policies"] if policy["PolicyName"] == "console-kept"))["Policy"]
        document = iam.get_policy_version(PolicyArn=kept["Arn"], VersionId=kept["DefaultVersionId"])["PolicyVersion"]["Document"]
        check(f"a policy edited in the console has its new default version ({kept['DefaultVersionId']})",
              kept["DefaultVersionId"] == "v2" and "cognito-sync:ListRecords" in json.dumps(document))
        # A policy that keeps five versions: the console's edit removes the oldest that is not the default.
        for action in ("cognito-sync:DescribeDataset", "cognito-sync:ListDatasets", "cognito-sync:ListRecords"):
            iam.create_policy_version(PolicyArn=kept["Arn"], PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": "*"}]}), SetAsDefault=False)
        policy_page = f"{endpoint}/console/iam/policies/{urllib.parse.quote(kept['Arn'], safe='')}"
        _, html = get(policy_page, cookie)
        csrf = re.search(r'name=csrf value="([^"]+)"', html).group(1)
        status, _, _ = post(policy_page, {"csrf": csrf, "action": "new-version", "document": json.dumps(READ_ONLY)}, cookie)
        versions = [version["VersionId"] for version in iam.list_policy_versions(PolicyArn=kept["Arn"])["Versions"]]
        default = iam.get_policy(PolicyArn=kept["Arn"])["Policy"]["DefaultVersionId"]
        check(f"an edit of a policy with five versions keeps five, the oldest other one gone ({status}, {sorted(versions)}, {default})",
              status == 303 and sorted(versions) == ["v2", "v3", "v4", "v5", "v6"] and default == "v6")
        status, _, _ = post(policy_page, {"csrf": csrf, "action": "delete"}, cookie)
        check(f"deleting without the \"sure\" box ticked does nothing ({status})", status == 400 and iam.get_policy(PolicyArn=kept["Arn"]))
        carol = idp.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "carol@example.com", "PASSWORD": "Carol-Password-1"})
        check("the user the console created signs in with the password it set", "AuthenticationResult" in carol)
        check("alice ends enabled, as the console left her", idp.admin_get_user(UserPoolId=pool_id, Username=alice)["Enabled"] is True)
        shots = set(os.listdir(settings["screenshots"])) if os.path.isdir(settings["screenshots"]) else set()
        with open(os.path.join(HERE, "console_browser.mjs")) as script:
            pages = {f"{name}.png" for name in re.findall(r'await shot\("([^"]+)"\)', script.read()) if name != "failure"}
        check(f"a screenshot of each page is kept ({len(shots & pages)} of {len(pages)})", len(pages) >= 17 and pages <= shots)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    sys.exit(1 if Results.failed else 0)


if __name__ == "__main__":
    main()
