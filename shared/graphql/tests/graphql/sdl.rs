//! The served SDL and the project's public API description, `shared/graphql/schema.graphql`
//! (committed): the served schema must equal it, and a regeneration may only ADD to it — types,
//! fields, optional arguments and input fields, enum values — never rename or drop what clients
//! rely on (docs/graphql.md, "The schema file").

use std::collections::{BTreeMap, BTreeSet};

use async_graphql_parser::parse_schema;
use async_graphql_parser::types::{
    InputValueDefinition, ServiceDocument, TypeKind, TypeSystemDefinition,
};
use oms_graphql::schema_sdl;

const COMMITTED_SDL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");

/// An input value (argument or input field): type string and default value.
type InputValue = (String, Option<String>);

#[derive(Debug, Default)]
struct Field {
    ty: String,
    args: BTreeMap<String, InputValue>,
}

#[derive(Debug, Default)]
struct Type {
    kind: &'static str,
    fields: BTreeMap<String, Field>,
    input_fields: BTreeMap<String, InputValue>,
    values: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct Model {
    types: BTreeMap<String, Type>,
    query: Option<String>,
    mutation: Option<String>,
    subscription: Option<String>,
}

fn input_values(
    values: &[async_graphql_parser::Positioned<InputValueDefinition>],
) -> BTreeMap<String, InputValue> {
    values
        .iter()
        .map(|v| {
            let v = &v.node;
            (
                v.name.node.to_string(),
                (
                    v.ty.node.to_string(),
                    v.default_value.as_ref().map(|d| d.node.to_string()),
                ),
            )
        })
        .collect()
}

fn model(doc: &ServiceDocument) -> Model {
    let mut m = Model::default();
    let mut has_schema_definition = false;
    for def in &doc.definitions {
        match def {
            TypeSystemDefinition::Schema(s) => {
                has_schema_definition = true;
                m.query = s.node.query.as_ref().map(|n| n.node.to_string());
                m.mutation = s.node.mutation.as_ref().map(|n| n.node.to_string());
                m.subscription = s.node.subscription.as_ref().map(|n| n.node.to_string());
            }
            TypeSystemDefinition::Type(t) => {
                let t = &t.node;
                let mut out = Type::default();
                match &t.kind {
                    TypeKind::Scalar => out.kind = "scalar",
                    TypeKind::Object(o) => {
                        out.kind = "type";
                        out.fields = o
                            .fields
                            .iter()
                            .map(|f| {
                                (
                                    f.node.name.node.to_string(),
                                    Field {
                                        ty: f.node.ty.node.to_string(),
                                        args: input_values(&f.node.arguments),
                                    },
                                )
                            })
                            .collect();
                    }
                    TypeKind::Interface(i) => {
                        out.kind = "interface";
                        out.fields = i
                            .fields
                            .iter()
                            .map(|f| {
                                (
                                    f.node.name.node.to_string(),
                                    Field {
                                        ty: f.node.ty.node.to_string(),
                                        args: input_values(&f.node.arguments),
                                    },
                                )
                            })
                            .collect();
                    }
                    TypeKind::Union(u) => {
                        out.kind = "union";
                        out.values = u.members.iter().map(|n| n.node.to_string()).collect();
                    }
                    TypeKind::Enum(e) => {
                        out.kind = "enum";
                        out.values = e
                            .values
                            .iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect();
                    }
                    TypeKind::InputObject(i) => {
                        out.kind = "input";
                        out.input_fields = input_values(&i.fields);
                    }
                }
                m.types.insert(t.name.node.to_string(), out);
            }
            TypeSystemDefinition::Directive(_) => {}
        }
    }
    if !has_schema_definition {
        // The GraphQL default root names.
        for (slot, name) in [
            (&mut m.query, "Query"),
            (&mut m.mutation, "Mutation"),
            (&mut m.subscription, "Subscription"),
        ] {
            if m.types.contains_key(name) {
                *slot = Some(name.to_string());
            }
        }
    }
    m
}

/// An added argument or input field must be optional: nullable or with a default.
fn optional(value: &InputValue) -> bool {
    !value.0.ends_with('!') || value.1.is_some()
}

/// Everything of the contract the served SDL lacks or serves differently.
fn contract_problems(contract: &str, served: &str) -> Result<Vec<String>, String> {
    let contract =
        model(&parse_schema(contract).map_err(|e| format!("contract does not parse: {e}"))?);
    let served =
        model(&parse_schema(served).map_err(|e| format!("served SDL does not parse: {e}"))?);
    let mut problems = Vec::new();
    for (root, c, s) in [
        ("query", &contract.query, &served.query),
        ("mutation", &contract.mutation, &served.mutation),
        ("subscription", &contract.subscription, &served.subscription),
    ] {
        if c.is_some() && c != s {
            problems.push(format!("schema {root} root: contract {c:?}, served {s:?}"));
        }
    }
    for (name, c) in &contract.types {
        let Some(s) = served.types.get(name) else {
            problems.push(format!("{} {name}: missing", c.kind));
            continue;
        };
        if s.kind != c.kind {
            problems.push(format!("{name}: contract {} but served {}", c.kind, s.kind));
            continue;
        }
        for (field, cf) in &c.fields {
            let Some(sf) = s.fields.get(field) else {
                problems.push(format!("{name}.{field}: missing"));
                continue;
            };
            if sf.ty != cf.ty {
                problems.push(format!(
                    "{name}.{field}: contract {} but served {}",
                    cf.ty, sf.ty
                ));
            }
            for (arg, ca) in &cf.args {
                match sf.args.get(arg) {
                    None => problems.push(format!("{name}.{field}({arg}): missing")),
                    Some(sa) if sa != ca => problems.push(format!(
                        "{name}.{field}({arg}): contract {ca:?} but served {sa:?}"
                    )),
                    Some(_) => {}
                }
            }
            for (arg, sa) in &sf.args {
                if !cf.args.contains_key(arg) && !optional(sa) {
                    problems.push(format!(
                        "{name}.{field}({arg}): added argument must be optional, served {sa:?}"
                    ));
                }
            }
        }
        for (field, ci) in &c.input_fields {
            match s.input_fields.get(field) {
                None => problems.push(format!("{name}.{field}: missing")),
                Some(si) if si != ci => {
                    problems.push(format!("{name}.{field}: contract {ci:?} but served {si:?}"))
                }
                Some(_) => {}
            }
        }
        for (field, si) in &s.input_fields {
            if !c.input_fields.contains_key(field) && !optional(si) {
                problems.push(format!(
                    "{name}.{field}: added input field must be optional, served {si:?}"
                ));
            }
        }
        for value in c.values.difference(&s.values) {
            problems.push(format!("{name}: value {value} missing"));
        }
    }
    Ok(problems)
}

fn read_committed() -> String {
    std::fs::read_to_string(COMMITTED_SDL)
        .unwrap_or_else(|e| panic!("cannot read the committed schema {COMMITTED_SDL}: {e}"))
}

#[test]
fn served_schema_covers_the_committed_schema() {
    let problems =
        contract_problems(&read_committed(), &schema_sdl()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        problems.is_empty(),
        "the served schema breaks the published one:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_contract_check_catches_drift() {
    let contract = read_committed();
    let served = schema_sdl();
    let drifts = [
        (
            "\tshippingCost: Money!\n",
            "",
            "Order.shippingCost: missing",
        ),
        (
            "getOrder(orderId: ID!): Order\n",
            "getOrder(orderId: ID!): Order!\n",
            "Query.getOrder: contract Order but served Order!",
        ),
        (
            "first: Int = 20",
            "first: Int = 10",
            "Query.listOrders(first)",
        ),
        (
            "\tIDEMPOTENCY_KEY_REUSED\n",
            "",
            "UserErrorCode: value IDEMPOTENCY_KEY_REUSED missing",
        ),
        (
            "saveDestination: Boolean = false\n\texpectedVersion",
            "saveDestination: Boolean!\n\texpectedVersion",
            "ChangeDestinationInput.saveDestination",
        ),
        (
            "listShippingOptions(orderId: ID!)",
            "listShippingOptions(orderId: ID!, token: String!)",
            "listShippingOptions(token): added argument must be optional",
        ),
        (
            "input MarkAsShippedInput {\n",
            "input MarkAsShippedInput {\n\tnote: String!\n",
            "MarkAsShippedInput.note: added input field must be optional",
        ),
        (
            "scalar Decimal",
            "scalar Decimal2",
            "scalar Decimal: missing",
        ),
    ];
    for (from, to, expected) in drifts {
        assert!(
            served.contains(from),
            "fixture text not in the served SDL: {from:?}"
        );
        let drifted = served.replacen(from, to, 1);
        let problems = contract_problems(&contract, &drifted).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected:?} not reported: {problems:?}"
        );
    }
    // Additions of optional things pass.
    let added = served.replacen(
        "\tshippingNotice: String\n",
        "\tshippingNotice: String\n\textra(limit: Int): [String!]!\n",
        1,
    );
    assert_eq!(contract_problems(&contract, &added), Ok(vec![]));
}

/// What `UPDATE_SCHEMA=1` does: refuse a breaking change, else write `served` over the committed
/// file; `Ok(true)` when the file changed (the caller then fails so the diff gets reviewed).
fn update_committed(committed: &str, served: &str, path: &str) -> Result<bool, String> {
    let problems = contract_problems(committed, served)?;
    if !problems.is_empty() {
        return Err(format!(
            "refusing to update {path}: the served schema renames or drops what clients rely on:\n  {}",
            problems.join("\n  ")
        ));
    }
    if committed == served {
        return Ok(false);
    }
    std::fs::write(path, served).map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(true)
}

#[test]
fn committed_sdl_is_current() {
    let served = schema_sdl();
    let committed = std::fs::read_to_string(COMMITTED_SDL).unwrap_or_default();
    if std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| v == "1") {
        match update_committed(&committed, &served, COMMITTED_SDL) {
            Ok(false) => return,
            Ok(true) => panic!(
                "UPDATE_SCHEMA=1 rewrote shared/graphql/schema.graphql: review `git diff \
                 shared/graphql/schema.graphql`, then run the tests again without UPDATE_SCHEMA"
            ),
            Err(e) => panic!("{e}"),
        }
    }
    if committed == served {
        return;
    }
    let (line, want, got) = committed
        .lines()
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(served.lines().map(Some).chain(std::iter::repeat(None)))
        .take(committed.lines().count().max(served.lines().count()) + 1)
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| {
            (
                i + 1,
                a.unwrap_or("<end of file>"),
                b.unwrap_or("<end of file>"),
            )
        })
        .unwrap_or((0, "", "(trailing whitespace differs)"));
    panic!(
        "shared/graphql/schema.graphql is out of date with the served schema.\n\
         first difference at line {line}:\n  committed: {want}\n  served:    {got}\n\
         Regenerate it with: UPDATE_SCHEMA=1 cargo test -p oms-graphql --test graphql committed_sdl_is_current\n\
         and review the diff (git diff shared/graphql/schema.graphql)."
    );
}

#[test]
fn schema_update_refuses_breaking_changes_and_reports_a_rewrite() {
    let served = schema_sdl();
    let dir = std::env::temp_dir().join(format!("oms-sdl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("schema.graphql");
    let path = path.to_str().unwrap_or_default().to_owned();

    // Up to date: nothing written, nothing to review.
    std::fs::write(&path, &served).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(update_committed(&served, &served, &path), Ok(false));

    // An addition is written and reported as a change to review.
    let older = served.replacen("\ttrackingReference: String\n", "", 1);
    assert_ne!(older, served, "fixture: Order.trackingReference is served");
    std::fs::write(&path, &older).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(update_committed(&older, &served, &path), Ok(true));
    assert_eq!(std::fs::read_to_string(&path).ok(), Some(served.clone()));

    // A drop is refused and the file is left as it was.
    let dropped = served.replacen("\ttrackingReference: String\n", "", 1);
    let refused = update_committed(&served, &dropped, &path);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("trackingReference: missing")),
        "{refused:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).ok(), Some(served));
    let _ = std::fs::remove_dir_all(&dir);
}
