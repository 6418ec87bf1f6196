// PreTokenGeneration V3_0: for a client_credentials token, a claim added to the access token and a
// scope suppressed; for a user's tokens, a claim in the ID token.
export const handler = async (event) => {
  if (event.triggerSource === "TokenGeneration_ClientCredentials") {
    event.response = {
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: { claimsToAddOrOverride: { tenant: "machines", client_id: "forged" }, scopesToSuppress: ["orders/write"] },
      },
    };
  } else {
    event.response = { claimsAndScopeOverrideDetails: { idTokenGeneration: { claimsToAddOrOverride: { plan: "v3" } } } };
  }
  return event;
};
