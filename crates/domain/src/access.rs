//! Access: roles, grants and actors, and the policy that decides what an actor may do
//! (`policy`), what an API token's scope may be (`token_scope`), and the proof of an allowed decision
//! that every write takes (`allowed`).
pub mod allowed;
pub(crate) mod grants;
pub mod policy;
pub mod token_scope;
