#!/usr/bin/env python3
"""The hosted sign-in in a real browser. boto3 sets up a pool with a domain, UI customization
and two upstream identity providers — the third-party `oidc-provider` package and a second
cognate — then `hosted_browser.mjs` drives Debian's Chromium (playwright-core) through the pages
while `openid-client`, a relying-party library written elsewhere, does discovery, code + PKCE,
token validation and userinfo; in a pool that requires MFA, a user sets up an authenticator app
on the pages and another signs in with an emailed code. Screenshots go to target/hosted-screenshots. Prints
'N passed, N failed'."""

import os
import shutil
import signal
import struct
import sys
import tempfile
import zlib

import boto3
import botocore.config

from checks import ROOT, OidcProvider, Results, build_binary, check, free_port, node_checks, start_server

REGION = "us-east-1"
CONFIG = botocore.config.Config(retries={"max_attempts": 1})
OIDC_CLIENT_ID = "cognate-hosted-test"
OIDC_CLIENT_SECRET = "another-long-client-secret-for-the-provider"


def logo_png():
    """A 24x24 orange PNG, made here so the test needs no image file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xe8\x7a\x1e" * 24 for _ in range(24))
    header = struct.pack(">IIBBBBB", 24, 24, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-hosted-")
    port, upstream_port, app_port = free_port(), free_port(), free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port)
    upstream, _, up_key, up_secret = start_server(binary, os.path.join(work, "upstream"), upstream_port)
    endpoint = f"http://127.0.0.1:{port}"
    upstream_endpoint = f"http://127.0.0.1:{upstream_port}"
    provider = None
    try:
        idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint, config=CONFIG,
                           aws_access_key_id=key_id, aws_secret_access_key=secret)
        up_idp = boto3.client("cognito-idp", region_name=REGION, endpoint_url=upstream_endpoint, config=CONFIG,
                              aws_access_key_id=up_key, aws_secret_access_key=up_secret)

        pool_id = idp.create_user_pool(PoolName="hosted", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        idp_response = f"{endpoint}/{pool_id}/oauth2/idpresponse"
        provider = OidcProvider(free_port(), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, [idp_response])

        # The second cognate: a pool with bob, and a confidential client for the broker.
        up_pool = up_idp.create_user_pool(PoolName="partner")["UserPool"]["Id"]
        broker = up_idp.create_user_pool_client(
            UserPoolId=up_pool, ClientName="broker", GenerateSecret=True, AllowedOAuthFlows=["code"],
            AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid", "email"], CallbackURLs=[idp_response],
            SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]
        up_idp.admin_create_user(UserPoolId=up_pool, Username="bob", MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": "bob@partner.example"}, {"Name": "email_verified", "Value": "true"}])
        up_idp.admin_set_user_password(UserPoolId=up_pool, Username="bob", Password="Partner-Pass-1", Permanent=True)

        # Our pool: a domain, the look of its pages, two upstream providers and the web app.
        domain = idp.create_user_pool_domain(Domain="hosted-demo", UserPoolId=pool_id)
        check("CreateUserPoolDomain names the host the domain answers on",
              domain["CloudFrontDomain"] == f"hosted-demo.localhost:{port}")
        idp.set_ui_customization(UserPoolId=pool_id, CSS=".banner-customizable { background-color: rgb(11, 79, 158); padding: 8px; }",
                                 ImageFile=logo_png())
        idp.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC",
            ProviderDetails={"client_id": OIDC_CLIENT_ID, "client_secret": OIDC_CLIENT_SECRET, "attributes_request_method": "GET",
                             "oidc_issuer": provider.issuer, "authorize_scopes": "openid email"},
            AttributeMapping={"email": "email"})
        idp.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Partner", ProviderType="OIDC",
            ProviderDetails={"client_id": broker["ClientId"], "client_secret": broker["ClientSecret"], "attributes_request_method": "GET",
                             "oidc_issuer": f"{upstream_endpoint}/{up_pool}", "authorize_scopes": "openid email"},
            AttributeMapping={"email": "email"}, IdpIdentifiers=["partner.example"])
        providers = idp.list_identity_providers(UserPoolId=pool_id, MaxResults=10)["Providers"]
        check("ListIdentityProviders lists both providers", sorted(p["ProviderName"] for p in providers) == ["Corp", "Partner"])
        app = f"http://127.0.0.1:{app_port}"
        web = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[f"{app}/callback"], LogoutURLs=[f"{app}/signed-out"],
            SupportedIdentityProviders=["COGNITO", "Corp", "Partner"])["UserPoolClient"]

        # A second pool that requires MFA (TOTP and email codes): max has no email and sets up an
        # authenticator on the pages; mia gets an email code.
        # The pool remembers devices when the user asks: the code page offers to remember the browser.
        mfa_pool = idp.create_user_pool(PoolName="hosted-mfa", DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True})["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(UserPoolId=mfa_pool, SoftwareTokenMfaConfiguration={"Enabled": True},
                                     EmailMfaConfiguration={"Message": "Your sign-in code is {####}"}, MfaConfiguration="ON")
        mfa_web = idp.create_user_pool_client(
            UserPoolId=mfa_pool, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid"], CallbackURLs=[f"http://127.0.0.1:{app_port}/callback"],
            SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
        for name, attributes in (("max", []), ("mia", [{"Name": "email", "Value": "mia@example.com"}, {"Name": "email_verified", "Value": "true"}])):
            idp.admin_create_user(UserPoolId=mfa_pool, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes)
            idp.admin_set_user_password(UserPoolId=mfa_pool, Username=name, Password="Mfa-Pass-2026", Permanent=True)

        # A third pool that signs users in without a password: passkeys (relying party: its
        # domain) and emailed codes; pia has a password to add her first passkey with.
        key_pool = idp.create_user_pool(PoolName="hosted-passkeys", Policies={
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]}})["UserPool"]["Id"]
        idp.create_user_pool_domain(Domain="passkeys-demo", UserPoolId=key_pool)
        idp.set_user_pool_mfa_config(UserPoolId=key_pool, WebAuthnConfiguration={"RelyingPartyId": "passkeys-demo.localhost"})
        key_web = idp.create_user_pool_client(
            UserPoolId=key_pool, ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid"], CallbackURLs=[f"http://127.0.0.1:{app_port}/callback"],
            SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
        idp.admin_create_user(UserPoolId=key_pool, Username="pia", MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": "pia@example.com"}, {"Name": "email_verified", "Value": "true"}])
        idp.admin_set_user_password(UserPoolId=key_pool, Username="pia", Password="Key-Pass-2026", Permanent=True)

        screenshots = os.path.join(ROOT, "target", "hosted-screenshots")
        shutil.rmtree(screenshots, ignore_errors=True)
        os.makedirs(screenshots)
        settings = {
            "issuer": f"{endpoint}/{pool_id}",
            "client_id": web["ClientId"],
            "app": app,
            "app_port": app_port,
            "outbox": f"{endpoint}/_cognate/outbox?UserPoolId={pool_id}",
            "root": [key_id, secret],
            "screenshots": screenshots,
            "domain_origin": f"http://hosted-demo.localhost:{port}",
            "mfa": {
                "authorize": f"{endpoint}/{mfa_pool}/oauth2/authorize?client_id={mfa_web}&response_type=code&scope=openid"
                             f"&redirect_uri=http%3A%2F%2F127.0.0.1%3A{app_port}%2Fcallback",
                "outbox": f"{endpoint}/_cognate/outbox?UserPoolId={mfa_pool}",
            },
            "passkeys": {
                "origin": f"http://passkeys-demo.localhost:{port}",
                "rp_id": "passkeys-demo.localhost",
                "query": f"client_id={key_web}&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A{app_port}%2Fcallback",
                "password": "Key-Pass-2026",
                "outbox": f"{endpoint}/_cognate/outbox?UserPoolId={key_pool}",
            },
        }
        node_checks("hosted_browser.mjs", settings)

        remembered = idp.admin_list_devices(UserPoolId=mfa_pool, Username="mia")["Devices"]
        check("the browser mia asked to remember is one of her devices",
              len(remembered) == 1 and any(a["Name"] == "device_name" and "Chrome" in a["Value"] for a in remembered[0]["DeviceAttributes"]))
        check("max, who did not ask, has none", idp.admin_list_devices(UserPoolId=mfa_pool, Username="max")["Devices"] == [])

        users = idp.list_users(UserPoolId=pool_id)["Users"]
        names = sorted(user["Username"].split("_")[0] for user in users)
        check("the pool holds the signed-up user and one user per upstream provider",
              names == ["Corp", "Partner", "hana"])
        check("screenshots of the pages were saved", len(os.listdir(screenshots)) >= 6)
        shown = idp.admin_get_user(UserPoolId=mfa_pool, Username="max")
        check("the authenticator set up on the pages is max's preferred factor",
              shown.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"] and shown.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA")
    finally:
        if provider:
            provider.stop()
        for process in (server, upstream):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"hosted flows: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
