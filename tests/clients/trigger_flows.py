#!/usr/bin/env python3
"""Lambda triggers as a Cognito pool runs them, driven with boto3 against `cognate serve
--lambda-endpoint`, with `lambda_invoke.mjs` (a stand-in of the Lambda Invoke API, as `sam local
start-lambda` serves it) running the handlers of `triggers/`: PreSignUp (auto-confirm and
auto-verify, a refusal), PreAuthentication (a refusal), PostAuthentication, PreTokenGeneration V1
and V2 (claims, groups, scopes; also on refresh), the custom challenge (DefineAuthChallenge,
CreateAuthChallenge, VerifyAuthChallengeResponse, also through amazon-cognito-identity-js), with
UserMigration on sign-in and ForgotPassword, PostConfirmation, CustomMessage for every source,
CustomEmailSender and CustomSMSSender (codes encrypted under a KMS key of moto's server mode, decrypted
by the functions with the AWS Encryption SDK), PreTokenGeneration V3 for client_credentials, ClientMetadata handed on, with the
events read back field by field and the invocations' signatures checked; and the failures: a trigger that throws, answers garbage, takes 8 seconds, or whose endpoint is down.
Prints 'N passed, N failed'."""

import base64
import html
import http.client
import http.cookiejar
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
import botocore.exceptions

from checks import HERE, Results, build_binary, check, free_port, start_moto, start_server  # noqa: E402

PASSWORD = "Trigger-Pass-1"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
APP_CALLBACK = "http://127.0.0.1:9/callback"


def attempt(call):
    """The error code, message and response of a call."""
    try:
        return None, "", call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"].get("Message", ""), {}


def node(script, *args):
    done = subprocess.run(["node", os.path.join(HERE, script), *args], cwd=HERE, capture_output=True, text=True, timeout=120)
    print(done.stdout + done.stderr, end="")
    return done.returncode == 0


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def read_outbox(endpoint, key_id, secret, pool_id):
    """The messages of a pool's outbox, newest last."""
    request = urllib.request.Request(f"{endpoint}/_cognate/outbox?UserPoolId={pool_id}",
                                     headers={"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()})
    with urllib.request.urlopen(request) as response:
        return sorted(json.load(response)["Messages"], key=lambda message: message["Id"])


def message_triggers(idp, endpoint, key_id, secret, events, key_arn, sent):
    """CustomMessage for every source, the custom senders (their codes encrypted under a KMS key
    of moto's, decrypted by the functions), and their failures."""
    outbox = lambda pool: read_outbox(endpoint, key_id, secret, pool)  # noqa: E731
    pool_id = idp.create_user_pool(PoolName="messages", AutoVerifiedAttributes=["email"],
                                   LambdaConfig={"CustomMessage": ARN.format("custom_message")})["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    idp.sign_up(ClientId=client_id, Username="nia", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "nia@example.com"}],
                ClientMetadata={"campaign": "spring"})
    [mail] = [m for m in outbox(pool_id) if m["Destination"] == "nia@example.com"]
    code = mail["Body"].rstrip(".").split()[-1]
    check("CustomMessage_SignUp writes the sign-up email (subject and body, code filled in)",
          mail["Subject"] == "Welcome to Acme, nia" and mail["Body"].startswith("Thanks for joining Acme. Your code is ")
          and len(code) == 6 and code.isdigit())
    event = events("custom_message")[-1]["event"]
    check("the event has the source, the placeholders, the attributes and the ClientMetadata",
          event["triggerSource"] == "CustomMessage_SignUp" and event["request"]["codeParameter"] == "{####}"
          and event["request"]["userAttributes"]["email"] == "nia@example.com" and event["request"]["clientMetadata"] == {"campaign": "spring"}
          and event["callerContext"]["clientId"] == client_id)
    idp.resend_confirmation_code(ClientId=client_id, Username="nia")
    resent = [m for m in outbox(pool_id) if m["Destination"] == "nia@example.com"][-1]
    check("CustomMessage_ResendCode for a code sent again", events("custom_message")[-1]["event"]["triggerSource"] == "CustomMessage_ResendCode"
          and resent["Body"].startswith("Thanks for joining Acme."))
    idp.confirm_sign_up(ClientId=client_id, Username="nia", ConfirmationCode=resent["Body"].rstrip(".").split()[-1])
    check("and the code in the custom message confirms the user",
          idp.admin_get_user(UserPoolId=pool_id, Username="nia")["UserStatus"] == "CONFIRMED")

    code, message, _ = attempt(lambda: idp.sign_up(ClientId=client_id, Username="oli", Password=PASSWORD,
                                                   UserAttributes=[{"Name": "email", "Value": "oli@example.com"}], ClientMetadata={"fail": "throw"}))
    check(f"a CustomMessage that throws fails the sign-up ({code}: {message})",
          code == "UserLambdaValidationException" and message == "CustomMessage failed with error No message today.")
    check("and leaves no user and no message behind", not idp.list_users(UserPoolId=pool_id, Filter='username = "oli"')["Users"]
          and not [m for m in outbox(pool_id) if m["Destination"] == "oli@example.com"])
    code, _, _ = attempt(lambda: idp.sign_up(ClientId=client_id, Username="oli", Password=PASSWORD,
                                             UserAttributes=[{"Name": "email", "Value": "oli@example.com"}], ClientMetadata={"fail": "no-code"}))
    check(f"a custom message without the code is an invalid answer ({code})", code == "InvalidLambdaResponseException")

    idp.admin_create_user(UserPoolId=pool_id, Username="pia", DesiredDeliveryMediums=["EMAIL"],
                          UserAttributes=[{"Name": "email", "Value": "pia@example.com"}, {"Name": "email_verified", "Value": "true"}])
    invitation = [m for m in outbox(pool_id) if m["Destination"] == "pia@example.com"][-1]
    event = events("custom_message")[-1]["event"]
    check("CustomMessage_AdminCreateUser writes the invitation with the username and the temporary password",
          event["triggerSource"] == "CustomMessage_AdminCreateUser" and event["request"]["usernameParameter"] == "{username}"
          and invitation["Subject"] == "Your Acme account" and invitation["Body"].startswith("Hello pia, your temporary password is "))
    temporary = invitation["Body"][len("Hello pia, your temporary password is "):-1]
    started = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "pia", "PASSWORD": temporary})
    check("and that temporary password signs in", started.get("ChallengeName") == "NEW_PASSWORD_REQUIRED")

    idp.forgot_password(ClientId=client_id, Username="nia")
    reset = [m for m in outbox(pool_id) if m["Destination"] == "nia@example.com"][-1]
    check("CustomMessage_ForgotPassword writes the reset email", reset["Subject"] == "Reset your Acme password"
          and events("custom_message")[-1]["event"]["triggerSource"] == "CustomMessage_ForgotPassword")
    idp.confirm_forgot_password(ClientId=client_id, Username="nia", ConfirmationCode=reset["Body"].split()[-1], Password="Reset-Nia-Pass-1")
    tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "nia", "PASSWORD": "Reset-Nia-Pass-1"})["AuthenticationResult"]
    idp.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "email", "Value": "nia@new.example"}])
    changed = [m for m in outbox(pool_id) if m["Destination"] == "nia@new.example"][-1]
    check("CustomMessage_UpdateUserAttribute for a changed address", changed["Body"].startswith("Confirm your new address with ")
          and events("custom_message")[-1]["event"]["triggerSource"] == "CustomMessage_UpdateUserAttribute")
    idp.get_user_attribute_verification_code(AccessToken=tokens["AccessToken"], AttributeName="email")
    again = [m for m in outbox(pool_id) if m["Destination"] == "nia@new.example"][-1]
    check("CustomMessage_VerifyUserAttribute for GetUserAttributeVerificationCode",
          events("custom_message")[-1]["event"]["triggerSource"] == "CustomMessage_VerifyUserAttribute" and again["Id"] != changed["Id"])
    idp.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email", Code=again["Body"].split()[-1])

    idp.set_user_pool_mfa_config(UserPoolId=pool_id, EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
                                 MfaConfiguration="OPTIONAL")
    idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="nia", EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    challenge = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "nia", "PASSWORD": "Reset-Nia-Pass-1"}, ClientMetadata={"device": "kiosk"})
    sign_in_mail = [m for m in outbox(pool_id) if m["Destination"] == "nia@new.example"][-1]
    event = events("custom_message")[-1]["event"]
    check("CustomMessage_Authentication writes the sign-in code's email, with InitiateAuth's ClientMetadata",
          event["triggerSource"] == "CustomMessage_Authentication" and event["request"]["clientMetadata"] == {"device": "kiosk"}
          and sign_in_mail["Subject"] == "Acme sign-in" and challenge.get("ChallengeName") == "EMAIL_OTP")
    done = idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="EMAIL_OTP", Session=challenge["Session"],
                                         ChallengeResponses={"USERNAME": "nia", "EMAIL_OTP_CODE": sign_in_mail["Body"].split()[-1]})
    check("and its code completes the sign-in", "AccessToken" in done.get("AuthenticationResult", {}))

    # The custom email sender: the code goes to the function, encrypted, and nothing to the outbox.
    sender_pool = idp.create_user_pool(PoolName="sender", AutoVerifiedAttributes=["email"], LambdaConfig={
        "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": ARN.format("custom_email_sender")},
        "CustomMessage": ARN.format("custom_message"), "KMSKeyID": key_arn})["UserPool"]["Id"]
    sender_client = idp.create_user_pool_client(UserPoolId=sender_pool, ClientName="app")["UserPoolClient"]["ClientId"]
    before = len(events("custom_message"))
    idp.sign_up(ClientId=sender_client, Username="quin", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "quin@example.com"}],
                ClientMetadata={"locale": "fr"})
    [sent_event] = events("custom_email_sender")
    event = sent_event["event"]
    check("CustomEmailSender_SignUp gets the code, the attributes and the ClientMetadata",
          event["triggerSource"] == "CustomEmailSender_SignUp" and event["request"]["type"] == "customEmailSenderRequestV1"
          and event["request"]["userAttributes"]["email"] == "quin@example.com" and event["request"]["clientMetadata"] == {"locale": "fr"})
    check("instead of CustomMessage and the outbox", len(events("custom_message")) == before and not outbox(sender_pool))
    encrypted = base64.b64decode(event["request"]["code"])
    check("the code is not in the clear: an AWS Encryption SDK message (format 2.0) naming the pool's KMS key, "
          "its data key from a GenerateDataKey call that moto found correctly signed",
          not event["request"]["code"].isdigit() and encrypted[0] == 2 and key_arn.encode() in encrypted)
    [mailed] = sent()
    check(f"the function decrypts it with the Encryption SDK and a KMS keyring, as Cognito's documentation does ({mailed['code']})",
          mailed["to"] == "quin@example.com" and len(mailed["code"]) == 6 and mailed["code"].isdigit()
          and mailed["context"] == {"userpool-id": sender_pool})
    idp.confirm_sign_up(ClientId=sender_client, Username="quin", ConfirmationCode=mailed["code"])
    check("and the code it decrypted confirms the user", idp.admin_get_user(UserPoolId=sender_pool, Username="quin")["UserStatus"] == "CONFIRMED")
    idp.forgot_password(ClientId=sender_client, Username="quin")
    check("each code is encrypted under a data key of its own (CustomEmailSender_ForgotPassword)",
          events("custom_email_sender")[-1]["event"]["triggerSource"] == "CustomEmailSender_ForgotPassword"
          and events("custom_email_sender")[-1]["event"]["request"]["code"] != event["request"]["code"] and len(sent()) == 2)
    idp.confirm_forgot_password(ClientId=sender_client, Username="quin", ConfirmationCode=sent()[-1]["code"], Password="Quin-New-Pass-1")

    # A KMSKeyID that KMS does not know: the code cannot be encrypted, so the sender is not called
    # and the message waits in the outbox rather than being lost.
    unknown_key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    lost_pool = idp.create_user_pool(PoolName="unknown-key", AutoVerifiedAttributes=["email"], LambdaConfig={
        "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": ARN.format("custom_email_sender")},
        "KMSKeyID": unknown_key})["UserPool"]["Id"]
    lost_client = idp.create_user_pool_client(UserPoolId=lost_pool, ClientName="app")["UserPoolClient"]["ClientId"]
    calls = len(events("custom_email_sender"))
    idp.sign_up(ClientId=lost_client, Username="una", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "una@example.com"}])
    [waiting] = outbox(lost_pool)
    check("a KMSKeyID unknown to KMS: the sender is not called and the message waits in the outbox",
          len(events("custom_email_sender")) == calls and waiting["Destination"] == "una@example.com")

    # The custom SMS sender, for a pool that verifies phone numbers; a failing sender loses nothing.
    sms_pool = idp.create_user_pool(PoolName="sms-sender", AutoVerifiedAttributes=["phone_number"], LambdaConfig={
        "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": ARN.format("custom_sms_sender")},
        "KMSKeyID": key_arn})["UserPool"]["Id"]
    sms_client = idp.create_user_pool_client(UserPoolId=sms_pool, ClientName="app")["UserPoolClient"]["ClientId"]
    idp.sign_up(ClientId=sms_client, Username="rex", Password=PASSWORD, UserAttributes=[{"Name": "phone_number", "Value": "+14155550123"}])
    [texted] = events("custom_sms_sender")
    check("CustomSMSSender_SignUp gets the code (customSMSSenderRequestV1), which the function decrypts",
          texted["event"]["triggerSource"] == "CustomSMSSender_SignUp" and texted["event"]["request"]["type"] == "customSMSSenderRequestV1"
          and texted["event"]["request"]["userAttributes"]["phone_number"] == "+14155550123" and not outbox(sms_pool)
          and sent()[-1]["to"] == "+14155550123" and sent()[-1]["code"].isdigit())
    idp.resend_confirmation_code(ClientId=sms_client, Username="rex", ClientMetadata={"fail": "throw"})
    [kept] = outbox(sms_pool)
    check("a sender that fails: the call succeeds and the message waits in the outbox",
          events("custom_sms_sender")[-1]["event"]["triggerSource"] == "CustomSMSSender_ResendCode"
          and kept["DeliveryMedium"] == "SMS" and kept["Destination"] == "+14155550123")
    idp.confirm_sign_up(ClientId=sms_client, Username="rex", ConfirmationCode="".join(ch for ch in kept["Body"] if ch.isdigit())[-6:])
    check("and its code confirms the user", idp.admin_get_user(UserPoolId=sms_pool, Username="rex")["UserStatus"] == "CONFIRMED")

def hosted_sign_in(endpoint, pool_id, client_id, username, password):
    """Signs in on the hosted sign-in page with plain HTTP: the app's redirect (with a code) on
    success, else the page's error text."""
    port = int(endpoint.rsplit(":", 1)[1])
    query = urllib.parse.urlencode({"client_id": client_id, "response_type": "code", "scope": "openid",
                                    "redirect_uri": "http://127.0.0.1:9/callback"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/{pool_id}/login?{query}")
    page = connection.getresponse()
    cookies = "; ".join(header.split(";", 1)[0] for name, header in page.getheaders() if name.lower() == "set-cookie")
    token = re.search(r'name="_csrf" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password})
    connection.request("POST", f"/{pool_id}/login?{query}", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
    answer = connection.getresponse()
    body = answer.read().decode()
    if answer.status in (302, 303):
        return answer.getheader("Location"), ""
    error = re.search(r'class="errorMessage[^"]*"[^>]*>([^<]*)<', body)
    return None, html.unescape(error.group(1)) if error else body[:200]


class _StopAtApp(urllib.request.HTTPRedirectHandler):
    """Follows redirects until the app's callback (a port nothing listens on), which it leaves
    unfollowed so the caller can read it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if newurl.startswith(APP_CALLBACK):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def federated_sign_in(endpoint, pool_id, client_id, provider, username, password):
    """A sign-in through an upstream provider with plain HTTP and a cookie jar: the authorize
    request, the upstream's sign-in page, the callback at idpresponse; returns where the browser
    is finally sent (the app's callback with a code or an error)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _StopAtApp())
    query = urllib.parse.urlencode({"client_id": client_id, "response_type": "code", "scope": "openid",
                                    "redirect_uri": APP_CALLBACK, "identity_provider": provider, "state": "app-state"})
    with opener.open(f"{endpoint}/{pool_id}/oauth2/authorize?{query}", timeout=30) as page:
        login_url, body = page.url, page.read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password}).encode()
    try:
        with opener.open(urllib.request.Request(login_url, data=form), timeout=30) as page:
            return "page: " + page.read().decode()[:300]
    except urllib.error.HTTPError as stopped:
        return stopped.headers.get("Location", "")


def external_provider_trigger(idp, endpoint, events):
    """PreSignUp_ExternalProvider: a first federated sign-in passes PreSignUp, whose refusal
    reaches the app at its redirect URI as Cognito sends it."""
    pool_id = idp.create_user_pool(PoolName="federated", LambdaConfig={"PreSignUp": ARN.format("pre_sign_up")})["UserPool"]["Id"]
    callback = f"{endpoint}/{pool_id}/oauth2/idpresponse"
    partner = idp.create_user_pool(PoolName="partner")["UserPool"]["Id"]
    broker = idp.create_user_pool_client(
        UserPoolId=partner, ClientName="broker", GenerateSecret=True, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email"], CallbackURLs=[callback], SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]
    for name, email in (("fay", "fay@example.com"), ("gus", "gus@blocked.example")):
        idp.admin_create_user(UserPoolId=partner, Username=name, MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
        idp.admin_set_user_password(UserPoolId=partner, Username=name, Password=PASSWORD, Permanent=True)
    idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName="Partner", ProviderType="OIDC", AttributeMapping={"email": "email"},
        ProviderDetails={"client_id": broker["ClientId"], "client_secret": broker["ClientSecret"], "attributes_request_method": "GET",
                         "oidc_issuer": f"{endpoint}/{partner}", "authorize_scopes": "openid email"})
    web = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="federated", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid"], CallbackURLs=[APP_CALLBACK], SupportedIdentityProviders=["Partner"])["UserPoolClient"]["ClientId"]

    before = len(events("pre_sign_up"))
    location = federated_sign_in(endpoint, pool_id, web, "Partner", "fay", PASSWORD)
    check(f"a first federated sign-in reaches the app with a code ({location[:120]})",
          location.startswith(f"{APP_CALLBACK}?code=") and "state=app-state" in location)
    fay = [u for u in idp.list_users(UserPoolId=pool_id)["Users"] if u["Username"].startswith("Partner_")]
    fired = events("pre_sign_up")[before:]
    check("PreSignUp ran once for it with PreSignUp_ExternalProvider, the user's name and mapped attributes",
          len(fired) == 1 and len(fay) == 1 and fired[0]["event"]["triggerSource"] == "PreSignUp_ExternalProvider"
          and fired[0]["event"]["userName"] == fay[0]["Username"] and fired[0]["event"]["callerContext"]["clientId"] == web
          and fired[0]["event"]["request"]["userAttributes"]["email"] == "fay@example.com")
    check("and the user is EXTERNAL_PROVIDER", fay[0]["UserStatus"] == "EXTERNAL_PROVIDER")
    location = federated_sign_in(endpoint, pool_id, web, "Partner", "fay", PASSWORD)
    check("a second sign-in of the same user does not run PreSignUp again",
          location.startswith(f"{APP_CALLBACK}?code=") and len(events("pre_sign_up")) == before + 1)

    location = federated_sign_in(endpoint, pool_id, web, "Partner", "gus", PASSWORD)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    check(f"a PreSignUp that throws sends the app error=invalid_request with the trigger's message ({location[:160]})",
          location.startswith(f"{APP_CALLBACK}?") and query.get("error") == ["invalid_request"]
          and query.get("error_description") == ["PreSignUp failed with error Sign-ups from blocked.example are closed."]
          and query.get("state") == ["app-state"])
    users = [u["Username"] for u in idp.list_users(UserPoolId=pool_id)["Users"] if u["Username"].startswith("Partner_")]
    check("and no user is created for it", len(users) == 1)


def client_credentials_trigger(idp, endpoint):
    """PreTokenGeneration V3 on a client_credentials token."""
    pool_id = idp.create_user_pool(PoolName="machines", LambdaConfig={
        "PreTokenGenerationConfig": {"LambdaVersion": "V3_0", "LambdaArn": ARN.format("pre_token_v3")}})["UserPool"]["Id"]
    idp.create_resource_server(UserPoolId=pool_id, Identifier="orders", Name="Orders",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}])
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="batch", GenerateSecret=True, AllowedOAuthFlowsUserPoolClient=True,
                                         AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=["orders/read", "orders/write"])["UserPoolClient"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    basic = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()
    request = urllib.request.Request(f"{endpoint}/{pool_id}/oauth2/token", data=form, headers={
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request) as response:
        access = claims(json.load(response)["access_token"])
    return pool_id, client["ClientId"], access


def start_kms():
    """moto's server mode as the key service, enforcing SigV4 after its first four calls (which
    make an IAM user allowed kms:*, its access key and one symmetric key): (process, endpoint,
    key ARN, access key id, secret). A call cognate signs wrongly is refused with
    SignatureDoesNotMatch, and the code then never reaches the sender."""
    moto, kms_port = start_moto(env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"})
    kms_endpoint = f"http://127.0.0.1:{kms_port}"
    setup = {"region_name": "us-east-1", "endpoint_url": kms_endpoint, "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
    iam, kms = boto3.client("iam", **setup), boto3.client("kms", **setup)
    iam.create_user(UserName="cognate")
    iam.put_user_policy(UserName="cognate", PolicyName="senders", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
    keys = iam.create_access_key(UserName="cognate")["AccessKey"]
    key_arn = kms.create_key(Description="the custom senders' codes")["KeyMetadata"]["Arn"]
    refused, _, _ = attempt(lambda: kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256"))
    check(f"(moto's KMS now refuses a call not signed by a key it knows: {refused})", refused is not None)
    return moto, kms_endpoint, key_arn, keys["AccessKeyId"], keys["SecretAccessKey"]


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-triggers-")
    lambda_port, port, down_port = free_port(), free_port(), free_port()
    moto, kms_endpoint, key_arn, kms_key_id, kms_secret = start_kms()
    sent_messages = os.path.join(work, "sent-messages.jsonl")
    # The functions' environment, as a Lambda function's: the key to decrypt with and where KMS is.
    function_env = {**os.environ, "KEY_ARN": key_arn, "AWS_ENDPOINT_URL_KMS": kms_endpoint, "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": kms_key_id, "AWS_SECRET_ACCESS_KEY": kms_secret, "SENT_MESSAGES": sent_messages}
    invoke = subprocess.Popen(["node", os.path.join(HERE, "lambda_invoke.mjs"), str(lambda_port), "AKIDLAMBDAEXAMPLE", "lambda-secret"], cwd=HERE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=function_env)
    invoke.stdout.readline()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port, extra_args=[
        "--lambda-endpoint", f"http://127.0.0.1:{lambda_port}",
        "--lambda-access-key-id", "AKIDLAMBDAEXAMPLE", "--lambda-secret-access-key", "lambda-secret",
        "--kms-endpoint", kms_endpoint, "--kms-access-key-id", kms_key_id, "--kms-secret-access-key", kms_secret])
    down, _, down_key, down_secret = start_server(binary, os.path.join(work, "down"), down_port, extra_args=[
        "--lambda-endpoint", f"http://127.0.0.1:{free_port()}"])

    def sent():
        """What the custom senders sent, oldest first."""
        if not os.path.exists(sent_messages):
            return []
        with open(sent_messages) as lines:
            return [json.loads(line) for line in lines]

    endpoint = f"http://127.0.0.1:{port}"
    config = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30)
    try:
        idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key_id,
                           aws_secret_access_key=secret, config=config)

        def events(function):
            with urllib.request.urlopen(f"http://127.0.0.1:{lambda_port}/events") as response:
                return [entry for entry in json.load(response) if entry["functionName"] == function]

        lambda_config = {"PreSignUp": ARN.format("pre_sign_up"), "PreAuthentication": ARN.format("pre_authentication"),
                         "PostAuthentication": ARN.format("post_authentication"), "PreTokenGeneration": ARN.format("pre_token_v1")}
        pool_id = idp.create_user_pool(PoolName="triggers", AutoVerifiedAttributes=["email"], LambdaConfig=lambda_config, Schema=[
            {"Name": "locked", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        idp.create_group(UserPoolId=pool_id, GroupName="admins")

        # PreSignUp: an invited user of example.com is confirmed and verified at once.
        signed_up = idp.sign_up(ClientId=client_id, Username="ann", Password=PASSWORD,
                                UserAttributes=[{"Name": "email", "Value": "ann@example.com"}],
                                ValidationData=[{"Name": "invited", "Value": "yes"}], ClientMetadata={"source": "web"})
        check("PreSignUp's autoConfirmUser confirms the user", signed_up["UserConfirmed"] is True and "CodeDeliveryDetails" not in signed_up)
        ann = idp.admin_get_user(UserPoolId=pool_id, Username="ann")
        attributes = {a["Name"]: a["Value"] for a in ann["UserAttributes"]}
        check("and autoVerifyEmail verifies the address", ann["UserStatus"] == "CONFIRMED" and attributes.get("email_verified") == "true")
        [entry] = events("pre_sign_up")
        event = entry["event"]
        check("the invocation is SigV4-signed for lambda (the signature checked)", entry["signed"])
        check("the PreSignUp event has Cognito's envelope",
              event["triggerSource"] == "PreSignUp_SignUp" and event["version"] == "1" and event["userPoolId"] == pool_id
              and event["userName"] == "ann" and event["region"] == "us-east-1" and event["callerContext"]["clientId"] == client_id)
        check("with the attributes, ValidationData and ClientMetadata",
              event["request"]["userAttributes"]["email"] == "ann@example.com" and event["request"]["validationData"] == {"invited": "yes"}
              and event["request"]["clientMetadata"] == {"source": "web"})

        code, message, _ = attempt(lambda: idp.sign_up(ClientId=client_id, Username="bob", Password=PASSWORD,
                                                       UserAttributes=[{"Name": "email", "Value": "bob@blocked.example"}]))
        check(f"a PreSignUp that throws refuses the sign-up ({code}: {message})",
              code == "UserLambdaValidationException" and message == "PreSignUp failed with error Sign-ups from blocked.example are closed.")
        check("and no user is left behind", all(u["Username"] != "bob" for u in idp.list_users(UserPoolId=pool_id)["Users"]))
        plain = idp.sign_up(ClientId=client_id, Username="cid", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "cid@example.com"}])
        check("without the invitation the user is sent a code as usual", plain["UserConfirmed"] is False and "CodeDeliveryDetails" in plain)

        # PreAuthentication, PostAuthentication and PreTokenGeneration V1 on a sign-in.
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="ann", GroupName="admins")
        result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD})["AuthenticationResult"]
        id_claims, access_claims = claims(result["IdToken"]), claims(result["AccessToken"])
        check("PreTokenGeneration V1 adds a claim and suppresses one in the ID token",
              id_claims.get("tenant") == "acme" and "email" not in id_claims)
        check("but cannot change a protected claim", id_claims["sub"] == attributes["sub"] != "forged")
        check("and replaces the groups of both tokens",
              id_claims.get("cognito:groups") == ["readers"] and access_claims.get("cognito:groups") == ["readers"])
        [pre_token] = events("pre_token_v1")
        check("the V1 event has the groups and the triggerSource of a sign-in",
              pre_token["event"]["triggerSource"] == "TokenGeneration_Authentication"
              and pre_token["event"]["request"]["groupConfiguration"]["groupsToOverride"] == ["admins"])
        [pre_auth] = events("pre_authentication")
        check("PreAuthentication sees the user's attributes and status",
              pre_auth["event"]["triggerSource"] == "PreAuthentication_Authentication"
              and pre_auth["event"]["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED")
        [post_auth] = events("post_authentication")
        check("PostAuthentication follows with newDeviceUsed",
              post_auth["event"]["triggerSource"] == "PostAuthentication_Authentication" and post_auth["event"]["request"]["newDeviceUsed"] is False)
        refreshed = idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
        check("PreTokenGeneration runs on refresh too", claims(refreshed["IdToken"]).get("tenant") == "acme"
              and events("pre_token_v1")[-1]["event"]["triggerSource"] == "TokenGeneration_RefreshTokens")

        idp.admin_update_user_attributes(UserPoolId=pool_id, Username="ann", UserAttributes=[{"Name": "custom:locked", "Value": "yes"}])
        code, message, _ = attempt(lambda: idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                             AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD}))
        check(f"a PreAuthentication that throws refuses the sign-in ({code}: {message})",
              code == "UserLambdaValidationException" and message == "PreAuthentication failed with error This account is locked.")
        idp.admin_update_user_attributes(UserPoolId=pool_id, Username="ann", UserAttributes=[{"Name": "custom:locked", "Value": "no"}])

        # PreTokenGeneration V2: claims of the access token and scopes.
        v2_config = dict(lambda_config)
        del v2_config["PreTokenGeneration"]
        v2_config["PreTokenGenerationConfig"] = {"LambdaVersion": "V2_0", "LambdaArn": ARN.format("pre_token_v2")}
        idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"], LambdaConfig=v2_config)
        result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD})["AuthenticationResult"]
        id_claims, access_claims = claims(result["IdToken"]), claims(result["AccessToken"])
        check("PreTokenGeneration V2 adds claims to the access token (any JSON)", access_claims.get("roles") == ["admin", "ops"])
        check("and a scope", access_claims["scope"].split() == ["aws.cognito.signin.user.admin", "orders/read"])
        check("and a claim to the ID token", id_claims.get("plan") == "gold")
        [v2] = events("pre_token_v2")
        check("the V2 event has version 2 and the scopes", v2["event"]["version"] == "2" and v2["event"]["request"]["scopes"] == ["aws.cognito.signin.user.admin"])

        # The hosted sign-in page runs PreAuthentication, UserMigration and PostAuthentication too.
        web_client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web", AllowedOAuthFlows=["code"],
                                                 AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid"],
                                                 CallbackURLs=["http://127.0.0.1:9/callback"], SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
        location, _ = hosted_sign_in(endpoint, pool_id, web_client, "ann", PASSWORD)
        check("the hosted page signs in (PreAuthentication and PostAuthentication passing)", location and "code=" in location
              and events("pre_authentication")[-1]["event"]["callerContext"]["clientId"] == web_client
              and events("post_authentication")[-1]["event"]["callerContext"]["clientId"] == web_client)
        idp.admin_update_user_attributes(UserPoolId=pool_id, Username="ann", UserAttributes=[{"Name": "custom:locked", "Value": "yes"}])
        location, error = hosted_sign_in(endpoint, pool_id, web_client, "ann", PASSWORD)
        check(f"and shows PreAuthentication's refusal on the page ({error})", location is None and "This account is locked" in error)
        idp.admin_update_user_attributes(UserPoolId=pool_id, Username="ann", UserAttributes=[{"Name": "custom:locked", "Value": "no"}])

        # Failures: garbage, too slow, an endpoint that is down.
        for function, expected in (("garbage", "InvalidLambdaResponseException"), ("slow", "UnexpectedLambdaException")):
            idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"], LambdaConfig={"PreSignUp": ARN.format(function)})
            started = time.monotonic()
            code, _, _ = attempt(lambda: idp.sign_up(ClientId=client_id, Username=f"u-{function}", Password=PASSWORD,
                                                     UserAttributes=[{"Name": "email", "Value": f"{function}@example.com"}]))
            elapsed = time.monotonic() - started
            check(f"a PreSignUp that answers {function} fails the sign-up with {expected} ({code}, {elapsed:.1f} s)",
                  code == expected and elapsed < 7)
            check(f"and leaves no {function} user", all(u["Username"] != f"u-{function}" for u in idp.list_users(UserPoolId=pool_id)["Users"]))
        # CUSTOM_AUTH: DefineAuthChallenge, CreateAuthChallenge, VerifyAuthChallengeResponse.
        custom_pool = idp.create_user_pool(PoolName="custom", LambdaConfig={
            "DefineAuthChallenge": ARN.format("define_auth_challenge"), "CreateAuthChallenge": ARN.format("create_auth_challenge"),
            "VerifyAuthChallengeResponse": ARN.format("verify_auth_challenge")})["UserPool"]["Id"]
        custom_client = idp.create_user_pool_client(UserPoolId=custom_pool, ClientName="app", ExplicitAuthFlows=[
            "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], PreventUserExistenceErrors="ENABLED")["UserPoolClient"]["ClientId"]
        for name in ("eve", "fay"):
            idp.admin_create_user(UserPoolId=custom_pool, Username=name, MessageAction="SUPPRESS")
            idp.admin_set_user_password(UserPoolId=custom_pool, Username=name, Password=PASSWORD, Permanent=True)
        started = idp.initiate_auth(ClientId=custom_client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "eve"})
        check("CUSTOM_AUTH answers CUSTOM_CHALLENGE with the public parameters only",
              started.get("ChallengeName") == "CUSTOM_CHALLENGE"
              and started["ChallengeParameters"] == {"question": "What is 1 + 4?", "USERNAME": "eve"})
        answer = lambda session, text: idp.respond_to_auth_challenge(  # noqa: E731
            ClientId=custom_client, ChallengeName="CUSTOM_CHALLENGE", Session=session, ChallengeResponses={"USERNAME": "eve", "ANSWER": text})
        second = answer(started["Session"], "6")
        check("a wrong answer brings the next round", second.get("ChallengeName") == "CUSTOM_CHALLENGE"
              and second["ChallengeParameters"]["question"] == "What is 2 + 4?")
        code, _, _ = attempt(lambda: answer(started["Session"], "5"))
        check(f"an answered session is spent ({code})", code == "NotAuthorizedException")
        done = answer(second["Session"], "6")
        check("the right answer signs in", "AccessToken" in done.get("AuthenticationResult", {}))
        define = events("define_auth_challenge")
        check("DefineAuthChallenge sees the rounds with their results and metadata",
              define[-1]["event"]["request"]["session"] == [
                  {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "QUESTION-1"},
                  {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "QUESTION-2"}])
        verify = events("verify_auth_challenge")
        check("VerifyAuthChallengeResponse gets the private parameters and the answer",
              verify[-1]["event"]["request"]["privateChallengeParameters"] == {"answer": "6"} and verify[-1]["event"]["request"]["challengeAnswer"] == "6")
        session = idp.initiate_auth(ClientId=custom_client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "eve"})["Session"]
        for text in ("0", "0"):
            session = answer(session, text)["Session"]
        code, _, _ = attempt(lambda: answer(session, "0"))
        check(f"three wrong answers fail the sign-in ({code})", code == "NotAuthorizedException")
        ghost = idp.initiate_auth(ClientId=custom_client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "ghost"})
        check("a user who does not exist gets a challenge too", ghost.get("ChallengeName") == "CUSTOM_CHALLENGE"
              and events("define_auth_challenge")[-1]["event"]["request"]["userNotFound"] is True)
        code, _, _ = attempt(lambda: idp.respond_to_auth_challenge(ClientId=custom_client, ChallengeName="CUSTOM_CHALLENGE", Session=ghost["Session"],
                                                                   ChallengeResponses={"USERNAME": "ghost", "ANSWER": "5"}))
        check(f"and is never signed in ({code})", code == "NotAuthorizedException")
        check("amazon-cognito-identity-js: initiateAuth with CUSTOM_AUTH and sendCustomChallengeAnswer",
              node("custom_auth_cognito_js.mjs", endpoint + "/", custom_pool, custom_client, "fay", PASSWORD))
        srp_rounds = [e["event"]["request"]["session"] for e in events("define_auth_challenge")
                      if e["event"]["request"]["session"][:1] == [{"challengeName": "SRP_A", "challengeResult": True}]]
        check("DefineAuthChallenge sees SRP_A, then PASSWORD_VERIFIER before the custom rounds",
              [{"challengeName": "SRP_A", "challengeResult": True}, {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True}] in
              [rounds[:2] for rounds in srp_rounds])

        # UserMigration and PostConfirmation.
        migration_pool = idp.create_user_pool(PoolName="migration", AutoVerifiedAttributes=["email"], LambdaConfig={
            "UserMigration": ARN.format("user_migration"), "PostConfirmation": ARN.format("post_confirmation")})["UserPool"]["Id"]
        migration_client = idp.create_user_pool_client(UserPoolId=migration_pool, ClientName="app", ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        sign_in = lambda name, password: idp.initiate_auth(  # noqa: E731
            ClientId=migration_client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": name, "PASSWORD": password})
        code, _, first = attempt(lambda: sign_in("leo", "Legacy-Pass-1"))
        check(f"UserMigration brings in a user who signs in with the legacy password ({code})", "AuthenticationResult" in first)
        leo = idp.admin_get_user(UserPoolId=migration_pool, Username="leo")
        check("as CONFIRMED, with the attributes it returned", leo["UserStatus"] == "CONFIRMED"
              and {a["Name"]: a["Value"] for a in leo["UserAttributes"]}.get("email") == "leo@legacy.example")
        [migrated] = events("user_migration")
        check("the event has the typed name and the password",
              migrated["event"]["triggerSource"] == "UserMigration_Authentication" and migrated["event"]["userName"] == "leo"
              and migrated["event"]["request"]["password"] == "Legacy-Pass-1")
        sign_in("leo", "Legacy-Pass-1")
        check("once: the next sign-in is an ordinary one", len(events("user_migration")) == 1)
        hosted_client = idp.create_user_pool_client(UserPoolId=migration_pool, ClientName="web", AllowedOAuthFlows=["code"],
                                                    AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=["openid"],
                                                    CallbackURLs=["http://127.0.0.1:9/callback"], SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
        location, error = hosted_sign_in(endpoint, migration_pool, hosted_client, "lou", "Legacy-Pass-1")
        check(f"UserMigration brings in a user who signs in on the hosted page ({error})", location and "code=" in location
              and idp.admin_get_user(UserPoolId=migration_pool, Username="lou")["UserStatus"] == "CONFIRMED")
        idp.set_user_pool_mfa_config(UserPoolId=migration_pool, SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"},
                                     MfaConfiguration="OPTIONAL")
        code, _, lex = attempt(lambda: sign_in("lex", "Legacy-Pass-1"))
        check(f"enableSMSMFA turns SMS MFA on for the migrated user, whose sign-in then asks for the code ({code})",
              lex.get("ChallengeName") == "SMS_MFA"
              and idp.admin_get_user(UserPoolId=migration_pool, Username="lex").get("UserMFASettingList") == ["SMS_MFA"])
        code, _, _ = attempt(lambda: sign_in("ned", "Legacy-Pass-1"))
        check(f"a messageAction that is neither SUPPRESS nor RESEND is an invalid answer ({code})",
              code == "InvalidLambdaResponseException" and not idp.list_users(UserPoolId=migration_pool, Filter='username = "ned"')["Users"])
        code, message, _ = attempt(lambda: sign_in("zed", "Whatever-1"))
        check(f"a user the legacy directory refuses is not created ({code}: {message})",
              code == "UserLambdaValidationException" and message == "UserMigration failed with error Bad password."
              and not idp.list_users(UserPoolId=migration_pool, Filter='username = "zed"')["Users"])
        idp.forgot_password(ClientId=migration_client, Username="lia")
        lia = idp.admin_get_user(UserPoolId=migration_pool, Username="lia")
        check("ForgotPassword brings in a user to reset the password", lia["UserStatus"] == "RESET_REQUIRED"
              and events("user_migration")[-1]["event"]["triggerSource"] == "UserMigration_ForgotPassword")
        messages = [m for m in read_outbox(endpoint, key_id, secret, migration_pool) if m["Destination"] == "lia@legacy.example"]
        reset_code = "".join(ch for ch in messages[-1]["Body"] if ch.isdigit())[-6:]
        idp.confirm_forgot_password(ClientId=migration_client, Username="lia", ConfirmationCode=reset_code, Password="New-Lia-Pass-1")
        confirmed = events("post_confirmation")
        check("PostConfirmation runs after the reset",
              confirmed and confirmed[-1]["event"]["triggerSource"] == "PostConfirmation_ConfirmForgotPassword"
              and confirmed[-1]["event"]["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED")
        check("and the new password signs in", "AuthenticationResult" in sign_in("lia", "New-Lia-Pass-1"))
        idp.sign_up(ClientId=migration_client, Username="max", Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": "max@example.com"}])
        idp.admin_confirm_sign_up(UserPoolId=migration_pool, Username="max")
        check("PostConfirmation runs after a confirmation",
              events("post_confirmation")[-1]["event"]["triggerSource"] == "PostConfirmation_ConfirmSignUp"
              and events("post_confirmation")[-1]["event"]["userName"] == "max")

        message_triggers(idp, endpoint, key_id, secret, events, key_arn, sent)
        external_provider_trigger(idp, endpoint, events)
        machine_pool, machine_client, access = client_credentials_trigger(idp, endpoint)
        [v3] = events("pre_token_v3")
        check("PreTokenGeneration V3 runs for a client_credentials token (TokenGeneration_ClientCredentials, version 3)",
              v3["event"]["triggerSource"] == "TokenGeneration_ClientCredentials" and v3["event"]["version"] == "3"
              and v3["event"]["userPoolId"] == machine_pool and v3["event"]["callerContext"]["clientId"] == machine_client
              and v3["event"]["request"]["scopes"] == ["orders/read", "orders/write"])
        check("and its answer adds a claim and suppresses a scope, never a protected claim",
              access.get("tenant") == "machines" and access["scope"] == "orders/read" and access["client_id"] == machine_client)
        forged = urllib.request.Request(f"http://127.0.0.1:{lambda_port}/2015-03-31/functions/post_confirmation/invocations",
                                        data=b'{"request": {}}', headers={
                                            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLAMBDAEXAMPLE/20261205/us-east-1/lambda/aws4_request, "
                                            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64, "X-Amz-Date": "20261205T000000Z"})
        urllib.request.urlopen(forged).read()
        check("(the stand-in's signature check refuses a forged signature)", events("post_confirmation")[-1]["signed"] is False)

        down_idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{down_port}",
                                aws_access_key_id=down_key, aws_secret_access_key=down_secret, config=config)
        down_pool = down_idp.create_user_pool(PoolName="down", LambdaConfig={"PreSignUp": ARN.format("pre_sign_up")})["UserPool"]["Id"]
        down_client = down_idp.create_user_pool_client(UserPoolId=down_pool, ClientName="app")["UserPoolClient"]["ClientId"]
        code, _, _ = attempt(lambda: down_idp.sign_up(ClientId=down_client, Username="dan", Password=PASSWORD))
        check(f"an Invoke endpoint that is down gives UnexpectedLambdaException ({code})", code == "UnexpectedLambdaException")
    finally:
        for process in (server, down):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        invoke.terminate()
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{Results.passed} passed, {Results.failed} failed")
    return 0 if Results.failed == 0 and Results.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
