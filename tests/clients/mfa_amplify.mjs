// aws-amplify v6 against cognate's MFA, as an app calls it: setUpTOTP, verifyTOTPSetup and
// updateMFAPreference for a signed-in user; then signIn → CONFIRM_SIGN_IN_WITH_TOTP_CODE →
// confirmSignIn; an email code (CONFIRM_SIGN_IN_WITH_EMAIL_CODE, read from the outbox with the
// root credentials); the choice between two factors (CONTINUE_SIGN_IN_WITH_MFA_SELECTION); and,
// in a pool that requires MFA, CONTINUE_SIGN_IN_WITH_TOTP_SETUP for a user with no factor.
// Usage: node mfa_amplify.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD EMAIL
//          REQUIRED_POOL_ID REQUIRED_CLIENT_ID NEW_USERNAME ACCESS_KEY_ID SECRET_ACCESS_KEY
import { Amplify } from "aws-amplify";
import {
  confirmSignIn, fetchAuthSession, fetchMFAPreference, setUpTOTP, signIn, signOut, updateMFAPreference, verifyTOTPSetup,
} from "aws-amplify/auth";
import { check, finish } from "./checks.mjs";
import { codes } from "./totp.mjs";

const [endpoint, poolId, clientId, username, password, email, requiredPoolId, requiredClientId, newUsername, keyId, keySecret] =
  process.argv.slice(2);

function configure(userPoolId, userPoolClientId) {
  Amplify.configure({ Auth: { Cognito: { userPoolId, userPoolClientId, userPoolEndpoint: endpoint } } });
}

// The code in the newest message of the outbox to `destination`.
async function outboxCode(destination) {
  const response = await fetch(`${endpoint}/_cognate/outbox?UserPoolId=${poolId}`, {
    headers: { authorization: `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString("base64")}` },
  });
  const { Messages: messages } = await response.json();
  const message = messages.filter((each) => each.Destination === destination).pop();
  return message?.Body.match(/\d{6}/)?.[0];
}

try {
  configure(poolId, clientId);
  const first = await signIn({ username, password });
  check(`with no factor, signIn completes (${first.nextStep.signInStep})`, first.isSignedIn);

  const setUp = await setUpTOTP();
  const secret = setUp.sharedSecret;
  check("setUpTOTP answers a base32 secret", /^[A-Z2-7]{32}$/.test(secret));
  check("and an otpauth URI for it", setUp.getSetupUri("cognate", username).href.includes(`secret=${secret}`));
  const next = codes(secret);
  await verifyTOTPSetup({ code: await next() });
  await updateMFAPreference({ totp: "PREFERRED" });
  const preference = await fetchMFAPreference();
  check(`fetchMFAPreference shows TOTP preferred (${JSON.stringify(preference)})`,
    preference.preferred === "TOTP" && preference.enabled?.join() === "TOTP");
  await signOut();

  const totp = await signIn({ username, password });
  check(`signIn asks for the TOTP code (${totp.nextStep.signInStep})`, totp.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  const confirmed = await confirmSignIn({ challengeResponse: await next() });
  check("confirmSignIn with the code signs in", confirmed.isSignedIn);
  const session = await fetchAuthSession();
  check("the session has the tokens", session.tokens?.idToken?.payload["cognito:username"] === username);

  await updateMFAPreference({ email: "PREFERRED", totp: "ENABLED" });
  await signOut();
  const byEmail = await signIn({ username, password });
  check(`with email preferred, signIn asks for the emailed code (${byEmail.nextStep.signInStep})`,
    byEmail.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
  check(`the code's destination is masked (${byEmail.nextStep.codeDeliveryDetails?.destination})`,
    byEmail.nextStep.codeDeliveryDetails?.destination === `${email[0]}***@${email.split("@")[1][0]}***`);
  const emailed = await confirmSignIn({ challengeResponse: await outboxCode(email) });
  check("confirmSignIn with the emailed code signs in", emailed.isSignedIn);

  await updateMFAPreference({ email: "NOT_PREFERRED", totp: "NOT_PREFERRED" });
  await signOut();
  const choose = await signIn({ username, password });
  check(`with two factors and no preference, signIn asks to choose (${choose.nextStep.signInStep})`,
    choose.nextStep.signInStep === "CONTINUE_SIGN_IN_WITH_MFA_SELECTION");
  check(`between TOTP and email (${choose.nextStep.allowedMFATypes})`, choose.nextStep.allowedMFATypes?.join() === "TOTP,EMAIL");
  const chosen = await confirmSignIn({ challengeResponse: "TOTP" });
  check(`choosing TOTP asks for its code (${chosen.nextStep.signInStep})`, chosen.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  try {
    await confirmSignIn({ challengeResponse: "000000" });
    check("a wrong code is refused", false);
  } catch (error) {
    check(`a wrong code is refused (${error.name})`, error.name === "CodeMismatchException");
  }
  const afterChoice = await confirmSignIn({ challengeResponse: await next() });
  check("the right code, after a wrong one, signs in", afterChoice.isSignedIn);
  await signOut();

  // A pool that requires MFA, and a user with none: the authenticator is set up at sign-in.
  configure(requiredPoolId, requiredClientId);
  const required = await signIn({ username: newUsername, password });
  check(`signIn asks to set up TOTP (${required.nextStep.signInStep})`, required.nextStep.signInStep === "CONTINUE_SIGN_IN_WITH_TOTP_SETUP");
  const newSecret = required.nextStep.totpSetupDetails?.sharedSecret ?? "";
  const done = await confirmSignIn({ challengeResponse: await codes(newSecret)() });
  check("confirmSignIn with the new authenticator's code signs in", done.isSignedIn);
  await signOut();
} catch (error) {
  check(`unexpected error: ${error.name || ""} ${error.message}`, false);
}
finish("mfa (aws-amplify v6)");
