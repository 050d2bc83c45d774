//! Our V8 isolates: creation, limits, locking, task queues and the worker pool.

pub mod clock;
pub mod core;
pub mod executor;
pub mod extensions;
pub mod hooks;
pub mod memory;
pub mod native_box;
pub mod registry;
pub mod remote;
pub mod scheduler;
pub mod timer;

pub use self::core::{IsolateCore, IsolateOptions};
pub use self::remote::Remote;
