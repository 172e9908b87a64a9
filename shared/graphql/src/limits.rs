//! Query protection, computed on the parsed document before validation and execution:
//!
//! - **Depth**: the deepest nesting of fields (fragments expanded). An introspection field
//!   (`__schema`, `__type`) counts as one level: GraphiQL's introspection query nests `ofType`
//!   deeper than any data query needs. Inside introspection, lists may nest at most
//!   [`MAX_INTROSPECTION_LIST_NESTING`] levels (`types { fields { args } }`), which bounds its work.
//! - **Cost** (Shopify-like): a field returning an object costs 1 plus its selection; a scalar or
//!   enum field costs 0; a connection field (one with a `first` argument, i.e. `listOrders`) costs
//!   1 + page size × its selection (page size = `first`, its default 20 when omitted or null; a
//!   `first` outside 1..=MAX_PAGE_SIZE costs like 1, because the use case refuses it before reading
//!   anything).
//! - Over either limit: a top-level error with `extensions.code = "QUERY_TOO_COMPLEX"`. Other
//!   errors of these stages get `GRAPHQL_PARSE_FAILED` / `GRAPHQL_VALIDATION_FAILED`.
//! - An accepted query reports `extensions.cost = {complexity, depth, maxComplexity, maxDepth}`.
//!
//! Each fragment is measured once (memoised), so fragment fan-out cannot make this exponential.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::registry::{MetaField, MetaTypeName, Registry};
use async_graphql::{
    value, ErrorExtensionValues, Name, Response, ServerError, ServerResult, ValidationResult,
    Value, Variables,
};
use oms_application::usecases::MAX_PAGE_SIZE;

use crate::error::{GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX};
use crate::resolvers::queries::DEFAULT_PAGE_SIZE;

/// How deeply lists may nest inside `__schema` / `__type` (GraphiQL needs `types → fields → args`).
pub const MAX_INTROSPECTION_LIST_NESTING: usize = 3;

/// async-graphql's message when the parser's own recursion limit is hit.
const RECURSION_MESSAGE_PREFIX: &str = "The recursion depth of the query";

/// The extension factory installed by the schema builders.
pub(crate) struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            introspection: self.introspection,
            measured: OnceLock::new(),
        })
    }
}

struct LimitsExtension {
    max_depth: usize,
    max_complexity: usize,
    introspection: bool,
    /// The accepted query's measure, for `extensions.cost`.
    measured: OnceLock<Measure>,
}

/// Sets `extensions.code` unless the error already has one.
fn with_code(mut e: ServerError, code: &'static str) -> ServerError {
    let ext = e
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

fn too_complex(message: String) -> ServerError {
    with_code(ServerError::new(message, None), QUERY_TOO_COMPLEX)
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        match self.measured.get() {
            Some(m) => response.extension(
                "cost",
                value!({
                    "complexity": m.cost,
                    "depth": m.depth,
                    "maxComplexity": self.max_complexity,
                    "maxDepth": self.max_depth,
                }),
            ),
            None => response,
        }
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(|e| {
            let code = if e.message.starts_with(RECURSION_MESSAGE_PREFIX) {
                QUERY_TOO_COMPLEX
            } else {
                GRAPHQL_PARSE_FAILED
            };
            with_code(e, code)
        })?;
        let measure = measure(&ctx.schema_env.registry, &doc, variables);
        if !self.introspection && measure.introspection {
            return Err(with_code(
                ServerError::new("Introspection is disabled on this endpoint.", None),
                GRAPHQL_VALIDATION_FAILED,
            ));
        }
        if measure.depth > self.max_depth {
            return Err(too_complex(format!(
                "Query is nested too deep: depth {} exceeds the limit of {}.",
                measure.depth, self.max_depth
            )));
        }
        if measure.introspection_lists > MAX_INTROSPECTION_LIST_NESTING {
            return Err(too_complex(format!(
                "Introspection lists nest {} deep; the limit is {MAX_INTROSPECTION_LIST_NESTING}.",
                measure.introspection_lists
            )));
        }
        if measure.cost > self.max_complexity {
            return Err(too_complex(format!(
                "Query is too complex: cost {} exceeds the limit of {}.",
                measure.cost, self.max_complexity
            )));
        }
        let _ = self.measured.set(measure);
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, GRAPHQL_VALIDATION_FAILED))
                .collect()
        })
    }
}

/// What a selection (set) amounts to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Measure {
    /// Field nesting outside introspection (an introspection field counts 1).
    pub depth: usize,
    /// Deepest nesting of list fields inside introspection.
    pub introspection_lists: usize,
    /// Cost (see the module documentation).
    pub cost: usize,
    /// Whether `__schema` / `__type` is asked for.
    pub introspection: bool,
}

impl Measure {
    /// Siblings: deepest of each, costs add up.
    fn merge(self, other: Measure) -> Measure {
        Measure {
            depth: self.depth.max(other.depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
            cost: self.cost.saturating_add(other.cost),
            introspection: self.introspection || other.introspection,
        }
    }
}

fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

struct Walker<'a> {
    registry: &'a Registry,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    operations: Vec<&'a OperationDefinition>,
    /// (fragment, inside introspection) → its measure.
    memo: HashMap<(&'a str, bool), Measure>,
    visiting: Vec<&'a str>,
}

/// Measures every operation of the document (the deepest / costliest one decides).
pub(crate) fn measure(
    registry: &Registry,
    doc: &ExecutableDocument,
    variables: &Variables,
) -> Measure {
    let operations: Vec<&OperationDefinition> = match &doc.operations {
        DocumentOperations::Single(op) => vec![&op.node],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node).collect(),
    };
    let mut walker = Walker {
        registry,
        doc,
        variables,
        operations: operations.clone(),
        memo: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut worst = Measure::default();
    for op in operations {
        let root = match op.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let m = walker.set(&op.selection_set.node, root, false);
        worst = Measure {
            depth: worst.depth.max(m.depth),
            introspection_lists: worst.introspection_lists.max(m.introspection_lists),
            cost: worst.cost.max(m.cost),
            introspection: worst.introspection || m.introspection,
        };
    }
    worst
}

impl<'a> Walker<'a> {
    fn meta_field(&self, parent: Option<&str>, name: &str) -> Option<&'a MetaField> {
        self.registry.types.get(parent?)?.field_by_name(name)
    }

    fn set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&'a str>,
        in_introspection: bool,
    ) -> Measure {
        let mut total = Measure::default();
        for item in &set.items {
            let m = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent, in_introspection),
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.as_str())
                        .or(parent);
                    self.set(&fragment.node.selection_set.node, on, in_introspection)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), in_introspection)
                }
            };
            total = total.merge(m);
        }
        total
    }

    fn fragment(&mut self, name: &str, in_introspection: bool) -> Measure {
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Measure::default(); // validation reports the unknown fragment
        };
        let key = key.as_str();
        if let Some(m) = self.memo.get(&(key, in_introspection)) {
            return *m;
        }
        if self.visiting.contains(&key) {
            return Measure::default(); // a cycle: validation rejects it
        }
        self.visiting.push(key);
        let on = fragment.node.type_condition.node.on.node.as_str();
        let m = self.set(
            &fragment.node.selection_set.node,
            Some(on),
            in_introspection,
        );
        self.visiting.pop();
        self.memo.insert((key, in_introspection), m);
        m
    }

    fn field(
        &mut self,
        field: &'a Field,
        parent: Option<&'a str>,
        in_introspection: bool,
    ) -> Measure {
        let name = field.name.node.as_str();
        let meta = self.meta_field(parent, name);
        let child_type = meta.map(|f| MetaTypeName::concrete_typename(&f.ty));
        let is_leaf = child_type
            .and_then(|t| self.registry.types.get(t))
            .is_none_or(|t| t.is_leaf());
        let is_list = meta.is_some_and(|f| f.ty.contains('['));
        let entering = !in_introspection && is_introspection(name);
        let inside = in_introspection || entering;
        let children = self.set(&field.selection_set.node, child_type, inside);

        let cost = if is_leaf {
            0
        } else if meta.is_some_and(|f| f.args.contains_key("first")) {
            self.page_size(field)
                .saturating_mul(children.cost)
                .saturating_add(1)
        } else {
            children.cost.saturating_add(1)
        };
        let (depth, introspection_lists) = if entering {
            (1, children.introspection_lists)
        } else if in_introspection {
            (0, children.introspection_lists + usize::from(is_list))
        } else {
            (1 + children.depth, children.introspection_lists)
        };
        Measure {
            depth,
            introspection_lists,
            cost,
            introspection: entering || children.introspection,
        }
    }

    /// The page size a connection field asks for (`first`), as the resolver will see it.
    fn page_size(&self, field: &Field) -> usize {
        let first = field
            .arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == "first")
            .map(|(_, v)| {
                v.node
                    .clone()
                    .into_const_with(|var| Ok::<_, Infallible>(self.variable(&var)))
            });
        let value: Option<i64> = match first {
            None | Some(Ok(Value::Null)) => None,
            Some(Ok(Value::Number(n))) => Some(n.as_i64().unwrap_or(i64::MAX)),
            Some(_) => Some(0), // a type error: validation rejects it
        };
        let first = value.unwrap_or(DEFAULT_PAGE_SIZE);
        if (1..=MAX_PAGE_SIZE).contains(&first) {
            usize::try_from(first).unwrap_or(1)
        } else {
            // Refused by the use case (INVALID_INPUT) before anything is read.
            1
        }
    }

    /// A variable's value: the request's, else the operation's default, else null.
    fn variable(&self, var: &Name) -> Value {
        let from_default = || {
            self.operations.iter().find_map(|op| {
                op.variable_definitions
                    .iter()
                    .find(|d| d.node.name.node == *var)
                    .and_then(|d| d.node.default_value.as_ref().map(|v| &v.node))
            })
        };
        self.variables
            .get(var)
            .or_else(from_default)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use async_graphql::OutputType;
    use serde_json::json;

    fn registry() -> Registry {
        let mut registry = Registry {
            query_type: "Query".into(),
            mutation_type: Some("Mutation".into()),
            ..Registry::default()
        };
        crate::schema::Query::create_type_info(&mut registry);
        crate::schema::Mutation::create_type_info(&mut registry);
        registry
    }

    fn measure_with(registry: &Registry, q: &str, variables: serde_json::Value) -> Measure {
        let doc = parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        measure(registry, &doc, &Variables::from_json(variables))
    }

    fn depth(q: &str) -> usize {
        measure_with(&Registry::default(), q, json!({})).depth
    }

    fn cost(q: &str) -> usize {
        measure_with(&registry(), q, json!({})).cost
    }

    #[test]
    fn depth_counts_nested_fields_through_fragments() {
        assert_eq!(depth("{ me { sub } }"), 2);
        assert_eq!(depth("{ a { b { c } } d }"), 3);
        assert_eq!(
            depth("query { a { ...F } } fragment F on T { b { c { d } } }"),
            4
        );
        assert_eq!(depth("{ a { ... on T { b { c } } } }"), 3);
        assert_eq!(depth("query A { a } query B { b { c { d } } }"), 3);
    }

    #[test]
    fn introspection_counts_as_one_level_but_its_lists_are_capped() {
        let m = measure_with(
            &Registry::default(),
            "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }",
            json!({}),
        );
        assert_eq!((m.depth, m.introspection), (1, true));
        let m = measure_with(
            &Registry::default(),
            "{ __type(name: \"Order\") { fields { name } } me { sub } }",
            json!({}),
        );
        assert_eq!((m.depth, m.introspection), (2, true));
        assert!(
            !measure_with(&Registry::default(), "{ me { __typename } }", json!({})).introspection
        );
    }

    #[test]
    fn fragment_cycles_and_unknown_fragments_terminate() {
        assert_eq!(
            depth("{ a { ...A } } fragment A on T { x { ...B } } fragment B on T { y { ...A } }"),
            3
        );
        assert_eq!(depth("{ a { ...Missing } }"), 1);
    }

    #[test]
    fn repeated_fragments_are_measured_once() {
        // 40 fragments each spreading the next twice: 2^40 paths if expanded, linear here.
        let mut q = String::from("{ a { ...F0 } }");
        for i in 0..40 {
            q.push_str(&format!(
                " fragment F{i} on T {{ x: f {{ ...F{} }} y: f {{ ...F{} }} }}",
                i + 1,
                i + 1
            ));
        }
        q.push_str(" fragment F40 on T { leaf }");
        assert_eq!(depth(&q), 42);
    }

    #[test]
    fn objects_cost_one_and_leaves_nothing() {
        assert_eq!(cost("{ me { sub tenantId roles } }"), 1);
        assert_eq!(cost("{ getOrder(orderId: \"x\") { id total { amount currency } lineItems { sku unitPrice { amount } } } }"), 4);
        assert_eq!(cost("{ a: me { sub } b: me { sub } __typename }"), 2);
        assert_eq!(
            cost(
                "{ getOrder(orderId: \"x\") { ...O } } fragment O on Order { subtotal { amount } }"
            ),
            2
        );
        assert_eq!(cost("mutation { placeOrder(input: { orderId: \"x\" }) { order { id } userErrors { code } } }"), 3);
        // Unknown fields cost nothing (validation rejects them).
        assert_eq!(cost("{ nope { deeper } }"), 0);
    }

    #[test]
    fn connections_cost_by_first() {
        let q = "query($first: Int = 5) { listOrders(as: CUSTOMER, first: $first) { edges { node { id total { amount } } } } }";
        let r = registry();
        // 1 + first × (edges 1 + node 1 + total 1)
        assert_eq!(measure_with(&r, q, json!({})).cost, 16);
        assert_eq!(measure_with(&r, q, json!({ "first": 50 })).cost, 151);
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER) { edges { node { id } } } }"),
            41
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: null) { edges { node { id } } } }"),
            41
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 100) { edges { node { id } } } }"),
            201
        );
        // Outside 1..=MAX_PAGE_SIZE the use case refuses it before reading: charged as one.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 500) { edges { node { id } } } }"),
            3
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 0) { edges { node { id } } } }"),
            3
        );
    }
}
