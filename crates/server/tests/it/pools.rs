//! User pools: create, describe, update, list, delete, custom attributes and tags.

use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::describe_user_pool::DescribeUserPoolError;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, DeletionProtectionType, PasswordPolicyType, SchemaAttributeType, UserPoolMfaType, UserPoolPolicyType,
    UsernameAttributeType, VerifiedAttributeType,
};

use crate::harness::{create_pool, error_code, unique, TestServer};
use crate::on_both_backends;

async fn pool_lifecycle(server: TestServer) {
    let name = unique("pool");
    let created = server
        .idp
        .create_user_pool()
        .pool_name(&name)
        .schema(
            SchemaAttributeType::builder()
                .name("tenant")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        )
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .user_pool_tags("team", "identity")
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    let pool_id = created.id.clone().unwrap();
    let (region, suffix) = pool_id.split_once('_').unwrap();
    assert_eq!(region, "us-east-1");
    assert_eq!(suffix.len(), 9);
    assert!(suffix.chars().all(|character| character.is_ascii_alphanumeric()));
    assert_eq!(created.arn.as_deref(), Some(format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool_id}").as_str()));
    assert_eq!(created.name.as_deref(), Some(name.as_str()));
    let schema = created.schema_attributes.unwrap();
    let tenant = schema.iter().find(|attribute| attribute.name() == Some("custom:tenant")).expect("custom attribute");
    assert_eq!(tenant.attribute_data_type, Some(AttributeDataType::String));
    assert!(schema.iter().any(|attribute| attribute.name() == Some("email")));
    assert_eq!(created.mfa_configuration, Some(UserPoolMfaType::Off));
    let policy = created.policies.unwrap().password_policy.unwrap();
    assert_eq!(policy.minimum_length, Some(8));
    assert!(policy.require_symbols);

    server
        .idp
        .update_user_pool()
        .user_pool_id(&pool_id)
        .mfa_configuration(UserPoolMfaType::Optional)
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(PasswordPolicyType::builder().minimum_length(12).require_numbers(true).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let described = server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool.unwrap();
    assert_eq!(described.mfa_configuration, Some(UserPoolMfaType::Optional));
    let policy = described.policies.unwrap().password_policy.unwrap();
    assert_eq!(policy.minimum_length, Some(12));
    assert!(!policy.require_symbols, "requirements left out of a given policy are off");
    assert_eq!(described.name.as_deref(), Some(name.as_str()), "an update without PoolName keeps the name");
    assert_eq!(described.estimated_number_of_users, 0);
    assert_eq!(described.user_pool_tags.unwrap().get("team").map(String::as_str), Some("identity"));

    server
        .idp
        .add_custom_attributes()
        .user_pool_id(&pool_id)
        .custom_attributes(
            SchemaAttributeType::builder().name("level").attribute_data_type(AttributeDataType::Number).build(),
        )
        .send()
        .await
        .unwrap();
    let duplicate = server
        .idp
        .add_custom_attributes()
        .user_pool_id(&pool_id)
        .custom_attributes(SchemaAttributeType::builder().name("level").attribute_data_type(AttributeDataType::Number).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&duplicate), "InvalidParameterException");
    let described = server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool.unwrap();
    assert!(described.schema_attributes.unwrap().iter().any(|attribute| attribute.name() == Some("custom:level")));

    server.idp.delete_user_pool().user_pool_id(&pool_id).send().await.unwrap();
    let gone = server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap_err();
    match gone {
        SdkError::ServiceError(error) => {
            assert!(matches!(error.err(), DescribeUserPoolError::ResourceNotFoundException(_)), "{:?}", error.err())
        }
        other => panic!("unexpected error {other:?}"),
    }
}
on_both_backends!(pool_lifecycle_works, super::pool_lifecycle);

async fn pool_listing_pages(server: TestServer) {
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create_pool(&server).await);
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = server.idp.list_user_pools().max_results(2).set_next_token(token.clone()).send().await.unwrap();
        let pools = page.user_pools.unwrap_or_default();
        assert!(pools.len() <= 2);
        seen.extend(pools.into_iter().map(|pool| pool.id.unwrap()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    for pool_id in &created {
        assert_eq!(seen.iter().filter(|seen_id| *seen_id == pool_id).count(), 1, "each pool listed once");
    }
    let too_many = server.idp.list_user_pools().max_results(61).send().await.unwrap_err();
    assert_eq!(error_code(&too_many), "InvalidParameterException");
    let bad_token = server.idp.list_user_pools().max_results(2).next_token("!!not-a-token!!").send().await.unwrap_err();
    assert_eq!(error_code(&bad_token), "InvalidParameterException");
}
on_both_backends!(pool_listing_pages_without_repeats, super::pool_listing_pages);

async fn pool_settings_are_validated(server: TestServer) {
    let bad_length = server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(PasswordPolicyType::builder().minimum_length(5).build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_length), "InvalidParameterException");
    let both = server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .username_attributes(UsernameAttributeType::Email)
        .alias_attributes(aws_sdk_cognitoidentityprovider::types::AliasAttributeType::Email)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&both), "InvalidParameterException");
    let required_custom = server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .schema(SchemaAttributeType::builder().name("tenant").attribute_data_type(AttributeDataType::String).required(true).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&required_custom), "InvalidParameterException");
    let bad_id = server.idp.describe_user_pool().user_pool_id("not-a-pool-id").send().await.unwrap_err();
    assert_eq!(error_code(&bad_id), "InvalidParameterException");
    let missing = server.idp.describe_user_pool().user_pool_id("us-east-1_000000000").send().await.unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");

    let protected = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .deletion_protection(DeletionProtectionType::Active)).await;
    let refused = server.idp.delete_user_pool().user_pool_id(&protected).send().await.unwrap_err();
    assert_eq!(error_code(&refused), "InvalidParameterException");
    server.idp.describe_user_pool().user_pool_id(&protected).send().await.expect("still there");
}
on_both_backends!(pool_settings_are_validated_with_cognito_errors, super::pool_settings_are_validated);

async fn pool_tags(server: TestServer) {
    let pool_id = create_pool(&server).await;
    let arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool_id}");
    server.idp.tag_resource().resource_arn(&arn).tags("env", "test").tags("owner", "qa").send().await.unwrap();
    server.idp.untag_resource().resource_arn(&arn).tag_keys("owner").send().await.unwrap();
    let tags = server.idp.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags.get("env").map(String::as_str), Some("test"));
    let bad_arn = server.idp.list_tags_for_resource().resource_arn("arn:aws:s3:::bucket").send().await.unwrap_err();
    assert_eq!(error_code(&bad_arn), "InvalidParameterException");
    let missing = server
        .idp
        .tag_resource()
        .resource_arn("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_000000000")
        .tags("a", "b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
}
on_both_backends!(pool_tags_round_trip, super::pool_tags);
