#!/usr/bin/env python3
"""Sign-ins as Cognito apps meet them: MFA, remembered devices, passwordless and passkeys. MFA as Cognito apps meet it, driven by real clients against `cognate serve`: boto3 configures
the pools (SetUserPoolMfaConfig) and sets up an authenticator by access token with pyotp as the
app (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference), then signs in through
SOFTWARE_TOKEN_MFA and is refused a reused, a wrong and a late code and a replayed session;
amazon-cognito-identity-js (mfa_cognito_js.mjs) and aws-amplify v6 (mfa_amplify.mjs) sign in
with TOTP and email codes, choose a factor and set up TOTP during sign-in; both remember a device
and sign in through DEVICE_SRP_AUTH without a code until it is forgotten; and Amplify signs up and
in without a password (USER_AUTH). Prints 'N passed, N failed'."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import base64
import json

import boto3
import botocore.config
import botocore.exceptions
import pyotp
from soft_webauthn import SoftWebauthnDevice

from checks import HERE, Results, build_binary, check, error_code, free_port, start_server  # noqa: E402

PASSWORD = "Correct-Horse-1"


class Authenticator:
    """pyotp as the user's app: hands out codes of steps not used before, within the one step of
    drift either way the server accepts."""

    def __init__(self, secret):
        self.totp = pyotp.TOTP(secret)
        self.last = None

    def next(self):
        while True:
            now = int(time.time()) // 30
            step = now - 1 if self.last is None else max(self.last + 1, now - 1)
            if step <= now + 1:
                self.last = step
                return self.totp.at(step * 30)
            time.sleep(1)


def node(script, *args):
    done = subprocess.run(["node", os.path.join(HERE, script), *args], cwd=HERE, capture_output=True, text=True, timeout=300)
    print(done.stdout + done.stderr, end="")
    return done.returncode == 0


def attempt(call):
    """The error code (None on success) and the response of a call."""
    try:
        return None, call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"], {}


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def passkeys(idp):
    """soft-webauthn registers a passkey and signs in with it; a pool that requires user
    verification refuses its credential (the device does not verify users)."""
    origin = "http://localhost:3000"
    flows = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    pool_id = idp.create_user_pool(PoolName="passkeys", Policies={
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
    code, _ = error_code(lambda: idp.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost"}))
    check(f"boto3: WebAuthnConfiguration is set ({code})", code is None)
    idp.admin_create_user(UserPoolId=pool_id, Username="kim", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="kim", Password=PASSWORD, Permanent=True)
    token = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": "kim", "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]

    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    check("StartWebAuthnRegistration names the relying party and the user",
          options["rp"]["id"] == "localhost" and options["user"]["name"] == "kim")
    public_key = dict(options, challenge=unb64url(options["challenge"]), user=dict(options["user"], id=unb64url(options["user"]["id"])))
    device = SoftWebauthnDevice()
    created = device.create({"publicKey": public_key}, origin)
    credential = {
        "id": b64url(created["rawId"]), "rawId": b64url(created["rawId"]), "type": "public-key",
        "response": {"clientDataJSON": b64url(created["response"]["clientDataJSON"]),
                     "attestationObject": b64url(created["response"]["attestationObject"])},
        "clientExtensionResults": {},
    }
    code, _ = error_code(lambda: idp.complete_web_authn_registration(AccessToken=token, Credential=credential))
    check(f"CompleteWebAuthnRegistration takes soft-webauthn's credential ({code})", code is None)
    listed = idp.list_web_authn_credentials(AccessToken=token)["Credentials"]
    check("ListWebAuthnCredentials lists it", len(listed) == 1 and listed[0]["CredentialId"] == b64url(created["rawId"]))

    def sign_in():
        started = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_AUTH",
                                    AuthParameters={"USERNAME": "kim", "PREFERRED_CHALLENGE": "WEB_AUTHN"})
        request = json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
        assertion = device.get({"publicKey": dict(request, challenge=unb64url(request["challenge"]))}, origin)
        answer = {
            "id": b64url(assertion["rawId"]), "rawId": b64url(assertion["rawId"]), "type": "public-key",
            "response": {key: b64url(assertion["response"][key]) for key in ("clientDataJSON", "authenticatorData", "signature")},
            "clientExtensionResults": {},
        }
        return started, answer

    started, answer = sign_in()
    check("USER_AUTH with WEB_AUTHN preferred answers the WEB_AUTHN challenge", started.get("ChallengeName") == "WEB_AUTHN")
    respond = lambda: idp.respond_to_auth_challenge(  # noqa: E731
        ClientId=client_id, ChallengeName="WEB_AUTHN", Session=started["Session"],
        ChallengeResponses={"USERNAME": "kim", "CREDENTIAL": json.dumps(answer)})
    code, result = attempt(respond)
    check(f"the passkey's assertion signs in ({code})", code is None and "AccessToken" in result.get("AuthenticationResult", {}))
    code, _ = error_code(respond)
    check(f"the answered session is spent ({code})", code == "NotAuthorizedException")
    started, answer = sign_in()
    answer["response"]["signature"] = b64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    code, _ = error_code(respond)
    check(f"a bad signature is refused ({code})", code == "NotAuthorizedException")

    idp.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"})
    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    public_key = dict(options, challenge=unb64url(options["challenge"]), user=dict(options["user"], id=unb64url(options["user"]["id"])))
    created = SoftWebauthnDevice().create({"publicKey": public_key}, origin)
    credential = {"id": b64url(created["rawId"]), "rawId": b64url(created["rawId"]), "type": "public-key",
                  "response": {"clientDataJSON": b64url(created["response"]["clientDataJSON"]),
                               "attestationObject": b64url(created["response"]["attestationObject"])}}
    code, _ = error_code(lambda: idp.complete_web_authn_registration(AccessToken=token, Credential=credential))
    check(f"a pool that requires user verification refuses a credential without it ({code})", code == "InvalidParameterException")


METRICS_TOKEN = "metrics-token-for-the-scraper"


def metrics(endpoint, key_id, secret):
    """GET /metrics after the sign-ins above, read by prometheus_client's own parser."""
    import urllib.error
    import urllib.request
    from prometheus_client.parser import text_string_to_metric_families

    def scrape(authorization):
        request = urllib.request.Request(f"{endpoint}/metrics", headers={"authorization": authorization} if authorization else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers.get("content-type"), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, None, error.read().decode()

    refused_call = urllib.request.Request(endpoint + "/", method="POST", data=json.dumps({"ClientId": "nosuchclient1234567890abcd", "AuthFlow": "USER_PASSWORD_AUTH",
                                          "AuthParameters": {"USERNAME": "x", "PASSWORD": "y"}}).encode(),
                                          headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    try:
        urllib.request.urlopen(refused_call, timeout=10)
    except urllib.error.HTTPError:
        pass
    status, _, _ = scrape(None)
    check(f"/metrics without credentials is refused ({status})", status == 401)
    status, _, _ = scrape("Bearer not-the-token")
    check(f"and with a wrong token ({status})", status == 401)
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    status, _, _ = scrape(f"Basic {basic}")
    check(f"the root credentials may read it ({status})", status == 200)
    status, content_type, text = scrape(f"Bearer {METRICS_TOKEN}")
    check(f"so may the metrics token, in the text format ({status}, {content_type})", status == 200 and content_type.startswith("text/plain; version=0.0.4"))
    families = {family.name: family for family in text_string_to_metric_families(text)}
    requests = families.get("cognate_requests")
    samples = [sample for sample in requests.samples if sample.name == "cognate_requests_total"] if requests else []
    initiate = sum(sample.value for sample in samples if sample.labels["operation"] == "InitiateAuth")
    refused = sum(sample.value for sample in samples if sample.labels["operation"] == "InitiateAuth" and sample.labels["error"] == "ResourceNotFoundException")
    check(f"requests are counted by API, operation, status and error ({int(initiate)} InitiateAuth, {int(refused)} refused)",
          initiate > 0 and refused > 0 and all(sample.labels["api"] == "cognito-idp" for sample in samples if sample.labels["operation"] == "InitiateAuth"))
    latency = families.get("cognate_request_duration_seconds")
    buckets = [sample for sample in latency.samples if sample.name.endswith("_bucket") and sample.labels["operation"] == "InitiateAuth"] if latency else []
    counts = [sample for sample in latency.samples if sample.name.endswith("_count") and sample.labels["operation"] == "InitiateAuth"] if latency else []
    check("with a latency histogram whose +Inf bucket is the count",
          latency is not None and latency.type == "histogram" and counts and any(b.labels["le"] == "+Inf" and b.value == counts[0].value for b in buckets))
    sign_ins = families.get("cognate_sign_in_attempts")
    outcomes = {(sample.labels["operation"], sample.labels["outcome"]) for sample in sign_ins.samples} if sign_ins else set()
    check(f"sign-in attempts by operation and outcome ({sorted(outcomes)[:4]})",
          ("InitiateAuth", "answered") in outcomes and ("InitiateAuth", "ResourceNotFoundException") in outcomes)
    steps = families.get("cognate_sign_ins")
    flows = {(sample.labels["flow"], sample.labels["outcome"]) for sample in steps.samples} if steps else set()
    check(f"sign-in steps by flow and outcome ({sorted(flows)[:4]})",
          ("USER_PASSWORD_AUTH", "Pass") in flows and ("USER_AUTH", "InProgress") in flows and ("SELECT_CHALLENGE", "Pass") in flows)
    tokens = families.get("cognate_tokens_issued")
    issued = {sample.labels["occasion"]: sample.value for sample in tokens.samples} if tokens else {}
    check(f"tokens issued by occasion ({issued})", issued.get("TokenGeneration_Authentication", 0) > 0)
    check("lockouts are a counter", families.get("cognate_lockouts") is not None and families["cognate_lockouts"].type == "counter")
    check("the push connections and the database pool are gauges",
          families.get("cognate_push_connections") is not None and families["cognate_push_connections"].type == "gauge"
          and families.get("cognate_database_connections") is not None)


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-sign-in-")
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port, extra_args=["--metrics-token", METRICS_TOKEN])
    endpoint = f"http://127.0.0.1:{port}"
    try:
        idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                           aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
        flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

        def user(pool_id, name, email=None):
            attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}] if email else []
            idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes)
            idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)

        # A pool where MFA is optional, with TOTP and email codes.
        pool_id = idp.create_user_pool(PoolName="mfa")["UserPool"]["Id"]
        code, _ = error_code(lambda: idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL"))
        check(f"OPTIONAL with no factor is refused ({code})", code == "InvalidParameterException")
        code, _ = error_code(lambda: idp.set_user_pool_mfa_config(
            UserPoolId=pool_id, EmailMfaConfiguration={"Message": "no placeholder"}, MfaConfiguration="OPTIONAL"))
        check(f"an email message without {{####}} is refused ({code})", code == "InvalidParameterException")
        configured = idp.set_user_pool_mfa_config(
            UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True},
            EmailMfaConfiguration={"Message": "Your sign-in code is {####}", "Subject": "Sign-in code"},
            MfaConfiguration="OPTIONAL")
        check("SetUserPoolMfaConfig answers the configuration",
              configured["MfaConfiguration"] == "OPTIONAL" and configured["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
              and configured["EmailMfaConfiguration"]["Subject"] == "Sign-in code")
        check("DescribeUserPool shows MfaConfiguration",
              idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"] == "OPTIONAL")
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
        user(pool_id, "pat", "pat@example.com")

        def sign_in():
            return idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "pat", "PASSWORD": PASSWORD})

        def answer(session, code):
            return idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                                                 ChallengeResponses={"USERNAME": "pat", "SOFTWARE_TOKEN_MFA_CODE": code})

        tokens = sign_in()["AuthenticationResult"]
        check("OPTIONAL and no factor: tokens at once", "AccessToken" in tokens)
        access = tokens["AccessToken"]
        associated = idp.associate_software_token(AccessToken=access)
        check("AssociateSoftwareToken answers a 32-letter base32 secret",
              len(associated["SecretCode"]) == 32 and set(associated["SecretCode"]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
        app = Authenticator(associated["SecretCode"])
        code, _ = error_code(lambda: idp.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}))
        check(f"TOTP cannot be enabled before it is verified ({code})", code == "InvalidParameterException")
        unvalidated = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                                   aws_secret_access_key=secret,
                                   config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))
        code, _ = error_code(lambda: unvalidated.verify_software_token(AccessToken=access, UserCode="12345"))
        check(f"a five-digit code is refused ({code})", code == "InvalidParameterException")
        wrong = f"{(int(app.totp.now()) + 1) % 1000000:06d}"
        code, _ = error_code(lambda: idp.verify_software_token(AccessToken=access, UserCode=wrong))
        check(f"a wrong code does not verify ({code})", code == "EnableSoftwareTokenMFAException")
        verified = idp.verify_software_token(AccessToken=access, UserCode=app.next(), FriendlyDeviceName="pyotp")
        check("VerifySoftwareToken answers SUCCESS", verified["Status"] == "SUCCESS")
        idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        shown = idp.get_user(AccessToken=access)
        check("GetUser shows TOTP enabled and preferred",
              shown.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"] and shown.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA")

        challenge = sign_in()
        check("the next sign-in asks for the code", challenge.get("ChallengeName") == "SOFTWARE_TOKEN_MFA"
              and challenge["ChallengeParameters"].get("USER_ID_FOR_SRP") == "pat")
        code, _ = error_code(lambda: answer(challenge["Session"], f"{(int(app.totp.now()) + 7) % 1000000:06d}"))
        check(f"a wrong code is refused ({code})", code == "CodeMismatchException")
        used = app.next()
        result = answer(challenge["Session"], used)
        check("the right code in the same session answers tokens", "AccessToken" in result["AuthenticationResult"])
        code, _ = error_code(lambda: answer(challenge["Session"], app.next()))
        check(f"the spent session is refused ({code})", code == "NotAuthorizedException")
        again = sign_in()
        code, _ = error_code(lambda: answer(again["Session"], used))
        check(f"a code already used is refused ({code})", code == "CodeMismatchException")
        check("a fresh code signs in", "AccessToken" in answer(again["Session"], app.next())["AuthenticationResult"])

        idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="pat",
                                          SoftwareTokenMfaSettings={"Enabled": False})
        check("AdminSetUserMFAPreference turns TOTP off", "AuthenticationResult" in sign_in())

        # A pool that requires MFA: TOTP only.
        required_pool = idp.create_user_pool(PoolName="mfa-required")["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(UserPoolId=required_pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON")
        required_client = idp.create_user_pool_client(UserPoolId=required_pool, ClientName="app", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
        user(required_pool, "quinn")
        user(required_pool, "rey")

        # amazon-cognito-identity-js: an authenticator set up for "jo" here, and MFA_SETUP for "quinn".
        user(pool_id, "jo", "jo@example.com")
        jo = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "jo", "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
        jo_secret = idp.associate_software_token(AccessToken=jo)["SecretCode"]
        idp.verify_software_token(AccessToken=jo, UserCode=Authenticator(jo_secret).next())
        idp.set_user_mfa_preference(AccessToken=jo, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        check("amazon-cognito-identity-js: totpRequired, sendMFACode, mfaSetup and verifySoftwareToken",
              node("mfa_cognito_js.mjs", endpoint + "/", pool_id, client_id, "jo", PASSWORD, jo_secret,
                   required_pool, required_client, "quinn"))
        user(pool_id, "amy", "amy@example.com")
        check("aws-amplify v6: setUpTOTP, TOTP and email codes, MFA selection and TOTP set-up at sign-in",
              node("mfa_amplify.mjs", endpoint, pool_id, client_id, "amy", PASSWORD, "amy@example.com",
                   required_pool, required_client, "rey", key_id, secret))

        # Remembered devices: a pool that remembers them and lets a remembered device replace the
        # second factor; "dan" (amazon-cognito-identity-js) and "ava" (Amplify) have authenticators.
        devices_pool = idp.create_user_pool(PoolName="mfa-devices", DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False})["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(UserPoolId=devices_pool, SoftwareTokenMfaConfiguration={"Enabled": True},
                                     MfaConfiguration="OPTIONAL")
        devices_client = idp.create_user_pool_client(UserPoolId=devices_pool, ClientName="app", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]

        def with_authenticator(name):
            user(devices_pool, name)
            signed_in = idp.initiate_auth(ClientId=devices_client, AuthFlow="USER_PASSWORD_AUTH",
                                          AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})["AuthenticationResult"]
            check(f"a pool that remembers devices gives {name}'s sign-in a device key",
                  signed_in.get("NewDeviceMetadata", {}).get("DeviceKey", "").startswith("us-east-1_"))
            token = signed_in["AccessToken"]
            totp_secret = idp.associate_software_token(AccessToken=token)["SecretCode"]
            idp.verify_software_token(AccessToken=token, UserCode=Authenticator(totp_secret).next())
            idp.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
            return totp_secret

        check("amazon-cognito-identity-js: a confirmed device passes DEVICE_SRP_AUTH without a code until forgotten",
              node("devices_cognito_js.mjs", endpoint + "/", devices_pool, devices_client, "dan", PASSWORD,
                   with_authenticator("dan")))
        listed = idp.admin_list_devices(UserPoolId=devices_pool, Username="dan")["Devices"]
        check("AdminListDevices shows the device confirmed after the forgotten one",
              len(listed) == 1 and any(a["Name"] == "device_name" for a in listed[0]["DeviceAttributes"]))
        check("aws-amplify v6: fetchDevices, a device sign-in without a code, forgetDevice",
              node("devices_amplify.mjs", endpoint, devices_pool, devices_client, "ava", PASSWORD, with_authenticator("ava")))

        # Choice-based sign-in: a pool that allows passwords and emailed codes as first factors.
        choice_pool = idp.create_user_pool(PoolName="passwordless", AutoVerifiedAttributes=["email"], Policies={
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}})["UserPool"]["Id"]
        choice_client = idp.create_user_pool_client(UserPoolId=choice_pool, ClientName="app", ExplicitAuthFlows=[
            "ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        user(choice_pool, "vic", "vic@example.com")
        idp.admin_update_user_attributes(UserPoolId=choice_pool, Username="vic",
                                         UserAttributes=[{"Name": "email_verified", "Value": "true"}])
        started = idp.initiate_auth(ClientId=choice_client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "vic"})
        check("boto3: USER_AUTH without a preference answers SELECT_CHALLENGE with AvailableChallenges",
              started.get("ChallengeName") == "SELECT_CHALLENGE"
              and started.get("AvailableChallenges") == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"])
        signed_in = idp.respond_to_auth_challenge(ClientId=choice_client, ChallengeName="SELECT_CHALLENGE", Session=started["Session"],
                                                  ChallengeResponses={"USERNAME": "vic", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD})
        factors = idp.get_user_auth_factors(AccessToken=signed_in["AuthenticationResult"]["AccessToken"])
        check("boto3: GetUserAuthFactors lists the password and the emailed code",
              factors.get("ConfiguredUserAuthFactors") == ["PASSWORD", "EMAIL_OTP"])
        events = idp.admin_list_user_auth_events(UserPoolId=choice_pool, Username="vic")["AuthEvents"]
        latest = events[0] if events else {}
        check(f"boto3: AdminListUserAuthEvents shows the sign-in that chose PASSWORD ({latest.get('EventType')}, {latest.get('EventResponse')}, "
              f"{latest.get('ChallengeResponses')}, {latest.get('EventContextData')})",
              latest.get("EventType") == "SignIn" and latest.get("EventResponse") == "Pass"
              and latest.get("ChallengeResponses") == [{"ChallengeName": "Password", "ChallengeResponse": "Success"}]
              and latest.get("EventContextData", {}).get("IpAddress") == "127.0.0.1"
              and latest.get("EventContextData", {}).get("DeviceName", "").startswith("Boto3/")
              and hasattr(latest.get("CreationDate"), "timestamp"))
        idp.admin_update_auth_event_feedback(UserPoolId=choice_pool, Username="vic", EventId=latest.get("EventId", "-"), FeedbackValue="Valid")
        feedback = idp.admin_list_user_auth_events(UserPoolId=choice_pool, Username="vic")["AuthEvents"][0].get("EventFeedback", {})
        check(f"boto3: AdminUpdateAuthEventFeedback marks it ({feedback})", feedback.get("FeedbackValue") == "Valid" and feedback.get("Provider") == "Admin")
        check("aws-amplify v6: passwordless signUp and autoSignIn, EMAIL_OTP preferred and chosen, PASSWORD chosen",
              node("passwordless_amplify.mjs", endpoint, choice_pool, choice_client, "wes", "vic", PASSWORD, key_id, secret))

        passkeys(idp)
        metrics(endpoint, key_id, secret)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    return 0 if Results.failed == 0 and Results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
