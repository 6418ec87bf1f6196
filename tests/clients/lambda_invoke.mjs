// A stand-in of the AWS Lambda Invoke API for the trigger tests, as `sam local start-lambda` serves
// it: `POST /2015-03-31/functions/{FunctionName}/invocations` runs the handler of
// `triggers/<function name>.mjs` (the last part of the ARN) with the event as Lambda does, and
// answers its result; a handler that throws answers `X-Amz-Function-Error: Unhandled` with
// `{errorMessage, errorType}`, as Lambda does. Every event is kept and listed at `GET /events`,
// with whether the request carries a valid SigV4 signature for `lambda` under the access key given
// (the signature recomputed here, from the signing process AWS documents).
// Usage: node lambda_invoke.mjs PORT [ACCESS_KEY_ID SECRET_ACCESS_KEY]   (prints "listening" when ready)
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const port = Number(process.argv[2]);
const here = path.dirname(new URL(import.meta.url).pathname);
const events = [];
const [accessKeyId, secretAccessKey] = process.argv.slice(3);

const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => crypto.createHmac("sha256", key).update(data).digest();

// Whether `request` (with its `body`) is signed with SigV4 for service lambda by the known key.
function signatureValid(request, body) {
  const match = (request.headers.authorization ?? "").match(
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/lambda\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/);
  if (!match || !accessKeyId) return false;
  const [, keyId, day, region, signedHeaders, signature] = match;
  const amzDate = request.headers["x-amz-date"] ?? "";
  const names = signedHeaders.split(";");
  if (keyId !== accessKeyId || !amzDate.startsWith(day) || !names.includes("host") || !names.includes("x-amz-date")) return false;
  const [pathPart, query = ""] = request.url.split("?");
  // Services other than S3 encode the path (already encoded once on the wire) once more.
  const canonicalPath = pathPart.split("/").map((part) => encodeURIComponent(part)).join("/");
  const canonical = [request.method, canonicalPath, query,
    names.map((name) => `${name}:${String(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`).join(""),
    signedHeaders, sha256(body)].join("\n");
  const scope = `${day}/${region}/lambda/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${secretAccessKey}`, day);
  for (const part of [region, "lambda", "aws4_request"]) key = hmac(key, part);
  const expected = crypto.createHmac("sha256", key).update(toSign).digest("hex");
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

const server = http.createServer(async (request, response) => {
  if (request.method === "GET" && request.url === "/events") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(events));
    return;
  }
  const match = request.url.match(/^\/2015-03-31\/functions\/([^/]+)\/invocations$/);
  if (request.method !== "POST" || !match) {
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ Type: "User", message: "Function not found" }));
    return;
  }
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const event = JSON.parse(body.toString("utf8"));
  const functionName = decodeURIComponent(match[1]).split(":").pop();
  events.push({ functionName, signed: signatureValid(request, body), event });
  let handler;
  try {
    ({ handler } = await import(pathToFileURL(path.join(here, "triggers", `${functionName}.mjs`)).href));
  } catch {
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ Type: "User", message: `Function not found: ${functionName}` }));
    return;
  }
  try {
    const result = await handler(event);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(typeof result === "string" ? result : JSON.stringify(result));
  } catch (error) {
    response.writeHead(200, { "content-type": "application/json", "x-amz-function-error": "Unhandled" });
    response.end(JSON.stringify({ errorMessage: error.message, errorType: error.name }));
  }
});
server.listen(port, "127.0.0.1", () => console.log("listening"));
