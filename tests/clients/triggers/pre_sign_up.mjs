// PreSignUp as Cognito's documentation writes it: confirm and verify users of example.com at once;
// refuse addresses of blocked.example.
export const handler = async (event) => {
  const email = event.request.userAttributes.email ?? "";
  if (email.endsWith("@blocked.example")) {
    throw new Error("Sign-ups from blocked.example are closed");
  }
  if (email.endsWith("@example.com") && event.request.validationData?.invited === "yes") {
    event.response.autoConfirmUser = true;
    event.response.autoVerifyEmail = true;
  }
  return event;
};
