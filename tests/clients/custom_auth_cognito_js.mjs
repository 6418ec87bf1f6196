// amazon-cognito-identity-js's custom authentication flow against cognate's CUSTOM_AUTH:
// initiateAuth with the flow type CUSTOM_AUTH, a wrong answer (a new challenge follows), then the
// right one with sendCustomChallengeAnswer, and tokens.
// Usage: node custom_auth_cognito_js.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { check, finish } from "./checks.mjs";

const [endpoint, poolId, clientId, username] = process.argv.slice(2);
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
} catch (error) {
  check(`unexpected error: ${error.code || ""} ${error.message}`, false);
}
finish("custom auth (amazon-cognito-identity-js)");
