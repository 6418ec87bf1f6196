"""SAML 2.0 into STS, identity pools and user pools, driven by boto3 against the real binary, with pysaml2 as the identity
provider (it signs with xmlsec1; no code of ours makes its responses): IAM SAML providers from
the IdP's own metadata, AssumeRoleWithSAML with the assertion signed and with the response
signed, the answer's members, GetCallerIdentity with the credentials, the trust policy's SAML
keys, and an attack corpus: tampered values, unsigned responses, signature wrapping (a forged
assertion beside or around the signed one), a foreign key, SHA-1, another audience, an expired
assertion, a DTD, a comment splitting the NameID, replay; assertions encrypted to the provider's
private keys (AddPrivateKey, rotation, AssertionEncryptionMode). Then a user pool signs its users in
through the IdP (pysaml2 serving on loopback): AuthnRequest, ACS, code, tokens; and, with
EncryptedResponses, assertions pysaml2 encrypts (xmlsec1: AES-CBC or AES-GCM, RSA-OAEP) to the
certificate of the pool's metadata. Prints 'N passed, N failed'."""

import base64
import contextlib
import functools
import hashlib
import html as html_lib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import saml2.entity
import saml2.response
import saml2.sigver
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from botocore.exceptions import ClientError

from checks import ROOT, Results, build_binary, check, error_code, free_port, node_checks, start_server

REGION = "us-east-1"
ACCOUNT = "000000000000"
CONFIG = botocore.config.Config(retries={"max_attempts": 1})
IDP_ENTITY = "https://idp.corp.test/saml"
AWS_ACS = "https://signin.aws.amazon.com/saml"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
EMAIL_ATTRIBUTE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"

# The service providers the IdP knows: AWS's sign-in (what IdPs are set up with for AWS) and
# another application, whose assertions must not open AWS roles.
SP_METADATA = """<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
<EntityDescriptor entityID="urn:amazon:webservices"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signin.aws.amazon.com/saml"/>
</SPSSODescriptor></EntityDescriptor>
<EntityDescriptor entityID="https://wiki.corp.test/sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://wiki.corp.test/acs"/>
</SPSSODescriptor></EntityDescriptor>
</EntitiesDescriptor>"""


def certificate(work, name):
    key, cert = os.path.join(work, f"{name}.key"), os.path.join(work, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "3650", "-subj", f"/CN={name}"], check=True, capture_output=True)
    return key, cert


def identity_provider(work, key, cert, lifetime_seconds=300):
    sp_file = os.path.join(work, "sp.xml")
    with open(sp_file, "w") as out:
        out.write(SP_METADATA)
    config = IdPConfig()
    config.load({
        "entityid": IDP_ENTITY,
        "key_file": key,
        "cert_file": cert,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [("https://idp.corp.test/sso", BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "policy": {"default": {"lifetime": {"seconds": lifetime_seconds}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
        }},
        "metadata": {"local": [sp_file]},
    })
    return Server(config=config)


def saml_response(idp, attributes, name="alice", sp="urn:amazon:webservices", acs=AWS_ACS,
                  sign_assertion=True, sign_response=False, sha1=False):
    """The IdP's signed `<samlp:Response>` as text."""
    return str(idp.create_authn_response(
        attributes, None, acs, sp,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
        sign_assertion=sign_assertion, sign_response=sign_response,
        sign_alg=xmldsig.SIG_RSA_SHA1 if sha1 else xmldsig.SIG_RSA_SHA256,
        digest_alg=xmldsig.DIGEST_SHA1 if sha1 else xmldsig.DIGEST_SHA256,
    ))


@contextlib.contextmanager
def encrypting_with(data_algorithm, session_key):
    """pysaml2's IdP encrypts assertions with triple DES; the AES algorithm an IdP's operator
    picks instead (xmlsec1's session key type and the EncryptedData template's algorithm)."""
    original_part, original_encrypt = saml2.entity.pre_encryption_part, saml2.sigver.SecurityContext.encrypt_assertion
    saml2.entity.pre_encryption_part = functools.partial(original_part, msg_enc=data_algorithm)
    saml2.sigver.SecurityContext.encrypt_assertion = functools.partialmethod(original_encrypt, key_type=session_key)
    try:
        yield
    finally:
        saml2.entity.pre_encryption_part, saml2.sigver.SecurityContext.encrypt_assertion = original_part, original_encrypt


def encoded(xml):
    return base64.b64encode(xml.encode()).decode()


def wrapped(xml, forged_session):
    """Signature wrapping: a forged copy of the signed assertion (new ID, another session name,
    no signature) put first, and the signed original kept beside it or inside the forgery."""
    match = re.search(r"<(\w+):Assertion\b.*?</\1:Assertion>", xml, re.S)
    original = match.group(0)
    forged = re.sub(r"<(\w+):Signature\b.*?</\1:Signature>", "", original, flags=re.S)
    forged = re.sub(r'ID="[^"]+"', 'ID="forged-assertion"', forged, count=1)
    forged = forged.replace(">alice</", f">{forged_session}</")
    beside = xml.replace(original, forged + original)
    prefix = match.group(1)
    inside = xml.replace(original, forged.replace(f"</{prefix}:Subject>", f"</{prefix}:Subject><{prefix}:Advice>{original}</{prefix}:Advice>", 1))
    return beside, inside


def sha1_when_allowed(binary, work, idp, metadata):
    """A second server started with --saml-allow-sha1 true takes the RSA-SHA1 response the first
    one refuses."""
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "sha1-data"), port, extra_args=["--saml-allow-sha1", "true"])
    try:
        def client(service):
            return boto3.client(service, region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}", config=CONFIG,
                                aws_access_key_id=key_id, aws_secret_access_key=secret)
        iam, sts = client("iam"), client("sts")
        provider_arn = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name="Legacy")["SAMLProviderArn"]
        role_arn = iam.create_role(RoleName="legacy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithSAML"}]}))["Role"]["Arn"]
        xml = saml_response(idp, {ROLE_ATTRIBUTE: [f"{role_arn},{provider_arn}"], SESSION_ATTRIBUTE: ["old-timer"]}, sha1=True)
        answer = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=encoded(xml))
        check("with --saml-allow-sha1 true, an RSA-SHA1 response is taken", answer["AssumedRoleUser"]["Arn"].endswith("/legacy/old-timer"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def iam_encrypted_assertions(iam, sts, work, idp, attributes, role_arn, provider_arn):
    """AssumeRoleWithSAML with assertions pysaml2 encrypts to the provider's private keys
    (AddPrivateKey, two while rotating), AssertionEncryptionMode Required and Allowed."""
    first_key, first_cert = certificate(work, "sp-encryption-1")
    second_key, second_cert = certificate(work, "sp-encryption-2")
    pem = lambda path: open(path).read()

    def encrypted(to_cert, name="alice"):
        with encrypting_with("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256"):
            return str(idp.create_authn_response(
                attributes, None, AWS_ACS, "urn:amazon:webservices",
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                sign_assertion=True, encrypt_assertion=True, encrypt_cert_assertion=pem(to_cert),
                sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256))

    def assumed(xml):
        try:
            return sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=encoded(xml))["Subject"]
        except ClientError as error:
            return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"

    refused = assumed(encrypted(first_cert))
    check(f"an encrypted assertion is refused while the provider has no private key ({refused})", "not accepted here" in refused)
    code, _ = error_code(lambda: iam.update_saml_provider(SAMLProviderArn=provider_arn, AssertionEncryptionMode="Required"))
    check(f"AssertionEncryptionMode Required without a private key is refused ({code})", code == "InvalidInput")
    code, _ = error_code(lambda: iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey="-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"))
    check(f"a private key that is not an RSA key is refused ({code})", code == "InvalidInput")
    iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey=pem(first_key), AssertionEncryptionMode="Required")
    got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
    check("GetSAMLProvider shows the mode and the key's id and date, never the key",
          got["AssertionEncryptionMode"] == "Required" and len(got["PrivateKeyList"]) == 1
          and re.fullmatch(r"[A-Z0-9]{22,64}", got["PrivateKeyList"][0]["KeyId"]) and "PRIVATE" not in json.dumps(got, default=str))
    check("an assertion encrypted to that key buys the role (AES-256-CBC, RSA-OAEP)", assumed(encrypted(first_cert)) == "alice")
    refused = assumed(saml_response(idp, attributes))
    check(f"with Required, an assertion in the clear is refused ({refused})", refused.startswith("InvalidIdentityToken") and "must be encrypted" in refused)
    refused = assumed(encrypted(second_cert))
    check(f"an assertion encrypted to another key is refused ({refused})", "could not be decrypted" in refused)
    # Rotation: the second key added, both open assertions; the first removed, only the second.
    iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey=pem(second_key))
    keys = iam.get_saml_provider(SAMLProviderArn=provider_arn)["PrivateKeyList"]
    check("with two keys, assertions to either are taken",
          len(keys) == 2 and assumed(encrypted(first_cert, "bob")) == "bob" and assumed(encrypted(second_cert, "carol")) == "carol")
    code, _ = error_code(lambda: iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey=pem(first_key)))
    check(f"a third key is refused ({code})", code == "LimitExceeded")
    iam.update_saml_provider(SAMLProviderArn=provider_arn, RemovePrivateKey=keys[0]["KeyId"])
    refused = assumed(encrypted(first_cert, "dave"))
    check(f"after RemovePrivateKey the old key's assertions are refused ({refused}) and the new one's taken",
          "could not be decrypted" in refused and assumed(encrypted(second_cert, "erin")) == "erin")
    iam.update_saml_provider(SAMLProviderArn=provider_arn, AssertionEncryptionMode="Allowed")
    check("with Allowed, assertions in the clear are taken again", assumed(saml_response(idp, attributes, name="frank")) == "frank")
    iam.update_saml_provider(SAMLProviderArn=provider_arn, RemovePrivateKey=iam.get_saml_provider(SAMLProviderArn=provider_arn)["PrivateKeyList"][0]["KeyId"])


def identity_pools(client, iam, idp, provider_arn):
    """An identity pool that names the SAML provider: Logins keyed by its ARN with the base64
    response, the role chosen from the assertion's Role attribute (CustomRoleArn among several)."""
    identity = client("cognito-identity")
    pool_id = identity.create_identity_pool(IdentityPoolName="corp", AllowUnauthenticatedIdentities=False,
                                            SamlProviderARNs=[provider_arn])["IdentityPoolId"]
    check("DescribeIdentityPool names the SAML provider",
          identity.describe_identity_pool(IdentityPoolId=pool_id)["SamlProviderARNs"] == [provider_arn])
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]})
    staff = iam.create_role(RoleName="corp-staff", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    admins = iam.create_role(RoleName="corp-admins", AssumeRolePolicyDocument=trust)["Role"]["Arn"]

    def login(roles, name="dana"):
        xml = saml_response(idp, {ROLE_ATTRIBUTE: [f"{role},{provider_arn}" for role in roles], SESSION_ATTRIBUTE: [name]}, name=name)
        return {provider_arn: encoded(xml)}

    identity_id = identity.get_id(IdentityPoolId=pool_id, Logins=login([staff]))["IdentityId"]
    check("GetId with a SAML login answers an identity, the same for the same NameID",
          identity.get_id(IdentityPoolId=pool_id, Logins=login([staff]))["IdentityId"] == identity_id)
    check("another NameID is another identity",
          identity.get_id(IdentityPoolId=pool_id, Logins=login([staff], name="erin"))["IdentityId"] != identity_id)
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login([staff]))["Credentials"]
    caller = client("sts", aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretKey"],
                    aws_session_token=credentials["SessionToken"]).get_caller_identity()
    check("GetCredentialsForIdentity answers credentials for the one role the assertion lists",
          caller["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/corp-staff/CognitoIdentityCredentials")
    code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login([staff, admins])))
    check(f"an assertion with two roles needs CustomRoleArn ({code})", code == "InvalidParameterException")
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login([staff, admins]), CustomRoleArn=admins)["Credentials"]
    caller = client("sts", aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretKey"],
                    aws_session_token=credentials["SessionToken"]).get_caller_identity()
    check("with CustomRoleArn it answers that role", caller["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/corp-admins/"))
    code, _ = error_code(lambda: identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login([staff]), CustomRoleArn=admins))
    check(f"a CustomRoleArn the assertion does not list is refused ({code})", code == "NotAuthorizedException")
    tampered = {provider_arn: encoded(base64.b64decode(login([staff])[provider_arn]).decode().replace(">dana</", ">root</"))}
    code, _ = error_code(lambda: identity.get_id(IdentityPoolId=pool_id, Logins=tampered))
    check(f"a tampered SAML login is refused ({code})", code == "NotAuthorizedException")
    other_pool = identity.create_identity_pool(IdentityPoolName="no-saml", AllowUnauthenticatedIdentities=False)["IdentityPoolId"]
    code, _ = error_code(lambda: identity.get_id(IdentityPoolId=other_pool, Logins=login([staff])))
    check(f"a pool that does not name the provider refuses its logins ({code})", code == "NotAuthorizedException")


class IdpPages(BaseHTTPRequestHandler):
    """pysaml2's IdP on loopback: `/metadata`, and `/sso`, which takes an HTTP-Redirect
    AuthnRequest, signs in `IdpPages.user` without asking and answers the auto-posting form of
    the HTTP-POST binding, as an IdP's sign-in page does once the user has signed in."""

    idp = None
    metadata = ""
    acs = ""
    sp_entity = ""
    logout = ""
    logouts = []
    # How the IdP answers the pool's LogoutRequest: HTTP-POST, or HTTP-Redirect.
    logout_binding = BINDING_HTTP_POST
    # NameID -> the SessionIndex of its last sign-in here.
    sessions = {}
    # The pool's LogoutResponses to the IdP's own LogoutRequests: (status, in_response_to,
    # signature verified with the pool's certificate, RelayState).
    answers = []
    pool_certificate = ""
    user = "alice"
    attributes = {}
    requests = []

    def log_message(self, *args):
        pass

    def answer(self, status, body, kind="text/html"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def found(self, location):
        self.send_response(302)
        self.send_header("location", location)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/metadata":
            return self.answer(200, IdpPages.metadata, "application/samlmetadata+xml")
        if url.path == "/slo":
            query = {name: values[0] for name, values in urllib.parse.parse_qs(url.query).items()}
            if "SAMLResponse" in query:
                # The pool's answer to a LogoutRequest this IdP sent (HTTP-Redirect, signed).
                verified = saml2.sigver.verify_redirect_signature(query, IdpPages.idp.sec.sec_backend, IdpPages.pool_certificate)
                try:
                    answer = IdpPages.idp.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT).response
                    code = answer.status.status_code
                    status = [code.value] + ([code.status_code.value] if code.status_code is not None else [])
                    in_response_to = answer.in_response_to
                except saml2.response.StatusError:
                    # pysaml2 raises on a status other than Success; read it from the XML.
                    xml = zlib.decompress(base64.b64decode(query["SAMLResponse"]), -15).decode()
                    status = re.findall(r'StatusCode Value="([^"]+)"', xml)
                    in_response_to = re.search(r'InResponseTo="([^"]+)"', xml).group(1)
                IdpPages.answers.append((status, in_response_to, verified, query.get("RelayState")))
                return self.answer(200, "<!doctype html><title>Signed out at Corp</title><h1>Signed out</h1>")
            # Single logout: the pool's signed LogoutRequest checked with the certificate of its
            # SP metadata, answered with a signed LogoutResponse to its logout URL.
            try:
                request = IdpPages.idp.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
                                                            sigalg=query.get("SigAlg"), signature=query.get("Signature"))
            except Exception as error:
                return self.answer(403, f"refused: {error!r}")
            message = request.message
            IdpPages.logouts.append((message.name_id.text, [index.text for index in message.session_index], "Signature" in query))
            by_post = IdpPages.logout_binding == BINDING_HTTP_POST
            response = IdpPages.idp.create_logout_response(message, [IdpPages.logout_binding], sign=by_post,
                                                           sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
            if by_post:
                form = IdpPages.idp.apply_binding(BINDING_HTTP_POST, str(response), IdpPages.logout, query.get("RelayState", ""), response=True)
                return self.answer(200, form["data"])
            info = IdpPages.idp.apply_binding(BINDING_HTTP_REDIRECT, str(response), IdpPages.logout, query.get("RelayState", ""),
                                              response=True, sign=True, sigalg=xmldsig.SIG_RSA_SHA256)
            return self.found(dict(info["headers"])["Location"])
        if url.path == "/idp-logout":
            # The user signs out at the IdP: it sends its own LogoutRequest to the pool.
            asked = {name: values[0] for name, values in urllib.parse.parse_qs(url.query).items()}
            _, location = idp_logout_request(asked["user"], BINDING_HTTP_REDIRECT, [IdpPages.sessions[asked["user"]]], asked.get("relay", ""))
            return self.found(location)
        if url.path == "/idp-initiated":
            # The IdP's own portal: the user picks the app, the IdP posts an unsolicited response.
            asked = {name: values[0] for name, values in urllib.parse.parse_qs(url.query).items()}
            response = IdpPages.idp.create_authn_response(
                {EMAIL_ATTRIBUTE: [f"{asked['user']}@corp.test"]}, None, IdpPages.acs, IdpPages.sp_entity,
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=asked["user"]),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                sign_assertion=True, sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
            form = IdpPages.idp.apply_binding(BINDING_HTTP_POST, str(response), IdpPages.acs, asked["relay"], response=True)
            return self.answer(200, form["data"])
        if url.path != "/sso":
            return self.answer(404, "not here")
        query = {name: values[0] for name, values in urllib.parse.parse_qs(url.query).items()}
        try:
            request = IdpPages.idp.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
                                                       sigalg=query.get("SigAlg"), signature=query.get("Signature"))
        except Exception as error:  # pysaml2 refuses a request whose signature does not verify
            return self.answer(403, f"refused: {error!r}")
        IdpPages.requests.append((request, "Signature" in query))
        message = request.message
        response = IdpPages.idp.create_authn_response(
            IdpPages.attributes, message.id, message.assertion_consumer_service_url, message.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=IdpPages.user),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=True, sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
        IdpPages.sessions[IdpPages.user] = re.search(r'SessionIndex="([^"]+)"', str(response)).group(1)
        form = IdpPages.idp.apply_binding(BINDING_HTTP_POST, str(response), message.assertion_consumer_service_url,
                                          query.get("RelayState", ""), response=True)
        return self.answer(200, form["data"])


def idp_logout_request(user, binding, session_indexes, relay_state="", sign=True):
    """The IdP's own LogoutRequest for `user` to the pool's logout URL: (its ID, the URL to send
    the browser to for HTTP-Redirect, or the form fields to post for HTTP-POST)."""
    message_id = "_idp-logout-" + os.urandom(8).hex()
    by_post = binding == BINDING_HTTP_POST
    request = IdpPages.idp.create_logout_request(IdpPages.logout, IdpPages.sp_entity, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
                                                 session_indexes=session_indexes, sign=sign and by_post, message_id=message_id,
                                                 sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
    request = request[1] if isinstance(request, tuple) else request
    if by_post:
        return message_id, form_fields(IdpPages.idp.apply_binding(BINDING_HTTP_POST, str(request), IdpPages.logout, relay_state)["data"])[1]
    info = IdpPages.idp.apply_binding(BINDING_HTTP_REDIRECT, str(request), IdpPages.logout, relay_state, sign=sign, sigalg=xmldsig.SIG_RSA_SHA256)
    return message_id, dict(info["headers"])["Location"]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, data=None):
    """(status, Location or body) of one request, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("location") or error.read().decode()


def form_fields(html):
    action = re.search(r'action="([^"]+)"', html).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))
    return html_lib.unescape(action), {name: html_lib.unescape(value) for name, value in fields.items()}


def user_pool_sign_in(client, work, key, cert, endpoint):
    """A user pool with the IdP as a SAML provider (its MetadataURL): the hosted authorize
    endpoint sends an AuthnRequest, pysaml2 answers, the ACS takes the response, the app gets a
    code and tokens for `Corp_<NameID>` with the mapped attributes."""
    idp = client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="corp-staff")["UserPool"]["Id"]
    pages = ThreadingHTTPServer(("127.0.0.1", 0), IdpPages)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    idp_url = f"http://127.0.0.1:{pages.server_address[1]}"
    acs = f"{endpoint}/{pool_id}/saml2/idpresponse"
    sp_entity = f"urn:amazon:cognito:sp:{pool_id}"
    IdpPages.acs, IdpPages.sp_entity, IdpPages.logout = acs, sp_entity, f"{endpoint}/{pool_id}/saml2/logout"
    certificate = idp.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    IdpPages.pool_certificate = certificate
    parsed = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-enddate"],
                            input=base64.b64decode(certificate), capture_output=True)
    check("GetSigningCertificate answers an X.509 certificate openssl reads, named for the pool",
          parsed.returncode == 0 and sp_entity.encode() in parsed.stdout)
    status, sp_metadata = fetch(f"{endpoint}/{pool_id}/saml2/metadata")
    check("the pool's SP metadata names its entity id, ACS URL and that certificate",
          status == 200 and f'entityID="{sp_entity}"' in sp_metadata and f'Location="{acs}"' in sp_metadata and certificate in sp_metadata)
    sp_file = os.path.join(work, "cognito-sp.xml")
    with open(sp_file, "w") as out:
        out.write(sp_metadata)

    def idp_server(want_signed):
        config = IdPConfig()
        config.load({
            "entityid": IDP_ENTITY, "key_file": key, "cert_file": cert, "xmlsec_binary": shutil.which("xmlsec1"),
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(f"{idp_url}/sso", BINDING_HTTP_REDIRECT)],
                              "single_logout_service": [(f"{idp_url}/slo", BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "want_authn_requests_signed": want_signed,
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}},
            }},
            "metadata": {"local": [sp_file]},
        })
        return Server(config=config), str(entity_descriptor(config))

    IdpPages.idp, IdpPages.metadata = idp_server(False)
    IdpPages.attributes = {EMAIL_ATTRIBUTE: ["alice@corp.test"], "department": ["research"]}
    try:
        idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="SAML",
                                     ProviderDetails={"MetadataURL": f"{idp_url}/metadata"},
                                     AttributeMapping={"email": EMAIL_ATTRIBUTE}, IdpIdentifiers=["corp.test"])
        details = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="Corp")["IdentityProvider"]["ProviderDetails"]
        check("DescribeIdentityProvider shows the sign-on and logout URLs read from the fetched metadata",
              details.get("SSORedirectBindingURI") == f"{idp_url}/sso" and details.get("SLORedirectBindingURI") == f"{idp_url}/slo"
              and details.get("MetadataURL") == f"{idp_url}/metadata")
        code, _ = error_code(lambda: idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Broken", ProviderType="SAML",
                                                                  ProviderDetails={"MetadataFile": "<nope/>"}))
        check(f"a SAML provider whose metadata is not an IdP's is refused ({code})", code == "InvalidParameterException")
        app = "https://app.corp.test/callback"
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="staff-app", SupportedIdentityProviders=["Corp"], CallbackURLs=[app],
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True,
        )["UserPoolClient"]["ClientId"]

        def start():
            query = urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": app,
                                            "identity_provider": "Corp", "state": "app-state", "scope": "openid email"})
            status, location = fetch(f"{endpoint}/{pool_id}/oauth2/authorize?{query}")
            return status, location

        status, location = start()
        check("authorize sends the browser to the IdP's sign-on service with an AuthnRequest and RelayState",
              status == 302 and location.startswith(f"{idp_url}/sso?SAMLRequest=") and "RelayState=" in location)
        status, page = fetch(location)
        request = IdpPages.requests[-1][0].message
        check("pysaml2 reads the AuthnRequest: this pool's entity id, its ACS URL, the HTTP-POST binding",
              request.issuer.text == sp_entity and request.assertion_consumer_service_url == acs
              and request.protocol_binding == BINDING_HTTP_POST)
        action, fields = form_fields(page)
        check("the IdP answers a form that posts SAMLResponse and RelayState to the ACS",
              action == acs and "SAMLResponse" in fields and "RelayState" in fields)
        posted = urllib.parse.urlencode(fields).encode()
        status, location = fetch(action, posted)
        redirect = urllib.parse.urlparse(location or "")
        answer = urllib.parse.parse_qs(redirect.query)
        check("the ACS sends the browser back to the app with a code and the app's state",
              status == 302 and location.startswith(app) and answer.get("state") == ["app-state"] and "code" in answer)
        status, body = fetch(f"{endpoint}/{pool_id}/oauth2/token", urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": answer["code"][0], "client_id": client_id, "redirect_uri": app}).encode())
        tokens = json.loads(body) if status == 200 else {}
        claims = json.loads(base64.urlsafe_b64decode(tokens.get("id_token", "e30.e30.").split(".")[1] + "=="))
        identities = json.loads(claims.get("identities", "[]")) if isinstance(claims.get("identities"), str) else claims.get("identities", [])
        check("the ID token names Corp_alice, the mapped email and a SAML identity",
              claims.get("cognito:username") == "Corp_alice" and claims.get("email") == "alice@corp.test"
              and identities and identities[0]["providerType"] == "SAML" and identities[0]["providerName"] == "Corp"
              and identities[0]["issuer"] == IDP_ENTITY)
        user = idp.admin_get_user(UserPoolId=pool_id, Username="Corp_alice")
        check("the user is an EXTERNAL_PROVIDER user", user["UserStatus"] == "EXTERNAL_PROVIDER")
        status, body = fetch(action, posted)
        check(f"the same response posted again is refused ({status})", status >= 400 and "start again" in body)

        # An old response with a new sign-in's RelayState: it does not answer that request.
        _, location = start()
        fresh_state = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["RelayState"][0]
        status, body = fetch(action, urllib.parse.urlencode({"SAMLResponse": fields["SAMLResponse"], "RelayState": fresh_state}).encode())
        check(f"a response to another AuthnRequest is refused ({status})", status >= 400 and "does not answer" in body)
        _, location = start()
        _, page = fetch(location)
        _, fields = form_fields(page)
        tampered = base64.b64decode(fields["SAMLResponse"]).decode().replace("alice@corp.test", "admin@corp.test")
        status, body = fetch(action, urllib.parse.urlencode({"SAMLResponse": base64.b64encode(tampered.encode()).decode(),
                                                             "RelayState": fields["RelayState"]}).encode())
        check(f"a tampered response is refused with a page that says why ({status})", status >= 400 and "digest" in body)
        IdpPages.user, IdpPages.attributes = "bob", {EMAIL_ATTRIBUTE: ["bob@corp.test"]}
        _, location = start()
        _, page = fetch(location)
        action, fields = form_fields(page)
        status, location = fetch(action, urllib.parse.urlencode(fields).encode())
        check("a second IdP user signs in as Corp_bob", status == 302 and "code=" in location
              and idp.admin_get_user(UserPoolId=pool_id, Username="Corp_bob")["UserStatus"] == "EXTERNAL_PROVIDER")
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": fields["SAMLResponse"]}).encode())
        check(f"an unsolicited response (no RelayState) is refused ({status})", status >= 400 and "RelayState" in body)

        # A SAML identity linked to a native user signs in as that user.
        idp.admin_create_user(UserPoolId=pool_id, Username="linda.native", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "linda@corp.test"}])
        idp.admin_link_provider_for_user(UserPoolId=pool_id, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "linda.native"},
                                         SourceUser={"ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "linda"})
        IdpPages.user, IdpPages.attributes = "linda", {EMAIL_ATTRIBUTE: ["linda@corp.test"]}
        _, location = start()
        _, page = fetch(location)
        action, fields = form_fields(page)
        status, location = fetch(action, urllib.parse.urlencode(fields).encode())
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location or "").query).get("code", [""])[0]
        status, body = fetch(f"{endpoint}/{pool_id}/oauth2/token", urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "client_id": client_id, "redirect_uri": app}).encode())
        linked = json.loads(base64.urlsafe_b64decode(json.loads(body).get("id_token", "e30.e30.").split(".")[1] + "==")) if status == 200 else {}
        check("a SAML identity linked by AdminLinkProviderForUser signs in as the native user",
              linked.get("cognito:username") == "linda.native")

        # Signed AuthnRequests: pysaml2, now requiring them, checks ours with the certificate
        # it read from the pool's SP metadata.
        idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"RequestSigningAlgorithm": "rsa-sha256"})
        IdpPages.idp, _ = idp_server(True)
        _, location = start()
        check("the redirect carries SigAlg and Signature", "&SigAlg=" in location and "&Signature=" in location)
        status, page = fetch(location)
        check(f"pysaml2 verifies the signed AuthnRequest against the pool's certificate ({status})",
              status == 200 and IdpPages.requests[-1][1])
        action, fields = form_fields(page)
        status, location = fetch(action, urllib.parse.urlencode(fields).encode())
        check("and the sign-in completes", status == 302 and "code=" in location)
        _, location = start()
        forged = re.sub(r"Signature=[^&]+", "Signature=" + urllib.parse.quote(base64.b64encode(b"x" * 256).decode(), safe=""), location)
        status, _ = fetch(forged)
        check(f"pysaml2 refuses the request when its signature is broken ({status})", status == 403)
        code, _ = error_code(lambda: idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp",
                                                                  ProviderDetails={"RequestSigningAlgorithm": "rsa-sha1"}))
        check(f"a RequestSigningAlgorithm other than rsa-sha256 is refused ({code})", code == "InvalidParameterException")

        # Sign-ins the IdP starts: an unsolicited response, the app's request in RelayState.
        def unsolicited(user, in_response_to=None):
            return encoded(str(IdpPages.idp.create_authn_response(
                {EMAIL_ATTRIBUTE: [f"{user}@corp.test"]}, in_response_to, acs, sp_entity,
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                sign_assertion=True, sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)))
        app_request = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": app, "response_type": "code", "scope": "openid email"})
        carol = unsolicited("carol")
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": carol, "RelayState": app_request}).encode())
        check(f"an IdP-initiated sign-in is refused while IDPInit is off ({status})", status >= 400 and "IDPInit" in body)
        idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"IDPInit": "true"})
        status, location = fetch(acs, urllib.parse.urlencode({"SAMLResponse": carol, "RelayState": app_request}).encode())
        check(f"with IDPInit on, it signs Corp_carol in and sends the app a code ({status})",
              status == 302 and location.startswith(app + "?code=")
              and idp.admin_get_user(UserPoolId=pool_id, Username="Corp_carol")["UserStatus"] == "EXTERNAL_PROVIDER")
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": carol, "RelayState": app_request}).encode())
        check(f"the same unsolicited response again is refused ({status})", status >= 400 and "already been used" in body)
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": unsolicited("dave", in_response_to="_someone-elses-request"),
                                                          "RelayState": app_request}).encode())
        check(f"a response to a request is not taken as IdP-initiated ({status})", status >= 400 and "answers a request" in body)
        elsewhere = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": "https://evil.example/cb", "response_type": "code"})
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": unsolicited("erin"), "RelayState": elsewhere}).encode())
        check(f"an IdP-initiated sign-in to a redirect URI the app does not have is refused ({status})", status >= 400 and "code=" not in body)

        # Encrypted assertions: with EncryptedResponses on, the pool's metadata offers an
        # encryption certificate; pysaml2 reads it there and encrypts each assertion to it.
        idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"EncryptedResponses": "true"})
        status, sp_metadata = fetch(f"{endpoint}/{pool_id}/saml2/metadata")
        certificates = re.findall(r"<ds:X509Certificate>([^<]+)</ds:X509Certificate>", sp_metadata)
        check("with EncryptedResponses on, the SP metadata offers an encryption certificate beside the signing one",
              status == 200 and 'use="encryption"' in sp_metadata and len(set(certificates)) == 2 and certificates[0] == certificate)
        with open(sp_file, "w") as out:
            out.write(sp_metadata)
        IdpPages.idp, _ = idp_server(True)

        def encrypted(user, data_algorithm, session_key, sign_response=False):
            with encrypting_with(data_algorithm, session_key):
                return str(IdpPages.idp.create_authn_response(
                    {EMAIL_ATTRIBUTE: [f"{user}@corp.test"]}, None, acs, sp_entity,
                    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
                    authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                    sign_assertion=not sign_response, sign_response=sign_response, encrypt_assertion=True,
                    sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256))

        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": unsolicited("heidi"), "RelayState": app_request}).encode())
        check(f"an assertion in the clear is refused while EncryptedResponses is on ({status})", status >= 400 and "must be encrypted" in body)
        cases = [
            ("ivan", "http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256", False, "AES-256-CBC, the assertion signed"),
            ("judy", "http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128", False, "AES-128-GCM, the assertion signed"),
            ("ken", "http://www.w3.org/2001/04/xmlenc#aes128-cbc", "aes-128", True, "AES-128-CBC, the response signed"),
        ]
        for user, algorithm, session_key, sign_response, what in cases:
            xml = encrypted(user, algorithm, session_key, sign_response)
            status, location = fetch(acs, urllib.parse.urlencode({"SAMLResponse": encoded(xml), "RelayState": app_request}).encode())
            check(f"an encrypted assertion ({what}) signs Corp_{user} in, its attributes unreadable on the way ({status})",
                  "EncryptedAssertion" in xml and f"{user}@corp.test" not in xml and algorithm in xml
                  and status == 302 and location.startswith(app + "?code=")
                  and idp.admin_get_user(UserPoolId=pool_id, Username=f"Corp_{user}")["UserStatus"] == "EXTERNAL_PROVIDER")
        xml = encrypted("leo", "http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256")
        values = list(re.finditer(r"CipherValue>([^<]+)<", xml))
        start = values[-1].start(1) + 40
        tampered = xml[:start] + ("A" if xml[start] != "A" else "B") + xml[start + 1:]
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": encoded(tampered), "RelayState": app_request}).encode())
        check(f"a changed byte of the encrypted assertion is refused, saying only that it does not decrypt ({status})",
              status >= 400 and "could not be decrypted" in body)
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": encoded(encrypted("mia", saml2.sigver.TRIPLE_DES_CBC, "des-192")),
                                                          "RelayState": app_request}).encode())
        check(f"pysaml2's default triple DES is refused by name ({status})", status >= 400 and "not AES-GCM or AES-CBC" in body)
        idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"EncryptedResponses": "false"})
        status, body = fetch(acs, urllib.parse.urlencode({"SAMLResponse": encoded(encrypted("nina", "http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256")),
                                                          "RelayState": app_request}).encode())
        check(f"with EncryptedResponses off again, an encrypted assertion is refused ({status})", status >= 400 and "not accepted here" in body)

        # Both, in Chromium through the hosted pages, with openid-client as the app.
        app_port = free_port()
        browser_app = f"http://127.0.0.1:{app_port}"
        idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"IDPSignout": "true"})
        browser_client = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="browser-app", SupportedIdentityProviders=["COGNITO", "Corp"], CallbackURLs=[f"{browser_app}/callback"],
            LogoutURLs=[f"{browser_app}/signed-out"],
            AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True,
        )["UserPoolClient"]["ClientId"]
        IdpPages.user, IdpPages.attributes = "frank", {EMAIL_ATTRIBUTE: ["frank@corp.test"]}
        relay = urllib.parse.urlencode({"client_id": browser_client, "redirect_uri": f"{browser_app}/callback",
                                        "response_type": "code", "scope": "openid email"})
        screenshots = os.path.join(ROOT, "target", "test-artifacts", "saml")
        os.makedirs(screenshots, exist_ok=True)
        node_checks("saml_browser.mjs", {
            "issuer": f"{endpoint}/{pool_id}", "client_id": browser_client, "app": browser_app, "app_port": app_port,
            "user": "frank", "idp_user": "grace", "screenshots": screenshots,
            "idp_initiated": f"{idp_url}/idp-initiated?" + urllib.parse.urlencode({"user": "grace", "relay": relay}),
            "idp_logout": f"{idp_url}/idp-logout?" + urllib.parse.urlencode({"user": "frank", "relay": "portal-frank"}),
        })
        signed_out = [entry for entry in IdpPages.logouts if entry[0] == "frank"]
        check("the IdP got frank's signed LogoutRequest with the SessionIndex of his sign-in",
              len(signed_out) == 1 and signed_out[0][2] and len(signed_out[0][1]) == 1)
        answered = [entry for entry in IdpPages.answers if entry[3] == "portal-frank"]
        check("the pool answered the IdP's own LogoutRequest for frank with a signed Success",
              len(answered) == 1 and answered[0][0] == [SUCCESS] and answered[0][2])
        single_logout(idp, endpoint, pool_id, browser_client, browser_app)
    finally:
        pages.shutdown()


SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
UNKNOWN_PRINCIPAL = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"


def signed_in_browser(endpoint, pool_id, client_id, app, user):
    """A browser of cookies signed in as Corp_<user> through the IdP: its `go(url, data)` (one
    request, redirects not followed) and the app's tokens."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(NoRedirects, urllib.request.HTTPCookieProcessor(jar))

    def go(url, data=None):
        try:
            with opener.open(urllib.request.Request(url, data=data), timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("location") or error.read().decode()

    IdpPages.user = user
    IdpPages.attributes = {EMAIL_ATTRIBUTE: [f"{user}@corp.test"], "groups": ["staff", "admins"]}
    query = urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": f"{app}/callback",
                                    "identity_provider": "Corp", "scope": "openid email"})
    _, location = go(f"{endpoint}/{pool_id}/oauth2/authorize?{query}")
    _, page = go(location)
    action, fields = form_fields(page)
    _, location = go(action, urllib.parse.urlencode(fields).encode())
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    status, body = fetch(f"{endpoint}/{pool_id}/oauth2/token", urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "client_id": client_id, "redirect_uri": f"{app}/callback"}).encode())
    return go, json.loads(body)


def single_logout(idp, endpoint, pool_id, client_id, app):
    """Single logout beyond the browser's: the IdP answering the pool's LogoutRequest by
    HTTP-Redirect; LogoutRequests the IdP starts, by HTTP-Redirect and HTTP-POST, with the
    session they name, an older one, a user the pool does not know, and refused ones; and a
    multi-valued attribute mapped as Cognito writes it."""
    logout_url = f"{endpoint}/{pool_id}/saml2/logout"

    def refreshed(tokens):
        status, _ = fetch(f"{endpoint}/{pool_id}/oauth2/token", urllib.parse.urlencode({
            "grant_type": "refresh_token", "client_id": client_id, "refresh_token": tokens["refresh_token"]}).encode())
        return status == 200

    idp.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[{"Name": "groups", "AttributeDataType": "String"}])
    idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", AttributeMapping={"email": EMAIL_ATTRIBUTE, "custom:groups": "groups"})
    go, tokens = signed_in_browser(endpoint, pool_id, client_id, app, "olga")
    attributes = {entry["Name"]: entry["Value"] for entry in idp.admin_get_user(UserPoolId=pool_id, Username="Corp_olga")["UserAttributes"]}
    check(f"a SAML attribute of two values maps as '[staff, admins]' ({attributes.get('custom:groups')!r})",
          attributes.get("custom:groups") == "[staff, admins]")

    IdpPages.logout_binding = BINDING_HTTP_REDIRECT
    try:
        _, location = go(f"{endpoint}/{pool_id}/logout?" + urllib.parse.urlencode({"client_id": client_id, "logout_uri": f"{app}/signed-out"}))
        _, location = go(location)
        check("the IdP can answer the pool's LogoutRequest by HTTP-Redirect, signed",
              location.startswith(logout_url + "?SAMLResponse=") and "&Signature=" in location)
        answer = location
        status, location = go(answer)
        check(f"that answer sends the browser on to the app's sign-out URL ({status})", status == 302 and location == f"{app}/signed-out")
        status, body = go(answer)
        check(f"the same answer again is refused ({status})", status >= 400 and "unknown or expired" in body)
    finally:
        IdpPages.logout_binding = BINDING_HTTP_POST

    go, tokens = signed_in_browser(endpoint, pool_id, client_id, app, "peggy")
    request_id, url = idp_logout_request("peggy", BINDING_HTTP_REDIRECT, ["_an-older-session"], "portal")
    status, location = go(url)
    fetch(location)
    check(f"the IdP's LogoutRequest for an older session (HTTP-Redirect) is answered Success and ends nothing ({status})",
          status == 302 and location.split("?")[0].endswith("/slo") and IdpPages.answers[-1][:2] == ([SUCCESS], request_id)
          and IdpPages.answers[-1][2] and IdpPages.answers[-1][3] == "portal" and refreshed(tokens))
    status, body = go(url)
    check(f"the same LogoutRequest again is refused ({status})", status >= 400 and "already been used" in body)
    _, url = idp_logout_request("peggy", BINDING_HTTP_REDIRECT, [], "portal")
    status, body = go(url.replace("RelayState=portal", "RelayState=portaX"))
    check(f"a LogoutRequest whose query was changed is refused ({status})", status >= 400 and "does not verify" in body)
    _, url = idp_logout_request("peggy", BINDING_HTTP_REDIRECT, [], "portal", sign=False)
    status, body = go(url)
    check(f"an unsigned LogoutRequest is refused ({status})", status >= 400 and "not signed" in body)
    _, fields = idp_logout_request("peggy", BINDING_HTTP_POST, [], "portal", sign=False)
    status, body = fetch(logout_url, urllib.parse.urlencode(fields).encode())
    check(f"an unsigned LogoutRequest posted is refused ({status})", status >= 400 and "not signed" in body)
    idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"IDPSignout": "false"})
    _, url = idp_logout_request("peggy", BINDING_HTTP_REDIRECT, [], "portal")
    status, body = go(url)
    idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"IDPSignout": "true"})
    check(f"a LogoutRequest from a provider without IDPSignout is refused ({status})", status >= 400 and "IDPSignout" in body)
    check("none of the refused requests signed peggy out", refreshed(tokens))

    # HTTP-POST from the IdP's page: a cross-site form post carries none of the pool's cookies.
    request_id, fields = idp_logout_request("peggy", BINDING_HTTP_POST, [IdpPages.sessions["peggy"]], "portal-post")
    status, location = fetch(logout_url, urllib.parse.urlencode(fields).encode())
    fetch(location)
    check(f"the IdP's signed LogoutRequest for peggy's session (HTTP-POST) is answered with a signed Success ({status})",
          status == 302 and IdpPages.answers[-1] == ([SUCCESS], request_id, True, "portal-post"))
    check("after it, peggy's refresh token is refused", not refreshed(tokens))
    authorize = f"{endpoint}/{pool_id}/oauth2/authorize?" + urllib.parse.urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": f"{app}/callback", "scope": "openid email"})
    status, location = go(authorize)
    check(f"and her browser's hosted session is over: authorize sends it to the sign-in page again ({status})",
          status == 302 and "/login?" in location)

    request_id, url = idp_logout_request("nobody", BINDING_HTTP_REDIRECT, [], "portal")
    status, location = go(url)
    fetch(location)
    check("a LogoutRequest for a NameID the pool has not signed in is answered Requester/UnknownPrincipal",
          status == 302 and IdpPages.answers[-1][:3] == ([REQUESTER, UNKNOWN_PRINCIPAL], request_id, True))


def main():
    binary = build_binary()
    work = tempfile.mkdtemp(prefix="cognate-saml-")
    port = free_port()
    server, _, key_id, secret = start_server(binary, os.path.join(work, "data"), port)
    endpoint = f"http://127.0.0.1:{port}"

    def client(service, **credentials):
        credentials = credentials or {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=CONFIG, **credentials)

    try:
        iam, sts = client("iam"), client("sts")
        key, cert = certificate(work, "idp")
        idp = identity_provider(work, key, cert)
        metadata = str(entity_descriptor(idp.config))

        # IAM SAML providers.
        provider_arn = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name="Corp",
                                                Tags=[{"Key": "team", "Value": "identity"}])["SAMLProviderArn"]
        check("CreateSAMLProvider answers the provider's ARN", provider_arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/Corp")
        got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
        check("GetSAMLProvider answers the metadata, dates and tags",
              got["SAMLMetadataDocument"] == metadata and got["ValidUntil"] > got["CreateDate"]
              and got["Tags"] == [{"Key": "team", "Value": "identity"}])
        listed = iam.list_saml_providers()["SAMLProviderList"]
        check("ListSAMLProviders lists it", [entry["Arn"] for entry in listed] == [provider_arn])
        iam.tag_saml_provider(SAMLProviderArn=provider_arn, Tags=[{"Key": "owner", "Value": "it"}, {"Key": "tier", "Value": "gold"}])
        iam.untag_saml_provider(SAMLProviderArn=provider_arn, TagKeys=["tier"])
        check("TagSAMLProvider and UntagSAMLProvider change what ListSAMLProviderTags answers",
              sorted((tag["Key"], tag["Value"]) for tag in iam.list_saml_provider_tags(SAMLProviderArn=provider_arn)["Tags"])
              == [("owner", "it"), ("team", "identity")])
        code, _ = error_code(lambda: iam.list_saml_provider_tags(SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/Nope"))
        check(f"the tags of a provider that does not exist are NoSuchEntity ({code})", code == "NoSuchEntity")
        code, _ = error_code(lambda: iam.create_saml_provider(SAMLMetadataDocument=metadata, Name="Corp"))
        check(f"a second provider of the same name is refused ({code})", code == "EntityAlreadyExists")
        junk = "<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'/>" + " " * 1000
        code, _ = error_code(lambda: iam.create_saml_provider(SAMLMetadataDocument=junk, Name="Junk"))
        check(f"metadata without an identity provider is refused, as IAM's model names it ({code})", code == "InvalidInput")
        check("UpdateSAMLProvider takes new metadata",
              iam.update_saml_provider(SAMLMetadataDocument=metadata, SAMLProviderArn=provider_arn)["SAMLProviderArn"] == provider_arn)
        spare = iam.create_saml_provider(SAMLMetadataDocument=metadata, Name="Spare")["SAMLProviderArn"]
        iam.delete_saml_provider(SAMLProviderArn=spare)
        code, _ = error_code(lambda: iam.get_saml_provider(SAMLProviderArn=spare))
        check(f"a deleted provider is gone ({code})", code == "NoSuchEntity")

        # Roles the IdP's users may take.
        def saml_trust(condition):
            return json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithSAML", "Condition": condition}]})
        role_arn = iam.create_role(RoleName="saml-engineers",
                                   AssumeRolePolicyDocument=saml_trust({"StringEquals": {"SAML:aud": AWS_ACS}}))["Role"]["Arn"]
        bob_only = iam.create_role(RoleName="saml-bob-only",
                                   AssumeRolePolicyDocument=saml_trust({"StringEquals": {"SAML:sub": "bob"}}))["Role"]["Arn"]
        other_role = iam.create_role(RoleName="saml-unlisted",
                                     AssumeRolePolicyDocument=saml_trust({"StringEquals": {"SAML:aud": AWS_ACS}}))["Role"]["Arn"]
        attributes = {ROLE_ATTRIBUTE: [f"{role_arn},{provider_arn}", f"{provider_arn},{bob_only}"], SESSION_ATTRIBUTE: ["alice"]}

        def assume(xml, role=role_arn, principal=provider_arn, **extra):
            return sts.assume_role_with_saml(RoleArn=role, PrincipalArn=principal, SAMLAssertion=encoded(xml), **extra)

        def refused(xml, role=role_arn, because=""):
            """The error code of a refused assumption, or the message when it is not the reason given."""
            try:
                assume(xml, role=role)
            except ClientError as error:
                code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
                return code if because.lower() in message.lower() else f"{code}: {message}"
            return None

        # The assertion signed.
        answer = assume(saml_response(idp, attributes), DurationSeconds=900)
        credentials = answer["Credentials"]
        qualifier = base64.b64encode(hashlib.sha1(f"{IDP_ENTITY}{ACCOUNT}/Corp".encode()).digest()).decode()
        check("AssumeRoleWithSAML answers credentials for the role and session named in the assertion",
              answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/saml-engineers/alice"
              and credentials["AccessKeyId"].startswith("ASIA"))
        check("it answers Subject, SubjectType, Issuer, Audience and NameQualifier as STS does",
              (answer["Subject"], answer["SubjectType"], answer["Issuer"], answer["Audience"], answer["NameQualifier"])
              == ("alice", "persistent", IDP_ENTITY, AWS_ACS, qualifier))
        caller = client("sts", aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"]).get_caller_identity()
        check("GetCallerIdentity signed with them names the assumed role", caller["Arn"] == answer["AssumedRoleUser"]["Arn"])

        # The whole response signed instead.
        answer = assume(saml_response(idp, attributes, sign_assertion=False, sign_response=True))
        check("a response signed as a whole is accepted too", answer["Subject"] == "alice")

        # A second use of one assertion for the same role is a replay; another listed role may
        # still be taken with it only if its trust allows.
        once = saml_response(idp, attributes)
        assume(once)
        code = refused(once, because="already been used")
        check(f"the same assertion again for the same role is refused ({code})", code == "InvalidIdentityToken")
        code = refused(saml_response(idp, attributes), role=bob_only, because="Not authorized")
        check(f"a role whose trust requires SAML:sub bob is refused to alice ({code})", code == "AccessDenied")
        bob = saml_response(idp, {ROLE_ATTRIBUTE: [f"{bob_only},{provider_arn}"], SESSION_ATTRIBUTE: ["bob"]}, name="bob")
        check("and granted to bob", assume(bob, role=bob_only)["AssumedRoleUser"]["Arn"].endswith("/saml-bob-only/bob"))
        code = refused(saml_response(idp, attributes), role=other_role, because="Not authorized")
        check(f"a role the assertion does not list is refused ({code})", code == "AccessDenied")
        code = refused(saml_response(idp, {ROLE_ATTRIBUTE: [f"{role_arn},{provider_arn}"]}), because="RoleSessionName")
        check(f"an assertion without RoleSessionName is refused ({code})", code == "InvalidIdentityToken")

        # The attack corpus.
        signed = saml_response(idp, attributes)
        code = refused(signed.replace(">alice</", ">mallory</"), because="digest")
        check(f"a signed value changed after signing is refused ({code})", code == "InvalidIdentityToken")
        code = refused(saml_response(idp, attributes, sign_assertion=False, sign_response=False), because="not signed")
        check(f"an unsigned response is refused ({code})", code == "InvalidIdentityToken")
        beside, inside = wrapped(saml_response(idp, attributes), "mallory")
        code = refused(beside, because="one assertion")
        check(f"a forged assertion beside the signed one is refused ({code})", code == "InvalidIdentityToken")
        code = refused(inside, because="one assertion")
        check(f"a forged assertion wrapping the signed one is refused ({code})", code == "InvalidIdentityToken")
        beside, inside = wrapped(saml_response(idp, attributes, sign_assertion=False, sign_response=True), "mallory")
        code = refused(beside, because="one assertion")
        check(f"a forged assertion added to a signed response is refused ({code})", code == "InvalidIdentityToken")
        other_key, other_cert = certificate(work, "intruder")
        intruder = identity_provider(os.path.join(work), other_key, other_cert)
        code = refused(saml_response(intruder, attributes), because="does not verify")
        check(f"a response signed with a key not in the metadata is refused ({code})", code == "InvalidIdentityToken")
        code = refused(saml_response(idp, attributes, sha1=True), because="SHA1")
        check(f"an RSA-SHA1 signature is refused ({code})", code == "InvalidIdentityToken")
        code = refused(saml_response(idp, attributes, sp="https://wiki.corp.test/sp", acs="https://wiki.corp.test/acs"), because="not to this service")
        check(f"an assertion for another service provider is refused ({code})", code == "InvalidIdentityToken")
        expired = saml_response(identity_provider(work, key, cert, lifetime_seconds=-600), attributes)
        code = refused(expired, because="expired")
        check(f"an expired assertion is refused ({code})", code == "ExpiredTokenException")
        bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">&b;</samlp:Response>')
        code = refused(bomb, because="well-formed")
        check(f"a response with a DTD is refused ({code})", code == "InvalidIdentityToken")
        code = refused("not xml at all", because="well-formed")
        check(f"a response that is not XML is refused ({code})", code == "InvalidIdentityToken")
        # A comment inside a signed NameID does not change the signature (comments are not
        # signed) and must not change the name either.
        attacker = saml_response(idp, {ROLE_ATTRIBUTE: [f"{role_arn},{provider_arn}"], SESSION_ATTRIBUTE: ["mallory"]},
                                 name="alice@corp.test.evil.example")
        split = attacker.replace(">alice@corp.test.evil.example<", ">alice@corp.test<!---->.evil.example<")
        check("the attack text has the comment in the NameID", split != attacker)
        answer = assume(split)
        check("a NameID split by a comment reads whole", answer["Subject"] == "alice@corp.test.evil.example")
        health = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{endpoint}/health"], capture_output=True, text=True)
        check("the server is still serving", health.stdout == "200")
        code, _ = error_code(lambda: sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/Nope",
                                                                SAMLAssertion=encoded(saml_response(idp, attributes))))
        check(f"an unknown SAML provider is refused ({code})", code == "InvalidIdentityToken")
        iam_encrypted_assertions(iam, sts, work, idp, attributes, role_arn, provider_arn)
        sha1_when_allowed(binary, work, idp, metadata)
        identity_pools(client, iam, idp, provider_arn)
        user_pool_sign_in(client, work, key, cert, endpoint)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"saml flows: {Results.passed} passed, {Results.failed} failed")
    return 1 if Results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
