//! Access: roles, grants and actors, and the policy that decides what an actor may do
//! (`policy`), and what an API token's scope may be (`token_scope`).
pub mod policy;
pub mod token_scope;
