//! Permissions of API keys: what each allows and the set a key holds.

use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

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
