// Reads the QR code of CreateVirtualMFADevice's QRCodePNG with libraries no one here wrote:
// pngjs decodes the PNG, jsQR finds and reads the code. Prints "ok …" / "FAIL …" lines.
//
// usage: node qr_read.mjs '{"png": "<base64>", "expected": "otpauth://…"}'

import { PNG } from "pngjs";
import jsQR from "jsqr";
import { check, finish } from "./checks.mjs";

const settings = JSON.parse(process.argv[2]);
const image = PNG.sync.read(Buffer.from(settings.png, "base64"));
check(`QRCodePNG is a PNG that pngjs decodes (${image.width}x${image.height})`, image.width > 0 && image.width === image.height);
const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
check(`jsQR reads the otpauth URI an authenticator app scans (${code?.data})`, code?.data === settings.expected);
finish("qr");
