//! Users through the admin API, and ListUsers with filters and pages.

use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, MessageActionType, SchemaAttributeType, UserStatusType, UsernameAttributeType,
    UsernameConfigurationType,
};

use crate::harness::{error_code, unique, TestServer};
use crate::on_both_backends;

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

async fn pool_with_custom_attribute(server: &TestServer) -> String {
    server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .schema(SchemaAttributeType::builder().name("tenant").attribute_data_type(AttributeDataType::String).build())
        .schema(
            SchemaAttributeType::builder()
                .name("region")
                .attribute_data_type(AttributeDataType::String)
                .mutable(false)
                .string_attribute_constraints(
                    aws_sdk_cognitoidentityprovider::types::StringAttributeConstraintsType::builder().max_length("8").build(),
                )
                .build(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("level")
                .attribute_data_type(AttributeDataType::Number)
                .number_attribute_constraints(
                    aws_sdk_cognitoidentityprovider::types::NumberAttributeConstraintsType::builder()
                        .min_value("1")
                        .max_value("10")
                        .build(),
                )
                .build(),
        )
        .schema(SchemaAttributeType::builder().name("given_name").required(true).build())
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap()
}

async fn user_lifecycle(server: TestServer) {
    let pool_id = pool_with_custom_attribute(&server).await;
    let created = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(attribute("email", "alice@example.com"))
        .user_attributes(attribute("given_name", "Alice"))
        .user_attributes(attribute("custom:tenant", "acme"))
        .user_attributes(attribute("custom:region", "emea"))
        .user_attributes(attribute("custom:level", "3"))
        .temporary_password("Temp-Pass-123")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(created.username.as_deref(), Some("alice"));
    assert_eq!(created.user_status, Some(UserStatusType::ForceChangePassword));
    assert!(created.enabled);
    let attributes = created.attributes.unwrap();
    let sub = attributes.iter().find(|attribute| attribute.name == "sub").unwrap().value.clone().unwrap();
    assert!(uuid::Uuid::parse_str(&sub).is_ok(), "sub is a UUID: {sub}");

    let duplicate = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(attribute("given_name", "Other"))
        .send()
        .await
        .unwrap_err();
    match &duplicate {
        SdkError::ServiceError(error) => assert!(matches!(error.err(), AdminCreateUserError::UsernameExistsException(_))),
        other => panic!("unexpected {other:?}"),
    }
    let missing_required = server.idp.admin_create_user().user_pool_id(&pool_id).username("bob").send().await.unwrap_err();
    assert_eq!(error_code(&missing_required), "InvalidParameterException");
    let weak_password = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("carol")
        .user_attributes(attribute("given_name", "Carol"))
        .temporary_password("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&weak_password), "InvalidPasswordException");
    let bad_email = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("dave")
        .user_attributes(attribute("given_name", "Dave"))
        .user_attributes(attribute("email", "not-an-email"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_email), "InvalidParameterException");
    let unknown_attribute = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("erin")
        .user_attributes(attribute("given_name", "Erin"))
        .user_attributes(attribute("custom:missing", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown_attribute), "InvalidParameterException");

    server
        .idp
        .admin_update_user_attributes()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(attribute("email", "alice@new.example.com"))
        .user_attributes(attribute("custom:tenant", "globex"))
        .send()
        .await
        .unwrap();
    let fetched = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    let value = |name: &str| {
        fetched
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name == name)
            .and_then(|attribute| attribute.value.clone())
    };
    assert_eq!(value("email").as_deref(), Some("alice@new.example.com"));
    assert_eq!(value("email_verified").as_deref(), Some("false"), "a changed email is unverified");
    assert_eq!(value("custom:tenant").as_deref(), Some("globex"));
    assert_eq!(value("sub").as_deref(), Some(sub.as_str()));
    for (name, value) in [("custom:region", "apac"), ("custom:level", "11"), ("custom:level", "high"), ("phone_number", "555-0100")] {
        let refused = server
            .idp
            .admin_update_user_attributes()
            .user_pool_id(&pool_id)
            .username("alice")
            .user_attributes(attribute(name, value))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&refused), "InvalidParameterException", "{name} = {value}");
    }
    let too_long = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("long")
        .user_attributes(attribute("given_name", "Long"))
        .user_attributes(attribute("custom:region", "much-too-long"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&too_long), "InvalidParameterException");
    let change_sub = server
        .idp
        .admin_update_user_attributes()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(attribute("sub", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&change_sub), "InvalidParameterException");

    server
        .idp
        .admin_delete_user_attributes()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attribute_names("custom:tenant")
        .send()
        .await
        .unwrap();
    let required = server
        .idp
        .admin_delete_user_attributes()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attribute_names("given_name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&required), "InvalidParameterException");
    let fetched = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    assert!(fetched.user_attributes().iter().all(|attribute| attribute.name != "custom:tenant"));
    assert!(fetched.user_attributes().iter().any(|attribute| attribute.name == "given_name"));

    server.idp.admin_disable_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    let disabled = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    assert!(!disabled.enabled);
    server.idp.admin_enable_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    assert!(server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap().enabled);

    server
        .idp
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("alice")
        .password("Another-Temp-1")
        .permanent(false)
        .send()
        .await
        .unwrap();
    let temporary = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    assert_eq!(temporary.user_status, Some(UserStatusType::ForceChangePassword));
    let weak = server
        .idp
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("alice")
        .password("weakpass")
        .permanent(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&weak), "InvalidPasswordException");
    server
        .idp
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("alice")
        .password("Str0ng-Password!")
        .permanent(true)
        .send()
        .await
        .unwrap();
    let confirmed = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    assert_eq!(confirmed.user_status, Some(UserStatusType::Confirmed));
    let resend = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alice")
        .message_action(MessageActionType::Resend)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&resend), "UnsupportedUserStateException");

    server.idp.admin_delete_user().user_pool_id(&pool_id).username("alice").send().await.unwrap();
    let gone = server.idp.admin_get_user().user_pool_id(&pool_id).username("alice").send().await.unwrap_err();
    assert_eq!(error_code(&gone), "UserNotFoundException");
    let gone_again = server.idp.admin_delete_user().user_pool_id(&pool_id).username("alice").send().await.unwrap_err();
    assert_eq!(error_code(&gone_again), "UserNotFoundException");
    let no_pool = server.idp.admin_get_user().user_pool_id("us-east-1_000000000").username("alice").send().await.unwrap_err();
    assert_eq!(error_code(&no_pool), "ResourceNotFoundException");
}
on_both_backends!(user_lifecycle_works, super::user_lifecycle);

async fn list_users_filters_and_pages(server: TestServer) {
    let pool_id = pool_with_custom_attribute(&server).await;
    for index in 0..23 {
        let family = if index % 2 == 0 { "Smith" } else { "Jones" };
        server
            .idp
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(format!("user{index:02}"))
            .user_attributes(attribute("given_name", &format!("Given{index}")))
            .user_attributes(attribute("family_name", family))
            .user_attributes(attribute("email", &format!("user{index:02}@example.com")))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    server.idp.admin_disable_user().user_pool_id(&pool_id).username("user05").send().await.unwrap();
    server
        .idp
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("user07")
        .password("Str0ng-Password!")
        .permanent(true)
        .send()
        .await
        .unwrap();

    let list = |filter: &str| {
        let request = server.idp.list_users().user_pool_id(&pool_id).filter(filter);
        async move { request.send().await.unwrap().users.unwrap_or_default() }
    };
    let by_email = list("email = \"user03@example.com\"").await;
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].username.as_deref(), Some("user03"));
    assert_eq!(list("family_name = \"Smith\"").await.len(), 12);
    assert_eq!(list("given_name ^= \"Given1\"").await.len(), 11, "Given1 and Given10..Given19");
    let disabled = list("status = \"Disabled\"").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].username.as_deref(), Some("user05"));
    let confirmed = list("cognito:user_status = \"confirmed\"").await;
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].username.as_deref(), Some("user07"));
    assert!(list("email = \"nobody@example.com\"").await.is_empty());

    let mut seen = Vec::new();
    let mut token = None;
    let mut n_pages = 0;
    loop {
        let page = server
            .idp
            .list_users()
            .user_pool_id(&pool_id)
            .limit(10)
            .set_pagination_token(token)
            .attributes_to_get("email")
            .send()
            .await
            .unwrap();
        n_pages += 1;
        for user in page.users.unwrap_or_default() {
            let attributes = user.attributes.unwrap_or_default();
            assert!(attributes.iter().all(|attribute| attribute.name == "email"), "AttributesToGet restricts attributes");
            seen.push(user.username.unwrap());
        }
        token = page.pagination_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(n_pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 23, "every user exactly once across pages");

    let mut filtered = Vec::new();
    let mut token = None;
    loop {
        let page = server
            .idp
            .list_users()
            .user_pool_id(&pool_id)
            .filter("family_name = \"Jones\"")
            .limit(4)
            .set_pagination_token(token)
            .send()
            .await
            .unwrap();
        filtered.extend(page.users.unwrap_or_default().into_iter().map(|user| user.username.unwrap()));
        token = page.pagination_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(filtered.len(), 11);

    for bad_filter in ["email", "email = unquoted", "custom:tenant = \"acme\"", "email != \"x\""] {
        let error = server.idp.list_users().user_pool_id(&pool_id).filter(bad_filter).send().await.unwrap_err();
        assert_eq!(error_code(&error), "InvalidParameterException", "filter {bad_filter}");
    }
    let too_many = server.idp.list_users().user_pool_id(&pool_id).limit(61).send().await.unwrap_err();
    assert_eq!(error_code(&too_many), "InvalidParameterException");
    let described = server.idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool.unwrap();
    assert_eq!(described.estimated_number_of_users, 23);
}
on_both_backends!(list_users_filters_and_pages_correctly, super::list_users_filters_and_pages);

async fn username_attributes_and_case(server: TestServer) {
    let email_pool = crate::harness::pool_from(server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .username_attributes(UsernameAttributeType::Email)).await;
    let created = server
        .idp
        .admin_create_user()
        .user_pool_id(&email_pool)
        .username("frank@example.com")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    let username = created.username.clone().unwrap();
    assert!(uuid::Uuid::parse_str(&username).is_ok(), "the username of an email pool is the sub: {username}");
    let by_email = server.idp.admin_get_user().user_pool_id(&email_pool).username("frank@example.com").send().await.unwrap();
    assert_eq!(by_email.username, username);
    let taken = server
        .idp
        .admin_create_user()
        .user_pool_id(&email_pool)
        .username("Frank@Example.com")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&taken), "UsernameExistsException");
    let not_email = server
        .idp
        .admin_create_user()
        .user_pool_id(&email_pool)
        .username("frank")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&not_email), "InvalidParameterException");

    let insensitive_pool = server
        .idp
        .create_user_pool()
        .pool_name(unique("pool"))
        .username_configuration(UsernameConfigurationType::builder().case_sensitive(false).build().unwrap())
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    assert_eq!(insensitive_pool.username_configuration.as_ref().map(|configuration| configuration.case_sensitive), Some(false));
    let pool_id = insensitive_pool.id.unwrap();
    server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("Grace")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let fetched = server.idp.admin_get_user().user_pool_id(&pool_id).username("GRACE").send().await.unwrap();
    assert_eq!(fetched.username, "Grace", "the username keeps the case it was created with");
    let clash = server
        .idp
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("grace")
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&clash), "UsernameExistsException");
}
on_both_backends!(username_attributes_and_case_sensitivity, super::username_attributes_and_case);
