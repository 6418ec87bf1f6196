// CustomMessage, as Cognito's documentation writes it: a message of its own for each source, with
// the code's placeholder (event.request.codeParameter) and, for invitations, the username's.
export const handler = async (event) => {
  const { codeParameter, usernameParameter, clientMetadata } = event.request;
  if (clientMetadata?.fail === "throw") throw new Error("No message today");
  if (clientMetadata?.fail === "no-code") {
    event.response.emailMessage = "A message without its code.";
    return event;
  }
  switch (event.triggerSource) {
    case "CustomMessage_SignUp":
    case "CustomMessage_ResendCode":
      event.response.emailSubject = `Welcome to Acme, ${event.userName}`;
      event.response.emailMessage = `Thanks for joining Acme. Your code is ${codeParameter}.`;
      event.response.smsMessage = `Acme code ${codeParameter}`;
      break;
    case "CustomMessage_AdminCreateUser":
      event.response.emailSubject = "Your Acme account";
      event.response.emailMessage = `Hello ${usernameParameter}, your temporary password is ${codeParameter}.`;
      break;
    case "CustomMessage_ForgotPassword":
      event.response.emailSubject = "Reset your Acme password";
      event.response.emailMessage = `Reset code: ${codeParameter}`;
      break;
    case "CustomMessage_UpdateUserAttribute":
    case "CustomMessage_VerifyUserAttribute":
      event.response.emailMessage = `Confirm your new address with ${codeParameter}`;
      break;
    case "CustomMessage_Authentication":
      event.response.emailSubject = "Acme sign-in";
      event.response.emailMessage = `Sign-in code ${codeParameter}`;
      break;
  }
  return event;
};
