// SAML sign-in through the hosted pages in Debian's Chromium, driven by playwright-core, with
// openid-client as the app (authorization code + PKCE, the ID token checked through the JWKS):
// SP-initiated (the sign-in page's "Continue with Corp" → pysaml2's sign-on service → its
// auto-posting form → the pool's ACS → the app) and IdP-initiated (pysaml2's own form posts an
// unsolicited response with the app's request in RelayState), single logout through the IdP
// (started at the app, and started at the IdP), and routing by a corporate email's domain.
// Prints "ok …" / "FAIL …" lines.
//
// usage: node saml_browser.mjs '<settings JSON from saml_flows.py>'

import http from "node:http";
import path from "node:path";
import * as client from "openid-client";
import { chromium } from "playwright-core";
import { check, finish } from "./checks.mjs";

const settings = JSON.parse(process.argv[2]);
const redirectUri = `${settings.app}/callback`;

const app = http.createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/html" });
  const title = request.url.startsWith("/signed-out") ? "Signed out" : "Signed in";
  response.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
});
await new Promise((resolve) => app.listen(settings.app_port, "127.0.0.1", resolve));

const config = await client.discovery(new URL(settings.issuer), settings.client_id, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});

async function authorization() {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: "openid email", state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  return { url: url.href, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic"],
});
try {
  // SP-initiated, from the hosted sign-in page.
  const page = await (await browser.newContext()).newPage();
  const request = await authorization();
  await page.goto(request.url);
  check("the sign-in page offers the SAML provider", await page.getByRole("link", { name: "Continue with Corp" }).isVisible());
  await page.screenshot({ path: path.join(settings.screenshots, "01-sign-in-page.png"), fullPage: true });
  await page.getByRole("link", { name: "Continue with Corp" }).click();
  await page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 20000 });
  await page.screenshot({ path: path.join(settings.screenshots, "02-back-at-the-app.png"), fullPage: true });
  const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), request.checks);
  const claims = tokens.claims();
  check("openid-client exchanges the code and validates the ID token of the SAML user",
    claims["cognito:username"] === `Corp_${settings.user}` && claims.email === `${settings.user}@corp.test`);
  const identities = JSON.parse(typeof claims.identities === "string" ? claims.identities : JSON.stringify(claims.identities ?? []));
  check("its identities claim names the SAML provider", identities[0]?.providerType === "SAML" && identities[0]?.providerName === "Corp");

  // Single logout: /logout goes through the IdP's logout service and back to the app.
  await page.goto(`${settings.issuer}/logout?client_id=${settings.client_id}&logout_uri=${encodeURIComponent(`${settings.app}/signed-out`)}`);
  await page.waitForURL((url) => url.href.startsWith(`${settings.app}/signed-out`), { timeout: 20000 });
  check("sign-out passes through the IdP's logout service and lands on the app's sign-out URL", page.url().startsWith(`${settings.app}/signed-out`));
  const again = await authorization();
  await page.goto(again.url);
  check("after it, authorize asks to sign in again", (await page.title()) === "Sign in");

  // Routed by a corporate email's domain (the provider's IdpIdentifier corp.test).
  const routed = await (await browser.newContext()).newPage();
  const second = await authorization();
  await routed.goto(second.url);
  await routed.getByLabel("Sign in with your corporate email").fill("someone@elsewhere.test");
  await routed.getByRole("button", { name: "Continue" }).click();
  check("an email whose domain no provider claims is told so on the page",
    (await routed.content()).includes("No sign-in is set up for that email"));
  await routed.getByLabel("Sign in with your corporate email").fill(`${settings.user}@corp.test`);
  await routed.getByRole("button", { name: "Continue" }).click();
  await routed.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 20000 });
  const routedTokens = await client.authorizationCodeGrant(config, new URL(routed.url()), second.checks);
  check("an email at corp.test is routed to the Corp IdP and comes back signed in",
    routedTokens.claims()["cognito:username"] === `Corp_${settings.user}`);

  // Single logout the IdP starts: its signed LogoutRequest (HTTP-Redirect) signs the user out
  // of the pool too, and the browser comes back to the IdP with the pool's answer.
  await routed.goto(settings.idp_logout);
  await routed.waitForURL((url) => url.pathname === "/slo", { timeout: 20000 });
  check("the IdP's own sign-out passes through the pool and back to the IdP", (await routed.title()) === "Signed out at Corp");
  await routed.screenshot({ path: path.join(settings.screenshots, "03-signed-out-at-the-idp.png"), fullPage: true });
  const refused = await client.refreshTokenGrant(config, routedTokens.refresh_token).then(() => false, () => true);
  check("after it, that sign-in's refresh token is refused", refused);
  const afterIdpLogout = await authorization();
  await routed.goto(afterIdpLogout.url);
  check("and authorize in that browser asks to sign in again", (await routed.title()) === "Sign in");

  // IdP-initiated: the IdP's own page posts an unsolicited response.
  const started = await (await browser.newContext()).newPage();
  await started.goto(settings.idp_initiated);
  await started.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 20000 });
  const landed = new URL(started.url());
  check("an IdP-initiated sign-in lands at the app with a code", landed.searchParams.get("code")?.length > 0);
  const grant = await client.genericGrantRequest(config, "authorization_code", { code: landed.searchParams.get("code"), redirect_uri: redirectUri });
  check("the code of the IdP-initiated sign-in buys tokens for its user",
    grant.claims()?.["cognito:username"] === `Corp_${settings.idp_user}`);
} catch (error) {
  check(`the browser flows ran (${error.message})`, false);
} finally {
  await browser.close();
  app.close();
}
finish("saml browser");
