//! Permissions of API keys and the tier table of section 2, checked in one place.

use std::fmt;

use crate::error::AuthError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// GET `/v1/orders*`, `/v1/fills`, `/v1/positions`.
    Read,
    /// POST `/v1/orders`, `/v1/orders/cancel`, `/v1/orders/{order_hash}/cancel-onchain`.
    Trade,
}

impl Permission {
    pub const ALL: [Permission; 2] = [Permission::Read, Permission::Trade];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Trade => "trade",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        match s {
            "read" => Some(Permission::Read),
            "trade" => Some(Permission::Trade),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Permission::Read => 1,
            Permission::Trade => 2,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions. `trade` does not imply `read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Permissions(u8);

impl Permissions {
    /// What a key gets when its creator names none.
    pub const DEFAULT: Permissions = Permissions(1);

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Parses a client's list; duplicates collapse. The error names the unknown entry.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Permissions, String> {
        let mut set = Permissions(0);
        for n in names {
            let p = Permission::parse(n.as_ref())
                .ok_or_else(|| format!("unknown permission {:?} (use read, trade)", n.as_ref()))?;
            set.0 |= p.bit();
        }
        Ok(set)
    }

    /// The stored form: `read,trade`.
    pub fn to_stored(self) -> String {
        self.iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_stored(s: &str) -> Option<Permissions> {
        if s.is_empty() {
            return Some(Permissions(0));
        }
        Permissions::from_names(&s.split(',').collect::<Vec<_>>()).ok()
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

/// What a route requires, declared where the route is registered (section 2's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A Privy JWT only; an API key is refused with 403.
    L1,
    /// A JWT (every permission) or an API key holding this permission.
    L2(Permission),
    /// A JWT or an API key holding either permission (`POST /v1/auth/ws-token`).
    L2Any,
}

/// Which credential authenticated a request, for the tier check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    Jwt,
    ApiKey(Permissions),
}

impl Access {
    /// The tier table, enforced for every route.
    pub fn check(self, credential: CredentialKind) -> Result<(), AuthError> {
        match (self, credential) {
            (_, CredentialKind::Jwt) => Ok(()),
            (Access::L1, CredentialKind::ApiKey(_)) => Err(AuthError::KeyOnL1),
            (Access::L2(p), CredentialKind::ApiKey(held)) if held.contains(p) => Ok(()),
            (Access::L2(p), CredentialKind::ApiKey(_)) => Err(AuthError::MissingPermission(p)),
            (Access::L2Any, CredentialKind::ApiKey(held)) if !held.is_empty() => Ok(()),
            (Access::L2Any, CredentialKind::ApiKey(_)) => {
                Err(AuthError::MissingPermission(Permission::Read))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(names: &[&str]) -> CredentialKind {
        CredentialKind::ApiKey(Permissions::from_names(names).unwrap())
    }

    #[test]
    fn the_tier_table_holds() {
        assert!(Access::L1.check(CredentialKind::Jwt).is_ok());
        assert!(matches!(
            Access::L1.check(key(&["read", "trade"])),
            Err(AuthError::KeyOnL1)
        ));
        assert!(Access::L2(Permission::Trade)
            .check(CredentialKind::Jwt)
            .is_ok());
        assert!(Access::L2(Permission::Read).check(key(&["read"])).is_ok());
        assert!(matches!(
            Access::L2(Permission::Trade).check(key(&["read"])),
            Err(AuthError::MissingPermission(Permission::Trade))
        ));
        // trade does not imply read
        assert!(matches!(
            Access::L2(Permission::Read).check(key(&["trade"])),
            Err(AuthError::MissingPermission(Permission::Read))
        ));
        assert!(Access::L2Any.check(key(&["trade"])).is_ok());
        assert!(Access::L2Any.check(key(&["read"])).is_ok());
        assert!(Access::L2Any.check(key(&[])).is_err());
    }

    #[test]
    fn permissions_parse_and_store() {
        assert_eq!(Permissions::DEFAULT.names(), ["read"]);
        let p = Permissions::from_names(&["trade", "read", "trade"]).unwrap();
        assert_eq!(p.to_stored(), "read,trade");
        assert_eq!(Permissions::from_stored("read,trade"), Some(p));
        assert_eq!(
            Permissions::from_stored("trade").unwrap().names(),
            ["trade"]
        );
        assert!(Permissions::from_names(&["admin"])
            .unwrap_err()
            .contains("admin"));
        assert_eq!(Permissions::from_stored("bogus"), None);
    }
}
