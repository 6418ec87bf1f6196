//! SimulatePrincipalPolicy (the decision of a role's, user's or group's policies on each action
//! and resource) and SimulateCustomPolicy (of policies given as documents), with the statements
//! that decided each.

use cognate_domain::iam::SimulationResult;

use crate::api::iam::error::error_from_domain;
use crate::api::iam::wire::*;
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn simulate_principal_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = SimulatePrincipalPolicyRequest::from_query(input)?;
    let results = state
        .iam
        .simulate_principal(&request.policy_source_arn, &request.action_names, &request.resource_arns, &request.context, &request.policy_input_list)
        .await
        .map_err(error_from_domain)?;
    Ok(results_xml(&results))
}

pub fn simulate_custom_policy(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = SimulateCustomPolicyRequest::from_query(input)?;
    let results = state
        .iam
        .simulate_custom(&request.policy_input_list, &request.boundary_policy_input_list, &request.action_names, &request.resource_arns, &request.context)
        // The documents are the input here: IAM answers InvalidInput for one that does not parse.
        .map_err(|error| match error {
            cognate_domain::DomainError::MalformedPolicy(message) => QueryError::sender("InvalidInput", message),
            other => error_from_domain(other),
        })?;
    Ok(results_xml(&results))
}

fn results_xml(results: &[SimulationResult]) -> String {
    let mut xml = Xml::new();
    xml.open("EvaluationResults");
    for result in results {
        xml.open("member")
            .text("EvalActionName", &result.action)
            .text("EvalResourceName", &result.resource)
            .text("EvalDecision", result.decision.as_str())
            .open("MatchedStatements");
        for statement in &result.matched {
            xml.open("member").text("SourcePolicyId", &statement.source.id).text("SourcePolicyType", &statement.source.kind);
            for (name, place) in [("StartPosition", statement.start), ("EndPosition", statement.end)] {
                xml.open(name).text("Line", &place.line.to_string()).text("Column", &place.column.to_string()).close(name);
            }
            xml.close("member");
        }
        xml.close("MatchedStatements")
            .open("MissingContextValues")
            .close("MissingContextValues")
            .close("member");
    }
    xml.close("EvaluationResults").text("IsTruncated", "false");
    xml.finish()
}
