// amazon-cognito-identity-js against cognate: SRP sign-in (USER_SRP_AUTH + PASSWORD_VERIFIER),
// a wrong password, refreshing the session, and changing the password.
// Usage: node srp_sign_in.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD NEW_PASSWORD
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { check, finish } from "./checks.mjs";

const [endpoint, poolId, clientId, username, password, newPassword] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

function signIn(name, secret) {
  const user = new CognitoUser({ Username: name, Pool: pool });
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: name, Password: secret }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
    });
  });
}

try {
  try {
    await signIn(username, "Not-The-Password-1");
    check("a wrong password is refused", false);
  } catch (error) {
    check(`a wrong password is refused (${error.code})`, error.code === "NotAuthorizedException");
  }

  const { user, session } = await signIn(username, password);
  check("SRP sign-in yields a valid session", session.isValid());
  const idPayload = session.getIdToken().decodePayload();
  check("the ID token names the user", idPayload["cognito:username"] === username && idPayload.token_use === "id");
  check("the access token is an access token", session.getAccessToken().decodePayload().token_use === "access");

  const refreshed = await new Promise((resolve, reject) =>
    user.refreshSession(session.getRefreshToken(), (error, result) => (error ? reject(error) : resolve(result))),
  );
  check("refreshSession yields new tokens",
    refreshed.isValid() && refreshed.getAccessToken().getJwtToken() !== session.getAccessToken().getJwtToken());

  const changed = await new Promise((resolve, reject) =>
    user.changePassword(password, newPassword, (error, result) => (error ? reject(error) : resolve(result))),
  );
  check("changePassword succeeds", changed === "SUCCESS");
  const again = await signIn(username, newPassword);
  check("SRP sign-in works with the new password", again.session.isValid());
  try {
    await signIn(username, password);
    check("the old password no longer works", false);
  } catch (error) {
    check(`the old password no longer works (${error.code})`, error.code === "NotAuthorizedException");
  }
} catch (error) {
  check(`unexpected error: ${error.code || ""} ${error.message}`, false);
}
finish("srp");
