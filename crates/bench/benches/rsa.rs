//! RS256 as the token paths need it, by the two well-kept implementations side by side in one
//! run: aws-lc-rs (AWS-LC, what cognate signs and verifies with, and rustls's preferred provider)
//! and ring (which cognate used before: this benchmark is why it changed). The same 2048-bit key,
//! the same signing input (a real access token's header and claims), signatures and
//! verifications per second of each.
//!
//! `cargo bench -p cognate-bench --features ring --bench rsa`

use criterion::Criterion;

fn side_by_side(criterion: &mut Criterion) {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let generated = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("a key");
    let pkcs8: Pkcs8V1Der = generated.as_der().expect("its PKCS#8");
    let ring_key = ring::signature::RsaKeyPair::from_pkcs8(pkcs8.as_ref()).expect("ring loads it");
    let lc_key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(pkcs8.as_ref()).expect("aws-lc-rs loads it");
    let input = concat!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0.",
        "eyJzdWIiOiI2ZjJhMWM0ZS0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDAiLCJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjkyMjkvdXMtZWFzdC0xX2JlbmNoIiwidG9rZW5fdXNlIjoiYWNjZXNzIn0"
    )
    .as_bytes();
    let ring_random = ring::rand::SystemRandom::new();
    let lc_random = aws_lc_rs::rand::SystemRandom::new();
    let mut signature = vec![0u8; ring_key.public().modulus_len()];
    criterion.bench_function("rs256_sign/ring", |bencher| {
        bencher.iter(|| ring_key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring_random, input, &mut signature).unwrap())
    });
    criterion.bench_function("rs256_sign/aws-lc-rs", |bencher| {
        bencher.iter(|| lc_key.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &lc_random, input, &mut signature).unwrap())
    });
    use ring::signature::KeyPair;
    let public = ring_key.public_key().as_ref().to_vec();
    ring_key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring_random, input, &mut signature).unwrap();
    criterion.bench_function("rs256_verify/ring", |bencher| {
        bencher.iter(|| ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &public).verify(input, &signature).unwrap())
    });
    criterion.bench_function("rs256_verify/aws-lc-rs", |bencher| {
        bencher.iter(|| aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, &public).verify(input, &signature).unwrap())
    });
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    side_by_side(&mut criterion);
    criterion.final_summary();
}
