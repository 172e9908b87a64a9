//! The one DynamoDB table definition, as data: `create_table` (feature `dynamodb`) builds it
//! through the SDK, and the SAM template declares the same [`TABLE`] (a check in
//! `infra/check-template.sh` compares them). The embedded store applies the same index
//! projection ([`TableDefinition::project`]) so that no code can rely on an attribute an index
//! query does not return on DynamoDB.

use std::time::Duration;

use crate::item::{attr, Index, Item};

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

/// A global secondary index (projection: [`TableDefinition::projection`]).
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
    /// Projection type of every GSI (`INCLUDE`: the keys and [`Self::non_key_attributes`]).
    pub projection: &'static str,
    /// The non-key attributes every GSI projects besides the table's and its own keys.
    pub non_key_attributes: &'static [&'static str],
    pub billing_mode: &'static str,
    pub ttl_attribute: &'static str,
    pub stream_view_type: &'static str,
}

/// The table: string `pk`/`sk`, GSI1..GSI4, on-demand, TTL on `expires_at`, stream of new and old
/// images.
///
/// The GSIs project the keys and the TTL attribute only (docs/data-model.md "Table"): an index
/// entry is rewritten only when one of its projected attributes changes, so an order write that
/// keeps its list keys writes no index, and a list reads the page of keys from the index and the
/// bodies from the table. `expires_at` is projected so that an index query hides expired items
/// like every other read (the store's TTL rule).
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
    projection: "INCLUDE",
    non_key_attributes: &[attr::EXPIRES_AT],
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

    /// What `index` holds of `item`, as a query of it returns the item: `None` when the item
    /// lacks one of the index's key attributes (GSIs are sparse); on a GSI only the table's keys,
    /// the index's keys and [`Self::non_key_attributes`] (DynamoDB projects no other index's
    /// keys); the whole item on the base table. Takes the item: a query reads each row once,
    /// and its projection keeps the row's values instead of copying them.
    pub fn project(&self, index: Index, item: Item) -> Option<Item> {
        if index == Index::Primary {
            return Some(item);
        }
        let (pk, sk) = index.key_attrs();
        if !item.contains_key(pk) || !item.contains_key(sk) {
            return None;
        }
        let kept = |name: &str| {
            [self.keys.partition_key, self.keys.sort_key, pk, sk].contains(&name)
                || match self.projection {
                    "ALL" => true,
                    "INCLUDE" => self.non_key_attributes.contains(&name),
                    _ => false, // KEYS_ONLY
                }
        };
        Some(item.into_iter().filter(|(name, _)| kept(name)).collect())
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

    #[test]
    fn the_indexes_project_the_keys_and_the_ttl_attribute_only() {
        // Golden values, written out: the template and docs/data-model.md say the same.
        assert_eq!(TABLE.projection, "INCLUDE");
        assert_eq!(TABLE.non_key_attributes, ["expires_at"]);
        let item: Item = [
            "pk",
            "sk",
            "gsi1pk",
            "gsi1sk",
            "gsi2pk",
            "gsi2sk",
            "body",
            "status",
            "expires_at",
        ]
        .into_iter()
        .map(|n| {
            let value = match n {
                "expires_at" => crate::Value::N(1),
                _ => crate::Value::from(n),
            };
            (n.to_owned(), value)
        })
        .collect();
        let names = |index| {
            TABLE
                .project(index, item.clone())
                .map(|i| i.into_keys().collect::<Vec<_>>())
        };
        assert_eq!(
            names(Index::Gsi1),
            Some(vec![
                "expires_at".into(),
                "gsi1pk".into(),
                "gsi1sk".into(),
                "pk".into(),
                "sk".into()
            ])
        );
        assert_eq!(
            names(Index::Gsi2),
            Some(vec![
                "expires_at".into(),
                "gsi2pk".into(),
                "gsi2sk".into(),
                "pk".into(),
                "sk".into()
            ])
        );
        assert_eq!(names(Index::Gsi3), None, "sparse: no gsi3 keys");
        assert_eq!(names(Index::Primary).map(|n| n.len()), Some(item.len()));
    }
}
