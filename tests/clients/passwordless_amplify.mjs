// aws-amplify v6 against cognate's choice-based sign-in (USER_AUTH) in a pool that allows
// passwords and emailed codes: a passwordless signUp, confirmSignUp and autoSignIn (the
// Session of ConfirmSignUp); signIn with preferredChallenge EMAIL_OTP → CONFIRM_SIGN_IN_WITH_EMAIL_CODE;
// signIn without a preference → CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION, choosing the code;
// and, for a user with a password, choosing PASSWORD. Codes are read from the outbox with the
// root credentials.
// Usage: node passwordless_amplify.mjs ENDPOINT POOL_ID CLIENT_ID NEW_USERNAME PASSWORD_USERNAME PASSWORD ACCESS_KEY_ID SECRET_ACCESS_KEY
import { Amplify } from "aws-amplify";
import { autoSignIn, confirmSignIn, confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from "aws-amplify/auth";
import { check, finish } from "./checks.mjs";

const [endpoint, poolId, clientId, newUsername, passwordUsername, password, keyId, keySecret] = process.argv.slice(2);
Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint } } });

// The code in the newest message to `destination` that was not read before.
const seen = new Set();
async function outboxCode(destination) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const response = await fetch(`${endpoint}/_cognate/outbox?UserPoolId=${poolId}`, {
      headers: { authorization: `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString("base64")}` },
    });
    const { Messages: messages } = await response.json();
    const fresh = messages.filter((each) => each.Destination === destination && !seen.has(JSON.stringify(each))).pop();
    if (fresh) {
      seen.add(JSON.stringify(fresh));
      return fresh.Body.match(/\d{6}/)?.[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

const email = `${newUsername}@example.com`;
try {
  const signedUp = await signUp({
    username: newUsername,
    options: { userAttributes: { email }, autoSignIn: { authFlowType: "USER_AUTH" } },
  });
  check(`a signUp without a password asks for the emailed code (${signedUp.nextStep.signUpStep})`,
    signedUp.nextStep.signUpStep === "CONFIRM_SIGN_UP");
  const confirmed = await confirmSignUp({ username: newUsername, confirmationCode: await outboxCode(email) });
  check(`confirmSignUp offers the sign-in at once (${confirmed.nextStep.signUpStep})`, confirmed.nextStep.signUpStep === "COMPLETE_AUTO_SIGN_IN");
  const auto = await autoSignIn();
  check(`autoSignIn signs in without another code (${auto.nextStep.signInStep})`, auto.isSignedIn);
  const session = await fetchAuthSession();
  check("the session has the new user's tokens", session.tokens?.idToken?.payload["cognito:username"] === newUsername);
  await signOut();

  const byCode = await signIn({ username: newUsername, options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" } });
  check(`signIn with preferredChallenge EMAIL_OTP asks for the code (${byCode.nextStep.signInStep})`,
    byCode.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
  const wrong = await confirmSignIn({ challengeResponse: "000000" }).then(() => "accepted", (error) => error.name);
  check(`a wrong code is refused (${wrong})`, wrong === "CodeMismatchException");
  const passed = await confirmSignIn({ challengeResponse: await outboxCode(email) });
  check("the right code signs in", passed.isSignedIn);
  await signOut();

  const choice = await signIn({ username: newUsername, options: { authFlowType: "USER_AUTH" } });
  check(`without a preference the user chooses (${choice.nextStep.signInStep}: ${choice.nextStep.availableChallenges})`,
    choice.nextStep.signInStep === "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
      && choice.nextStep.availableChallenges?.join() === "EMAIL_OTP");
  const chosen = await confirmSignIn({ challengeResponse: "EMAIL_OTP" });
  check(`choosing EMAIL_OTP sends the code (${chosen.nextStep.signInStep})`, chosen.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
  const chosenDone = await confirmSignIn({ challengeResponse: await outboxCode(email) });
  check("and the code signs in", chosenDone.isSignedIn);
  await signOut();

  const withPassword = await signIn({ username: passwordUsername, options: { authFlowType: "USER_AUTH" } });
  check(`a user with a password may choose it (${withPassword.nextStep.availableChallenges})`,
    withPassword.nextStep.availableChallenges?.includes("PASSWORD"));
  const asked = await confirmSignIn({ challengeResponse: "PASSWORD" });
  check(`choosing PASSWORD asks for it (${asked.nextStep.signInStep})`, asked.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_PASSWORD");
  const done = await confirmSignIn({ challengeResponse: password });
  check("and the password signs in", done.isSignedIn);
} catch (error) {
  check(`unexpected error: ${error.name || ""} ${error.message}`, false);
}
finish("passwordless (aws-amplify v6)");
