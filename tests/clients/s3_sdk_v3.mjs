// @aws-sdk/client-s3 (v3) through cognate's SigV4 gateway with an identity's temporary
// credentials, as a JavaScript app does it: its default checksums make streamed uploads
// aws-chunked with a trailing CRC32 (STREAMING-UNSIGNED-PAYLOAD-TRAILER); a plain PutObject, a
// streamed one, a multipart upload of streamed parts, reads back with checksum validation, a
// listing of its own prefix, and refusals elsewhere.
// Usage: node s3_sdk_v3.mjs <gateway URL> <bucket> <identity id> <other identity id> <credentials JSON>
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import {
  S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, CreateMultipartUploadCommand,
  UploadPartCommand, CompleteMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { check, finish } from './checks.mjs';

const [endpoint, bucket, identityId, otherId, credentialsJson] = process.argv.slice(2);
const credentials = JSON.parse(credentialsJson);
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  maxAttempts: 1,
  credentials: { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretKey, sessionToken: credentials.SessionToken },
});
const own = `private/${identityId}`;

async function text(body) {
  return Buffer.from(await body.transformToByteArray());
}

async function refused(command) {
  try {
    await s3.send(command);
    return 'allowed';
  } catch (error) {
    return `${error.name} ${error.$metadata?.httpStatusCode}`;
  }
}

function stream(bytes, pieces = 7) {
  const size = Math.ceil(bytes.length / pieces);
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  })());
}

const small = Buffer.from('hello from the JavaScript SDK');
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${own}/js.txt`, Body: small, ContentType: 'text/plain' }));
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${own}/js.txt`, ChecksumMode: 'ENABLED' }));
check('PutObject with the default checksum, read back with ChecksumMode ENABLED', (await text(got.Body)).equals(small));

const streamed = Buffer.alloc(300 * 1024, 'x');
for (let index = 0; index < streamed.length; index += 97) streamed[index] = index % 251;
const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${own}/streamed.bin`, Body: stream(streamed), ContentLength: streamed.length }));
const back = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${own}/streamed.bin` }))).Body);
check(`a streamed PutObject (aws-chunked, trailing checksum) is stored whole (${put.$metadata.httpStatusCode})`,
  createHash('sha256').update(back).digest('hex') === createHash('sha256').update(streamed).digest('hex'));

const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${own}/parts.bin`, ChecksumAlgorithm: 'CRC32' }));
const partSize = 5 * 1024 * 1024;
const whole = Buffer.alloc(2 * partSize + 1234);
for (let index = 0; index < whole.length; index += 4096) whole[index] = (index / 4096) % 256;
const parts = [];
for (let number = 1, at = 0; at < whole.length; number += 1, at += partSize) {
  const piece = whole.subarray(at, Math.min(at + partSize, whole.length));
  const answer = await s3.send(new UploadPartCommand({
    Bucket: bucket, Key: `${own}/parts.bin`, UploadId, PartNumber: number, Body: stream(piece, 3), ContentLength: piece.length, ChecksumAlgorithm: 'CRC32',
  }));
  parts.push({ PartNumber: number, ETag: answer.ETag, ChecksumCRC32: answer.ChecksumCRC32 });
}
await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: `${own}/parts.bin`, UploadId, MultipartUpload: { Parts: parts } }));
const joined = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${own}/parts.bin` }))).Body);
check(`a multipart upload of ${parts.length} streamed parts comes back identical`, joined.equals(whole));

const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${own}/` }));
check('ListObjectsV2 of its own prefix', (listed.Contents ?? []).some((object) => object.Key === `${own}/parts.bin`));
const elsewhere = await refused(new PutObjectCommand({ Bucket: bucket, Key: `private/${otherId}/js.txt`, Body: stream(small), ContentLength: small.length }));
check(`a streamed PutObject to another identity's prefix is refused (${elsewhere})`, elsewhere === 'AccessDenied 403');
const listing = await refused(new ListObjectsV2Command({ Bucket: bucket, Prefix: `private/${otherId}/` }));
check(`listing another identity's prefix is refused (${listing})`, listing === 'AccessDenied 403');
finish('@aws-sdk/client-s3 through the gateway');
