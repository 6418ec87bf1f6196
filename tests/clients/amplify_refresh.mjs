// aws-amplify v6 against cognate: signIn (SRP), fetchAuthSession, and a forced refresh, which
// Amplify v6 makes through GetTokensFromRefreshToken; then a refresh token rotated by the client's
// RefreshTokenRotation setting; and the refresh Amplify makes by itself once the app's clock is
// past the access token's expiry.
// With IDENTITY_POOL_ID, fetchAuthSession also answers an identity and AWS credentials.
// Usage: node amplify_refresh.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD [IDENTITY_POOL_ID]
import { Amplify } from "aws-amplify";
import { fetchAuthSession, getCurrentUser, signIn, signOut } from "aws-amplify/auth";
import { check, finish } from "./checks.mjs";

const [endpoint, poolId, clientId, username, password, identityPoolId] = process.argv.slice(2);

// Every request Amplify sends, by its X-Amz-Target, to show which operation refreshed.
const targets = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const target = headers.get("x-amz-target");
  if (target) targets.push(target.split(".").pop());
  return realFetch(input, init);
};

const cognito = { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint };
if (identityPoolId) {
  Object.assign(cognito, { identityPoolId, identityPoolEndpoint: endpoint });
}
Amplify.configure({ Auth: { Cognito: cognito } });

try {
  const result = await signIn({ username, password });
  check(`signIn completes (${result.nextStep?.signInStep})`, result.isSignedIn === true);
  const user = await getCurrentUser();
  check("getCurrentUser names the user", user.username === username);
  const first = await fetchAuthSession();
  const firstAccess = first.tokens?.accessToken?.toString();
  check("fetchAuthSession has the tokens", Boolean(firstAccess) && first.tokens.idToken.payload["cognito:username"] === username);

  // Tokens minted in the same second would be identical; wait so the refreshed ones differ.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = targets.length;
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  const refreshedAccess = refreshed.tokens?.accessToken?.toString();
  const used = targets.slice(before);
  check(`a forced refresh goes through GetTokensFromRefreshToken (${used.join(", ")})`, used.includes("GetTokensFromRefreshToken"));
  check("the refreshed session has new tokens", Boolean(refreshedAccess) && refreshedAccess !== firstAccess);
  check("the refreshed ID token names the user", refreshed.tokens.idToken.payload["cognito:username"] === username);
  if (identityPoolId) {
    check(`the session has an identity (${first.identityId})`, /^us-east-1:[0-9a-f-]{36}$/.test(first.identityId ?? ""));
    check("the session has AWS credentials", first.credentials?.accessKeyId?.startsWith("ASIA") && Boolean(first.credentials.sessionToken));
    check("the refreshed session keeps the identity", refreshed.identityId === first.identityId);
    check(
      "the refreshed session has new AWS credentials",
      Boolean(refreshed.credentials?.accessKeyId) && refreshed.credentials.accessKeyId !== first.credentials.accessKeyId,
    );
  }

  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await fetchAuthSession({ forceRefresh: true });
  check("a second forced refresh works too", again.tokens?.accessToken?.toString() !== refreshedAccess);

  // The app's clock moves past the access token's expiry (an hour): the next fetchAuthSession,
  // not forced, finds the tokens expired and refreshes them by itself.
  const realNow = Date.now;
  const expiredAccess = (await fetchAuthSession()).tokens?.accessToken?.toString();
  Date.now = () => realNow() + 61 * 60 * 1000;
  const beforeExpiry = targets.length;
  const renewed = await fetchAuthSession();
  Date.now = realNow;
  const renewedBy = targets.slice(beforeExpiry);
  check(`past the expiry, fetchAuthSession refreshes by itself (${renewedBy.join(", ")})`,
    renewedBy.includes("GetTokensFromRefreshToken") && renewed.tokens?.accessToken?.toString() !== expiredAccess);

  await signOut();
  let signedOut = false;
  try {
    await getCurrentUser();
  } catch {
    signedOut = true;
  }
  check("signOut ends the session", signedOut);
} catch (error) {
  check(`no error (${error.name}: ${error.message})`, false);
}

finish("amplify");
