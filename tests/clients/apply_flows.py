"""Config as code, driven through the `cognate` binary and checked with boto3: `cognate apply`
of the README's example file creates the pool, its domain, a client with a fixed id, a group
with its IAM role, a user who signs in with the file's password, an identity pool whose role
hands that user credentials, and the IAM policy the role carries; a second run changes nothing;
an edited file updates only what changed; `cognate serve --apply` applies at start; `cognate
export --format apply` writes a file that applies to an empty database and, applied again to
the first, changes nothing; a misspelt key is refused."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import boto3
import botocore.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import ROOT, Results, build_binary, check, free_port, start_server  # noqa: E402

EXAMPLE = os.path.join(ROOT, "docs", "examples", "walkthrough.yaml")
CLIENT_ID = "notesweb0client0for0local0dev"


def run(binary, *args):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COGNATE_")}
    env["COGNATE_LOG"] = "warn"
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def summary(output):
    found = re.search(r"(\d+) created, (\d+) updated, (\d+) unchanged", output)
    return tuple(int(number) for number in found.groups()) if found else None


def clients(endpoint, key_id, secret):
    config = botocore.config.Config(retries={"max_attempts": 1})
    make = lambda service: boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,  # noqa: E731
                                        aws_secret_access_key=secret, config=config)
    return make("cognito-idp"), make("cognito-identity"), make("iam")


def credentials_of(work):
    text = open(os.path.join(work, "root-credentials")).read()
    pairs = dict(line.split("=", 1) for line in text.split())
    return pairs["access_key_id"], pairs["secret_access_key"]


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-apply-")
    data = os.path.join(work, "data")
    server = None
    try:
        code, output = run(binary, "apply", "--data-dir", data, EXAMPLE)
        check(f"cognate apply of the example creates everything ({summary(output)})", code == 0 and summary(output) == (8, 1, 0))
        check("and names each resource it created", "created user pool notes client notes-web" in output and "created IAM role notes-signed-in" in output)
        code, output = run(binary, "apply", "--data-dir", data, EXAMPLE)
        check(f"a second run changes nothing ({summary(output)})", code == 0 and summary(output) == (0, 0, 9))

        port = free_port()
        server, banner, _, _ = start_server(binary, data, port, extra_args=["--apply", EXAMPLE])
        check("cognate serve --apply applies the file before it listens", summary(banner) == (0, 0, 9))
        endpoint = f"http://127.0.0.1:{port}"
        key_id, secret = credentials_of(data)
        idp, identity, iam = clients(endpoint, key_id, secret)
        pools = [pool for pool in idp.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == "notes"]
        pool_id = pools[0]["Id"] if pools else "-"
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        check("the pool has the file's settings and domain",
              pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10 and pool.get("AutoVerifiedAttributes") == ["email"]
              and pool.get("UsernameAttributes") == ["email"] and pool.get("Domain") == "notes-demo")
        client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=CLIENT_ID)["UserPoolClient"]
        check("the client has its fixed id and OAuth settings",
              client["ClientName"] == "notes-web" and client.get("CallbackURLs") == ["http://localhost:3000/"] and client.get("AllowedOAuthFlows") == ["code"])
        signed_in = idp.initiate_auth(ClientId=CLIENT_ID, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "alice@example.com", "PASSWORD": "Correct-Horse-9"})
        id_token = signed_in["AuthenticationResult"]["IdToken"]
        claims = json.loads(__import__("base64").urlsafe_b64decode(id_token.split(".")[1] + "=="))
        check(f"the file's user signs in with its password, in its group ({claims.get('cognito:groups')})",
              claims.get("cognito:groups") == ["editors"] and claims.get("email_verified") is True)
        role = iam.get_role(RoleName="notes-signed-in")["Role"]
        check("the group names the role", claims.get("cognito:roles") == [role["Arn"]])
        attached = iam.list_attached_role_policies(RoleName="notes-signed-in")["AttachedPolicies"]
        check("the role carries the managed policy and the inline one",
              [policy["PolicyName"] for policy in attached] == ["notes-own-prefix"]
              and iam.list_role_policies(RoleName="notes-signed-in")["PolicyNames"] == ["own-sync-datasets"])
        identity_pool = [entry for entry in identity.list_identity_pools(MaxResults=60)["IdentityPools"] if entry["IdentityPoolName"] == "notes"][0]
        provider = f"cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        identity_id = identity.get_id(IdentityPoolId=identity_pool["IdentityPoolId"], Logins={provider: id_token})["IdentityId"]
        credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: id_token})["Credentials"]
        check("the identity pool trades the user's token for the role's credentials",
              credentials["AccessKeyId"].startswith("ASIA") and credentials.get("SessionToken"))
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        server = None

        # An edited file: a longer password minimum, a second user, a client setting.
        edited = open(EXAMPLE).read().replace("MinimumLength: 10", "MinimumLength: 12")
        edited = edited.replace("        Groups: [editors]\n", "        Groups: [editors]\n      - Username: bob@example.com\n        Password: Battery-Staple-12\n"
                                "        Attributes: {email: bob@example.com}\n")
        edited = edited.replace('LogoutURLs: ["http://localhost:3000/"]', 'LogoutURLs: ["http://localhost:3000/", "http://localhost:3000/bye"]')
        edited_path = os.path.join(work, "edited.yaml")
        open(edited_path, "w").write(edited)
        code, output = run(binary, "apply", "--data-dir", data, edited_path)
        check(f"an edited file updates the pool and the client and creates the new user ({summary(output)})",
              code == 0 and summary(output) == (1, 2, 7) and "updated user pool notes\n" in output
              and "updated user pool notes client notes-web" in output and "created user pool notes user bob@example.com" in output)
        code, output = run(binary, "apply", "--data-dir", data, edited_path)
        check(f"and is then stable ({summary(output)})", code == 0 and summary(output) == (0, 0, 10))

        # Export as an apply file; apply it to an empty database and back to this one.
        exported = os.path.join(work, "exported.json")
        code, output = run(binary, "export", "--data-dir", data, "--format", "apply", "--file", exported)
        document = json.load(open(exported)) if code == 0 else {}
        pools = document.get("UserPools", [])
        check("cognate export --format apply writes the pools, their clients with ids and secrets, users and IAM",
              len(pools) == 1 and pools[0]["Id"] == pool_id and pools[0]["Clients"][0]["ClientId"] == CLIENT_ID
              and {user["Username"] for user in pools[0]["Users"]} == {"alice@example.com", "bob@example.com"}
              and [role["RoleName"] for role in document["Iam"]["Roles"]] == ["notes-signed-in"])
        code, output = run(binary, "apply", "--data-dir", data, exported)
        check(f"applied back to its own database it changes nothing ({summary(output)})", code == 0 and summary(output)[:2] == (0, 0))
        fresh = os.path.join(work, "fresh")
        code, output = run(binary, "apply", "--data-dir", fresh, exported)
        check(f"applied to an empty database it creates the same resources ({summary(output)})", code == 0 and summary(output)[0] == 9)
        code, output = run(binary, "apply", "--data-dir", fresh, exported)
        check(f"and there too a second run changes nothing ({summary(output)})", code == 0 and summary(output)[:2] == (0, 0))

        broken = os.path.join(work, "broken.yaml")
        open(broken, "w").write("UserPools:\n  - PoolName: notes\n    AutoVerifiedAtributes: [email]\n")
        code, output = run(binary, "apply", "--data-dir", data, broken)
        check(f"a misspelt key is refused by name ({output.strip().splitlines()[-1] if output.strip() else ''})",
              code != 0 and "unknown key AutoVerifiedAtributes" in output)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    sys.exit(1 if Results.failed else 0)


if __name__ == "__main__":
    main()
