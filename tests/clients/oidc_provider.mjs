// A third-party OpenID Connect provider for federation tests: the `oidc-provider` package,
// started on loopback with one confidential client. It prints "ready <issuer>" when it listens.
// For each line "<user>" on stdin it signs that user in through the provider's own endpoints
// (authorization code with PKCE, its development login form, then the token endpoint) and
// prints "token <the ID token it issued>", or "error <message>".
//
// usage: node oidc_provider.mjs <port> <client_id> <client_secret> [<extra redirect URI>,...]
// The extra redirect URIs let a browser sign in through the provider's pages and come back to
// them (cognate's /oauth2/idpresponse in the hosted-sign-in test).

import crypto from "node:crypto";
import readline from "node:readline";
import Provider from "oidc-provider";

const [port, clientId, clientSecret, extraRedirects] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = `${issuer}/callback`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri, ...(extraRedirects ? extraRedirects.split(",") : [])],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    // Accounts named tagged-… carry AWS's session-tag and source-identity claims.
    claims: async () => ({
      sub: id, email: `${id}@provider.example`, email_verified: true,
      ...(id.startsWith("tagged-") ? {
        "https://aws.amazon.com/tags": { principal_tags: { team: ["blue"] }, transitive_tag_keys: [] },
        "https://aws.amazon.com/source_identity": id,
      } : {}),
    }),
  }),
  claims: { openid: ["sub", "https://aws.amazon.com/tags", "https://aws.amazon.com/source_identity"], email: ["email", "email_verified"] },
  // Put the email claims in the ID token itself, as social providers do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
  // Consent is pre-agreed: the test signs users in without a consent page.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email");
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

class CookieJar {
  constructor() {
    this.cookies = new Map();
  }
  take(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const index = pair.indexOf("=");
      this.cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
  }
  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

async function signIn(user) {
  const jar = new CookieJar();
  const verifier = crypto.randomBytes(32).toString("base64url");
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    scope: "openid email",
    redirect_uri: redirectUri,
    state: crypto.randomBytes(8).toString("hex"),
    nonce: crypto.randomBytes(8).toString("hex"),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  let url = `${issuer}/auth?${query}`;
  let method = "GET";
  let body;
  for (let step = 0; step < 12; step += 1) {
    const response = await fetch(url, {
      method,
      body,
      redirect: "manual",
      headers: { cookie: jar.header(), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    });
    jar.take(response);
    const location = response.headers.get("location");
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) {
        const code = next.searchParams.get("code");
        if (!code) throw new Error(`no code in ${next.href}`);
        const token = await fetch(`${issuer}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: redirectUri,
            client_id: clientId,
            client_secret: clientSecret,
            code_verifier: verifier,
          }),
        });
        const json = await token.json();
        if (!json.id_token) throw new Error(`token endpoint answered ${JSON.stringify(json)}`);
        return json.id_token;
      }
      url = next.href;
      method = "GET";
      body = undefined;
      continue;
    }
    const html = await response.text();
    if (response.status === 200 && url.includes("/interaction/")) {
      // The development login form: any login, any password.
      url = url.replace(/\/$/, "");
      method = "POST";
      body = new URLSearchParams({ prompt: "login", login: user, password: "any" }).toString();
      continue;
    }
    throw new Error(`unexpected ${response.status} at ${url}: ${html.slice(0, 200)}`);
  }
  throw new Error("too many redirects");
}

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const user = line.trim();
  if (!user) return;
  try {
    console.log(`token ${await signIn(user)}`);
  } catch (error) {
    console.log(`error ${error.message}`);
  }
});
lines.on("close", () => process.exit(0));
