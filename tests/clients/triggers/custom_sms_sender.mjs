// CustomSMSSender: the pool's own SMS sender. A real one decrypts event.request.code and texts it;
// this one accepts the event, or fails when the caller's ClientMetadata asks it to.
export const handler = async (event) => {
  if (event.request.type !== "customSMSSenderRequestV1") throw new Error(`Unexpected type ${event.request.type}`);
  if (event.request.clientMetadata?.fail === "throw") throw new Error("The SMS gateway is down");
  return event;
};
