//! The code a custom sender is given, encrypted as Cognito encrypts it: a message of the AWS
//! Encryption SDK's format 2.0 under algorithm suite 0x0478 (AES-256-GCM, HKDF-SHA512, key
//! commitment, no signature), whose one data key comes from the key service (KMS
//! GenerateDataKey) under the pool's `KMSKeyID` and is kept in the message as the `aws-kms`
//! provider keeps it (provider information: the key's ARN). A sender decrypts it with the
//! Encryption SDK and a KMS keyring, under either commitment policy, as Cognito's documentation
//! writes such a function. The encryption context, `userpool-id`, is given to KMS too, so a key
//! policy can limit which pool's codes a function may decrypt.

use std::collections::BTreeMap;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::hkdf::{KeyType, Salt, HKDF_SHA512};

use crate::user_pool::channels::DataKey;

/// The algorithm suite: AES-256-GCM, HKDF-SHA512 with the message ID as salt, a commitment key.
const SUITE: u16 = 0x0478;
/// Plaintext bytes a regular frame holds.
const FRAME_LENGTH: usize = 4096;
const PROVIDER_ID: &str = "aws-kms";
/// The field of the encryption context that names the pool.
pub(crate) const POOL_CONTEXT_KEY: &str = "userpool-id";

struct Length(usize);

impl KeyType for Length {
    fn len(&self) -> usize {
        self.0
    }
}

/// Appends `bytes` with their length as a big-endian u16.
fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The encryption context as the message keeps it: the count of pairs, then each key and value
/// with its length, in the order of the keys' bytes; nothing for an empty context.
fn serialized_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    if context.is_empty() {
        return Vec::new();
    }
    let mut out = (context.len() as u16).to_be_bytes().to_vec();
    for (key, value) in context {
        put_short(&mut out, key.as_bytes());
        put_short(&mut out, value.as_bytes());
    }
    out
}

/// A frame's additional authenticated data: message ID, kind, sequence number, content length.
fn frame_aad(message_id: &[u8], final_frame: bool, sequence: u32, length: usize) -> Vec<u8> {
    let mut aad = message_id.to_vec();
    aad.extend_from_slice(if final_frame { b"AWSKMSEncryptionClient Final Frame".as_slice() } else { b"AWSKMSEncryptionClient Frame" });
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&(length as u64).to_be_bytes());
    aad
}

/// A frame's IV: its sequence number, padded to 12 bytes.
fn frame_iv(sequence: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[8..].copy_from_slice(&sequence.to_be_bytes());
    iv
}

/// A frame's content encrypted, followed by its tag.
fn sealed_frame(cipher: &LessSafeKey, message_id: &[u8], final_frame: bool, sequence: u32, plaintext: &[u8]) -> Vec<u8> {
    let mut content = plaintext.to_vec();
    let aad = frame_aad(message_id, final_frame, sequence, plaintext.len());
    cipher
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(frame_iv(sequence)), Aad::from(aad), &mut content)
        .expect("AES-GCM encryption does not fail for in-memory buffers");
    content
}

/// The encryption key and the commitment key derived from the data key for `message_id`.
fn derived_keys(data_key: &[u8; 32], message_id: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let pseudorandom = Salt::new(HKDF_SHA512, message_id).extract(data_key);
    let mut encryption = [0u8; 32];
    let mut commitment = [0u8; 32];
    let suite = SUITE.to_be_bytes();
    pseudorandom.expand(&[&suite, b"DERIVEKEY"], Length(32)).and_then(|okm| okm.fill(&mut encryption)).expect("32 bytes of HKDF-SHA512");
    pseudorandom.expand(&[b"COMMITKEY"], Length(32)).and_then(|okm| okm.fill(&mut commitment)).expect("32 bytes of HKDF-SHA512");
    (encryption, commitment)
}

/// `plaintext` as a message of the Encryption SDK under `data_key`, bound to `context`.
pub(crate) fn encrypt(data_key: &DataKey, context: &BTreeMap<String, String>, plaintext: &[u8]) -> Vec<u8> {
    encrypt_with_id(data_key, context, plaintext, crate::crypto::random_bytes())
}

fn encrypt_with_id(data_key: &DataKey, context: &BTreeMap<String, String>, plaintext: &[u8], message_id: [u8; 32]) -> Vec<u8> {
    let (encryption_key, commitment_key) = derived_keys(&data_key.plaintext, &message_id);
    let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &encryption_key).expect("a 32-byte key"));
    let mut out = vec![0x02];
    out.extend_from_slice(&SUITE.to_be_bytes());
    out.extend_from_slice(&message_id);
    put_short(&mut out, &serialized_context(context));
    out.extend_from_slice(&1u16.to_be_bytes());
    put_short(&mut out, PROVIDER_ID.as_bytes());
    put_short(&mut out, data_key.key_arn.as_bytes());
    put_short(&mut out, &data_key.encrypted);
    out.push(0x02);
    out.extend_from_slice(&(FRAME_LENGTH as u32).to_be_bytes());
    out.extend_from_slice(&commitment_key);
    // The header's tag: the header body as AAD, IV zero, nothing encrypted.
    let tag = cipher
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key([0; 12]), Aad::from(out.as_slice()), &mut [])
        .expect("AES-GCM encryption does not fail for in-memory buffers");
    out.extend_from_slice(tag.as_ref());
    // Full regular frames, then a final frame with the rest (1 to FRAME_LENGTH bytes; none for
    // an empty plaintext).
    let regular = if plaintext.is_empty() { 0 } else { (plaintext.len() - 1) / FRAME_LENGTH };
    let mut sequence = 1u32;
    for chunk in plaintext[..regular * FRAME_LENGTH].chunks(FRAME_LENGTH) {
        out.extend_from_slice(&sequence.to_be_bytes());
        out.extend_from_slice(&frame_iv(sequence));
        out.extend_from_slice(&sealed_frame(&cipher, &message_id, false, sequence, chunk));
        sequence += 1;
    }
    let rest = &plaintext[regular * FRAME_LENGTH..];
    out.extend_from_slice(&u32::MAX.to_be_bytes());
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&frame_iv(sequence));
    out.extend_from_slice(&(rest.len() as u32).to_be_bytes());
    out.extend_from_slice(&sealed_frame(&cipher, &message_id, true, sequence, rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a message back as a decrypting SDK does, step by step: the header's fields, the
    /// commitment key, the header's tag, then the frames.
    fn decrypt(message: &[u8], data_key: &[u8; 32]) -> (BTreeMap<String, String>, Vec<u8>) {
        let mut at = 0;
        let mut take = |count: usize| {
            let slice = &message[at..at + count];
            at += count;
            slice
        };
        assert_eq!(take(1), [2]);
        assert_eq!(take(2), SUITE.to_be_bytes());
        let message_id: [u8; 32] = take(32).try_into().unwrap();
        let context_length = u16::from_be_bytes(take(2).try_into().unwrap()) as usize;
        let context_bytes = take(context_length).to_vec();
        let mut context = BTreeMap::new();
        if !context_bytes.is_empty() {
            let pairs = u16::from_be_bytes([context_bytes[0], context_bytes[1]]);
            let mut inner = 2;
            let mut field = || {
                let length = u16::from_be_bytes([context_bytes[inner], context_bytes[inner + 1]]) as usize;
                let text = String::from_utf8(context_bytes[inner + 2..inner + 2 + length].to_vec()).unwrap();
                inner += 2 + length;
                text
            };
            for _ in 0..pairs {
                let key = field();
                context.insert(key, field());
            }
            assert_eq!(inner, context_bytes.len());
        }
        assert_eq!(u16::from_be_bytes(take(2).try_into().unwrap()), 1);
        for expected in [Some(PROVIDER_ID.as_bytes()), None, None] {
            let length = u16::from_be_bytes(take(2).try_into().unwrap()) as usize;
            let field = take(length);
            if let Some(expected) = expected {
                assert_eq!(field, expected);
            }
        }
        assert_eq!(take(1), [2]);
        assert_eq!(u32::from_be_bytes(take(4).try_into().unwrap()) as usize, FRAME_LENGTH);
        let (encryption_key, commitment_key) = derived_keys(data_key, &message_id);
        assert_eq!(take(32), commitment_key);
        let header_end = at;
        let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &encryption_key).unwrap());
        let mut tag = message[at..at + 16].to_vec();
        at += 16;
        cipher.open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::from(&message[..header_end]), &mut tag).expect("the header's tag");
        let mut plaintext = Vec::new();
        let mut sequence = 1u32;
        loop {
            let marker = u32::from_be_bytes(message[at..at + 4].try_into().unwrap());
            let final_frame = marker == u32::MAX;
            if final_frame {
                at += 4;
            }
            assert_eq!(u32::from_be_bytes(message[at..at + 4].try_into().unwrap()), sequence);
            assert_eq!(message[at + 4..at + 16], frame_iv(sequence));
            at += 16;
            let length = if final_frame {
                at += 4;
                u32::from_be_bytes(message[at - 4..at].try_into().unwrap()) as usize
            } else {
                FRAME_LENGTH
            };
            let mut content = message[at..at + length + 16].to_vec();
            at += length + 16;
            let opened = cipher
                .open_in_place(Nonce::assume_unique_for_key(frame_iv(sequence)), Aad::from(frame_aad(&message_id, final_frame, sequence, length)), &mut content)
                .expect("the frame's tag");
            plaintext.extend_from_slice(opened);
            if final_frame {
                assert_eq!(at, message.len(), "nothing follows the final frame of an unsigned suite");
                return (context, plaintext);
            }
            sequence += 1;
        }
    }

    fn data_key() -> DataKey {
        DataKey { plaintext: [7; 32], encrypted: vec![1, 2, 3], key_arn: "arn:aws:kms:us-east-1:123456789012:key/k".into() }
    }

    #[test]
    fn a_code_reads_back_with_its_context() {
        let context = BTreeMap::from([(POOL_CONTEXT_KEY.to_string(), "us-east-1_abc".to_string())]);
        let message = encrypt(&data_key(), &context, b"123456");
        assert_eq!(decrypt(&message, &[7; 32]), (context, b"123456".to_vec()));
    }

    #[test]
    fn long_plaintexts_span_frames_and_an_exact_multiple_ends_in_a_full_final_frame() {
        for length in [0, 1, FRAME_LENGTH - 1, FRAME_LENGTH, FRAME_LENGTH + 1, 3 * FRAME_LENGTH] {
            let plaintext: Vec<u8> = (0..length).map(|index| index as u8).collect();
            let message = encrypt(&data_key(), &BTreeMap::new(), &plaintext);
            assert_eq!(decrypt(&message, &[7; 32]).1, plaintext, "length {length}");
        }
    }

    #[test]
    fn another_data_key_does_not_open_the_header() {
        let message = encrypt(&data_key(), &BTreeMap::new(), b"123456");
        assert!(std::panic::catch_unwind(|| decrypt(&message, &[8; 32])).is_err());
    }

    #[test]
    fn the_header_is_laid_out_as_the_format_says() {
        let message = encrypt_with_id(&data_key(), &BTreeMap::from([("a".to_string(), "b".to_string())]), b"1", [9; 32]);
        let mut expected = vec![0x02, 0x04, 0x78];
        expected.extend_from_slice(&[9; 32]);
        expected.extend_from_slice(&[0, 8, 0, 1, 0, 1, b'a', 0, 1, b'b']);
        expected.extend_from_slice(&[0, 1, 0, 7]);
        expected.extend_from_slice(b"aws-kms");
        expected.extend_from_slice(&[0, 40]);
        expected.extend_from_slice(b"arn:aws:kms:us-east-1:123456789012:key/k");
        expected.extend_from_slice(&[0, 3, 1, 2, 3, 0x02, 0, 0, 0x10, 0]);
        assert_eq!(message[..expected.len()], expected);
    }
}
