// aws-amplify v6 against cognate's remembered devices, in a pool that remembers them and lets a
// remembered device replace the second factor: signIn → CONFIRM_SIGN_IN_WITH_TOTP_CODE →
// confirmSignIn (Amplify confirms the device itself), fetchDevices, a second signIn that
// completes through DEVICE_SRP_AUTH without a code, a refresh that keeps the device, and
// forgetDevice, after which the code is asked again.
// Usage: node devices_amplify.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD TOTP_SECRET
//
// Amplify names the device from the browser's `navigator` (getDeviceName) and skips ConfirmDevice
// without a word when there is none, as under Node 20: the script gives it the one a browser has.
globalThis.navigator ??= { userAgent: "cognate-test-browser/1.0" };
const { Amplify } = await import("aws-amplify");
const { confirmSignIn, fetchAuthSession, fetchDevices, forgetDevice, signIn, signOut } = await import("aws-amplify/auth");
import { check, finish } from "./checks.mjs";
import { codes } from "./totp.mjs";

const [endpoint, poolId, clientId, username, password, secret] = process.argv.slice(2);
Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint } } });
const next = codes(secret);

try {
  await next(); // the step the driver's verification used
  const first = await signIn({ username, password });
  check(`a sign-in from a new device asks for the code (${first.nextStep.signInStep})`,
    first.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  const confirmed = await confirmSignIn({ challengeResponse: await next() });
  check("confirmSignIn signs in", confirmed.isSignedIn);
  const devices = await fetchDevices();
  check(`fetchDevices lists the device Amplify confirmed (${devices.length})`, devices.length === 1 && /^us-east-1_/.test(devices[0].id)
    && devices[0].name === "cognate-test-browser/1.0");
  const deviceKey = devices[0].id;
  check(`and it is remembered (${devices[0].attributes["dev:device_remembered_status"]})`,
    devices[0].attributes["dev:device_remembered_status"] === "remembered");
  await signOut();

  const second = await signIn({ username, password });
  check(`the next signIn on that device completes without a code (${second.nextStep.signInStep})`, second.isSignedIn);
  const session = await fetchAuthSession();
  check("its access token is bound to the device", session.tokens?.accessToken?.payload.device_key === deviceKey);
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  check("a forced refresh keeps the device", refreshed.tokens?.accessToken?.payload.device_key === deviceKey
    && refreshed.tokens.accessToken.toString() !== session.tokens.accessToken.toString());

  await forgetDevice();
  check("forgetDevice removes it", (await fetchDevices()).length === 0);
  await signOut();
  const third = await signIn({ username, password });
  check(`after forgetDevice the code is asked again (${third.nextStep.signInStep})`,
    third.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  const again = await confirmSignIn({ challengeResponse: await next() });
  check("and the sign-in completes", again.isSignedIn);
} catch (error) {
  check(`unexpected error: ${error.name || ""} ${error.message}`, false);
}
finish("devices (aws-amplify v6)");
