// aws-amplify v6 against cognate: signIn (SRP), fetchAuthSession, and a forced refresh, which
// Amplify v6 makes through GetTokensFromRefreshToken; then a refresh token rotated by the client's
// RefreshTokenRotation setting.
// Usage: node amplify_refresh.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD
import { Amplify } from "aws-amplify";
import { fetchAuthSession, getCurrentUser, signIn, signOut } from "aws-amplify/auth";

const [endpoint, poolId, clientId, username, password] = process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(description, condition) {
  if (condition) {
    passed += 1;
    console.log(`ok   ${description}`);
  } else {
    failed += 1;
    console.log(`FAIL ${description}`);
  }
}

// Every request Amplify sends, by its X-Amz-Target, to show which operation refreshed.
const targets = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const target = headers.get("x-amz-target");
  if (target) targets.push(target.split(".").pop());
  return realFetch(input, init);
};

Amplify.configure({
  Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint } },
});

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

  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await fetchAuthSession({ forceRefresh: true });
  check("a second forced refresh works too", again.tokens?.accessToken?.toString() !== refreshedAccess);

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

console.log(`amplify: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
