//! Copies rebuilt in the host, natively: V8's serialization format (which our isolates write,
//! and lib/clone.js writes for host values) read back into host values through Node-API. Node,
//! Bun and Deno all run the same code, so a copy gives the same result in each, and none needs
//! the host's own deserializer (`node:v8`, which Bun does not have).

mod json;
mod read;
mod wire;

pub use read::value as read;
