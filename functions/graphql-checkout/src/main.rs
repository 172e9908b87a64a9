//! Lambda `graphql-checkout`: the checkout resolver group (docs/graphql.md, "Resolver groups") behind
//! the HTTP API route `POST /graphql/checkout`. Everything is composed in `oms-runtime`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oms_runtime::lambda::run_graphql(oms_graphql::GroupSchema::CHECKOUT).await
}
