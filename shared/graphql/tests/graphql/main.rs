//! One test binary (links once): GraphQL behaviour over the real use cases, limits, the SDL
//! snapshot and the contract check.

mod auth;
mod groups;
mod limits;
mod orders;
mod sdl;
mod support;
