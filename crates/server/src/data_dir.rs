//! The data directory: created private to the server's user, with the SQLite database, the
//! generated master key and the generated root credentials in it.

use std::path::{Path, PathBuf};

use cognate_domain::crypto::{random_string, MasterKey};

use crate::config::Secret;
use crate::state::RootCredentials;

/// Creates the data directory (master key, root credentials, the SQLite database) readable by
/// this user alone, and narrows an existing one to that.
pub fn prepare_data_dir(path: &Path) -> Result<(), String> {
    std::fs::create_dir_all(path).map_err(|error| format!("creating the data directory {}: {error}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .map_err(|error| format!("making the data directory {} private: {error}", path.display()))?;
    }
    Ok(())
}

/// The file an `sqlite://` URL names, if it is a file.
pub(crate) fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.to_string())
}

/// Creates the SQLite database file readable by this user alone before SQLite opens it (its
/// `-wal` and `-shm` files then get the same mode), and narrows existing ones to that.
pub(crate) fn make_private_database(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| format!("creating {}: {error}", parent.display()))?;
        }
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|error| format!("creating {}: {error}", path.display()))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|error| format!("making {} private: {error}", file.display()))?;
            }
        }
    }
    Ok(())
}

fn write_private_file(path: &Path, contents: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|error| format!("creating {}: {error}", path.display()))?;
    file.write_all(contents.as_bytes()).map_err(|error| format!("writing {}: {error}", path.display()))
}

pub(crate) fn load_or_create_master_key(path: &Path) -> Result<MasterKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => MasterKey::parse(&text).map_err(|error| format!("{}: {error}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate();
            write_private_file(path, &format!("{}\n", key.to_text()))?;
            Ok(key)
        }
        Err(error) => Err(format!("reading {}: {error}", path.display())),
    }
}

/// The root credentials a server of this configuration uses: the configured ones, else those of
/// `<data_dir>/root-credentials` (None before the first start wrote them).
pub fn existing_root_credentials(config: &crate::config::Config) -> Result<Option<RootCredentials>, String> {
    if let Some((access_key_id, secret)) = &config.root_credentials {
        return Ok(Some(RootCredentials { access_key_id: access_key_id.clone(), secret_access_key: secret.clone() }));
    }
    let path = config.data_dir.join("root-credentials");
    if !path.exists() {
        return Ok(None);
    }
    load_or_generate_root_credentials(&path).map(|(credentials, _)| Some(credentials))
}

/// Reads `access_key_id=…` / `secret_access_key=…` lines, or generates new credentials without
/// writing them yet: then also the path [`write_root_credentials`] is to write them to.
pub(crate) fn load_or_generate_root_credentials(path: &Path) -> Result<(RootCredentials, Option<PathBuf>), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let value = |name: &str| {
                text.lines()
                    .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
                    .map(|value| value.trim().to_string())
                    .ok_or_else(|| format!("{} has no {name}", path.display()))
            };
            Ok((
                RootCredentials { access_key_id: value("access_key_id")?, secret_access_key: Secret(value("secret_access_key")?) },
                None,
            ))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let access_key_id = format!("AKIA{}", random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
            let secret_access_key =
                random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
            Ok((RootCredentials { access_key_id, secret_access_key: Secret(secret_access_key) }, Some(path.to_path_buf())))
        }
        Err(error) => Err(format!("reading {}: {error}", path.display())),
    }
}

/// Writes generated root credentials; refuses to replace a file that appeared meanwhile.
pub(crate) fn write_root_credentials(path: &Path, root: &RootCredentials) -> Result<(), String> {
    write_private_file(path, &format!("access_key_id={}\nsecret_access_key={}\n", root.access_key_id, root.secret_access_key.0))
}
