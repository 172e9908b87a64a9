//! Schema builders: the whole API and one schema per resolver group (docs/graphql.md).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::{
    Data, EmptyMutation, EmptySubscription, Executor, MergedObject, ObjectType, Request, Response,
    Schema, SchemaBuilder,
};
use oms_application::Oms;

use crate::limits::Limits;
use crate::resolvers::{
    AccountMutation, AccountQuery, CheckoutMutation, GetOrderQuery, ListOrdersQuery, ShippingQuery,
    VendorMutation,
};

/// Limits and switches of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaOptions {
    /// Serve `__schema` / `__type` (on by default; turn off in production if wanted).
    pub introspection: bool,
    /// Deepest field nesting accepted (introspection fields count as one level).
    pub max_depth: usize,
    /// Highest query cost accepted: objects 1, scalars 0, `listOrders` 1 + 2 × first + its
    /// selection once, aliased copies inside its nodes × first (docs/graphql.md §4).
    pub max_complexity: usize,
}

impl SchemaOptions {
    pub const DEFAULT_MAX_DEPTH: usize = 12;
    pub const DEFAULT_MAX_COMPLEXITY: usize = 1000;
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            introspection: true,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_complexity: Self::DEFAULT_MAX_COMPLEXITY,
        }
    }
}

/// Root query of the whole API.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(AccountQuery, GetOrderQuery, ListOrdersQuery, ShippingQuery);

/// Root mutation of the whole API.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(AccountMutation, CheckoutMutation, VendorMutation);

/// Query root of the `checkout` group: getOrder, listShippingOptions.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct CheckoutQueryRoot(GetOrderQuery, ShippingQuery);

/// Mutation root of the `checkout` group.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct CheckoutMutationRoot(CheckoutMutation);

/// Query root of the `orders` and `vendor` groups: getOrder, listOrders.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct OrdersQueryRoot(GetOrderQuery, ListOrdersQuery);

/// Mutation root of the `vendor` group.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct VendorMutationRoot(VendorMutation);

/// Query root of the `account` group: me, listCustomerAddresses.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct AccountQueryRoot(AccountQuery);

/// Mutation root of the `account` group: syncUser.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct AccountMutationRoot(AccountMutation);

/// The whole API (what `oms serve` mounts at `POST /graphql`).
pub type OmsSchema = Schema<Query, Mutation, EmptySubscription>;
pub type CheckoutSchema = Schema<CheckoutQueryRoot, CheckoutMutationRoot, EmptySubscription>;
pub type OrdersSchema = Schema<OrdersQueryRoot, EmptyMutation, EmptySubscription>;
pub type VendorSchema = Schema<OrdersQueryRoot, VendorMutationRoot, EmptySubscription>;
pub type AccountSchema = Schema<AccountQueryRoot, AccountMutationRoot, EmptySubscription>;

/// A resolver group: one Lambda behind `POST /graphql/{group}` serving part of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Checkout,
    Orders,
    Vendor,
    Account,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Checkout,
        Group::Orders,
        Group::Vendor,
        Group::Account,
    ];

    /// The route segment: `checkout`, `orders`, `vendor`, `account`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Group::Checkout => "checkout",
            Group::Orders => "orders",
            Group::Vendor => "vendor",
            Group::Account => "account",
        }
    }

    /// Case-insensitive inverse of [`Group::as_str`].
    pub fn parse(raw: &str) -> Option<Group> {
        Group::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// The Query fields the group serves.
    pub fn query_fields(&self) -> &'static [&'static str] {
        match self {
            Group::Checkout => &["getOrder", "listShippingOptions"],
            Group::Orders | Group::Vendor => &["getOrder", "listOrders"],
            Group::Account => &["me", "listCustomerAddresses"],
        }
    }

    /// The Mutation fields the group serves.
    pub fn mutation_fields(&self) -> &'static [&'static str] {
        match self {
            Group::Checkout => &[
                "checkoutItems",
                "addLineItems",
                "removeLineItems",
                "changeOrderQuantity",
                "changeDestination",
                "addCoupon",
                "removeCoupon",
                "selectShippingOption",
                "placeOrder",
                "confirmOrder",
                "cancelOrder",
            ],
            Group::Orders => &[],
            Group::Vendor => &[
                "markAsShipped",
                "addShippingTrackingReference",
                "markAsCompleted",
            ],
            Group::Account => &["syncUser"],
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`Group`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGroup(pub String);

impl fmt::Display for UnknownGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown resolver group '{}' (expected checkout, orders, vendor or account)",
            self.0
        )
    }
}

impl std::error::Error for UnknownGroup {}

impl FromStr for Group {
    type Err = UnknownGroup;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Group::parse(s).ok_or_else(|| UnknownGroup(s.to_string()))
    }
}

fn builder<Q, M>(
    query: Q,
    mutation: M,
    options: SchemaOptions,
) -> SchemaBuilder<Q, M, EmptySubscription>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
{
    let builder = Schema::build(query, mutation, EmptySubscription).extension(Limits {
        max_depth: options.max_depth,
        max_complexity: options.max_complexity,
        introspection: options.introspection,
        parsed: Arc::default(),
    });
    if options.introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

fn finish<Q, M>(
    query: Q,
    mutation: M,
    oms: Oms,
    options: SchemaOptions,
) -> Schema<Q, M, EmptySubscription>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
{
    builder(query, mutation, options).data(oms).finish()
}

/// The SDL of the whole API (the committed `shared/graphql/schema.graphql`), without building
/// the use cases: for `oms`-style "print the schema" commands and the snapshot test.
pub fn schema_sdl() -> String {
    builder(
        Query::default(),
        Mutation::default(),
        SchemaOptions::default(),
    )
    .finish()
    .sdl()
}

/// The SDL one resolver group serves.
pub fn group_sdl(group: Group) -> String {
    let options = SchemaOptions::default();
    match group {
        Group::Checkout => builder(
            CheckoutQueryRoot::default(),
            CheckoutMutationRoot::default(),
            options,
        )
        .finish()
        .sdl(),
        Group::Orders => builder(OrdersQueryRoot::default(), EmptyMutation, options)
            .finish()
            .sdl(),
        Group::Vendor => builder(
            OrdersQueryRoot::default(),
            VendorMutationRoot::default(),
            options,
        )
        .finish()
        .sdl(),
        Group::Account => builder(
            AccountQueryRoot::default(),
            AccountMutationRoot::default(),
            options,
        )
        .finish()
        .sdl(),
    }
}

/// The whole API. Execute requests with the verified caller in the request data:
/// `schema.execute(Request::new(query).data(caller))`.
pub fn build_schema(oms: Oms, options: SchemaOptions) -> OmsSchema {
    finish(Query::default(), Mutation::default(), oms, options)
}

/// The schema of one resolver group, as an [`AnySchema`].
pub fn build_group_schema(group: Group, oms: Oms, options: SchemaOptions) -> AnySchema {
    GroupSchema::of(group).build(oms, options)
}

/// A resolver group together with the builder of its schema.
///
/// A group's Lambda function names its group as a constant, so the compiler keeps only that
/// group's builder, and with it only that group's resolvers and execution code: the other groups
/// and the whole API are not linked into the function (docs/deploy.md, "Binary size").
#[derive(Clone, Copy)]
pub struct GroupSchema {
    pub group: Group,
    build: fn(Oms, SchemaOptions) -> AnySchema,
}

impl GroupSchema {
    pub const CHECKOUT: GroupSchema = GroupSchema {
        group: Group::Checkout,
        build: |oms, options| {
            AnySchema::of(
                Some(Group::Checkout),
                finish(
                    CheckoutQueryRoot::default(),
                    CheckoutMutationRoot::default(),
                    oms,
                    options,
                ),
            )
        },
    };
    pub const ORDERS: GroupSchema = GroupSchema {
        group: Group::Orders,
        build: |oms, options| {
            AnySchema::of(
                Some(Group::Orders),
                finish(OrdersQueryRoot::default(), EmptyMutation, oms, options),
            )
        },
    };
    pub const VENDOR: GroupSchema = GroupSchema {
        group: Group::Vendor,
        build: |oms, options| {
            AnySchema::of(
                Some(Group::Vendor),
                finish(
                    OrdersQueryRoot::default(),
                    VendorMutationRoot::default(),
                    oms,
                    options,
                ),
            )
        },
    };
    pub const ACCOUNT: GroupSchema = GroupSchema {
        group: Group::Account,
        build: |oms, options| {
            AnySchema::of(
                Some(Group::Account),
                finish(
                    AccountQueryRoot::default(),
                    AccountMutationRoot::default(),
                    oms,
                    options,
                ),
            )
        },
    };

    /// The group's builder. Always inlined: called with a constant group (a function's `main`),
    /// it folds to that one group's builder.
    #[inline(always)]
    pub const fn of(group: Group) -> GroupSchema {
        match group {
            Group::Checkout => GroupSchema::CHECKOUT,
            Group::Orders => GroupSchema::ORDERS,
            Group::Vendor => GroupSchema::VENDOR,
            Group::Account => GroupSchema::ACCOUNT,
        }
    }

    /// Builds the group's schema.
    pub fn build(self, oms: Oms, options: SchemaOptions) -> AnySchema {
        (self.build)(oms, options)
    }
}

impl From<Group> for GroupSchema {
    fn from(group: Group) -> Self {
        GroupSchema::of(group)
    }
}

impl fmt::Debug for GroupSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GroupSchema").field(&self.group).finish()
    }
}

/// A schema behind dynamic dispatch: only the schemas a process builds are compiled into it
/// (an enum over every schema type would link all of them into every function).
trait DynSchema: Send + Sync {
    fn execute(&self, request: Request) -> BoxFuture<'_, Response>;
    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response>;
    fn sdl(&self) -> String;
}

impl<Q, M> DynSchema for Schema<Q, M, EmptySubscription>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
{
    fn execute(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(Schema::execute(self, request))
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        Executor::execute_stream(self, request, session_data)
    }

    fn sdl(&self) -> String {
        Schema::sdl(self)
    }
}

/// The whole API or one group's part of it, behind one type a server can route to.
/// Implements [`async_graphql::Executor`], so transport adapters (e.g. async-graphql-axum's
/// `GraphQL::new`) accept it directly.
#[derive(Clone)]
pub struct AnySchema {
    group: Option<Group>,
    schema: Arc<dyn DynSchema>,
}

impl AnySchema {
    fn of<Q, M>(group: Option<Group>, schema: Schema<Q, M, EmptySubscription>) -> Self
    where
        Q: ObjectType + 'static,
        M: ObjectType + 'static,
    {
        AnySchema {
            group,
            schema: Arc::new(schema),
        }
    }

    /// The whole API.
    pub fn full(oms: Oms, options: SchemaOptions) -> Self {
        build_schema(oms, options).into()
    }

    /// The group this schema serves; `None` for the whole API.
    pub fn group(&self) -> Option<Group> {
        self.group
    }

    /// Executes one request (put the `Caller` in its data first).
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        self.schema.execute(request.into()).await
    }

    /// The SDL this schema serves.
    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }
}

impl From<OmsSchema> for AnySchema {
    fn from(s: OmsSchema) -> Self {
        AnySchema::of(None, s)
    }
}

impl Executor for AnySchema {
    async fn execute(&self, request: Request) -> Response {
        AnySchema::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.schema.execute_stream(request, session_data)
    }
}
