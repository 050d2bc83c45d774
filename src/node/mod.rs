//! The Node front-end: module initialization and the binding object lib/ builds the public API
//! on, the `Front` of calls made from Node, and the functions Node calls to reach other worlds.
//! Every Node-API callback of the addon is here or in host::napi.

pub mod binding;
pub mod callback;
pub mod channel;
pub mod front;
pub mod sandbox;
