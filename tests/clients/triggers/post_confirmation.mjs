// PostConfirmation: nothing to change; the stand-in keeps the event for the test to read.
export const handler = async (event) => event;
