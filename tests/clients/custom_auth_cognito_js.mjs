// amazon-cognito-identity-js's custom authentication flow against cognate's CUSTOM_AUTH:
// initiateAuth with the flow type CUSTOM_AUTH, a wrong answer (a new challenge follows), then the
// right one with sendCustomChallengeAnswer, and tokens; then authenticateUser with CUSTOM_AUTH,
// which proves the password by SRP (SRP_A, PASSWORD_VERIFIER) before the custom challenge.
// Usage: node custom_auth_cognito_js.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { check, finish } from "./checks.mjs";

const [endpoint, poolId, clientId, username, password] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

try {
  const user = new CognitoUser({ Username: username, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const questions = [];
  const session = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      customChallenge: (parameters) => {
        questions.push(parameters.question);
        const [, a, b] = parameters.question.match(/What is (\d+) \+ (\d+)\?/);
        // The first answer is wrong on purpose; the second is right.
        const answer = questions.length === 1 ? "0" : String(Number(a) + Number(b));
        user.sendCustomChallengeAnswer(answer, callbacks);
      },
    };
    user.initiateAuth(new AuthenticationDetails({ Username: username }), callbacks);
  });
  check(`a wrong answer brings a new challenge (${questions.join(" / ")})`, questions.join("|") === "What is 1 + 4?|What is 2 + 4?");
  check("the right answer signs in", session.isValid() && session.getIdToken().decodePayload()["cognito:username"] === username);

  const srpUser = new CognitoUser({ Username: username, Pool: pool });
  srpUser.setAuthenticationFlowType("CUSTOM_AUTH");
  const asked = [];
  const signedIn = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      customChallenge: (parameters) => {
        asked.push(parameters.question);
        const [, a, b] = parameters.question.match(/What is (\d+) \+ (\d+)\?/);
        srpUser.sendCustomChallengeAnswer(String(Number(a) + Number(b)), callbacks);
      },
    };
    srpUser.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), callbacks);
  });
  check(`authenticateUser with CUSTOM_AUTH: the password by SRP, then a custom challenge (${asked.join(" / ")})`,
    asked.join("|") === "What is 3 + 4?" && signedIn.isValid());
  const wrongUser = new CognitoUser({ Username: username, Pool: pool });
  wrongUser.setAuthenticationFlowType("CUSTOM_AUTH");
  const refused = await new Promise((resolve) => {
    wrongUser.authenticateUser(new AuthenticationDetails({ Username: username, Password: "Wrong-Pass-1" }), {
      onSuccess: () => resolve("signed in"),
      onFailure: (error) => resolve(error.code),
      customChallenge: () => resolve("challenged"),
    });
  });
  check(`a wrong password never reaches the custom challenge (${refused})`, refused === "NotAuthorizedException");
} catch (error) {
  check(`unexpected error: ${error.code || ""} ${error.message}`, false);
}
finish("custom auth (amazon-cognito-identity-js)");
