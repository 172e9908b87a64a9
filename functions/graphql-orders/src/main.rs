//! Lambda `graphql-orders`: the orders resolver group (docs/graphql.md, "Resolver groups") behind
//! the HTTP API route `POST /graphql/orders`. Everything is composed in `oms-runtime`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oms_runtime::lambda::run_graphql(oms_graphql::GroupSchema::ORDERS).await
}
