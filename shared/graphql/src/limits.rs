//! Query protection, computed on the parsed document before validation and execution:
//!
//! - **Depth**: the deepest nesting of fields (fragments expanded). An introspection field
//!   (`__schema`, `__type`) counts as one level: GraphiQL's introspection query nests `ofType`
//!   deeper than any data query needs. Inside introspection, lists may nest at most
//!   [`MAX_INTROSPECTION_LIST_NESTING`] levels (`types { fields { args } }`), which bounds its work.
//! - **Cost**: what the query makes the server read and render (docs/graphql.md §4):
//!   - a scalar or enum field costs 0; a field returning an object (or a list of objects) costs 1
//!     plus its selection;
//!   - a connection field (one with a `first` argument, i.e. `listOrders`) costs, each time it
//!     runs, 1 (the call) plus [`NODE_COST`] × `first` (each node's stored item read and its
//!     edge) plus its selection, where the nodes' selection is counted **once, not per node**: a
//!     node's fields are projections of the one item already read, and fields selected under
//!     their own name merge, so a node's shape is bounded by the schema;
//!   - but a field selected under an **alias** (response key ≠ field name) repeats output, so
//!     inside the nodes it is charged (with its whole selection) for every node, × `first`;
//!   - page size = `first`, its default 20 when omitted or null; a `first` outside
//!     1..=MAX_PAGE_SIZE reads and renders nothing (the use case refuses it first): 0 nodes.
//!
//!   Outside connections this is the plain sum (every object field 1 plus its selection).
//! - Over either limit: a top-level error with `extensions.code = "QUERY_TOO_COMPLEX"`. Other
//!   errors of these stages get `GRAPHQL_PARSE_FAILED` / `GRAPHQL_VALIDATION_FAILED`.
//! - An accepted query reports `extensions.cost = {complexity, depth, maxComplexity, maxDepth}`.
//!
//! Each fragment is measured once (memoised), so fragment fan-out cannot make this exponential.
//! A field selected twice under its own name (e.g. in two fragments) is counted twice: the
//! measure may overcharge a query, never undercharge it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};

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

/// What each node of a connection costs however much of it is selected: its stored item is read
/// and its edge rendered. 2 is what the thinnest node (`edges { node { id } }`) cost when every
/// object was charged per node, so the number of nodes one query may read (about 500) is unchanged.
pub const NODE_COST: usize = 2;

/// How deeply lists may nest inside `__schema` / `__type` (GraphiQL needs `types → fields → args`).
pub const MAX_INTROSPECTION_LIST_NESTING: usize = 3;

/// async-graphql's message when the parser's own recursion limit is hit.
const RECURSION_MESSAGE_PREFIX: &str = "The recursion depth of the query";

/// How many distinct query texts keep their parsed document (the cache is emptied when full).
const PARSED_DOCUMENTS: usize = 512;

/// Parsed documents by query text: a client sends the same few texts (variables apart), so each
/// is parsed once. Only documents that parsed are kept; the limits are measured per request (a
/// page size may come from the variables).
#[derive(Default)]
pub(crate) struct ParsedDocuments(Mutex<HashMap<String, ExecutableDocument>>);

impl ParsedDocuments {
    fn get(&self, query: &str) -> Option<ExecutableDocument> {
        self.0.lock().ok()?.get(query).cloned()
    }

    fn keep(&self, query: &str, doc: &ExecutableDocument) {
        if let Ok(mut docs) = self.0.lock() {
            if docs.len() >= PARSED_DOCUMENTS {
                docs.clear();
            }
            docs.insert(query.to_owned(), doc.clone());
        }
    }
}

/// The extension factory installed by the schema builders.
pub(crate) struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    pub parsed: Arc<ParsedDocuments>,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            introspection: self.introspection,
            parsed: Arc::clone(&self.parsed),
            measured: OnceLock::new(),
        })
    }
}

struct LimitsExtension {
    max_depth: usize,
    max_complexity: usize,
    introspection: bool,
    parsed: Arc<ParsedDocuments>,
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
        let doc = match self.parsed.get(query) {
            Some(doc) => doc,
            None => {
                let doc = next.run(ctx, query, variables).await.map_err(|e| {
                    let code = if e.message.starts_with(RECURSION_MESSAGE_PREFIX) {
                        QUERY_TOO_COMPLEX
                    } else {
                        GRAPHQL_PARSE_FAILED
                    };
                    with_code(e, code)
                })?;
                self.parsed.keep(query, &doc);
                doc
            }
        };
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

/// What a query amounts to (the costliest / deepest operation of the document).
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

/// What a selection (set) amounts to when it is rendered `n` times: cost `once + n × each`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Part {
    depth: usize,
    introspection_lists: usize,
    /// Charged once however often the selection is rendered (fields under their own name).
    once: usize,
    /// Charged every time it is rendered (aliased copies, and connections, which read).
    each: usize,
    introspection: bool,
}

impl Part {
    /// Siblings: deepest of each, costs add up.
    fn merge(self, other: Part) -> Part {
        Part {
            depth: self.depth.max(other.depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
            once: self.once.saturating_add(other.once),
            each: self.each.saturating_add(other.each),
            introspection: self.introspection || other.introspection,
        }
    }

    /// The cost when rendered `n` times.
    fn cost(&self, n: usize) -> usize {
        self.once.saturating_add(n.saturating_mul(self.each))
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
    /// (fragment, inside introspection, page size of the connection it is spread in) → its part.
    memo: HashMap<(&'a str, bool, Option<usize>), Part>,
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
        let m = walker.set(&op.selection_set.node, root, false, None);
        worst = Measure {
            depth: worst.depth.max(m.depth),
            introspection_lists: worst.introspection_lists.max(m.introspection_lists),
            cost: worst.cost.max(m.cost(1)),
            introspection: worst.introspection || m.introspection,
        };
    }
    worst
}

impl<'a> Walker<'a> {
    fn meta_field(&self, parent: Option<&str>, name: &str) -> Option<&'a MetaField> {
        self.registry.types.get(parent?)?.field_by_name(name)
    }

    /// `page`: set when this is the selection of a connection with that page size (its list
    /// fields, `edges`, render once per node).
    fn set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&'a str>,
        in_introspection: bool,
        page: Option<usize>,
    ) -> Part {
        let mut total = Part::default();
        for item in &set.items {
            let m = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent, in_introspection, page),
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.as_str())
                        .or(parent);
                    self.set(
                        &fragment.node.selection_set.node,
                        on,
                        in_introspection,
                        page,
                    )
                }
                Selection::FragmentSpread(spread) => self.fragment(
                    spread.node.fragment_name.node.as_str(),
                    in_introspection,
                    page,
                ),
            };
            total = total.merge(m);
        }
        total
    }

    fn fragment(&mut self, name: &str, in_introspection: bool, page: Option<usize>) -> Part {
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Part::default(); // validation reports the unknown fragment
        };
        let key = key.as_str();
        if let Some(m) = self.memo.get(&(key, in_introspection, page)) {
            return *m;
        }
        if self.visiting.contains(&key) {
            return Part::default(); // a cycle: validation rejects it
        }
        self.visiting.push(key);
        let on = fragment.node.type_condition.node.on.node.as_str();
        let m = self.set(
            &fragment.node.selection_set.node,
            Some(on),
            in_introspection,
            page,
        );
        self.visiting.pop();
        self.memo.insert((key, in_introspection, page), m);
        m
    }

    /// `page`: the page size when `field` is selected directly on a connection.
    fn field(
        &mut self,
        field: &'a Field,
        parent: Option<&'a str>,
        in_introspection: bool,
        page: Option<usize>,
    ) -> Part {
        let name = field.name.node.as_str();
        let meta = self.meta_field(parent, name);
        let child_type = meta.map(|f| MetaTypeName::concrete_typename(&f.ty));
        let is_leaf = child_type
            .and_then(|t| self.registry.types.get(t))
            .is_none_or(|t| t.is_leaf());
        let is_list = meta.is_some_and(|f| f.ty.contains('['));
        let entering = !in_introspection && is_introspection(name);
        let inside = in_introspection || entering;
        // A connection: how many nodes it reads and renders.
        let nodes = meta
            .is_some_and(|f| f.args.contains_key("first"))
            .then(|| self.page_size(field));
        let children = self.set(&field.selection_set.node, child_type, inside, nodes);
        // How often the selection renders per rendering of this field: once per node for the
        // list (`edges`) of a connection, else once.
        let per = match page {
            Some(n) if is_list => n,
            _ => 1,
        };
        let aliased = field
            .alias
            .as_ref()
            .is_some_and(|a| a.node.as_str() != name);
        let (once, each) = if is_leaf {
            (0, 0)
        } else if let Some(n) = nodes {
            // Every time it runs: the call, each node's read and edge, the selection.
            let run = n
                .saturating_mul(NODE_COST)
                .saturating_add(1)
                .saturating_add(children.cost(1));
            (0, run)
        } else if aliased {
            // A copy that shares nothing: its whole selection, every time it renders.
            (0, per.saturating_mul(children.cost(1)).saturating_add(1))
        } else {
            (
                children.once.saturating_add(1),
                per.saturating_mul(children.each),
            )
        };
        let (depth, introspection_lists) = if entering {
            (1, children.introspection_lists)
        } else if in_introspection {
            (0, children.introspection_lists + usize::from(is_list))
        } else {
            (1 + children.depth, children.introspection_lists)
        };
        Part {
            depth,
            introspection_lists,
            once,
            each,
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
            usize::try_from(first).unwrap_or(0)
        } else {
            // Refused by the use case (INVALID_INPUT) before anything is read.
            0
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
    fn connections_cost_the_call_one_read_per_node_and_their_selection_once() {
        let q = "query($first: Int = 5) { listOrders(as: CUSTOMER, first: $first) { edges { node { id total { amount } } } } }";
        let r = registry();
        // 1 + 2 × first + (edges 1 + node 1 + total 1)
        assert_eq!(measure_with(&r, q, json!({})).cost, 14);
        assert_eq!(measure_with(&r, q, json!({ "first": 50 })).cost, 104);
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER) { edges { node { id } } } }"),
            43
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: null) { edges { node { id } } } }"),
            43
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 100) { edges { node { id } } } }"),
            203
        );
        // More fields of the node are projections of the same item: counted once, not per node.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 100) { edges { node { id total { amount } subtotal { amount } lineItems { sku unitPrice { amount } } } } pageInfo { hasNextPage } } }"),
            1 + 200 + (1 + 1 + 1 + 1 + 2 + 1)
        );
        // Outside 1..=MAX_PAGE_SIZE the use case refuses it before reading: no node.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 500) { edges { node { id } } } }"),
            3
        );
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 0) { edges { node { id } } } }"),
            3
        );
    }

    #[test]
    fn aliases_repeat_output_so_inside_nodes_they_are_charged_per_node() {
        // The call, 10 nodes, edges + node.
        let base = 1 + 2 * 10 + 2;
        // Two aliased copies of `total` in every node: (1 + 0) × 10 each.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 10) { edges { node { id a: total { amount } b: total { amount } } } } }"),
            base + 2 * 10
        );
        // An alias equal to the field's name is no copy.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 10) { edges { node { id total: total { amount } } } } }"),
            base + 1
        );
        // A copy of `edges` renders every node again, shape included.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 10) { edges { node { id } } again: edges { node { id total { amount } } } } }"),
            base + (1 + 10 * 2)
        );
        // A copy of `pageInfo` is one object.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 10) { edges { node { id } } pageInfo { hasNextPage } p: pageInfo { endCursor } } }"),
            base + 2
        );
        // Copies nested in copies multiply; fragments are charged where they are spread.
        assert_eq!(
            cost("{ listOrders(as: CUSTOMER, first: 10) { edges { node { ...L } } } } fragment L on Order { x: lineItems { y: unitPrice { amount } z: lineTotal { amount } } }"),
            base + 10 * (1 + 2)
        );
        // Whole connections under aliases each read: the plain sum.
        assert_eq!(
            cost("{ a: listOrders(as: CUSTOMER, first: 10) { edges { node { id } } } b: listOrders(as: VENDOR, first: 10) { edges { node { id } } } }"),
            2 * base
        );
    }
}
