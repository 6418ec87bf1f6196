// PreTokenGeneration V2_0: a claim and a scope added to the access token, a claim to the ID token.
export const handler = async (event) => {
  event.response = {
    claimsAndScopeOverrideDetails: {
      idTokenGeneration: { claimsToAddOrOverride: { plan: "gold" } },
      accessTokenGeneration: { claimsToAddOrOverride: { roles: ["admin", "ops"] }, scopesToAdd: ["orders/read"] },
    },
  };
  return event;
};
