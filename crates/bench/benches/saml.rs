//! SAML responses verified per second: a pysaml2 identity provider's response for AWS's sign-in,
//! its assertion signed with a 2048-bit RSA key (`crates/domain/src/saml/testdata`), decoded,
//! parsed, canonicalised, digested, its signature verified and its conditions read, as
//! AssumeRoleWithSAML and the user pools' ACS do; beside it, in the same run, the raw cost of
//! one RS256 verification with a 2048-bit key, the floor of any signed response.
//!
//! `cargo bench -p cognate-bench --bench saml`

use base64::Engine as _;
use cognate_domain::saml::{verify_response, Expectation, IdpMetadata, Solicitation};
use criterion::Criterion;

const METADATA: &str = include_str!("../../domain/src/saml/testdata/idp_metadata.xml");
const RESPONSE: &str = include_str!("../../domain/src/saml/testdata/response_signed_assertion.xml");

fn saml(criterion: &mut Criterion) {
    let metadata = IdpMetadata::parse(METADATA).expect("the fixture's metadata");
    let encoded = base64::engine::general_purpose::STANDARD.encode(RESPONSE);
    let start = RESPONSE.find("IssueInstant=\"").expect("an IssueInstant") + "IssueInstant=\"".len();
    let issued = cognate_domain::clock::parse_iso8601(&RESPONSE[start..start + 20]).expect("a date");
    let recipients = ["https://signin.aws.amazon.com/saml".to_string()];
    let audiences = ["urn:amazon:webservices".to_string()];
    let expect = Expectation { metadata: &metadata, recipients: &recipients, audiences: &audiences, in_response_to: Solicitation::Any, now_ms: issued * 1000 + 60_000, allow_sha1: false, decryption: None };
    verify_response(&encoded, &expect).expect("the fixture verifies");
    criterion.bench_function("saml_response_verify", |bencher| bencher.iter(|| verify_response(&encoded, &expect).unwrap()));

    use aws_lc_rs::signature::KeyPair;
    let (key, _) = cognate_domain::crypto::new_rsa_key().expect("a key");
    let public = key.public_key().as_ref().to_vec();
    let input = RESPONSE.as_bytes();
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), input, &mut signature).expect("signed");
    criterion.bench_function("rs256_verify_raw", |bencher| {
        bencher.iter(|| aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, &public).verify(input, &signature).unwrap())
    });
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    saml(&mut criterion);
    criterion.final_summary();
}
