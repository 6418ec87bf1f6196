// DefineAuthChallenge as Cognito's documentation writes it: with SRP_A first, the password
// (PASSWORD_VERIFIER) before anything else; then a custom challenge until one is answered right
// (tokens); three wrong answers fail the sign-in.
export const handler = async (event) => {
  const session = event.request.session;
  const last = session[session.length - 1];
  const custom = session.filter((round) => round.challengeName === "CUSTOM_CHALLENGE");
  if (session.length === 1 && last.challengeName === "SRP_A") {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "PASSWORD_VERIFIER";
  } else if (custom.length >= 3 && last.challengeResult === false) {
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
