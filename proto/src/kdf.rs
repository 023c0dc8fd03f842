//! Argon2id cost parameters (protocol §2) as they travel in the `kdf` object.

use serde::{Deserialize, Serialize};

/// Smallest `m_kib` accepted (§2).
pub const KDF_M_KIB_MIN: u32 = 8192;
/// Largest `m_kib` accepted (§2).
pub const KDF_M_KIB_MAX: u32 = 262_144;
/// Smallest `t` accepted (§2).
pub const KDF_T_MIN: u32 = 1;
/// Largest `t` accepted (§2).
pub const KDF_T_MAX: u32 = 10;
/// Smallest `p` accepted (§2).
pub const KDF_P_MIN: u32 = 1;
/// Largest `p` accepted (§2).
pub const KDF_P_MAX: u32 = 4;

/// Argon2id cost parameters, the `kdf` JSON object of §2 and §5.
///
/// Deserializing does not check the bounds: call [`KdfParams::validate`]
/// before trusting them. A recipient must, before it allocates anything:
/// the parameters come from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    #[cfg_attr(feature = "openapi", schema(minimum = 8192, maximum = 262144))]
    pub m_kib: u32,
    /// Passes over memory.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10))]
    pub t: u32,
    /// Lanes.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4))]
    pub p: u32,
}

/// A KDF parameter outside the bounds of §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfOutOfBounds {
    /// The JSON name of the parameter: `m_kib`, `t` or `p`.
    pub name: &'static str,
    /// The value that was given.
    pub value: u32,
    /// The smallest value allowed.
    pub min: u32,
    /// The largest value allowed.
    pub max: u32,
}

impl core::fmt::Display for KdfOutOfBounds {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "kdf parameter {} = {} is outside {}..={}",
            self.name, self.value, self.min, self.max
        )
    }
}

impl std::error::Error for KdfOutOfBounds {}

impl KdfParams {
    /// The default of §2: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        m_kib: 65_536,
        t: 3,
        p: 1,
    };

    /// Checks the bounds of §2.
    pub fn validate(&self) -> Result<(), KdfOutOfBounds> {
        let check = |name, value, min, max| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(KdfOutOfBounds {
                    name,
                    value,
                    min,
                    max,
                })
            }
        };
        check("m_kib", self.m_kib, KDF_M_KIB_MIN, KDF_M_KIB_MAX)?;
        check("t", self.t, KDF_T_MIN, KDF_T_MAX)?;
        check("p", self.p, KDF_P_MIN, KDF_P_MAX)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_name_the_parameter() {
        assert_eq!(KdfParams::DEFAULT.validate(), Ok(()));
        let edge = KdfParams {
            m_kib: KDF_M_KIB_MAX,
            t: KDF_T_MIN,
            p: KDF_P_MAX,
        };
        assert_eq!(edge.validate(), Ok(()));
        let low = KdfParams {
            m_kib: KDF_M_KIB_MIN - 1,
            ..KdfParams::DEFAULT
        };
        assert_eq!(low.validate().map_err(|e| e.name), Err("m_kib"));
        let high_p = KdfParams {
            p: 5,
            ..KdfParams::DEFAULT
        };
        assert_eq!(high_p.validate().map_err(|e| e.name), Err("p"));
    }
}
