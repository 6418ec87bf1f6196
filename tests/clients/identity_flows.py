#!/usr/bin/env python3
"""Web identity federation driven by boto3 against the real binary: IAM roles and policies, an
identity pool, the enhanced flow (guest, user-pool login, a login at a third-party OpenID Connect
provider — the `oidc-provider` package under Node — and developer-authenticated identities), the
basic flow (GetOpenIdToken, then STS AssumeRoleWithWebIdentity), GetCallerIdentity signed with
the credentials obtained, role choice by groups and claim rules, requests that the policy engine
allows and denies, and AWS's refusals. Prints 'N passed, N failed'."""

import datetime
import functools
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
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import pyotp
from botocore.exceptions import ClientError

from checks import OidcProvider, Results, build_binary, check, error_code, free_port, start_server

REGION = "us-east-1"
ACCOUNT = "000000000000"
OIDC_CLIENT_ID = "cognate-federation-test"
OIDC_CLIENT_SECRET = "a-long-client-secret-for-the-test-provider"
CONFIG = botocore.config.Config(retries={"max_attempts": 1})


def trust(condition, principal="cognito-identity.amazonaws.com"):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": principal},
                       "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}],
    })


class SocialApis(BaseHTTPRequestHandler):
    """Facebook's Graph API and Login with Amazon's token-info endpoint, as far as cognate
    asks them: which app a token belongs to and which user it names."""

    FACEBOOK = {"fb-token-alice": ("fb-app-1", "10001"), "fb-token-other-app": ("fb-app-2", "10002")}
    AMAZON = {"amzn-token-bob": ("amzn-client-1", "amzn1.account.BOB")}

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        token = urllib.parse.parse_qs(url.query).get("access_token", [""])[0]
        if url.path in ("/app", "/me") and token in self.FACEBOOK:
            app_id, user_id = self.FACEBOOK[token]
            return self.answer(200, {"id": app_id if url.path == "/app" else user_id})
        if url.path == "/auth/o2/tokeninfo" and token in self.AMAZON:
            client_id, user_id = self.AMAZON[token]
            return self.answer(200, {"aud": client_id, "user_id": user_id, "exp": 3600})
        return self.answer(400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException"}})


def social_providers(binary, provider):
    """The social Logins keys, with the providers' endpoints pointed at loopback: Google and Apple
    ID tokens from the OIDC provider standing in as their issuer, Facebook and Amazon access
    tokens checked against their APIs."""
    apis = ThreadingHTTPServer(("127.0.0.1", 0), SocialApis)
    threading.Thread(target=apis.serve_forever, daemon=True).start()
    apis_url = f"http://127.0.0.1:{apis.server_address[1]}"
    work = tempfile.mkdtemp(prefix="cognate-social-")
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port, extra_args=[
        "--google-issuer", provider.issuer, "--apple-issuer", provider.issuer,
        "--facebook-graph-url", apis_url, "--amazon-api-url", apis_url])
    try:
        identity = boto3.client("cognito-identity", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                                aws_access_key_id=key_id, aws_secret_access_key=secret, config=CONFIG)
        pool_id = identity.create_identity_pool(
            IdentityPoolName="social", AllowUnauthenticatedIdentities=False,
            SupportedLoginProviders={"accounts.google.com": OIDC_CLIENT_ID, "graph.facebook.com": "fb-app-1",
                                     "www.amazon.com": "amzn-client-1", "appleid.apple.com": "com.example.other"},
        )["IdentityPoolId"]
        google_token = provider.id_token("grace")
        google_id = identity.get_id(IdentityPoolId=pool_id, Logins={"accounts.google.com": google_token})["IdentityId"]
        check("a Google ID token (verified through the issuer's keys) gets an identity",
              identity.get_id(IdentityPoolId=pool_id, Logins={"accounts.google.com": provider.id_token("grace")})["IdentityId"] == google_id)
        code, _ = error_code(lambda: identity.get_open_id_token(IdentityId=google_id, Logins={"accounts.google.com": google_token}))
        check(f"GetOpenIdToken needs the classic flow enabled ({code})", code == "InvalidParameterException")
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=pool_id, Logins={"appleid.apple.com": google_token}))
        check(f"an Apple login whose audience is another service id is refused ({code})", code == "NotAuthorizedException")
        facebook_id = identity.get_id(IdentityPoolId=pool_id, Logins={"graph.facebook.com": "fb-token-alice"})["IdentityId"]
        check("a Facebook access token for the pool's app gets an identity", facebook_id not in ("", google_id))
        check("DescribeIdentity names the Facebook login",
              identity.describe_identity(IdentityId=facebook_id)["Logins"] == ["graph.facebook.com"])
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=pool_id, Logins={"graph.facebook.com": "fb-token-other-app"}))
        check(f"a Facebook token of another app is refused ({code})", code == "NotAuthorizedException")
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=pool_id, Logins={"graph.facebook.com": "forged"}))
        check(f"a Facebook token the Graph API rejects is refused ({code})", code == "NotAuthorizedException")
        amazon_id = identity.get_id(IdentityPoolId=pool_id, Logins={"www.amazon.com": "amzn-token-bob"})["IdentityId"]
        check("a Login with Amazon token gets an identity", amazon_id not in (google_id, facebook_id))
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=pool_id, Logins={"www.amazon.com": "amzn-token-unknown"}))
        check(f"an Amazon token the token-info endpoint rejects is refused ({code})", code == "NotAuthorizedException")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        apis.shutdown()
        shutil.rmtree(work, ignore_errors=True)


def attempt_call(call):
    """The error code (None on success) and the answer of a call."""
    try:
        return None, call()
    except ClientError as error:
        return error.response["Error"]["Code"], None


def eventually(condition, seconds=8):
    """Whether `condition()` holds within `seconds` (a policy change holds within the cache's
    two seconds on every node)."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


def managed_policies(iam, role_name, caller):
    """Customer managed policies: created, versioned, attached to a role whose credentials
    `caller` (a cognito-idp client) holds; each change reaches the caller within seconds."""
    document = lambda effect: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": effect, "Action": "cognito-idp:ListUserPools", "Resource": "*"}]})
    allowed = lambda: error_code(lambda: caller.list_user_pools(MaxResults=10))[0] is None  # noqa: E731
    policy = iam.create_policy(PolicyName="list-pools", Path="/app/", PolicyDocument=document("Allow"), Description="pools",
                               Tags=[{"Key": "team", "Value": "id"}])["Policy"]
    arn = policy["Arn"]
    check("CreatePolicy answers AWS's shapes",
          arn == f"arn:aws:iam::{ACCOUNT}:policy/app/list-pools" and policy["PolicyId"].startswith("ANPA")
          and policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0 and policy["IsAttachable"] is True)
    code, status = error_code(lambda: iam.create_policy(PolicyName="list-pools", PolicyDocument=document("Allow")))
    check(f"a second policy of the same name is EntityAlreadyExists ({code}, {status})", code == "EntityAlreadyExists" and status == 409)
    code, _ = error_code(lambda: iam.create_policy(PolicyName="broken", PolicyDocument='{"Statement": 5}'))
    check(f"a malformed document is MalformedPolicyDocument ({code})", code == "MalformedPolicyDocument")
    check("the caller's role does not allow ListUserPools yet", not allowed())

    iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    check("ListAttachedRolePolicies names it",
          iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == [{"PolicyName": "list-pools", "PolicyArn": arn}])
    check("GetPolicy counts the attachment", iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1)
    check("ListEntitiesForPolicy names the role",
          [role["RoleName"] for role in iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]] == [role_name])
    check("ListPolicies OnlyAttached lists it",
          [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == [arn]
          and iam.list_policies(Scope="AWS")["Policies"] == [])
    check("once attached, the policy allows the caller within seconds", eventually(allowed))

    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("Deny"), SetAsDefault=True)["PolicyVersion"]
    check("CreatePolicyVersion with SetAsDefault makes v2 the default", version["VersionId"] == "v2" and version["IsDefaultVersion"] is True)
    check("a new default version that denies holds within seconds", eventually(lambda: not allowed()))
    first = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    check("GetPolicyVersion answers the document (boto3 decodes it)",
          first["Document"]["Statement"][0]["Effect"] == "Allow" and first["IsDefaultVersion"] is False)
    check("ListPolicyVersions lists newest first", [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2", "v1"])
    code, status = error_code(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v2"))
    check(f"the default version cannot be deleted ({code}, {status})", code == "DeleteConflict" and status == 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    check("SetDefaultPolicyVersion back to v1 allows again", eventually(allowed))
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("Allow"))
    code, _ = error_code(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("Allow")))
    check(f"a sixth version is LimitExceeded ({code})", code == "LimitExceeded")
    pages = list(iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2}))
    check("ListPolicyVersions in pages of two: three pages, newest first, each version once",
          [[v["VersionId"] for v in page["Versions"]] for page in pages] == [["v5", "v4"], ["v3", "v2"], ["v1"]])
    code, _ = error_code(lambda: iam.list_policy_versions(PolicyArn=arn, Marker="v99"))
    check(f"a marker that names no version is refused ({code})", code == "ValidationError")
    # The same policy as a boundary of a user, with a path of its own.
    iam.create_user(UserName="bounded", Path="/edge/", PermissionsBoundary=arn)
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    check("ListEntitiesForPolicy names the role it is attached to and the user it bounds",
          [r["RoleName"] for r in entities["PolicyRoles"]] == [role_name] and [u["UserName"] for u in entities["PolicyUsers"]] == ["bounded"])
    check("… PolicyUsageFilter PermissionsPolicy leaves out the boundary, PermissionsBoundary the attachment",
          iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")["PolicyUsers"] == []
          and iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")["PolicyRoles"] == [])
    check("… EntityFilter User and PathPrefix /edge/ keep the user alone",
          [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User", PathPrefix="/edge/")["PolicyUsers"]] == ["bounded"]
          and iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/edge/")["PolicyRoles"] == [])
    first_page = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=1)
    rest = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=1, Marker=first_page["Marker"])
    check("… in pages of one: the role, then the user, then no more",
          first_page["IsTruncated"] and [r["RoleName"] for r in first_page["PolicyRoles"]] == [role_name] and first_page["PolicyUsers"] == []
          and not rest["IsTruncated"] and [u["UserName"] for u in rest["PolicyUsers"]] == ["bounded"])
    iam.delete_user_permissions_boundary(UserName="bounded")
    iam.delete_user(UserName="bounded")
    code, _ = error_code(lambda: iam.delete_policy(PolicyArn=arn))
    check(f"an attached policy cannot be deleted ({code})", code == "DeleteConflict")

    iam.detach_role_policy(RoleName=role_name, PolicyArn=arn)
    check("once detached, the caller is refused within seconds", eventually(lambda: not allowed()))
    code, _ = error_code(lambda: iam.detach_role_policy(RoleName=role_name, PolicyArn=arn))
    check(f"detaching it again is NoSuchEntity ({code})", code == "NoSuchEntity")
    code, _ = error_code(lambda: iam.delete_policy(PolicyArn=arn))
    check(f"a policy with versions besides its default cannot be deleted ({code})", code == "DeleteConflict")
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)
    code, status = error_code(lambda: iam.get_policy(PolicyArn=arn))
    check(f"a deleted policy is NoSuchEntity ({code}, {status})", code == "NoSuchEntity" and status == 404)
    code, _ = error_code(lambda: iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"))
    check(f"an AWS managed policy is not attachable here ({code})", code == "NoSuchEntity")


def iam_renames(iam, client, pool_id):
    """UpdateUser and UpdateGroup: a new name and path move everything filed under the old name
    (keys, inline and attached policies, groups), the id stays, and a user made later under the
    old name inherits nothing."""
    pools = iam.create_policy(PolicyName="rename-pools", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}]}))["Policy"]["Arn"]
    user = iam.create_user(UserName="mover", Path="/a/")["User"]
    key = iam.create_access_key(UserName="mover")["AccessKey"]
    iam.put_user_policy(UserName="mover", PolicyName="users", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]}))
    iam.attach_user_policy(UserName="mover", PolicyArn=pools)
    group = iam.create_group(GroupName="crew")["Group"]
    iam.add_user_to_group(GroupName="crew", UserName="mover")
    iam.put_group_policy(GroupName="crew", PolicyName="describe", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPool", "Resource": "*"}]}))
    signed = lambda service: client(service, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])  # noqa: E731
    allowed = lambda: all(error_code(call)[0] is None for call in (  # noqa: E731
        lambda: signed("cognito-idp").list_users(UserPoolId=pool_id), lambda: signed("cognito-idp").list_user_pools(MaxResults=5),
        lambda: signed("cognito-idp").describe_user_pool(UserPoolId=pool_id)))
    check("before: the user's inline, attached and group policies all allow", eventually(allowed))

    iam.update_user(UserName="mover", NewUserName="moved", NewPath="/b/")
    moved = iam.get_user(UserName="moved")["User"]
    check("UpdateUser: the new name and path, the same id",
          moved["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/b/moved" and moved["UserId"] == user["UserId"])
    code, status = error_code(lambda: iam.get_user(UserName="mover"))
    check(f"the old name is gone ({code}, {status})", code == "NoSuchEntity" and status == 404)
    check("its key, inline policy, attached policy and group moved with it",
          [k["AccessKeyId"] for k in iam.list_access_keys(UserName="moved")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
          and iam.list_user_policies(UserName="moved")["PolicyNames"] == ["users"]
          and [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="moved")["AttachedPolicies"]] == [pools]
          and [g["GroupName"] for g in iam.list_groups_for_user(UserName="moved")["Groups"]] == ["crew"]
          and [u["UserName"] for u in iam.get_group(GroupName="crew")["Users"]] == ["moved"]
          and [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=pools)["PolicyUsers"]] == ["moved"])
    check("its key signs as the new name", signed("sts").get_caller_identity()["Arn"] == moved["Arn"])
    check("and is allowed what it was", eventually(allowed))
    fresh = iam.create_user(UserName="mover")["User"]
    check("a user made under the old name inherits nothing",
          fresh["UserId"] != user["UserId"] and iam.list_user_policies(UserName="mover")["PolicyNames"] == []
          and iam.list_attached_user_policies(UserName="mover")["AttachedPolicies"] == []
          and iam.list_groups_for_user(UserName="mover")["Groups"] == [] and iam.list_access_keys(UserName="mover")["AccessKeyMetadata"] == [])
    code, status = error_code(lambda: iam.update_user(UserName="moved", NewUserName="MOVER"))
    check(f"a new name that is taken (in any case) is EntityAlreadyExists ({code}, {status})", code == "EntityAlreadyExists" and status == 409)
    code, status = error_code(lambda: iam.update_user(UserName="nobody", NewPath="/c/"))
    check(f"UpdateUser of an unknown user is NoSuchEntity ({code}, {status})", code == "NoSuchEntity" and status == 404)
    iam.delete_user(UserName="mover")

    iam.update_group(GroupName="crew", NewGroupName="team", NewPath="/ops/")
    team = iam.get_group(GroupName="team")
    check("UpdateGroup: the new name and path, the same id, the same members",
          team["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ops/team" and team["Group"]["GroupId"] == group["GroupId"]
          and [u["UserName"] for u in team["Users"]] == ["moved"])
    check("the member's groups and the group's policy moved with it",
          [g["GroupName"] for g in iam.list_groups_for_user(UserName="moved")["Groups"]] == ["team"]
          and iam.list_group_policies(GroupName="team")["PolicyNames"] == ["describe"])
    check("the group's policy still reaches its member", eventually(allowed))
    code, _ = error_code(lambda: iam.get_group(GroupName="crew"))
    check(f"the old group name is gone ({code})", code == "NoSuchEntity")

    iam.delete_group_policy(GroupName="team", PolicyName="describe")
    iam.remove_user_from_group(GroupName="team", UserName="moved")
    iam.delete_group(GroupName="team")
    iam.detach_user_policy(UserName="moved", PolicyArn=pools)
    iam.delete_user_policy(UserName="moved", PolicyName="users")
    iam.delete_access_key(UserName="moved", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="moved")
    iam.delete_policy(PolicyArn=pools)


def iam_users(iam, client, pool_id, other_pool_id):
    """An IAM user whose key may only do what its policies say: allowed on one pool, refused on
    another; an inactive key signs nothing; a detached policy stops working within seconds."""
    user = iam.create_user(UserName="backend", Path="/services/", Tags=[{"Key": "team", "Value": "api"}])["User"]
    check("CreateUser answers AWS's shapes",
          user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/services/backend" and user["UserId"].startswith("AIDA"))
    code, status = error_code(lambda: iam.create_user(UserName="BACKEND"))
    check(f"user names are case-insensitive: EntityAlreadyExists ({code}, {status})", code == "EntityAlreadyExists" and status == 409)
    key = iam.create_access_key(UserName="backend")["AccessKey"]
    check("CreateAccessKey answers an AKIA key and its secret once",
          key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20 and len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active")
    listed = iam.list_access_keys(UserName="backend")["AccessKeyMetadata"]
    check("ListAccessKeys lists it without the secret", [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]] and "SecretAccessKey" not in listed[0])
    signed = lambda service: client(service, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])  # noqa: E731
    backend_idp, backend_sts, backend_iam = signed("cognito-idp"), signed("sts"), signed("iam")

    caller = backend_sts.get_caller_identity()
    check("GetCallerIdentity answers the user", caller["Arn"] == user["Arn"] and caller["UserId"] == user["UserId"])
    code, status = error_code(lambda: backend_idp.list_users(UserPoolId=pool_id))
    check(f"a user without policies may do nothing ({code}, {status})", code == "AccessDeniedException" and status == 403)
    one_pool = {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"}
    iam.put_user_policy(UserName="backend", PolicyName="one-pool", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        one_pool,
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"], "Resource": "arn:aws:iam::*:user/services/${aws:username}"}]}))
    check("PutUserPolicy: ListUserPolicies names it", iam.list_user_policies(UserName="backend")["PolicyNames"] == ["one-pool"])
    simulated = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["cognito-idp:ListUsers"], ResourceArns=[
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{other_pool_id}"])
    check("SimulatePrincipalPolicy with a user source: allowed on one pool, not on the other",
          [r["EvalDecision"] for r in simulated["EvaluationResults"]] == ["allowed", "implicitDeny"])
    stored = iam.get_user_policy(UserName="backend", PolicyName="one-pool")["PolicyDocument"]
    document = json.dumps({"Version": "2012-10-17", "Statement": stored["Statement"]})
    start = document.index(json.dumps(one_pool)) + 1
    check("its MatchedStatements name the allowing statement: the inline user policy and where the statement stands",
          simulated["EvaluationResults"][0]["MatchedStatements"] == [{
              "SourcePolicyId": "one-pool", "SourcePolicyType": "user",
              "StartPosition": {"Line": 1, "Column": start}, "EndPosition": {"Line": 1, "Column": start + len(json.dumps(one_pool))}}]
          and simulated["EvaluationResults"][1]["MatchedStatements"] == [])
    check("GetUserPolicy answers the document",
          iam.get_user_policy(UserName="backend", PolicyName="one-pool")["PolicyDocument"]["Statement"][0]["Action"] == "cognito-idp:ListUsers")
    check("the key is allowed on the pool its policy names", eventually(lambda: error_code(lambda: backend_idp.list_users(UserPoolId=pool_id))[0] is None))
    code, _ = error_code(lambda: backend_idp.list_users(UserPoolId=other_pool_id))
    check(f"and refused on another pool ({code})", code == "AccessDeniedException")
    check("GetUser without UserName answers the signing user (allowed by ${aws:username})",
          backend_iam.get_user()["User"]["UserName"] == "backend")
    code, status = error_code(lambda: backend_iam.get_user(UserName="someone-else"))
    check(f"another user's name is refused by the policy ({code}, {status})", code == "AccessDenied" and status == 403)
    code, _ = error_code(lambda: iam.get_user())
    check(f"the root must name the user ({code})", code == "ValidationError")
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    check("GetAccessKeyLastUsed names the user and the service it signed for",
          last["UserName"] == "backend" and last["AccessKeyLastUsed"]["ServiceName"] in ("sts", "cognito-idp", "iam")
          and "LastUsedDate" in last["AccessKeyLastUsed"])

    # GetSessionToken: temporary credentials that act as the user.
    session = backend_sts.get_session_token(DurationSeconds=900)["Credentials"]

    def temporary(service, credentials=session):
        return client(service, aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"])
    lasts = (session["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    check(f"GetSessionToken answers ASIA credentials for the 15 minutes asked ({lasts:.0f} s)",
          session["AccessKeyId"].startswith("ASIA") and 840 < lasts <= 900)
    check("GetCallerIdentity with them answers the user", temporary("sts").get_caller_identity()["Arn"] == user["Arn"])
    check("they may do what the user may: ListUsers on its pool", error_code(lambda: temporary("cognito-idp").list_users(UserPoolId=pool_id))[0] is None)
    code, _ = error_code(lambda: temporary("cognito-idp").list_users(UserPoolId=other_pool_id))
    check(f"and not what the user may not ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: temporary("iam").get_user())
    check(f"without MFA they may not call IAM, as in AWS ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: temporary("sts").get_session_token())
    check(f"nor ask for another session token ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: backend_sts.get_session_token(DurationSeconds=129_601))
    check(f"a duration over 36 hours is refused ({code})", code == "ValidationError")
    # The root key pair's sessions: an hour at most, acting as the root, kept from IAM (no MFA
    # device of the root is kept) and from assuming roles.
    root_session = client("sts").get_session_token()["Credentials"]
    lasts = (root_session["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    check(f"the root's GetSessionToken lasts an hour by default ({lasts:.0f} s)", 3500 < lasts <= 3600 and root_session["AccessKeyId"].startswith("ASIA"))
    check("its credentials act as the root: GetCallerIdentity answers the root, ListUsers on any pool is allowed",
          temporary("sts", root_session).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
          and error_code(lambda: temporary("cognito-idp", root_session).list_users(UserPoolId=other_pool_id))[0] is None)
    code, _ = error_code(lambda: temporary("iam", root_session).list_users())
    check(f"but not IAM without MFA, as in AWS ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: client("sts").get_session_token(DurationSeconds=3601))
    check(f"the root's session lasts at most an hour ({code})", code == "ValidationError")
    list_any = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]})
    root_federation = client("sts").get_federation_token(Name="root-partner", DurationSeconds=7200, Policy=list_any)
    lasts = (root_federation["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    check(f"the root's GetFederationToken: the federated user, an hour when more is asked ({lasts:.0f} s)",
          root_federation["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/root-partner" and 3500 < lasts <= 3600)
    root_partner = functools.partial(temporary, credentials=root_federation["Credentials"])
    code, _ = error_code(lambda: root_partner("cognito-idp").list_user_pools(MaxResults=5))
    check(f"… allowed what its session policy allows and nothing else ({code})",
          error_code(lambda: root_partner("cognito-idp").list_users(UserPoolId=other_pool_id))[0] is None and code == "AccessDeniedException")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="backend-phone")["VirtualMFADevice"]
    authenticator, now = pyotp.TOTP(device["Base32StringSeed"].decode()), time.time()
    iam.enable_mfa_device(UserName="backend", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=authenticator.at(now - 30), AuthenticationCode2=authenticator.at(now))
    code, _ = error_code(lambda: backend_sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=authenticator.at(now)))
    check(f"a code already used does not prove MFA ({code})", code == "AccessDenied")
    with_mfa = backend_sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=authenticator.at(now + 30))["Credentials"]
    check("with MFA proven, the session calls IAM as the user's policy allows",
          temporary("iam", with_mfa).get_user()["User"]["UserName"] == "backend")
    code, _ = error_code(lambda: temporary("iam", with_mfa).get_user(UserName="someone-else"))
    check(f"and nothing more ({code})", code == "AccessDenied")
    # MFA on AssumeRole, with a second device of the user: a role whose trust policy and own
    # policy ask for it.
    second = iam.create_virtual_mfa_device(VirtualMFADeviceName="backend-key")["VirtualMFADevice"]
    key_codes = pyotp.TOTP(second["Base32StringSeed"].decode())
    iam.enable_mfa_device(UserName="backend", SerialNumber=second["SerialNumber"],
                          AuthenticationCode1=key_codes.at(now - 30), AuthenticationCode2=key_codes.at(now))
    serials = sorted([device["SerialNumber"], second["SerialNumber"]])
    pages = list(iam.get_paginator("list_mfa_devices").paginate(UserName="backend", PaginationConfig={"PageSize": 1}))
    check("ListMFADevices in pages of one: each device once, by serial number",
          [[d["SerialNumber"] for d in page["MFADevices"]] for page in pages] == [[serials[0]], [serials[1]]])
    iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")
    pages = list(iam.get_paginator("list_virtual_mfa_devices").paginate(PaginationConfig={"PageSize": 2}))
    check("ListVirtualMFADevices in pages of two: the three devices, then no more",
          [len(page["VirtualMFADevices"]) for page in pages] == [2, 1]
          and [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]
          == [f"arn:aws:iam::{ACCOUNT}:mfa/spare"])
    iam.delete_virtual_mfa_device(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/spare")
    with_mfa_only = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    mfa_role = iam.create_role(RoleName="needs-mfa", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole", "Condition": with_mfa_only}]}))["Role"]
    iam.put_role_policy(RoleName="needs-mfa", PolicyName="pools-with-mfa", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*", "Condition": with_mfa_only}]}))
    iam.put_user_policy(UserName="backend", PolicyName="assume-needs-mfa", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": mfa_role["Arn"]}]}))
    assumed = {}

    def assume_with_mfa():
        code, answer = attempt_call(lambda: backend_sts.assume_role(RoleArn=mfa_role["Arn"], RoleSessionName="with-mfa",
                                                                    SerialNumber=second["SerialNumber"], TokenCode=key_codes.at(now + 30)))
        assumed.update(answer or {})
        return code is None
    check("AssumeRole with the user's MFA code is let in by a trust policy that asks for MFA", eventually(assume_with_mfa))
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=mfa_role["Arn"], RoleSessionName="no-mfa"))
    check(f"without MFA that trust policy refuses ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=mfa_role["Arn"], RoleSessionName="again",
                                                         SerialNumber=second["SerialNumber"], TokenCode=key_codes.at(now + 30)))
    check(f"the same code again is refused ({code})", code == "AccessDenied")
    check("the session carries aws:MultiFactorAuthPresent to the role's own policy",
          "UserPools" in temporary("cognito-idp", assumed["Credentials"]).list_user_pools(MaxResults=5))
    iam.delete_user_policy(UserName="backend", PolicyName="assume-needs-mfa")
    iam.delete_role_policy(RoleName="needs-mfa", PolicyName="pools-with-mfa")
    iam.delete_role(RoleName="needs-mfa")
    for serial in (device["SerialNumber"], second["SerialNumber"]):
        iam.deactivate_mfa_device(UserName="backend", SerialNumber=serial)
        iam.delete_virtual_mfa_device(SerialNumber=serial)

    # GetFederationToken: a federated user, allowed what both the user's and the session's
    # policies allow.
    list_any = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]})
    federation = backend_sts.get_federation_token(Name="partner-app", DurationSeconds=900, Policy=list_any)
    federated_arn = f"arn:aws:sts::{ACCOUNT}:federated-user/partner-app"
    check("GetFederationToken answers the federated user, its credentials and the packed policy size",
          federation["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:partner-app", "Arn": federated_arn}
          and federation["Credentials"]["AccessKeyId"].startswith("ASIA") and federation["PackedPolicySize"] >= 1)
    partner = functools.partial(temporary, credentials=federation["Credentials"])
    check("GetCallerIdentity with them answers the federated user", partner("sts").get_caller_identity()["Arn"] == federated_arn)
    check("they may do what both the session policy and the user's policy allow",
          error_code(lambda: partner("cognito-idp").list_users(UserPoolId=pool_id))[0] is None)
    code, _ = error_code(lambda: partner("cognito-idp").list_users(UserPoolId=other_pool_id))
    check(f"not what the user's own policy does not allow ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: partner("iam").get_user(UserName="backend"))
    check(f"nor IAM, as in AWS ({code})", code == "AccessDenied")
    bare = backend_sts.get_federation_token(Name="no-policy")["Credentials"]
    code, _ = error_code(lambda: temporary("cognito-idp", bare).list_users(UserPoolId=pool_id))
    check(f"without a session policy the federated user may do nothing ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: backend_sts.get_federation_token(Name="not a name!"))
    check(f"a Name outside IAM's characters is refused ({code})", code == "ValidationError")
    # Session tags: the user's policy must allow sts:TagSession; a session tag is the federated
    # user's aws:PrincipalTag, over the user's own tag of the same key (team=api).
    partners_only = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*",
                                                                         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "partners"}}}]})
    partners_tag = [{"Key": "team", "Value": "partners"}]
    code, _ = error_code(lambda: backend_sts.get_federation_token(Name="tagged", Policy=partners_only, Tags=partners_tag))
    check(f"session tags without sts:TagSession in the user's policy are AccessDenied ({code})", code == "AccessDenied")
    iam.put_user_policy(UserName="backend", PolicyName="tag-sessions", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:TagSession", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/team": "partners"}}}]}))
    tagged = {}

    def tag_session():
        code, answer = attempt_call(lambda: backend_sts.get_federation_token(Name="tagged", Policy=partners_only, Tags=partners_tag))
        tagged.update(answer or {})
        return code is None

    check("with sts:TagSession allowed, GetFederationToken takes the session tags", eventually(tag_session))
    check("the session tag overrides the user's tag of the same key in a condition",
          error_code(lambda: temporary("cognito-idp", tagged["Credentials"]).list_users(UserPoolId=pool_id))[0] is None)
    untagged = backend_sts.get_federation_token(Name="untagged", Policy=partners_only)["Credentials"]
    code, _ = error_code(lambda: temporary("cognito-idp", untagged).list_users(UserPoolId=pool_id))
    check(f"without it the user's own tag (team=api) is the federated user's, and the condition fails ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: backend_sts.get_federation_token(Name="tagged", Policy=partners_only, Tags=[{"Key": "team", "Value": "admins"}]))
    check(f"a tag value the user's policy does not allow is AccessDenied ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: backend_sts.get_federation_token(Name="tagged", Policy=partners_only,
                                                                  Tags=[{"Key": "team", "Value": "partners"}, {"Key": "Team", "Value": "x"}]))
    check(f"two tags whose keys differ only in case are refused ({code})", code == "ValidationError")
    iam.delete_user_policy(UserName="backend", PolicyName="tag-sessions")

    # An attached managed policy, detached again.
    pools = iam.create_policy(PolicyName="list-pools-for-users", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="backend", PolicyArn=pools)
    check("ListAttachedUserPolicies names it", [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="backend")["AttachedPolicies"]] == [pools])
    check("ListEntitiesForPolicy names the user", [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=pools)["PolicyUsers"]] == ["backend"])
    check("an attached policy allows the user within seconds",
          eventually(lambda: error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] is None))
    code, _ = error_code(lambda: iam.delete_user(UserName="backend"))
    check(f"a user with keys and policies cannot be deleted ({code})", code == "DeleteConflict")
    iam.detach_user_policy(UserName="backend", PolicyArn=pools)
    check("a detached policy stops working within seconds",
          eventually(lambda: error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] == "AccessDeniedException"))

    sts_root = client("sts")
    check("GetAccessKeyInfo answers the account of a key", sts_root.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT)
    code, _ = error_code(lambda: sts_root.get_access_key_info(AccessKeyId="AKIA-NOT/A+KEY!!"))
    check(f"and refuses a malformed key id ({code})", code == "ValidationError")
    code, status = error_code(lambda: sts_root.decode_authorization_message(EncodedMessage="bm90IGlzc3VlZCBoZXJl"))
    check(f"DecodeAuthorizationMessage: a message this service did not issue is InvalidAuthorizationMessageException ({code}, {status})",
          code == "InvalidAuthorizationMessageException" and status == 400)
    code, _ = error_code(lambda: backend_sts.decode_authorization_message(EncodedMessage="bm90IGlzc3VlZCBoZXJl"))
    check(f"… and needs sts:DecodeAuthorizationMessage ({code})", code == "AccessDenied")

    # A permissions boundary caps what the user's own policies allow.
    only_list_users = iam.create_policy(PolicyName="boundary-list-users", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]}))["Policy"]["Arn"]
    code, _ = error_code(lambda: iam.put_user_permissions_boundary(UserName="backend", PermissionsBoundary=only_list_users + "-missing"))
    check(f"a boundary naming no policy is NoSuchEntity ({code})", code == "NoSuchEntity")
    iam.put_user_permissions_boundary(UserName="backend", PermissionsBoundary=only_list_users)
    check("GetUser answers the boundary",
          iam.get_user(UserName="backend")["User"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == only_list_users)
    check("within the boundary, the user's policy still allows ListUsers",
          eventually(lambda: error_code(lambda: backend_idp.list_users(UserPoolId=pool_id))[0] is None))
    check("outside it, GetUser, which its own policy allows, is refused",
          eventually(lambda: error_code(lambda: backend_iam.get_user())[0] == "AccessDenied"))
    simulated = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["iam:GetUser", "cognito-idp:ListUsers"],
                                              ResourceArns=[user["Arn"]])
    check("SimulatePrincipalPolicy applies the boundary",
          [r["EvalDecision"] for r in simulated["EvaluationResults"]] == ["implicitDeny", "implicitDeny"])
    iam.delete_user_permissions_boundary(UserName="backend")
    check("without the boundary GetUser is allowed again", eventually(lambda: error_code(lambda: backend_iam.get_user())[0] is None))
    bounded_role = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}),
        PermissionsBoundary=only_list_users)["Role"]
    iam.put_role_policy(RoleName="bounded", PolicyName="wide", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}]}))
    check("CreateRole with a boundary: GetRole answers it",
          iam.get_role(RoleName="bounded")["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == only_list_users)
    simulated = iam.simulate_principal_policy(PolicySourceArn=bounded_role["Arn"], ActionNames=["cognito-idp:ListUsers", "cognito-idp:DeleteUserPool"])
    check("a role's boundary lets through only what both allow",
          [r["EvalDecision"] for r in simulated["EvaluationResults"]] == ["allowed", "implicitDeny"])
    iam.delete_role_permissions_boundary(RoleName="bounded")
    simulated = iam.simulate_principal_policy(PolicySourceArn=bounded_role["Arn"], ActionNames=["cognito-idp:DeleteUserPool"])
    check("and without it the role's own policy decides", simulated["EvaluationResults"][0]["EvalDecision"] == "allowed")
    iam.delete_role_policy(RoleName="bounded", PolicyName="wide")
    iam.delete_role(RoleName="bounded")
    # SimulateCustomPolicy: documents, no principal.
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"},
                                                              {"Effect": "Deny", "Action": "cognito-idp:DeleteUserPool", "Resource": "*"}]})
    tagged_only = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*",
                                                                     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]})
    custom = iam.simulate_custom_policy(PolicyInputList=[wide], ActionNames=["cognito-idp:ListUsers", "cognito-idp:DeleteUserPool", "iam:GetUser"])
    check("SimulateCustomPolicy decides each action by the documents given",
          [r["EvalDecision"] for r in custom["EvaluationResults"]] == ["allowed", "explicitDeny", "implicitDeny"])
    allow_at, deny_at = wide.index('{"Effect": "Allow"') + 1, wide.index('{"Effect": "Deny"') + 1
    places = [[(m["SourcePolicyId"], m["SourcePolicyType"], m["StartPosition"]["Column"], m["EndPosition"]["Column"]) for m in r["MatchedStatements"]]
              for r in custom["EvaluationResults"]]
    check(f"its MatchedStatements: the Allow statement for the allowed action, only the Deny for the denied one, none for the rest ({places})",
          places == [[("PolicyInputList.1", "none", allow_at, wide.index("}", allow_at) + 2)],
                     [("PolicyInputList.1", "none", deny_at, wide.index("}", deny_at) + 2)], []])
    bounded = iam.simulate_custom_policy(PolicyInputList=[wide], PermissionsBoundaryPolicyInputList=[tagged_only],
                                         ActionNames=["cognito-idp:ListUsers"],
                                         ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["blue"], "ContextKeyType": "string"}])
    unbounded = iam.simulate_custom_policy(PolicyInputList=[wide], PermissionsBoundaryPolicyInputList=[tagged_only], ActionNames=["cognito-idp:ListUsers"])
    check("a boundary document caps them, with the context entries its condition tests",
          bounded["EvaluationResults"][0]["EvalDecision"] == "allowed" and unbounded["EvaluationResults"][0]["EvalDecision"] == "implicitDeny")
    code, _ = error_code(lambda: iam.simulate_custom_policy(PolicyInputList=["{\"Statement\": 5}"], ActionNames=["iam:GetUser"]))
    check(f"a malformed document is InvalidInput, as the model names it ({code})", code == "InvalidInput")

    # Tags on the user, a policy and a role, and a tag in a condition.
    iam.tag_user(UserName="backend", Tags=[{"Key": "stage", "Value": "prod"}])
    check("TagUser adds to CreateUser's tags",
          sorted((t["Key"], t["Value"]) for t in iam.list_user_tags(UserName="backend")["Tags"]) == [("stage", "prod"), ("team", "api")])
    iam.untag_user(UserName="backend", TagKeys=["stage"])
    check("UntagUser removes it", [t["Key"] for t in iam.list_user_tags(UserName="backend")["Tags"]] == ["team"])
    iam.tag_policy(PolicyArn=pools, Tags=[{"Key": "owner", "Value": "ops"}])
    check("TagPolicy and ListPolicyTags", iam.list_policy_tags(PolicyArn=pools)["Tags"] == [{"Key": "owner", "Value": "ops"}])
    iam.untag_policy(PolicyArn=pools, TagKeys=["owner"])
    check("UntagPolicy", iam.list_policy_tags(PolicyArn=pools)["Tags"] == [])
    code, _ = error_code(lambda: iam.tag_user(UserName="backend", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]))
    check(f"more than 50 tags is LimitExceeded ({code})", code == "LimitExceeded")
    iam.put_user_policy(UserName="backend", PolicyName="by-tag", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "api"}}}]}))
    check("a condition on the user's own tag allows", eventually(lambda: error_code(lambda: backend_iam.list_roles())[0] is None))
    iam.tag_user(UserName="backend", Tags=[{"Key": "team", "Value": "web"}])
    check("and a changed tag no longer does", error_code(lambda: backend_iam.list_roles())[0] == "AccessDenied")
    iam.delete_user_policy(UserName="backend", PolicyName="by-tag")

    # A group: its policies reach its members.
    group = iam.create_group(GroupName="operators", Path="/ops/")["Group"]
    check("CreateGroup answers AWS's shapes", group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ops/operators" and group["GroupId"].startswith("AGPA"))
    iam.put_group_policy(GroupName="operators", PolicyName="pools", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}]}))
    check("the group's policy does not reach a non-member",
          error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] == "AccessDeniedException")
    iam.add_user_to_group(GroupName="operators", UserName="backend")
    check("GetGroup lists the member", [u["UserName"] for u in iam.get_group(GroupName="operators")["Users"]] == ["backend"])
    iam.create_user(UserName="auditor")
    iam.add_user_to_group(GroupName="operators", UserName="auditor")
    pages = list(iam.get_paginator("get_group").paginate(GroupName="operators", PaginationConfig={"PageSize": 1}))
    check("GetGroup in pages of one: each member once, then no more",
          [[u["UserName"] for u in page["Users"]] for page in pages] == [["auditor"], ["backend"]] and not pages[-1]["IsTruncated"])
    iam.remove_user_from_group(GroupName="operators", UserName="auditor")
    iam.delete_user(UserName="auditor")
    check("ListGroupsForUser lists the group", [g["GroupName"] for g in iam.list_groups_for_user(UserName="backend")["Groups"]] == ["operators"])
    check("a member gets the group's inline policy", error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] is None)
    code, _ = error_code(lambda: iam.delete_group(GroupName="operators"))
    check(f"a group with members cannot be deleted ({code})", code == "DeleteConflict")
    iam.remove_user_from_group(GroupName="operators", UserName="backend")
    check("removed, it no longer does", error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] == "AccessDeniedException")
    iam.attach_group_policy(GroupName="operators", PolicyArn=pools)
    iam.add_user_to_group(GroupName="operators", UserName="backend")
    check("a policy attached to the group reaches its member",
          eventually(lambda: error_code(lambda: backend_idp.list_user_pools(MaxResults=5))[0] is None))
    check("ListEntitiesForPolicy names the group", [g["GroupName"] for g in iam.list_entities_for_policy(PolicyArn=pools)["PolicyGroups"]] == ["operators"])
    code, _ = error_code(lambda: iam.remove_user_from_group(GroupName="operators", UserName="nobody"))
    check(f"removing a user who is not there is NoSuchEntity ({code})", code == "NoSuchEntity")
    iam.remove_user_from_group(GroupName="operators", UserName="backend")
    iam.detach_group_policy(GroupName="operators", PolicyArn=pools)
    iam.delete_group_policy(GroupName="operators", PolicyName="pools")
    iam.delete_group(GroupName="operators")
    check("a deleted group is gone", iam.list_groups()["Groups"] == [])

    # AssumeRole: both the trust policy and the caller's policy must say so.
    trust_account = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "deploy-7"}}}]}
    deployer = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust_account))["Role"]["Arn"]
    iam.put_role_policy(RoleName="deployer", PolicyName="pools", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["cognito-idp:ListUserPools", "sts:AssumeRole"], "Resource": "*"}]}))
    iam.tag_role(RoleName="deployer", Tags=[{"Key": "tier", "Value": "ci"}])
    check("ListRoleTags answers TagRole's tags", iam.list_role_tags(RoleName="deployer")["Tags"] == [{"Key": "tier", "Value": "ci"}])
    trust_other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone-else"},
                                                          "Action": "sts:AssumeRole"}]}
    elsewhere = iam.create_role(RoleName="someone-elses", AssumeRolePolicyDocument=json.dumps(trust_other))["Role"]["Arn"]
    code, status = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="deploy", ExternalId="deploy-7"))
    check(f"AssumeRole without the caller's own permission is AccessDenied ({code}, {status})", code == "AccessDenied" and status == 403)
    iam.put_user_policy(UserName="backend", PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": [deployer, elsewhere]}]}))
    check("with it, a trust condition that fails is still AccessDenied",
          eventually(lambda: error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="deploy", ExternalId="wrong"))[0] == "AccessDenied"))
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=elsewhere, RoleSessionName="deploy"))
    check(f"a trust policy that names another user refuses ({code})", code == "AccessDenied")
    assumed = backend_sts.assume_role(RoleArn=deployer, RoleSessionName="deploy", ExternalId="deploy-7", DurationSeconds=1800)
    check("AssumeRole answers an assumed-role ARN and credentials",
          assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/deploy"
          and assumed["Credentials"]["AccessKeyId"].startswith("ASIA"))
    role_creds = {"AccessKeyId": assumed["Credentials"]["AccessKeyId"], "SecretAccessKey": assumed["Credentials"]["SecretAccessKey"],
                  "SessionToken": assumed["Credentials"]["SessionToken"]}
    role_idp = client("cognito-idp", aws_access_key_id=role_creds["AccessKeyId"], aws_secret_access_key=role_creds["SecretAccessKey"],
                      aws_session_token=role_creds["SessionToken"])
    check("its credentials do what the role allows", error_code(lambda: role_idp.list_user_pools(MaxResults=5))[0] is None)
    code, _ = error_code(lambda: role_idp.list_users(UserPoolId=pool_id))
    check(f"and nothing more ({code})", code == "AccessDeniedException")
    only_users = iam.create_policy(PolicyName="boundary-users-only", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.put_role_policy(RoleName="deployer", PolicyName="users", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}]}))
    iam.put_role_permissions_boundary(RoleName="deployer", PermissionsBoundary=only_users)
    check("a boundary put on the role stops its live session's other rights within seconds",
          eventually(lambda: error_code(lambda: role_idp.list_user_pools(MaxResults=5))[0] == "AccessDeniedException")
          and error_code(lambda: role_idp.list_users(UserPoolId=pool_id))[0] is None)
    iam.delete_role_permissions_boundary(RoleName="deployer")
    iam.delete_role_policy(RoleName="deployer", PolicyName="users")
    check("and removed, they come back", eventually(lambda: error_code(lambda: role_idp.list_user_pools(MaxResults=5))[0] is None))
    role_sts = client("sts", aws_access_key_id=role_creds["AccessKeyId"], aws_secret_access_key=role_creds["SecretAccessKey"],
                      aws_session_token=role_creds["SessionToken"])
    code, _ = error_code(lambda: role_sts.assume_role(RoleArn=deployer, RoleSessionName="chained", ExternalId="deploy-7", DurationSeconds=7200))
    check(f"role chaining is limited to one hour ({code})", code == "ValidationError")
    chained = role_sts.assume_role(RoleArn=deployer, RoleSessionName="chained", ExternalId="deploy-7")
    check("a chained AssumeRole within the hour works", chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deployer/chained"))
    def session_idp(assumed):
        c = assumed["Credentials"]
        return client("cognito-idp", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])

    narrowed = session_idp(backend_sts.assume_role(RoleArn=deployer, RoleSessionName="narrow", ExternalId="deploy-7",
                                                   PolicyArns=[{"arn": only_users}]))
    code, _ = error_code(lambda: narrowed.list_user_pools(MaxResults=5))
    check(f"AssumeRole with PolicyArns: a managed session policy narrows the session ({code})", code == "AccessDeniedException")
    widened = session_idp(backend_sts.assume_role(RoleArn=deployer, RoleSessionName="both", ExternalId="deploy-7",
                                                  PolicyArns=[{"arn": only_users}, {"arn": pools}]))
    check("one of several session policies allowing is enough", error_code(lambda: widened.list_user_pools(MaxResults=5))[0] is None)
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="missing", ExternalId="deploy-7",
                                                         PolicyArns=[{"arn": only_users + "-gone"}]))
    check(f"a PolicyArns entry naming no policy is refused ({code})", code == "ValidationError")
    # Session tags: sts:TagSession in the trust policy, then aws:PrincipalTag in the role's conditions.
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="tagged", ExternalId="deploy-7",
                                                         Tags=[{"Key": "team", "Value": "blue"}]))
    check(f"session tags without sts:TagSession in the trust policy are AccessDenied ({code})", code == "AccessDenied")
    tagging_trust = json.loads(json.dumps(trust_account))
    tagging_trust["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=json.dumps(tagging_trust))
    iam.put_role_policy(RoleName="deployer", PolicyName="by-team", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    blue = session_idp(backend_sts.assume_role(RoleArn=deployer, RoleSessionName="blue", ExternalId="deploy-7", Tags=[{"Key": "team", "Value": "blue"}]))
    red = session_idp(backend_sts.assume_role(RoleArn=deployer, RoleSessionName="red", ExternalId="deploy-7", Tags=[{"Key": "team", "Value": "red"}]))
    check("a session tag meets the role's aws:PrincipalTag condition", eventually(lambda: error_code(lambda: blue.list_users(UserPoolId=pool_id))[0] is None))
    code, _ = error_code(lambda: red.list_users(UserPoolId=pool_id))
    check(f"and another tag value does not ({code})", code == "AccessDeniedException")
    iam.put_role_policy(RoleName="deployer", PolicyName="by-tier", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPool", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/tier": "ci"}}}]}))
    check("the role's own tag (tier=ci) is a principal tag of its sessions",
          eventually(lambda: error_code(lambda: blue.describe_user_pool(UserPoolId=pool_id))[0] is None))
    prod = session_idp(backend_sts.assume_role(RoleArn=deployer, RoleSessionName="prod", ExternalId="deploy-7", Tags=[{"Key": "tier", "Value": "prod"}]))
    code, _ = error_code(lambda: prod.describe_user_pool(UserPoolId=pool_id))
    check(f"and a session tag of the same key overrides it ({code})", code == "AccessDeniedException")
    iam.delete_role_policy(RoleName="deployer", PolicyName="by-tier")
    # SourceIdentity: sts:SetSourceIdentity in the trust policy; kept, unchangeable, by chained sessions.
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="sourced", ExternalId="deploy-7", SourceIdentity="backend-job"))
    check(f"a source identity without sts:SetSourceIdentity in the trust policy is AccessDenied ({code})", code == "AccessDenied")
    tagging_trust["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=json.dumps(tagging_trust))
    sourced = backend_sts.assume_role(RoleArn=deployer, RoleSessionName="sourced", ExternalId="deploy-7", SourceIdentity="backend-job")
    check("AssumeRole answers the SourceIdentity it set", sourced.get("SourceIdentity") == "backend-job")
    sourced_sts = client("sts", aws_access_key_id=sourced["Credentials"]["AccessKeyId"], aws_secret_access_key=sourced["Credentials"]["SecretAccessKey"],
                         aws_session_token=sourced["Credentials"]["SessionToken"])
    chained = sourced_sts.assume_role(RoleArn=deployer, RoleSessionName="sourced-chain", ExternalId="deploy-7")
    check("a chained session keeps the source identity", chained.get("SourceIdentity") == "backend-job")
    code, _ = error_code(lambda: sourced_sts.assume_role(RoleArn=deployer, RoleSessionName="renamed", ExternalId="deploy-7", SourceIdentity="someone-else"))
    check(f"and cannot change it ({code})", code == "AccessDenied")
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="bad-source", ExternalId="deploy-7", SourceIdentity="aws:reserved"))
    check(f"a source identity starting with aws: is refused ({code})", code == "ValidationError")
    # Transitive session tags pass on to the sessions a session assumes.
    def session_client(service, assumed):
        c = assumed["Credentials"]
        return client(service, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    transitive = backend_sts.assume_role(RoleArn=deployer, RoleSessionName="transitive", ExternalId="deploy-7",
                                         Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    hop = session_client("sts", transitive).assume_role(RoleArn=deployer, RoleSessionName="hop", ExternalId="deploy-7")
    check("a transitive session tag passes to the chained session",
          eventually(lambda: error_code(lambda: session_idp(hop).list_users(UserPoolId=pool_id))[0] is None))
    plain = backend_sts.assume_role(RoleArn=deployer, RoleSessionName="plain", ExternalId="deploy-7", Tags=[{"Key": "team", "Value": "blue"}])
    plain_hop = session_client("sts", plain).assume_role(RoleArn=deployer, RoleSessionName="plain-hop", ExternalId="deploy-7")
    code, _ = error_code(lambda: session_idp(plain_hop).list_users(UserPoolId=pool_id))
    check(f"a tag that is not transitive does not ({code})", code == "AccessDeniedException")
    code, _ = error_code(lambda: session_client("sts", transitive).assume_role(RoleArn=deployer, RoleSessionName="recolour", ExternalId="deploy-7",
                                                                              Tags=[{"Key": "team", "Value": "red"}]))
    check(f"a transitive tag cannot be set to another value down the chain ({code})", code == "ValidationError")
    code, _ = error_code(lambda: backend_sts.assume_role(RoleArn=deployer, RoleSessionName="odd", ExternalId="deploy-7",
                                                         Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["other"]))
    check(f"a transitive key that is not one of the tags is refused ({code})", code == "ValidationError")
    iam.delete_role_policy(RoleName="deployer", PolicyName="by-team")
    iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=json.dumps(trust_account))
    code, status = error_code(lambda: client("sts").assume_role(RoleArn=deployer, RoleSessionName="root", ExternalId="deploy-7"))
    check(f"the root may not assume roles ({code}, {status})", code == "AccessDenied" and status == 403)
    root_session = client("sts").get_session_token()["Credentials"]
    code, _ = error_code(lambda: temporary("sts", root_session).assume_role(RoleArn=deployer, RoleSessionName="root", ExternalId="deploy-7"))
    check(f"nor may the root's session credentials ({code})", code == "AccessDenied")
    iam.delete_user_policy(UserName="backend", PolicyName="assume")

    # Inactive, second and deleted keys.
    iam.update_access_key(UserName="backend", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    code, status = error_code(lambda: backend_idp.list_users(UserPoolId=pool_id))
    check(f"an inactive key signs nothing ({code}, {status})", code == "UnrecognizedClientException" and status in (400, 403))
    code, _ = error_code(lambda: backend_sts.get_caller_identity())
    check(f"not even GetCallerIdentity ({code})", code == "InvalidClientTokenId")
    iam.update_access_key(UserName="backend", AccessKeyId=key["AccessKeyId"], Status="Active")
    check("made Active again, it signs", backend_sts.get_caller_identity()["Arn"] == user["Arn"])
    forged = client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="x" * 40)
    code, _ = error_code(lambda: forged.get_caller_identity())
    check(f"a wrong secret is SignatureDoesNotMatch ({code})", code == "SignatureDoesNotMatch")
    second = iam.create_access_key(UserName="backend")["AccessKey"]
    code, _ = error_code(lambda: iam.create_access_key(UserName="backend"))
    check(f"a third key is LimitExceeded ({code})", code == "LimitExceeded")
    for k in (key, second):
        iam.delete_access_key(UserName="backend", AccessKeyId=k["AccessKeyId"])
    code, _ = error_code(lambda: backend_sts.get_caller_identity())
    check(f"a deleted key signs nothing ({code})", code == "InvalidClientTokenId")
    iam.delete_user_policy(UserName="backend", PolicyName="one-pool")
    iam.delete_user(UserName="backend")
    code, _ = error_code(lambda: iam.get_user(UserName="backend"))
    check(f"a deleted user is NoSuchEntity ({code})", code == "NoSuchEntity")
    code, _ = error_code(lambda: temporary("sts").get_caller_identity())
    check(f"its session credentials sign nothing either ({code})", code == "InvalidClientTokenId")
    check("ListUsers no longer lists it", iam.list_users()["Users"] == [])


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-identity-")
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port)
    provider = OidcProvider(free_port(), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)
    endpoint = f"http://127.0.0.1:{port}"

    def client(service, **credentials):
        credentials = credentials or {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=CONFIG, **credentials)

    def with_credentials(service, creds):
        return client(service, aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds.get("SecretKey") or creds.get("SecretAccessKey"),
                      aws_session_token=creds["SessionToken"])

    try:
        idp, identity, iam, sts = client("cognito-idp"), client("cognito-identity"), client("iam"), client("sts")

        # A user pool with an app client, users and a group that names a role.
        pool_id = idp.create_user_pool(PoolName="federation")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        for username in ["alice", "bob", "carol"]:
            idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
            idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password="Correct-Horse-1", Permanent=True)

        def sign_in(username):
            return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": username, "PASSWORD": "Correct-Horse-1"})["AuthenticationResult"]

        # IAM: an OIDC provider, roles with trust policies, and an inline policy.
        oidc_arn = iam.create_open_id_connect_provider(Url=provider.issuer, ClientIDList=[OIDC_CLIENT_ID])["OpenIDConnectProviderArn"]
        provider_key = provider.issuer.split("://", 1)[1]
        check("the OIDC provider's ARN names its URL without the scheme",
              oidc_arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{provider_key}")
        code, status = error_code(lambda: iam.create_open_id_connect_provider(Url="http://example.com", ClientIDList=["x"]))
        check(f"a plain-http provider off loopback is refused ({code}, {status})", code == "ValidationError" and status == 400)

        identity_pool_id = identity.create_identity_pool(
            IdentityPoolName="federation", AllowUnauthenticatedIdentities=True, AllowClassicFlow=True,
            CognitoIdentityProviders=[{"ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}",
                                       "ClientId": client_id, "ServerSideTokenCheck": True}],
            OpenIdConnectProviderARNs=[oidc_arn], DeveloperProviderName="login.cognate.test",
        )["IdentityPoolId"]
        check("the identity pool id is <region>:<uuid>",
              re.fullmatch(r"us-east-1:[0-9a-f-]{36}", identity_pool_id) is not None)

        authenticated = {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                         "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}
        unauthenticated = {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                           "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}
        roles = {}
        for name, condition in [("reader", authenticated), ("guest", unauthenticated), ("admin", authenticated),
                                ("dave-role", authenticated)]:
            roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(condition),
                                          MaxSessionDuration=7200)["Role"]["Arn"]
        check("role ARNs and ids have AWS's shapes",
              roles["reader"] == f"arn:aws:iam::{ACCOUNT}:role/reader"
              and iam.get_role(RoleName="reader")["Role"]["RoleId"].startswith("AROA"))
        check("boto3 reads the trust policy back as a document",
              iam.get_role(RoleName="reader")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"]
              == "sts:AssumeRoleWithWebIdentity")
        iam.update_role(RoleName="reader", Description="reads users", MaxSessionDuration=10800)
        updated = iam.get_role(RoleName="reader")["Role"]
        check("UpdateRole changes the description and the longest session",
              updated["Description"] == "reads users" and updated["MaxSessionDuration"] == 10800)
        described = iam.update_role_description(RoleName="reader", Description="reads the pool's users")["Role"]
        check("UpdateRoleDescription answers the role, its description changed and its longest session kept",
              described["Description"] == "reads the pool's users" and described["MaxSessionDuration"] == 10800)
        code, _ = error_code(lambda: iam.update_role(RoleName="reader", MaxSessionDuration=43201))
        check(f"UpdateRole: a longest session over 12 hours is refused ({code})", code == "ValidationError")
        code, status = error_code(lambda: iam.update_role(RoleName="nobody", Description="x"))
        check(f"UpdateRole of an unknown role is NoSuchEntity ({code}, {status})", code == "NoSuchEntity" and status == 404)
        roles["oidc"] = iam.create_role(
            RoleName="oidc-direct",
            AssumeRolePolicyDocument=trust({"StringEquals": {f"{provider_key}:aud": OIDC_CLIENT_ID}}, principal=oidc_arn),
        )["Role"]["Arn"]
        code, status = error_code(lambda: iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(authenticated)))
        check(f"a second role of the same name is EntityAlreadyExists ({code}, {status})", code == "EntityAlreadyExists" and status == 409)
        code, _ = error_code(lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument="{\"Statement\": 5}"))
        check(f"a malformed trust policy is MalformedPolicyDocument ({code})", code == "MalformedPolicyDocument")
        pool_arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"
        iam.put_role_policy(RoleName="reader", PolicyName="read-users", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["cognito-idp:ListUsers", "cognito-idp:AdminGetUser"], "Resource": pool_arn},
                          {"Effect": "Deny", "Action": "cognito-idp:AdminGetUser", "Resource": "*",
                           "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}}],
        }))
        check("inline policies are listed", iam.list_role_policies(RoleName="reader")["PolicyNames"] == ["read-users"])
        code, status = error_code(lambda: iam.delete_role(RoleName="reader"))
        check(f"a role with policies cannot be deleted ({code}, {status})", code == "DeleteConflict" and status == 409)
        simulated = iam.simulate_principal_policy(
            PolicySourceArn=roles["reader"], ActionNames=["cognito-idp:ListUsers", "cognito-idp:AdminGetUser", "cognito-idp:DeleteUserPool"],
            ResourceArns=[pool_arn])["EvaluationResults"]
        check("SimulatePrincipalPolicy: allowed, explicit deny, implicit deny",
              [result["EvalDecision"] for result in simulated] == ["allowed", "explicitDeny", "implicitDeny"])

        provider_name = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        identity.set_identity_pool_roles(
            IdentityPoolId=identity_pool_id,
            Roles={"authenticated": roles["reader"], "unauthenticated": roles["guest"]},
            RoleMappings={
                f"{provider_name}:{client_id}": {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"},
                provider_key: {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
                    {"Claim": "email", "MatchType": "StartsWith", "Value": "dave@", "RoleARN": roles["dave-role"]}]}},
            },
        )
        check("the roles read back", identity.get_identity_pool_roles(IdentityPoolId=identity_pool_id)["Roles"]["authenticated"] == roles["reader"])

        # Guests.
        guest_id = identity.get_id(IdentityPoolId=identity_pool_id)["IdentityId"]
        check("a guest identity id is <region>:<uuid>", re.fullmatch(r"us-east-1:[0-9a-f-]{36}", guest_id) is not None)
        guest = identity.get_credentials_for_identity(IdentityId=guest_id)
        creds = guest["Credentials"]
        check("guest credentials have AWS's shapes",
              creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20 and len(creds["SecretKey"]) == 40
              and creds["Expiration"].year >= 2026)
        caller = with_credentials("sts", creds).get_caller_identity()
        check("GetCallerIdentity with guest credentials answers the guest role",
              caller["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/guest/CognitoIdentityCredentials"
              and caller["Account"] == ACCOUNT and caller["UserId"].endswith(":CognitoIdentityCredentials"))

        # A user-pool login: the default authenticated role, under either Logins key.
        alice = sign_in("alice")
        alice_id = identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_name: alice["IdToken"]})["IdentityId"]
        amplify_key = f"127.0.0.1:{port}/{pool_id}"
        check("the key Amplify derives from the issuer finds the same identity",
              identity.get_id(IdentityPoolId=identity_pool_id, Logins={amplify_key: alice["IdToken"]})["IdentityId"] == alice_id)
        alice_creds = identity.get_credentials_for_identity(IdentityId=alice_id, Logins={provider_name: alice["IdToken"]})["Credentials"]
        check("a user-pool login gets the authenticated role",
              with_credentials("sts", alice_creds).get_caller_identity()["Arn"].endswith(":assumed-role/reader/CognitoIdentityCredentials"))
        alice_idp = with_credentials("cognito-idp", alice_creds)
        check("the role's policy allows ListUsers on the pool",
              len(alice_idp.list_users(UserPoolId=pool_id)["Users"]) == 3)
        code, status = error_code(lambda: alice_idp.list_user_pools(MaxResults=10))
        check(f"an action the policy does not allow is AccessDeniedException ({code}, {status})",
              code == "AccessDeniedException" and status == 403)
        code, _ = error_code(lambda: alice_idp.admin_get_user(UserPoolId=pool_id, Username="bob"))
        check(f"an explicit Deny wins over the Allow ({code})", code == "AccessDeniedException")
        managed_policies(iam, "reader", alice_idp)
        other_pool_id = idp.create_user_pool(PoolName="elsewhere")["UserPool"]["Id"]
        iam_users(iam, client, pool_id, other_pool_id)
        iam_renames(iam, client, pool_id)
        code, status = error_code(lambda: with_credentials("iam", alice_creds).get_role(RoleName="reader"))
        check(f"temporary credentials reach IAM only as their policies allow ({code}, {status})", code == "AccessDenied" and status == 403)
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=alice_id, Logins={provider_name: sign_in("bob")["IdToken"]}))
        check(f"another user's login for this identity is refused ({code})", code in ("NotAuthorizedException", "ResourceConflictException"))
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=alice_id))
        check(f"an authenticated identity without its login is refused ({code})", code == "NotAuthorizedException")
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_name: alice["AccessToken"]}))
        check(f"an access token is not a login ({code})", code == "NotAuthorizedException")
        tampered = alice["IdToken"][:-4] + ("AAAA" if not alice["IdToken"].endswith("AAAA") else "BBBB")
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_name: tampered}))
        check(f"a tampered ID token is refused ({code})", code == "NotAuthorizedException")

        # Group-based role: bob is in a group whose role becomes cognito:preferred_role.
        idp.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1, RoleArn=roles["admin"])
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="admins")
        bob = sign_in("bob")
        bob_id = identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_name: bob["IdToken"]})["IdentityId"]
        bob_creds = identity.get_credentials_for_identity(IdentityId=bob_id, Logins={provider_name: bob["IdToken"]})["Credentials"]
        check("a Token role mapping picks the group's role",
              with_credentials("sts", bob_creds).get_caller_identity()["Arn"].endswith(":assumed-role/admin/CognitoIdentityCredentials"))
        code, _ = error_code(lambda: identity.get_credentials_for_identity(
            IdentityId=bob_id, Logins={provider_name: bob["IdToken"]}, CustomRoleArn=roles["reader"]))
        check(f"a CustomRoleArn outside cognito:roles is refused ({code})", code == "NotAuthorizedException")

        # A guest who signs in keeps its identity id.
        carol_guest = identity.get_id(IdentityPoolId=identity_pool_id)["IdentityId"]
        carol = sign_in("carol")
        carol_result = identity.get_credentials_for_identity(IdentityId=carol_guest, Logins={provider_name: carol["IdToken"]})
        check("a guest that signs in keeps its identity id", carol_result["IdentityId"] == carol_guest)
        check("DescribeIdentity lists the linked provider",
              identity.describe_identity(IdentityId=carol_guest)["Logins"] == [provider_name])
        other_guest = identity.get_id(IdentityPoolId=identity_pool_id)["IdentityId"]
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=other_guest, Logins={provider_name: carol["IdToken"]}))
        check(f"a login already linked to another identity is ResourceConflictException ({code})", code == "ResourceConflictException")

        # Principal tags: the login's claims become session tags the role's policies test.
        tagged_pool = identity.create_identity_pool(IdentityPoolName="tagged", AllowUnauthenticatedIdentities=False,
                                                    CognitoIdentityProviders=[{"ProviderName": provider_name, "ClientId": client_id}])["IdentityPoolId"]
        tag_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                     "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                     "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": tagged_pool}}}]}
        tagged_role = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=json.dumps(tag_trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="tagged", PolicyName="by-client", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": pool_arn,
             "Condition": {"StringEquals": {"aws:PrincipalTag/client": client_id}}}]}))
        identity.set_identity_pool_roles(IdentityPoolId=tagged_pool, Roles={"authenticated": tagged_role})
        mapped = identity.set_principal_tag_attribute_map(IdentityPoolId=tagged_pool, IdentityProviderName=provider_name, UseDefaults=True)
        check("SetPrincipalTagAttributeMap answers the mapping", mapped["UseDefaults"] is True and mapped["IdentityProviderName"] == provider_name)
        check("GetPrincipalTagAttributeMap reads it back",
              identity.get_principal_tag_attribute_map(IdentityPoolId=tagged_pool, IdentityProviderName=provider_name)["UseDefaults"] is True)
        tagged_id = identity.get_id(IdentityPoolId=tagged_pool, Logins={provider_name: alice["IdToken"]})["IdentityId"]

        def tagged_list_users():
            creds = identity.get_credentials_for_identity(IdentityId=tagged_id, Logins={provider_name: alice["IdToken"]})["Credentials"]
            return error_code(lambda: with_credentials("cognito-idp", creds).list_users(UserPoolId=pool_id))[0]

        check("the default tags: aws:PrincipalTag/client (the token's aud) allows", tagged_list_users() is None)
        identity.set_principal_tag_attribute_map(IdentityPoolId=tagged_pool, IdentityProviderName=provider_name, UseDefaults=False,
                                                 PrincipalTags={"client": "sub"})
        check("GetPrincipalTagAttributeMap answers a custom mapping",
              identity.get_principal_tag_attribute_map(IdentityPoolId=tagged_pool, IdentityProviderName=provider_name)["PrincipalTags"] == {"client": "sub"})
        check("a custom mapping puts another claim in the tag, which the condition refuses", tagged_list_users() == "AccessDeniedException")
        tag_trust["Statement"][0]["Action"] = "sts:AssumeRoleWithWebIdentity"
        iam.update_assume_role_policy(RoleName="tagged", PolicyDocument=json.dumps(tag_trust))
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=tagged_id, Logins={provider_name: alice["IdToken"]}))
        check(f"principal tags need a trust policy allowing sts:TagSession ({code})", code == "InvalidIdentityPoolConfigurationException")

        # A third-party OpenID Connect provider.
        dave_token = provider.id_token("dave")
        dave_id = identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_key: dave_token})["IdentityId"]
        dave_creds = identity.get_credentials_for_identity(IdentityId=dave_id, Logins={provider_key: dave_token})["Credentials"]
        check("an external OIDC login gets the role its claim rule names",
              with_credentials("sts", dave_creds).get_caller_identity()["Arn"].endswith(":assumed-role/dave-role/CognitoIdentityCredentials"))
        erin_token = provider.id_token("erin")
        erin_id = identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_key: erin_token})["IdentityId"]
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=erin_id, Logins={provider_key: erin_token}))
        check(f"no matching rule with AmbiguousRoleResolution Deny is refused ({code})",
              code == "InvalidIdentityPoolConfigurationException")
        iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn, ClientID=OIDC_CLIENT_ID)
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=identity_pool_id, Logins={provider_key: dave_token}))
        check(f"a token for an audience IAM does not list is refused ({code})", code == "NotAuthorizedException")
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn, ClientID=OIDC_CLIENT_ID)
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=identity_pool_id, Logins={"login.unknown.example": dave_token}))
        check(f"a provider the pool does not list is refused ({code})", code == "NotAuthorizedException")

        # STS directly with the provider's token.
        direct = sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="dave-session", WebIdentityToken=dave_token,
                                                   DurationSeconds=900)
        check("AssumeRoleWithWebIdentity with a third-party token",
              direct["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/oidc-direct/dave-session"
              and direct["SubjectFromWebIdentityToken"] == "dave" and direct["Audience"] == OIDC_CLIENT_ID
              and direct["Credentials"]["AccessKeyId"].startswith("ASIA"))
        check("those credentials sign GetCallerIdentity",
              with_credentials("sts", direct["Credentials"]).get_caller_identity()["Arn"].endswith("assumed-role/oidc-direct/dave-session"))
        code, status = error_code(lambda: sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="x1", WebIdentityToken=alice["IdToken"]))
        check(f"a token of an issuer IAM does not know is InvalidIdentityToken ({code}, {status})", code == "InvalidIdentityToken" and status == 400)
        code, status = error_code(lambda: sts.assume_role_with_web_identity(RoleArn=roles["reader"], RoleSessionName="x2", WebIdentityToken=dave_token))
        check(f"a role that does not trust the provider is AccessDenied ({code}, {status})", code == "AccessDenied" and status == 403)
        code, _ = error_code(lambda: sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="x3", WebIdentityToken=dave_token,
                                                                       DurationSeconds=7200))
        check(f"a duration beyond the role's maximum is refused ({code})", code == "ValidationError")
        iam.update_role(RoleName="oidc-direct", MaxSessionDuration=7200)
        longer = sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="x4", WebIdentityToken=dave_token,
                                                   DurationSeconds=7200)["Credentials"]
        lasts = (longer["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        check(f"once UpdateRole raises the role's maximum, two hours are given ({lasts:.0f} s)", 7100 < lasts <= 7200)
        # A token with AWS's session-tag and source-identity claims.
        tagged_token = provider.id_token("tagged-tess")
        code, _ = error_code(lambda: sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="tess", WebIdentityToken=tagged_token))
        check(f"a token's session tags need sts:TagSession in the trust policy ({code})", code == "AccessDenied")
        tag_trust = json.loads(trust({"StringEquals": {f"{provider_key}:aud": OIDC_CLIENT_ID}}, principal=oidc_arn))
        tag_trust["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"]
        iam.update_assume_role_policy(RoleName="oidc-direct", PolicyDocument=json.dumps(tag_trust))
        iam.put_role_policy(RoleName="oidc-direct", PolicyName="blue-team", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPool", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:SourceIdentity": "tagged-tess"}}}]}))
        tess = sts.assume_role_with_web_identity(RoleArn=roles["oidc"], RoleSessionName="tess", WebIdentityToken=tagged_token)
        check("with it, the token's source identity is answered", tess.get("SourceIdentity") == "tagged-tess")
        check("and its tag and source identity meet the role's conditions",
              eventually(lambda: error_code(lambda: with_credentials("cognito-idp", tess["Credentials"]).describe_user_pool(UserPoolId=pool_id))[0] is None))
        code, _ = error_code(lambda: with_credentials("cognito-idp", direct["Credentials"]).describe_user_pool(UserPoolId=pool_id))
        check(f"a session without them does not ({code})", code == "AccessDeniedException")
        narrowed = sts.assume_role_with_web_identity(
            RoleArn=roles["reader"], RoleSessionName="narrow",
            WebIdentityToken=identity.get_open_id_token(IdentityId=alice_id, Logins={provider_name: alice["IdToken"]})["Token"],
            Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": "*"}]}))
        narrow_idp = with_credentials("cognito-idp", narrowed["Credentials"])
        code, _ = error_code(lambda: narrow_idp.list_users(UserPoolId=pool_id))
        check(f"an inline session policy narrows what the role allows ({code})", code == "AccessDeniedException")
        check("a session policy reports its packed size", 0 < narrowed["PackedPolicySize"] <= 100)

        # The basic flow.
        open_id = identity.get_open_id_token(IdentityId=alice_id, Logins={provider_name: alice["IdToken"]})
        check("GetOpenIdToken answers a token for the identity", open_id["IdentityId"] == alice_id and open_id["Token"].count(".") == 2)
        classic = sts.assume_role_with_web_identity(RoleArn=roles["reader"], RoleSessionName="classic", WebIdentityToken=open_id["Token"])
        check("the basic flow: AssumeRoleWithWebIdentity with the OpenID token",
              with_credentials("sts", classic["Credentials"]).get_caller_identity()["Arn"].endswith(":assumed-role/reader/classic")
              and classic["SubjectFromWebIdentityToken"] == alice_id and classic["Audience"] == identity_pool_id)
        guest_token = identity.get_open_id_token(IdentityId=guest_id)["Token"]
        code, _ = error_code(lambda: sts.assume_role_with_web_identity(RoleArn=roles["reader"], RoleSessionName="guest-session", WebIdentityToken=guest_token))
        check(f"a guest token does not satisfy an authenticated-only trust policy ({code})", code == "AccessDenied")

        # Developer-authenticated identities.
        developer = identity.get_open_id_token_for_developer_identity(
            IdentityPoolId=identity_pool_id, Logins={"login.cognate.test": "user-1"}, TokenDuration=600)
        developer_creds = identity.get_credentials_for_identity(
            IdentityId=developer["IdentityId"], Logins={"cognito-identity.amazonaws.com": developer["Token"]})["Credentials"]
        check("a developer identity's token buys authenticated credentials",
              with_credentials("sts", developer_creds).get_caller_identity()["Arn"].endswith(":assumed-role/reader/CognitoIdentityCredentials"))
        check("LookupDeveloperIdentity finds the identity",
              identity.lookup_developer_identity(IdentityPoolId=identity_pool_id, DeveloperUserIdentifier="user-1")["IdentityId"]
              == developer["IdentityId"])
        second = identity.get_open_id_token_for_developer_identity(IdentityPoolId=identity_pool_id, Logins={"login.cognate.test": "user-2"})
        merged = identity.merge_developer_identities(SourceUserIdentifier="user-2", DestinationUserIdentifier="user-1",
                                                     DeveloperProviderName="login.cognate.test", IdentityPoolId=identity_pool_id)
        looked_up = identity.lookup_developer_identity(IdentityPoolId=identity_pool_id, IdentityId=developer["IdentityId"])
        check("MergeDeveloperIdentities moves the source's users to the destination",
              merged["IdentityId"] == developer["IdentityId"] and sorted(looked_up["DeveloperUserIdentifierList"]) == ["user-1", "user-2"])
        code, _ = error_code(lambda: identity.describe_identity(IdentityId=second["IdentityId"]))
        check(f"the merged-away identity is gone ({code})", code == "ResourceNotFoundException")
        identity.unlink_developer_identity(IdentityId=developer["IdentityId"], IdentityPoolId=identity_pool_id,
                                           DeveloperProviderName="login.cognate.test", DeveloperUserIdentifier="user-2")
        code, _ = error_code(lambda: identity.lookup_developer_identity(IdentityPoolId=identity_pool_id, DeveloperUserIdentifier="user-2"))
        check(f"an unlinked developer user is not found ({code})", code == "ResourceNotFoundException")
        code, status = error_code(lambda: client("cognito-identity", aws_access_key_id="AKIAUNKNOWN0000000000",
                                                 aws_secret_access_key="x" * 40).get_open_id_token_for_developer_identity(
            IdentityPoolId=identity_pool_id, Logins={"login.cognate.test": "user-3"}))
        check(f"developer operations need signed requests ({code}, {status})", code == "UnrecognizedClientException" and status == 403)

        # Refusals of credentials.
        bad_secret = dict(alice_creds, SecretKey="x" * 40)
        code, status = error_code(lambda: with_credentials("sts", bad_secret).get_caller_identity())
        check(f"a wrong secret is SignatureDoesNotMatch ({code}, {status})", code == "SignatureDoesNotMatch" and status == 403)
        bad_token = dict(alice_creds, SessionToken=alice_creds["SessionToken"][:-6] + "AAAAAA")
        code, status = error_code(lambda: with_credentials("sts", bad_token).get_caller_identity())
        check(f"a tampered session token is InvalidClientTokenId ({code}, {status})", code == "InvalidClientTokenId" and status == 403)

        # Server-side token check: a signed-out user's ID token no longer buys credentials.
        idp.global_sign_out(AccessToken=alice["AccessToken"])
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=alice_id, Logins={provider_name: alice["IdToken"]}))
        check(f"a signed-out user's token is refused with ServerSideTokenCheck ({code})", code == "NotAuthorizedException")

        # Removing a login, then turning guest access off.
        identity.unlink_identity(IdentityId=carol_guest, Logins={provider_name: carol["IdToken"]}, LoginsToRemove=[provider_name])
        check("UnlinkIdentity removes the login", identity.describe_identity(IdentityId=carol_guest)["Logins"] == [])
        identity.update_identity_pool(IdentityPoolId=identity_pool_id, IdentityPoolName="federation",
                                      AllowUnauthenticatedIdentities=False, AllowClassicFlow=True,
                                      CognitoIdentityProviders=[{"ProviderName": provider_name, "ClientId": client_id,
                                                                 "ServerSideTokenCheck": True}],
                                      OpenIdConnectProviderARNs=[oidc_arn], DeveloperProviderName="login.cognate.test")
        code, _ = error_code(lambda: identity.get_id(IdentityPoolId=identity_pool_id))
        check(f"with guest access off, GetId without logins is refused ({code})", code == "NotAuthorizedException")
        code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=carol_guest))
        check(f"an identity whose login was removed gets no guest credentials ({code})", code == "NotAuthorizedException")

        # Listing and deleting identities; unknown pools.
        listed = identity.list_identities(IdentityPoolId=identity_pool_id, MaxResults=60)["Identities"]
        check("ListIdentities lists every identity", guest_id in [entry["IdentityId"] for entry in listed] and len(listed) >= 7)
        identity.delete_identities(IdentityIdsToDelete=[guest_id])
        code, _ = error_code(lambda: identity.describe_identity(IdentityId=guest_id))
        check(f"a deleted identity is not found ({code})", code == "ResourceNotFoundException")
        code, status = error_code(lambda: identity.get_id(IdentityPoolId=f"{REGION}:00000000-0000-0000-0000-000000000000"))
        check(f"an unknown identity pool is ResourceNotFoundException ({code}, {status})", code == "ResourceNotFoundException" and status == 400)

        cli = shutil.which("aws")
        if cli:
            env = dict(os.environ, AWS_ACCESS_KEY_ID=dave_creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=dave_creds["SecretKey"],
                       AWS_SESSION_TOKEN=dave_creds["SessionToken"], AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=endpoint)
            output = subprocess.run([cli, "sts", "get-caller-identity"], env=env, capture_output=True, text=True)
            check("the AWS CLI signs GetCallerIdentity with the temporary credentials",
                  output.returncode == 0 and "assumed-role/dave-role/CognitoIdentityCredentials" in output.stdout)
        social_providers(binary, provider)
    finally:
        provider.stop()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"identity flows: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
