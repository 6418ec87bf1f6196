// amazon-cognito-identity-js against cognate's remembered devices, in a pool that remembers them
// and lets a remembered device replace the second factor: an SRP sign-in answered with the
// authenticator's code confirms the device (ConfirmDevice with the library's own verifier); the
// next sign-in passes DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER without a code; getDevice and
// listDevices show it; after forgetDevice the code is asked again.
// Usage: node devices_cognito_js.mjs ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD TOTP_SECRET
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { check, finish } from "./checks.mjs";
import { codes } from "./totp.mjs";

const [endpoint, poolId, clientId, username, password, secret] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
const next = codes(secret);

// Signs in with SRP; answers a TOTP challenge when one comes. Resolves with the user and whether
// a code was asked.
function signIn() {
  const user = new CognitoUser({ Username: username, Pool: pool });
  let asked = false;
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: () => resolve({ user, asked }),
      onFailure: reject,
      totpRequired: async () => {
        asked = true;
        user.sendMFACode(await next(), callbacks, "SOFTWARE_TOKEN_MFA");
      },
      mfaRequired: () => reject(new Error("unexpected SMS_MFA")),
    };
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), callbacks);
  });
}

const call = (user, method, ...args) =>
  new Promise((resolve, reject) => user[method](...args, { onSuccess: resolve, onFailure: reject }));

try {
  await next(); // the step the driver's verification used
  const first = await signIn();
  check("a sign-in from a new device asks for the code", first.asked);
  const deviceKey = first.user.deviceKey;
  check(`and leaves a confirmed device key (${deviceKey})`, /^us-east-1_[0-9a-f-]{36}$/.test(deviceKey ?? ""));
  const device = await call(first.user, "getDevice");
  const status = device.Device.DeviceAttributes.find((attribute) => attribute.Name === "dev:device_remembered_status");
  check(`getDevice shows it remembered (${status?.Value})`, status?.Value === "remembered");

  const second = await signIn();
  check("the next sign-in on that device passes DEVICE_SRP_AUTH without a code", !second.asked);
  check("its tokens are bound to the device", second.user.getSignInUserSession().getAccessToken().decodePayload().device_key === deviceKey);
  const listed = await new Promise((resolve, reject) =>
    second.user.listDevices(10, null, { onSuccess: resolve, onFailure: reject }));
  check(`listDevices lists the device (${listed.Devices.length})`, listed.Devices.length === 1 && listed.Devices[0].DeviceKey === deviceKey);

  await call(second.user, "forgetDevice");
  const third = await signIn();
  check("after forgetDevice the code is asked again", third.asked);
  check("and a new device key is confirmed", third.user.deviceKey && third.user.deviceKey !== deviceKey);
} catch (error) {
  check(`unexpected error: ${error.code || ""} ${error.message}`, false);
}
finish("devices (amazon-cognito-identity-js)");
