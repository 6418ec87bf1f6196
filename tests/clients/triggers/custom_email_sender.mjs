// CustomEmailSender: the pool's own email sender. A real one decrypts event.request.code and mails
// it; this one accepts the event (the stand-in keeps it, where the test reads the code).
export const handler = async (event) => {
  if (event.request.type !== "customEmailSenderRequestV1") throw new Error(`Unexpected type ${event.request.type}`);
  return event;
};
