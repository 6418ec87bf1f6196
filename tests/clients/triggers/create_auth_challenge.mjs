// CreateAuthChallenge: a question in the public parameters, its answer in the private ones.
export const handler = async (event) => {
  if (event.request.challengeName === "CUSTOM_CHALLENGE") {
    const round = event.request.session.length + 1;
    event.response.publicChallengeParameters = { question: `What is ${round} + 4?` };
    event.response.privateChallengeParameters = { answer: String(round + 4) };
    event.response.challengeMetadata = `QUESTION-${round}`;
  }
  return event;
};
