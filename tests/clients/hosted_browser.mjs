// The hosted sign-in in Debian's Chromium, driven by playwright-core, with openid-client as the
// relying party: discovery, authorization code + PKCE, ID token validation (iss, aud, nonce,
// exp, signature through the JWKS), userinfo and refresh — all done by the library, none of it
// here. Walks sign-up → confirmation code (from the outbox) → sign-in → code → tokens; the
// session cookie; sign-out; the CSRF and redirect-URI refusals; the pool's look; and federated
// sign-in through oidc-provider and through a second cognate; and MFA in a pool that requires it
// (an authenticator set up from the page's QR code and key, its codes, an emailed code); and a
// passkey added and used through Chromium's virtual authenticator, and an emailed code in place
// of the password. Prints "ok …" / "FAIL …" lines.
//
// usage: node hosted_browser.mjs '<settings JSON from hosted_flows.py>'

import http from "node:http";
import path from "node:path";
import * as client from "openid-client";
import { chromium } from "playwright-core";
import { codes } from "./totp.mjs";

const settings = JSON.parse(process.argv[2]);
const redirectUri = `${settings.app}/callback`;
let failures = 0;

function check(description, condition) {
  if (condition) {
    console.log(`ok   ${description}`);
  } else {
    failures += 1;
    console.log(`FAIL ${description}`);
  }
}

// The app's own pages: where cognate sends the browser back.
const app = http.createServer((request, response) => {
  const title = request.url.startsWith("/signed-out") ? "Signed out" : "Signed in";
  response.writeHead(200, { "content-type": "text/html" });
  response.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
});
await new Promise((resolve) => app.listen(settings.app_port, "127.0.0.1", resolve));

const config = await client.discovery(new URL(settings.issuer), settings.client_id, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});
const metadata = config.serverMetadata();
check("openid-client discovers the issuer, its endpoints and PKCE S256",
  metadata.issuer === settings.issuer && metadata.authorization_endpoint === `${settings.issuer}/oauth2/authorize`
  && metadata.code_challenge_methods_supported?.includes("S256"));

/** A fresh authorization request: its URL and what the library needs to check the answer. */
async function authorization(extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid email profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return { url: url.href, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

async function exchange(page, request) {
  return client.authorizationCodeGrant(config, new URL(page.url()), request.checks);
}

async function outboxCode(destination, outbox = settings.outbox) {
  const [key, secret] = settings.root;
  const response = await fetch(outbox, { headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` } });
  const messages = (await response.json()).Messages.filter((message) => message.Destination === destination);
  return messages.at(-1)?.Body.match(/\b\d{6}\b/)?.[0];
}

let shots = 0;
async function screenshot(page, name) {
  shots += 1;
  await page.screenshot({ path: path.join(settings.screenshots, `${String(shots).padStart(2, "0")}-${name}.png`), fullPage: true });
}

/** WCAG contrast ratio of two computed colours. */
function contrast(foreground, background) {
  const luminance = (colour) => {
    const [r, g, b] = colour.match(/\d+/g).slice(0, 3).map((value) => {
      const channel = Number(value) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic"],
});
try {
  // 1. Sign up, confirm, sign in: the code comes back and openid-client exchanges it.
  const context = await browser.newContext();
  const page = await context.newPage();
  let request = await authorization();
  await page.goto(request.url);
  check("authorize shows the sign-in page", (await page.title()) === "Sign in");
  check("the username field has focus", await page.evaluate(() => document.activeElement?.id === "username"));
  check("every visible field has a label", await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden])")].every((input) => input.labels.length === 1)));
  const colours = await page.evaluate(() => {
    const button = getComputedStyle(document.querySelector("button[type=submit]"));
    const body = getComputedStyle(document.querySelector("main"));
    return { text: button.color, button: button.backgroundColor, body: body.color, page: body.backgroundColor };
  });
  check(`button and text contrast meet WCAG AA (${contrast(colours.text, colours.button).toFixed(1)}:1, ${contrast(colours.body, colours.page).toFixed(1)}:1)`,
    contrast(colours.text, colours.button) >= 4.5 && contrast(colours.body, colours.page) >= 4.5);
  check("the pool's CSS is applied", await page.evaluate(() =>
    getComputedStyle(document.querySelector(".banner-customizable")).backgroundColor === "rgb(11, 79, 158)"));
  check("the pool's logo is shown", await page.evaluate(() => document.querySelector(".logo-customizable")?.naturalWidth === 24));
  check("the sign-in page offers both upstream providers",
    await page.getByRole("link", { name: "Continue with Corp" }).isVisible() && await page.getByRole("link", { name: "Continue with Partner" }).isVisible());
  await screenshot(page, "sign-in");

  await page.getByRole("link", { name: "Need an account? Sign up" }).click();
  await page.getByLabel("Username").fill("hana");
  await page.getByLabel("Email").fill("hana@example.com");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  check("a weak password is refused on the page", (await page.getByRole("alert").textContent()).includes("Password does not conform to policy"));
  await screenshot(page, "sign-up-refused");
  await page.getByLabel("Password").fill("Hana-Pass-2026");
  await page.getByRole("button", { name: "Sign up" }).click();
  check("sign-up leads to the confirmation page", (await page.title()) === "Confirm your account");
  await screenshot(page, "confirm");
  const code = await outboxCode("hana@example.com");
  check("the confirmation code is in the outbox", /^\d{6}$/.test(code ?? ""));
  await page.getByLabel("Verification code").fill(code);
  await page.getByRole("button", { name: "Confirm account" }).click();
  check("confirmation returns to the sign-in page", (await page.getByRole("status").textContent()).includes("Your account is confirmed."));
  await page.getByLabel("Username").fill("hana");
  await page.getByLabel("Password").fill("Hana-Pass-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${redirectUri}?**`);
  check("sign-in sends the browser back to the app with a code", new URL(page.url()).searchParams.has("code"));
  const tokens = await exchange(page, request);
  const claims = tokens.claims();
  check("openid-client validates the ID token (signature, iss, aud, nonce, exp)",
    claims.iss === settings.issuer && claims.aud === settings.client_id && claims["cognito:username"] === "hana");
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  check("userinfo answers the user's email", info.email === "hana@example.com");
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  check("the refresh token gives a new ID token for the same user", refreshed.claims().sub === claims.sub);
  await screenshot(page, "app-signed-in");

  // 2. The session cookie: no form the second time; a replayed code is refused.
  request = await authorization();
  await page.goto(request.url);
  await page.waitForURL(`${redirectUri}?**`);
  check("a signed-in browser is not asked again", new URL(page.url()).searchParams.has("code"));
  const codeUrl = page.url();
  await exchange(page, request);
  let replay = null;
  try {
    await client.authorizationCodeGrant(config, new URL(codeUrl), request.checks);
  } catch (error) {
    replay = error;
  }
  check("a reused code is refused (invalid_grant)", replay?.error === "invalid_grant");

  // 3. Sign-out, then the form again.
  const endSession = client.buildEndSessionUrl(config, { client_id: settings.client_id, logout_uri: `${settings.app}/signed-out` });
  await page.goto(endSession.href);
  check("logout returns to the app's sign-out URL", page.url().startsWith(`${settings.app}/signed-out`));
  request = await authorization();
  await page.goto(request.url);
  check("after sign-out the sign-in page is shown again", (await page.title()) === "Sign in");

  // 4. Refusals: a form without its CSRF token, and an unregistered redirect URI.
  await page.evaluate(() => document.querySelector("input[name=_csrf]").remove());
  await page.getByLabel("Username").fill("hana");
  await page.getByLabel("Password").fill("Hana-Pass-2026");
  const [csrfAnswer] = await Promise.all([page.waitForResponse((response) => response.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in" }).click()]);
  check("a form without its CSRF token is refused (403)", csrfAnswer.status() === 403 && (await page.content()).includes("CSRF"));
  await screenshot(page, "csrf-refused");
  const wrong = await authorization({ redirect_uri: `${settings.app}/elsewhere` });
  const wrongAnswer = await page.goto(wrong.url);
  check("an unregistered redirect URI gets the error page, not a redirect",
    wrongAnswer.status() === 400 && page.url().startsWith(settings.issuer) && (await page.content()).includes("redirect_mismatch"));
  await screenshot(page, "error");

  // 5. The pool's domain answers at its own host name.
  const onDomain = await page.goto(`${settings.domain_origin}${new URL(request.url).pathname.replace(/^\/[^/]+/, "")}${new URL(request.url).search}`);
  check("the domain host serves the sign-in page", onDomain.status() === 200 && (await page.title()) === "Sign in");
  await context.close();

  // 6. Federated through oidc-provider (Corp): its own login form, then back with a code.
  const corp = await browser.newContext();
  const corpPage = await corp.newPage();
  request = await authorization({ identity_provider: "Corp" });
  await corpPage.goto(request.url);
  check("identity_provider=Corp goes to the provider's login form", corpPage.url().includes("/interaction/"));
  await screenshot(corpPage, "upstream-oidc-provider");
  await corpPage.locator("input[name=login]").fill("kim");
  await corpPage.locator("input[name=password]").fill("any");
  await corpPage.locator("button[type=submit]").first().click();
  await corpPage.waitForURL(`${redirectUri}?**`);
  const corpTokens = await exchange(corpPage, request);
  const corpClaims = corpTokens.claims();
  check("a Corp user is created with the mapped email and identities",
    corpClaims["cognito:username"].startsWith("Corp_") && corpClaims.email === "kim@provider.example"
    && corpClaims.identities?.[0]?.providerName === "Corp");
  await corp.close();

  // 7. Federated through a second cognate (Partner), chosen on the sign-in page.
  const partner = await browser.newContext();
  const partnerPage = await partner.newPage();
  request = await authorization();
  await partnerPage.goto(request.url);
  await partnerPage.getByRole("link", { name: "Continue with Partner" }).click();
  check("the Partner button leads to the other cognate's sign-in page",
    (await partnerPage.title()) === "Sign in" && !partnerPage.url().startsWith(settings.issuer));
  await screenshot(partnerPage, "upstream-cognate");
  await partnerPage.getByLabel("Username").fill("bob");
  await partnerPage.getByLabel("Password").fill("Partner-Pass-1");
  await partnerPage.getByRole("button", { name: "Sign in" }).click();
  await partnerPage.waitForURL(`${redirectUri}?**`);
  const partnerClaims = (await exchange(partnerPage, request)).claims();
  check("a Partner user is created with the upstream email",
    partnerClaims["cognito:username"].startsWith("Partner_") && partnerClaims.email === "bob@partner.example");
  await partner.close();

  // 8. MFA: max sets up an authenticator app on the pages (a wrong code first), then signs in
  // with its codes; mia gets her code by email.
  const mfa = await browser.newContext();
  const mfaPage = await mfa.newPage();
  await mfaPage.goto(settings.mfa.authorize);
  await mfaPage.getByLabel("Username").fill("max");
  await mfaPage.getByLabel("Password").fill("Mfa-Pass-2026");
  await mfaPage.getByRole("button", { name: "Sign in" }).click();
  check(`a user with no factor is asked to set up an authenticator (${await mfaPage.title()})`,
    (await mfaPage.title()) === "Set up your authenticator app");
  check("the page shows the QR code", await mfaPage.locator(".qr svg").count() === 1);
  const shownSecret = (await mfaPage.locator("#totp-secret").textContent()) ?? "";
  check("and the key as text", /^[A-Z2-7]{32}$/.test(shownSecret));
  await screenshot(mfaPage, "mfa-setup");
  const next = codes(shownSecret);
  await mfaPage.getByLabel("Code from the app").fill("000000");
  await mfaPage.getByRole("button", { name: "Verify" }).click();
  check("a wrong code is refused on the set-up page", (await mfaPage.getByRole("alert").textContent()).includes("does not match")
    && (await mfaPage.locator("#totp-secret").textContent()) === shownSecret);
  await mfaPage.getByLabel("Code from the app").fill(await next());
  await mfaPage.getByRole("button", { name: "Verify" }).click();
  await mfaPage.waitForURL(`${redirectUri}?**`);
  check("the verified authenticator completes the sign-in", new URL(mfaPage.url()).searchParams.has("code"));
  await mfa.close();

  const again = await browser.newContext();
  const againPage = await again.newPage();
  await againPage.goto(settings.mfa.authorize);
  await againPage.getByLabel("Username").fill("max");
  await againPage.getByLabel("Password").fill("Mfa-Pass-2026");
  await againPage.getByRole("button", { name: "Sign in" }).click();
  check("the next sign-in asks for the app's code", (await againPage.title()) === "Enter your code");
  await screenshot(againPage, "mfa-code");
  await againPage.getByLabel("Code from your authenticator app").fill(await next());
  await againPage.getByRole("button", { name: "Sign in" }).click();
  await againPage.waitForURL(`${redirectUri}?**`);
  check("the app's code signs in", new URL(againPage.url()).searchParams.has("code"));
  await again.close();

  const email = await browser.newContext();
  const emailPage = await email.newPage();
  await emailPage.goto(settings.mfa.authorize);
  await emailPage.getByLabel("Username").fill("mia");
  await emailPage.getByLabel("Password").fill("Mfa-Pass-2026");
  await emailPage.getByRole("button", { name: "Sign in" }).click();
  check("a user with an email address is sent a code", (await emailPage.getByRole("status").textContent()).includes("m***@e***"));
  await emailPage.getByLabel("Code").fill(await outboxCode("mia@example.com", settings.mfa.outbox));
  await emailPage.getByLabel("Remember this device").check();
  await emailPage.getByRole("button", { name: "Sign in" }).click();
  await emailPage.waitForURL(`${redirectUri}?**`);
  check("the emailed code signs in", new URL(emailPage.url()).searchParams.has("code"));
  await emailPage.goto(`${settings.mfa.authorize}&prompt=login`);
  await emailPage.getByLabel("Username").fill("mia");
  await emailPage.getByLabel("Password").fill("Mfa-Pass-2026");
  await emailPage.getByRole("button", { name: "Sign in" }).click();
  await emailPage.waitForURL(`${redirectUri}?**`);
  check("the remembered browser signs in again without a code", new URL(emailPage.url()).searchParams.has("code"));
  await email.close();

  // 6. Passwordless: a passkey added by a signed-in browser (Chromium's virtual authenticator,
  // through the DevTools protocol), then signing in with it and with an emailed code instead of
  // the password.
  const passkeys = settings.passkeys;
  const keyContext = await browser.newContext();
  const keyPage = await keyContext.newPage();
  const devtools = await keyContext.newCDPSession(keyPage);
  await devtools.send("WebAuthn.enable");
  const { authenticatorId } = await devtools.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
      automaticPresenceSimulation: true },
  });
  await keyPage.goto(`${passkeys.origin}/oauth2/authorize?${passkeys.query}`);
  await keyPage.getByLabel("Username", { exact: true }).fill("pia");
  await keyPage.getByLabel("Password", { exact: true }).fill(passkeys.password);
  await keyPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await keyPage.waitForURL(`${redirectUri}?**`);
  check("the passkey pool's user signs in with the password first", new URL(keyPage.url()).searchParams.has("code"));
  await keyPage.goto(`${passkeys.origin}/passkeys/add?${passkeys.query}`);
  await keyPage.waitForURL(`${redirectUri}?**`);
  const { credentials } = await devtools.send("WebAuthn.getCredentials", { authenticatorId });
  check(`the page's WebAuthn call creates a passkey on the authenticator (${credentials.length})`,
    credentials.length === 1 && credentials[0].rpId === passkeys.rp_id);
  check("and the browser goes on to the app", new URL(keyPage.url()).searchParams.has("code"));
  await keyContext.clearCookies();
  await keyPage.goto(`${passkeys.origin}/oauth2/authorize?${passkeys.query}`);
  await keyPage.locator("#passwordless-username").fill("pia");
  await screenshot(keyPage, "passwordless");
  await keyPage.getByRole("button", { name: "Sign in with a passkey" }).click();
  await keyPage.waitForURL(`${redirectUri}?**`);
  check("the passkey signs in without the password", new URL(keyPage.url()).searchParams.has("code"));
  const after = await devtools.send("WebAuthn.getCredentials", { authenticatorId });
  check(`the authenticator's counter moved (${after.credentials[0]?.signCount})`, after.credentials[0]?.signCount >= 1);

  await keyContext.clearCookies();
  await keyPage.goto(`${passkeys.origin}/oauth2/authorize?${passkeys.query}`);
  await keyPage.locator("#passwordless-username").fill("pia");
  await keyPage.getByRole("button", { name: "Email me a sign-in code" }).click();
  check("an emailed code is asked instead of the password", (await keyPage.getByRole("status").textContent()).includes("p***@e***"));
  await keyPage.getByLabel("Code").fill(await outboxCode("pia@example.com", passkeys.outbox));
  await keyPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await keyPage.waitForURL(`${redirectUri}?**`);
  check("the emailed code signs in", new URL(keyPage.url()).searchParams.has("code"));
  await keyContext.close();
} catch (error) {
  failures += 1;
  console.log(`FAIL the browser walk stopped: ${error.stack ?? error}`);
} finally {
  await browser.close();
  app.close();
}
process.exit(failures ? 1 : 0);
