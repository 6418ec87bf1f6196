// PreAuthentication: a user whose custom:locked attribute is "yes" may not sign in.
export const handler = async (event) => {
  if (event.request.userAttributes["custom:locked"] === "yes") {
    throw new Error("This account is locked");
  }
  return event;
};
