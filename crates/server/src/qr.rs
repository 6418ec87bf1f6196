//! QR codes of `otpauth://` URIs for authenticator apps: as inline SVG for the hosted MFA page,
//! and as a PNG for IAM's CreateVirtualMFADevice (`QRCodePNG`). The PNG is one-bit greyscale,
//! four pixels a module with the four-module quiet zone, its image data in stored (uncompressed)
//! deflate blocks: a few kilobytes, readable by any PNG decoder, no compression library needed.

/// An SVG QR code of `text`, or nothing when the text is too long for a QR code.
pub fn svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

/// What RFC 3986 leaves unencoded in a path: letters, digits, `-`, `.`, `_`, `~`.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `otpauth://totp/<name>@<account>?secret=<base32 seed>`, the URI an authenticator app scans.
pub fn otpauth_uri(name: &str, account: &str, seed: &str) -> String {
    let part = |text: &str| percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string();
    format!("otpauth://totp/{}@{}?secret={seed}", part(name), part(account))
}

const SCALE: usize = 4;
const QUIET: usize = 4;

/// A PNG QR code of `text`, or None when the text is too long for a QR code.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width();
    let dark: Vec<bool> = code.to_colors().into_iter().map(|color| color == qrcode::Color::Dark).collect();
    let side = (modules + 2 * QUIET) * SCALE;
    let row_bytes = side.div_ceil(8);
    // Each row: filter type 0, then the pixels, most significant bit first; 1 is white.
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    for y in 0..side {
        raw.push(0);
        let module_y = (y / SCALE).checked_sub(QUIET).filter(|&row| row < modules);
        let mut row = vec![0xffu8; row_bytes];
        for x in 0..side {
            let module_x = (x / SCALE).checked_sub(QUIET).filter(|&column| column < modules);
            if let (Some(column), Some(line)) = (module_x, module_y) {
                if dark[line * modules + column] {
                    row[x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(side as u32).to_be_bytes());
    header.extend_from_slice(&(side as u32).to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]); // bit depth 1, greyscale, deflate, filter 0, no interlace
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    Some(png)
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of `data` in stored deflate blocks (RFC 1950, RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let length = block.len() as u16;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_their_check_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let stream = zlib_stored(b"Wikipedia");
        assert_eq!(&stream[stream.len() - 4..], &0x11e6_0398u32.to_be_bytes());
    }

    #[test]
    fn a_png_has_its_signature_header_and_end() {
        let png = png("otpauth://totp/phone@000000000000?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(side % SCALE as u32, 0);
        assert!(side as usize >= (21 + 2 * QUIET) * SCALE);
    }
}
