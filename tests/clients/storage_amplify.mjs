// aws-amplify v6 Storage through cognate's SigV4 gateway over HTTPS: the user signs in (SRP)
// against cognate's user pool, Amplify trades the tokens for credentials at cognate's identity
// pool, and uploadData / downloadData / list / getProperties / getUrl / remove reach the S3
// behind the gateway, inside the user's own `private/<identity id>/` prefix and nowhere else.
// The gateway's certificate is trusted through NODE_EXTRA_CA_CERTS.
// Usage: node storage_amplify.mjs ENDPOINT GATEWAY_HOST:PORT POOL_ID CLIENT_ID USERNAME PASSWORD IDENTITY_POOL_ID BUCKET
import { Amplify } from "aws-amplify";
import { fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import { downloadData, getProperties, getUrl, list, remove, uploadData } from "aws-amplify/storage";
import { check, finish } from "./checks.mjs";

// Amplify Storage's browser build reads upload parts with FileReader, which Node lacks: the
// small stand-in a Node app needs too.
if (typeof globalThis.FileReader === "undefined") {
  globalThis.FileReader = class FileReader {
    static DONE = 2;
    readyState = 0;
    result = null;
    error = null;
    async #read(blob, how) {
      try {
        this.result = await how(blob);
        this.readyState = 2;
        this.onload?.({ target: this });
      } catch (error) {
        this.error = error;
        this.readyState = 2;
        this.onerror?.({ target: this });
      }
      this.onloadend?.({ target: this });
    }
    readAsArrayBuffer(blob) {
      this.#read(blob, (b) => b.arrayBuffer());
    }
    readAsText(blob) {
      this.#read(blob, (b) => b.text());
    }
    readAsDataURL(blob) {
      this.#read(blob, async (b) => `data:${b.type || "application/octet-stream"};base64,${Buffer.from(await b.arrayBuffer()).toString("base64")}`);
    }
  };
}

const [endpoint, gateway, poolId, clientId, username, password, identityPoolId, bucket] = process.argv.slice(2);

Amplify.configure({
  Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint, identityPoolId, identityPoolEndpoint: endpoint } },
  Storage: { S3: { bucket, region: "us-east-1" } },
});
// Amplify puts a bucket with a dot in the path (no virtual host): https://GATEWAY/BUCKET/KEY.
const options = { customEndpoint: gateway };

try {
  const result = await signIn({ username, password });
  check(`signIn completes (${result.nextStep?.signInStep})`, result.isSignedIn === true);
  const session = await fetchAuthSession();
  const identityId = session.identityId;
  check(`the session has an identity and credentials (${identityId})`, Boolean(identityId) && session.credentials?.accessKeyId?.startsWith("ASIA"));
  const own = `private/${identityId}`;

  const uploaded = await uploadData({ path: `${own}/note.txt`, data: "hello from amplify", options: { ...options, contentType: "text/plain" } }).result;
  check(`uploadData stores a small object (${uploaded.path})`, uploaded.path === `${own}/note.txt`);
  const downloaded = await downloadData({ path: `${own}/note.txt`, options }).result;
  check("downloadData reads it back", (await downloaded.body.text()) === "hello from amplify");

  // Over 5 MiB, uploadData goes multipart: CreateMultipartUpload, UploadPart…, CompleteMultipartUpload.
  const big = new Uint8Array(6 * 1024 * 1024 + 123);
  for (let index = 0; index < big.length; index += 1) big[index] = (index * 31 + 7) & 0xff;
  await uploadData({ path: `${own}/big.bin`, data: big, options }).result;
  const bigBack = new Uint8Array(await (await (await downloadData({ path: `${own}/big.bin`, options }).result).body.blob()).arrayBuffer());
  check(`a ${big.length}-byte multipart upload comes back identical`, bigBack.length === big.length && bigBack.every((byte, index) => byte === big[index]));

  const listed = await list({ path: `${own}/`, options });
  const keys = listed.items.map((item) => item.path).sort();
  check(`list shows the identity's own objects (${keys.join(", ")})`, keys.length === 2 && keys[0] === `${own}/big.bin` && keys[1] === `${own}/note.txt`);
  const properties = await getProperties({ path: `${own}/note.txt`, options });
  check(`getProperties answers the size and type (${properties.size}, ${properties.contentType})`, properties.size === 18 && properties.contentType === "text/plain");

  const { url } = await getUrl({ path: `${own}/note.txt`, options: { ...options, expiresIn: 60 } });
  const presigned = await fetch(url);
  check(`getUrl's presigned URL reads the object over https (${url.host})`, presigned.status === 200 && (await presigned.text()) === "hello from amplify");

  let refused = null;
  try {
    await uploadData({ path: "private/us-east-1:00000000-0000-0000-0000-000000000000/intrusion.txt", data: "no", options }).result;
  } catch (error) {
    refused = error;
  }
  check(`another identity's prefix is refused (${refused?.name})`, refused?.name === "AccessDenied");
  let listRefused = null;
  try {
    await list({ path: "private/", options });
  } catch (error) {
    listRefused = error;
  }
  check(`listing beyond its prefix is refused (${listRefused?.name})`, listRefused?.name === "AccessDenied");

  await remove({ path: `${own}/note.txt`, options });
  const after = await list({ path: `${own}/`, options });
  check("remove deletes the object", after.items.map((item) => item.path).join() === `${own}/big.bin`);
  await signOut();
} catch (error) {
  check(`no unexpected error (${error?.name}: ${error?.message})`, false);
}
finish("amplify storage");
