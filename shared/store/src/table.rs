//! The one DynamoDB table definition, as data: `create_table` (feature `dynamodb`) builds it
//! through the SDK, and the SAM template declares the same [`TABLE`] (a check in
//! `infra/check-template.sh` compares them).

use std::time::Duration;

use crate::item::{attr, Index};

/// Name of GSI1.
pub const GSI1: &str = "gsi1";
/// Name of GSI2.
pub const GSI2: &str = "gsi2";
/// Name of GSI3.
pub const GSI3: &str = "gsi3";
/// Name of GSI4.
pub const GSI4: &str = "gsi4";

/// Partition and sort key attribute names (both of type string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySchema {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// A global secondary index (projection ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GsiDefinition {
    pub name: &'static str,
    pub keys: KeySchema,
}

/// Everything that defines the table, in DynamoDB's own spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    pub keys: KeySchema,
    pub gsis: [GsiDefinition; 4],
    /// Projection of every GSI.
    pub projection: &'static str,
    pub billing_mode: &'static str,
    pub ttl_attribute: &'static str,
    pub stream_view_type: &'static str,
}

/// The table: string `pk`/`sk`, GSI1..GSI4 (projection ALL), on-demand, TTL on `expires_at`, stream of
/// new and old images.
pub const TABLE: TableDefinition = TableDefinition {
    keys: KeySchema {
        partition_key: attr::PK,
        sort_key: attr::SK,
    },
    gsis: [
        GsiDefinition {
            name: GSI1,
            keys: KeySchema {
                partition_key: attr::GSI1_PK,
                sort_key: attr::GSI1_SK,
            },
        },
        GsiDefinition {
            name: GSI2,
            keys: KeySchema {
                partition_key: attr::GSI2_PK,
                sort_key: attr::GSI2_SK,
            },
        },
        GsiDefinition {
            name: GSI3,
            keys: KeySchema {
                partition_key: attr::GSI3_PK,
                sort_key: attr::GSI3_SK,
            },
        },
        GsiDefinition {
            name: GSI4,
            keys: KeySchema {
                partition_key: attr::GSI4_PK,
                sort_key: attr::GSI4_SK,
            },
        },
    ],
    projection: "ALL",
    billing_mode: "PAY_PER_REQUEST",
    ttl_attribute: attr::EXPIRES_AT,
    stream_view_type: "NEW_AND_OLD_IMAGES",
};

/// How long [`create_table`] waits for the table and its indexes to become ACTIVE.
pub const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// The DynamoDB index name of `index` (`None` for the base table).
pub fn index_name(index: Index) -> Option<&'static str> {
    match index {
        Index::Primary => None,
        Index::Gsi1 => Some(GSI1),
        Index::Gsi2 => Some(GSI2),
        Index::Gsi3 => Some(GSI3),
        Index::Gsi4 => Some(GSI4),
    }
}

impl TableDefinition {
    /// Every key attribute of the table and its indexes.
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let mut names = vec![self.keys.partition_key, self.keys.sort_key];
        for gsi in &self.gsis {
            names.extend([gsi.keys.partition_key, gsi.keys.sort_key]);
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_names_every_index_key() {
        assert_eq!(
            TABLE.key_attributes(),
            [
                "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk",
                "gsi4sk"
            ]
        );
        assert_eq!(TABLE.gsis.len(), Index::GSIS.len());
        for (index, gsi) in Index::GSIS.into_iter().zip(&TABLE.gsis) {
            assert_eq!(index_name(index), Some(gsi.name));
            let (pk, sk) = index.key_attrs();
            assert_eq!((pk, sk), (gsi.keys.partition_key, gsi.keys.sort_key));
        }
        assert_eq!(index_name(Index::Primary), None);
    }
}
