// amazon-cognito-identity-js against cognate's MFA: an SRP sign-in answered with an
// authenticator code (totpRequired → sendMFACode), a wrong code first; and, in a pool that
// requires MFA, a user with none set up (mfaSetup → associateSoftwareToken →
// verifySoftwareToken), who is then asked for a code at the next sign-in.
// Usage: node mfa_cognito_js.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD TOTP_SECRET
//          REQUIRED_POOL_ID REQUIRED_CLIENT_ID NEW_USERNAME
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { check, finish } from "./checks.mjs";
import { codes } from "./totp.mjs";

const [endpoint, poolId, clientId, username, password, secret, requiredPoolId, requiredClientId, newUsername] = process.argv.slice(2);

// Signs in with SRP and answers what follows through `answer`, which gets the callback's name,
// the user and the promise's resolve and reject.
function signIn(userPoolId, appClientId, name, answer) {
  const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: appClientId, endpoint });
  const user = new CognitoUser({ Username: name, Pool: pool });
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => resolve(session),
      onFailure: reject,
      totpRequired: (challengeName) => answer("totpRequired", { user, callbacks, challengeName, resolve, reject }),
      mfaRequired: () => reject(new Error("unexpected SMS_MFA")),
      mfaSetup: (challengeName) => answer("mfaSetup", { user, callbacks, challengeName, resolve, reject }),
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
    };
    user.authenticateUser(new AuthenticationDetails({ Username: name, Password: password }), callbacks);
  });
}

try {
  const next = codes(secret);
  await next(); // the step the driver's verification used
  let asked = null;
  let wrongRefused = null;
  const session = await signIn(poolId, clientId, username, (name, { user, callbacks, challengeName }) => {
    asked = `${name} ${challengeName}`;
    user.sendMFACode("000000", {
      onSuccess: () => callbacks.onFailure(new Error("a wrong code was accepted")),
      onFailure: async (error) => {
        wrongRefused = error.code;
        user.sendMFACode(await next(), callbacks, "SOFTWARE_TOKEN_MFA");
      },
    }, "SOFTWARE_TOKEN_MFA");
  });
  check(`the SRP sign-in asks for the authenticator's code (${asked})`, asked === "totpRequired SOFTWARE_TOKEN_MFA");
  check(`a wrong code is refused (${wrongRefused})`, wrongRefused === "CodeMismatchException");
  check("the right code, in the same session, signs in", session.isValid());
  check("the tokens name the user", session.getIdToken().decodePayload()["cognito:username"] === username);

  // A pool that requires MFA: the new user sets up an authenticator during sign-in.
  let setUpSecret = null;
  let steps = [];
  const setUp = await signIn(requiredPoolId, requiredClientId, newUsername, (name, { user, callbacks, reject }) => {
    steps.push(name);
    if (name !== "mfaSetup") return reject(new Error(`unexpected ${name}`));
    user.associateSoftwareToken({
      associateSecretCode: async (secretCode) => {
        setUpSecret = secretCode;
        user.verifySoftwareToken(await codes(secretCode)(), "laptop", callbacks);
      },
      onFailure: reject,
    });
  });
  check(`MFA_SETUP is answered with a new authenticator (${steps.join(", ")})`, steps.join() === "mfaSetup" && /^[A-Z2-7]{32}$/.test(setUpSecret ?? ""));
  check("verifySoftwareToken completes the sign-in", setUp.isValid());
  steps = [];
  const nextSetUp = codes(setUpSecret);
  await nextSetUp(); // the step that verification used
  const again = await signIn(requiredPoolId, requiredClientId, newUsername, async (name, { user, callbacks }) => {
    steps.push(name);
    user.sendMFACode(await nextSetUp(), callbacks, "SOFTWARE_TOKEN_MFA");
  });
  check(`the next sign-in asks for the new authenticator's code (${steps.join(", ")})`, steps.join() === "totpRequired" && again.isValid());
} catch (error) {
  check(`unexpected error: ${error.code || ""} ${error.message}`, false);
}
finish("mfa (amazon-cognito-identity-js)");
