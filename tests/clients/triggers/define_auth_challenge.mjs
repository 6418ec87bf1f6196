// DefineAuthChallenge as Cognito's documentation writes it: a custom challenge until one is
// answered right (tokens), three wrong answers fail the sign-in.
export const handler = async (event) => {
  const session = event.request.session;
  const last = session[session.length - 1];
  if (session.length >= 3 && last.challengeResult === false) {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  } else if (session.length > 0 && last.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    event.response.issueTokens = true;
    event.response.failAuthentication = false;
  } else {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  }
  return event;
};
