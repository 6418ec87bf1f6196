// A trigger that takes longer than Cognito's 5-second deadline.
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 8000));
  return event;
};
