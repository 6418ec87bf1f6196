// PreTokenGeneration V1_0: a claim added to the ID token, the email suppressed, the groups
// replaced, and an attempt at a protected claim (ignored).
export const handler = async (event) => {
  event.response = {
    claimsOverrideDetails: {
      claimsToAddOrOverride: { tenant: "acme", sub: "forged" },
      claimsToSuppress: ["email"],
      groupOverrideDetails: { groupsToOverride: ["readers"], iamRolesToOverride: [], preferredRole: null },
    },
  };
  return event;
};
