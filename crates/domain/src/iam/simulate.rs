//! IAM's policy simulations: SimulatePrincipalPolicy (a role's, user's or group's own policies
//! and boundary) and SimulateCustomPolicy (policies given as documents), each action on each
//! resource with the given context entries.

use super::*;

impl IamService {
    /// SimulatePrincipalPolicy for a role, a user (with its groups') or a group: every action on
    /// every resource, with the given context entries and any extra policies.
    pub async fn simulate_principal(
        &self,
        source_arn: &str,
        actions: &[String],
        resources: &[String],
        context: &[(String, Vec<String>)],
        extra_policies: &[String],
    ) -> DomainResult<Vec<SimulationResult>> {
        let (mut policies, boundary) = self.source_policies(source_arn).await?;
        for (index, document) in extra_policies.iter().enumerate() {
            policies.push(parse_policy(document, PolicyKind::Identity)?.with_source(format!("PolicyInputList.{}", index + 1), "none"));
        }
        if actions.is_empty() {
            return Err(validation("ActionNames must name at least one action."));
        }
        Ok(decide_each(&policies, &boundary, actions, resources, context))
    }

    /// SimulateCustomPolicy: the given identity policies (and boundary policies, which cap them)
    /// decide every action on every resource, with the given context entries.
    pub fn simulate_custom(
        &self,
        documents: &[String],
        boundary_documents: &[String],
        actions: &[String],
        resources: &[String],
        context: &[(String, Vec<String>)],
    ) -> DomainResult<Vec<SimulationResult>> {
        if documents.is_empty() || actions.is_empty() {
            return Err(validation("PolicyInputList and ActionNames must each name at least one entry."));
        }
        let parse_all = |documents: &[String], list: &str| {
            let named = |(index, document): (usize, &String)| Ok(parse_policy(document, PolicyKind::Identity)?.with_source(format!("{list}.{}", index + 1), "none"));
            documents.iter().enumerate().map(named).collect::<DomainResult<Vec<Policy>>>()
        };
        let (policies, boundary) = (parse_all(documents, "PolicyInputList")?, parse_all(boundary_documents, "PermissionsBoundaryPolicyInputList")?);
        Ok(decide_each(&policies, &boundary, actions, resources, context))
    }

    /// The policies of the role, user or group an ARN names exactly, and its boundary.
    async fn source_policies(&self, arn: &str) -> DomainResult<(Vec<Policy>, Vec<Policy>)> {
        let missing = || DomainError::NotFound(format!("{arn} does not exist."));
        if let Some(role) = self.find_role_by_arn(arn).await? {
            let holder = Holder::Role(&role.name);
            return Ok((self.holder_policies(holder).await?.as_ref().clone(), self.holder_boundary(holder).await?.as_ref().clone()));
        }
        if let Some(name) = crate::ids::arn::iam_name_of(arn, &self.account_id, "user") {
            let user = self.get_user(name).await.map_err(|_| missing())?;
            if user.arn != arn {
                return Err(missing());
            }
            let boundary = self.holder_boundary(Holder::User(&user.name)).await?.as_ref().clone();
            return Ok((self.user_policies(&user).await?, boundary));
        }
        if let Some(name) = crate::ids::arn::iam_name_of(arn, &self.account_id, "group") {
            let group = self.get_group(name).await.map_err(|_| missing())?;
            return if group.arn == arn { Ok((self.holder_policies(Holder::Group(&group.name)).await?.as_ref().clone(), Vec::new())) } else { Err(missing()) };
        }
        Err(missing())
    }
}

/// The decision of `policies`, capped by `boundary` (none: no cap), on each action and each
/// resource (`*` when none are named), with the context entries given.
fn decide_each(policies: &[Policy], boundary: &[Policy], actions: &[String], resources: &[String], context: &[(String, Vec<String>)]) -> Vec<SimulationResult> {
    let resources: Vec<String> = if resources.is_empty() { vec!["*".into()] } else { resources.to_vec() };
    let limits: Vec<&[Policy]> = if boundary.is_empty() { Vec::new() } else { vec![boundary] };
    let mut results = Vec::new();
    for action in actions {
        for resource in &resources {
            let mut request = RequestContext::new(action.clone(), resource.clone());
            for (key, values) in context {
                request.set_all(key, values.clone());
            }
            let decision = policy::evaluate_limited(policies, &limits, &request);
            let matched = match decision {
                Decision::ExplicitDeny => policies.iter().chain(boundary).flat_map(|each| each.matched(&request, policy::Effect::Deny)).collect(),
                Decision::Allowed => policies.iter().flat_map(|each| each.matched(&request, policy::Effect::Allow)).collect(),
                _ => Vec::new(),
            };
            results.push(SimulationResult { action: action.clone(), resource: resource.clone(), decision, matched });
        }
    }
    results
}
