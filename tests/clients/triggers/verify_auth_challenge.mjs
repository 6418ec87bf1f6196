// VerifyAuthChallengeResponse: the answer against the private parameters.
export const handler = async (event) => {
  event.response.answerCorrect = event.request.privateChallengeParameters.answer === event.request.challengeAnswer;
  return event;
};
