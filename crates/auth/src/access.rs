//! The tier table of docs/api.md 2.1: what a route requires of the credential, checked in one
//! place.

use crate::error::AuthError;
use crate::permissions::{Permission, Permissions};

/// What a route requires, declared where the route is registered (the table of docs/api.md 2.1).
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
}
