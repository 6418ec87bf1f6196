//! IAM users and their access keys: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, CreateAccessKey,
//! ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed and the user's permissions
//! boundary (Put/DeleteUserPermissionsBoundary), their console passwords (Create, Get, Update and
//! DeleteLoginProfile), their virtual MFA devices (CreateVirtualMFADevice, EnableMFADevice,
//! ListMFADevices, ListVirtualMFADevices, DeactivateMFADevice, DeleteVirtualMFADevice) (their policies:
//! `policies` and `managed`).
//! `caller` is the signing IAM user's name, which the requests that may leave out `UserName`
//! act on.

use cognate_domain::clock::format_iso8601;

use crate::api::iam::error::error_from_domain;
use crate::api::iam::users_wire::*;
use crate::api::iam::wire::{max_items, page_xml, FromQuery};
use cognate_domain::iam::page_of;
use crate::aws::query::{QueryError, QueryInput, Xml};
use crate::state::AppState;

pub async fn create_user(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = CreateUserRequest::from_query(input)?;
    let user = state.iam.create_user(&request.user_name, request.path.as_deref(), request.tags, request.permissions_boundary.as_deref()).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("User");
    user_xml(&mut xml, &user);
    xml.close("User");
    Ok(xml.finish())
}

pub async fn get_user(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let user = state.iam.get_user(request.user(caller)?).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("User");
    user_xml(&mut xml, &user);
    xml.close("User");
    Ok(xml.finish())
}

pub async fn list_users(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = ListUsersRequest::from_query(input)?;
    let page = state
        .iam
        .list_users(request.path_prefix.as_deref(), request.marker.as_deref(), request.max_items)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("Users");
    for user in &page.items {
        xml.open("member");
        user_xml(&mut xml, user);
        xml.close("member");
    }
    xml.close("Users");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

/// UpdateUser: a new name (keys, policies, groups, the login profile and MFA devices move with
/// it) and/or path.
pub async fn update_user(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = RenameRequest::from_query_for(input, "UserName", "NewUserName")?;
    state.iam.update_user(&request.name, request.new_name.as_deref(), request.new_path.as_deref()).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn delete_user(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    state.iam.delete_user(request.user(None)?).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn create_access_key(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let (key, secret) = state.iam.create_access_key(request.user(caller)?).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("AccessKey");
    access_key_xml(&mut xml, &key, Some(&secret));
    xml.close("AccessKey");
    Ok(xml.finish())
}

pub async fn list_access_keys(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let (_, keys) = state.iam.list_access_keys(request.user(caller)?).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("AccessKeyMetadata");
    for key in &keys {
        xml.open("member");
        access_key_xml(&mut xml, key, None);
        xml.close("member");
    }
    xml.close("AccessKeyMetadata");
    page_xml(&mut xml, None);
    Ok(xml.finish())
}

pub async fn update_access_key(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = AccessKeyRequest::from_query(input)?;
    let status = request.status.as_deref().ok_or_else(|| QueryError::validation("Status is required."))?;
    state.iam.update_access_key(request.user(caller)?, &request.access_key_id, status).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn delete_access_key(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = AccessKeyRequest::from_query(input)?;
    state.iam.delete_access_key(request.user(caller)?, &request.access_key_id).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn get_access_key_last_used(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = AccessKeyIdRequest::from_query(input)?;
    let key = state.iam.get_access_key(&request.access_key_id).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.text("UserName", &key.user_name).open("AccessKeyLastUsed");
    if let Some(used) = key.last_used_ms {
        xml.text("LastUsedDate", &format_iso8601(used.div_euclid(1000)));
    }
    xml.text("ServiceName", key.last_used_service.as_deref().unwrap_or("N/A"))
        .text("Region", key.last_used_region.as_deref().unwrap_or("N/A"))
        .close("AccessKeyLastUsed");
    Ok(xml.finish())
}

/// PutUserPermissionsBoundary (`put`) and DeleteUserPermissionsBoundary.
pub async fn change_boundary(state: &AppState, input: &QueryInput, put: bool) -> Result<String, QueryError> {
    let request = UserBoundaryRequest::from_query(input)?;
    if put {
        crate::api::iam::wire::required(input, "PermissionsBoundary")?;
    }
    let boundary = if put { request.permissions_boundary } else { None };
    state.iam.set_permissions_boundary(cognate_domain::iam::Bounded::User(&request.user_name), boundary.as_deref()).await.map_err(error_from_domain)?;
    Ok(String::new())
}

fn login_profile_xml(profile: &cognate_domain::iam::LoginProfile) -> String {
    let mut xml = Xml::new();
    xml.open("LoginProfile");
    xml.text("UserName", &profile.user_name);
    xml.text("CreateDate", &format_iso8601(profile.created_ms.div_euclid(1000)));
    xml.text("PasswordResetRequired", if profile.password_reset_required { "true" } else { "false" });
    xml.close("LoginProfile");
    xml.finish()
}

pub async fn create_login_profile(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = LoginProfileRequest::from_query(input)?;
    let password = request.password.as_deref().ok_or_else(|| QueryError::validation(crate::aws::validation::missing("password")))?;
    let profile = state
        .iam
        .create_login_profile(request.user(caller)?, password, request.password_reset_required.unwrap_or(false))
        .await
        .map_err(error_from_domain)?;
    Ok(login_profile_xml(&profile))
}

pub async fn get_login_profile(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = LoginProfileRequest::from_query(input)?;
    let profile = state.iam.get_login_profile(request.user(caller)?).await.map_err(error_from_domain)?;
    Ok(login_profile_xml(&profile))
}

pub async fn update_login_profile(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = LoginProfileRequest::from_query(input)?;
    state
        .iam
        .update_login_profile(request.user(caller)?, request.password.as_deref(), request.password_reset_required)
        .await
        .map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn delete_login_profile(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = LoginProfileRequest::from_query(input)?;
    state.iam.delete_login_profile(request.user(caller)?).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn create_virtual_mfa_device(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    use base64::Engine;
    let request = CreateVirtualMfaDeviceRequest::from_query(input)?;
    let (device, seed) = state.iam.create_virtual_mfa_device(&request.name, request.path.as_deref()).await.map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("VirtualMFADevice");
    xml.text("SerialNumber", &device.serial_number);
    // A blob in the model: the base32 seed, base64-encoded on the wire.
    xml.text("Base32StringSeed", &base64::engine::general_purpose::STANDARD.encode(&seed));
    // What an authenticator app scans: otpauth://totp/<device name>@<account>?secret=<seed>, as IAM's.
    if let Some(png) = crate::qr::png(&crate::qr::otpauth_uri(&request.name, &state.config.account_id, &seed)) {
        xml.text("QRCodePNG", &base64::engine::general_purpose::STANDARD.encode(png));
    }
    xml.close("VirtualMFADevice");
    Ok(xml.finish())
}

pub async fn enable_mfa_device(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = MfaDeviceRequest::from_query(input)?;
    let missing = |member: &str| QueryError::validation(crate::aws::validation::missing(member));
    let first = request.code1.as_deref().ok_or_else(|| missing("authenticationCode1"))?;
    let second = request.code2.as_deref().ok_or_else(|| missing("authenticationCode2"))?;
    state.iam.enable_mfa_device(request.user(caller)?, &request.serial_number, first, second).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn deactivate_mfa_device(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = MfaDeviceRequest::from_query(input)?;
    state.iam.deactivate_mfa_device(request.user(caller)?, &request.serial_number).await.map_err(error_from_domain)?;
    Ok(String::new())
}

pub async fn delete_virtual_mfa_device(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let request = MfaDeviceRequest::from_query(input)?;
    state.iam.delete_virtual_mfa_device(&request.serial_number).await.map_err(error_from_domain)?;
    Ok(String::new())
}

fn mfa_device_xml(xml: &mut Xml, device: &cognate_domain::iam::VirtualMfaDevice, virtual_listing: bool) {
    xml.open("member");
    if !virtual_listing {
        xml.text("UserName", device.user_name.as_deref().unwrap_or(""));
    }
    xml.text("SerialNumber", &device.serial_number);
    if let Some(enabled) = device.enabled_ms {
        xml.text("EnableDate", &format_iso8601(enabled.div_euclid(1000)));
    }
    xml.close("member");
}

pub async fn list_mfa_devices(state: &AppState, input: &QueryInput, caller: Option<&str>) -> Result<String, QueryError> {
    let request = UserNameRequest::from_query(input)?;
    let devices = state.iam.list_mfa_devices(request.user(caller)?).await.map_err(error_from_domain)?;
    let page = page_of(devices, |device| device.serial_number.clone(), request.marker.as_deref(), request.max_items).map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("MFADevices");
    for device in &page.items {
        mfa_device_xml(&mut xml, device, false);
    }
    xml.close("MFADevices");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}

pub async fn list_virtual_mfa_devices(state: &AppState, input: &QueryInput) -> Result<String, QueryError> {
    let assigned = match input.get("AssignmentStatus") {
        None | Some("Any") => None,
        Some("Assigned") => Some(true),
        Some("Unassigned") => Some(false),
        Some(other) => return Err(QueryError::validation(format!("AssignmentStatus must be Assigned, Unassigned or Any, not {other}"))),
    };
    let page = state
        .iam
        .list_virtual_mfa_devices(assigned, input.get("Marker"), max_items(input)?)
        .await
        .map_err(error_from_domain)?;
    let mut xml = Xml::new();
    xml.open("VirtualMFADevices");
    for device in &page.items {
        mfa_device_xml(&mut xml, device, true);
    }
    xml.close("VirtualMFADevices");
    page_xml(&mut xml, page.marker.as_deref());
    Ok(xml.finish())
}
