// A trigger that answers something that is not the event.
export const handler = async () => "not an event";
