// UserMigration as Cognito's documentation writes it, over a legacy directory: a user signing in
// with the legacy password is brought in confirmed; one who forgot the password is brought in to
// reset it; anyone else is refused.
const legacy = {
  leo: { password: "Legacy-Pass-1", email: "leo@legacy.example" },
  lia: { password: "Legacy-Pass-2", email: "lia@legacy.example" },
  lou: { password: "Legacy-Pass-1", email: "lou@legacy.example" },
  lex: { password: "Legacy-Pass-1", email: "lex@legacy.example", phone: "+14155550199" },
  ned: { password: "Legacy-Pass-1", email: "ned@legacy.example", action: "SHOUT" },
};

export const handler = async (event) => {
  const found = legacy[event.userName];
  if (event.triggerSource === "UserMigration_Authentication") {
    if (!found || found.password !== event.request.password) {
      throw new Error("Bad password");
    }
    event.response.userAttributes = { email: found.email, email_verified: "true" };
    event.response.finalUserStatus = "CONFIRMED";
    event.response.messageAction = found.action ?? "SUPPRESS";
    if (found.phone) {
      event.response.userAttributes.phone_number = found.phone;
      event.response.userAttributes.phone_number_verified = "true";
      event.response.enableSMSMFA = true;
      event.response.desiredDeliveryMediums = ["SMS"];
    }
  } else if (event.triggerSource === "UserMigration_ForgotPassword") {
    if (!found) {
      throw new Error("User not found");
    }
    event.response.userAttributes = { email: found.email, email_verified: "true" };
    event.response.messageAction = "SUPPRESS";
  }
  return event;
};
