//! The holders of policies (roles, IAM users, groups): the revision that guards what is filed
//! under a holder's name, and UpdateUser and UpdateGroup, which move all of it to a new name.
//!
//! Inline policies, attachments, a login profile and an MFA device are records of their own
//! that name their holder. Each write of one also raises the holder's revision by
//! compare-and-set, in the same transaction; a deletion or a rename reads the holder before it
//! looks at what is filed under it and writes by compare-and-set against that read. The two
//! cannot pass each other: nothing is left filed under a name that is gone, for a later holder
//! of that name to inherit.

use super::managed_policy::ROLE_ATTACHMENT;
use super::*;
use crate::records::{Read, RecordWrite};

/// How many times a write under a holder, or a rename, is tried against others at the same time.
const ATTEMPTS: usize = 8;

impl IamService {
    /// The write that raises a holder's revision, a compare-and-set of its record as it is now;
    /// NotFound when there is no such holder.
    pub(super) async fn holder_revision(&self, holder: Holder<'_>) -> DomainResult<RecordWrite> {
        let missing = |what: &str, name: &str| DomainError::NotFound(format!("The {what} with name {name} cannot be found."));
        match holder {
            Holder::Role(name) => raised(self.store.read_record_of::<Role>("", &role_key(name)).await?, |role| &mut role.revision)?.ok_or_else(|| missing("role", name)),
            Holder::User(name) => raised(self.store.read_record_of::<IamUser>("", &name.to_ascii_lowercase()).await?, |user| &mut user.revision)?.ok_or_else(|| missing("user", name)),
            Holder::Group(name) => raised(self.store.read_record_of::<IamGroup>("", &name.to_ascii_lowercase()).await?, |group| &mut group.revision)?.ok_or_else(|| missing("group", name)),
        }
    }

    /// Writes `write`, a record filed under `holder`, with the holder's revision raised, tried
    /// again while the holder changes meanwhile. A write that conflicts on its own key is
    /// answered `Conflict`.
    pub(super) async fn write_under(&self, holder: Holder<'_>, write: RecordWrite) -> DomainResult<()> {
        for _ in 0..ATTEMPTS {
            let revision = self.holder_revision(holder).await?;
            match self.store.write_records(&[revision, write.clone()]).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(crate::store::ConflictOn::Key)) => return Err(DomainError::Conflict("It exists already.".into())),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(DomainError::from(other)),
            }
        }
        Err(DomainError::TooManyRequests(format!("The {} is being changed by others; try again.", holder.kind())))
    }

    /// UpdateUser: a new name, a new path, or both. The id stays; keys, inline and attached
    /// policies, groups, the login profile and MFA devices move with the name, in one
    /// transaction. Temporary credentials minted for the old name (GetSessionToken,
    /// GetFederationToken) are no longer honoured.
    pub async fn update_user(&self, name: &str, new_name: Option<&str>, new_path: Option<&str>) -> DomainResult<()> {
        check_rename(("userName", "newUserName", 64), name, new_name, new_path)?;
        for _ in 0..ATTEMPTS {
            let read = self.store.read_record_of::<IamUser>("", &name.to_ascii_lowercase()).await?;
            let Some(read) = read else { return Err(DomainError::NotFound(format!("The user with name {name} cannot be found."))) };
            let old = read.value.clone();
            let mut user = old.clone();
            user.name = new_name.unwrap_or(&old.name).to_string();
            user.path = new_path.unwrap_or(&old.path).to_string();
            user.arn = crate::ids::arn::iam_user(&self.account_id, &user.path, &user.name);
            let mut writes = moved_record(&read, &user, user.key())?;
            if user.name != old.name {
                for access_key_id in &old.access_keys {
                    if let Some(key) = self.store.read_record_of::<AccessKey>("", access_key_id).await? {
                        let mut changed = key.value.clone();
                        changed.user_name = user.name.clone();
                        writes.push(changed.swap_at("", access_key_id, &key.stored)?);
                    }
                }
                for group_name in &old.groups {
                    if let Some(group) = self.store.read_record_of::<IamGroup>("", &group_name.to_ascii_lowercase()).await? {
                        let mut changed = group.value.clone();
                        changed.members.remove(&old.name);
                        changed.members.insert(user.name.clone());
                        writes.push(changed.swap_at("", &changed.key(), &group.stored)?);
                    }
                }
                if let Some(profile) = self.store.read_record_of::<LoginProfile>("", &old.key()).await? {
                    let mut changed = profile.value.clone();
                    changed.user_name = user.name.clone();
                    writes.push(profile.value.swap_at("", &old.key(), &profile.stored)?);
                    if changed.key() != old.key() {
                        // A put: a profile left under the new name by no user is replaced.
                        writes.extend([LoginProfile::delete_at("", &old.key()), changed.put()?]);
                    } else {
                        writes.push(changed.replace()?);
                    }
                }
                for device in self.list_mfa_devices(&old.name).await? {
                    let Some(stored) = self.store.read_record_of::<VirtualMfaDevice>("", &device.serial_number).await? else { continue };
                    let mut changed = stored.value.clone();
                    changed.user_name = Some(user.name.clone());
                    writes.push(changed.swap_at("", &device.serial_number, &stored.stored)?);
                }
                self.move_filed(Holder::User(&old.name), Holder::User(&user.name), &mut writes).await?;
            }
            if self.rename(&writes, "User", &user.name).await? {
                self.forget_policies(Holder::User(&old.name));
                self.forget_policies(Holder::User(&user.name));
                return Ok(());
            }
        }
        Err(DomainError::TooManyRequests("The user is being changed by others; try again.".into()))
    }

    /// UpdateGroup: a new name, a new path, or both. The id stays; members, inline and attached
    /// policies move with the name, in one transaction.
    pub async fn update_group(&self, name: &str, new_name: Option<&str>, new_path: Option<&str>) -> DomainResult<()> {
        check_rename(("groupName", "newGroupName", 128), name, new_name, new_path)?;
        for _ in 0..ATTEMPTS {
            let read = self.store.read_record_of::<IamGroup>("", &name.to_ascii_lowercase()).await?;
            let Some(read) = read else { return Err(DomainError::NotFound(format!("The group with name {name} cannot be found."))) };
            let old = read.value.clone();
            let mut group = old.clone();
            group.name = new_name.unwrap_or(&old.name).to_string();
            group.path = new_path.unwrap_or(&old.path).to_string();
            group.arn = crate::ids::arn::iam_group(&self.account_id, &group.path, &group.name);
            let mut writes = moved_record(&read, &group, group.key())?;
            if group.name != old.name {
                for member in &old.members {
                    if let Some(user) = self.store.read_record_of::<IamUser>("", &member.to_ascii_lowercase()).await? {
                        let mut changed = user.value.clone();
                        changed.groups.remove(&old.name);
                        changed.groups.insert(group.name.clone());
                        writes.push(changed.swap_at("", &changed.key(), &user.stored)?);
                    }
                }
                self.move_filed(Holder::Group(&old.name), Holder::Group(&group.name), &mut writes).await?;
            }
            if self.rename(&writes, "Group", &group.name).await? {
                self.forget_policies(Holder::Group(&old.name));
                self.forget_policies(Holder::Group(&group.name));
                return Ok(());
            }
        }
        Err(DomainError::TooManyRequests("The group is being changed by others; try again.".into()))
    }

    /// Writes a rename: true when written, false when something changed meanwhile (to be tried
    /// again); a new name that is taken is EntityAlreadyExists.
    async fn rename(&self, writes: &[RecordWrite], what: &str, new_name: &str) -> DomainResult<bool> {
        match self.store.write_records(writes).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(crate::store::ConflictOn::Key)) => Err(DomainError::Conflict(format!("{what} with name {new_name} already exists."))),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    /// The writes that move what is filed under a holder's scope (inline policies, attachments)
    /// to its new name's, and rename it in the managed policies attached to it. Anything left
    /// under the new name's scope (by no holder) is cleared first.
    async fn move_filed(&self, old: Holder<'_>, new: Holder<'_>, writes: &mut Vec<RecordWrite>) -> DomainResult<()> {
        let (from, to) = (old.scope(), new.scope());
        if from != to {
            for kind in [ROLE_POLICY, ROLE_ATTACHMENT] {
                writes.push(RecordWrite::DeleteScope { kind, scope: to.clone() });
                for (key, data) in self.store.list_records(kind, &from, None, 1000).await? {
                    writes.push(RecordWrite::Delete { kind, scope: from.clone(), key: key.clone() });
                    writes.push(RecordWrite::Insert { kind, scope: to.clone(), key, data, expires_ms: None });
                }
            }
        }
        let (old_name, new_name) = (holder_name(old), holder_name(new));
        let attached: Vec<RoleAttachment> = self.store.list_records_of(&from, None, 1000).await?;
        for attachment in attached {
            let Ok(policy) = self.get_policy(&attachment.policy_arn).await else { continue };
            let Some(stored) = self.store.read_record_of::<ManagedPolicy>("", &policy.key()).await? else { continue };
            let mut changed = stored.value.clone();
            let holders = match new {
                Holder::Role(_) => &mut changed.roles,
                Holder::User(_) => &mut changed.users,
                Holder::Group(_) => &mut changed.groups,
            };
            holders.remove(old_name);
            holders.insert(new_name.to_string());
            writes.push(changed.swap_at("", &policy.key(), &stored.stored)?);
        }
        Ok(())
    }
}

/// A rename's members as IAM checks them: the present and the new name (named by the two
/// members, at most `longest` characters) and the new path.
fn check_rename((member, new_member, longest): (&str, &str, usize), name: &str, new_name: Option<&str>, new_path: Option<&str>) -> DomainResult<()> {
    check_iam_name(name, member, longest)?;
    if let Some(new_name) = new_name {
        check_iam_name(new_name, new_member, longest)?;
    }
    new_path.map_or(Ok(()), check_path)
}

fn holder_name<'a>(holder: Holder<'a>) -> &'a str {
    match holder {
        Holder::Role(name) | Holder::User(name) | Holder::Group(name) => name,
    }
}

/// A record raised one revision, as a compare-and-set of the read; None when there is none.
fn raised<R: Record + Clone>(read: Option<Read<R>>, revision: impl FnOnce(&mut R) -> &mut u64) -> DomainResult<Option<RecordWrite>> {
    let Some(read) = read else { return Ok(None) };
    let mut value = read.value;
    *revision(&mut value) += 1;
    value.swap_at("", &value.key(), &read.stored).map(Some)
}

/// The writes that replace the record `read` with `changed`, filed under `key`: one
/// compare-and-set when the key stays, else the old record checked unchanged and deleted and
/// the new one inserted (`Conflict(Key)` when the key is taken).
fn moved_record<R: Record>(read: &Read<R>, changed: &R, key: String) -> DomainResult<Vec<RecordWrite>> {
    let old_key = read.value.key();
    if old_key == key {
        return Ok(vec![changed.swap_at("", &key, &read.stored)?]);
    }
    Ok(vec![read.value.swap_at("", &old_key, &read.stored)?, R::delete_at("", &old_key), changed.insert()?])
}
