"""Writes the SAML fixtures of the verifier's unit tests and of the `saml` benchmark: a pysaml2
identity provider's metadata, two of its responses for AWS's sign-in (the assertion signed, and
the response signed), valid for ten years from the moment they are made, and its signed
LogoutResponse to the LogoutRequest `_logout-request-1` and its own signed LogoutRequest
`_idp-logout-1` (for alice, SessionIndex `_session-1`). Needs pysaml2,
xmlsec1 and openssl. Run from this directory: python3 make_fixtures.py"""

import base64
import shutil
import subprocess

from saml2 import BINDING_HTTP_REDIRECT, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import logout_request_from_string
from saml2.server import Server

SP = """<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:amazon:webservices">
<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.corp.test/saml2/logout"/>
<AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signin.aws.amazon.com/saml"/>
</SPSSODescriptor></EntityDescriptor>"""

subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "/tmp/fixture-idp.key", "-out", "/tmp/fixture-idp.crt",
                "-days", "3650", "-subj", "/CN=idp.corp.test"], check=True, capture_output=True)
with open("/tmp/fixture-sp.xml", "w") as out:
    out.write(SP)
config = IdPConfig()
config.load({
    "entityid": "https://idp.corp.test/saml", "key_file": "/tmp/fixture-idp.key", "cert_file": "/tmp/fixture-idp.crt",
    "xmlsec_binary": shutil.which("xmlsec1"),
    "service": {"idp": {"endpoints": {"single_sign_on_service": [("https://idp.corp.test/sso", BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "policy": {"default": {"lifetime": {"days": 3650}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}}}},
    "metadata": {"local": ["/tmp/fixture-sp.xml"]},
})
idp = Server(config=config)
with open("idp_metadata.xml", "w") as out:
    out.write(str(entity_descriptor(config)))
attributes = {"https://aws.amazon.com/SAML/Attributes/Role": ["arn:aws:iam::000000000000:role/saml-engineers,arn:aws:iam::000000000000:saml-provider/Corp"],
              "https://aws.amazon.com/SAML/Attributes/RoleSessionName": ["alice"]}
for name, assertion, response in [("response_signed_assertion", True, False), ("response_signed_response", False, True)]:
    xml = idp.create_authn_response(attributes, None, "https://signin.aws.amazon.com/saml", "urn:amazon:webservices",
                                    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="alice@corp.test.evil.example"),
                                    authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                                    sign_assertion=assertion, sign_response=response,
                                    sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
    with open(f"{name}.xml", "w") as out:
        out.write(str(xml))

request = logout_request_from_string(
    '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
    'ID="_logout-request-1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="https://idp.corp.test/slo">'
    '<saml:Issuer>urn:amazon:webservices</saml:Issuer><saml:NameID>alice</saml:NameID></samlp:LogoutRequest>')
response = idp.create_logout_response(request, ["urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"], sign=True,
                                      sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
with open("logout_response.xml", "w") as out:
    out.write(str(response))

request = idp.create_logout_request("https://sp.corp.test/saml2/logout", "urn:amazon:webservices",
                                    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="alice"), session_indexes=["_session-1"],
                                    sign=True, message_id="_idp-logout-1", sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
with open("logout_request.xml", "w") as out:
    out.write(str(request[1] if isinstance(request, tuple) else request))
