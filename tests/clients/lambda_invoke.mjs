// A stand-in of the AWS Lambda Invoke API for the trigger tests, as `sam local start-lambda` serves
// it: `POST /2015-03-31/functions/{FunctionName}/invocations` runs the handler of
// `triggers/<function name>.mjs` (the last part of the ARN) with the event as Lambda does, and
// answers its result; a handler that throws answers `X-Amz-Function-Error: Unhandled` with
// `{errorMessage, errorType}`, as Lambda does. Every event is kept and listed at `GET /events`,
// with whether the request was SigV4-signed for `lambda`.
// Usage: node lambda_invoke.mjs PORT   (prints "listening" when ready)
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const port = Number(process.argv[2]);
const here = path.dirname(new URL(import.meta.url).pathname);
const events = [];

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
  const event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const functionName = decodeURIComponent(match[1]).split(":").pop();
  const authorization = request.headers.authorization ?? "";
  events.push({ functionName, signed: /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/lambda\/aws4_request/.test(authorization), event });
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
