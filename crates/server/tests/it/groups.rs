//! Groups and memberships.

use aws_sdk_cognitoidentityprovider::types::MessageActionType;

use crate::harness::{create_pool, error_code, TestServer};
use crate::on_both_backends;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/admins";

async fn groups_and_memberships(server: TestServer) {
    let pool_id = create_pool(&server).await;
    for username in ["ann", "ben", "cat"] {
        server
            .idp
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(username)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let group = server
        .idp
        .create_group()
        .user_pool_id(&pool_id)
        .group_name("admins")
        .description("Administrators")
        .role_arn(ROLE_ARN)
        .precedence(1)
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(group.role_arn.as_deref(), Some(ROLE_ARN));
    assert_eq!(group.precedence, Some(1));
    let duplicate = server.idp.create_group().user_pool_id(&pool_id).group_name("admins").send().await.unwrap_err();
    assert_eq!(error_code(&duplicate), "GroupExistsException");
    let bad_role = server
        .idp
        .create_group()
        .user_pool_id(&pool_id)
        .group_name("bad")
        .role_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_role), "InvalidParameterException");
    for name in ["editors", "viewers"] {
        server.idp.create_group().user_pool_id(&pool_id).group_name(name).send().await.unwrap();
    }

    let updated = server
        .idp
        .update_group()
        .user_pool_id(&pool_id)
        .group_name("admins")
        .precedence(5)
        .send()
        .await
        .unwrap()
        .group
        .unwrap();
    assert_eq!(updated.precedence, Some(5));
    assert_eq!(updated.description.as_deref(), Some("Administrators"), "members left out of UpdateGroup stay");
    let fetched = server.idp.get_group().user_pool_id(&pool_id).group_name("admins").send().await.unwrap().group.unwrap();
    assert_eq!(fetched.precedence, Some(5));

    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = server.idp.list_groups().user_pool_id(&pool_id).limit(2).set_next_token(token).send().await.unwrap();
        names.extend(page.groups.unwrap_or_default().into_iter().map(|group| group.group_name.unwrap()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, vec!["admins", "editors", "viewers"]);

    for (username, group_name) in [("ann", "admins"), ("ann", "editors"), ("ben", "admins"), ("ann", "admins")] {
        server
            .idp
            .admin_add_user_to_group()
            .user_pool_id(&pool_id)
            .username(username)
            .group_name(group_name)
            .send()
            .await
            .unwrap();
    }
    let ann_groups = server
        .idp
        .admin_list_groups_for_user()
        .user_pool_id(&pool_id)
        .username("ann")
        .send()
        .await
        .unwrap()
        .groups
        .unwrap();
    let ann_group_names: Vec<_> = ann_groups.iter().map(|group| group.group_name.clone().unwrap()).collect();
    assert_eq!(ann_group_names, vec!["admins", "editors"]);
    let members = server
        .idp
        .list_users_in_group()
        .user_pool_id(&pool_id)
        .group_name("admins")
        .send()
        .await
        .unwrap()
        .users
        .unwrap();
    let member_names: Vec<_> = members.iter().map(|user| user.username.clone().unwrap()).collect();
    assert_eq!(member_names, vec!["ann", "ben"]);

    let no_user = server
        .idp
        .admin_add_user_to_group()
        .user_pool_id(&pool_id)
        .username("nobody")
        .group_name("admins")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&no_user), "UserNotFoundException");
    let no_group = server
        .idp
        .admin_add_user_to_group()
        .user_pool_id(&pool_id)
        .username("cat")
        .group_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&no_group), "ResourceNotFoundException");

    server
        .idp
        .admin_remove_user_from_group()
        .user_pool_id(&pool_id)
        .username("ben")
        .group_name("admins")
        .send()
        .await
        .unwrap();
    server.idp.admin_delete_user().user_pool_id(&pool_id).username("ann").send().await.unwrap();
    let members = server.idp.list_users_in_group().user_pool_id(&pool_id).group_name("admins").send().await.unwrap();
    assert!(members.users.unwrap_or_default().is_empty(), "removed and deleted users leave the group");

    server.idp.admin_add_user_to_group().user_pool_id(&pool_id).username("cat").group_name("editors").send().await.unwrap();
    server.idp.delete_group().user_pool_id(&pool_id).group_name("editors").send().await.unwrap();
    let cat_groups = server.idp.admin_list_groups_for_user().user_pool_id(&pool_id).username("cat").send().await.unwrap();
    assert!(cat_groups.groups.unwrap_or_default().is_empty(), "a deleted group takes its memberships");
    let gone = server.idp.get_group().user_pool_id(&pool_id).group_name("editors").send().await.unwrap_err();
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    let gone_again = server.idp.delete_group().user_pool_id(&pool_id).group_name("editors").send().await.unwrap_err();
    assert_eq!(error_code(&gone_again), "ResourceNotFoundException");
}
on_both_backends!(groups_and_memberships_work, super::groups_and_memberships);
